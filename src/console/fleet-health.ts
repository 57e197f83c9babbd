/**
 * Fleet health: for each function, what Warden reported about itself — its extension lost or
 * unreachable, its sensor silent during an invocation, findings dropped on the way, its own
 * faults — next to when the function last reported anything. Read from the findings those
 * conditions produce (src/sensor/index.ts, src/extension/). Pure.
 */
import type { FunctionSummary, HealthFinding } from './store';

export const HEALTH_KINDS = {
  extensionLost: {
    label: 'Extension lost',
    rules: [
      'warden.sensor.extension-lost',
      'warden.sensor.extension-unreachable',
      'warden.sensor.extension-unresponsive',
    ],
  },
  sensorSilent: { label: 'Sensor silent', rules: ['warden.extension.sensor-silent'] },
  dropped: {
    label: 'Findings dropped',
    rules: ['warden.extension.findings-dropped', 'warden.sensor.channel-dropped'],
  },
  faults: {
    label: 'Sensor faults',
    rules: ['warden.sensor.fault', 'warden.sensor.degraded', 'warden.sensor.watcher-lost'],
  },
} as const;
export type HealthKind = keyof typeof HEALTH_KINDS;

export const HEALTH_RULES: readonly string[] = Object.values(HEALTH_KINDS).flatMap((k) => [...k.rules]);

export interface FunctionHealth {
  arn: string;
  name: string;
  /** When the function's last finding (of any kind) arrived; 0 when none in the period. */
  lastSeen: number;
  /** Findings of each kind; for `dropped`, the findings lost (each report counts many). */
  counts: Record<HealthKind, number>;
  /** When each kind was last reported (0: never in the period). */
  last: Record<HealthKind, number>;
  healthy: boolean;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});

/**
 * How many findings one report says were lost: the extension's report carries the number as its
 * `count`; the sensor's channel report says it first in its description ("N finding line(s)").
 */
export function droppedIn(h: HealthFinding): number {
  const f = obj(h.finding);
  if (h.ruleId === 'warden.extension.findings-dropped') return Math.max(1, Number(f.count) || 1);
  const desc = String(obj(f.finding_info).desc ?? '');
  const m = /^(\d+) finding line/.exec(desc);
  return m ? Number(m[1]) : 1;
}

const kindOf = (ruleId: string): HealthKind | undefined =>
  (Object.keys(HEALTH_KINDS) as HealthKind[]).find((k) =>
    (HEALTH_KINDS[k].rules as readonly string[]).includes(ruleId),
  );

export function fleetHealth(
  functions: readonly FunctionSummary[],
  findings: readonly HealthFinding[],
): FunctionHealth[] {
  const zero = (): Record<HealthKind, number> => ({
    extensionLost: 0,
    sensorSilent: 0,
    dropped: 0,
    faults: 0,
  });
  const rows = new Map<string, FunctionHealth>();
  const row = (arn: string, name: string, lastSeen: number) => {
    let r = rows.get(arn);
    if (!r) {
      r = { arn, name, lastSeen, counts: zero(), last: zero(), healthy: true };
      rows.set(arn, r);
    }
    return r;
  };
  for (const f of functions) row(f.arn, f.name, f.lastSeen);
  for (const h of findings) {
    const kind = kindOf(h.ruleId);
    if (!kind) continue;
    const r = row(h.functionArn, h.functionName, h.time);
    r.counts[kind] += kind === 'dropped' ? droppedIn(h) : 1;
    r.last[kind] = Math.max(r.last[kind], h.time);
    r.lastSeen = Math.max(r.lastSeen, h.time);
    r.healthy = false;
  }
  // Those with trouble first (the most recent trouble first), then the rest by name.
  const lastTrouble = (r: FunctionHealth) => Math.max(...Object.values(r.last));
  return [...rows.values()].sort(
    (a, b) =>
      Number(a.healthy) - Number(b.healthy) ||
      lastTrouble(b) - lastTrouble(a) ||
      a.name.localeCompare(b.name),
  );
}
