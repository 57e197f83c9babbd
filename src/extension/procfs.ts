/**
 * Reading /proc: small synchronous reads (procfs files are generated on read, never block) and
 * pure parsers for their formats, so the parsing is testable without a live process.
 */
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Start time after boot, in clock ticks: with the pid, a process's identity. */
  startTicks: number;
}

/**
 * Parses /proc/<pid>/stat. The command name is in parentheses and may itself hold spaces and
 * parentheses (a process names itself), so the fields are counted from the last `)`.
 */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); starttime is field 22.
  const num = (i: number) => Number(rest[i - 3]);
  const stat: ProcStat = {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: num(4),
    pgrp: num(5),
    session: num(6),
    startTicks: num(22),
  };
  return Number.isFinite(stat.ppid) && Number.isFinite(stat.startTicks) ? stat : undefined;
}

/** fn's result, or undefined when it throws (the process is gone, or never was). */
function orUndefined<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

export function readStat(pid: number): ProcStat | undefined {
  return orUndefined(() => parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1')));
}

/** argv from /proc/<pid>/cmdline (NUL-separated; empty for kernel threads and zombies). */
export function parseCmdline(buf: Buffer): string[] {
  if (buf.length === 0) return [];
  const text = buf.toString('utf8');
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export function readCmdline(pid: number): string[] | undefined {
  return orUndefined(() => parseCmdline(readFileSync(`/proc/${pid}/cmdline`)));
}

export interface ExeLink {
  /** The executable's path as the kernel names it, without the ` (deleted)` mark. */
  path: string;
  deleted: boolean;
  /** Executed from an anonymous memory file (memfd_create): `/memfd:name`. */
  memfd: boolean;
}

export function parseExeLink(link: string): ExeLink {
  const deleted = link.endsWith(' (deleted)');
  const path = deleted ? link.slice(0, -' (deleted)'.length) : link;
  return { path, deleted, memfd: path.startsWith('/memfd:') };
}

export function readExe(pid: number): ExeLink | undefined {
  return orUndefined(() => parseExeLink(readlinkSync(`/proc/${pid}/exe`)));
}

/** The executable's identity (device and inode of the file it runs), whatever path named it. */
export function exeIdentity(pid: number): string | undefined {
  return orUndefined(() => {
    const st = statSync(`/proc/${pid}/exe`);
    return `${st.dev}:${st.ino}`;
  });
}

export function readCwd(pid: number): string | undefined {
  return orUndefined(() => readlinkSync(`/proc/${pid}/cwd`));
}

/** What an fd link names: `socket`, `pipe`, `tty`, `file` (or `anon` for eventfd and the like). */
export function fdKind(link: string): string {
  if (link.startsWith('socket:')) return 'socket';
  if (link.startsWith('pipe:')) return 'pipe';
  if (link.startsWith('anon_inode:')) return 'anon';
  if (/^\/dev\/(pts|tty)/.test(link)) return 'tty';
  return 'file';
}

/** The links of a process's fds 0, 1 and 2 (undefined where closed or unreadable). */
export function readStdLinks(pid: number): (string | undefined)[] {
  return [0, 1, 2].map((fd) => orUndefined(() => readlinkSync(`/proc/${pid}/fd/${fd}`)));
}

/**
 * A process's stdin, stdout and stderr kinds; a stream that is one of the runtime's own
 * (`inherited`: its std links) is `inherit`, so only a socket wired up for the process reads
 * as `socket` (a shell whose stdin is one is a reverse shell).
 */
export function readStdio(
  pid: number,
  inherited: ReadonlySet<string>,
  isInet: (inode: number) => boolean,
): string[] | undefined {
  const links = readStdLinks(pid);
  if (links.every((l) => l === undefined)) return undefined;
  return links.map((l) => {
    if (l === undefined) return 'closed';
    if (inherited.has(l)) return 'inherit';
    const kind = fdKind(l);
    // Node's 'pipe' stdio are Unix socketpairs: only a TCP/UDP socket is the network.
    if (kind === 'socket') return isInet(Number(/\[(\d+)\]/.exec(l)?.[1] ?? 0)) ? 'socket' : 'unix';
    return kind;
  });
}

/** The value of one variable in /proc/<pid>/environ (the environment the process was exec'd with). */
export function environValue(environ: Buffer, name: string): string | undefined {
  const key = Buffer.from(`${name}=`);
  let at = 0;
  while (at < environ.length) {
    const end = environ.indexOf(0, at);
    const stop = end < 0 ? environ.length : end;
    if (stop - at >= key.length && environ.compare(key, 0, key.length, at, at + key.length) === 0)
      return environ.toString('utf8', at + key.length, stop);
    at = stop + 1;
  }
  return undefined;
}

export function readEnviron(pid: number): Buffer | undefined {
  return orUndefined(() => readFileSync(`/proc/${pid}/environ`));
}

/**
 * Direct children of a process, from its threads' `children` files (a child is listed under the
 * thread that forked it): every thread's, or only the main thread's (one read).
 */
export function readChildren(pid: number, allThreads = true, hot?: HotFiles): number[] {
  if (!HAS_CHILDREN_FILES) return childrenByScan(pid);
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = allThreads ? readdirSync(`/proc/${pid}/task`) : [String(pid)];
  } catch {
    return out;
  }
  for (const tid of tasks) {
    let text: string;
    const file = `/proc/${pid}/task/${tid}/children`;
    try {
      text = hot ? (hot.read(file)?.toString('latin1') ?? '') : readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const part of text.split(' ')) {
      const n = Number(part);
      if (n > 0) out.push(n);
    }
  }
  return out;
}

/**
 * Whether this kernel has /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN).
 * WARDEN_PROC_CHILDREN=0 acts as if it had not (tests the scan that replaces them).
 */
export const HAS_CHILDREN_FILES = ((): boolean => {
  if (process.env.WARDEN_PROC_CHILDREN === '0') return false;
  try {
    statSync(`/proc/self/task/${process.pid}/children`);
    return true;
  } catch {
    return false;
  }
})();

/** Children of a process found by scanning every process's parent (kernels without `children`). */
export function childrenByScan(pid: number): number[] {
  const out: number[] = [];
  for (const p of listPids()) if (readStat(p)?.ppid === pid) out.push(p);
  return out;
}

export function listPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(name));
  }
  return out;
}

/**
 * The cgroup path of a process in the first hierarchy line of /proc/<pid>/cgroup that names one
 * of `controllers` (or the unified `0::` line), e.g. `freezer:/warden-1-runtime-2`.
 */
export function parseCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const cgPath = line.slice(second + 1);
    for (const c of controllers === '' ? ['unified'] : controllers.split(',')) out.set(c, cgPath);
  }
  return out;
}

export function readCgroups(pid: number): Map<string, string> | undefined {
  return orUndefined(() => parseCgroup(readFileSync(`/proc/${pid}/cgroup`, 'latin1')));
}

/** Where each of a process's fds points (`socket:[12345]`, `/tmp/x`, `pipe:[…]`), [] when gone. */
function fdLinks(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const fd of fds) {
    try {
      out.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** Socket inodes a process holds open (`socket:[12345]` fd links). */
export function socketInodes(pid: number): Set<number> {
  const out = new Set<number>();
  for (const link of fdLinks(pid)) if (link.startsWith('socket:[')) out.add(Number(link.slice(8, -1)));
  return out;
}

/** Paths a process holds open (files, not sockets or pipes), for naming the writer of a file. */
export function openPaths(pid: number): string[] {
  return fdLinks(pid).filter((link) => link.startsWith('/'));
}

/** ctime of a file in ms (when its content or mode last changed), or undefined. */
export function changeTimeMs(file: string): number | undefined {
  return orUndefined(() => statSync(file).ctimeMs);
}

/**
 * Boot time in ms since the epoch, from /proc/uptime (10 ms resolution; /proc/stat's btime is
 * whole seconds), for turning a start time in clock ticks into wall-clock time.
 */
export function bootTimeMs(): number {
  const uptime = Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
  return Date.now() - uptime * 1000;
}

/**
 * Files read on every tick (the runtime's cmdline and children, /proc/loadavg), kept open and
 * read with pread: ~1.5 µs a read instead of ~20 µs for open + read + close. Only for files the
 * kernel regenerates on each read (not cgroup.procs, which keeps the list of its open). A file
 * whose process is gone fails the read and is dropped.
 */
export class HotFiles {
  private readonly fds = new Map<string, number>();
  private readonly buf = Buffer.alloc(64 * 1024);

  read(file: string): Buffer | undefined {
    let fd = this.fds.get(file);
    try {
      if (fd === undefined) {
        // Files of threads and processes that ended are never read again: start over when
        // too many are kept.
        if (this.fds.size >= 256) this.close();
        fd = openSync(file, 'r');
        this.fds.set(file, fd);
      }
      const n = readSync(fd, this.buf, 0, this.buf.length, 0);
      if (n === this.buf.length) return readFileSync(file);
      return Buffer.from(this.buf.subarray(0, n));
    } catch {
      this.forget(file);
      return undefined;
    }
  }

  forget(file: string): void {
    const fd = this.fds.get(file);
    if (fd === undefined) return;
    this.fds.delete(file);
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }

  close(): void {
    for (const file of [...this.fds.keys()]) this.forget(file);
  }
}
