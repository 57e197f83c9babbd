/**
 * Builtins hooked when they are first loaded rather than at start-up: loading `worker_threads`
 * (and the stream modules it pulls in) or `vm` only to wrap them would cost every cold start
 * a few milliseconds, for modules most functions never use. A pending patch runs the moment
 * anything can first get the module's exports: `require` (hooks/modules.ts wraps
 * `Module._load`), `process.getBuiltinModule`, and `import` (its resolve hook loads and patches
 * the module before Node builds the ES module facade, which copies the exports). Where imports
 * are not watched anyway (no `module.registerHooks` before Node 22.15; a policy that judges no
 * import: registering the hook only for this would slow every require; the modules hook
 * disabled or failed), `settleAll` patches every pending builtin at once.
 */
type Patch = (exports: Record<string, unknown>) => void;

/** The patches waiting for each builtin's first load, in the order they were asked for. */
const pending = new Map<string, Patch[]>();

/** A builtin's name without the `node:` scheme. */
export function bareName(request: string): string {
  return request.startsWith('node:') ? request.slice(5) : request;
}

function loadedAlready(name: string): boolean {
  const list = (process as unknown as { moduleLoadList?: string[] }).moduleLoadList;
  return !Array.isArray(list) || list.includes(`NativeModule ${name}`);
}

function patchNow(name: string, patches: readonly Patch[], exports?: unknown): void {
  pending.delete(name);
  let target = exports;
  if (target === undefined) {
    try {
      target = require(`node:${name}`);
    } catch {
      // A builtin this thread cannot load (trace_events in a worker): nothing can reach it here.
      return;
    }
  }
  for (const patch of patches) patch(target as Record<string, unknown>);
}

/**
 * Builtins never loaded ahead of use by `settleAll`: loading them prints an ExperimentalWarning
 * (node:sqlite on Node 22, node:wasi everywhere), which a function that never uses them must not
 * see, or costs a cold start milliseconds it may never need (crypto ~4 ms, tls and what loads
 * it ~10 ms on Node 24). Where imports are not watched, an `import` of one is not seen (README, Known
 * limits); require and process.getBuiltinModule are.
 */
const NOT_AHEAD = new Set([
  'sqlite',
  'wasi',
  'crypto',
  'tls',
  '_tls_common',
  'https',
  'http2',
  // They spawn through child_process, which is not in this list: loaded ahead, it is hooked
  // before either could use it (hooks/process.ts).
  'cluster',
  'test',
]);

/** Runs `patch` on the builtin's exports now if it is loaded, else when it first is. */
export function whenBuiltinLoaded(name: string, patch: Patch): void {
  if (loadedAlready(name)) patchNow(name, [patch]);
  else pending.set(name, [...(pending.get(name) ?? []), patch]);
}

/** Whether any builtin waits for its first load (then the load hooks are needed). */
export function builtinsPending(): boolean {
  return pending.size > 0;
}

/** After a load of `request` returned `exports`: patches them if that builtin was waiting. */
export function settleLoaded(request: unknown, exports: unknown): void {
  if (pending.size === 0 || typeof request !== 'string') return;
  const name = bareName(request);
  const patch = pending.get(name);
  if (patch && exports !== null && typeof exports === 'object') patchNow(name, patch, exports);
}

/** Before an import of `specifier`: a waiting builtin is loaded and patched first. */
export function settleBeforeImport(specifier: unknown): void {
  if (pending.size === 0 || typeof specifier !== 'string') return;
  const name = bareName(specifier);
  const patch = pending.get(name);
  if (patch) patchNow(name, patch);
}

/** Patches every waiting builtin now (where a first load could not be seen). */
export function settleAll(): void {
  for (const [name, patch] of [...pending]) if (!NOT_AHEAD.has(name)) patchNow(name, patch);
}
