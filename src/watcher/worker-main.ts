/**
 * The in-process watcher: a worker thread of the runtime process, started by the sensor before
 * the function's first child process or native addon (src/sensor/watcher.ts). It watches the
 * runtime's descendants in /proc — each new process and each exec, their sockets — judges them
 * with the same start-up, policy and rules as the sensor (src/startup.ts, the judge chunk), and
 * in enforce mode kills what the policy denies. It runs beside the function's code, not on its
 * event loop: a handler that blocks in `execSync` or a busy loop does not delay a kill.
 *
 * Its findings go out the sensor's way (the same sink: the findings file or the runtime's
 * stdout, written synchronously), named with the invocation the main thread published in the
 * shared memory (src/watcher/shared.ts), where it also bumps its heartbeat every tick.
 * Frozen and thawed with the runtime, as every thread of the process is.
 */
import { existsSync, writeSync } from 'node:fs';
import type { RuleFileParser } from '../detect/rules-engine';
import { type OcsfObject, toFinding } from '../events/ocsf';
import { resourceOfInvocation } from '../events/resource';
import type { SensorEvent, Verdict } from '../events/types';
import type { RuntimeProcess, WatchEvent } from '../extension/process-watcher';
import { readExe, readStat } from '../extension/procfs';
import { createWatch, WATCHER_OWN_RULES, warmUp } from '../extension/watch-setup';
import type { PolicyLoadResult } from '../policy/load';
import { createSink } from '../sensor/sink';
import { readSettings } from '../settings';
import { startup } from '../startup';
import {
  beat,
  invocationAt,
  ownSockets,
  type SharedView,
  STATE_FAILED,
  STATE_READY,
  sensorSpawned,
  setState,
  viewOf,
} from './shared';

/** What the sensor hands the watcher thread (workerData). */
export interface WatcherData {
  mark: string;
  shared: SharedArrayBuffer;
  /** The runtime's environment as the sensor read it at start-up (the thread gets none of its own). */
  env: Record<string, string>;
  taskRoot?: string;
  platformPaths: string[];
  /** When the runtime process started (ms since the epoch). */
  processStart: number;
  /** When the sensor asked for the watcher (ms since the epoch; for WARDEN_TRACE_STARTUP). */
  requestedAt: number;
  version: string;
  /** The sensor's hooks are off for these surfaces: the watcher is all there is there. */
  disabledHooks: string[];
}

export interface WatcherLoaders {
  policyParser(): (file: string, text: string) => PolicyLoadResult;
  ruleParser(): RuleFileParser;
  read(file: string): string;
}

/** Verdicts only the view from /proc can reach: never left out as the sensor's. */
const OUTSIDE_ONLY: ReadonlySet<string> = new Set([
  'warden.files.exec',
  'warden.process.fileless',
  'warden.process.drop-exec',
  'warden.sensor.fault',
]);

/** Polling: every interval; for BURST_MS after a process appears, every BURST_INTERVAL_MS. */
const BURST_MS = 150;

export function runWatcher(data: WatcherData, loaders: WatcherLoaders): void {
  const view: SharedView = viewOf(data.shared);
  try {
    start(data, loaders, view);
  } catch (e) {
    setState(view, STATE_FAILED);
    throw e;
  }
}

function start(data: WatcherData, loaders: WatcherLoaders, view: SharedView): void {
  const env = data.env;
  const settings = readSettings(env);
  const phase = (name: string): void => {
    if (settings.traceStartup)
      writeSync(
        2,
        `warden: watcher ${name} at ${(performance.timeOrigin + performance.now() - data.requestedAt).toFixed(1)} ms\n`,
      );
  };
  phase('thread running');
  const shared = startup({
    settings,
    env,
    functionDir: data.taskRoot,
    exists: existsSync,
    read: loaders.read,
    policyParser: loaders.policyParser,
    ruleParser: loaders.ruleParser,
    compile: {
      runtimeApi: env.AWS_LAMBDA_RUNTIME_API,
      taskRoot: data.taskRoot,
      platformPaths: data.platformPaths,
    },
    skipRules: WATCHER_OWN_RULES,
  });
  const mode = shared.loaded.mode;
  phase('policy and rules');
  const sink = createSink(
    settings.findingsPath,
    (fn) => fn(),
    settings.findingsPath ? undefined : env.WARDEN_STDOUT || '/proc/self/fd/1',
  );
  let uid = 0;
  const emit = (event: SensorEvent, verdict: Verdict, killed: boolean, pid: number, at: number): void => {
    const now = Date.now();
    const invocation = invocationAt(view, at);
    const finding = toFinding({
      uid: `w${process.pid.toString(36)}-${now.toString(36)}-${(++uid).toString(36)}`,
      event,
      verdict,
      blocked: killed,
      killed,
      mode,
      requestId: invocation?.requestId,
      resource: resourceOfInvocation(shared.resource, invocation?.arn),
      product: { name: 'Warden', version: data.version },
      time: now,
      count: 1,
      activityId: 1,
      firstSeen: now,
      pid,
      layer: 'watcher',
    });
    sink.write(JSON.stringify(finding as OcsfObject));
  };
  const hooksOff = (surface: string) => data.disabledHooks.includes(surface);
  const { watcher, temp } = createWatch({
    shared,
    settings,
    layer: 'watcher',
    selfPid: process.pid,
    sandboxStart: data.processStart,
    // The runtime's own connections are the sensor's (it saw the host name), unless its network
    // hooks are off or native code it cannot see has been loaded: then they are the watcher's
    // to judge, and a denied one ends the runtime (enforce mode), as a denied child is killed.
    sensorActive: () => !hooksOff('network') && !ownSockets(view),
    runtimeSockets: () => hooksOff('network') || ownSockets(view),
    endRuntime: () => process.kill(process.pid, 'SIGKILL'),
    expected: (argv) => sensorSpawned(view, argv),
    onEvent(w: WatchEvent) {
      const ev = w.event;
      // A start the sensor judged (and reported) is not reported twice; what only the outside
      // view knows (the script it runs, a dropped or deleted binary) and every kill still is.
      if (
        ev.surface === 'process' &&
        w.firstImage &&
        !w.killed &&
        !OUTSIDE_ONLY.has(w.verdict.ruleId) &&
        sensorSpawned(view, ev.argv)
      )
        return;
      const seen = ev.surface === 'process' ? ev.observed : undefined;
      const pid = seen?.pid ?? (ev.surface === 'network' ? (ev.owner?.pid ?? 0) : 0);
      // Named with the invocation the process started in (its start tick is 10 ms coarse).
      const at = seen?.startedAt !== undefined ? Math.min(seen.seenAt, seen.startedAt + 10) : Date.now();
      try {
        emit(ev, w.verdict, w.killed, pid, at);
      } catch {
        // the sink counts what it could not write
      }
    },
  });
  watcher.setRuntime(runtimeProcess(env, data.taskRoot));
  warmUp(shared.policy);
  // The finding's code too: a kill waits for its finding to be written (see ProcessWatcher.kill).
  JSON.stringify(
    toFinding({
      uid: 'warm-up',
      event: { surface: 'sensor', op: 'startup', api: 'watcher', message: 'warm-up' },
      verdict: {
        action: 'alert',
        ruleId: 'warden.sensor.warm-up',
        title: '',
        severity: 1,
        attacks: [],
        reason: '',
      },
      blocked: false,
      mode,
      resource: shared.resource,
      product: { name: 'Warden', version: data.version },
      time: 0,
      count: 1,
      activityId: 1,
      firstSeen: 0,
      pid: 0,
      layer: 'watcher',
    }),
  );
  phase('warm');
  temp.start();
  // The first look: what already runs (nothing, usually) is judged before the sensor goes on.
  watcher.tick();
  beat(view);
  setState(view, STATE_READY);
  phase('ready');
  // Test aid: a watcher that dies (what the sensor's liveness check must notice).
  if (settings.injectFault === 'watcher') process.exit(0); // in a worker: this thread only
  const interval = settings.watchIntervalMs;
  const burstInterval = Math.min(interval, 2);
  const loop = (): void => {
    watcher.tick();
    beat(view);
    const burst = performance.timeOrigin + performance.now() - watcher.lastNewProcessAt < BURST_MS;
    setTimeout(loop, burst ? burstInterval : interval);
  };
  setTimeout(loop, interval);
}

/** The runtime is this process: its own pid, image and environment. */
function runtimeProcess(env: Record<string, string>, taskRoot: string | undefined): RuntimeProcess {
  const pid = process.pid;
  const st = readStat(pid);
  return {
    pid,
    startTicks: st?.startTicks ?? 0,
    session: st?.session ?? 0,
    exe: readExe(pid)?.path ?? process.execPath,
    pathVar: env.PATH,
    sensorExpected: true,
    runtimeApi: env.AWS_LAMBDA_RUNTIME_API,
    ...(taskRoot ? { taskRoot } : {}),
  };
}
