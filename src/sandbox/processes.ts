/**
 * The sandbox's processes: each one (runtime, extension) starts in a process group of its own,
 * and everything it starts is the sandbox's too. Freezing stops all of them (SIGSTOP to each
 * group, and to any descendant that left its group with setsid), as Lambda's freezer does
 * between invokes; thawing continues them; a reset kills them. Only processes the sandbox
 * started, or their descendants found through /proc, are ever signalled.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { tracedCommand } from './syscall-trace';

export interface SandboxProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitStatus?: { code: number | null; signal: NodeJS.Signals | null };
  /** The cgroup holding it and everything it starts (when this machine lets us make one). */
  cgroup?: string;
}

/**
 * Membership through a cgroup, as Lambda's sandbox has: every process forked inside stays a
 * member, even one that double-forks and setsids away from the process tree and group, so
 * freezing and killing reach it. Only used for membership (the freeze is still SIGSTOP); on a
 * machine where no cgroup can be made, the process tree from /proc is what there is.
 */
const CGROUP_ROOTS = [
  '/sys/fs/cgroup/freezer',
  '/sys/fs/cgroup/unified',
  '/sys/fs/cgroup/pids',
  '/sys/fs/cgroup',
];
let cgroupRoot: string | null | undefined = process.env.WARDEN_SANDBOX_CGROUPS === '0' ? null : undefined;

function joinCgroup(pid: number, name: string): string | undefined {
  if (cgroupRoot === null || pid <= 0) return undefined;
  for (const root of cgroupRoot ? [cgroupRoot] : CGROUP_ROOTS) {
    const dir = path.join(root, `warden-${process.pid}-${name.replace(/[^\w.-]/g, '_')}-${pid}`);
    try {
      mkdirSync(dir);
    } catch {
      continue;
    }
    try {
      writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
      cgroupRoot = root;
      return dir;
    } catch {
      try {
        rmdirSync(dir);
      } catch {
        // leave it
      }
    }
  }
  cgroupRoot ??= null;
  return undefined;
}

function cgroupMembers(dir: string): number[] {
  try {
    return readFileSync(path.join(dir, 'cgroup.procs'), 'latin1').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Removes the processes' cgroups once empty (killed members take a moment to leave). */
export async function releaseCgroups(procs: SandboxProcess[]): Promise<void> {
  for (const p of procs) {
    const dir = p.cgroup;
    if (!dir) continue;
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(dir);
        p.cgroup = undefined;
        break;
      } catch {
        if (i % 10 === 9) for (const pid of cgroupMembers(dir)) signal(pid, 'SIGKILL');
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  onStdout: (line: string) => void;
  onStderr: (line: string) => void;
  /**
   * An /etc/hosts for the process (Lambda's resolves `sandbox.localdomain`, where extensions
   * listen for telemetry): bind-mounted in a mount namespace of its own, when `unshare` works
   * here (root); the host's /etc/hosts is never touched.
   */
  hostsFile?: string;
  /** Run it under strace, one file per thread at `<trace>.<tid>` (learning: syscall-trace.ts). */
  trace?: string;
}

let unshareWorks: boolean | undefined;

/** Whether this machine lets us give a process its own mount namespace (probed once). */
function canUnshare(hostsFile: string): boolean {
  if (unshareWorks === undefined) {
    try {
      execFileSync('unshare', ['--mount', 'sh', '-c', 'mount --bind "$0" /etc/hosts', hostsFile], {
        stdio: 'ignore',
        timeout: 5000,
      });
      unshareWorks = true;
    } catch {
      unshareWorks = false;
    }
  }
  return unshareWorks;
}

/** The command line that runs `command` with `hostsFile` as its /etc/hosts (same pid: unshare and sh exec). */
function withHosts(o: StartOptions): { command: string; args: string[] } {
  // The tracer inside the namespace: what it traces starts with the hosts file in place.
  const run = o.trace ? tracedCommand(o.trace, o.command, o.args) : { command: o.command, args: o.args };
  if (!o.hostsFile || process.env.WARDEN_SANDBOX_HOSTS === '0' || !canUnshare(o.hostsFile)) return run;
  return {
    command: 'unshare',
    args: [
      '--mount',
      'sh',
      '-c',
      'mount --bind "$0" /etc/hosts && exec "$@"',
      o.hostsFile,
      run.command,
      ...run.args,
    ],
  };
}

/** Splits a stream into lines; the last partial line is flushed at end. */
function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (buf) onLine(buf);
    buf = '';
  });
}

/**
 * A real pipe (a FIFO, unlinked once open), as Lambda gives the runtime for its stdout and
 * stderr: Node's own 'pipe' stdio is a socket pair, which /proc/<pid>/fd/1 cannot reopen (a
 * child's sensor reopens its root's stdout that way, to log findings where Lambda reads them).
 */
function realPipe(): { readable: Socket; writeFd: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-pipe-'));
  const fifo = path.join(dir, 'p');
  try {
    execFileSync('mkfifo', ['-m', '600', fifo]);
    const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeFd = openSync(fifo, constants.O_WRONLY);
    return { readable: new Socket({ fd: readFd, readable: true, writable: false }), writeFd };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function spawnWithPipes(o: StartOptions): ChildProcess {
  let out: ReturnType<typeof realPipe> | undefined;
  let err: ReturnType<typeof realPipe> | undefined;
  try {
    out = realPipe();
    err = realPipe();
  } catch {
    // No mkfifo here: Node's socket pairs still carry the output.
  }
  const { command, args } = withHosts(o);
  const child = spawn(command, args, {
    env: o.env,
    cwd: o.cwd,
    detached: true, // its own process group: frozen and killed as one
    stdio: ['ignore', out?.writeFd ?? 'pipe', err?.writeFd ?? 'pipe'],
  });
  if (out && err) {
    closeSync(out.writeFd);
    closeSync(err.writeFd);
    lines(out.readable, o.onStdout);
    lines(err.readable, o.onStderr);
  } else {
    lines(child.stdout, o.onStdout);
    lines(child.stderr, o.onStderr);
  }
  return child;
}

export function startProcess(o: StartOptions): SandboxProcess {
  const child = spawnWithPipes(o);
  const p: SandboxProcess = {
    name: o.name,
    child,
    pid: child.pid ?? -1,
    cgroup: joinCgroup(child.pid ?? -1, o.name),
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        p.exitStatus = { code, signal };
        resolve(p.exitStatus);
      });
      child.once('error', (e) => {
        o.onStderr(`cannot start ${o.command}: ${e.message}`);
        p.exitStatus = { code: 127, signal: null };
        resolve(p.exitStatus);
      });
    }),
  };
  return p;
}

/** pid → ppid for every process in /proc. */
function parentMap(): Map<number, number> {
  const map = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return map;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'latin1');
      // pid (comm) state ppid … — comm may hold spaces and parentheses: parse after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      map.set(Number(e), Number(rest[1]));
    } catch {
      // gone meanwhile
    }
  }
  return map;
}

/** The given pids and all their living descendants. */
export function processTree(roots: number[]): number[] {
  const parents = parentMap();
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const queue = roots.filter((r) => r > 0 && parents.has(r));
  const seen = new Set<number>();
  while (queue.length) {
    const pid = queue.shift() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    out.push(pid);
    for (const c of children.get(pid) ?? []) queue.push(c);
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Signals each process group the sandbox started, then every descendant found in /proc. */
export function signalAll(procs: SandboxProcess[], sig: NodeJS.Signals): void {
  const live = procs.filter((p) => p.pid > 0 && !p.exitStatus);
  // Descendants first found, then signalled: a stopped parent cannot fork a new one meanwhile.
  // A process whose root exited may still have members in its cgroup (a daemon it left).
  const members = procs.flatMap((p) => (p.cgroup ? cgroupMembers(p.cgroup) : []));
  const tree = processTree([...live.map((p) => p.pid), ...members]);
  for (const p of live) signal(-p.pid, sig);
  for (const pid of new Set([...tree, ...members])) signal(pid, sig);
}

/** One `kB` field of /proc/<pid>/status (VmRSS, VmHWM …); undefined once the process is gone. */
function statusKb(pid: number, field: string): number | undefined {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Resident memory (VmRSS) of one process, in MB; undefined once it is gone. */
export function residentMemoryMb(pid: number): number | undefined {
  const kb = statusKb(pid, 'VmRSS');
  return kb === undefined ? undefined : Math.round(kb / 102.4) / 10;
}

/** Peak resident memory (VmHWM) of the processes' trees, in MB. */
export function peakMemoryMb(procs: SandboxProcess[]): number {
  let kb = 0;
  for (const pid of processTree(procs.filter((p) => !p.exitStatus).map((p) => p.pid))) {
    kb += statusKb(pid, 'VmHWM') ?? 0;
  }
  return Math.ceil(kb / 1024);
}
