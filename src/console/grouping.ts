/**
 * Which incident a finding belongs to, decided at ingest from the finding and what the store
 * already holds (read in the same transaction, so any number of collectors writing to one
 * database group alike): one invocation's findings are one incident; an incident extends to a
 * later invocation of the same function in which the same rule fires on the same package and
 * target, while it is alive (its last finding at most KEEP_ALIVE_MS before, its first at most
 * MAX_SPAN_MS before).
 */
import type { FindingFacts } from './finding-facts';

export const KEEP_ALIVE_MS = 60 * 60 * 1000;
export const MAX_SPAN_MS = 24 * 60 * 60 * 1000;

/** The repeat key: the same function, rule, package and target. */
export function signatureOf(f: FindingFacts): string {
  return JSON.stringify([f.functionArn, f.ruleId, f.package, f.target]);
}

export interface IncidentWindow {
  id: string;
  firstSeen: number;
  lastSeen: number;
  state: string;
}

/** Whether a finding at `time` extends the incident. A resolved or closed incident does not. */
export function alive(incident: IncidentWindow, time: number): boolean {
  if (incident.state === 'resolved' || incident.state === 'closed') return false;
  return (
    time - incident.lastSeen <= KEEP_ALIVE_MS &&
    time - incident.firstSeen <= MAX_SPAN_MS &&
    time >= incident.firstSeen - KEEP_ALIVE_MS
  );
}

export type Placement = { join: string } | { create: true };

/**
 * The incident for a finding: its invocation's (whatever its state: the invocation is one
 * incident), else a live one with the same signature, else a new one.
 */
export function placeFinding(
  f: FindingFacts,
  lookups: { ofInvocation?: IncidentWindow; ofSignature?: IncidentWindow },
): Placement {
  if (lookups.ofInvocation) return { join: lookups.ofInvocation.id };
  if (lookups.ofSignature && alive(lookups.ofSignature, f.time)) return { join: lookups.ofSignature.id };
  return { create: true };
}
