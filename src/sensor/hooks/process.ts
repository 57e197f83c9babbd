/**
 * Processes. Every spawn in Node ends in one of two binding calls, both reachable through
 * `process.binding` and shared with `child_process`: `process_wrap.Process.prototype.spawn`
 * (spawn, exec, execFile, fork) and `spawn_sync.spawn` (spawnSync, execSync, execFileSync).
 * Hooking those two covers the public API and raw binding use alike, without loading
 * child_process. A blocked call fails the way that API fails (an 'error' event, a callback,
 * a thrown error, a `result.error`) with ERR_WARDEN_BLOCKED. Also: process.kill, and
 * re-injection of the sensor into child environments (even a scrubbed `env: {}`).
 */
import fs = require('node:fs');

import { NODE_VALUE_OPTIONS } from '../../events/node-options';
import { type ExecProbe, processEvent } from '../../events/process-event';
import type { ProcessEvent } from '../../events/types';
import { isShell } from '../../policy/decide';
import { whenBuiltinLoaded } from '../builtin-watch';
import type { SensorConfig } from '../config';
import type { WardenBlockedError } from '../errors';
import { bypass, handleOwner, hookExport, inBypass, lock, rawBinding, realpathOf, wrapCall } from '../guard';
import { bindingOrClasses } from '../handle-classes';
import { judgePreloads, loadsSensorFirst, nodeOptionsArgs } from '../preloads';
import { check } from '../report';
import { ensureWatcher, sensorJudgedSpawn } from '../watcher';
import { asPathString } from './fs';
import { judgeInspector, opensInspector } from './inspector';

// Linux errno values (Lambda runs Linux; loading os only for these costs start-up time).
const UV_EACCES = -13;
/**
 * What a blocked ChildProcess spawn returns to Node: EMFILE is the one failure after which
 * ChildProcess#spawn does not wrap the (never opened) stdio pipes in sockets, which would
 * fail with ENOTCONN; it still emits 'error' on the next tick, which then carries our error.
 */
const UV_EMFILE = -24;
const children = new Set<number>();
const MAX_CHILDREN = 4096;

/**
 * A blocked async spawn returns EACCES to ChildProcess#spawn, which then emits 'error' (so
 * exec/execFile callbacks and promisified forms fail too) on the next tick. The ChildProcess
 * is the handle's owner: make that one 'error' carry our error.
 */
function failChildProcess(handle: object, err: WardenBlockedError): number {
  const child = handleOwner(handle);
  if (!child || typeof child.emit !== 'function') return UV_EACCES; // raw process_wrap use
  const emit = child.emit as Function;
  Object.defineProperty(child, 'emit', {
    configurable: true,
    writable: true,
    value(this: unknown, name: unknown, ...rest: unknown[]) {
      if (name === 'error' && (rest[0] as { errno?: number } | undefined)?.errno === UV_EMFILE) {
        delete child.emit;
        const e = rest[0] as { path?: string; spawnargs?: string[] };
        err.path = e.path;
        (err as WardenBlockedError & { spawnargs?: string[] }).spawnargs = e.spawnargs;
        return emit.call(this, 'error', err);
      }
      return emit.call(this, name, ...rest);
    },
  });
  return UV_EMFILE;
}

/**
 * What spawn_sync returns for a blocked call. Node turns `result.error` (an errno) into an
 * exception object and assigns it back; the accessor keeps ours instead, so spawnSync returns
 * `{ error }` with ERR_WARDEN_BLOCKED and execSync / execFileSync throw it, as they would any
 * spawn failure.
 */
function blockedSyncResult(err: WardenBlockedError): object {
  let assigned = false;
  const result = { pid: 0, output: null, status: null, signal: null } as Record<string, unknown>;
  Object.defineProperty(result, 'error', {
    enumerable: true,
    configurable: true,
    get: () => (assigned ? err : UV_EACCES),
    set: () => {
      assigned = true;
    },
  });
  return result;
}

interface SpawnArgs {
  file: string;
  args: string[];
  cwd?: string;
  envPairs?: string[];
  stdio?: unknown[];
  setEnvPairs(pairs: string[]): void;
}

/** A socket inode of this process's TCP or UDP tables (a Unix socket is not the network). */
function isInetSocket(inode: string): boolean {
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
    let text: string;
    try {
      text = bypass(() => fs.readFileSync(`/proc/self/net/${table}`, 'latin1'));
    } catch {
      continue;
    }
    // Column 10 of each row is the inode.
    for (const row of text.split('\n').slice(1)) if (row.trim().split(/\s+/)[9] === inode) return true;
  }
  return false;
}

/** What an fd is (from its /proc/self/fd link): socket (TCP/UDP), unix, pipe, tty or file. */
function fdKind(fd: number): string {
  try {
    const link = bypass(() => fs.readlinkSync(`/proc/self/fd/${fd}`));
    if (link.startsWith('socket:')) return isInetSocket(link.slice(8, -1)) ? 'socket' : 'unix';
    if (link.startsWith('pipe:')) return 'pipe';
    if (/^\/dev\/(pts|tty)/.test(link)) return 'tty';
    return 'file';
  } catch {
    return 'unknown';
  }
}

/** The child's stdin, stdout and stderr, as the spawn options give them. */
function stdioKinds(stdio: unknown[] | undefined): string[] | undefined {
  if (!Array.isArray(stdio)) return undefined;
  return stdio.slice(0, 3).map((e) => {
    const o = e as { type?: string; fd?: number; handle?: object; wrapType?: string } | undefined;
    switch (o?.type) {
      case 'pipe':
      case 'overlapped':
        return 'pipe';
      case 'ignore':
        return 'ignore';
      case 'inherit':
        return 'inherit';
      case 'fd':
        // The parent's own standard streams are inherited, not wired up for the child.
        return typeof o.fd !== 'number' ? 'unknown' : o.fd <= 2 ? 'inherit' : fdKind(o.fd);
      case 'wrap': {
        const name = o.handle?.constructor?.name ?? o.wrapType ?? '';
        return name === 'TCP' || name === 'tcp' ? 'socket' : name === 'TTY' ? 'tty' : 'pipe';
      }
      default:
        return 'unknown';
    }
  });
}

/** Node ≤ 22 passes one options object; Node 24 passes (file, args, cwd, envPairs, stdio, …). */
function readSpawnArgs(args: unknown[]): SpawnArgs | undefined {
  const first = args[0];
  if (first && typeof first === 'object') {
    const o = first as { file?: unknown; args?: unknown; cwd?: unknown; envPairs?: unknown; stdio?: unknown };
    const argv = Array.isArray(o.args) ? o.args.map(String) : [];
    return {
      file: typeof o.file === 'string' ? o.file : (argv[0] ?? ''),
      args: argv,
      cwd: typeof o.cwd === 'string' ? o.cwd : undefined,
      envPairs: Array.isArray(o.envPairs) ? (o.envPairs as string[]) : undefined,
      stdio: Array.isArray(o.stdio) ? o.stdio : undefined,
      setEnvPairs(pairs) {
        (o as { envPairs?: string[] }).envPairs = pairs;
      },
    };
  }
  if (typeof first === 'string') {
    return {
      file: first,
      args: Array.isArray(args[1]) ? (args[1] as unknown[]).map(String) : [first],
      cwd: typeof args[2] === 'string' ? args[2] : undefined,
      envPairs: Array.isArray(args[3]) ? (args[3] as string[]) : undefined,
      stdio: Array.isArray(args[4]) ? (args[4] as unknown[]) : undefined,
      setEnvPairs(pairs) {
        args[3] = pairs;
      },
    };
  }
  return undefined;
}

function envValue(pairs: string[] | undefined, key: string): string | undefined {
  if (!pairs) return undefined;
  const prefix = `${key}=`;
  for (let i = pairs.length - 1; i >= 0; i--)
    if (pairs[i]!.startsWith(prefix)) return pairs[i]!.slice(prefix.length);
  return undefined;
}

const probe: ExecProbe = {
  isExecutable(file) {
    // existsSync first: a PATH miss then costs no thrown error (accessSync builds one, with
    // its stack, for every directory of PATH the program is not in). The sensor's own look,
    // not the function's (fs-exports.ts judges metadata calls under Node's permission model).
    return bypass(() => {
      try {
        if (!fs.existsSync(file)) return false;
        fs.accessSync(file, fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  },
  realpath: realpathOf,
};

let selfExe: string[] | undefined;

function spawnEvent(api: string, a: SpawnArgs, pathVar: string | undefined): ProcessEvent {
  const ev = processEvent(
    { api, file: a.file, argv: a.args, cwd: a.cwd, pathVar: envValue(a.envPairs, 'PATH') ?? pathVar },
    probe,
  );
  if (!selfExe) {
    const real = realpathOf(process.execPath);
    selfExe = real && real !== process.execPath ? [process.execPath, real] : [process.execPath];
  }
  ev.parentExe = selfExe;
  // Only a shell's stdio matters (a reverse shell): reading fd links costs a few syscalls.
  if (isShell(ev.exe) || (ev.realExe && isShell(ev.realExe))) {
    const stdio = stdioKinds(a.stdio);
    if (stdio) ev.stdio = stdio;
  }
  return ev;
}

/**
 * What a Node child would load or open before its own code, judged before it starts: its
 * NODE_OPTIONS, and the options on its command line when the program is Node itself.
 */
function judgeChildPreloads(
  a: SpawnArgs,
  cfg: SensorConfig,
  ev: ProcessEvent,
): WardenBlockedError | undefined {
  const options = envValue(a.envPairs, 'NODE_OPTIONS');
  const fromEnv = options
    ? judgePreloads(nodeOptionsArgs(options), cfg.sensorFile, 'NODE_OPTIONS')
    : undefined;
  if (fromEnv) return fromEnv;
  const exe = ev.realExe ?? ev.exe;
  if (!/(^|\/)node$/.test(exe) && exe !== process.execPath) return undefined;
  return judgePreloads(nodeOptionsOf(a.args.slice(1)), cfg.sensorFile, 'argv');
}

/** Node's own options on a command line: those before the script, or before `-e` / `-p` and its code. */
function nodeOptionsOf(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (!x.startsWith('-') || x === '-' || x === '--') break;
    out.push(x);
    if (x === '-e' || x === '-p' || x === '--eval' || x === '--print') break;
    if (NODE_VALUE_OPTIONS.has(x) && i + 1 < argv.length) out.push(argv[++i]!);
  }
  return out;
}

/**
 * Puts the sensor (and Warden's configuration) back into a child's environment: first in its
 * NODE_OPTIONS unless it already leads them (its path elsewhere, as another option's value,
 * loads nothing).
 */
function injectEnv(a: SpawnArgs, cfg: SensorConfig): void {
  const pairs = (a.envPairs ?? []).filter((p) => !p.startsWith('WARDEN_'));
  for (const [k, v] of Object.entries(cfg.wardenEnv)) pairs.push(`${k}=${v}`);
  const requireOpt = `--require ${JSON.stringify(cfg.sensorFile)}`;
  const current = envValue(pairs, 'NODE_OPTIONS');
  if (!loadsSensorFirst(nodeOptionsArgs(current ?? ''), cfg.sensorFile)) {
    const others = pairs.filter((p) => !p.startsWith('NODE_OPTIONS='));
    others.push(`NODE_OPTIONS=${current ? `${requireOpt} ${current}` : requireOpt}`);
    a.setEnvPairs(others);
  } else {
    a.setEnvPairs(pairs);
  }
}

/** Builtins that can start a process: child_process, and those that load it to spawn. */
const SPAWNING_BUILTINS = ['child_process', 'cluster', 'test'];
let spawnHooksDone = false;
let processClassFound: boolean | undefined;

/**
 * Whether the Process class was looked for and not found (a Node version changed what
 * handle-classes.ts relies on): undefined while not looked for yet.
 */
export function processClassMissing(): boolean | undefined {
  return processClassFound === undefined ? undefined : !processClassFound;
}

/** Node's permission model refuses every child process (no --allow-child-process). */
function childProcessesRefused(): boolean {
  const permission = (process as unknown as { permission?: { has(scope: string): boolean } }).permission;
  try {
    return !!permission && rawBinding('process_wrap') === undefined && !permission.has('child');
  } catch {
    return false;
  }
}

export function installProcessHooks(cfg: SensorConfig): void {
  // Where Node's model refuses every child process, nothing can start one: the spawn hooks, which
  // then only see attempts, are installed when a module that can spawn is first loaded (loading
  // child_process ahead would cost every cold start ~3 ms).
  if (childProcessesRefused())
    for (const name of SPAWNING_BUILTINS) whenBuiltinLoaded(name, () => hookSpawns(cfg));
  else hookSpawns(cfg);
  hookExecve(cfg);
  hookKill();
}

function hookSpawns(cfg: SensorConfig): void {
  if (spawnHooksDone) return;
  spawnHooksDone = true;
  const pathVar = cfg.pathVar;
  const processWrap = bindingOrClasses('process_wrap') as
    | { Process?: { prototype: Record<string, unknown> } }
    | undefined;
  const spawnSyncBinding = rawBinding('spawn_sync') as Record<string, unknown> | undefined;

  const proto = processWrap?.Process?.prototype;
  processClassFound = !!proto;
  if (proto && typeof proto.spawn === 'function') {
    lock(
      proto,
      'spawn',
      wrapCall(
        proto.spawn as Function,
        (orig, handle, args) => {
          const a = inBypass() ? undefined : readSpawnArgs(args);
          const ev = a && spawnEvent('process_wrap', a, pathVar);
          if (a && ev) {
            const err = check(ev) ?? judgeChildPreloads(a, cfg, ev);
            if (err) return failChildProcess(handle as object, err);
            injectEnv(a, cfg);
          }
          // What the child does after its start (an exec, a connection) is the watcher's.
          ensureWatcher('a child process');
          if (ev) sensorJudgedSpawn(ev);
          const r = orig.apply(handle, args);
          const pid = (handle as { pid?: unknown }).pid;
          if (r === 0 && typeof pid === 'number' && children.size < MAX_CHILDREN) children.add(pid);
          return r;
        },
        { surface: 'process', op: 'spawn', api: 'process_wrap.spawn' },
      ),
    );
  }

  if (spawnSyncBinding && typeof spawnSyncBinding.spawn === 'function') {
    lock(
      spawnSyncBinding,
      'spawn',
      wrapCall(
        spawnSyncBinding.spawn as Function,
        (orig, self, args) => {
          const a = inBypass() ? undefined : readSpawnArgs(args);
          const ev = a && spawnEvent('spawn_sync', a, pathVar);
          if (a && ev) {
            const err = check(ev) ?? judgeChildPreloads(a, cfg, ev);
            if (err) return blockedSyncResult(err);
            injectEnv(a, cfg);
          }
          ensureWatcher('a child process');
          if (ev) sensorJudgedSpawn(ev);
          return orig.apply(self, args);
        },
        { surface: 'process', op: 'spawn', api: 'spawn_sync.spawn' },
      ),
    );
  } else hookSyncSpawnExports(cfg);
}

function hookKill(): void {
  const killHook = (orig: (...a: unknown[]) => unknown, self: unknown, args: unknown[], api: string) => {
    const pid = Number(args[0]);
    // SIGUSR1 to itself opens the inspector.
    if (pid === process.pid && opensInspector(args[1])) judgeInspector(api, 'SIGUSR1 to itself');
    if (!inBypass() && Number.isInteger(pid) && pid !== process.pid && !children.has(pid)) {
      const err = check({
        surface: 'process',
        op: 'kill',
        api,
        file: '',
        exe: '',
        argv: [],
        pid,
        signal: args[1] as string | number | undefined,
      });
      if (err) throw err;
    }
    return orig.apply(self, args);
  };
  lock(
    process,
    'kill',
    wrapCall(process.kill, (orig, self, args) => killHook(orig, self, args, 'process.kill'), {
      surface: 'process',
      op: 'kill',
      api: 'process.kill',
    }),
  );
  const procInternal = process as unknown as { _kill?: Function };
  if (typeof procInternal._kill === 'function') {
    lock(
      process,
      '_kill',
      wrapCall(procInternal._kill, (orig, self, args) => killHook(orig, self, args, 'process._kill'), {
        surface: 'process',
        op: 'kill',
        api: 'process._kill',
      }),
    );
  }
}

/** The options Node's sync spawn reads (lib/child_process.js), inherited ones included. */
const SYNC_SPAWN_OPTIONS = [
  'cwd',
  'env',
  'argv0',
  'shell',
  'stdio',
  'input',
  'timeout',
  'killSignal',
  'maxBuffer',
  'encoding',
  'uid',
  'gid',
  'detached',
  'windowsHide',
  'windowsVerbatimArguments',
];

/**
 * The call `child_process.spawnSync`, `execSync` or `execFileSync` makes, as Node normalises it
 * (lib/child_process.js `normalizeSpawnArguments`, Linux): a shell command becomes
 * `<shell> -c <command>`, argv[0] is `argv0` or the file, the environment is `env` or the
 * whole of process.env. Every value is read once, into a snapshot that Node is then called
 * with (`callArgs()`): a getter, a Proxy or a `toString` that answers the check one thing
 * and Node another never gets the second read. `setEnvPairs` sets the child's environment there.
 */
function syncSpawnArgs(
  api: 'spawnSync' | 'execSync' | 'execFileSync',
  call: unknown[],
): (SpawnArgs & { callArgs(): unknown[] }) | undefined {
  if (typeof call[0] !== 'string') return undefined; // Node refuses it, as without the sensor
  // (file, args?, options?): `args` may be left out (options second) or null (options third).
  const argsGiven = api === 'execSync' ? undefined : call[1];
  const list = Array.isArray(argsGiven) ? argsGiven.map(String) : undefined;
  const given = api === 'execSync' ? call[1] : list || argsGiven == null ? call[2] : call[1];
  const snap: Record<string, unknown> = {};
  if (given && typeof given === 'object') {
    Object.assign(snap, given);
    for (const key of SYNC_SPAWN_OPTIONS)
      if (!Object.hasOwn(snap, key) && key in given) snap[key] = (given as Record<string, unknown>)[key];
  }
  const cwd = snap.cwd === undefined ? undefined : asPathString(snap.cwd);
  if (cwd !== undefined) snap.cwd = cwd;
  const shell = api === 'execSync' ? (typeof snap.shell === 'string' ? snap.shell : true) : snap.shell;
  let file = call[0];
  let args = list ?? [];
  if (shell) {
    const command = [file, ...args].join(' ');
    file = typeof shell === 'string' ? shell : '/bin/sh';
    args = ['-c', command];
  }
  const argv0 = typeof snap.argv0 === 'string' ? snap.argv0 : file;
  const env = (
    snap.env && typeof snap.env === 'object'
      ? { ...(snap.env as object) }
      : bypass(() => ({ ...process.env }))
  ) as Record<string, unknown>;
  snap.env = env;
  return {
    file,
    args: [argv0, ...args],
    cwd: cwd ?? process.cwd(),
    envPairs: Object.entries(env)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${String(v)}`),
    setEnvPairs(pairs) {
      const next: Record<string, string> = {};
      for (const p of pairs) {
        const at = p.indexOf('=');
        next[p.slice(0, at)] = p.slice(at + 1);
      }
      snap.env = next;
    },
    callArgs: () => (api === 'execSync' ? [call[0], snap] : [call[0], list ?? [], snap]),
  };
}

/**
 * Where Node refuses `process.binding` (the permission model), `spawn_sync.spawn` cannot be
 * reached: the three public sync calls are judged instead, before Node runs them, and the
 * sensor is put into the child's environment. They fail as a refused spawn does: spawnSync
 * returns `{ error }`, execSync and execFileSync throw it. (child_process is loaded by then: the
 * Process class is found from one of its instances, handle-classes.ts.)
 */
function hookSyncSpawnExports(cfg: SensorConfig): void {
  const childProcess = require('node:child_process') as Record<string, unknown>;
  for (const api of ['spawnSync', 'execSync', 'execFileSync'] as const) {
    hookExport(
      childProcess,
      api,
      (orig, self, call) => {
        const a = inBypass() ? undefined : syncSpawnArgs(api, call);
        if (!a) return orig.apply(self, call);
        const ev = spawnEvent(`child_process.${api}`, a, cfg.pathVar);
        const err = check(ev) ?? judgeChildPreloads(a, cfg, ev);
        if (err) {
          if (api !== 'spawnSync') throw err;
          return { pid: 0, output: null, stdout: null, stderr: null, status: null, signal: null, error: err };
        }
        injectEnv(a, cfg);
        ensureWatcher('a child process');
        sensorJudgedSpawn(ev);
        return orig.apply(self, a.callArgs());
      },
      { surface: 'process', op: 'spawn', api: `child_process.${api}` },
    );
  }
}

/**
 * `process.execve` (Node ≥ 22.15): the process becomes another program — a process start,
 * judged as a spawn is (the program, its arguments, a shell's command), and the sensor put
 * back into the new program's environment. Node captured the binding's `execve` when it made
 * this function, and the binding is not reachable through `process.binding`: the function is
 * the one way in.
 */
function hookExecve(cfg: SensorConfig): void {
  const execve = (process as unknown as { execve?: unknown }).execve;
  if (typeof execve !== 'function') return;
  lock(
    process,
    'execve',
    wrapCall(
      execve,
      (orig, self, args) => {
        if (inBypass() || typeof args[0] !== 'string') return orig.apply(self, args);
        const argv = Array.isArray(args[1]) ? (args[1] as unknown[]).map(String) : [];
        // Node's default is the whole environment: read here, not by the caller's code.
        const env = (args[2] ?? bypass(() => ({ ...process.env }))) as Record<string, unknown>;
        // Anything but an object of strings is Node's to refuse, as it would without the sensor.
        const entries = env && typeof env === 'object' ? Object.entries(env) : undefined;
        const pairs = entries?.every(([, v]) => typeof v === 'string')
          ? entries.map(([k, v]) => `${k}=${v as string}`)
          : undefined;
        let envOut: unknown = args[2];
        const a: SpawnArgs = {
          file: args[0],
          args: argv.length > 0 ? argv : [args[0]],
          cwd: process.cwd(),
          envPairs: pairs,
          setEnvPairs(next) {
            envOut = Object.fromEntries(
              next.map((p) => {
                const at = p.indexOf('=');
                return [p.slice(0, at), p.slice(at + 1)];
              }),
            );
          },
        };
        const ev = spawnEvent('process.execve', a, cfg.pathVar);
        const err = check(ev) ?? judgeChildPreloads(a, cfg, ev);
        if (err) throw err;
        if (pairs) injectEnv(a, cfg);
        return orig.call(self, args[0], args[1] ?? [], envOut);
      },
      { surface: 'process', op: 'spawn', api: 'process.execve' },
    ),
  );
}
