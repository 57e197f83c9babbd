/**
 * Files. Every fs API (sync, callback, promises, streams, FileHandle, opendir, cp) reaches the
 * `fs` binding, the same object `process.binding('fs')` returns, through a call looked up at
 * call time. Hooking the path-taking binding functions therefore covers all of them, and raw
 * binding use too. Paths are made absolute and resolved as the kernel will (symlinks and
 * `..` through them) before the check; a blocked call fails the way its API fails: a throw
 * (sync), the callback's error (FSReqCallback) or a rejected promise (kUsePromises).
 */
import fs = require('node:fs');
import path = require('node:path');

import { ATTACKS } from '../../events/mitre';
import type { FileEvent, FileOp } from '../../events/types';
import type { CompiledPolicy } from '../../policy/compile';
import { isModuleCode } from '../../policy/module-code';
import { globRoot } from '../../policy/permission-flags';
import { captureStack, isModuleLoaderRead, ownerOf, type StackHolder } from '../attribution';
import { hookMethod, inBypass, rawBinding, theCallsOwn } from '../guard';
import { check, getState, reportNotice } from '../report';
import { resolveForCheck } from '../resolve-path';

export type PathArg = { index: number; op: FileOp | 'open'; follow: boolean };

const O_ACCMODE = 3;
const WRITE_FLAGS =
  fs.constants.O_WRONLY |
  fs.constants.O_RDWR |
  fs.constants.O_CREAT |
  fs.constants.O_TRUNC |
  fs.constants.O_APPEND;

/** Binding functions that take paths, with which argument is which kind of access. */
export const PATH_FUNCTIONS: Record<string, PathArg[]> = {
  open: [{ index: 0, op: 'open', follow: true }],
  openFileHandle: [{ index: 0, op: 'open', follow: true }],
  readFileUtf8: [{ index: 0, op: 'open', follow: true }],
  writeFileUtf8: [{ index: 0, op: 'write', follow: true }],
  readdir: [{ index: 0, op: 'read', follow: true }],
  internalModuleReadJSON: [{ index: 0, op: 'read', follow: true }],
  rename: [
    { index: 0, op: 'write', follow: false },
    { index: 1, op: 'write', follow: false },
  ],
  rmdir: [{ index: 0, op: 'write', follow: false }],
  rmSync: [{ index: 0, op: 'write', follow: false }],
  mkdir: [{ index: 0, op: 'write', follow: false }],
  mkdtemp: [{ index: 0, op: 'write', follow: false }],
  link: [
    { index: 0, op: 'read', follow: false },
    { index: 1, op: 'write', follow: false },
  ],
  symlink: [{ index: 1, op: 'write', follow: false }],
  unlink: [{ index: 0, op: 'write', follow: false }],
  copyFile: [
    { index: 0, op: 'read', follow: true },
    { index: 1, op: 'write', follow: true },
  ],
  chmod: [{ index: 0, op: 'write', follow: true }],
  lchmod: [{ index: 0, op: 'write', follow: false }],
  chown: [{ index: 0, op: 'write', follow: true }],
  lchown: [{ index: 0, op: 'write', follow: false }],
  utimes: [{ index: 0, op: 'write', follow: true }],
  lutimes: [{ index: 0, op: 'write', follow: false }],
  truncate: [{ index: 0, op: 'write', follow: true }],
  cpSyncCheckPaths: [
    { index: 0, op: 'read', follow: true },
    { index: 1, op: 'write', follow: false },
  ],
  cpSyncOverrideFile: [
    { index: 0, op: 'read', follow: true },
    { index: 1, op: 'write', follow: true },
  ],
  cpSyncCopyDir: [
    { index: 0, op: 'read', follow: true },
    { index: 1, op: 'write', follow: false },
  ],
};

/** A path argument as Node's path APIs take it (a string, a Buffer, a file: URL), else undefined. */
export function asPathString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof URL) return urlPath(v);
  return undefined;
}

// Taken before function code runs: a URL subclass can override `href` and `pathname` with
// getters that answer the check one path and Node another; the intrinsic getter reads the URL
// itself, and Node's own conversion makes the path Node would.
const hrefOf = Object.getOwnPropertyDescriptor(URL.prototype, 'href')?.get;
const { fileURLToPath } = require('node:url') as typeof import('node:url');

/** The path a `file:` URL names, as Node converts it; undefined where Node would refuse it. */
function urlPath(v: URL): string | undefined {
  try {
    const href = hrefOf ? (Reflect.apply(hrefOf, v, []) as string) : String(v);
    return href.startsWith('file:') ? fileURLToPath(href) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The path argument `args[index]` as a string, put back into the call in that form when it was
 * a URL: Node then acts on the very path that was judged (what a URL's overridden getters say
 * is never read again). A string or Buffer is left as it is; undefined for an fd or a handle.
 */
export function pinPathArg(args: unknown[], index: number): string | undefined {
  const v = args[index];
  if (!(v instanceof URL)) return asPathString(v);
  const p = urlPath(v);
  if (p !== undefined) args[index] = p;
  return p;
}

function deviceOf(p: string): number | undefined {
  try {
    return fs.statSync(p).dev;
  } catch {
    return undefined;
  }
}

/** What an open with these O_* bits is (anything but a number: a read, Node's default). */
export function openOp(flags: unknown): FileOp {
  if (typeof flags !== 'number') return 'read';
  if ((flags & O_ACCMODE) !== fs.constants.O_RDONLY) return 'write';
  return flags & WRITE_FLAGS ? 'write' : 'read';
}

type Delivery = { kind: 'sync' } | { kind: 'callback'; req: { oncomplete?: Function } } | { kind: 'promise' };

/**
 * Function code closing the sink's descriptor (to silence findings: a loop closing fds 0…1024)
 * is refused and reported; the call reports success, the descriptor stays open. Every close
 * path meets here: fs.close/closeSync and the raw binding (FileHandle closes its own fd only).
 */
function guardSinkDescriptor(binding: Record<string, unknown>): void {
  const kUsePromises = binding.kUsePromises;
  hookMethod(binding, 'close', (orig, thisArg, args) => {
    if (!refusesSinkClose(args[0])) return Reflect.apply(orig, thisArg, args);
    const last = args[args.length - 1] as { oncomplete?: (err: unknown) => void } | undefined;
    if (last === kUsePromises && kUsePromises !== undefined) return Promise.resolve();
    if (last && typeof last === 'object' && typeof last.oncomplete === 'function') {
      const req = last;
      process.nextTick(() => req.oncomplete?.(null));
    }
    return undefined;
  });
}

/** Whether `fd` is the sink's descriptor, closed by function code: then reported, and refused. */
export function refusesSinkClose(fd: unknown): boolean {
  const sinkFd = getState()?.sink.fd;
  if (sinkFd === undefined || fd !== sinkFd || inBypass()) return false;
  reportNotice(
    {
      surface: 'sensor',
      op: 'tamper',
      api: 'fs.close',
      message: `close of Warden's findings descriptor ${sinkFd}`,
    },
    {
      action: 'alert',
      ruleId: 'warden.sensor.tamper',
      title: "Attempt to close Warden's findings channel",
      severity: 4,
      attacks: [ATTACKS.impairDefenses],
      reason: `fs.close(${sinkFd}): the descriptor Warden reports findings on`,
    },
  );
  return true;
}

export function installFsHooks(): void {
  hookDirReads();
  const binding = rawBinding('fs');
  if (!binding) return; // Node refuses it: the public API is hooked instead (fs-exports.ts)
  guardSinkDescriptor(binding);
  const FSReqCallback = binding.FSReqCallback as (new () => object) | undefined;
  const kUsePromises = binding.kUsePromises;

  const deliveryOf = (args: unknown[]): Delivery => {
    for (let i = args.length - 1; i >= Math.max(0, args.length - 2); i--) {
      const a = args[i];
      if (a === kUsePromises && kUsePromises !== undefined) return { kind: 'promise' };
      if (FSReqCallback && a instanceof FSReqCallback)
        return { kind: 'callback', req: a as { oncomplete?: Function } };
    }
    return { kind: 'sync' };
  };

  const rawOpen = binding.open as Function;
  const rawFstat = binding.fstat as Function | undefined;
  const procDev = deviceOf('/proc/self');
  const state = getState();
  /**
   * When every read rule that can refuse lives under /proc (the default policy), a file that is
   * not on procfs cannot be refused: one fstat of the opened fd tells, cheaper than its path.
   */
  const readRulesOnlyInProc =
    !!state && !state.policy.restrictsPackages && readListRefusesOnlyProcfs(state.policy);
  const cannotBeRefused = (fd: number): boolean => {
    if (!readRulesOnlyInProc || procDev === undefined || !rawFstat) return false;
    try {
      const st = rawFstat.call(binding, fd, false, undefined, false) as ArrayLike<number> | undefined;
      return !!st && st[0] !== procDev;
    } catch {
      return false;
    }
  };
  const rawClose = binding.close as Function;
  const rawReadlink = binding.readlink as Function | undefined;
  /** The file an fd really is, as the kernel opened it (undefined for pipes, sockets, no /proc). */
  const fdPath = (fd: number): string | undefined => {
    if (!rawReadlink) return undefined;
    try {
      const p = rawReadlink.call(binding, `/proc/self/fd/${fd}`, 'utf8') as unknown;
      return typeof p === 'string' && p.startsWith('/') ? p.replace(/ \(deleted\)$/, '') : undefined;
    } catch {
      return undefined;
    }
  };
  /**
   * Whether a read the policy cannot refuse is judged all the same: one the invocation's input
   * could have steered, or of the function's own code by anyone but Node's module loader (the
   * function-code-read rule). The loader's own reads of the handler's files are not judged, so
   * they do not compile the judgement code during init (learning observes them all).
   */
  const judgedAnyway = (requested: string): boolean => {
    const interest = state?.readOfInterest?.(requested);
    if (interest !== 'code-file' || state?.observer) return interest !== undefined;
    return !isModuleLoaderRead(captureStack());
  };
  const closeQuietly = (fd: number) => {
    try {
      rawClose.call(binding, fd);
    } catch {
      // already closed
    }
  };

  /**
   * Reads are judged on the file the kernel actually opened (its /proc/self/fd link): no
   * check-then-open race (a symlink swapped between the check and a thread-pool open) and,
   * for sync reads, one readlink instead of a realpath walk. Opening a file to read it has no
   * side effect; the read that would have is refused.
   */
  const readOpen = (
    name: string,
    fn: Function,
    self: unknown,
    args: unknown[],
  ): { value: unknown } | undefined => {
    if (name !== 'open' && name !== 'openFileHandle' && name !== 'readFileUtf8') return undefined;
    const requested = asPathString(args[0]);
    if (
      requested === undefined ||
      opOf(name, PATH_FUNCTIONS[name]![0]!, args) !== 'read' ||
      !needsJudging('read')
    ) {
      return undefined;
    }
    const cwd = process.cwd();
    const d = deliveryOf(args);
    if (d.kind === 'sync') {
      let fd: number;
      try {
        fd = (
          name === 'readFileUtf8' ? rawOpen.call(binding, args[0], args[1], 0o666) : fn.apply(self, args)
        ) as number;
      } catch (openError) {
        // A failed open is still an attempt: a probe the input steered (a traversal to a file
        // that is not there) is judged and reported like one that found its file.
        if (judgedAnyway(requested)) {
          const refused = judgePath(name, 'read', requested, resolveForCheck(requested, true, cwd), cwd);
          if (refused) throw refused;
        }
        throw theCallsOwn(openError);
      }
      const err =
        cannotBeRefused(fd) && !judgedAnyway(requested)
          ? undefined
          : judgePath(name, 'read', requested, fdPath(fd) ?? resolveForCheck(requested, true, cwd), cwd);
      if (err) {
        closeQuietly(fd);
        throw err;
      }
      if (name !== 'readFileUtf8') return { value: fd };
      try {
        return { value: fn.call(self, fd, args[1]) };
      } finally {
        closeQuietly(fd);
      }
    }
    // Async. Where only procfs reads can be refused (the default policy), a path outside /proc
    // that the rules have no interest in is not judged now: once opened, one fstat of the fd says
    // whether the kernel's file is on procfs after all (a symlink into /proc, swapped in while
    // the open waited in the thread pool), and only then is it judged, as that file. Attributed
    // to the caller: a callback completes from the thread pool with none of its frames, so its
    // stack is kept now; a promise is judged inside the caller's await chain, whose frames V8
    // keeps (async stack traces), so nothing is captured unless the file is on procfs. Otherwise:
    // judged now (the caller's stack is live), verified again once opened.
    let onOpened: (fd: number) => Error | undefined;
    if (readRulesOnlyInProc && !requested.startsWith('/proc') && !judgedAnyway(requested)) {
      const stack = d.kind === 'callback' ? captureStack() : undefined;
      onOpened = (fd) =>
        cannotBeRefused(fd)
          ? undefined
          : judgePath(
              name,
              'read',
              requested,
              fdPath(fd) ?? resolveForCheck(requested, true, cwd),
              cwd,
              stack,
            );
    } else {
      const checked = resolveForCheck(requested, true, cwd);
      const err = judgePath(name, 'read', requested, checked, cwd);
      if (err) {
        if (d.kind === 'promise') return { value: Promise.reject(err) };
        process.nextTick(() => d.req.oncomplete?.call(d.req, err));
        return { value: undefined };
      }
      onOpened = (fd) => {
        const real = fdPath(fd);
        return real && real !== checked ? judgePath(name, 'read', requested, real, cwd) : undefined;
      };
    }
    const verify = (fd: unknown) => (typeof fd === 'number' ? onOpened(fd) : undefined);
    if (d.kind === 'callback') {
      const done = d.req.oncomplete;
      d.req.oncomplete = function (this: unknown, e: unknown, fd: unknown, ...rest: unknown[]) {
        const late = e ? undefined : verify(fd);
        if (late) {
          closeQuietly(fd as number);
          return done?.call(this, late);
        }
        return done?.call(this, e, fd, ...rest);
      };
      return { value: fn.apply(self, args) };
    }
    const opened = fn.apply(self, args) as Promise<unknown>;
    return {
      value: opened.then((v) => {
        const handle = v as { fd?: number; close?: () => Promise<void> } | number;
        const late = verify(typeof handle === 'number' ? handle : handle?.fd);
        if (!late) return v;
        if (typeof handle === 'number') closeQuietly(handle);
        else void handle.close?.().catch(() => undefined);
        throw late;
      }),
    };
  };

  for (const [name, specs] of Object.entries(PATH_FUNCTIONS)) {
    hookMethod(
      binding,
      name,
      (fn, self, args) => {
        if (!inBypass()) {
          const opened = readOpen(name, fn, self, args);
          if (opened) return opened.value;
          const err = judge(name, specs, args);
          if (err) {
            const d = deliveryOf(args);
            if (d.kind === 'promise') return Promise.reject(err);
            if (d.kind === 'callback') {
              process.nextTick(() => d.req.oncomplete?.call(d.req, err));
              return undefined;
            }
            throw err;
          }
        }
        return fn.apply(self, args);
      },
      { surface: 'files', api: name },
    );
  }
}

/**
 * `opendir` lists directories through the `fs_dir` binding, which `process.binding` does not
 * expose. Every Dir (from opendir, opendirSync or fs/promises) shares `fs.Dir.prototype`, and
 * its entries are only read by `read`, `readSync` and `entries` (what `for await` uses): the
 * listing is judged there, once per Dir, before the first entry is read. (Hooking the opendir
 * functions instead would mean loading fs/promises at start-up.)
 */
function hookDirReads(): void {
  const fsMod = require('node:fs') as { Dir?: { prototype: Record<PropertyKey, unknown> } };
  const proto = fsMod.Dir?.prototype;
  if (!proto) return;
  const verdicts = new WeakMap<object, ReturnType<typeof judgePath> | null>();
  const judgeDir = (dir: object) => {
    if (inBypass() || !needsJudging('read')) return undefined;
    const known = verdicts.get(dir);
    if (known !== undefined) return known ?? undefined;
    const requested = asPathString((dir as { path?: unknown }).path);
    const cwd = process.cwd();
    const err =
      requested === undefined
        ? undefined
        : judgePath('opendir', 'read', requested, resolveForCheck(requested, true, cwd), cwd);
    verdicts.set(dir, err ?? null);
    return err;
  };
  const wrap = (name: PropertyKey, fail: (err: Error, args: unknown[]) => unknown) => {
    hookMethod(
      proto,
      name,
      (fn, self, args) => {
        const err = judgeDir(self as object);
        return err ? fail(err, args) : fn.apply(self, args);
      },
      { surface: 'files', op: 'read', api: `Dir.${String(name)}` },
    );
  };
  wrap('readSync', (err) => {
    throw err;
  });
  wrap('read', (err, args) => {
    const cb = args[0];
    if (typeof cb !== 'function') return Promise.reject(err);
    process.nextTick(() => cb(err));
    return undefined;
  });
  // An async iterator whose first step fails with our error, as a failed listing would.
  const refused = (err: Error) => ({
    next: () => Promise.reject(err),
    return: () => Promise.resolve({ done: true, value: undefined }),
    [Symbol.asyncIterator]() {
      return this;
    },
  });
  wrap('entries', refused);
  wrap(Symbol.asyncIterator, refused); // `for await` (Node assigns it the same function as entries)
}

/**
 * Judges one access to `requested`, already resolved (by realpath or by the opened fd). `kept`:
 * the caller's stack, captured when the access was asked for (judged later, once opened).
 */
function judgePath(
  api: string,
  op: FileOp,
  requested: string,
  resolved: string,
  cwd: string,
  kept?: StackHolder,
) {
  const state = getState();
  if (!state) return undefined;
  const list = state.policy.files[op];
  const ev: FileEvent = { surface: 'files', op, api, requested, path: resolved };
  // A deny written for the path as named also holds (e.g. a rule on a symlink's own name).
  const lexical = path.resolve(cwd, requested);
  if (
    lexical !== resolved &&
    list.match(lexical).action === 'deny' &&
    list.match(resolved).action !== 'deny'
  ) {
    ev.path = lexical;
  }
  // Learning attributes every read, and needs to know the module loader's from the function's.
  const stack = kept ?? (state.policy.restrictsPackages || state.observer ? captureStack() : undefined);
  const loaderRead = op === 'read' && stack !== undefined && isModuleLoaderRead(stack);
  if (loaderRead) {
    ev.loader = true;
    // The module loader loading code is allowed whatever the lists say (it is how a function
    // runs; what loads is judged on the code surface), as without per-package rules, where such
    // reads are never judged: outside learning and unless the input steered the path, it is not
    // judged here either, so a policy's `packages` does not compile the judge chunk at init.
    if (
      !state.observer &&
      isModuleCode(ev, state.policy.taskRoot()) &&
      state.readOfInterest?.(requested) !== 'input'
    )
      return undefined;
  }
  // The platform learning the function's module type (the runtime client, and Warden's own
  // handler for the runtime: the nearest package.json at or above the function's directory), as
  // Lambda's runtime does for every function: never the function's doing, under any read list.
  if (
    op === 'read' &&
    isPackageScopeFile(ev.path, state.policy.taskRoot()) &&
    ownerOf(stack ?? captureStack()) === '<runtime>'
  )
    return undefined;
  // Likewise the platform's own reads (the runtime client reading the function's package.json to
  // learn its module type, as Node's loader does) where the read list refuses nothing: judged
  // only for a package's capability, and the platform is no package.
  if (
    !state.observer &&
    op === 'read' &&
    stack !== undefined &&
    !ev.path.startsWith('/proc/') &&
    readListRefusesOnlyProcfs(state.policy) &&
    state.readOfInterest?.(requested) === undefined &&
    ownerOf(stack) === '<runtime>'
  )
    return undefined;
  return check(ev, { stack, loaderRead });
}

/** A package.json in `taskRoot` or a directory above it (where Node looks for a package's type). */
export function isPackageScopeFile(file: string, taskRoot: string | undefined): boolean {
  if (!taskRoot || !file.endsWith('/package.json')) return false;
  const dir = file.slice(0, -'/package.json'.length);
  return dir === '' || taskRoot === dir || taskRoot.startsWith(`${dir}/`);
}

const procfsOnly = new WeakMap<object, boolean>();
/** The read list allows by default and every entry that can refuse is under /proc (the default). */
function readListRefusesOnlyProcfs(policy: CompiledPolicy): boolean {
  let v = procfsOnly.get(policy);
  if (v === undefined) {
    const read = policy.policy.files.read;
    v =
      read.default === 'allow' &&
      [...read.deny, ...read.alert].every((e) => globRoot(e.path).startsWith('/proc/'));
    procfsOnly.set(policy, v);
  }
  return v;
}

/** The op a spec stands for in this call (open's flags decide read or write). */
function opOf(api: string, spec: PathArg, args: unknown[]): FileOp {
  return spec.op === 'open' ? (api === 'readFileUtf8' ? 'read' : openOp(args[1])) : spec.op;
}

function needsJudging(op: FileOp): boolean {
  const state = getState();
  return !!state && !(state.policy.files[op].allowsAll && !state.policy.restrictsPackages);
}

/**
 * Judges an access another API makes by path in C++, outside the fs binding (hooks/native-io.ts):
 * the path resolved as the kernel will, judged as this op. Returns the error to fail with.
 */
export function judgeFileAccess(api: string, op: FileOp, requested: string, follow = true) {
  if (inBypass() || !needsJudging(op)) return undefined;
  const cwd = process.cwd();
  return judgePath(api, op, requested, resolveForCheck(requested, follow, cwd), cwd);
}

/** Judges every path argument before the call; returns the error to fail with, if any. */
function judge(api: string, specs: PathArg[], args: unknown[]) {
  const cwd = process.cwd();
  for (const spec of specs) {
    const requested = asPathString(args[spec.index]);
    if (requested === undefined) continue; // an fd: judged when it was opened
    const op = opOf(api, spec, args);
    if (!needsJudging(op)) continue;
    const err = judgePath(api, op, requested, resolveForCheck(requested, spec.follow, cwd), cwd);
    if (err) return err;
  }
  return undefined;
}
