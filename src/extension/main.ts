/**
 * The Warden extension (`/opt/extensions/warden`, run with the runtime's node): the layer that
 * watches the sandbox from outside the runtime process. It registers for SHUTDOWN only,
 * subscribes to telemetry, and then
 *  - watches every process of the runtime's tree in /proc and kills what the policy forbids;
 *  - watches their sockets in the kernel's tables and judges them by the network policy;
 *  - notes executables written to /tmp and /dev/shm, so running one is drop-and-execute;
 *  - receives the sensor's findings (channel + function log), de-duplicates them with its own,
 *    attaches request ids, prints its own to stdout and ships all of them to the collector;
 *  - reports the sensor going silent, and the sensor reports it going away.
 * Nothing wakes it per invocation: it does not take INVOKE events (the sensor's channel and the
 * telemetry stream name the invocations), the channel is read at the watcher's ticks, telemetry
 * comes in Lambda's default one-second batches. An extension woken by every invocation competes
 * with the function for its CPU (a fraction of a core below 1,769 MB) at the moment it runs:
 * watching runs on timers, shipping in the background, the last flush at SHUTDOWN.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { RuleFileParser } from '../detect/rules-engine';
import { ATTACKS } from '../events/mitre';
import { type FunctionResource, type OcsfObject, toFinding } from '../events/ocsf';
import type { SensorEvent, Verdict } from '../events/types';
import type { PolicyLoadResult } from '../policy/load';
import { createSink } from '../sensor/sink';
import { readSettings } from '../settings';
import { startup } from '../startup';
import { ChannelServer, channelAddress, type Peer, parseChannel } from './channel';
import { FindingStream, sensorFinding } from './finding-stream';
import { functionDirForPolicy } from './function-dir';
import { InvocationTimeline } from './invocation-timeline';
import { type ExtensionsClient, listenTelemetry, type TelemetryEvent } from './lambda-api';
import { findRuntime, type WatchEvent } from './process-watcher';
import { readStat } from './procfs';
import { Shipper } from './shipper';
import { lostFindingsFinding, statsLine } from './shutdown-report';
import { stderr } from './stderr';
import { createWatch, probe, WATCHER_OWN_RULES, warmUp } from './watch-setup';

declare const __WARDEN_VERSION__: string;
const VERSION = typeof __WARDEN_VERSION__ === 'string' ? __WARDEN_VERSION__ : '0.0.0-dev';

const wallNow = () => performance.timeOrigin + performance.now();
const env = process.env;

/** The extension's own finding lines: the sensor's sink (raw fd 1, EAGAIN retried), on stdout. */
const stdoutSink = createSink(undefined, (fn) => fn());
const writeStdout = (line: string): void => stdoutSink.write(line);

/** How long the extension's own findings wait for the channel's (see onEvent). */
const EMIT_DELAY_MS = 25;
/** The longest a finding waits for telemetry to name its invocation (see InvocationTimeline). */
const ATTRIBUTION_WAIT_MS = 3000;

/** What the entry (entry.ts) hands over once the extension is registered. */
export interface ExtensionBoot {
  client: ExtensionsClient;
  registration: { functionName?: string; functionVersion?: string };
  runtimeApi: string;
  /** When the extension's process started its code (ms since the epoch). */
  started: number;
  /** performance.now() when the entry had loaded, and when the registration came back. */
  loadedMs: number;
  registeredMs: number;
}

/**
 * The extension, once registered (the entry registers before this module is even loaded: Lambda
 * starts the runtime once every extension has, so this runs while the runtime initialises).
 */
export async function run(boot: ExtensionBoot): Promise<void> {
  const { client, registration, runtimeApi, started, loadedMs, registeredMs } = boot;
  const settings = readSettings(env);
  const layerPolicy = path.join(__dirname, 'policy.json');
  const layerRules = path.join(__dirname, 'rules.json');
  // The loader (schema validator, YAML parser) is its own file in the layer, loaded only when
  // there is a policy or rules file: an extension on the built-in default does not pay for it.
  const loader = () =>
    createRequire(__filename)(path.join(__dirname, 'policy-loader.cjs')) as {
      parsePolicy(file: string, text: string): PolicyLoadResult;
      parseRuleFile: RuleFileParser;
    };
  // `${LAMBDA_TASK_ROOT}` in policy paths: the runtime's, once it is found (Lambda's /var/task
  // until then; extensions are not given the variable).
  let runtimeTaskRoot: string | undefined;
  const functionDir = settings.learnPath ? undefined : functionDirForPolicy(env);
  const shared = startup({
    settings,
    env,
    ...(functionDir ? { functionDir } : {}),
    exists: existsSync,
    layerPolicy: existsSync(layerPolicy) ? layerPolicy : undefined,
    layerRules: existsSync(layerRules) ? layerRules : undefined,
    read: (file) => readFileSync(file, 'utf8'),
    policyParser: () => loader().parsePolicy,
    ruleParser: () => loader().parseRuleFile,
    compile: { runtimeApi, taskRoot: () => runtimeTaskRoot ?? '/var/task' },
    // Fileless and drop-and-execute are judge.ts's own here (with the dropped file's evidence).
    skipRules: WATCHER_OWN_RULES,
  });
  const { loaded, policy, policyPath } = shared;
  const mode = loaded.mode;
  const baseResource: FunctionResource = { ...shared.resource };

  // Invocations by start: the sensor's word (at once) and telemetry's platform.start (in batches).
  const timeline = new InvocationTimeline({
    base: baseResource,
    sensorSpeaks: () => !!rootPeer && !rootLost,
    maxWaitMs: ATTRIBUTION_WAIT_MS,
  });
  // The first invocation, whichever source names it first: the sensor's presence is judged a
  // moment later, and the watching cost is counted from it.
  let firstInvoke: { cpu: NodeJS.CpuUsage; wall: number } | undefined;
  const invocationSeen = (id: string, start: number, arn?: string): void => {
    timeline.note(id, start, arn);
    if (firstInvoke) return;
    firstInvoke = { cpu: process.cpuUsage(), wall: Date.now() };
    // The sensor's hello may still be unread when its first invocation is named.
    setTimeout(() => checkSensorPresent(), 500).unref();
  };

  let shipper: Shipper | undefined;
  if (settings.collectorUrl) {
    try {
      shipper = new Shipper({
        url: settings.collectorUrl,
        token: settings.collectorToken,
        userAgent: `warden-extension/${VERSION}`,
      });
    } catch (e) {
      stderr((e as Error).message);
    }
  }
  const stream = new FindingStream({ writeStdout, shipper, requestIdAt: (t) => timeline.requestIdAt(t) });

  let uidCounter = 0;
  const emit = (
    event: SensorEvent,
    verdict: Verdict,
    killed: boolean,
    pid: number,
    requestId?: string,
    happenedAt?: number,
  ): void => {
    const now = Date.now();
    const id = requestId ?? timeline.requestIdAt(happenedAt ?? now);
    const finding = toFinding({
      uid: `x${process.pid.toString(36)}-${now.toString(36)}-${(++uidCounter).toString(36)}`,
      event,
      verdict,
      blocked: killed,
      killed,
      mode,
      requestId: id,
      resource: timeline.resourceOf(id),
      product: { name: 'Warden', version: VERSION },
      time: now,
      count: 1,
      activityId: 1,
      firstSeen: now,
      pid,
      layer: 'extension',
    });
    stream.fromExtension(finding as OcsfObject);
  };
  const notice = (ruleId: string, title: string, reason: string, severity: Verdict['severity']): void =>
    emit(
      { surface: 'sensor', op: 'tamper', api: 'extension', message: reason },
      { action: 'alert', ruleId, title, severity, attacks: [ATTACKS.impairDefenses], reason },
      false,
      process.pid,
    );

  // What start-up could not understand: the same notices the sensor reports.
  for (const n of shared.notices) {
    stderr(n.line);
    emit(n.event, n.verdict, false, process.pid);
  }

  let shuttingDown = false;
  let pendingEmits = 0;
  let rootPeer: Peer | undefined;
  let rootLost = false;
  // The temp-dir watch and the process watcher.
  const { watcher, temp } = createWatch({
    shared,
    settings,
    layer: 'extension',
    selfPid: process.pid,
    sandboxStart: started,
    sensorActive: () => !!rootPeer && !rootLost,
    onEvent(w: WatchEvent) {
      const ev = w.event;
      const pid =
        ev.surface === 'process'
          ? (ev.observed?.pid ?? 0)
          : ev.surface === 'network'
            ? (ev.owner?.pid ?? 0)
            : 0;
      // Dated by when the process started (its start tick is 10 ms coarse: the tick's end), and
      // emitted a moment later (the kill is already done): the INVOKE, the sensor's start and
      // the sensor's own finding about the same spawn, all sent before the process existed,
      // are read by then, so the request id is right and a duplicate is recognised as one.
      const seen = ev.surface === 'process' ? ev.observed : undefined;
      const at = seen?.startedAt !== undefined ? Math.min(seen.seenAt, seen.startedAt + 10) : undefined;
      pendingEmits++;
      // After the delay, the channel is read and one more pass through the poll phase made before
      // emitting: a process that was late to be seen can make the timer due at the same wake-up
      // as the channel data, and timers run before I/O is read.
      setTimeout(() => {
        channel.readNow();
        setImmediate(() => {
          pendingEmits--;
          timeline.whenAttributable(at ?? wallNow(), () => emit(ev, w.verdict, w.killed, pid, undefined, at));
        }).unref();
      }, EMIT_DELAY_MS).unref();
    },
  });
  temp.start();

  // The sensor's side of the stream, and its liveness.
  const ended = new Set<string>();
  const ran = new Set<string>();
  const reportedSilent = new Set<string>();
  const channel = new ChannelServer({
    hello(peer) {
      const rt = watcher.runtime;
      if (peer.root && !rootPeer && (!rt || peer.pid === rt.pid)) rootPeer = peer;
    },
    finding(f) {
      stream.fromSensor(f, 'channel');
    },
    end(id, peer) {
      if (peer === rootPeer) ended.add(id);
    },
    start(id, at, peer, arn) {
      if (peer === rootPeer) invocationSeen(id, at, arn);
    },
    closed(peer) {
      if (peer !== rootPeer) return;
      // A runtime that is exiting closes its sockets first: judge a moment later, and only a
      // runtime that is still running.
      setTimeout(() => {
        const rt = watcher.runtime;
        const st = rt ? readStat(rt.pid) : undefined;
        if (shuttingDown || !rt || !st || st.startTicks !== rt.startTicks || !'RSD'.includes(st.state))
          return;
        rootLost = true;
        notice(
          'warden.extension.sensor-lost',
          "Warden's in-process sensor went away while the runtime runs",
          `the sensor in the runtime (pid ${rt.pid}) closed its channel: its hooks may have been removed or its process image replaced`,
          4,
        );
      }, 100).unref();
    },
  });

  // Polling: every WARDEN_WATCH_INTERVAL_MS (8) while the runtime runs; for BURST_MS after a
  // process appears, every BURST_INTERVAL_MS, since what a process starts comes in quick
  // succession (a shell's commands, a dropper's payload).
  const interval = settings.watchIntervalMs;
  const BURST_MS = 150;
  const BURST_INTERVAL_MS = Math.min(interval, 2);
  const ownExe = probe.realpath(process.execPath) ?? process.execPath;
  const settling = new Map<number, { exe: string; since: number }>();
  const loop = (): void => {
    if (shuttingDown) return;
    if (!watcher.runtime) {
      const rt = findRuntime(process.pid, runtimeApi, ownExe, settling, Date.now());
      if (rt) {
        runtimeTaskRoot = rt.taskRoot && (probe.realpath(rt.taskRoot) ?? rt.taskRoot);
        watcher.setRuntime(rt);
      }
    }
    watcher.tick();
    // What the sensors said since the last tick (read now, not when it was sent: see channel.ts).
    channel.readNow();
    timeline.release(false);
    const burst = wallNow() - watcher.lastNewProcessAt < BURST_MS;
    setTimeout(loop, burst ? BURST_INTERVAL_MS : interval).unref();
  };
  loop();
  // Derived from the Runtime API address as the layer's wrapper derives WARDEN_CHANNEL for the
  // sensor (a WARDEN_CHANNEL in the function's configuration is the sensor's, not this).
  const address = parseChannel(env.WARDEN_EXTENSION_CHANNEL || channelAddress(runtimeApi));
  try {
    await channel.listen(address);
  } catch (e) {
    stderr(`cannot listen on the sensor channel: ${(e as Error).message}`, 'error');
  }

  const checkSilence = (id: string): void => {
    const rt = watcher.runtime;
    if (!rt?.sensorExpected || !ran.has(id) || ended.has(id) || reportedSilent.has(id) || shuttingDown)
      return;
    reportedSilent.add(id);
    emit(
      {
        surface: 'sensor',
        op: 'tamper',
        api: 'extension',
        message: `no word from the sensor for invocation ${id}`,
      },
      {
        action: 'alert',
        ruleId: 'warden.extension.sensor-silent',
        title: "Warden's in-process sensor was silent during an invocation",
        severity: 4,
        attacks: [ATTACKS.impairDefenses],
        reason: `the function ran invocation ${id} (platform.runtimeDone) but the sensor never reported its end${rootPeer ? '' : ' (it never connected)'}`,
      },
      false,
      rt.pid,
      id,
    );
  };

  const onTelemetry = (events: TelemetryEvent[]): void => {
    for (const e of events) {
      const time = Date.parse(e.time);
      timeline.telemetryReached(time);
      if (e.type === 'platform.start') {
        const id = (e.record as { requestId?: unknown } | null)?.requestId;
        if (typeof id === 'string' && Number.isFinite(time)) invocationSeen(id, time);
      } else if (e.type === 'platform.runtimeDone') {
        const { requestId: id, status } = e.record as { requestId?: string; status?: string };
        // A handler that returned or threw ends its invocation in the sensor too; one that timed
        // out or whose runtime crashed never does.
        if (id && (status === 'success' || status === 'error')) {
          ran.add(id);
          setTimeout(() => checkSilence(id), 250).unref();
        }
      } else if (e.type === 'function') {
        const f = sensorFinding(e.record);
        if (f) stream.fromSensor(f, 'telemetry');
      }
    }
    timeline.release(false);
  };
  // Compile the policy's matchers now, while the runtime initialises, not on the first process.
  setImmediate(() => warmUp(policy));
  const account = (registration as { accountId?: string }).accountId;
  if (account && !settings.accountId)
    baseResource.arn = baseResource.arn.replace(':000000000000:', `:${account}:`);
  try {
    const { uri } = await listenTelemetry(onTelemetry);
    await client.subscribeTelemetry(uri, ['platform', 'function', 'extension']);
  } catch (e) {
    stderr(`telemetry unavailable: ${(e as Error).message}`);
  }

  let presenceChecked = false;
  const checkSensorPresent = (): void => {
    const rt = watcher.runtime;
    if (presenceChecked || shuttingDown || !rt) return;
    presenceChecked = true;
    if (!rt.sensorExpected)
      notice(
        'warden.extension.sensor-not-loaded',
        "Warden's in-process sensor is not loaded",
        'the runtime was started without the sensor (is AWS_LAMBDA_EXEC_WRAPPER=/opt/warden/wrapper set?): only the extension guards this function',
        2,
      );
    else if (!rootPeer)
      notice(
        'warden.extension.sensor-absent',
        "Warden's in-process sensor never reached the extension",
        `the runtime (pid ${rt.pid}) was started with the sensor but it never connected to the extension's channel`,
        4,
      );
  };
  for (;;) {
    const event = await client.next();
    // Registered for SHUTDOWN only; anything else is not this extension's to act on.
    if (event.eventType !== 'SHUTDOWN') continue;
    // SHUTDOWN: the channel read to the end, a last look, the silence checks, then the final
    // flush within the deadline.
    channel.flow();
    watcher.tick();
    // What the last looks found is emitted before the flush.
    for (let i = 0; pendingEmits > 0 && i < 20; i++) await new Promise((r) => setTimeout(r, EMIT_DELAY_MS));
    // The sensors' last lines and the telemetry Lambda sent before SHUTDOWN are read first.
    await new Promise((r) => setTimeout(r, 10));
    timeline.release(true);
    if (firstInvoke) checkSensorPresent();
    for (const prior of timeline.all) checkSilence(prior.id);
    shuttingDown = true;
    watcher.stop();
    temp.stop();
    channel.close();
    const deadline = Math.min(event.deadlineMs, Date.now() + 2000) - 150;
    if (shipper) {
      await shipper.flush(deadline);
      // The collector missed some: say so where findings always arrive (stdout).
      const lost = lostFindingsFinding({
        stats: shipper.stats,
        collectorUrl: settings.collectorUrl!,
        mode,
        resource: baseResource,
        version: VERSION,
        started,
      });
      if (lost) writeStdout(JSON.stringify(lost));
    }
    stderr(
      statsLine({
        shutdownReason: event.shutdownReason,
        policy: (loaded.error ? loaded.fallback : policyPath) ?? 'built-in default',
        mode,
        watcher,
        intervalMs: interval,
        stream: stream.stats,
        channel: channel.stats,
        ...(shipper ? { shipper: shipper.stats } : {}),
        tempFiles: { noted: temp.count, overflow: temp.overflow },
        ...(firstInvoke ? { firstInvoke } : {}),
        started,
        loadedMs,
        registeredMs,
      }),
      'info',
    );
    process.exit(0);
  }
}
