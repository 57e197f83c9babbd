/**
 * The kernel's socket tables (/proc/<pid>/net/{tcp,tcp6,udp,udp6}): parsed into endpoints, so
 * a connection made by a child process or by native code is seen whatever made it.
 */
import { readFileSync } from 'node:fs';
import { normalizeIp } from '../net/address';

export interface SocketEntry {
  protocol: 'tcp' | 'udp';
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
  /** TCP state (hex in the table): 01 ESTABLISHED, 02 SYN_SENT, 0A LISTEN … */
  state: number;
  inode: number;
}

export const TCP_ESTABLISHED = 0x01;
export const TCP_SYN_SENT = 0x02;
export const TCP_LISTEN = 0x0a;

/** A /proc/net address (`0100007F:1F90`, or 32 hex digits for IPv6): host-order 32-bit words. */
export function parseProcAddress(text: string): { ip: string; port: number } | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const hex = text.slice(0, colon);
  const port = Number.parseInt(text.slice(colon + 1), 16);
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = Number.parseInt(hex.slice(w, w + 8), 16) >>> 0;
    // Each 32-bit word is printed in the host's (little-endian) byte order.
    bytes.push(word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, (word >>> 24) & 0xff);
  }
  let ip: string;
  if (bytes.length === 4) ip = bytes.join('.');
  else if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    ip = normalizeIp(groups.join(':')) ?? groups.join(':');
  } else return undefined;
  return { ip, port };
}

export function parseSocketTable(text: string, protocol: 'tcp' | 'udp'): SocketEntry[] {
  const out: SocketEntry[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = parseProcAddress(f[1]!);
    const remote = parseProcAddress(f[2]!);
    if (!local || !remote) continue;
    out.push({
      protocol,
      localIp: local.ip,
      localPort: local.port,
      remoteIp: remote.ip,
      remotePort: remote.port,
      state: Number.parseInt(f[3]!, 16),
      inode: Number(f[9]),
    });
  }
  return out;
}

const TABLES = [
  ['tcp', 'tcp'],
  ['udp', 'udp'],
  ['udp6', 'udp'],
  ['tcp6', 'tcp'],
] as const;

/** Inodes of the Unix sockets in a `/proc/<pid>/net/unix` table (column 7). */
export function unixInodes(text: string): Set<number> {
  const out = new Set<number>();
  let at = text.indexOf('\n') + 1;
  while (at > 0 && at < text.length) {
    const end = text.indexOf('\n', at);
    const cols = text
      .slice(at, end < 0 ? text.length : end)
      .trim()
      .split(/\s+/);
    if (cols.length >= 7) out.add(Number(cols[6]));
    at = end < 0 ? 0 : end + 1;
  }
  return out;
}

/**
 * Finds sockets by inode in one network namespace's tables. The TCP tables are slow to read (the
 * kernel walks its whole hash table: ~1–4 ms each here), so they are read only when a socket is
 * being looked for, cheapest first, stopping once every inode asked for is found. The Unix table
 * (~0.1 ms) is read first: a child's stdio socket pairs are Unix sockets, and a look that finds
 * only those reads no inet table at all.
 */
export class SocketTables {
  constructor(private readonly pid: number) {}

  /** Entries for these inodes (those found), the Unix sockets among them, and how many table files were read. */
  find(inodes: ReadonlySet<number>): { found: Map<number, SocketEntry>; unix: Set<number>; reads: number } {
    const found = new Map<number, SocketEntry>();
    const unix = new Set<number>();
    let reads = 0;
    try {
      const all = unixInodes(readFileSync(`/proc/${this.pid}/net/unix`, 'latin1'));
      reads++;
      for (const inode of inodes) if (all.has(inode)) unix.add(inode);
    } catch {
      // no Unix table: the inet tables decide
    }
    for (const [file, protocol] of TABLES) {
      if (found.size + unix.size >= inodes.size) break;
      let text: string;
      try {
        text = readFileSync(`/proc/${this.pid}/net/${file}`, 'latin1');
        reads++;
      } catch {
        continue;
      }
      for (const e of parseSocketTable(text, protocol)) if (inodes.has(e.inode)) found.set(e.inode, e);
    }
    return { found, unix, reads };
  }

  /** Local ports with a TCP listener (to tell accepted connections from outbound ones). */
  listeningPorts(): Set<number> {
    const out = new Set<number>();
    for (const file of ['tcp', 'tcp6']) {
      try {
        for (const e of parseSocketTable(readFileSync(`/proc/${this.pid}/net/${file}`, 'latin1'), 'tcp'))
          if (e.state === TCP_LISTEN) out.add(e.localPort);
      } catch {
        // no such table
      }
    }
    return out;
  }
}

/** True for a socket that talks to a remote peer this side opened (or a connected UDP socket). */
export function isOutbound(e: SocketEntry, listeningPorts: ReadonlySet<number>): boolean {
  if (e.inode === 0) return false; // TIME_WAIT and the like: no owner any more
  if (e.protocol === 'udp') return e.remotePort !== 0;
  if (e.state !== TCP_ESTABLISHED && e.state !== TCP_SYN_SENT) return false;
  // An accepted connection shares its local port with a listener of ours: inbound.
  return !listeningPorts.has(e.localPort);
}
