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
  /** A MITRE ATT&CK technique id among the incident's. */
  technique?: string;
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
  /** Before this time (ms). */
  until?: number;
  /** After this finding in (time, uid) order: where the previous page ended. */
  after?: { time: number; uid: string };
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

/** A function findings came from, over a period: from its incidents seen in the period. */
export interface FunctionSummary {
  arn: string;
  name: string;
  /** The findings of those incidents. */
  findings: number;
  incidents: number;
  /** Incidents New or In progress. */
  open: number;
  lastSeen: number;
}

/** A function's policy as kept by the console (each save a new version). */
export interface StoredPolicy {
  functionArn: string;
  version: number;
  /** The policy file's text (YAML or JSON) as given. */
  text: string;
  author: string;
  created: number;
}

/**
 * A mute: incidents it covers are stored and shown (marked), never routed, until it expires.
 * It covers an incident of a function its `functions` glob matches when every rule of the
 * incident matches `rules` (a glob) and, if it names a package, every package is that one.
 */
export interface Suppression {
  id: string;
  functions: string;
  rules: string;
  package: string | null;
  owner: string;
  reason: string;
  created: number;
  expires: number;
}

/** Findings per MITRE ATT&CK tactic and technique over a period. */
export interface AttackSeen {
  tactic: string;
  technique: string;
  name: string;
  findings: number;
  lastSeen: number;
}

/** A finding about Warden itself (its sensor or extension), per function and rule. */
export interface HealthFinding {
  functionArn: string;
  functionName: string;
  ruleId: string;
  time: number;
  /** The finding as received. */
  finding: unknown;
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
  /** Findings from the UTC day `since` (ms) falls in, by day and severity; the top functions, rules, packages. */
  overview(since: number): Promise<Overview>;
  /** Every function with an incident seen since `since`, the most recent first. */
  functions(since: number): Promise<FunctionSummary[]>;
  /** A function's findings per UTC day and rule from the day of `since`, for rules matching `rulePrefix`. */
  findingsPerDay(
    functionArn: string,
    since: number,
    rulePrefix: string,
  ): Promise<{ day: number; ruleId: string; findings: number }[]>;
  /** The function's current policy (its latest version), if one was given. */
  policy(functionArn: string): Promise<StoredPolicy | undefined>;
  /** Keeps a new version of the function's policy. */
  savePolicy(functionArn: string, text: string, author: string, at: number): Promise<StoredPolicy>;
  /** Every suppression, active or expired, the newest first. */
  suppressions(): Promise<Suppression[]>;
  addSuppression(s: Suppression): Promise<void>;
  /** Ends a suppression now (its expiry set to `at`); false when there is none by that id. */
  endSuppression(id: string, at: number): Promise<boolean>;
  /** Findings per tactic and technique from the UTC day of `since`. */
  attacks(since: number): Promise<AttackSeen[]>;
  /** Findings of the given rules (about Warden's own health) since `since`, oldest first. */
  healthFindings(since: number, rules: readonly string[]): Promise<HealthFinding[]>;
  close(): Promise<void>;
}
