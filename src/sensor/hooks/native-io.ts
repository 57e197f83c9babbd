/**
 * Node APIs that do their I/O in C++, outside the bindings the other hooks watch (see
 * docs/node-api-inventory.yaml). Each is judged at its public API as the effect it has:
 * - a file it reads or writes by path: `process.loadEnvFile`, `fs.openAsBlob`, a diagnostic
 *   report's file, a heap snapshot's file, a trace file (a Unix domain socket is network.ts's);
 * - the environment an image of the process carries (the credentials): a heap snapshot
 *   (`v8.writeHeapSnapshot`, `v8.getHeapSnapshot`, one written near the heap limit, a worker's),
 *   a diagnostic report written now or configured to be written later (on a signal, a fatal
 *   error, an uncaught exception), judged as a read of every secret variable it would hold.
 * Builtins most functions never load (`v8`, `trace_events`) are hooked on their first load
 * (builtin-watch.ts).
 */
import path = require('node:path');

import { whenBuiltinLoaded } from '../builtin-watch';
import { hookMethod, inBypass, lock, realpathOf, wrapCall, wrapConstruct } from '../guard';
import { check } from '../report';
import { nativeCodeLoaded } from '../watcher';
import { judgeEnvironmentCopy, judgeSecretsIn, refreshEnvShadow } from './env';
import { asPathString, judgeFileAccess, pinPathArg } from './fs';

type Fn = (...args: unknown[]) => unknown;

/** Judges each effect in order; throws the first refusal (the API is synchronous). */
function refuse(...errors: (() => Error | undefined)[]): void {
  if (inBypass()) return;
  for (const judge of errors) {
    const err = judge();
    if (err) throw err;
  }
}

const site = (surface: 'files' | 'secrets', api: string) => ({ surface, op: 'read', api });

/** `process.loadEnvFile(path = '.env')`: Node reads the file in C++ into the environment. */
function hookLoadEnvFile(): void {
  hookMethod(
    process,
    'loadEnvFile',
    (fn, self, args) => {
      const file = args[0] === undefined ? '.env' : pinPathArg(args, 0);
      if (file !== undefined) refuse(() => judgeFileAccess('process.loadEnvFile', 'read', file));
      try {
        return fn.apply(self, args);
      } finally {
        refreshEnvShadow(); // Node set the variables in C++, past process.env's traps
      }
    },
    site('files', 'process.loadEnvFile'),
  );
}

/** `fs.openAsBlob(path)`: a Blob backed by the file, opened in C++ (not the fs binding). */
function hookOpenAsBlob(): void {
  const fs = require('node:fs') as Record<string, unknown>;
  hookMethod(
    fs,
    'openAsBlob',
    (fn, self, args) => {
      const file = pinPathArg(args, 0);
      if (file === undefined) return fn.apply(self, args);
      const err = inBypass() ? undefined : judgeFileAccess('fs.openAsBlob', 'read', file);
      // It returns a promise: a refusal is its rejection.
      return err ? Promise.reject(err) : fn.apply(self, args);
    },
    site('files', 'fs.openAsBlob'),
  );
}

/** Where a diagnostic report goes: its file, or a representative name in its directory. */
function reportPath(report: Record<string, unknown>, file: unknown): string | undefined {
  const name =
    asPathString(file) ?? (typeof report.filename === 'string' && report.filename ? report.filename : '');
  if (name === 'stdout' || name === 'stderr') return undefined;
  const target = name || `report.${process.pid}.json`;
  // Node puts the directory, when one is set, before the name whatever the name is.
  const dir = typeof report.directory === 'string' ? report.directory : '';
  return dir ? path.resolve(path.join(dir, target)) : path.resolve(target);
}

/** The report's environment section, unless the report leaves it out (`excludeEnv`). */
function reportEnv(report: Record<string, unknown>, api: string): () => Error | undefined {
  return () => (report.excludeEnv === true ? undefined : judgeEnvironmentCopy(api));
}

/**
 * `process.report`: `getReport()` hands out the environment, `writeReport()` writes it to a file,
 * and `reportOnSignal` / `reportOnFatalError` / `reportOnUncaughtException` set to true write
 * it later (a signal the function sends itself is enough), so they are judged when they are set.
 */
function hookReportObject(report: Record<string, unknown>): void {
  hookMethod(
    report,
    'getReport',
    (fn, self, args) => {
      refuse(reportEnv(report, 'process.report.getReport'));
      return fn.apply(self, args);
    },
    site('secrets', 'process.report.getReport'),
  );
  hookMethod(
    report,
    'writeReport',
    (fn, self, args) => {
      const file = reportPath(report, args[0]);
      refuse(
        () => (file ? judgeFileAccess('process.report.writeReport', 'write', file) : undefined),
        reportEnv(report, 'process.report.writeReport'),
      );
      return fn.apply(self, args);
    },
    site('files', 'process.report.writeReport'),
  );
  for (const key of ['reportOnSignal', 'reportOnFatalError', 'reportOnUncaughtException']) {
    const desc = Object.getOwnPropertyDescriptor(report, key);
    if (!desc?.set || !desc.configurable) continue;
    const set = desc.set;
    const api = `process.report.${key}`;
    Object.defineProperty(report, key, {
      ...desc,
      set: wrapCall(
        set as Fn,
        (orig, self, args) => {
          if (args[0] === true) {
            const file = reportPath(report, undefined);
            refuse(() => (file ? judgeFileAccess(api, 'write', file) : undefined), reportEnv(report, api));
          }
          return orig.apply(self, args);
        },
        site('files', api),
      ),
    });
  }
}

function hookDiagnosticReport(): void {
  // Node defines process.report as a lazy getter: wrap the getter so the report module is
  // loaded (and hooked) on first use, not at every cold start.
  const desc = Object.getOwnPropertyDescriptor(process, 'report');
  if (desc?.get && desc.configurable) {
    const get = desc.get;
    let hooked: unknown;
    Object.defineProperty(process, 'report', {
      ...desc,
      get() {
        const report = get.call(this) as Record<string, unknown> | undefined;
        if (report && hooked !== report) {
          hooked = report;
          hookReportObject(report);
        }
        return report;
      },
    });
    return;
  }
  const report = (process as unknown as { report?: Record<string, unknown> }).report;
  if (report) hookReportObject(report);
}

/** A heap snapshot's default file: `Heap.<date>-<pid>-….heapsnapshot` in the working directory. */
const snapshotFile = (file: unknown): string =>
  path.resolve(asPathString(file) ?? `Heap.${process.pid}.heapsnapshot`);

function hookV8(v8: Record<string, unknown>): void {
  // V8 flags changed at run time change how the code compiled next behaves (natives syntax,
  // disabled mitigations): judged as code generation (code.eval), with the flags as its target.
  hookMethod(
    v8,
    'setFlagsFromString',
    (fn, self, args) => {
      if (!inBypass()) {
        const err = check({
          surface: 'code',
          op: 'eval',
          api: 'v8.setFlagsFromString',
          target: String(args[0]).slice(0, 200),
        });
        if (err) throw err;
      }
      return fn.apply(self, args);
    },
    { surface: 'code', op: 'eval', api: 'v8.setFlagsFromString' },
  );
  hookMethod(
    v8,
    'writeHeapSnapshot',
    (fn, self, args) => {
      refuse(
        () => judgeFileAccess('v8.writeHeapSnapshot', 'write', snapshotFile(args[0])),
        () => judgeEnvironmentCopy('v8.writeHeapSnapshot'),
      );
      return fn.apply(self, args);
    },
    site('files', 'v8.writeHeapSnapshot'),
  );
  hookMethod(
    v8,
    'getHeapSnapshot',
    (fn, self, args) => {
      refuse(() => judgeEnvironmentCopy('v8.getHeapSnapshot'));
      return fn.apply(self, args);
    },
    site('secrets', 'v8.getHeapSnapshot'),
  );
  hookMethod(
    v8,
    'setHeapSnapshotNearHeapLimit',
    (fn, self, args) => {
      refuse(
        () => judgeFileAccess('v8.setHeapSnapshotNearHeapLimit', 'write', snapshotFile(undefined)),
        () => judgeEnvironmentCopy('v8.setHeapSnapshotNearHeapLimit'),
      );
      return fn.apply(self, args);
    },
    site('files', 'v8.setHeapSnapshotNearHeapLimit'),
  );
}

/** `trace_events.createTracing(…).enable()` writes `node_trace.<n>.log` in the working directory. */
function hookTraceEvents(te: Record<string, unknown>): void {
  const create = te.createTracing;
  if (typeof create !== 'function') return;
  let proto: Record<string, unknown> | undefined;
  try {
    proto = Object.getPrototypeOf(create.call(te, { categories: ['node.warden-probe'] })) as Record<
      string,
      unknown
    >;
  } catch {
    return;
  }
  if (!proto) return;
  hookMethod(
    proto,
    'enable',
    (fn, self, args) => {
      refuse(() => judgeFileAccess('trace_events.enable', 'write', path.resolve('node_trace.1.log')));
      return fn.apply(self, args);
    },
    site('files', 'trace_events.enable'),
  );
}

/** `worker.getHeapSnapshot()` hands out a worker's heap (the environment it was given). */
function hookWorkerHeapSnapshot(wt: Record<string, unknown>): void {
  const workerProto = (wt.Worker as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  if (!workerProto) return;
  hookMethod(
    workerProto,
    'getHeapSnapshot',
    (fn, self, args) => {
      const err = inBypass() ? undefined : judgeEnvironmentCopy('worker.getHeapSnapshot');
      return err ? Promise.reject(err) : fn.apply(self, args);
    },
    site('secrets', 'worker.getHeapSnapshot'),
  );
}

export function installNativeIoHooks(): void {
  hookLoadEnvFile();
  hookOpenAsBlob();
  hookDiagnosticReport();
  whenBuiltinLoaded('v8', hookV8);
  whenBuiltinLoaded('trace_events', hookTraceEvents);
  whenBuiltinLoaded('worker_threads', hookWorkerHeapSnapshot);
  // Only where this Node has it (a pending builtin keeps the require hook in place).
  const { isBuiltin } = require('node:module') as { isBuiltin?: (name: string) => boolean };
  if (isBuiltin?.('node:sqlite')) whenBuiltinLoaded('sqlite', hookSqlite);
  whenBuiltinLoaded('wasi', hookWasi);
  whenBuiltinLoaded('crypto', hookCryptoEngine);
  whenBuiltinLoaded('tls', hookTlsEngines);
  whenBuiltinLoaded('_tls_common', hookTlsEngines);
  // https and http2 load tls themselves (Node's own require, unseen): its exports are hooked
  // with theirs, at no cost then.
  for (const user of ['https', 'http2'])
    whenBuiltinLoaded(user, () => hookTlsEngines(require('node:tls') as Record<string, unknown>));
}

/**
 * OpenSSL engines are shared objects OpenSSL loads itself (by id, or by path for a dynamic
 * engine): native code, judged like an addon (`code.nativeAddons`, the path resolved) and, like
 * one, put under the watcher's every-tick view. Reached by `crypto.setEngine`, and by a TLS
 * context's `privateKeyEngine` / `clientCertEngine` (the context's own methods, whoever made it).
 */
function judgeEngine(api: string, engine: unknown): void {
  const id = typeof engine === 'string' ? engine : String(engine);
  judgeNativeLoad(api, id.includes('/') ? (realpathOf(id) ?? path.resolve(id)) : `openssl-engine:${id}`);
}

/**
 * Native code a library loads for Node (an OpenSSL engine, an SQLite extension): judged like an
 * addon, and, like one, put under the watcher's every-tick view once loaded.
 */
function judgeNativeLoad(api: string, target: string): void {
  if (inBypass()) return;
  const err = check({ surface: 'code', op: 'native', api, target });
  if (err) throw err;
  nativeCodeLoaded();
}

function hookCryptoEngine(crypto: Record<string, unknown>): void {
  hookMethod(
    crypto,
    'setEngine',
    (fn, self, args) => {
      judgeEngine('crypto.setEngine', args[0]);
      return fn.apply(self, args);
    },
    { surface: 'code', op: 'native', api: 'crypto.setEngine' },
  );
}

const ENGINE_METHODS: Record<string, (args: unknown[]) => unknown> = {
  setEngineKey: (args) => args[1], // (keyName, engineId)
  setClientCertEngine: (args) => args[0], // (engineId)
};
let enginesHooked = false;

/** The native SecureContext's engine methods, hooked on its prototype once an instance is seen. */
function hookContextPrototype(context: unknown): void {
  if (enginesHooked || !context || typeof context !== 'object') return;
  const proto = Object.getPrototypeOf(context) as Record<string, unknown> | null;
  if (!proto) return;
  enginesHooked = true;
  for (const [name, engineOf] of Object.entries(ENGINE_METHODS)) {
    hookMethod(
      proto,
      name,
      (fn, self, args) => {
        judgeEngine(`tls.createSecureContext ${name}`, engineOf(args));
        return fn.apply(self, args);
      },
      { surface: 'code', op: 'native', api: `SecureContext.${name}` },
    );
  }
}

/**
 * Making a TLS context costs milliseconds (OpenSSL's set-up), too much for start-up: the native
 * prototype is reached through the first context anyone makes (`tls.createSecureContext`, which
 * `tls.connect` and https use, or the `SecureContext` class of `_tls_common`), and hooked before
 * that context is handed out; the engine options are judged at the call as well.
 */
const tlsModulesHooked = new WeakSet<object>();

function hookTlsEngines(mod: Record<string, unknown>): void {
  if (tlsModulesHooked.has(mod)) return;
  tlsModulesHooked.add(mod);
  if (typeof mod.createSecureContext === 'function')
    hookMethod(
      mod,
      'createSecureContext',
      (fn, self, args) => {
        const opts = args[0] as { privateKeyEngine?: unknown; clientCertEngine?: unknown } | undefined;
        if (opts && typeof opts === 'object') {
          if (opts.privateKeyEngine !== undefined)
            judgeEngine('tls.createSecureContext privateKeyEngine', opts.privateKeyEngine);
          if (opts.clientCertEngine !== undefined)
            judgeEngine('tls.createSecureContext clientCertEngine', opts.clientCertEngine);
        }
        const ctx = fn.apply(self, args) as { context?: unknown } | undefined;
        hookContextPrototype(ctx?.context);
        return ctx;
      },
      { surface: 'code', op: 'native', api: 'tls.createSecureContext' },
    );
  const Ctor = mod.SecureContext;
  if (typeof Ctor === 'function')
    lock(
      mod,
      'SecureContext',
      wrapConstruct(
        Ctor as Function,
        { constructed: (made) => hookContextPrototype((made as { context?: unknown }).context) },
        { surface: 'code', op: 'native', api: 'SecureContext' },
      ),
    );
}

/** A token of SQL: a word, a quoted string (with its quote) or one other character. */
type SqlToken = { kind: 'word' | 'string' | 'other'; text: string };

/** SQL split into words, strings and other characters, comments dropped (enough to find paths). */
export function sqlTokens(sql: string): SqlToken[] {
  const out: SqlToken[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let text = '';
      i++;
      while (i < sql.length) {
        if (sql[i] === close && sql[i + 1] === close && close !== ']') {
          text += close;
          i += 2;
        } else if (sql[i] === close) {
          i++;
          break;
        } else text += sql[i++];
      }
      // SQLite takes a double-quoted name it cannot resolve as a string: both can name a file.
      out.push({ kind: c === "'" || c === '"' ? 'string' : 'word', text });
    } else if (/[A-Za-z_]/.test(c)) {
      let text = '';
      while (i < sql.length && /[A-Za-z0-9_$]/.test(sql[i]!)) text += sql[i++];
      out.push({ kind: 'word', text: text.toUpperCase() });
    } else {
      out.push({ kind: 'other', text: c });
      i++;
    }
  }
  return out;
}

/** What `ATTACH … AS` and `VACUUM … INTO` would open: a literal path, or `undefined` when SQL computes it. */
export function sqlFileTargets(sql: string): (string | undefined)[] {
  const t = sqlTokens(sql);
  const out: (string | undefined)[] = [];
  for (let i = 0; i < t.length; i++) {
    if (t[i]!.kind !== 'word') continue;
    let from = -1;
    if (t[i]!.text === 'ATTACH') from = t[i + 1]?.text === 'DATABASE' ? i + 2 : i + 1;
    else if (t[i]!.text === 'VACUUM') {
      for (let j = i + 1; j < t.length && t[j]!.text !== ';'; j++) {
        if (t[j]!.kind === 'word' && t[j]!.text === 'INTO') {
          from = j + 1;
          break;
        }
      }
    }
    if (from < 0) continue;
    const first = t[from];
    const after = t[from + 1];
    const literal = first?.kind === 'string' && (!after || after.text === 'AS' || after.text === ';');
    out.push(literal ? first.text : undefined);
  }
  return out;
}

/** A database file as SQLite names it: a `file:` URI's path, or the name itself. */
function databasePath(name: string): string | undefined {
  if (name === '' || name === ':memory:') return undefined;
  if (name.startsWith('file:')) {
    const p = decodeURIComponent(
      name
        .slice(5)
        .split('?')[0]!
        .replace(/^\/\/[^/]*/, ''),
    );
    return p === ':memory:' || p === '' ? undefined : path.resolve(p);
  }
  return path.resolve(name);
}

/** Every file a statement would open (ATTACH, VACUUM INTO), judged as writes. */
function judgeSql(sql: unknown, api: string): void {
  if (typeof sql !== 'string' || !/attach|vacuum/i.test(sql)) return;
  for (const target of sqlFileTargets(sql)) {
    const file = target === undefined ? '(a path computed by the SQL)' : databasePath(target);
    if (file) refuse(() => judgeFileAccess(api, 'write', file));
  }
}

/**
 * `node:sqlite` opens files in C++: the database (a write, or a read when `readOnly`), what a
 * statement attaches or vacuums into, a backup's destination, and extensions (native code).
 */
function hookSqlite(sqlite: Record<string, unknown>): void {
  const Db = sqlite.DatabaseSync as (Function & { prototype: Record<string, unknown> }) | undefined;
  if (typeof Db !== 'function') return;
  const proto = Db.prototype;
  const Hooked = wrapConstruct(
    Db,
    {
      construct(args) {
        const file = pinPathArg(args, 0);
        const db = file === undefined ? undefined : databasePath(file);
        const readOnly = (args[1] as { readOnly?: unknown } | undefined)?.readOnly === true;
        if (db) refuse(() => judgeFileAccess('new DatabaseSync', readOnly ? 'read' : 'write', db));
      },
    },
    site('files', 'new DatabaseSync'),
  );
  lock(sqlite, 'DatabaseSync', Hooked);
  lock(proto, 'constructor', Hooked);
  for (const method of ['exec', 'prepare']) {
    hookMethod(
      proto,
      method,
      (fn, self, args) => {
        judgeSql(args[0], `DatabaseSync#${method}`);
        return fn.apply(self, args);
      },
      site('files', `DatabaseSync#${method}`),
    );
  }
  hookMethod(
    proto,
    'createTagStore',
    (fn, self, args) => {
      const store = fn.apply(self, args) as Record<string, unknown> | undefined;
      // Its queries go to SQLite from C++: each is judged as the SQL its template spells.
      if (store && typeof store === 'object') {
        for (const m of ['all', 'get', 'iterate', 'run']) {
          const orig = store[m];
          if (typeof orig !== 'function') continue;
          store[m] = function (this: unknown, strings: unknown, ...values: unknown[]) {
            if (Array.isArray(strings)) judgeSql(strings.join('?'), `SQLTagStore#${m}`);
            return Reflect.apply(orig, this, [strings, ...values]);
          };
        }
      }
      return store;
    },
    site('files', 'DatabaseSync#createTagStore'),
  );
  hookMethod(
    proto,
    'loadExtension',
    (fn, self, args) => {
      const file = pinPathArg(args, 0);
      if (file !== undefined) judgeNativeLoad('DatabaseSync#loadExtension', path.resolve(file));
      return fn.apply(self, args);
    },
    { surface: 'code', op: 'native', api: 'DatabaseSync#loadExtension' },
  );
  hookMethod(
    sqlite,
    'backup',
    (fn, self, args) => {
      const file = pinPathArg(args, 1);
      const err =
        file === undefined || inBypass()
          ? undefined
          : judgeFileAccess('sqlite.backup', 'write', path.resolve(file));
      return err ? Promise.reject(err) : fn.apply(self, args);
    },
    site('files', 'sqlite.backup'),
  );
}

/**
 * `new WASI({ preopens, env })` hands WebAssembly, in C++, every file under each preopened
 * directory (judged as a read and a write there) and the variables it is given (a credential
 * among them judged as a read of it).
 */
function hookWasi(wasi: Record<string, unknown>): void {
  const Wasi = wasi.WASI as (Function & { prototype: Record<string, unknown> }) | undefined;
  if (typeof Wasi !== 'function') return;
  const Hooked = wrapConstruct(
    Wasi,
    {
      construct(args) {
        const opts = args[0] as { preopens?: unknown; env?: unknown } | undefined;
        const preopens =
          opts?.preopens && typeof opts.preopens === 'object' ? Object.values(opts.preopens) : [];
        for (const dir of preopens) {
          const host = asPathString(dir);
          if (host === undefined) continue;
          const inside = path.join(path.resolve(host), '(preopened)');
          refuse(
            () => judgeFileAccess('new WASI preopens', 'read', inside),
            () => judgeFileAccess('new WASI preopens', 'write', inside),
          );
        }
        const env =
          opts?.env && typeof opts.env === 'object' ? (opts.env as Record<string, unknown>) : undefined;
        if (env) refuse(() => judgeSecretsIn(env, 'new WASI env'));
      },
    },
    site('files', 'new WASI'),
  );
  lock(wasi, 'WASI', Hooked);
  lock(Wasi.prototype, 'constructor', Hooked);
}
