/**
 * Observations from a syscall trace of the runtime's process tree (src/sandbox/syscall-trace.ts):
 * every process the runtime's descendants executed and every address they connected or sent to,
 * each as the extension would see it in /proc (the kernel's executable, the argv after a `#!`
 * line, the parent's executable), so the learned policy allows exactly what the extension judges
 * in enforce mode. Deterministic: a child that lived a millisecond is in the trace every time.
 * The runtime process's own calls are not taken: the sensor saw them, with the package.
 */
import type { ExecProbe } from '../events/process-event';
import type { NetworkEvent } from '../events/types';
import { observedProcessEvent } from '../extension/judge';
import type { ExeLink } from '../extension/procfs';
import { entryOf } from '../map-entry';
import { OUTSIDE_PROCESS } from '../policy/decide';
import type { ProcessTrace, TracedExec, TracedProcess } from '../sandbox/syscall-trace';
import type { Observation } from './observation';

export interface InvocationWindow {
  requestId: string;
  start: number;
  end: number;
}

export interface TraceContext {
  /** When each invocation ran (ms): a call between start and end belongs to it; others to init. */
  windows: readonly InvocationWindow[];
  /** The runtime's working directory (LAMBDA_TASK_ROOT) and PATH, which its children inherit. */
  cwd: string;
  pathVar: string;
  probe: ExecProbe;
  /** A file's first line when it starts with `#!` (the kernel runs its interpreter instead). */
  shebang(file: string): string | undefined;
  /** DNS resolvers: a child's query to one is a name lookup, not a destination. */
  resolvers: ReadonlySet<string>;
}

/** What the kernel runs for an exec, and the argv /proc shows: a `#!` script runs its interpreter. */
export function kernelImage(exec: TracedExec, ctx: TraceContext): { exe: string; argv: string[] } {
  let file = exec.path;
  let argv = exec.argv;
  // Linux follows up to four levels of interpreters.
  for (let depth = 0; depth < 5; depth++) {
    const line = ctx.shebang(file.startsWith('/') ? file : `${ctx.cwd}/${file}`);
    if (!line) break;
    const m = /^#!\s*(\S+)(?:\s+(.*?))?\s*$/.exec(line);
    if (!m) break;
    argv = [m[1]!, ...(m[2] ? [m[2]] : []), file, ...argv.slice(1)];
    file = m[1]!;
  }
  const absolute = file.startsWith('/') ? file : `${ctx.cwd}/${file}`;
  return { exe: ctx.probe.realpath(absolute) ?? absolute, argv };
}

function windowOf(at: number, windows: readonly InvocationWindow[]): string | undefined {
  return windows.find((w) => at >= w.start && at <= w.end)?.requestId;
}

/** A runtime's descendants: processes whose chain of parents reaches its root. */
function descendants(trace: ProcessTrace, root: number): TracedProcess[] {
  const out: TracedProcess[] = [];
  for (const p of trace.processes.values()) {
    let q: TracedProcess | undefined = p;
    for (let depth = 0; q && q.parent !== undefined && depth < 64; depth++) {
      if (q.parent === root) {
        out.push(p);
        break;
      }
      q = trace.processes.get(q.parent);
    }
  }
  return out.sort((a, b) => a.startedAt - b.startedAt || a.pid - b.pid);
}

type ImageOf = (exec: TracedExec) => { exe: string; argv: string[] };

/** The executable a process ran at a moment (its last exec before then). */
function imageAt(p: TracedProcess | undefined, at: number, imageOf: ImageOf): string | undefined {
  const execs = p?.execs.filter((e) => e.at <= at) ?? [];
  const last = execs[execs.length - 1];
  return last ? imageOf(last).exe : undefined;
}

export function observationsFromTrace(trace: ProcessTrace, ctx: TraceContext): Observation[] {
  // Each exec's image once (a `#!` read and a realpath): a parent's is asked for by every child.
  const images = new Map<TracedExec, { exe: string; argv: string[] }>();
  const imageOf: ImageOf = (exec) => entryOf(images, exec, () => kernelImage(exec, ctx));
  const out: Observation[] = [];
  for (const pid of trace.roots) {
    const root = trace.processes.get(pid);
    if (root) out.push(...runtimeObservations(trace, root, ctx, imageOf));
  }
  return out;
}

function runtimeObservations(
  trace: ProcessTrace,
  root: TracedProcess,
  ctx: TraceContext,
  imageOf: ImageOf,
): Observation[] {
  // The runtime: the root's last exec (the bootstrap and the exec wrapper come before it).
  const runtimeStart = root.execs[root.execs.length - 1]?.at ?? root.startedAt;
  const out: Observation[] = [];
  const observe = (event: Observation['event'], at: number) => {
    const requestId = windowOf(at, ctx.windows);
    out.push({
      warden: 'observation',
      v: 1,
      event,
      package: OUTSIDE_PROCESS,
      count: 1,
      ...(requestId ? { requestId } : {}),
      layer: 'extension',
    });
  };
  for (const p of descendants(trace, root.pid)) {
    // Helpers the exec wrapper ran before the runtime started are the platform's.
    if (p.parent === root.pid && p.startedAt < runtimeStart) continue;
    const parent = p.parent === undefined ? undefined : trace.processes.get(p.parent);
    let previous = imageAt(parent, p.startedAt, imageOf);
    for (const exec of p.execs) {
      const image = imageOf(exec);
      const exe: ExeLink = { path: image.exe, deleted: false, memfd: false };
      const ev = observedProcessEvent(
        {
          pid: p.pid,
          ppid: p.parent ?? 0,
          exe,
          argv: image.argv,
          cwd: ctx.cwd,
          pathVar: ctx.pathVar,
          ...(previous ? { parentExe: previous } : {}),
          lineage: [],
          seenAt: exec.at,
        },
        ctx.probe,
      );
      // What varies between runs (pids, times) is not behaviour.
      delete ev.observed;
      delete ev.stdio;
      observe(ev, exec.at);
      previous = image.exe;
    }
    for (const s of p.sockets) {
      if (s.port === 53 && ctx.resolvers.has(s.ip)) continue;
      const ev: NetworkEvent = {
        surface: 'network',
        op: s.op,
        api: 'syscall',
        protocol: s.protocol,
        ip: s.ip,
        port: s.port,
      };
      observe(ev, s.at);
    }
  }
  return out;
}
