/**
 * Module loads: CommonJS through `Module._load` (what `require`, `module.require` and
 * `createRequire` all reach), ES modules through `module.registerHooks` where Node has it
 * (22.15+, 24), in the loading thread. The event names the builtin (`child_process`) or the
 * package (`lodash`) or the path, and the package that asked for it.
 */
import { builtinModules } from 'node:module';
import {
  captureStack,
  claimScriptName,
  noteOffThreadLoader,
  packageOfFile,
  type StackHolder,
} from '../attribution';
import { bareName, builtinsPending, settleAll, settleBeforeImport, settleLoaded } from '../builtin-watch';
import { hookMethod, inBypass, lock, wrapCall } from '../guard';
import { dataUrlSource } from '../preloads';
import { check, getState, reportFault } from '../report';

const builtins = new Set(builtinModules);

/** The module name a policy sees: `fs` for `node:fs`, `@scope/pkg` for `@scope/pkg/sub`. */
export function moduleName(request: unknown): string {
  // Node refuses a request that is not a string by itself: nothing to name.
  if (typeof request !== 'string') return `(${typeof request})`;
  const bare = bareName(request);
  if (builtins.has(bare) || builtins.has(bare.split('/')[0]!)) return bare;
  if (bare.startsWith('.') || bare.startsWith('/') || bare.startsWith('file:')) {
    return packageOfFile(bare) ?? bare;
  }
  const parts = bare.split('/');
  return parts[0]!.startsWith('@') && parts[1] ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/**
 * Module loads: `Module._load` for require (when the policy has module rules, or a builtin
 * waits to be hooked on first load, see builtin-watch.ts), and, where Node has in-thread hooks
 * (`module.registerHooks`, 22.15+), `import` too, including `data:` URLs, which are code from a
 * string (judged like eval when the policy judges eval).
 */
export function installModuleHooks(): void {
  const state = getState();
  if (!state) return;
  const Module = require('node:module') as unknown as Record<string, unknown> & {
    registerHooks?: (hooks: { resolve?: Function }) => unknown;
  };
  hookLoaderHooks(Module);
  const judgeModules = !state.policy.modules.allowsAll;
  const judgeDataUrls = state.policy.policy.code.eval !== 'allow' || state.policy.restrictsPackages;
  // A waiting builtin could be reached by an import unseen without an import hook; one is
  // registered only when imports are judged anyway: once registered, the hook is on the path of
  // every require too (Node resolves CommonJS through it, ~20 µs a module, measured), which costs
  // a require-heavy cold start more than loading worker_threads and vm now does.
  if (builtinsPending() && (!(judgeModules || judgeDataUrls) || typeof Module.registerHooks !== 'function'))
    settleAll();
  const settle = (request: unknown, exports: unknown) => {
    if (!builtinsPending()) return;
    try {
      settleLoaded(request, exports);
    } catch (e) {
      reportFault('builtin hooks', e);
    }
  };
  if (judgeModules || builtinsPending()) {
    const load = Module._load as Function;
    lock(
      Module,
      '_load',
      wrapCall(load, (fn, self, args) => {
        if (judgeModules && !inBypass() && typeof args[0] === 'string') {
          const err = check({ surface: 'code', op: 'module', api: 'require', target: moduleName(args[0]) });
          if (err) throw err;
        }
        const exports = fn.apply(self, args);
        settle(args[0], exports);
        return exports;
      }),
    );
  }
  const getBuiltin = (process as unknown as { getBuiltinModule?: Function }).getBuiltinModule;
  if (builtinsPending() && typeof getBuiltin === 'function') {
    lock(
      process,
      'getBuiltinModule',
      wrapCall(getBuiltin, (fn, self, args) => {
        const exports = fn.apply(self, args);
        settle(args[0], exports);
        return exports;
      }),
    );
  }
  // With nothing to judge, an import hook would be pure cost on every module (builtins still
  // waiting here have one: they were settled above otherwise).
  if ((!judgeModules && !judgeDataUrls) || typeof Module.registerHooks !== 'function') return;
  Module.registerHooks({
    resolve(specifier: string, context: unknown, next: (s: string, c: unknown) => unknown) {
      if (builtinsPending()) {
        try {
          settleBeforeImport(specifier);
        } catch (e) {
          reportFault('builtin hooks', e);
        }
      }
      if (!inBypass() && typeof specifier === 'string') {
        if (judgeDataUrls && specifier.startsWith('data:')) {
          const source = dataUrlSource(specifier);
          const err = check({
            surface: 'code',
            op: 'eval',
            api: 'import(data:)',
            target: source.slice(0, 400),
            length: source.length,
          });
          if (err) throw err;
        } else if (judgeModules) {
          const err = check({ surface: 'code', op: 'module', api: 'import', target: moduleName(specifier) });
          if (err) throw err;
        }
      }
      return next(specifier, context);
    },
  });
}

type LoadHook = (url: string, context: unknown, next: (url: string, context?: unknown) => unknown) => unknown;

/** The source a load result carries (string, Buffer or typed array), as text for judgement. */
function sourceText(result: unknown): string | undefined {
  const source = (result as { source?: unknown } | null | undefined)?.source;
  if (typeof source === 'string') return source;
  if (source instanceof Uint8Array)
    return Buffer.from(source.buffer, source.byteOffset, source.byteLength).toString('utf8');
  if (source instanceof ArrayBuffer) return Buffer.from(source).toString('utf8');
  return undefined;
}

/**
 * Loader hooks hand Node the source of any module under any URL: code from a string, judged
 * like eval (`code.eval`) when the source is not what the file held (what the next hook
 * returned), attributed to the package that registered the hooks. `module.register` runs its
 * hooks in another thread, where their source cannot be seen: registering one is judged so.
 * (Frames of such code are not the file's either: attribution.ts proves each frame's code.)
 */
function hookLoaderHooks(Module: Record<string, unknown>): void {
  hookMethod(
    Module,
    'registerHooks',
    (fn, self, args) => {
      const hooks = args[0] as { load?: unknown } | null | undefined;
      if (!hooks || typeof hooks !== 'object' || typeof hooks.load !== 'function' || inBypass())
        return fn.apply(self, args);
      const registrant = captureStack();
      const load = hooks.load as LoadHook;
      const judged: LoadHook = (url, context, next) => {
        let fromNext: unknown;
        let nextCalled = false;
        const result = load(url, context, (u, c) => {
          nextCalled = true;
          fromNext = next(u, c);
          return fromNext;
        });
        const source = sourceText(result);
        if (source !== undefined && !(nextCalled && sourceText(fromNext) === source)) {
          // Node compiles it under the URL, or a CommonJS module under its path.
          claimScriptName(url);
          if (url.startsWith('file://')) claimScriptName(fileUrlPath(url));
          judgeLoaderSource('module.registerHooks load', url, source, registrant);
        }
        return result;
      };
      return fn.apply(self, [{ ...hooks, load: judged }, ...args.slice(1)]);
    },
    { surface: 'code', op: 'eval', api: 'module.registerHooks' },
  );
  hookMethod(
    Module,
    'register',
    (fn, self, args) => {
      if (!inBypass())
        judgeLoaderSource('module.register', String(args[0]), `module.register(${String(args[0])})`);
      noteOffThreadLoader();
      return fn.apply(self, args);
    },
    { surface: 'code', op: 'eval', api: 'module.register' },
  );
}

function fileUrlPath(url: string): string {
  try {
    return (require('node:url') as typeof import('node:url')).fileURLToPath(url);
  } catch {
    return url;
  }
}

function judgeLoaderSource(api: string, url: string, source: string, stack?: StackHolder): void {
  const err = check(
    { surface: 'code', op: 'eval', api, target: `${url}: ${source.slice(0, 400)}`, length: source.length },
    { ...(stack ? { stack } : {}), codeSource: source },
  );
  if (err) throw err;
}
