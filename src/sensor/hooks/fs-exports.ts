/**
 * Files where Node refuses `process.binding` (the permission model): the `fs` binding's
 * functions are out of reach, so the public API that takes paths is hooked instead — each
 * function in its callback, sync and promise form (`fs.open`, `fs.openSync`,
 * `fs.promises.open`). Streams, `fs.cp`'s walk and the module loader call these through the
 * module object at call time and are judged through them; a Dir's listing is judged where it
 * always is (hooks/fs.ts). Judged before the call on the path as the kernel will resolve it
 * (no fd check after the open: Node's own permission check stands behind it there). A refused
 * call fails as the API fails: a throw, the callback's error, a rejected promise.
 */
import fs = require('node:fs');
import path = require('node:path');

import type { FileOp } from '../../events/types';
import { globRoot } from '../../policy/permission-flags';
import { whenBuiltinLoaded } from '../builtin-watch';
import { hookExport } from '../guard';
import {
  asPathString,
  judgeFileAccess,
  openOp,
  PATH_FUNCTIONS,
  type PathArg,
  pinPathArg,
  refusesSinkClose,
} from './fs';

/** Public functions whose arguments are those of the binding function of the same name. */
const SAME_AS_BINDING = [
  'open',
  'readdir',
  'rename',
  'rmdir',
  'mkdir',
  'mkdtemp',
  'link',
  'symlink',
  'unlink',
  'copyFile',
  'chmod',
  'lchmod',
  'chown',
  'lchown',
  'utimes',
  'lutimes',
  'truncate',
];

/**
 * The path-taking functions of `fs` (base names), with which argument is which access: those of
 * the binding function each reaches (hooks/fs.ts `PATH_FUNCTIONS`), one table for both layers.
 */
const PATH_EXPORTS: Record<string, PathArg[]> = {
  ...Object.fromEntries(SAME_AS_BINDING.map((name) => [name, PATH_FUNCTIONS[name]!])),
  readFile: PATH_FUNCTIONS.readFileUtf8!,
  writeFile: PATH_FUNCTIONS.writeFileUtf8!,
  appendFile: PATH_FUNCTIONS.writeFileUtf8!,
  rm: PATH_FUNCTIONS.rmSync!,
  mkdtempDisposable: PATH_FUNCTIONS.mkdtemp!, // Node ≥ 24: removed when disposed
  cp: PATH_FUNCTIONS.cpSyncCheckPaths!,
};

/** What opening with these flags is: Node's flag strings (`'r'`, `'a+'`…) or O_* bits. */
export function openFlagsOp(flags: unknown): FileOp {
  if (typeof flags === 'string') return /^(r|rs|sr)$/.test(flags) ? 'read' : 'write';
  return openOp(flags); // O_* bits; omitted: 'r'
}

/** The access one spec stands for in this call (an open's flags, a readFile's `flag`). */
function opOf(name: string, spec: PathArg, args: unknown[]): FileOp {
  if (spec.op !== 'open') return spec.op;
  if (name === 'open') return openFlagsOp(args[1]);
  const options = args[1];
  return options && typeof options === 'object' ? openFlagsOp((options as { flag?: unknown }).flag) : 'read';
}

/** Judges every path argument; the error to fail the call with, if any. */
function judge(api: string, name: string, specs: PathArg[], args: unknown[]) {
  for (const spec of specs) {
    const requested = pinPathArg(args, spec.index);
    if (requested === undefined) continue; // an fd or a FileHandle: judged when it was opened
    const err = judgeFileAccess(api, opOf(name, spec, args), requested, spec.follow);
    if (err) return err;
  }
  return undefined;
}

type Form = 'callback' | 'sync' | 'promise';
type Owner = Record<string, unknown>;
/** The `fs` module (callback and sync forms) or fs/promises. */
type Where = 'fs' | 'promises';

/** Fails a refused call the way its form fails: a rejected promise, the callback's error, a throw. */
function refuse(form: Form, args: unknown[], err: Error): unknown {
  if (form === 'promise') return Promise.reject(err);
  const cb = args[args.length - 1];
  if (form === 'sync' || typeof cb !== 'function') throw err;
  process.nextTick(() => cb(err));
  return undefined;
}

/**
 * Inside a judged call: Node's own fs functions call others through the module object
 * (`readFileSync` calls `fs.openSync`, so tests can replace it), and the access judged at the
 * entry is not judged again. Only the synchronous part counts: what runs later (a stream's open,
 * `fs.cp`'s walk) is judged when it is called.
 */
let judgedDepth = 0;

function hookForm(owner: Record<string, unknown>, key: string, name: string, specs: PathArg[], form: Form) {
  const api = form === 'promise' ? `fs.promises.${key}` : `fs.${key}`;
  hookExport(
    owner,
    key,
    (fn, self, args) => {
      const err = judgedDepth > 0 ? undefined : judge(api, name, specs, args);
      if (!err) {
        judgedDepth++;
        try {
          return fn.apply(self, args);
        } finally {
          judgedDepth--;
        }
      }
      return refuse(form, args, err);
    },
    { surface: 'files', api },
  );
}

/** The directories a glob call walks from (its patterns' fixed prefixes, from `cwd`). */
function globRoots(args: unknown[]): string[] {
  const patterns = Array.isArray(args[0]) ? args[0] : [args[0]];
  const options = args[1] && typeof args[1] === 'object' ? (args[1] as { cwd?: unknown }) : {};
  const cwd = asPathString(options.cwd) ?? process.cwd();
  return patterns
    .filter((p): p is string => typeof p === 'string')
    .map((p) => path.resolve(cwd, globRoot(p.startsWith('/') ? p : `${cwd}/${p}`)));
}

/**
 * `fs.glob` (Node ≥ 22) lists directories: judged as a read of the directory each pattern walks
 * from, before the walk; the walk's own listings are judged as they are made (a listing it is
 * refused, glob skips, as it skips any unreadable directory).
 */
function hookGlob(owner: Owner, where: Where): void {
  const judgeRoots = (api: string, args: unknown[]) => {
    if (judgedDepth > 0) return undefined;
    for (const root of globRoots(args)) {
      const err = judgeFileAccess(api, 'read', root);
      if (err) return err;
    }
    return undefined;
  };
  const site = (api: string) => ({ surface: 'files' as const, op: 'read', api });
  if (where === 'promises') {
    // An async iterator whose first step fails with the refusal, as a failed walk would.
    hookExport(
      owner,
      'glob',
      (fn, self, args) => {
        const err = judgeRoots('fs.promises.glob', args);
        if (!err) return fn.apply(self, args);
        return {
          next: () => Promise.reject(err),
          return: () => Promise.resolve({ done: true, value: undefined }),
          [Symbol.asyncIterator]() {
            return this;
          },
        };
      },
      site('fs.promises.glob'),
    );
    return;
  }
  hookExport(
    owner,
    'glob',
    (fn, self, args) => {
      const err = judgeRoots('fs.glob', args);
      return err ? refuse('callback', args, err) : fn.apply(self, args);
    },
    site('fs.glob'),
  );
  hookExport(
    owner,
    'globSync',
    (fn, self, args) => {
      const err = judgeRoots('fs.globSync', args);
      return err ? refuse('sync', args, err) : fn.apply(self, args);
    },
    site('fs.globSync'),
  );
}

/**
 * Metadata of a path (whether it exists, its stat, its link target): no content, so the policy
 * does not judge it (as with the bindings) — but Node's model refuses it outside the
 * directories it allows, where a probe of the function's code or of `/etc` would then fail
 * unseen. Such a call is judged as the read Node is about to refuse: reported with its package,
 * refused as the policy refuses (the policy cannot allow it: Node allows a superset of it).
 */
const METADATA_EXPORTS = ['access', 'exists', 'stat', 'lstat', 'readlink', 'realpath', 'statfs'];

type Permission = { has(scope: string, reference?: string): boolean };

function hookMetadata(owner: Owner, where: Where): void {
  const permission = (process as unknown as { permission?: Permission }).permission;
  if (!permission || typeof permission.has !== 'function') return;
  const has = permission.has.bind(permission);
  const judgeRefused = (api: string, args: unknown[]) => {
    if (judgedDepth > 0) return undefined;
    const requested = pinPathArg(args, 0);
    if (requested === undefined) return undefined;
    const absolute = path.resolve(requested);
    let allowed: boolean;
    try {
      allowed = has('fs.read', absolute);
    } catch {
      return undefined;
    }
    return allowed ? undefined : judgeFileAccess(api, 'read', requested, false);
  };
  for (const name of METADATA_EXPORTS) {
    const forms =
      where === 'promises'
        ? ([[name, 'promise']] as const)
        : ([
            [name, 'callback'],
            [`${name}Sync`, 'sync'],
          ] as const);
    for (const [key, form] of forms) {
      const api = form === 'promise' ? `fs.promises.${key}` : `fs.${key}`;
      hookExport(
        owner,
        key,
        (fn, self, args) => {
          const err = judgeRefused(api, args);
          if (!err) return fn.apply(self, args);
          // exists answers false for a path it may not look at, as Node's own does.
          if (key === 'existsSync') return false;
          const cb = args[args.length - 1];
          if (key === 'exists' && typeof cb === 'function') {
            process.nextTick(() => cb(false));
            return undefined;
          }
          return refuse(form, args, err);
        },
        { surface: 'files', op: 'read', api },
      );
    }
  }
}

/** Every judged form `owner` holds: the `fs` module's callback and sync ones, or fs/promises'. */
function hookForms(owner: Owner, where: Where): void {
  for (const [name, specs] of Object.entries(PATH_EXPORTS)) {
    if (where === 'promises') hookForm(owner, name, name, specs, 'promise');
    else {
      hookForm(owner, name, name, specs, 'callback');
      hookForm(owner, `${name}Sync`, name, specs, 'sync');
    }
  }
  hookGlob(owner, where);
  hookMetadata(owner, where);
}

/**
 * fs/promises is hooked when something first gets it (`fs.promises`, `require`, `import`,
 * `process.getBuiltinModule`): loading it only to hook it would cost every cold start ~1 ms.
 */
function whenPromisesLoaded(mod: Owner, patch: (promises: Owner) => void): void {
  let done = false;
  const once = (promises: Owner) => {
    if (done || !promises || typeof promises !== 'object') return;
    done = true;
    patch(promises);
  };
  const desc = Object.getOwnPropertyDescriptor(mod, 'promises');
  const get = desc?.get;
  if (get && desc.configurable) {
    Object.defineProperty(mod, 'promises', {
      ...desc,
      get(this: unknown) {
        const promises = Reflect.apply(get, this, []) as Owner;
        once(promises);
        return promises;
      },
    });
  } else if (desc && 'value' in desc) once(desc.value as Owner);
  whenBuiltinLoaded('fs/promises', once);
}

export function hookFsExports(): void {
  const mod = fs as unknown as Owner;
  hookForms(mod, 'fs');
  whenPromisesLoaded(mod, (promises) => hookForms(promises, 'promises'));
  // The sink's descriptor (hooks/fs.ts `refusesSinkClose`): a FileHandle closes only its own.
  hookExport(mod, 'close', (fn, self, args) => {
    if (!refusesSinkClose(args[0])) return fn.apply(self, args);
    const cb = args[args.length - 1];
    if (typeof cb === 'function') process.nextTick(() => cb(null));
    return undefined;
  });
  hookExport(mod, 'closeSync', (fn, self, args) =>
    refusesSinkClose(args[0]) ? undefined : fn.apply(self, args),
  );
}
