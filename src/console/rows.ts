/**
 * Rows as both stores keep them (the same columns in SQLite and PostgreSQL), read back into the
 * console's shapes. A database driver may give 64-bit integers as strings: read as numbers.
 */
import { createHash } from 'node:crypto';
import type { Incident, IncidentPatch } from './store';

export function incidentOf(row: Record<string, unknown>): Incident {
  return {
    id: String(row.id),
    functionArn: String(row.function_arn),
    functionName: String(row.function_name),
    title: String(row.title),
    severityId: Number(row.severity_id),
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
    findings: Number(row.findings),
    invocations: Number(row.invocations ?? 0),
    rules: JSON.parse(String(row.rules)) as string[],
    packages: JSON.parse(String(row.packages)) as string[],
    techniques: JSON.parse(String(row.techniques)) as string[],
    state: String(row.state) as Incident['state'],
    reason: (row.reason ?? null) as Incident['reason'],
    assignee: (row.assignee ?? null) as string | null,
    updated: Number(row.updated),
  };
}

/** An incident is named by its first finding: the same batch ingested anywhere names it alike. */
export function incidentIdFor(firstFindingUid: string): string {
  return `inc-${createHash('sha256').update(firstFindingUid).digest('hex').slice(0, 20)}`;
}

/** An incident's triage fields after a change: a reason belongs to a closed one (reopening drops it). */
export function triaged(
  row: Record<string, unknown>,
  patch: IncidentPatch,
): { state: string; reason: string | null; assignee: string | null } {
  const state = patch.state ?? String(row.state);
  return {
    state,
    reason: state === 'closed' ? (patch.reason ?? (row.reason as string | null) ?? null) : null,
    assignee: patch.assignee !== undefined ? patch.assignee : ((row.assignee as string | null) ?? null),
  };
}
