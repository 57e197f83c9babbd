/**
 * The console's storage, behind one interface: SQLite by default (sqlite-store.ts). Every write
 * is one transaction that is durable when the call returns, so a batch is acknowledged only once
 * it is on disk; a finding already stored (its metadata.uid) is counted, not added again.
 */
import type { FindingFacts } from './finding-facts';

export const INCIDENT_STATES = ['new', 'in_progress', 'resolved', 'closed'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];
export const CLOSE_REASONS = ['true_positive', 'false_positive', 'test', 'expected_behaviour'] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

export interface StoredFinding {
  facts: FindingFacts;
  /** The OCSF object as received. */
  raw: string;
}

export interface IngestResult {
  added: number;
  duplicates: number;
  /** The incidents the added findings went to. */
  incidents: string[];
}

export interface Incident {
  id: string;
  functionArn: string;
  functionName: string;
  title: string;
  severityId: number;
  firstSeen: number;
  lastSeen: number;
  findings: number;
  invocations: number;
  rules: string[];
  packages: string[];
  techniques: string[];
  state: IncidentState;
  reason: CloseReason | null;
  assignee: string | null;
  updated: number;
}

export interface IncidentFilter {
  state?: IncidentState;
  function?: string;
  rule?: string;
  /** An npm package among the incident's (`<function>` for the function's own code). */
  package?: string;
  since?: number;
  limit?: number;
}

export interface FindingFilter {
  function?: string;
  rule?: string;
  incident?: string;
  since?: number;
  limit?: number;
}

/** The overview's numbers: findings per day and severity, and the most frequent of each kind. */
export interface Overview {
  /** Per UTC day (its start, ms) and OCSF severity_id, the findings. */
  byDay: { day: number; severityId: number; findings: number }[];
  topFunctions: { name: string; findings: number }[];
  topRules: { name: string; findings: number }[];
  topPackages: { name: string; findings: number }[];
  incidentsByState: { state: string; incidents: number }[];
}

/** The overview's queries, the same SQL for both stores (`?` numbered by each). */
export const OVERVIEW_SQL = {
  byDay:
    'SELECT (time / 86400000) * 86400000 AS day, severity_id, COUNT(*) AS n FROM findings WHERE time >= ? GROUP BY 1, 2 ORDER BY 1, 2',
  top: (column: 'function_name' | 'rule_id' | 'package') =>
    `SELECT ${column} AS name, COUNT(*) AS n FROM findings WHERE time >= ? GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`,
  states: 'SELECT state, COUNT(*) AS n FROM incidents GROUP BY 1 ORDER BY 1',
};

/** The overview from rows as the driver returns them (counts may be strings). */
export function overviewOf(rows: {
  byDay: Record<string, unknown>[];
  functions: Record<string, unknown>[];
  rules: Record<string, unknown>[];
  packages: Record<string, unknown>[];
  states: Record<string, unknown>[];
}): Overview {
  const top = (r: Record<string, unknown>[]) =>
    r.map((x) => ({ name: String(x.name), findings: Number(x.n) }));
  return {
    byDay: rows.byDay.map((r) => ({
      day: Number(r.day),
      severityId: Number(r.severity_id),
      findings: Number(r.n),
    })),
    topFunctions: top(rows.functions),
    topRules: top(rows.rules),
    topPackages: top(rows.packages),
    incidentsByState: rows.states.map((r) => ({ state: String(r.state), incidents: Number(r.n) })),
  };
}

export interface IncidentPatch {
  state?: IncidentState;
  reason?: CloseReason | null;
  assignee?: string | null;
}

/** Asynchronous throughout: the embedded store answers at once, a database server does not. */
export interface Store {
  ingest(findings: readonly StoredFinding[], receivedAt: number): Promise<IngestResult>;
  incidents(filter: IncidentFilter): Promise<Incident[]>;
  incident(id: string): Promise<Incident | undefined>;
  /** The findings as received (OCSF objects), oldest first. */
  findings(filter: FindingFilter): Promise<unknown[]>;
  updateIncident(id: string, patch: IncidentPatch, at: number): Promise<Incident | undefined>;
  /**
   * Whether a route may notify about an incident now: true (and recorded) when it has not in the
   * last `everyMs`; atomic, so of several instances one sends.
   */
  claimNotification(route: string, incidentId: string, now: number, everyMs: number): Promise<boolean>;
  /** Findings since `since` (ms) by day and severity, the top functions, rules, packages. */
  overview(since: number): Promise<Overview>;
  close(): Promise<void>;
}
