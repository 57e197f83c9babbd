/**
 * Watches the sandbox's processes from outside: every tick it lists the runtime's process tree
 * (its cgroup when it has one of its own, else its descendants plus any that left the tree but
 * stayed in its session), notices each new process and each exec, judges it, and in enforce mode
 * kills what the policy does not allow: stopped first, its children killed, then itself.
 * Nothing outside the runtime's tree is ever read for judgement or signalled.
 */
import { readFileSync } from 'node:fs';
import type { ExecProbe } from '../events/process-event';
import type { NetworkEvent, ProcessEvent, Verdict } from '../events/types';
import type { CompiledPolicy } from '../policy/compile';
import { couldDeny } from '../policy/could-deny';
import { isShell } from '../policy/decide';
import type { Mode } from '../policy/types';
import { type DropFacts, judgeObservedProcess, judgeSocket, observedProcessEvent } from './judge';
import {
  type ExeLink,
  environValue,
  exeIdentity,
  HAS_CHILDREN_FILES,
  HotFiles,
  listPids,
  parseCmdline,
  readCgroups,
  readChildren,
  readCmdline,
  readCwd,
  readEnviron,
  readExe,
  readStat,
  readStdio,
  readStdLinks,
  socketInodes,
} from './procfs';
import {
  isOutbound,
  type SocketEntry,
  SocketTables,
  TCP_ESTABLISHED,
  TCP_LISTEN,
  TCP_SYN_SENT,
} from './sockets';

export interface RuntimeProcess {
  pid: number;
  startTicks: number;
  session: number;
  exe: string;
  /** `cgroup.procs` of a cgroup only the runtime's tree is in, when there is one. */
  cgroupProcs?: string;
  pathVar?: string;
  /** The runtime's environment names Warden's sensor (NODE_OPTIONS --require …sensor.cjs). */
  sensorExpected: boolean;
  runtimeApi?: string;
  /** LAMBDA_TASK_ROOT: the function's directory (`${LAMBDA_TASK_ROOT}` in policy paths). */
  taskRoot?: string;
}

interface Tracked {
  pid: number;
  startTicks: number;
  ppid: number;
  /** exe + argv as last judged (or as cloned from the parent before its exec). */
  key: string;
  /** Still the unexec'd copy of its parent. */
  clone?: boolean;
  /** Whether its appearance was weighed for fast polling (at its first image). */
  weighed?: boolean;
  cmdline: string;
  exePath: string;
  killed: boolean;
}

export interface WatchEvent {
  event: ProcessEvent | NetworkEvent;
  verdict: Verdict;
  killed: boolean;
  /** A process judged in the image it started with (not one it exec'd into later). */
  firstImage?: boolean;
}

export interface WatcherOptions {
  policy: CompiledPolicy;
  /** The detection rules' verdicts on a process or socket seen from outside (none: no rules). */
  rules?(ev: ProcessEvent | NetworkEvent, policyAllowed: boolean): Verdict[];
  mode: Mode;
  probe: ExecProbe;
  drops: DropFacts;
  onEvent(e: WatchEvent): void;
  /** The extension's own pid and its parent's (never judged, never signalled). */
  selfPid: number;
  clockTicksPerSecond?: number;
  bootTimeMs: number;
  /** Wall-clock ms with sub-ms precision. */
  now(): number;
  /** Session scan for processes that left the tree, every N ticks. */
  sessionScanEvery?: number;
  /** True while the runtime's sensor is connected and answering. */
  sensorActive(): boolean;
  /** DNS resolvers (from /etc/resolv.conf): queries to them carry names the sensor judges. */
  resolvers: ReadonlySet<string>;
  /**
   * Whether the runtime's own sockets are looked at now (default: always, every few ticks). In
   * the runtime's own thread, only once code the sensor's hooks cannot see (a native addon) may
   * have made one; then at every tick, as are every thread's children (native code starts
   * processes from any thread, and its connections live as long as it likes).
   */
  runtimeSockets?(): boolean;
  /**
   * A command line the sensor judged at its start (its own child, a command of a shell string it
   * parsed): such a process does not put the watcher into its fast polling, which is for what
   * nobody saw coming (a script's commands, a binary's children).
   */
  expected?(argv: readonly string[]): boolean;
  /**
   * Ends the runtime when the watcher runs inside it (it never signals its own process): called
   * in enforce mode for a connection of the runtime itself that the policy denies and only the
   * watcher could see (native code the sensor cannot see made it), once its finding is written.
   */
  endRuntime?(): void;
}

const HERTZ = 100;
/**
 * The runtime holds many fds (and the sensor judges its sockets): its fd table every 10th tick,
 * seen from another process (the extension); at every tick where the owner says the runtime
 * runs code the sensor cannot see (see `runtimeSockets`).
 */
const RUNTIME_FD_EVERY = 10;
/** Every thread of the tree's processes is looked at for children every 4th tick (main thread: every tick). */
const ALL_THREADS_EVERY = 4;
const SOCKET_TABLE_MS = 10;
/** The runtime's own image (an execve from function code) is looked at every 5th tick. */
const RUNTIME_IMAGE_EVERY = 5;
/** Membership is re-read this often even when no pid was handed out (cgroup moves, pid wrap). */
const FULL_SCAN_EVERY = 20;
/** How long a socket may stay unconnected before it is no longer followed. */
const SOCKET_WAIT_MS = 2000;

export function cgroupProcsFile(runtimePid: number, selfPid: number): string | undefined {
  const rt = readCgroups(runtimePid);
  const mine = readCgroups(selfPid);
  if (!rt || !mine) return undefined;
  for (const controller of ['freezer', 'pids', 'unified', 'cpu', 'memory']) {
    const cg = rt.get(controller);
    if (!cg || cg === '/' || cg === mine.get(controller)) continue;
    const roots =
      controller === 'unified'
        ? ['/sys/fs/cgroup/unified', '/sys/fs/cgroup']
        : [`/sys/fs/cgroup/${controller}`];
    for (const root of roots) {
      const file = `${root}${cg}/cgroup.procs`;
      try {
        const members = readFileSync(file, 'latin1');
        if (members.split('\n').includes(String(runtimePid))) return file;
      } catch {
        // not mounted here
      }
    }
  }
  return undefined;
}

/**
 * Finds the runtime: the process the sandbox started next to this extension (same parent) that
 * has the function's handler in its environment and the same Runtime API address, once it runs
 * node (the runtime's node is the extension's own: Lambda's /var/lang/bin/node, first on PATH).
 * Before that it is still the bootstrap or the exec wrapper (a shell, or `unshare` locally),
 * whose environment is not yet the runtime's. A runtime on another node binary is accepted once
 * its executable has stayed the same for `settleMs`.
 */
export function findRuntime(
  selfPid: number,
  runtimeApi: string | undefined,
  ownExe: string,
  settling: Map<number, { exe: string; since: number }>,
  now: number,
  settleMs = 500,
): RuntimeProcess | undefined {
  const me = readStat(selfPid);
  if (!me) return undefined;
  for (const pid of readChildren(me.ppid)) {
    if (pid === selfPid) continue;
    // The executable first, the environment after, the executable again: an exec in between
    // would pair the new image with the old image's environment.
    const exe = readExe(pid);
    const env = readEnviron(pid);
    const st = readStat(pid);
    if (!exe || !env || !st || readExe(pid)?.path !== exe.path) continue;
    if (environValue(env, '_HANDLER') === undefined) continue;
    const api = environValue(env, 'AWS_LAMBDA_RUNTIME_API');
    if (runtimeApi && api !== runtimeApi) continue;
    if (exe.path !== ownExe) {
      const seen = settling.get(pid);
      if (!seen || seen.exe !== exe.path) {
        settling.set(pid, { exe: exe.path, since: now });
        continue;
      }
      if (isShell(exe.path) || now - seen.since < settleMs) continue;
    }
    const nodeOptions = environValue(env, 'NODE_OPTIONS') ?? '';
    return {
      pid,
      startTicks: st.startTicks,
      session: st.session,
      exe: exe.path,
      cgroupProcs: cgroupProcsFile(pid, selfPid),
      pathVar: environValue(env, 'PATH'),
      sensorExpected: /sensor\.cjs/.test(nodeOptions),
      runtimeApi: api,
      taskRoot: environValue(env, 'LAMBDA_TASK_ROOT'),
    };
  }
  return undefined;
}

export class ProcessWatcher {
  runtime: RuntimeProcess | undefined;
  private readonly tracked = new Map<number, Tracked>();
  private tables: SocketTables | undefined;
  private readonly knownSockets = new Set<number>();
  /** Process and destination of each socket reported (bounded): one finding for all its copies. */
  private readonly reportedSockets = new Set<string>();
  private readonly pending = new Map<number, { pid: number; since: number; looks: number }>();
  private lastTableRead = 0;
  private runtimeKey = '';
  private lastPid: string | undefined;
  private noCgroup = false;
  /** When a process last appeared in the tree (the loop ticks faster for a while after). */
  lastNewProcessAt = Number.NEGATIVE_INFINITY;
  private lastMembers = new Set<number>();
  private readonly hot = new HotFiles();
  private ticks = 0;
  /** Work counters (for the closing stats line). */
  readonly stats = {
    ticks: 0,
    processes: 0,
    judged: 0,
    killed: 0,
    sockets: 0,
    tableReads: 0,
    fullScans: 0,
    tickMsTotal: 0,
    tickMsMax: 0,
  };

  constructor(private readonly o: WatcherOptions) {}

  setRuntime(rt: RuntimeProcess): void {
    this.runtime = rt;
    this.tables = new SocketTables(rt.pid);
    const exe = readExe(rt.pid);
    const argv = readCmdline(rt.pid) ?? [];
    // Only a complete read names the runtime's image; otherwise the first complete one will
    // (a partial key would make the runtime look like a new image, or its forks like new processes).
    this.runtimeKey = exe && argv.length > 0 ? keyOf(exe, argv) : '';
  }

  stop(): void {
    this.hot.close();
  }

  /** One pass over the sandbox's processes and sockets. Never throws. */
  tick(): void {
    const rt = this.runtime;
    if (!rt) return;
    const t0 = this.o.now();
    this.ticks++;
    this.stats.ticks++;
    try {
      // /proc/loadavg names the last pid the kernel handed out: unchanged, no process was
      // created since the last tick, and the known members are all there is to look at.
      const lastPid = this.hot.read('/proc/loadavg')?.toString('latin1').trim().split('/')[1]?.split(' ')[1];
      const full = lastPid === undefined || lastPid !== this.lastPid || this.ticks % FULL_SCAN_EVERY === 0;
      this.lastPid = lastPid;
      if (full) this.stats.fullScans++;
      const members = full ? this.members(rt) : this.lastMembers;
      this.lastMembers = members;
      if (this.ticks % RUNTIME_IMAGE_EVERY === 0) this.checkRuntimeImage(rt);
      for (const pid of this.oldestFirst(members, rt)) this.checkProcess(pid, rt);
      if (this.ticks % 20 === 0)
        for (const [pid, t] of this.tracked) if (!this.alive(t)) this.tracked.delete(pid);
      this.checkSockets(rt, members);
    } catch {
      // A process vanished mid-read, or /proc refused: the next tick tries again.
    }
    const spent = this.o.now() - t0;
    this.stats.tickMsTotal += spent;
    if (spent > this.stats.tickMsMax) this.stats.tickMsMax = spent;
  }

  /** The runtime's tree: its own cgroup, or descendants + tracked orphans + session members. */
  members(rt: RuntimeProcess): Set<number> {
    const out = new Set<number>();
    // The sandbox may move the runtime into its cgroup a moment after starting it: look again
    // now and then until it is there.
    if (!rt.cgroupProcs && !this.noCgroup && this.ticks % 25 === 1) {
      rt.cgroupProcs = cgroupProcsFile(rt.pid, this.o.selfPid);
      if (!rt.cgroupProcs && this.ticks > 500) this.noCgroup = true;
    }
    if (rt.cgroupProcs) {
      // Opened afresh each time: cgroup.procs keeps the member list of the moment it was opened.
      try {
        for (const line of readFileSync(rt.cgroupProcs, 'latin1').split('\n'))
          if (line) out.add(Number(line));
        return out;
      } catch {
        rt.cgroupProcs = undefined;
      }
    }
    if (!HAS_CHILDREN_FILES) return this.membersByScan(rt, out);
    const queue = [rt.pid];
    out.add(rt.pid);
    // A child is listed under the thread that forked it: libuv spawns from the main thread, a
    // worker from its own, so every thread is read every few ticks and the main one every tick.
    const allThreads = this.ticks % ALL_THREADS_EVERY === 0 || this.blindInProcess();
    while (queue.length > 0) {
      const pid = queue.pop()!;
      for (const c of readChildren(pid, allThreads, pid === rt.pid ? this.hot : undefined)) {
        if (out.has(c) || c === this.o.selfPid) continue;
        out.add(c);
        queue.push(c);
      }
    }
    // Orphans that left the tree (reparented) stay members while they live.
    for (const pid of this.tracked.keys()) out.add(pid);
    if (rt.session === rt.pid && this.ticks % (this.o.sessionScanEvery ?? 20) === 0) {
      for (const pid of listPids()) {
        if (out.has(pid) || pid === this.o.selfPid) continue;
        const st = readStat(pid);
        if (st && st.session === rt.session) out.add(pid);
      }
    }
    return out;
  }

  /** The tree from one pass over /proc (a kernel without `children` files): parents, then their children. */
  private membersByScan(rt: RuntimeProcess, out: Set<number>): Set<number> {
    const parentOf = new Map<number, number>();
    const sessionOf = new Map<number, number>();
    for (const pid of listPids()) {
      const st = readStat(pid);
      if (!st) continue;
      parentOf.set(pid, st.ppid);
      sessionOf.set(pid, st.session);
    }
    out.add(rt.pid);
    for (const pid of parentOf.keys()) {
      if (pid === this.o.selfPid) continue;
      let p: number | undefined = pid;
      for (let depth = 0; p !== undefined && p > 1 && depth < 64; depth++) {
        if (p === rt.pid) {
          out.add(pid);
          break;
        }
        p = parentOf.get(p);
      }
      if (rt.session === rt.pid && sessionOf.get(pid) === rt.session) out.add(pid);
    }
    for (const pid of this.tracked.keys()) out.add(pid);
    return out;
  }

  /**
   * Members other than the runtime, parents before their children (older first): a denied shell
   * is judged, and killed with its tree, before the command it started.
   */
  private oldestFirst(members: Set<number>, rt: RuntimeProcess): number[] {
    const out: { pid: number; start: number }[] = [];
    for (const pid of members) {
      if (pid === rt.pid) continue;
      const start = this.tracked.get(pid)?.startTicks ?? readStat(pid)?.startTicks;
      if (start !== undefined) out.push({ pid, start });
    }
    if (out.length > 1) out.sort((a, b) => a.start - b.start || a.pid - b.pid);
    return out.map((x) => x.pid);
  }

  private alive(t: Tracked): boolean {
    const st = readStat(t.pid);
    return !!st && st.startTicks === t.startTicks && st.state !== 'Z';
  }

  /** A runtime that replaced its own image (`process.execve`) is judged like a new process. */
  private checkRuntimeImage(rt: RuntimeProcess): void {
    const exe = readExe(rt.pid);
    if (!exe) return;
    const raw = this.hot.read(`/proc/${rt.pid}/cmdline`);
    const argv = raw ? parseCmdline(raw) : [];
    if (argv.length === 0) return; // exiting, or mid-exec
    const key = keyOf(exe, argv);
    if (key === this.runtimeKey) return;
    const first = this.runtimeKey === '';
    this.runtimeKey = key;
    if (first) return;
    this.judge(rt.pid, rt.startTicks, readStat(rt.pid)?.ppid ?? 0, exe, argv, rt, undefined);
  }

  private checkProcess(pid: number, rt: RuntimeProcess): void {
    let t = this.tracked.get(pid);
    if (!t) {
      const st = readStat(pid);
      if (!st || st.state === 'Z' || st.state === 'X') return;
      t = { pid, startTicks: st.startTicks, ppid: st.ppid, key: '', cmdline: '', exePath: '', killed: false };
      this.tracked.set(pid, t);
      this.stats.processes++;
      if (!this.o.expected) this.lastNewProcessAt = this.o.now();
    }
    if (t.killed) return;
    const exe = readExe(pid);
    if (!exe) return;
    const argv = readCmdline(pid);
    // An empty command line is a process on its way out (its memory already released) or in
    // the middle of an exec: nothing to judge yet, it is looked at again next tick.
    if (!argv || argv.length === 0) return;
    const key = keyOf(exe, argv);
    if (key === t.key) return;
    // An exec between the two reads pairs the old image with the new command line (node with
    // `sh script.sh`): judged only when the image is the same after reading the command line.
    if (readExe(pid)?.path !== exe.path) return;
    const ppidNow = readStat(pid)?.ppid ?? t.ppid;
    t.ppid = ppidNow;
    // A fork not yet exec'd is a copy of its parent, running the parent's code: judged as the
    // parent was. It is looked at again on every tick until it execs.
    if (ppidNow === rt.pid && this.runtimeKey === '') this.checkRuntimeImage(rt);
    const parentKey = ppidNow === rt.pid ? this.runtimeKey : this.tracked.get(ppidNow)?.key;
    // An image that exec'd this one in place (a shell running its last command with exec) is
    // what started it, as the sensor saw it: that is the parent its rules are judged against.
    const execFrom = t.key && !t.clone ? t.exePath : undefined;
    const sameAsParent = parentKey !== undefined && parentKey === key;
    t.clone = sameAsParent && this.isUnexecedFork(pid, ppidNow);
    // Exec'd while being compared: the command line read above is no longer its own.
    if (sameAsParent && !t.clone && keyOf(readExe(pid), readCmdline(pid) ?? []) !== key) return;
    t.key = key;
    t.cmdline = argv.join(' ');
    t.exePath = exe.path;
    if (t.clone) return;
    if (this.o.expected && !t.weighed) {
      t.weighed = true;
      if (!this.o.expected(argv)) this.lastNewProcessAt = this.o.now();
    }
    try {
      this.judge(pid, t.startTicks, ppidNow, exe, argv, rt, t, execFrom);
    } catch (e) {
      this.judgementFailed(pid, t.startTicks, exe.path, argv, t, e);
    }
  }

  /** Code the sensor cannot see runs in the runtime (see `runtimeSockets`). */
  private blindInProcess(): boolean {
    return this.o.runtimeSockets?.() === true;
  }

  /**
   * A process with its parent's executable and command line is a fork that has not exec'd yet
   * only if it runs the same file (device and inode) with the same environment: a "twin" of the
   * runtime (its own executable and arguments, started with a payload in NODE_OPTIONS, by
   * native code the sensor cannot see) is a new program, judged like any.
   */
  private isUnexecedFork(pid: number, parent: number): boolean {
    const id = exeIdentity(pid);
    if (id === undefined || id !== exeIdentity(parent)) return false;
    const env = readEnviron(pid);
    const parentEnv = readEnviron(parent);
    return env !== undefined && parentEnv !== undefined && env.equals(parentEnv);
  }

  /**
   * The judgement of a process threw (a bug, or input nobody foresaw): it is still judged, as
   * matching no allow rule. Reported as a fault; in enforce mode, where the policy could deny a
   * process, it is killed — a fault is never an allow.
   */
  private judgementFailed(
    pid: number,
    startTicks: number,
    exePath: string,
    argv: string[],
    t: Tracked | undefined,
    e: unknown,
  ): void {
    this.stats.judged++;
    const refuse = this.o.mode === 'enforce' && couldDeny(this.o.policy.policy, 'process', 'spawn');
    const ev: ProcessEvent = {
      surface: 'process',
      op: 'spawn',
      api: 'procfs',
      file: argv[0] ?? exePath,
      exe: exePath,
      argv,
    };
    const message = e instanceof Error ? e.message : String(e);
    const report = (killed: boolean): void =>
      this.o.onEvent({
        event: ev,
        verdict: {
          action: refuse ? 'deny' : 'alert',
          ruleId: 'warden.sensor.fault',
          title: refuse
            ? 'Warden watcher fault (the process was killed)'
            : 'Warden watcher fault (the process was let run)',
          severity: 3,
          attacks: [],
          reason: `judging pid ${pid} (${exePath}): ${message}`,
        },
        killed,
      });
    if (refuse) {
      let reported = false;
      const pids = this.kill(pid, startTicks, () => {
        if (t) t.killed = true;
        reported = true;
        report(true);
      });
      this.stats.killed += pids.length;
      if (reported) return;
    }
    report(false);
  }

  private lineage(ppid: number, rt: RuntimeProcess): { lineage: string[]; parentExe?: string } {
    const lineage: string[] = [];
    let parentExe: string | undefined;
    let pid = ppid;
    for (let depth = 0; depth < 16 && pid > 1; depth++) {
      const t = this.tracked.get(pid);
      const cmd = t?.cmdline || (readCmdline(pid) ?? []).join(' ');
      const exe = t?.exePath || readExe(pid)?.path;
      if (depth === 0) parentExe = exe;
      lineage.push(`${pid} ${cmd.length > 200 ? `${cmd.slice(0, 200)}…` : cmd}`);
      if (pid === rt.pid) break;
      pid = t?.ppid ?? readStat(pid)?.ppid ?? 0;
    }
    return { lineage, parentExe };
  }

  private judge(
    pid: number,
    startTicks: number,
    ppid: number,
    exe: ExeLink,
    argv: string[],
    rt: RuntimeProcess,
    t: Tracked | undefined,
    execFrom?: string,
  ): void {
    this.stats.judged++;
    const seenAt = this.o.now();
    const { lineage, parentExe: realParent } = this.lineage(ppid, rt);
    const parentExe = execFrom ?? realParent;
    if (execFrom) lineage.unshift(`${pid} ${execFrom} (exec'd into what runs now)`);
    const ev = observedProcessEvent(
      {
        pid,
        ppid,
        exe,
        argv,
        cwd: readCwd(pid),
        // A shell's stdio: wired to a socket, it is a reverse shell (made by whatever, native code too).
        ...(isShell(exe.path) || isShell(argv[0] ?? '')
          ? { stdio: readStdio(pid, this.runtimeStd(rt), (inode) => this.isInetSocket(inode)) }
          : {}),
        pathVar: rt.pathVar,
        parentExe,
        lineage,
        startedAt: this.o.bootTimeMs + (startTicks * 1000) / (this.o.clockTicksPerSecond ?? HERTZ),
        seenAt,
      },
      this.o.probe,
    );
    const policyVerdict = judgeObservedProcess(this.o.policy, ev, this.o.drops);
    const verdicts = [
      ...(policyVerdict ? [policyVerdict] : []),
      ...(this.o.rules?.(ev, !policyVerdict) ?? []),
    ];
    if (verdicts.length === 0) return;
    const verdict = verdicts.find((v) => v.action === 'deny') ?? verdicts[0]!;
    const firstImage = execFrom === undefined && t !== undefined;
    const report = (killed: boolean): void => {
      // The dropped file's hash, if not yet taken: once the process is stopped, never before.
      const dropped = ev.observed?.dropped;
      if (dropped && !dropped.sha256) {
        const h = this.o.drops.hash?.(dropped.path);
        if (h) Object.assign(dropped, h);
      }
      for (const v of verdicts) this.o.onEvent({ event: ev, verdict: v, killed, firstImage });
    };
    if (verdict.action === 'deny' && this.o.mode === 'enforce') {
      let reported = false;
      const pids = this.kill(pid, startTicks, (planned) => {
        if (t) t.killed = true;
        ev.observed!.killed = planned;
        ev.observed!.killedAt = this.o.now();
        reported = true;
        report(true);
      });
      this.stats.killed += pids.length;
      if (reported) return;
    }
    report(false);
  }

  /** A socket inode in the sandbox's TCP/UDP tables (not a Unix socket). */
  private isInetSocket(inode: number): boolean {
    if (!inode || !this.tables) return false;
    return this.tables.find(new Set([inode])).found.size > 0;
  }

  private runtimeStdLinks?: { pid: number; links: Set<string> };
  /** The runtime's own stdin/stdout/stderr links (what its children inherit), read once per runtime. */
  private runtimeStd(rt: RuntimeProcess): ReadonlySet<string> {
    if (this.runtimeStdLinks?.pid !== rt.pid) {
      const links = new Set(readStdLinks(rt.pid).filter((l): l is string => l !== undefined));
      this.runtimeStdLinks = { pid: rt.pid, links };
    }
    return this.runtimeStdLinks.links;
  }

  /**
   * SIGKILL for a process and everything under it, children first. The process is stopped
   * before its children are collected, so it cannot start more while they die; its identity
   * (pid + start time) is checked right before, so a reused pid is never hit. `announce` runs
   * once the tree is stopped and before it dies, with the pids about to be killed: the finding
   * is written before anyone (the function waiting on its child) can see the child end.
   */
  kill(pid: number, startTicks: number, announce?: (pids: number[]) => void): number[] {
    if (pid <= 1 || pid === this.o.selfPid || pid === process.ppid) return [];
    const st = readStat(pid);
    if (!st || st.startTicks !== startTicks) return [];
    try {
      process.kill(pid, 'SIGSTOP');
    } catch {
      return [];
    }
    const order: number[] = [];
    const queue = [pid];
    const seen = new Set<number>([pid]);
    while (queue.length > 0) {
      const p = queue.shift()!;
      for (const c of readChildren(p)) {
        if (seen.has(c) || c === this.o.selfPid) continue;
        seen.add(c);
        order.push(c);
        queue.push(c);
        try {
          process.kill(c, 'SIGSTOP');
        } catch {
          // gone
        }
      }
    }
    order.reverse();
    try {
      announce?.([...order, pid]);
    } catch {
      // the kill does not wait on its report
    }
    const killed: number[] = [];
    for (const c of order) {
      try {
        process.kill(c, 'SIGKILL');
        killed.push(c);
      } catch {
        // gone
      }
    }
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // gone
    }
    return killed;
  }

  /**
   * New sockets of the sandbox's processes: found by their fd links (cheap: the runtime's every
   * few ticks, other processes' every tick), then looked up in the kernel's tables (costly: only
   * when a new one is waiting, at most every SOCKET_TABLE_MS). A socket not yet connected waits
   * a while for its peer; one in no inet table (a Unix socket) is dropped after two looks.
   */
  private checkSockets(rt: RuntimeProcess, members: Set<number>): void {
    if (!this.tables) return;
    const now = this.o.now();
    const runtimeSockets = this.o.runtimeSockets?.() ?? true;
    for (const pid of members) {
      if (
        pid === rt.pid &&
        (!runtimeSockets || (!this.o.runtimeSockets && this.ticks % RUNTIME_FD_EVERY !== 1))
      )
        continue;
      for (const inode of socketInodes(pid)) {
        if (this.knownSockets.has(inode)) continue;
        this.knownSockets.add(inode);
        this.pending.set(inode, { pid, since: now, looks: 0 });
      }
    }
    if (this.knownSockets.size > 100_000) this.knownSockets.clear();
    if (this.pending.size === 0 || now - this.lastTableRead < SOCKET_TABLE_MS) return;
    this.lastTableRead = now;
    const { found, unix, reads } = this.tables.find(new Set(this.pending.keys()));
    this.stats.tableReads += reads;
    let listening: Set<number> | undefined;
    for (const [inode, p] of this.pending) {
      if (unix.has(inode)) {
        this.pending.delete(inode);
        continue;
      }
      p.looks++;
      const e = found.get(inode);
      if (!e) {
        if (p.looks >= 2) this.pending.delete(inode);
        continue;
      }
      if (e.protocol === 'tcp' && e.state === TCP_LISTEN) {
        this.pending.delete(inode);
        continue;
      }
      const connected =
        e.protocol === 'udp' ? e.remotePort !== 0 : e.state === TCP_ESTABLISHED || e.state === TCP_SYN_SENT;
      if (!connected) {
        if (now - p.since > SOCKET_WAIT_MS) this.pending.delete(inode);
        continue;
      }
      this.pending.delete(inode);
      if (e.protocol === 'tcp') {
        listening ??= this.tables.listeningPorts();
        if (!isOutbound(e, listening)) continue;
      }
      // A forked child holds copies of its parent's sockets until it execs (and keeps any not
      // close-on-exec): the socket is the oldest holder's, the runtime's first of all.
      this.judgeSocket(e, this.ownerOf(inode, p.pid, rt), rt);
    }
  }

  private ownerOf(inode: number, seenIn: number, rt: RuntimeProcess): number {
    if (seenIn === rt.pid || socketInodes(rt.pid).has(inode)) return rt.pid;
    let owner = seenIn;
    for (let pid = this.tracked.get(seenIn)?.ppid; pid && pid !== rt.pid; pid = this.tracked.get(pid)?.ppid) {
      if (socketInodes(pid).has(inode)) owner = pid;
    }
    return owner;
  }

  private judgeSocket(e: SocketEntry, owner: number, rt: RuntimeProcess): void {
    if (e.remotePort === 53 && this.o.resolvers.has(e.remoteIp)) return;
    const ev = socketEvent(e);
    const isRuntime = owner === rt.pid;
    const policyVerdict = judgeSocket(this.o.policy, ev, {
      runtime: isRuntime,
      sensorActive: isRuntime && this.o.sensorActive(),
    });
    // The runtime's own sockets are the sensor's to judge by rule (it saw the host name).
    const verdicts = [
      ...(policyVerdict ? [policyVerdict] : []),
      ...(isRuntime ? [] : (this.o.rules?.(ev, !policyVerdict) ?? [])),
    ];
    if (verdicts.length === 0) return;
    const t = this.tracked.get(owner);
    // A child holding several sockets to one destination (copies it inherited, a pool) is one
    // finding, and one kill.
    const subject = `${owner}\u0000${t?.startTicks ?? ''}\u0000${e.remoteIp}\u0000${e.remotePort}`;
    if (this.reportedSockets.has(subject)) return;
    if (this.reportedSockets.size >= 4096) this.reportedSockets.clear();
    this.reportedSockets.add(subject);
    const verdict = verdicts.find((v) => v.action === 'deny') ?? verdicts[0]!;
    this.stats.sockets++;
    ev.owner = { pid: owner, cmdline: t?.cmdline || (readCmdline(owner) ?? []).join(' ') };
    const report = (killed: boolean): void => {
      for (const v of verdicts) this.o.onEvent({ event: ev, verdict: v, killed });
    };
    if (verdict.action === 'deny' && this.o.mode === 'enforce' && isRuntime && owner === this.o.selfPid) {
      if (this.o.endRuntime) {
        ev.owner.killed = [owner];
        this.stats.killed++;
        report(true);
        this.o.endRuntime();
        return;
      }
    } else if (verdict.action === 'deny' && this.o.mode === 'enforce') {
      const start = isRuntime ? rt.startTicks : (t?.startTicks ?? readStat(owner)?.startTicks ?? -1);
      let reported = false;
      const pids = this.kill(owner, start, (planned) => {
        ev.owner!.killed = planned;
        if (t) t.killed = true;
        reported = true;
        report(true);
      });
      this.stats.killed += pids.length;
      if (reported) return;
    }
    report(false);
  }
}

function keyOf(exe: ExeLink | undefined, argv: readonly string[]): string {
  return `${exe?.path ?? '?'}${exe?.deleted ? ' (deleted)' : ''}\u0000${argv.join('\u0000')}`;
}

export function socketEvent(e: SocketEntry): NetworkEvent {
  return {
    surface: 'network',
    op: 'connect',
    api: 'procfs',
    protocol: e.protocol,
    ip: e.remoteIp,
    port: e.remotePort,
  };
}
