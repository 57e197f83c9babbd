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
import { hookMethod, inBypass, wrapCall } from '../guard';
import { judgeEnvironmentCopy, refreshEnvShadow } from './env';
import { judgeFileAccess } from './fs';

type Fn = (...args: unknown[]) => unknown;

/** A path argument as the API takes it (a string, a Buffer, a file: URL), else undefined. */
function pathArg(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof URL && v.protocol === 'file:') return decodeURIComponent(v.pathname);
  return undefined;
}

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
      const file = args[0] === undefined ? '.env' : pathArg(args[0]);
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
      const file = pathArg(args[0]);
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
    pathArg(file) ?? (typeof report.filename === 'string' && report.filename ? report.filename : '');
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
  path.resolve(pathArg(file) ?? `Heap.${process.pid}.heapsnapshot`);

function hookV8(v8: Record<string, unknown>): void {
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
}
