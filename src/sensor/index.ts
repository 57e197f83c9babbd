/**
 * The in-process sensor: `node --require sensor.cjs`. Loads the policy, installs one hook
 * module per surface, and exposes a small frozen API on `globalThis[Symbol.for('warden.sensor')]`
 * for the handler wrapper (invocation context) and for diagnostics. Loading twice (a child
 * that got both `--require` and NODE_OPTIONS, a worker) is a no-op.
 */
import fs = require('node:fs');
import path = require('node:path');

import { ATTACKS } from '../events/mitre';
import type { InvocationContext } from '../events/types';
import { logs } from '../log-level';
import { startup } from '../startup';
import { SHARED_WATCHER_KEY, SHARED_WATCHER_MARK } from '../watcher/shared';
import type { runWatcher, WatcherData } from '../watcher/worker-main';
import { addRuntimePaths, onStackTamper, setWardenFiles } from './attribution';
import { reportRefusedBindingAccess } from './binding-access';
import { settleAll } from './builtin-watch';
import { openChannel } from './channel';
import { compileChunk, judge } from './chunk';
import { credentialValues, readConfig, type SensorConfig } from './config';
import { currentInvocation, lastInvocation, onInvocationEnd, runInInvocation } from './context';
import { setFileReader } from './file-owner';
import { bypass, keepRealpath, lock, rawBinding, setFaultPolicy } from './guard';
import { bindingOrClasses } from './handle-classes';
import { installCodeHooks, nodeWorkerClass } from './hooks/code';
import { installEnvHooks } from './hooks/env';
import { installFsHooks } from './hooks/fs';
import { hookFsExports } from './hooks/fs-exports';
import { installModuleHooks } from './hooks/modules';
import { installNativeIoHooks } from './hooks/native-io';
import { installNetworkHooks } from './hooks/network';
import { watchCredentials } from './hooks/outbound';
import { installProcessHooks, processClassMissing } from './hooks/process';
import { detectFacts, inputLooksLikeCode, installPathHooks, readOfInterest } from './invocation-facts';
import { createObserver } from './observe';
import { policyLoader } from './policy-loader';
import { flushAll, flushInvocation, onHookFault, reportFault, reportNotice, setState, stats } from './report';
import { createSink, type Sink } from './sink';
import {
  configureWatcher,
  ensureWatcher,
  shareWatcher,
  WATCHER_MARK,
  type WatcherConfig,
  watcherInvocationEnded,
  watcherInvocationStarted,
  watcherStatus,
} from './watcher';

declare const __WARDEN_VERSION__: string;

const VERSION = typeof __WARDEN_VERSION__ === 'string' ? __WARDEN_VERSION__ : '0.0.0-dev';
const API_KEY = Symbol.for('warden.sensor');

/** The function's directory (symlinks resolved, as the file hooks see paths). */
function taskRootOf(): string | undefined {
  const root = process.env.LAMBDA_TASK_ROOT;
  if (!root) return undefined;
  try {
    return bypass(() => fs.realpathSync(root));
  } catch {
    return root;
  }
}

/** The directory of the script `node` was started with (symlinks resolved), if any. */
function mainScriptDir(): string | undefined {
  const main = process.argv[1];
  if (!main || !path.isAbsolute(main)) return undefined;
  try {
    return path.dirname(bypass(() => fs.realpathSync(main)));
  } catch {
    return undefined;
  }
}

/**
 * The platform's code: the runtime (LAMBDA_RUNTIME_DIR), Warden's layer directory and the
 * layers root it sits in (WARDEN_RUNTIME_PATHS, `<opt>/warden/`).
 */
function platformPathsOf(cfg: SensorConfig): string[] {
  const out = [...cfg.runtimePaths];
  const runtimeDir = process.env.LAMBDA_RUNTIME_DIR;
  if (runtimeDir) out.push(runtimeDir);
  for (const p of cfg.runtimePaths)
    if (/\/opt\/warden\/?$/.test(p)) out.push(path.dirname(p.replace(/\/$/, '')));
  return out;
}

const CHANNEL_TROUBLE = {
  unreachable: "Warden's extension cannot be reached",
  lost: "Warden's extension went away",
  unresponsive: "Warden's extension stopped answering",
} as const;

/** The extension is gone, unreachable or frozen: the second pair of eyes is closed. */
function reportChannelTrouble(kind: keyof typeof CHANNEL_TROUBLE, detail: string): void {
  reportNotice(
    { surface: 'sensor', op: 'tamper', api: 'channel', message: detail },
    {
      action: 'alert',
      ruleId: `warden.sensor.extension-${kind}`,
      title: CHANNEL_TROUBLE[kind],
      severity: kind === 'unreachable' ? 3 : 4,
      attacks: [ATTACKS.impairDefenses],
      reason: `${detail}: processes and sockets are no longer watched from outside the runtime`,
    },
    currentInvocation() ?? lastInvocation(),
  );
}

/** WARDEN_TRACE_STARTUP: the time each start-up phase takes, on stderr. */
function startupPhases(on: boolean): (name: string) => void {
  let t = process.hrtime.bigint();
  return (name) => {
    if (!on) return;
    const now = process.hrtime.bigint();
    fs.writeSync(2, `warden: ${name} ${(Number(now - t) / 1e6).toFixed(2)} ms\n`);
    t = now;
  };
}

function start(): void {
  keepRealpath();
  const sensorFile = __filename;
  const cfg = readConfig(process.env, sensorFile);
  // The function's directory, resolved once (a realpath: start-up time).
  const taskRoot = taskRootOf();
  const phase = startupPhases(cfg.traceStartup);
  setWardenFiles(sensorFile, path.dirname(sensorFile));
  addRuntimePaths(cfg.runtimePaths);
  setFileReader(
    {
      read: (file) => {
        try {
          return bypass(() => fs.readFileSync(file));
        } catch {
          return undefined;
        }
      },
      list: (dir) => {
        try {
          return bypass(() => fs.readdirSync(dir));
        } catch {
          return [];
        }
      },
      changedAt: (file) => {
        try {
          return bypass(() => fs.statSync(file).ctimeMs);
        } catch {
          return undefined;
        }
      },
      sha256: (text) =>
        bypass(() =>
          (require('node:crypto') as typeof import('node:crypto'))
            .createHash('sha256')
            .update(text)
            .digest('hex'),
        ),
    },
    // Outside Lambda (a plain `node --require`), the function is the main script's directory.
    taskRoot ?? mainScriptDir(),
  );
  const shared = startup({
    settings: cfg.settings,
    env: process.env,
    functionDir: taskRoot,
    exists: (file) => bypass(() => fs.existsSync(file)),
    read: (file) => bypass(() => fs.readFileSync(file, 'utf8')),
    policyParser: () => policyLoader().parsePolicy,
    ruleParser: () => policyLoader().parseRuleFile,
    compile: { runtimeApi: cfg.runtimeApi, taskRoot, platformPaths: platformPathsOf(cfg) },
  });
  const { loaded, policy: compiled, detection } = shared;
  phase('policy and rules');
  if (detection?.engine.rules.some((r) => r.id === 'warden.rule.credential-exfiltration'))
    watchCredentials(credentialValues(process.env, compiled.secretNames));
  phase('rules');
  const stdoutSink = createSink(cfg.findingsPath, bypass, cfg.stdoutPath);
  const channel = cfg.channel
    ? openChannel({
        address: cfg.channel,
        root: cfg.root,
        version: VERSION,
        bypass,
        onTrouble: (kind, detail) => reportChannelTrouble(kind, detail),
      })
    : undefined;
  // Findings go to stdout always, and to the extension when there is one.
  const sink: Sink = channel
    ? {
        get failures() {
          return stdoutSink.failures;
        },
        get fd() {
          return stdoutSink.fd;
        },
        write(line) {
          stdoutSink.write(line);
          try {
            channel.send(line);
          } catch (e) {
            reportFault('channel', e);
          }
        },
      }
    : stdoutSink;
  setFaultPolicy(onHookFault);
  setState({
    policy: compiled,
    mode: loaded.mode,
    failClosed: loaded.policy.failClosed,
    sink,
    resource: shared.resource,
    version: VERSION,
    injectFault: cfg.injectFault,
    ...(cfg.learnPath ? { observer: createObserver(createSink(cfg.learnPath, bypass), taskRoot) } : {}),
    ...(detection
      ? {
          engine: detection.engine,
          userPolicy: shared.userPolicy,
          invocationFacts: detectFacts,
          readOfInterest,
        }
      : {}),
  });
  // What start-up could not understand: settings, the policy file, the rules file.
  for (const n of shared.notices) {
    try {
      if (logs(cfg.settings.logLevel, 'warn')) fs.writeSync(2, `warden: ${n.line}\n`);
    } catch {
      // stderr closed: the finding still goes out
    }
    reportNotice(n.event, n.verdict);
  }
  phase('sink, channel, state');
  // Learning runs with the extension, which records what children do. The opt-in extension
  // watches the runtime's processes from outside: beside it the in-process watcher stays off
  // unless WARDEN_WATCHER asks for it (two watchers would report the same kill twice).
  const watcherChoice = cfg.learnPath ? 'off' : (cfg.settings.watcher ?? (cfg.channel ? 'off' : 'lazy'));
  configureWatcher({
    sensorFile,
    choice: watcherChoice,
    data: {
      env: watcherEnv(process.env),
      ...(taskRoot ? { taskRoot } : {}),
      platformPaths: platformPathsOf(cfg),
      version: VERSION,
      disabledHooks: cfg.disabledHooks,
    },
    workerClass: () => {
      const wt = bypass(() => require('node:worker_threads') as { Worker?: unknown });
      return (nodeWorkerClass() ?? wt.Worker) as ReturnType<WatcherConfig['workerClass']>;
    },
  });
  if (cfg.sharedWatcher) takeSharedWatcher();
  // Builtins hooked on first load (builtin-watch.ts) need the modules hook to see that load.
  let modulesWatched = false;
  // The env hook goes last: the others may read the environment while they install.
  for (const [name, install] of [
    ['process', () => installProcessHooks(cfg)],
    [
      'fs',
      () => {
        installFsHooks();
        if (!rawBinding('fs')) hookFsExports();
      },
    ],
    ['network', installNetworkHooks],
    [
      'code',
      // Monitor mode never changes how the function runs: eval keeps direct-eval semantics there.
      () =>
        installCodeHooks(
          sensorFile,
          cfg.wardenEnv,
          () => inputLooksLikeCode(currentInvocation()),
          loaded.mode,
          !cfg.rulesPath,
        ),
    ],
    // Before `modules`: the builtins it hooks on first load need the modules hook to see it.
    ['native-io', installNativeIoHooks],
    ['path', () => detection?.engine.needsInput && installPathHooks()],
    ['modules', installModuleHooks],
    ['env', installEnvHooks],
  ] as const) {
    if (cfg.disabledHooks.includes(name)) continue;
    try {
      install();
      if (name === 'modules') modulesWatched = true;
    } catch (e) {
      reportFault(`install ${name} hooks`, e);
    }
    phase(`${name} hooks`);
  }
  // Where Node refuses its bindings some public exports are hooked instead (fs-exports.ts, dns,
  // child_process): ES modules' named imports of builtins read the exports as they are synced.
  if (!rawBinding('fs'))
    (require('node:module') as { syncBuiltinESMExports(): void }).syncBuiltinESMExports();
  if (!modulesWatched) {
    try {
      settleAll();
    } catch (e) {
      reportFault('builtin hooks', e);
    }
  }
  onStackTamper((what) =>
    reportNotice(
      { surface: 'sensor', op: 'fault', api: 'Error', message: what },
      {
        action: 'alert',
        ruleId: 'warden.sensor.tamper',
        title: "Attempt to blind Warden's attribution",
        severity: 4,
        attacks: [ATTACKS.impairDefenses],
        reason: `${what}: packages cannot be attributed while it lasts`,
      },
    ),
  );
  if (cfg.disabledHooks.length > 0) {
    reportNotice(
      {
        surface: 'sensor',
        op: 'startup',
        api: 'WARDEN_DISABLE_HOOKS',
        message: `hooks not installed: ${cfg.disabledHooks.join(', ')}`,
      },
      {
        action: 'alert',
        ruleId: 'warden.sensor.degraded',
        title: 'Warden runs degraded: hook modules disabled by configuration',
        severity: 3,
        attacks: [],
        reason: `WARDEN_DISABLE_HOOKS=${cfg.disabledHooks.join(',')}: these surfaces are not guarded in-process (the extension still watches processes and sockets)`,
      },
    );
  }
  reportRefusedBindingAccess();
  const unreachable = classesUnreachable(cfg.disabledHooks);
  if (unreachable.length > 0) {
    // Node's permission model refuses process.binding, and a Node version changed what the
    // sensor finds those classes from: say so rather than look fully armed.
    reportNotice(
      {
        surface: 'sensor',
        op: 'startup',
        api: 'process.binding',
        message: `binding classes not found: ${unreachable.join(', ')}`,
      },
      {
        action: 'alert',
        ruleId: 'warden.sensor.degraded',
        title:
          "Warden runs degraded: Node refused access to its bindings and some of their classes weren't found",
        severity: 3,
        attacks: [],
        reason: `process.binding is refused (permission model) and the handle classes of ${unreachable.join(', ')} were not found from instances: those surfaces are guarded by Node's permission model and the process watcher only`,
      },
    );
  }
  // Nothing would start the watcher on demand where the process hooks are off: it starts now.
  if (watcherChoice === 'always' || cfg.disabledHooks.includes('process') || processClassMissing() === true)
    ensureWatcher('start-up', false);
  let channelDropsReported = 0;
  onInvocationEnd((ctx) => {
    // Finding lines the channel had to drop (the extension not reading): every one is on stdout.
    const drops = channel ? channel.dropped - channelDropsReported : 0;
    if (drops > 0) {
      channelDropsReported += drops;
      reportNotice(
        {
          surface: 'sensor',
          op: 'volume',
          api: 'channel',
          message: `${drops} finding line(s) not sent to the extension`,
        },
        {
          action: 'alert',
          ruleId: 'warden.sensor.channel-dropped',
          title: "Findings not sent to Warden's extension (they are on stdout)",
          severity: 2,
          attacks: [],
          reason: `${drops} finding line(s) were dropped from the channel to the extension (more than 1 MB unsent): they are in the function's log, not in what the extension ships`,
        },
        ctx,
      );
    }
    try {
      flushInvocation(ctx);
    } catch (e) {
      reportFault('flush', e);
    }
    try {
      channel?.invocationEnded(ctx.requestId);
    } catch (e) {
      reportFault('channel', e);
    }
    try {
      watcherInvocationEnded(ctx);
    } catch (e) {
      reportFault('watcher', e);
    }
  });
  process.once('exit', () => {
    try {
      flushAll();
    } catch {
      // exiting: nothing more to do
    }
  });
  const api = Object.freeze(
    Object.assign(Object.create(null) as object, {
      version: VERSION,
      mode: loaded.mode,
      policyFile: shared.policyPath ?? null,
      runInInvocation: <T>(ctx: InvocationContext, fn: () => T): T => {
        try {
          channel?.invocationStarted(ctx.requestId, ctx.startTime ?? Date.now(), ctx.functionArn);
        } catch (e) {
          reportFault('channel', e);
        }
        try {
          watcherInvocationStarted(ctx);
        } catch (e) {
          reportFault('watcher', e);
        }
        return runInInvocation(ctx, fn);
      },
      currentInvocation: () => currentInvocation(),
      stats: () => ({ ...stats(), watcher: watcherStatus() }),
    }),
  );
  lock(globalThis, API_KEY, api);
}

/**
 * A worker thread the function made: the watcher of the thread that made it (the first message
 * on this thread's port, posted by the Worker hook; taken, with its mark, before function code).
 */
function takeSharedWatcher(): void {
  delete process.env[SHARED_WATCHER_MARK];
  const wt = require('node:worker_threads') as typeof import('node:worker_threads');
  if (wt.isMainThread || !wt.parentPort) return;
  const got = wt.receiveMessageOnPort(wt.parentPort) as { message?: unknown } | undefined;
  const message = got?.message;
  const buffer =
    message !== null && typeof message === 'object'
      ? (message as Record<string, unknown>)[SHARED_WATCHER_KEY]
      : undefined;
  if (buffer instanceof SharedArrayBuffer) shareWatcher(buffer);
}

/** What the watcher thread needs of the environment (no credential: it reads none). */
function watcherEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (v !== undefined && /^(?:WARDEN_|AWS_LAMBDA_|LAMBDA_|AWS_REGION$|AWS_DEFAULT_REGION$|PATH$)/.test(k))
      out[k] = v;
  return out;
}

/**
 * This file run as the watcher's thread (src/sensor/watcher.ts starts it as the worker's script):
 * its data, or undefined. Loaded with `--require` (a preload, the runtime's main thread or a
 * function's own worker), the file is never the main module, and only the watcher's script is.
 */
function watcherThreadData(): WatcherData | undefined {
  if (typeof module === 'undefined' || require.main !== module) return undefined;
  const wt = require('node:worker_threads') as typeof import('node:worker_threads');
  if (wt.isMainThread) return undefined;
  const d = wt.workerData as WatcherData | undefined;
  return d !== null && typeof d === 'object' && d.mark === WATCHER_MARK ? d : undefined;
}

const watcherData = watcherThreadData();
if (watcherData) {
  if (watcherData.env.WARDEN_TRACE_STARTUP)
    fs.writeSync(
      2,
      `warden: watcher script at ${(performance.timeOrigin + performance.now() - watcherData.requestedAt).toFixed(1)} ms\n`,
    );
  // The watcher's code travels as a chunk; what it shares with the sensor's judgement (the policy
  // decision, the rules engine, the OCSF mapping) it takes from the judge chunk: one copy.
  const chunk = compileChunk<{ runWatcher: typeof runWatcher }>('watcher', (id) =>
    id === 'warden:judge' ? { judge } : require(id),
  );
  chunk.runWatcher(watcherData, {
    read: (file) => fs.readFileSync(file, 'utf8'),
    policyParser: () => policyLoader().parsePolicy,
    ruleParser: () => policyLoader().parseRuleFile,
  });
} else if (!(globalThis as Record<symbol, unknown>)[API_KEY]) {
  try {
    start();
  } catch (e) {
    try {
      fs.writeSync(
        2,
        `warden: sensor failed to start, function runs unguarded: ${(e as Error).stack ?? String(e)}\n`,
      );
    } catch {
      // nothing left to report to
    }
  }
}

/** The handle classes, of the hook modules in place, that neither process.binding nor an instance gave. */
function classesUnreachable(disabled: readonly string[]): string[] {
  if (rawBinding('fs') && rawBinding('spawn_sync')) return [];
  // The Process class is looked for only once something can spawn (hooks/process.ts), UDP's
  // once dgram is loaded (hooks/network.ts): not asked here.
  const missing = !disabled.includes('process') && processClassMissing() === true ? ['process_wrap'] : [];
  if (disabled.includes('network')) return missing;
  return [...missing, ...['tcp_wrap', 'pipe_wrap', 'cares_wrap'].filter((n) => !bindingOrClasses(n))];
}
