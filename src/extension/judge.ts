/**
 * Pure judgement of what the extension saw in /proc: a process (its executable, argv, parent
 * and how its binary came to be) or a socket, against the same compiled policy the sensor uses,
 * plus the rules only an outside view can apply (fileless and drop-and-execute).
 */
import { ATTACKS } from '../events/mitre';
import { NODE_VALUE_OPTIONS } from '../events/node-options';
import { addInnerCommands, type ExecProbe, processEvent } from '../events/process-event';
import type { DroppedFile, NetworkEvent, ObservedProcess, ProcessEvent, Verdict } from '../events/types';
import type { CompiledPolicy } from '../policy/compile';
import { ACTION_RANK, decide, fromMatch, isShell, OUTSIDE_PROCESS, worst } from '../policy/decide';
import type { ExeLink } from './procfs';

/** `b` unless `a` is strictly worse: for the rules that name what happened more exactly. */
function preferring(a: Verdict | null, b: Verdict): Verdict {
  return a && ACTION_RANK[a.action] > ACTION_RANK[b.action] ? a : b;
}

export interface ProcessFacts {
  pid: number;
  ppid: number;
  exe: ExeLink;
  argv: string[];
  cwd?: string;
  pathVar?: string;
  /** The parent's executable path (from /proc), when the parent is known. */
  parentExe?: string;
  lineage: string[];
  startedAt?: number;
  seenAt: number;
  /** stdin, stdout, stderr kinds (read for shells: a socket there is a reverse shell). */
  stdio?: string[];
}

/** Interpreters whose first non-option argument is a program file they run. */
const INTERPRETERS =
  /^(?:sh|bash|dash|zsh|ash|ksh|mksh|busybox|node|nodejs|python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|php[0-9.]*|lua[0-9.]*)$/;

const PYTHON_VALUE_OPTIONS = new Set(['-W', '-X', '--check-hash-based-pycs']);

/** The script an interpreter runs (`sh x.sh`, `python3 -u x.py`, `node -r a.js b.js`), or undefined. */
export function scriptOf(exe: string, argv: readonly string[], cwd: string | undefined): string | undefined {
  const name = exe.slice(exe.lastIndexOf('/') + 1);
  if (!INTERPRETERS.test(name)) return undefined;
  const valued = /^node/.test(name)
    ? NODE_VALUE_OPTIONS
    : /^python/.test(name)
      ? PYTHON_VALUE_OPTIONS
      : undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return absolute(argv[i + 1], cwd);
    if (a.startsWith('-')) {
      // Options that run code from the argument itself (`-c`, `-e`), or a module by name
      // (`python -m`), mean there is no script file.
      if (/^-[A-Za-z]*[ce]/.test(a) || a === '--eval' || a === '--print') return undefined;
      if (a === '-p' && valued === NODE_VALUE_OPTIONS) return undefined;
      if (valued === PYTHON_VALUE_OPTIONS && /^-[A-Za-z]*m/.test(a)) return undefined;
      if (valued?.has(a)) i++;
      continue;
    }
    return absolute(a, cwd);
  }
  return undefined;
}

function absolute(p: string | undefined, cwd: string | undefined): string | undefined {
  if (!p) return undefined;
  if (p.startsWith('/')) return p;
  return cwd ? `${cwd.replace(/\/$/, '')}/${p}` : undefined;
}

/**
 * The event a process seen in /proc stands for. The kernel's exe link is the truth about what
 * runs; argv[0] is only the caller's word, used when it resolves to that same file (so a policy
 * entry `sh` matches `/bin/sh` → dash, but `exec -a sh /tmp/x` is judged as /tmp/x).
 */
export function observedProcessEvent(f: ProcessFacts, probe: ExecProbe): ProcessEvent {
  const argv0 = f.argv[0] ?? f.exe.path;
  const named = processEvent(
    { api: 'procfs', file: argv0, argv: f.argv, cwd: f.cwd, pathVar: f.pathVar },
    probe,
  );
  const trusted =
    !f.exe.deleted &&
    !f.exe.memfd &&
    (named.exe === f.exe.path || named.realExe === f.exe.path || probe.realpath(named.exe) === f.exe.path);
  let ev: ProcessEvent = named;
  if (!trusted) {
    ev = { surface: 'process', op: 'spawn', api: 'procfs', file: argv0, exe: f.exe.path, argv: f.argv };
    if (f.cwd) ev.cwd = f.cwd;
    addInnerCommands(ev, { api: 'procfs', file: argv0, argv: f.argv, cwd: f.cwd, pathVar: f.pathVar }, probe);
  }
  if (f.parentExe) {
    const real = probe.realpath(f.parentExe);
    ev.parentExe = real && real !== f.parentExe ? [f.parentExe, real] : [f.parentExe];
  }
  const observed: ObservedProcess = { pid: f.pid, ppid: f.ppid, lineage: f.lineage, seenAt: f.seenAt };
  if (f.startedAt) observed.startedAt = f.startedAt;
  if (f.exe.memfd) observed.fileless = 'memfd';
  else if (f.exe.deleted) observed.fileless = 'deleted';
  const script = scriptOf(f.exe.path, f.argv, f.cwd) ?? scriptOf(ev.exe, f.argv, f.cwd);
  if (script) observed.script = script;
  ev.observed = observed;
  if (f.stdio) ev.stdio = f.stdio;
  return ev;
}

export interface DropFacts {
  /** A file noted by the temp-dir watch, by path. */
  noted(path: string): DroppedFile | undefined;
  /** ctime of a path (ms), to tell a file written during this sandbox's life. */
  changedAt(path: string): number | undefined;
  /** When this sandbox started (ms): anything changed after it was written here. */
  sandboxStart: number;
  /** SHA-256 and size of a file (bounded), for a dropped file the temp watch did not hash in time. */
  hash?(path: string): { sha256: string; size: number } | undefined;
}

/** Paths whose contents are generated, never dropped (ctime means nothing there). */
const VIRTUAL = /^\/(?:proc|sys|dev)\//;

function droppedFile(path: string, facts: DropFacts): DroppedFile | undefined {
  const noted = facts.noted(path);
  if (noted) return noted;
  if (VIRTUAL.test(path) && !path.startsWith('/dev/shm/')) return undefined;
  const ctime = facts.changedAt(path);
  if (ctime === undefined || ctime < facts.sandboxStart) return undefined;
  return { path, size: -1, noticedAt: ctime };
}

export function judgeObservedProcess(
  policy: CompiledPolicy,
  ev: ProcessEvent,
  drops: DropFacts,
): Verdict | null {
  const seen = ev.observed!;
  let verdict = decide(policy, ev, () => OUTSIDE_PROCESS);
  const attacks = [isShell(ev.exe) ? ATTACKS.unixShell : ATTACKS.commandInterpreter];
  if (seen.script) {
    verdict = worst(
      verdict,
      fromMatch(
        policy.files.exec.match(seen.script),
        'warden.files.exec',
        'Execution of a denied path',
        4,
        attacks,
        `${ev.exe} runs the script ${seen.script}`,
      ),
    );
  }
  if (seen.fileless) {
    verdict = preferring(verdict, {
      action: 'deny',
      ruleId: 'warden.process.fileless',
      title:
        seen.fileless === 'memfd'
          ? 'Fileless execution from memory (memfd)'
          : 'Process runs a deleted executable',
      severity: 5,
      attacks: [ATTACKS.reflectiveLoading],
      reason:
        seen.fileless === 'memfd'
          ? `pid ${seen.pid} runs ${ev.exe}: an anonymous memory file, never on disk`
          : `pid ${seen.pid} runs ${ev.exe}, deleted after it started`,
    });
  }
  for (const file of seen.script ? [ev.exe, seen.script] : [ev.exe]) {
    if (seen.fileless) break;
    const dropped = droppedFile(file, drops);
    if (!dropped) continue;
    seen.dropped = dropped;
    // A function that ships a binary and extracts it to run (ffmpeg to /tmp) names it in files.exec.
    if (policy.files.exec.match(file).list === 'allow') break;
    verdict = preferring(verdict, {
      action: 'deny',
      ruleId: 'warden.process.drop-exec',
      title: 'Dropped file executed',
      severity: 5,
      attacks: [ATTACKS.ingressToolTransfer],
      reason: `pid ${seen.pid} runs ${file}, written during this sandbox's life${dropped.writer ? ` by ${dropped.writer}` : ''}${dropped.sha256 ? ` (sha256 ${dropped.sha256.slice(0, 16)}…)` : ''}`,
    });
    break;
  }
  if (verdict && seen.lineage.length > 0) verdict.reason += ` [parents: ${seen.lineage.join(' ← ')}]`;
  return verdict;
}

/**
 * The verdict on a socket a process in the sandbox holds. Outside the process the host name it
 * dialled is unknown: when a host rule could have allowed it, a deny by default is only an alert
 * (for the runtime process, whose own connections the sensor judged by name, nothing).
 */
export function judgeSocket(
  policy: CompiledPolicy,
  ev: NetworkEvent,
  owner: { runtime: boolean; sensorActive: boolean },
): Verdict | null {
  const verdict = decide(policy, ev, () => (owner.runtime ? '<runtime>' : OUTSIDE_PROCESS));
  if (verdict?.action !== 'deny') return verdict;
  if (verdict.byDefault && hostRuleCouldMatch(policy, ev)) {
    if (owner.runtime) return null;
    return alertOnly(
      verdict,
      'a host rule might allow it (the host name is not visible outside the process)',
    );
  }
  // The runtime's own connections are the sensor's to judge (it saw the host name and blocked
  // before connecting); one it let through is reported, and the function is not killed for it.
  if (owner.runtime && owner.sensorActive)
    return alertOnly(
      verdict,
      'the connection exists in the runtime process although the sensor is active (native code?)',
    );
  return verdict;
}

function alertOnly(verdict: Verdict, why: string): Verdict {
  return {
    ...verdict,
    action: 'alert',
    severity: Math.min(verdict.severity, 3) as Verdict['severity'],
    reason: `${verdict.reason}; ${why}`,
  };
}

function hostRuleCouldMatch(policy: CompiledPolicy, ev: NetworkEvent): boolean {
  return policy.policy.network.allow.some(
    (r) =>
      r.host !== undefined &&
      !/^[\d.:a-fA-F]+$/.test(r.host) &&
      (r.protocol === undefined || r.protocol === ev.protocol) &&
      policy.network.match({ port: ev.port, protocol: ev.protocol, host: r.host }).action === 'allow',
  );
}
