/**
 * Small tools every hook uses: the sensor's own I/O bypass, locking a hooked property so
 * function code can neither remove nor re-wrap it, and reaching Node's raw bindings.
 */
import type { Surface } from '../events/types';
import { isIssuedBlock } from './errors';

let bypassDepth = 0;

/** Runs the sensor's own I/O (policy read, findings file) without judging it. */
export function bypass<T>(fn: () => T): T {
  bypassDepth++;
  try {
    return fn();
  } finally {
    bypassDepth--;
  }
}

export function inBypass(): boolean {
  return bypassDepth > 0;
}

const hasOwn = Object.prototype.hasOwnProperty;
const defineProperty = Object.defineProperty;

/**
 * Replaces `obj[key]` with `value` so that function code can neither replace nor remove it on
 * `obj`, while everything else behaves as in plain Node. Returns false if it could not.
 *
 * A non-writable data property would do the first half, but it also makes a plain assignment
 * of the same name on any object *derived* from `obj` fail (in strict code a TypeError: the
 * "override mistake"), and Node and npm code do that: axios assigns `constructor` on a
 * function, dgram assigns `handle.connect = handle.connect6` on a UDP handle. So the property
 * becomes a non-configurable accessor (the cure SES uses for frozen intrinsics):
 * - reading it gives `value`;
 * - assigning it on `obj` itself throws the TypeError that strict code gets for a read-only
 *   property (V8's message), and the hook stays;
 * - assigning it on a derived object gives that object an own data property, as plain Node
 *   would; on an object that copied the accessor itself (`Object.defineProperties(copy,
 *   Object.getOwnPropertyDescriptors(obj))`), the copy reads back what was assigned to it.
 * A property that is already non-configurable but writable cannot become an accessor: it is
 * made non-writable (the override mistake remains for that rare case).
 */
export function lock(obj: object, key: PropertyKey, value: unknown): boolean {
  try {
    const desc = Object.getOwnPropertyDescriptor(obj, key);
    if (desc && !desc.configurable) {
      if (!desc.writable) return false;
      (obj as Record<PropertyKey, unknown>)[key] = value;
      defineProperty(obj, key, { writable: false });
      return true;
    }
    return lockAccessor(obj, key, () => value, desc);
  } catch {
    return false;
  }
}

/**
 * `lock` for a property whose value is computed at each read (`read()`: the global `eval`,
 * handed out as the real one or the judging one). The same accessor semantics as `lock`.
 */
export function lockAccessor(
  obj: object,
  key: PropertyKey,
  read: () => unknown,
  desc: PropertyDescriptor | undefined = Object.getOwnPropertyDescriptor(obj, key),
): boolean {
  try {
    // Values assigned on objects that carry a copy of this accessor, by object.
    let copies: WeakMap<object, { value: unknown }> | undefined;
    defineProperty(obj, key, {
      get(this: unknown) {
        if (
          copies !== undefined &&
          this !== obj &&
          (typeof this === 'object' || typeof this === 'function')
        ) {
          const own = copies.get(this as object);
          if (own !== undefined) return own.value;
        }
        return read();
      },
      set(this: unknown, next: unknown) {
        if (this === obj)
          throw new TypeError(`Cannot assign to read only property '${String(key)}' of ${describe(obj)}`);
        if (this === null || (typeof this !== 'object' && typeof this !== 'function')) return;
        if (hasOwn.call(this, key)) {
          // Only an own accessor that is this one reaches here: a copy of it.
          copies ??= new WeakMap();
          copies.set(this as object, { value: next });
          return;
        }
        defineProperty(this, key, { value: next, writable: true, enumerable: true, configurable: true });
      },
      configurable: false,
      enumerable: desc ? desc.enumerable : false,
    });
    return true;
  } catch {
    return false;
  }
}

/** How V8 names an object in its read-only assignment message. */
function describe(obj: object): string {
  if (typeof obj === 'function') return `function '${(obj as { name?: string }).name ?? ''}'`;
  const name = (obj as { constructor?: { name?: unknown } }).constructor?.name;
  return `object '#<${typeof name === 'string' && name ? name : 'Object'}>'`;
}

type AnyFn = (...args: unknown[]) => unknown;

/** What a hook guards, for the fault barrier's decision (see `setFaultPolicy`). */
export interface FaultSite {
  surface: Surface;
  /** The operation when the hook knows it (files: read / write; code: eval, native…). */
  op?: string;
  api: string;
}

/**
 * What the barrier does with a fault of the sensor's own inside a hook: reports it and returns
 * the error to refuse the call with, or undefined to let the call go through as if unhooked.
 */
type FaultPolicy = (site: FaultSite | undefined, e: unknown) => Error | undefined;
let onFault: FaultPolicy = () => undefined;

export function setFaultPolicy(fn: FaultPolicy): void {
  onFault = fn;
}

/** Errors a hook got from Node on the caller's behalf (see `theCallsOwn`). */
const callOutcomes = new WeakSet<object>();

/**
 * Marks an error as the call's own outcome: one a hook got from Node doing the call's work for
 * it (a read's open made by the sensor so the opened file can be judged: ENOENT is the caller's
 * answer, not a fault). The barrier passes it to the caller unchanged.
 */
export function theCallsOwn<E>(e: E): E {
  if ((typeof e === 'object' && e !== null) || typeof e === 'function') callOutcomes.add(e as object);
  return e;
}

/** What reaches the caller through the barrier unchanged: an issued block, or the call's own error. */
function passesBarrier(e: unknown): boolean {
  return isIssuedBlock(e) || (typeof e === 'object' && e !== null && callOutcomes.has(e));
}

const NOT_CALLED = 0;
const RETURNED = 1;
const THREW = 2;

/**
 * The fault barrier at the hook boundary. `hook` does the sensor's work (building the event,
 * resolving paths, parsing, attribution, judgement, reporting) and calls the original through
 * the function it is handed. Whatever that original throws (its own error, or a callback's it
 * ran) reaches the caller unchanged, and so does an error the sensor issued to refuse the call;
 * anything else thrown in the hook is the sensor's fault: reported, and then the call is either
 * refused (`setFaultPolicy` decides: in enforce mode where the policy could deny or a rule block,
 * or under failClosed) or
 * completes as it would unhooked — the original's result if it already ran, else the original
 * called now. A fault never reaches the caller as itself.
 */
export function runHook(
  target: Function,
  thisArg: unknown,
  args: unknown[],
  hook: (orig: AnyFn, thisArg: unknown, args: unknown[]) => unknown,
  site: FaultSite | undefined,
): unknown {
  let called = NOT_CALLED;
  let result: unknown;
  let thrown: unknown;
  const orig = function (this: unknown) {
    try {
      // biome-ignore lint/complexity/noArguments: forwards the call exactly, without a rest array
      result = Reflect.apply(target, this, arguments as unknown as unknown[]);
      called = RETURNED;
      return result;
    } catch (e) {
      called = THREW;
      thrown = e;
      throw e;
    }
  } as AnyFn;
  try {
    return hook(orig, thisArg, args);
  } catch (e) {
    if ((called === THREW && e === thrown) || passesBarrier(e)) throw e;
    const refusal = onFault(site, e);
    if (refusal) throw refusal;
    if (called === THREW) throw thrown;
    if (called === RETURNED) return result;
    return Reflect.apply(target, thisArg, args);
  }
}

/**
 * Wraps a function with a Proxy so name, length, toString, prototype and statics stay the
 * original's; `apply` runs inside the fault barrier (`runHook`) and may throw an issued block
 * to refuse the call.
 */
export function wrapCall<F extends Function>(
  target: F,
  apply: (orig: AnyFn, thisArg: unknown, args: unknown[]) => unknown,
  site?: FaultSite,
): F {
  return new Proxy(target, {
    apply(t, thisArg, args: unknown[]) {
      return runHook(t, thisArg, args, apply, site);
    },
  });
}

/**
 * Hooks `owner[name]` if it is a function: wraps it (see `wrapCall`) and locks it in place.
 * Returns false when there is nothing to hook or it could not be locked.
 */
export function hookMethod(
  owner: object,
  name: PropertyKey,
  apply: (orig: AnyFn, thisArg: unknown, args: unknown[]) => unknown,
  site?: FaultSite,
): boolean {
  const orig = (owner as Record<PropertyKey, unknown>)[name];
  if (typeof orig !== 'function') return false;
  return lock(owner, name, wrapCall(orig, apply, site));
}

/**
 * Hooks a public module's export `owner[name]` (see `wrapCall`) and leaves it as assignable as
 * it was: function code and test doubles may still replace it (a replacement reaches only what
 * the hooked function reached: the original is held here alone). For the public entry points
 * hooked where Node refuses their bindings (hooks/api-fallback.ts); returns false when there
 * is nothing to hook.
 */
export function hookExport(
  owner: object,
  name: PropertyKey,
  apply: (orig: AnyFn, thisArg: unknown, args: unknown[]) => unknown,
  site?: FaultSite,
): boolean {
  const desc = Object.getOwnPropertyDescriptor(owner, name);
  if (!desc || typeof desc.value !== 'function' || (!desc.writable && !desc.configurable)) return false;
  try {
    defineProperty(owner, name, { ...desc, value: wrapCall(desc.value as AnyFn, apply, site) });
    return true;
  } catch {
    return false;
  }
}

/** Runs a hook that only looks before the call, inside the fault barrier (see `runHook`). */
function before(
  look: ((args: unknown[]) => void) | undefined,
  args: unknown[],
  site: FaultSite | undefined,
): void {
  if (!look) return;
  try {
    look(args);
  } catch (e) {
    if (passesBarrier(e)) throw e;
    const refusal = onFault(site, e);
    if (refusal) throw refusal;
  }
}

export function wrapConstruct<F extends Function>(
  target: F,
  handlers: {
    construct?: (args: unknown[]) => void;
    apply?: (args: unknown[]) => void;
    /** After `new`: the object made (a fault here is reported, never thrown: the object exists). */
    constructed?: (made: object) => void;
  },
  site?: FaultSite,
): F {
  const proxy: F = new Proxy(target, {
    construct(t, args: unknown[], newTarget) {
      before(handlers.construct, args, site);
      const ctor = t as unknown as new (...a: unknown[]) => object;
      // `new Wrapped()`: construct as the original (same prototype), which keeps V8's fast path.
      const made =
        newTarget === proxy ? Reflect.construct(ctor, args) : Reflect.construct(ctor, args, newTarget);
      if (handlers.constructed) {
        try {
          handlers.constructed(made);
        } catch (e) {
          onFault(site, e);
        }
      }
      return made;
    },
    apply(t, thisArg, args: unknown[]) {
      before(handlers.apply ?? handlers.construct, args, site);
      return Reflect.apply(t as unknown as AnyFn, thisArg, args);
    },
  });
  return proxy;
}

type Binding = Record<string, unknown>;
const bindingCache = new Map<string, Binding | undefined>();

/**
 * `process.binding(name)`: for the allow-listed modules this is the very object Node's own
 * modules use, so hooking it covers both the public APIs and raw binding access. Undefined
 * where the runtime refuses (permission model) or lacks the module.
 */
export function rawBinding(name: string): Binding | undefined {
  if (bindingCache.has(name)) return bindingCache.get(name);
  let b: Binding | undefined;
  const proc = process as unknown as { binding?: (n: string) => Binding; emitWarning: AnyFn };
  const warn = proc.emitWarning;
  try {
    proc.emitWarning = () => undefined; // DEP0111 is for users, not for the sensor
    b = bypass(() => proc.binding?.(name)); // not function code reaching past the hooks
  } catch {
    b = undefined;
  } finally {
    proc.emitWarning = warn;
  }
  bindingCache.set(name, b);
  return b;
}

let ownerSymbol: symbol | undefined;

/**
 * The JS object (net.Socket, dgram.Socket, ChildProcess) that owns a binding handle: Node
 * keeps it under its internal `owner_symbol`, found once by description. Undefined for a raw
 * handle nobody owns.
 */
export function handleOwner(handle: object): Record<string, unknown> | undefined {
  ownerSymbol ??= Object.getOwnPropertySymbols(handle).find((s) => s.description === 'owner_symbol');
  return ownerSymbol
    ? (handle as Record<symbol, Record<string, unknown> | undefined>)[ownerSymbol]
    : undefined;
}

let realpathFn: ((p: string, encoding: string) => unknown) | undefined;

/**
 * Keeps the fs binding's `realpath` and `access` as they are at start-up, locked: the sensor
 * resolves paths and executables with them (`fs.realpathSync.native` and `fs.accessSync` look
 * them up at call time), and function code replacing them must not change what the sensor
 * thinks a path is. Called before any function code runs.
 */
export function keepRealpath(): void {
  const binding = rawBinding('fs');
  if (!binding) {
    // Node refuses the binding (permission model): the public function, as it is now.
    const native = (require('node:fs') as typeof import('node:fs')).realpathSync.native;
    realpathFn = (p, encoding) => native(p, encoding as BufferEncoding);
    return;
  }
  const fn = binding.realpath;
  if (typeof fn === 'function') {
    realpathFn = (p, encoding) => fn.call(binding, p, encoding);
    lock(binding, 'realpath', fn);
  }
  if (typeof binding.access === 'function') lock(binding, 'access', binding.access);
}

/** realpath(3) of `p`, or undefined when it does not resolve. */
export function realpathOf(p: string): string | undefined {
  try {
    const r = realpathFn ? realpathFn(p, 'utf8') : require('node:fs').realpathSync.native(p);
    return typeof r === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}
