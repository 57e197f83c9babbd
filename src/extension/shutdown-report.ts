/**
 * What the extension says at SHUTDOWN, after its last flush: the findings the collector missed
 * (one finding on stdout, where every one of them already is) and its one stats line (stderr).
 */
import { type FunctionResource, type OcsfObject, toFinding } from '../events/ocsf';
import type { Mode } from '../policy/types';
import type { ProcessWatcher } from './process-watcher';
import type { ShipperStats } from './shipper';

export interface LostFindings {
  stats: ShipperStats;
  collectorUrl: string;
  mode: Mode;
  resource: FunctionResource;
  version: string;
  started: number;
}

/** The finding for findings the collector never got, or undefined when it got them all. */
export function lostFindingsFinding(o: LostFindings): OcsfObject | undefined {
  const lost = o.stats.dropped + o.stats.buffered;
  if (lost === 0) return undefined;
  return toFinding({
    uid: `x${process.pid.toString(36)}-${Date.now().toString(36)}-lost`,
    event: { surface: 'sensor', op: 'fault', api: 'collector', message: 'findings not delivered' },
    verdict: {
      action: 'alert',
      ruleId: 'warden.extension.findings-dropped',
      title: 'Findings did not reach the collector',
      severity: 3,
      attacks: [],
      reason: `${lost} finding(s) not delivered to ${new URL(o.collectorUrl).origin} (${o.stats.dropped} dropped, ${o.stats.buffered} still buffered at shutdown; last error: ${o.stats.lastError ?? 'none'}); every one of them is in this log`,
    },
    blocked: false,
    mode: o.mode,
    resource: o.resource,
    product: { name: 'Warden', version: o.version },
    time: Date.now(),
    count: lost,
    activityId: 1,
    firstSeen: o.started,
    pid: process.pid,
    layer: 'extension',
  }) as OcsfObject;
}

export interface StatsInputs {
  shutdownReason?: string;
  policy: string;
  mode: Mode;
  watcher: ProcessWatcher;
  intervalMs: number;
  stream: object;
  channel: object;
  shipper?: ShipperStats;
  tempFiles: { noted: number; overflow: number };
  firstInvoke?: { cpu: NodeJS.CpuUsage; wall: number };
  started: number;
  loadedMs: number;
  registeredMs: number;
}

/** The stats line (JSON): what the extension did, what it cost, how long it took to start. */
export function statsLine(o: StatsInputs): string {
  const cpu = process.cpuUsage();
  const rt = o.watcher.runtime;
  const w = o.watcher.stats;
  return JSON.stringify({
    shutdown: o.shutdownReason,
    policy: o.policy,
    mode: o.mode,
    runtime: rt ? { pid: rt.pid, cgroup: !!rt.cgroupProcs, sensor: rt.sensorExpected } : null,
    watcher: {
      ...w,
      tickMsTotal: Math.round(w.tickMsTotal),
      tickMsMax: Math.round(w.tickMsMax * 100) / 100,
      intervalMs: o.intervalMs,
    },
    stream: o.stream,
    channel: o.channel,
    shipper: o.shipper,
    tempFiles: o.tempFiles,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    sinceFirstInvoke: o.firstInvoke
      ? {
          cpuMs: Math.round(
            (cpu.user + cpu.system - o.firstInvoke.cpu.user - o.firstInvoke.cpu.system) / 1000,
          ),
          wallMs: Date.now() - o.firstInvoke.wall,
        }
      : undefined,
    maxRssKb: process.resourceUsage().maxRSS,
    uptimeMs: Date.now() - o.started,
    loadedMs: o.loadedMs,
    registeredMs: o.registeredMs,
  });
}
