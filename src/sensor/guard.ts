/**
 * Small tools every hook uses: the sensor's own I/O bypass, locking a hooked property so
 * function code can neither remove nor re-wrap it, and reaching Node's raw bindings.
 */
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

/** Replaces `obj[key]` with `value`, non-writable and non-configurable. Returns false if it could not. */
export function lock(obj: object, key: PropertyKey, value: unknown): boolean {
  try {
    const desc = Object.getOwnPropertyDescriptor(obj, key);
    if (desc && !desc.configurable) {
      if (!desc.writable) return false;
      (obj as Record<PropertyKey, unknown>)[key] = value;
      Object.defineProperty(obj, key, { writable: false });
      return true;
    }
    Object.defineProperty(obj, key, {
      value,
      writable: false,
      configurable: false,
      enumerable: desc ? desc.enumerable : false,
    });
    return true;
  } catch {
    return false;
  }
}

type AnyFn = (...args: unknown[]) => unknown;

/**
 * Wraps a function with a Proxy so name, length, toString, prototype and statics stay the
 * original's; `before` runs first and may throw to refuse the call.
 */
export function wrapCall<F extends Function>(
  target: F,
  apply: (orig: AnyFn, thisArg: unknown, args: unknown[]) => unknown,
): F {
  return new Proxy(target, {
    apply(t, thisArg, args: unknown[]) {
      return apply(t as unknown as AnyFn, thisArg, args);
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
): boolean {
  const orig = (owner as Record<PropertyKey, unknown>)[name];
  if (typeof orig !== 'function') return false;
  return lock(owner, name, wrapCall(orig, apply));
}

export function wrapConstruct<F extends Function>(
  target: F,
  handlers: {
    construct?: (args: unknown[]) => void;
    apply?: (args: unknown[]) => void;
  },
): F {
  const proxy: F = new Proxy(target, {
    construct(t, args: unknown[], newTarget) {
      handlers.construct?.(args);
      const ctor = t as unknown as new (...a: unknown[]) => object;
      // `new Wrapped()`: construct as the original (same prototype), which keeps V8's fast path.
      return newTarget === proxy ? Reflect.construct(ctor, args) : Reflect.construct(ctor, args, newTarget);
    },
    apply(t, thisArg, args: unknown[]) {
      (handlers.apply ?? handlers.construct)?.(args);
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
    b = proc.binding?.(name);
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
  if (!binding) return;
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
