/**
 * Complete observation for learning: the runtime runs under `strace -ff` (ptrace, filtered by
 * seccomp so only the calls below stop), which records every exec, socket, connect and send of
 * the runtime and every process it starts, however briefly it lives. Polling /proc (the
 * extension's view in Lambda) misses a child that lives a millisecond; this does not. Only used
 * by the local sandbox when learning: Lambda allows no ptrace.
 *
 * This module runs strace and reads what it wrote into a process tree (capture only); turning
 * that into observations is the learner's job (src/learn/traced-observations.ts).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { entryOf } from '../map-entry';

const TRACED = 'execve,execveat,socket,connect,sendto,sendmsg,sendmmsg,clone,clone3,fork,vfork';

let available: boolean | undefined;

/** Whether strace can trace a child here (installed, and ptrace allowed). Probed once. */
export function syscallTraceAvailable(): boolean {
  if (available === undefined) {
    try {
      execFileSync('strace', ['-f', '-qq', '-e', 'trace=execve', '-o', '/dev/null', '--', 'true'], {
        stdio: 'ignore',
        timeout: 10_000,
      });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/**
 * The command line that runs `command args` under strace, one file per thread at
 * `<prefix>.<tid>`, each line stamped with the epoch time (µs).
 */
export function tracedCommand(
  prefix: string,
  command: string,
  args: string[],
): { command: string; args: string[] } {
  return {
    command: 'strace',
    args: [
      '-ff',
      '-ttt',
      '-qq',
      '--seccomp-bpf',
      '-e',
      `trace=${TRACED}`,
      '-e',
      'signal=none',
      '-s',
      '65536',
      '-o',
      prefix,
      '--',
      command,
      ...args,
    ],
  };
}

export interface TracedExec {
  at: number;
  /** The path given to exec (absolute, or as given). */
  path: string;
  argv: string[];
}

export interface TracedSocketCall {
  at: number;
  op: 'connect' | 'send';
  protocol: 'tcp' | 'udp';
  ip: string;
  port: number;
}

export interface TracedProcess {
  pid: number;
  /** The process that started it (undefined for the traced root). */
  parent?: number;
  /** When it was forked (the root: its first exec). */
  startedAt: number;
  /** Successful execs, in order. */
  execs: TracedExec[];
  sockets: TracedSocketCall[];
}

export interface ProcessTrace {
  /** The processes strace started (each an exec chain that ends in the runtime; one per init). */
  roots: number[];
  processes: Map<number, TracedProcess>;
}

// ── parsing strace's output ──────────────────────────────────────────────────────────────────

/** One C string literal as strace prints it (`"a\"b\n\303\251"`), decoded as UTF-8. */
function decodeCString(lit: string): string {
  const bytes: number[] = [];
  for (let i = 1; i < lit.length - 1; i++) {
    const c = lit.charCodeAt(i);
    if (lit[i] !== '\\') {
      // strace prints only ASCII as itself; anything else is escaped.
      bytes.push(c & 0xff);
      continue;
    }
    const n = lit[++i]!;
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, e: 27 };
    if (n in simple) bytes.push(simple[n]!);
    else if (n === 'x') {
      bytes.push(Number.parseInt(lit.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(n)) {
      let j = i;
      while (j < i + 3 && /[0-7]/.test(lit[j]!)) j++;
      bytes.push(Number.parseInt(lit.slice(i, j), 8));
      i = j - 1;
    } else bytes.push(n.charCodeAt(0) & 0xff);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The end of the string literal starting at `i` (its closing quote's index). */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j;
  }
  return s.length - 1;
}

export interface TraceLine {
  at: number;
  call: string;
  /** The argument text between the call's parentheses. */
  args: string;
  /** The same, split into its top-level arguments. */
  parts: string[];
  /** The result (`0`, `-1`, `1234`), undefined for an unfinished call. */
  result?: string;
}

/**
 * The top-level comma-separated parts of an argument list, from `start` until the bracket that
 * closes it (or the end of the text); `end` is the index after that bracket, undefined if none did.
 */
function scanArgs(text: string, start: number, depth: number): { parts: string[]; end?: number } {
  const parts: string[] = [];
  let from = start;
  const cut = (i: number) => {
    const part = text.slice(from, i).trim();
    if (part) parts.push(part);
    from = i + 1;
  };
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') i = stringEnd(text, i);
    else if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') {
      if (--depth === 0) {
        cut(i);
        return { parts, end: i + 1 };
      }
    } else if (c === ',' && depth === 1) cut(i);
  }
  cut(text.length);
  return { parts };
}

/** One line of `strace -ttt` output, or undefined for a line that is not a call. */
export function parseTraceLine(line: string): TraceLine | undefined {
  const m = /^(\d+\.\d+) ([a-z_0-9]+)\(/.exec(line);
  if (!m) return undefined;
  const { parts, end } = scanArgs(line, m[0].length, 1);
  const result = end === undefined ? undefined : /^\s*=\s*(\S+)/.exec(line.slice(end))?.[1];
  return {
    at: Math.round(Number(m[1]) * 1000),
    call: m[2]!,
    args: line.slice(m[0].length, end === undefined ? undefined : end - 1),
    parts,
    ...(result ? { result } : {}),
  };
}

/** The strings of an array argument `["a", "b"]` (a truncated one: what was printed). */
function stringArray(text: string | undefined): string[] | undefined {
  if (!text?.startsWith('[')) return undefined;
  const out: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '"') continue;
    const end = stringEnd(text, i);
    out.push(decodeCString(text.slice(i, end + 1)));
    i = end;
  }
  return out;
}

function stringArg(text: string | undefined): string | undefined {
  return text?.startsWith('"') ? decodeCString(text.slice(0, stringEnd(text, 0) + 1)) : undefined;
}

/** The IP and port of the first inet socket address in the text (its strings blanked first). */
export function inetAddress(text: string): { ip: string; port: number } | undefined {
  const bare = text.replace(/"(?:[^"\\]|\\.)*"/g, (s) => (/^"[0-9a-fA-F:.]+"$/.test(s) ? s : '""'));
  const family = /sa_family=(AF_INET6?)\b/.exec(bare)?.[1];
  if (!family) return undefined;
  const port = /sin6?_port=htons\((\d+)\)/.exec(bare)?.[1];
  const ip =
    family === 'AF_INET'
      ? /inet_addr\("([\d.]+)"\)/.exec(bare)?.[1]
      : /inet_pton\(AF_INET6, "([0-9a-fA-F:.]+)"/.exec(bare)?.[1];
  if (!ip || port === undefined) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return { ip: mapped ? mapped[1]! : ip.toLowerCase(), port: Number(port) };
}

const ok = (l: TraceLine) => l.result !== undefined && !l.result.startsWith('-1') && l.result !== '?';

/**
 * The process tree in a set of `strace -ff` files (`{tid, text}` each). Pure: the files are
 * read by readTrace.
 */
export function parseTrace(files: readonly { tid: number; text: string }[]): ProcessTrace {
  type Entry = { tid: number; line: TraceLine; seq: number };
  const entries: Entry[] = [];
  let seq = 0;
  for (const f of files)
    for (const raw of f.text.split('\n')) {
      const line = parseTraceLine(raw);
      if (line) entries.push({ tid: f.tid, line, seq: seq++ });
    }
  // In time order (a child's first call follows the fork that made it).
  entries.sort((a, b) => a.line.at - b.line.at || a.seq - b.seq);
  const processOf = new Map<number, number>();
  const processes = new Map<number, TracedProcess>();
  const socketTypes = new Map<number, Map<string, 'tcp' | 'udp'>>();
  const created = new Set<number>();
  for (const e of entries) {
    const { line } = e;
    if (/^(clone3?|fork|vfork)$/.test(line.call) && line.result && /^\d+$/.test(line.result))
      created.add(Number(line.result));
  }
  // The roots: threads no clone in the trace made (a runtime started again after a reset is one more).
  const roots = [...new Set(entries.filter((e) => !created.has(e.tid)).map((e) => e.tid))];
  const proc = (tid: number, at: number): TracedProcess => {
    const pid = processOf.get(tid) ?? tid;
    let p = processes.get(pid);
    if (!p) {
      p = { pid, startedAt: at, execs: [], sockets: [] };
      processes.set(pid, p);
      processOf.set(tid, pid);
    }
    return p;
  };
  for (const { tid, line } of entries) {
    const p = proc(tid, line.at);
    const args = line.parts;
    switch (line.call) {
      case 'clone':
      case 'clone3':
      case 'fork':
      case 'vfork': {
        if (!line.result || !/^\d+$/.test(line.result)) break;
        const child = Number(line.result);
        if (/\bCLONE_THREAD\b/.test(line.args)) {
          processOf.set(child, p.pid);
          break;
        }
        processOf.set(child, child);
        processes.set(child, { pid: child, parent: p.pid, startedAt: line.at, execs: [], sockets: [] });
        // A child inherits its parent's descriptors.
        socketTypes.set(child, new Map(socketTypes.get(p.pid)));
        break;
      }
      case 'execve':
      case 'execveat': {
        if (!ok(line)) break;
        const [file, argv] =
          line.call === 'execve'
            ? [stringArg(args[0]), stringArray(args[1])]
            : [stringArg(args[1]), stringArray(args[2])];
        if (file === undefined || !argv) break;
        p.execs.push({ at: line.at, path: file, argv });
        break;
      }
      case 'socket': {
        if (!ok(line) || !/^AF_INET6?$/.test(args[0] ?? '')) break;
        const type = /SOCK_DGRAM/.test(args[1] ?? '')
          ? 'udp'
          : /SOCK_STREAM/.test(args[1] ?? '')
            ? 'tcp'
            : undefined;
        if (type) entryOf(socketTypes, p.pid, () => new Map()).set(line.result!, type);
        break;
      }
      case 'connect':
      case 'sendto':
      case 'sendmsg':
      case 'sendmmsg': {
        // A failed connect was still an attempt to reach the address (a refused one too).
        const addr = inetAddress(args.slice(1).join(', '));
        if (!addr) break;
        const protocol =
          socketTypes.get(p.pid)?.get(args[0] ?? '') ?? (line.call === 'connect' ? 'tcp' : 'udp');
        p.sockets.push({ at: line.at, op: line.call === 'connect' ? 'connect' : 'send', protocol, ...addr });
        break;
      }
    }
  }
  return { roots: roots.map((r) => processOf.get(r) ?? r), processes };
}

/** Reads the files `strace -ff -o <prefix>` wrote into a process tree. */
export function readTrace(prefix: string): ProcessTrace {
  const dir = path.dirname(prefix);
  const base = `${path.basename(prefix)}.`;
  const files: { tid: number; text: string }[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // nothing traced
  }
  for (const name of names) {
    if (!name.startsWith(base) || !/^\d+$/.test(name.slice(base.length))) continue;
    try {
      files.push({
        tid: Number(name.slice(base.length)),
        text: readFileSync(path.join(dir, name), 'latin1'),
      });
    } catch {
      // unreadable: skipped
    }
  }
  files.sort((a, b) => a.tid - b.tid);
  return parseTrace(files);
}
