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
  close(): Promise<void>;
}
