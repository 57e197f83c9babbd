/**
 * The sensor's side of the in-process watcher (src/watcher/worker-main.ts): a worker thread
 * that watches the function's child processes and their sockets in /proc, and kills what the
 * policy denies. It costs nothing until it is needed: it starts right before the first child
 * process the sensor lets through, or the first native addon that is not the platform's (native
 * code can spawn and connect behind the hooks), and the sensor waits (bounded) until it has
 * taken its first look, so no child runs unwatched. `WARDEN_WATCHER=always` starts it with the
 * sensor (so does a sensor whose process hooks are off: nothing would trigger it), `off` never.
 *
 * The watcher thread runs the sensor's own file as its script (one file: it finds the judge
 * chunk there), with no options and no environment of its own, so the sensor's hooks are not
 * installed in it and nothing the function set reaches it. Its liveness is checked without its
 * event loop or any object function code can reach: its thread id (-1 once it has exited) and
 * its heartbeat in shared memory (src/watcher/shared.ts), at every invocation's end. A watcher
 * that died or stopped ticking is reported and started again.
 */
import { ATTACKS } from '../events/mitre';
import type { InvocationContext, ProcessEvent, Verdict } from '../events/types';
import {
  beats,
  mainBeat,
  newShared,
  noteSensorSpawn,
  publishInvocation,
  type SharedView,
  STATE_BOOTING,
  STATE_FAILED,
  STATE_READY,
  setOwnSockets,
  setState,
  stateOf,
  viewOf,
  waitWhileBooting,
} from '../watcher/shared';
import type { WatcherData } from '../watcher/worker-main';
import { bypass } from './guard';
import { reportNotice } from './report';

export const WATCHER_MARK = 'warden-watcher-1';
/** How long the first child process waits for the watcher's first look. */
const READY_WAIT_MS = 3000;
/** An invocation at least this long in which the heartbeat did not move: the watcher is stuck. */
const STALL_MS = 500;
/** Restarts after the watcher died; past this it is reported once and left off. */
const MAX_STARTS = 5;

const { apply, getOwnPropertyDescriptor } = Reflect;
const now = Date.now;

type WorkerCtor = new (file: string, options: object) => { unref(): void; terminate(): unknown };

export interface WatcherConfig {
  sensorFile: string;
  choice: 'lazy' | 'always' | 'off';
  data: Omit<WatcherData, 'shared' | 'mark' | 'requestedAt' | 'processStart'>;
  /** The Worker class as Node made it (captured before the sensor's own hook wraps it). */
  workerClass(): WorkerCtor | undefined;
}

let config: WatcherConfig | undefined;
let view: SharedView | undefined;
let worker: object | undefined;
let threadIdOf: ((w: object) => number) | undefined;
let starts = 0;
let gaveUp = false;
let atStart: { beats: number; time: number } | undefined;
/** The invocation that started last, published again when the shared memory is made. */
let lastStarted: InvocationContext | undefined;
/**
 * This sensor runs in one of the function's worker threads and shares the watcher the main
 * thread's sensor started when it made the worker (one watcher per process, not one per thread).
 */
let shared = false;

export function configureWatcher(c: WatcherConfig): void {
  config = c;
}

function notice(
  ruleId: string,
  title: string,
  reason: string,
  severity: Verdict['severity'],
  context?: InvocationContext,
): void {
  reportNotice(
    { surface: 'sensor', op: 'tamper', api: 'watcher', message: reason },
    { action: 'alert', ruleId, title, severity, attacks: [ATTACKS.impairDefenses], reason },
    context,
  );
}

function alive(): boolean {
  if (!worker) return false;
  try {
    return threadIdOf ? threadIdOf(worker) !== -1 : true;
  } catch {
    return true;
  }
}

function startWorker(reason: string, wait: boolean): void {
  const c = config!;
  const Ctor = c.workerClass();
  if (!Ctor) {
    gaveUp = true;
    notice(
      'warden.sensor.watcher-unavailable',
      "Warden's process watcher could not start",
      `worker threads are not available (${reason}): child processes are judged at their start only`,
      4,
    );
    return;
  }
  if (!threadIdOf) {
    const getter = getOwnPropertyDescriptor(Ctor.prototype, 'threadId')?.get;
    if (getter) threadIdOf = (w) => apply(getter, w, []) as number;
  }
  if (!view) {
    view = newShared();
    if (lastStarted)
      publishInvocation(view, lastStarted.requestId, lastStarted.functionArn, lastStarted.startTime ?? now());
  }
  setState(view, STATE_BOOTING);
  starts++;
  const data: WatcherData = {
    ...c.data,
    mark: WATCHER_MARK,
    shared: view.buffer,
    // Read here, not at start-up: the first read of \`performance\` loads perf_hooks (~1.3 MB on
    // Node 22, measured), which a function that never starts the watcher does not need.
    processStart: performance.timeOrigin,
    requestedAt: performance.timeOrigin + performance.now(),
  };
  // No options and no environment of its own: the sensor's preload (NODE_OPTIONS, execArgv)
  // stays out of it, so the file runs as the watcher, not as hooks.
  const w = new Ctor(c.sensorFile, {
    workerData: data,
    execArgv: [],
    env: {},
    resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 4 },
  });
  // Its errors are its own: reported through the heartbeat check, never thrown in the function.
  try {
    (w as unknown as { on(e: string, f: () => void): void }).on('error', () => undefined);
  } catch {
    // the heartbeat check still sees it
  }
  w.unref();
  worker = w;
  if (!wait) return;
  const state = waitWhileBooting(view, READY_WAIT_MS);
  if (state !== STATE_READY)
    notice(
      'warden.sensor.watcher-unavailable',
      "Warden's process watcher is not watching",
      state === STATE_BOOTING
        ? `the watcher did not take its first look within ${READY_WAIT_MS} ms (${reason}): the child process started before it`
        : `the watcher failed to start (${reason}): child processes are judged at their start only`,
      4,
    );
}

/** Starts the watcher if it is not running (before a child process or native code). Never throws. */
export function ensureWatcher(reason: string, wait = true): void {
  const c = config;
  if (!c || c.choice === 'off' || gaveUp) return;
  if (shared) {
    // The main thread's watcher: its first look is awaited like this thread's own would be; its
    // liveness is the main thread's to check (at every invocation's end).
    if (wait && view && stateOf(view) === STATE_BOOTING) waitWhileBooting(view, READY_WAIT_MS);
    return;
  }
  if (worker && alive()) {
    // Started without waiting (at start-up, or after a restart): the child waits for its first look.
    if (wait && view && stateOf(view) === STATE_BOOTING) waitWhileBooting(view, READY_WAIT_MS);
    return;
  }
  try {
    if (worker) {
      lost(`it had exited when ${reason} started`);
      if (gaveUp) return;
    }
    bypass(() => startWorker(reason, wait));
  } catch (e) {
    gaveUp = true;
    notice(
      'warden.sensor.watcher-unavailable',
      "Warden's process watcher could not start",
      `${(e as Error)?.message ?? String(e)} (${reason}): child processes are judged at their start only`,
      4,
    );
  }
}

function lost(why: string, context?: InvocationContext): void {
  const old = worker;
  worker = undefined;
  if (old) {
    try {
      bypass(() => (old as { terminate(): unknown }).terminate());
    } catch {
      // already gone
    }
  }
  const last = starts >= MAX_STARTS;
  if (last) gaveUp = true;
  notice(
    'warden.sensor.watcher-lost',
    "Warden's process watcher stopped",
    `the watcher thread stopped (${why})${last ? `; started ${starts} times, it is left off: child processes are judged at their start only` : '; it is started again'}`,
    4,
    context,
  );
}

/** Native code the hooks cannot see is loaded: the runtime's own sockets are the watcher's to judge too. */
export function nativeCodeLoaded(): void {
  if (!config || config.choice === 'off') return;
  ensureWatcher('a native addon');
  if (view) setOwnSockets(view);
}

/** The invocation that starts now (its findings name it), and where the heartbeat stood. */
export function watcherInvocationStarted(ctx: InvocationContext): void {
  lastStarted = ctx;
  if (!view) return;
  publishInvocation(view, ctx.requestId, ctx.functionArn, ctx.startTime ?? now());
  mainBeat(view);
  atStart = { beats: beats(view), time: now() };
}

/** The invocation's end: a watcher that exited or did not tick during it is reported and restarted. */
export function watcherInvocationEnded(ctx: InvocationContext): void {
  const v = view;
  if (!v || !worker || gaveUp) return;
  mainBeat(v);
  const start = atStart;
  atStart = undefined;
  if (!alive()) {
    lost('its thread exited', ctx);
    ensureWatcher('the next invocation', false);
    return;
  }
  if (start && stateOf(v) === STATE_READY && now() - start.time >= STALL_MS && beats(v) === start.beats) {
    lost(`no heartbeat for ${now() - start.time} ms`, ctx);
    ensureWatcher('the next invocation', false);
  }
}

/**
 * A child process the sensor judged and let start: the watcher leaves out its own report of the
 * same start (the sensor's finding stands), never its judgement (it still kills what it denies).
 */
export function sensorJudgedSpawn(ev: ProcessEvent): void {
  const v = view;
  if (!v) return;
  noteSensorSpawn(v, ev.argv);
  for (const c of ev.shellCommands ?? []) noteSensorSpawn(v, c.argv);
}

/**
 * The Worker hook, as the function makes a worker thread: the watcher starts now (without
 * waiting: the worker's first child waits for its first look), and its shared memory goes to the
 * worker's sensor, which then starts no watcher of its own. Undefined when there is none to share.
 */
export function watcherForWorker(): SharedArrayBuffer | undefined {
  const c = config;
  if (!c || c.choice === 'off' || gaveUp) return undefined;
  if (!shared) ensureWatcher('a worker thread', false);
  return view && (shared || worker) ? view.buffer : undefined;
}

/** A function's worker thread: the watcher the thread that made it shares (see watcherForWorker). */
export function shareWatcher(buffer: SharedArrayBuffer): void {
  view = viewOf(buffer);
  shared = true;
}

/** Where the watcher stands, for the sensor's stats. */
export function watcherStatus(): 'off' | 'not started' | 'starting' | 'watching' | 'stopped' | 'failed' {
  if (!config || config.choice === 'off') return 'off';
  if (shared && view) {
    const state = stateOf(view);
    return state === STATE_READY ? 'watching' : state === STATE_FAILED ? 'failed' : 'starting';
  }
  if (gaveUp) return 'failed';
  if (!worker || !view) return starts > 0 ? 'stopped' : 'not started';
  if (!alive()) return 'stopped';
  return stateOf(view) === STATE_READY ? 'watching' : 'starting';
}
