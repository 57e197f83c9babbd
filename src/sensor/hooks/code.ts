/**
 * Code: strings compiled to code (Function and its async/generator siblings, eval when the
 * policy judges it, every vm entry point and the contextify binding behind them),
 * WebAssembly compilation, native addons (process.dlopen) and worker threads.
 */
import path = require('node:path');

import type { CodeEvent } from '../../events/types';
import type { Mode } from '../../policy/types';
import { SHARED_WATCHER_KEY, SHARED_WATCHER_MARK } from '../../watcher/shared';
import { calledByNode, claimScriptName } from '../attribution';
import { whenBuiltinLoaded } from '../builtin-watch';
import {
  bypass,
  hookMethod,
  inBypass,
  lock,
  lockAccessor,
  rawBinding,
  realpathOf,
  theCallsOwn,
  wrapCall,
  wrapConstruct,
} from '../guard';
import { judgePreloads, loadsSensorFirst, nodeOptionsArgs } from '../preloads';
import { check, getState } from '../report';
import { nativeCodeLoaded, watcherForWorker } from '../watcher';
import { installInspectorHooks } from './inspector';

const EXCERPT = 400;

function codeEvent(op: CodeEvent['op'], api: string, source: string): CodeEvent {
  return {
    surface: 'code',
    op,
    api,
    target: source.length > EXCERPT ? source.slice(0, EXCERPT) : source,
    ...(source.length > EXCERPT ? { length: source.length } : {}),
  };
}

/**
 * Which kinds the policy can say anything but `allow` to. A kind that is always allowed is not
 * even turned into an event: the hooks stay in place (they cannot be removed, and a policy
 * reload in a child or worker may judge them) but cost next to nothing.
 */
const judging = { eval: true, wasm: true, workers: true };

/**
 * The detectors want generated code only while the invocation's input looks like code (what
 * code injection and deserialization need to fire): otherwise a policy that allows eval
 * leaves Function / vm at full speed.
 */
let codeInput: () => boolean = () => false;

function judgingGenerated(): boolean {
  return judging.eval || codeInput();
}

function judge(ev: CodeEvent, source?: string): void {
  if (inBypass()) return;
  if ((ev.op === 'eval' || ev.op === 'function' || ev.op === 'vm') && !judgingGenerated()) return;
  if (ev.op === 'wasm' && !judging.wasm) return;
  if (ev.op === 'worker' && !judging.workers) return;
  const err = check(ev, source !== undefined && source.length > EXCERPT ? { codeSource: source } : undefined);
  if (err) throw err;
}

/** Judges generated code: the event carries an excerpt, the detectors get the whole source. */
function judgeSource(op: CodeEvent['op'], api: string, source: string): void {
  judge(codeEvent(op, api, source), source);
}

/** Strings the Function constructors compile: parameters and body, as V8 will join them. */
function functionSource(args: unknown[]): string {
  const strs = args.map((a) => `${a as string}`);
  const body = strs.pop() ?? '';
  return strs.length ? `(${strs.join(',')}) => { ${body} }` : body;
}

function hookFunctionConstructors(): void {
  const ctors: [Function, string][] = [
    [Function, 'Function'],
    [Object.getPrototypeOf(async () => {}).constructor as Function, 'AsyncFunction'],
    [Object.getPrototypeOf(function* () {}).constructor as Function, 'GeneratorFunction'],
    [Object.getPrototypeOf(async function* () {}).constructor as Function, 'AsyncGeneratorFunction'],
  ];
  for (const [ctor, name] of ctors) {
    const wrapped = wrapConstruct(
      ctor,
      {
        construct(args) {
          if (!judgingGenerated()) return;
          // Convert once, as V8 would, so a toString side effect does not run twice; what the
          // conversion throws is what the constructor would have thrown.
          try {
            for (let i = 0; i < args.length; i++) args[i] = `${args[i] as string}`;
          } catch (e) {
            throw theCallsOwn(e);
          }
          judgeSource('function', `new ${name}`, functionSource(args));
        },
      },
      { surface: 'code', op: 'function', api: `new ${name}` },
    );
    lock(ctor.prototype as object, 'constructor', wrapped);
    if (name === 'Function') lock(globalThis, 'Function', wrapped);
  }
}

/**
 * eval can only be observed by replacing it, which turns direct eval into indirect eval
 * (global scope). So it is hooked only when the policy can judge it (code.eval not `allow`,
 * or per-package capabilities); `Function` and `vm` are always hooked.
 */
function hookEval(): void {
  lock(globalThis, 'eval', wrappedEval(globalThis.eval));
}

function wrappedEval(orig: typeof eval): typeof eval {
  return wrapCall(
    orig,
    (fn, self, args) => {
      if (typeof args[0] === 'string') judgeSource('eval', 'eval', args[0]);
      return fn.apply(self, args);
    },
    { surface: 'code', op: 'eval', api: 'eval' },
  );
}

/**
 * For the detectors, when the policy does not judge eval (enforce mode only): the global `eval`
 * becomes an accessor that hands out the real eval (direct eval keeps its semantics) except
 * during an invocation whose input looks like code or a serialized function, which gets the
 * judging wrapper (and indirect-eval semantics, for that invocation only).
 */
function watchEvalWhen(active: () => boolean): void {
  const real = globalThis.eval;
  const wrapped = wrappedEval(real);
  defineEvalAccessor(() => (active() ? wrapped : real));
}

/** What a monitor-mode eval event names as its source: the real eval runs, unseen. */
export const UNSEEN_EVAL_SOURCE = '(direct eval: its source is not seen in monitor mode)';

/**
 * Monitor mode: eval is never replaced (a replacement turns direct eval into indirect eval,
 * which changes what the code sees). `eval` hands out the real eval and each reference to it is
 * judged as an eval whose source is unseen: the package that used it is still reported.
 */
function observeEvalReferences(): void {
  const real = globalThis.eval;
  const ev = codeEvent('eval', 'eval', UNSEEN_EVAL_SOURCE);
  defineEvalAccessor(() => {
    if (judgingGenerated() && !inBypass()) {
      try {
        check(ev); // monitor mode: never refuses
      } catch {
        // check does not throw; the real eval is handed out whatever happens
      }
    }
    return real;
  });
}

/** The global `eval` as an accessor, locked like every hook (see guard.ts `lockAccessor`). */
function defineEvalAccessor(get: () => typeof eval): void {
  // Not redefinable here (another agent locked it): generated code from eval is not seen.
  lockAccessor(globalThis, 'eval', get);
}

/**
 * `Module.prototype._compile(source, filename)` compiles any string as a CommonJS module.
 * Node's own code calls it with a file's content (the loader, `node -e`); any other caller
 * (function code handing it a string) is generating code, judged like eval when the policy
 * judges eval (then locked, with the eval hook). Always: a name the loader never compiles (the
 * sensor's file, one of Node's modules) is claimed, so frames bearing it prove nothing
 * (attribution.ts). Left assignable when not judging (tools replace it, v8-compile-cache):
 * whoever replaces it loses the only way to the real one.
 */
function hookModuleCompile(judge: boolean): void {
  const Module = require('node:module') as unknown as { prototype: Record<string, unknown> };
  const wrapped = wrapCall(
    Module.prototype._compile as Function,
    (fn, self, args) => {
      claimScriptName(args[1], true);
      if (judge && typeof args[0] === 'string' && !calledByNode()) {
        claimScriptName(args[1]);
        judgeSource('eval', 'Module.prototype._compile', args[0]);
      }
      return fn.apply(self, args);
    },
    { surface: 'code', op: 'eval', api: 'Module.prototype._compile' },
  );
  if (judge) lock(Module.prototype, '_compile', wrapped);
  else Module.prototype._compile = wrapped;
}

/** Where each vm entry point takes the script's name: argument index, and the option naming it. */
const NAME_ARGUMENT: Record<string, [number, string]> = {
  'vm.runInThisContext': [1, 'filename'],
  'vm.runInContext': [2, 'filename'],
  'vm.runInNewContext': [2, 'filename'],
  'vm.compileFunction': [2, 'filename'],
  'vm.Script': [1, 'filename'],
  'vm.SourceTextModule': [1, 'identifier'],
  'contextify.ContextifyScript': [1, ''],
  'contextify.compileFunction': [1, ''],
};

/** The name code from a string is compiled under: claimed, so frames bearing it prove nothing. */
function claimName(api: string, args: unknown[]): void {
  const where = NAME_ARGUMENT[api];
  if (!where) return;
  const arg = args[where[0]];
  if (typeof arg === 'string') claimScriptName(arg);
  else if (where[1] && arg && typeof arg === 'object') {
    try {
      claimScriptName((arg as Record<string, unknown>)[where[1]]);
    } catch {
      // a throwing getter: vm reads it too and fails
    }
  }
}

function hookVm(): void {
  const first = (api: string) => (args: unknown[]) => {
    claimName(api, args);
    judgeSource('vm', api, typeof args[0] === 'string' ? args[0] : String(args[0] ?? ''));
  };
  whenBuiltinLoaded('vm', (vm) => {
    for (const name of ['runInContext', 'runInNewContext', 'runInThisContext', 'compileFunction']) {
      const onCall = first(`vm.${name}`);
      hookMethod(
        vm,
        name,
        (fn, self, args) => {
          onCall(args);
          return fn.apply(self, args);
        },
        { surface: 'code', op: 'vm', api: `vm.${name}` },
      );
    }
    for (const name of ['Script', 'SourceTextModule']) {
      const orig = vm[name];
      if (typeof orig !== 'function') continue;
      lock(
        vm,
        name,
        wrapConstruct(
          orig as Function,
          { construct: first(`vm.${name}`) },
          { surface: 'code', op: 'vm', api: `vm.${name}` },
        ),
      );
    }
  });
  // Raw binding use: vm keeps its own reference, so these only see direct callers.
  const contextify = rawBinding('contextify');
  if (contextify) {
    if (typeof contextify.ContextifyScript === 'function') {
      lock(
        contextify,
        'ContextifyScript',
        wrapConstruct(
          contextify.ContextifyScript as Function,
          { construct: first('contextify.ContextifyScript') },
          { surface: 'code', op: 'vm', api: 'contextify.ContextifyScript' },
        ),
      );
    }
    if (typeof contextify.compileFunction === 'function') {
      lock(
        contextify,
        'compileFunction',
        wrapCall(
          contextify.compileFunction as Function,
          (fn, self, args) => {
            first('contextify.compileFunction')(args);
            return fn.apply(self, args);
          },
          { surface: 'code', op: 'vm', api: 'contextify.compileFunction' },
        ),
      );
    }
  }
}

const WA = (
  globalThis as unknown as { WebAssembly: Record<string, unknown> & { Module: new (b: unknown) => object } }
).WebAssembly;

function wasmSize(v: unknown): string {
  if (v instanceof ArrayBuffer) return `${v.byteLength} bytes`;
  if (ArrayBuffer.isView(v)) return `${v.byteLength} bytes`;
  if (v instanceof WA.Module) return 'precompiled module';
  return 'streamed response';
}

/** Modules compiled through the hooked entry points (judged there): instantiating one is not judged again. */
const judgedModules = new WeakSet<object>();

function rememberModule(result: unknown): void {
  if (!result || typeof result !== 'object') return;
  const m = result instanceof WA.Module ? result : (result as { module?: unknown }).module;
  if (m && typeof m === 'object') judgedModules.add(m);
}

function hookWasm(): void {
  const W = WA;
  for (const name of ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming']) {
    hookMethod(
      W,
      name,
      (fn, self, args) => {
        const precompiled = args[0] instanceof WA.Module;
        if (!(name === 'instantiate' && precompiled && judgedModules.has(args[0] as object))) {
          const ev = codeEvent('wasm', `WebAssembly.${name}`, `WebAssembly ${wasmSize(args[0])}`);
          if (!inBypass()) {
            const err = check(ev);
            if (err) return Promise.reject(err);
          }
        }
        const out = fn.apply(self, args) as Promise<unknown>;
        if (precompiled) return out;
        // What it compiled was judged here: its instances are not judged again.
        return typeof out?.then === 'function'
          ? out.then((r) => {
              rememberModule(r);
              return r;
            })
          : out;
      },
      { surface: 'code', op: 'wasm', api: `WebAssembly.${name}` },
    );
  }
  const ModuleHook = wrapConstruct(
    W.Module as Function,
    {
      construct: (args) =>
        judge(codeEvent('wasm', 'new WebAssembly.Module', `WebAssembly ${wasmSize(args[0])}`)),
      constructed: (made) => judgedModules.add(made),
    },
    { surface: 'code', op: 'wasm', api: 'new WebAssembly.Module' },
  );
  // A module that did not come through these (deserialized, cloned from another thread or
  // realm) is judged when it is instantiated.
  const InstanceHook = wrapConstruct(
    W.Instance as Function,
    {
      construct: (args) => {
        const m = args[0];
        if (m && typeof m === 'object' && judgedModules.has(m)) return;
        judge(codeEvent('wasm', 'new WebAssembly.Instance', `WebAssembly ${wasmSize(m)}`));
      },
    },
    { surface: 'code', op: 'wasm', api: 'new WebAssembly.Instance' },
  );
  const ModuleProto = (W.Module as unknown as { prototype: object }).prototype;
  const InstanceProto = (W.Instance as unknown as { prototype: object }).prototype;
  lock(W, 'Module', ModuleHook);
  lock(W, 'Instance', InstanceHook);
  // `WebAssembly.Module.prototype.constructor` (and any module's `.constructor`) is the hooked one too.
  lock(ModuleProto, 'constructor', ModuleHook);
  lock(InstanceProto, 'constructor', InstanceHook);
}

const TEMP_DIR = /^\/(?:tmp|var\/tmp|dev\/shm)\//;

/**
 * The runtime's own addons (the runtime client's `rapid-client.node`, loaded at every cold
 * start) come from the platform's read-only directories, which the policy allows whatever its
 * lists say: with only the built-in rules (none of which can fire on them) they are not judged,
 * so the judgement code is not compiled for them during init. A rules file of the user's may say
 * something of any addon: then every one is judged.
 */
function platformAddon(real: string, trusted: boolean): boolean {
  if (!trusted || TEMP_DIR.test(real)) return false;
  return getState()?.policy.isPlatformPath(real) === true;
}

function hookDlopen(trustPlatformAddons: boolean): void {
  const orig = process.dlopen;
  lock(
    process,
    'dlopen',
    wrapCall(
      orig,
      (fn, self, args) => {
        const file = typeof args[1] === 'string' ? args[1] : String(args[1]);
        // Not there: dlopen will fail by itself; judge the path as named.
        const real = realpathOf(file) ?? path.resolve(file);
        if (!platformAddon(real, trustPlatformAddons)) {
          judge({ surface: 'code', op: 'native', api: 'process.dlopen', target: real });
          // Native code can spawn and connect where the hooks do not see it: the watcher does.
          nativeCodeLoaded();
        }
        return fn.apply(self, args);
      },
      { surface: 'code', op: 'native', api: 'process.dlopen' },
    ),
  );
}

/**
 * Workers: judged at creation, and the sensor goes in with them. A worker given neither
 * `execArgv` nor `env` inherits the parent's options, the sensor's `--require` included, and
 * is left exactly as the caller made it. A caller that scrubs it (`env: {}` without the
 * sensor in NODE_OPTIONS, and no `--require` of it in `execArgv`) gets the sensor put back
 * through the worker's env (NODE_OPTIONS), never through `execArgv`: a worker validates an
 * explicit `execArgv` and refuses the runtime's own bootstrap flags (`--expose-gc`,
 * `--max-semi-space-size`), which inheriting them would pass.
 */
function hookWorkers(sensorFile: string, wardenEnv: Record<string, string>): void {
  whenBuiltinLoaded('worker_threads', (wt) => hookWorkerClass(wt, sensorFile, wardenEnv));
}

type WorkerOptions = { eval?: boolean; execArgv?: unknown; env?: unknown };

/** The options a worker needs to carry the sensor and Warden's settings (the same object when it already does). */
export function workerOptionsWithSensor(
  opts: WorkerOptions | undefined,
  sensorFile: string,
  wardenEnv: Record<string, string>,
  parent: { execArgv: readonly string[]; env: Record<string, string | undefined> },
): WorkerOptions | undefined {
  const givenEnv =
    opts?.env !== null && typeof opts?.env === 'object'
      ? (opts.env as Record<string, string | undefined>)
      : undefined;
  const execArgv = Array.isArray(opts?.execArgv) ? (opts.execArgv as unknown[]).map(String) : undefined;
  const env = givenEnv ?? parent.env;
  const inherits = execArgv === undefined && givenEnv === undefined;
  // Loaded only where Warden puts it, first (its path as another option's value loads nothing).
  const preloads =
    loadsSensorFirst(execArgv ?? (inherits ? parent.execArgv : []), sensorFile) ||
    loadsSensorFirst(nodeOptionsArgs(env.NODE_OPTIONS ?? ''), sensorFile);
  const settingsKept = Object.entries(wardenEnv).every(([k, v]) => env[k] === v);
  if (preloads && (givenEnv === undefined || settingsKept)) return opts;
  const next: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('WARDEN_')) next[k] = v;
  Object.assign(next, wardenEnv);
  if (!preloads) {
    const current = env.NODE_OPTIONS;
    next.NODE_OPTIONS = `--require ${JSON.stringify(sensorFile)}${current ? ` ${current}` : ''}`;
  }
  return { ...opts, env: next };
}

let nodeWorker: Function | undefined;

/**
 * The worker's options with the mark that makes its sensor take the watcher's shared memory
 * (the worker's environment as Node would make it: the given one, else a copy of this thread's).
 * Undefined where the worker shares this thread's environment (`SHARE_ENV`): no mark can be put
 * there without this thread seeing it, and that worker's sensor starts its own watcher instead.
 */
export function optionsWithSharedWatcher(
  opts: WorkerOptions | undefined,
  parentEnv: Record<string, string | undefined>,
): WorkerOptions | undefined {
  const env = opts?.env;
  if (env !== undefined && (env === null || typeof env !== 'object')) return undefined;
  const base = (env ?? parentEnv) as Record<string, string | undefined>;
  return { ...opts, env: { ...base, [SHARED_WATCHER_MARK]: '1' } };
}

/** The Worker class as Node made it, once the hook has wrapped it (the sensor's own watcher uses it). */
export function nodeWorkerClass(): Function | undefined {
  return nodeWorker;
}

function hookWorkerClass(
  wt: Record<string, unknown>,
  sensorFile: string,
  wardenEnv: Record<string, string>,
): void {
  const orig = wt.Worker as Function;
  nodeWorker = orig;
  // Taken now (before function code can replace it): the watcher's memory goes through it.
  const postMessage = (orig.prototype as { postMessage?: Function }).postMessage;
  let sharing: SharedArrayBuffer | undefined;
  lock(
    wt,
    'Worker',
    wrapConstruct(
      orig,
      {
        construct(args) {
          const opts = args[1] as WorkerOptions | undefined;
          const src = args[0];
          const target = opts?.eval ? String(src) : src instanceof URL ? src.href : String(src);
          judge(codeEvent('worker', opts?.eval ? 'new Worker(eval)' : 'new Worker', target));
          // What the worker would preload besides the sensor (its execArgv, its env's NODE_OPTIONS).
          if (!inBypass()) {
            const given =
              opts?.env !== null && typeof opts?.env === 'object'
                ? (opts.env as Record<string, unknown>)
                : undefined;
            const fromEnv =
              typeof given?.NODE_OPTIONS === 'string' ? nodeOptionsArgs(given.NODE_OPTIONS) : [];
            const fromArgv = Array.isArray(opts?.execArgv) ? (opts.execArgv as unknown[]).map(String) : [];
            const refused =
              judgePreloads(fromArgv, sensorFile, 'execArgv') ??
              judgePreloads(fromEnv, sensorFile, 'NODE_OPTIONS');
            if (refused) throw refused;
          }
          // The sensor's own look at the environment: not a secret read of the function's.
          const next = bypass(() =>
            workerOptionsWithSensor(opts, sensorFile, wardenEnv, {
              execArgv: process.execArgv,
              env: process.env,
            }),
          );
          if (next !== opts) args[1] = next;
          // One watcher per process: the worker's sensor shares this thread's.
          sharing = undefined;
          const buffer = watcherForWorker();
          const marked =
            buffer && bypass(() => optionsWithSharedWatcher(args[1] as WorkerOptions, process.env));
          if (buffer && marked) {
            args[1] = marked;
            sharing = buffer;
          }
        },
        constructed(made) {
          const buffer = sharing;
          sharing = undefined;
          if (buffer && postMessage) Reflect.apply(postMessage, made, [{ [SHARED_WATCHER_KEY]: buffer }]);
        },
      },
      { surface: 'code', op: 'worker', api: 'new Worker' },
    ),
  );
}

export function installCodeHooks(
  sensorFile: string,
  wardenEnv: Record<string, string>,
  inputLooksLikeCode: () => boolean,
  mode: Mode,
  builtInRulesOnly = false,
): void {
  const state = getState();
  const policy = state?.policy;
  const detectors = state?.engine?.watchesCode === true;
  if (detectors) codeInput = inputLooksLikeCode;
  if (policy) {
    const restricts = policy.restrictsPackages;
    judging.eval = policy.policy.code.eval !== 'allow' || restricts;
    judging.wasm = policy.policy.code.wasm !== 'allow' || restricts;
    judging.workers = policy.policy.code.workers !== 'allow' || restricts;
  }
  installInspectorHooks();
  hookFunctionConstructors();
  const policyJudgesEval = !!policy && (policy.policy.code.eval !== 'allow' || policy.restrictsPackages);
  hookModuleCompile(policyJudgesEval);
  // Monitor mode changes nothing the function can observe: eval keeps direct-eval semantics.
  if (mode === 'monitor') {
    // The detectors would learn nothing from a reference (no source): only the policy's eval is.
    if (policyJudgesEval) observeEvalReferences();
  } else if (policyJudgesEval) {
    hookEval();
  } else if (detectors) {
    watchEvalWhen(inputLooksLikeCode);
  }
  hookVm();
  hookWasm();
  hookDlopen(builtInRulesOnly && !state?.observer);
  hookWorkers(sensorFile, wardenEnv);
}
