/**
 * Outbound data: what leaves through sockets, scanned for the function's own credential values
 * (any common encoding) and for mining-pool (Stratum) calls. Hooked where the plaintext is:
 * `net.Socket#_writeGeneric` (every TCP and TLS write: net, http, https, fetch/undici) — the
 * UDP payloads and DNS names are scanned by the network hooks through `udpData` / `dnsData`.
 * Nothing becomes an event unless the scan finds something: a hit is judged as a `send`, and
 * a blocked write fails the socket with ERR_WARDEN_BLOCKED before a byte of it is sent.
 * Values split across writes are found: each socket keeps the end of its previous chunk.
 */
import {
  credentialNeedles,
  findCredential,
  type Needle,
  overlapOf,
  stratumMethod,
} from '../../detect/detectors/exfiltration';
import { isAwsEndpoint } from '../../detect/fields';
import { MIN_CREDENTIAL_LENGTH } from '../../detect/limits';
import type { NetworkEvent, OutboundData } from '../../events/types';
import { normalizeIp } from '../../net/address';
import { hookMethod, inBypass } from '../guard';
import { check, reportFault } from '../report';

/** Whether there is a credential to look for (known at start-up; its needles are not). */
let armed = false;
/** The credential values, until their needles are first needed (the encodings cost a chunk load). */
let pendingValues: Record<string, string> | undefined;
let needlesList: readonly Needle[] = [];
let overlap = 0;

function needles(): readonly Needle[] {
  if (pendingValues) {
    needlesList = credentialNeedles(pendingValues);
    overlap = overlapOf(needlesList);
    pendingValues = undefined;
    armed = needlesList.length > 0;
  }
  return needlesList;
}
const tails = new WeakMap<object, string>();
let dnsTail = '';

/** The credential values to watch outbound data for (their encoded needles are made on first use). */
export function watchCredentials(values: Record<string, string>): void {
  pendingValues = values;
  needlesList = [];
  overlap = 0;
  armed = Object.values(values).some((v) => v.length >= MIN_CREDENTIAL_LENGTH);
}

const TEXT_ENCODINGS = new Set(['', 'utf8', 'utf-8', 'latin1', 'binary', 'ascii', 'buffer']);

/** The bytes a write sends, as latin1 text (a string written as hex or base64 is decoded first). */
function asText(chunk: unknown, encoding?: unknown): string {
  if (typeof chunk === 'string') {
    const enc = typeof encoding === 'string' ? encoding.toLowerCase() : '';
    if (TEXT_ENCODINGS.has(enc)) return chunk;
    try {
      return Buffer.from(chunk, enc as BufferEncoding).toString('latin1');
    } catch {
      return chunk;
    }
  }
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
  return '';
}

/** Scans one chunk (with the end of the previous one on the same channel). */
function scan(key: object | undefined, text: string): OutboundData | undefined {
  const stratum = stratumMethod(text);
  let credential: OutboundData['credential'];
  if (armed) {
    const list = needles();
    const prev = key ? (tails.get(key) ?? '') : '';
    credential = findCredential(prev + text, list);
    if (key && overlap > 0) tails.set(key, (prev + text).slice(-overlap));
  }
  if (!stratum && !credential) return undefined;
  return { bytes: text.length, ...(credential ? { credential } : {}), ...(stratum ? { stratum } : {}) };
}

interface SocketLike {
  _host?: string | null;
  servername?: string;
  remoteAddress?: string;
  remotePort?: number;
  _peername?: { address?: string; port?: number };
}

function destination(s: SocketLike): { host?: string; ip?: string; port?: number } {
  const ip = s.remoteAddress ? normalizeIp(s.remoteAddress) : undefined;
  const named = typeof s._host === 'string' ? s._host : s.servername;
  return {
    host: named ? named.replace(/\.$/, '').toLowerCase() : ip,
    ip,
    port: s.remotePort,
  };
}

let socketsHooked = false;

/** Hooks TCP/TLS writes (called once a TCP handle exists: `net` is loaded by then). */
export function hookSocketWrites(): void {
  if (socketsHooked) return;
  socketsHooked = true;
  const net = require('node:net') as { Socket: { prototype: Record<string, unknown> } };
  hookMethod(net.Socket.prototype, '_writeGeneric', (fn, self, args) => {
    if (inBypass() || (!armed && !couldBeStratum(args))) return fn.apply(self, args);
    let err: Error | undefined;
    try {
      err = judgeWrite(self as SocketLike & object, args);
    } catch (e) {
      reportFault('network.send', e); // the write goes through: the sensor never breaks the call
    }
    if (err) {
      const cb = args[3];
      if (typeof cb === 'function') return cb(err);
      throw err;
    }
    return fn.apply(self, args);
  });
}

/** Scans one socket write (`_writeGeneric(writev, data, encoding, cb)`); the error to fail it with. */
function judgeWrite(sock: SocketLike & object, args: unknown[]): Error | undefined {
  const dest = destination(sock);
  if (isAwsEndpoint(dest.host)) return undefined;
  const data = args[1];
  let text = '';
  if (args[0] === true && Array.isArray(data))
    for (const c of data) {
      const w = c as { chunk?: unknown; encoding?: unknown };
      text += w && typeof w === 'object' && 'chunk' in w ? asText(w.chunk, w.encoding) : asText(c);
    }
  else text = asText(data, args[2]);
  const found = text ? scan(sock, text) : undefined;
  if (!found) return undefined;
  const ev: NetworkEvent = {
    surface: 'network',
    op: 'send',
    api: 'socket.write',
    protocol: 'tcp',
    ...dest,
    data: found,
  };
  return check(ev);
}

/** Cheap pre-check: without credentials to look for, only a chunk starting with `{` can be Stratum. */
function couldBeStratum(args: unknown[]): boolean {
  const d = args[0] === true && Array.isArray(args[1]) ? (args[1][0] as { chunk?: unknown })?.chunk : args[1];
  if (typeof d === 'string') return d.trimStart().startsWith('{');
  if (d instanceof Uint8Array) return d[0] === 0x7b || d[0] === 0x20 || d[0] === 0x0a;
  return false;
}

/** A UDP payload (dgram send): what it carries, if anything worth an event. */
export function udpData(handle: object, buffers: unknown): OutboundData | undefined {
  if (!Array.isArray(buffers)) return undefined;
  let text = '';
  for (const b of buffers) text += asText(b);
  return text ? scan(handle, text) : undefined;
}

/**
 * A DNS name about to be queried: credentials hidden in its labels (hex, base32, the key id),
 * across consecutive queries too (data split over many names). AWS endpoints are skipped.
 */
export function dnsData(host: string): OutboundData | undefined {
  if (!armed || isAwsEndpoint(host)) return undefined;
  const list = needles();
  const labels = host.split('.');
  // The data part: every label but the domain the attacker owns (the last two).
  const data = labels.slice(0, Math.max(1, labels.length - 2)).join('');
  const window = (dnsTail + data).slice(-4096);
  const credential = findCredential(window, list, true) ?? findCredential(host, list, true);
  dnsTail = window.slice(-overlap * 2);
  return credential ? { bytes: host.length, credential } : undefined;
}
