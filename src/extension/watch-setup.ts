/**
 * The process watcher as both of its hosts run it — the in-process watcher thread (the default)
 * and the opt-in external extension: the temp-dir watch that notes dropped executables, the
 * watcher judging with the shared start-up's policy and rules, the probe it resolves programs
 * with, the resolvers whose DNS traffic is the sensor's, and a warm-up so the first real process
 * is judged at full speed.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { newDetectState } from '../detect/context';
import { evaluate } from '../detect/engine';
import type { ExecProbe } from '../events/process-event';
import type { NetworkEvent, ProcessEvent, Verdict } from '../events/types';
import { nameservers } from '../net/nameservers';
import type { CompiledPolicy } from '../policy/compile';
import { OUTSIDE_PROCESS } from '../policy/decide';
import type { Settings } from '../settings';
import type { Startup } from '../startup';
import { judgeObservedProcess, judgeSocket, observedProcessEvent } from './judge';
import { ProcessWatcher, type WatchEvent } from './process-watcher';
import { bootTimeMs, changeTimeMs, openPaths, readCmdline } from './procfs';
import { TempFileWatch } from './temp-files';

export const probe: ExecProbe = {
  isExecutable(file) {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  realpath(file) {
    try {
      return realpathSync.native(file);
    } catch {
      return undefined;
    }
  },
};

/** Rules the watcher applies by its own means (with the dropped file's evidence): not the engine's. */
export const WATCHER_OWN_RULES: ReadonlySet<string> = new Set([
  'warden.rule.fileless-execution',
  'warden.rule.drop-and-execute',
]);

export interface WatchSetupOptions {
  shared: Startup;
  settings: Settings;
  layer: 'extension' | 'watcher';
  /** The watching process (never judged, never signalled). */
  selfPid: number;
  /** When the sandbox started (ms): a file changed after it was written here. */
  sandboxStart: number;
  sensorActive(): boolean;
  onEvent(e: WatchEvent): void;
  /** Whether the runtime's own sockets are judged now (default: always). */
  runtimeSockets?(): boolean;
  /** A command line the sensor judged at its start (see WatcherOptions.expected). */
  expected?(argv: readonly string[]): boolean;
  /** Ends the runtime the watcher runs in (see WatcherOptions.endRuntime). */
  endRuntime?(): void;
}

export interface WatchSetup {
  watcher: ProcessWatcher;
  temp: TempFileWatch;
}

export function createWatch(o: WatchSetupOptions): WatchSetup {
  const { policy, userPolicy } = o.shared;
  const detection = o.shared.detection;
  const detectState = newDetectState();
  const rules = detection
    ? (ev: ProcessEvent | NetworkEvent, allowed: boolean): Verdict[] =>
        evaluate(
          detection.engine,
          ev,
          { packageOf: () => OUTSIDE_PROCESS, policy, state: detectState, layer: o.layer },
          { policyAllowed: userPolicy && allowed },
        )
    : undefined;
  // WARDEN_INJECT_FAULT=process|all (a test aid, as for the sensor): judging a process throws.
  const injected = o.settings.injectFault === 'process' || o.settings.injectFault === 'all';
  const temp = new TempFileWatch({
    dirs: ['/tmp', '/dev/shm'],
    writerOf(file) {
      const rt = watcher.runtime;
      if (!rt) return undefined;
      for (const pid of watcher.members(rt)) {
        if (openPaths(pid).includes(file)) return `${pid} ${(readCmdline(pid) ?? []).join(' ')}`;
      }
      return undefined;
    },
  });
  const watcher: ProcessWatcher = new ProcessWatcher({
    policy,
    rules: injected
      ? (ev, allowed) => {
          if (ev.surface === 'process') throw new Error('injected fault on process');
          return rules?.(ev, allowed) ?? [];
        }
      : rules,
    mode: o.shared.loaded.mode,
    probe,
    drops: {
      noted: (p) => temp.lookup(p),
      changedAt: changeTimeMs,
      sandboxStart: o.sandboxStart,
      hash: (p) => temp.hashNow(p),
    },
    selfPid: o.selfPid,
    bootTimeMs: bootTimeMs(),
    now: () => performance.timeOrigin + performance.now(),
    sensorActive: o.sensorActive,
    resolvers: nameservers(),
    ...(o.runtimeSockets ? { runtimeSockets: o.runtimeSockets } : {}),
    ...(o.expected ? { expected: o.expected } : {}),
    ...(o.endRuntime ? { endRuntime: o.endRuntime } : {}),
    onEvent: o.onEvent,
  });
  return { watcher, temp };
}

/** Judges a made-up process and socket once, so the first real one is judged at full speed. */
export function warmUp(policy: CompiledPolicy): void {
  try {
    const ev = observedProcessEvent(
      {
        pid: 0,
        ppid: 0,
        exe: { path: '/bin/sh', deleted: false, memfd: false },
        argv: ['sh', '-c', 'true'],
        lineage: [],
        seenAt: 0,
      },
      probe,
    );
    judgeObservedProcess(policy, ev, { noted: () => undefined, changedAt: () => undefined, sandboxStart: 0 });
    judgeSocket(
      policy,
      { surface: 'network', op: 'connect', api: 'procfs', protocol: 'tcp', ip: '192.0.2.1', port: 443 },
      { runtime: false, sensorActive: true },
    );
  } catch {
    // only a warm-up
  }
}
