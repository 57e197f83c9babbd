/**
 * The memory the sensor's main thread and its watcher thread share (one SharedArrayBuffer), so
 * neither depends on the other's event loop, nor on anything function code can reach:
 *  - the watcher's state (booting, ready, failed) and its heartbeat (a counter it bumps on
 *    every tick), which the main thread waits on and checks;
 *  - the last 8 invocations (request id, invoked ARN, start time; each slot under a sequence
 *    lock), which the main thread publishes at every start, so a watcher finding names the
 *    invocation its process started in;
 *  - the command lines the sensor judged at a child's start (hashed, the last 64), so the watcher
 *    does not report the same start twice;
 *  - whether the runtime's own sockets are the watcher's to judge (once native code that the
 *    sensor's hooks cannot see has been loaded, or the network hooks are off);
 *  - the main thread's heartbeat (bumped at each invocation's start and end).
 * Atomics and the typed-array constructors are taken when this module loads (the sensor's
 * start-up, before function code), so a function that replaces them later changes nothing here.
 */

const { load, store, add, wait, notify } = Atomics;
const Int32 = Int32Array;
const Uint8 = Uint8Array;
const Float64 = Float64Array;
const SAB = SharedArrayBuffer;
const { apply } = Reflect;
const { min, imul } = Math;
const charCodeAt = String.prototype.charCodeAt;
const fromCharCode = String.fromCharCode;

/** Tells a worker thread's sensor that its port's first message is the watcher's memory. */
export const SHARED_WATCHER_MARK = 'WARDEN_WATCHER_SHARED';
/** The key of that message (a worker's sensor takes only a message that carries it). */
export const SHARED_WATCHER_KEY = 'warden.watcher.shared';

export const STATE_BOOTING = 0;
export const STATE_READY = 1;
export const STATE_FAILED = 2;

const I_STATE = 0;
const I_BEAT = 1;
const I_OWN_SOCKETS = 2;
const I_MAIN_BEAT = 3;
const I_INVOCATIONS = 4;
const I_SPAWNS = 5;
/** The last invocations, each under its own sequence lock: [seq, id length, ARN length]. */
const SLOTS = 8;
const I_SLOT = 8;
/** The command lines (hashed) of the last child processes the sensor judged at their start. */
const SPAWN_RING = 64;
const I_SPAWN_RING = I_SLOT + SLOTS * 3;
const INTS = I_SPAWN_RING + SPAWN_RING;
const TIMES_AT = INTS * 4; // a multiple of 8
const ID_MAX = 128;
const ARN_MAX = 512;
const ID_AT = TIMES_AT + SLOTS * 8;
const ARN_AT = ID_AT + SLOTS * ID_MAX;
const SIZE = ARN_AT + SLOTS * ARN_MAX;

export interface SharedView {
  readonly buffer: SharedArrayBuffer;
  readonly ints: Int32Array;
  readonly times: Float64Array;
  readonly bytes: Uint8Array;
}

export function newShared(): SharedView {
  return viewOf(new SAB(SIZE));
}

export function viewOf(buffer: SharedArrayBuffer): SharedView {
  return {
    buffer,
    ints: new Int32(buffer, 0, INTS),
    times: new Float64(buffer, TIMES_AT, SLOTS),
    bytes: new Uint8(buffer),
  };
}

export function setState(v: SharedView, state: number): void {
  store(v.ints, I_STATE, state);
  notify(v.ints, I_STATE);
}

export function stateOf(v: SharedView): number {
  return load(v.ints, I_STATE);
}

/** Blocks the calling thread until the watcher leaves STATE_BOOTING, at most `ms`. */
export function waitWhileBooting(v: SharedView, ms: number): number {
  if (load(v.ints, I_STATE) === STATE_BOOTING) wait(v.ints, I_STATE, STATE_BOOTING, ms);
  return load(v.ints, I_STATE);
}

export function beat(v: SharedView): void {
  add(v.ints, I_BEAT, 1);
}

export function beats(v: SharedView): number {
  return load(v.ints, I_BEAT);
}

export function mainBeat(v: SharedView): void {
  add(v.ints, I_MAIN_BEAT, 1);
}

export function mainBeats(v: SharedView): number {
  return load(v.ints, I_MAIN_BEAT);
}

export function setOwnSockets(v: SharedView): void {
  store(v.ints, I_OWN_SOCKETS, 1);
}

export function ownSockets(v: SharedView): boolean {
  return load(v.ints, I_OWN_SOCKETS) === 1;
}

function putText(v: SharedView, at: number, max: number, text: string): number {
  const n = min(text.length, max);
  for (let i = 0; i < n; i++) {
    const c = apply(charCodeAt, text, [i]) as number;
    v.bytes[at + i] = c < 128 ? c : 63; // request ids and ARNs are ASCII; anything else is '?'
  }
  return n;
}

function getText(v: SharedView, at: number, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += fromCharCode(v.bytes[at + i]!);
  return out;
}

/** The main thread: the invocation that starts now (at `start`, ms since the epoch). */
export function publishInvocation(
  v: SharedView,
  requestId: string,
  arn: string | undefined,
  start: number,
): void {
  const slot = load(v.ints, I_INVOCATIONS) % SLOTS;
  const base = I_SLOT + slot * 3;
  add(v.ints, base, 1); // odd: being written
  v.times[slot] = start;
  store(v.ints, base + 1, putText(v, ID_AT + slot * ID_MAX, ID_MAX, requestId));
  store(v.ints, base + 2, arn ? putText(v, ARN_AT + slot * ARN_MAX, ARN_MAX, arn) : 0);
  add(v.ints, base, 1);
  add(v.ints, I_INVOCATIONS, 1);
}

export interface PublishedInvocation {
  requestId: string;
  arn?: string;
  start: number;
}

function readSlot(v: SharedView, slot: number): PublishedInvocation | undefined {
  const base = I_SLOT + slot * 3;
  for (let tries = 0; tries < 100; tries++) {
    const seq = load(v.ints, base);
    if (seq === 0) return undefined;
    if (seq % 2 === 1) continue;
    const start = v.times[slot]!;
    const requestId = getText(v, ID_AT + slot * ID_MAX, load(v.ints, base + 1));
    const arnLen = load(v.ints, base + 2);
    const arn = arnLen > 0 ? getText(v, ARN_AT + slot * ARN_MAX, arnLen) : undefined;
    if (load(v.ints, base) === seq) return arn ? { requestId, arn, start } : { requestId, start };
  }
  return undefined;
}

/**
 * The watcher: the invocation running at `time` (ms since the epoch): the last one that started
 * at or before it (undefined before the first).
 */
export function invocationAt(v: SharedView, time: number): PublishedInvocation | undefined {
  let best: PublishedInvocation | undefined;
  for (let slot = 0; slot < SLOTS; slot++) {
    const inv = readSlot(v, slot);
    if (inv && inv.start <= time && (!best || inv.start > best.start)) best = inv;
  }
  return best;
}

/**
 * A command line's hash (FNV-1a over its arguments, space-separated: a command inside a shell
 * string hashes as the process that runs it). Only ever used to leave out a finding the sensor
 * already made, never to let a process run.
 */
export function argvHash(argv: readonly string[]): number {
  let h = 0x811c9dc5;
  for (let a = 0; a < argv.length; a++) {
    if (a > 0) h = imul(h ^ 32, 0x01000193);
    const s = argv[a]!;
    for (let i = 0; i < s.length; i++) h = imul(h ^ (apply(charCodeAt, s, [i]) as number), 0x01000193);
  }
  return h | 0;
}

/** The main thread: a command line the sensor judged (a child process, or a command in its shell string). */
export function noteSensorSpawn(v: SharedView, argv: readonly string[]): void {
  const n = add(v.ints, I_SPAWNS, 1);
  store(v.ints, I_SPAWN_RING + (n % SPAWN_RING), argvHash(argv));
}

/** The watcher: whether the sensor judged a child with this command line at its start (lately). */
export function sensorSpawned(v: SharedView, argv: readonly string[]): boolean {
  const count = load(v.ints, I_SPAWNS);
  if (count === 0) return false;
  const h = argvHash(argv);
  const n = min(count, SPAWN_RING);
  for (let i = 0; i < n; i++) if (load(v.ints, I_SPAWN_RING + i) === h) return true;
  return false;
}
