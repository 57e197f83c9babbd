/**
 * Storing a batch, the same for every store: each finding not yet stored is placed (its
 * invocation's incident, a live one with its signature, or a new one named by it), and its
 * incident grown. A store gives the statements (`IngestOps`) and runs this in one transaction.
 *
 * The store is asked once per batch which uids it holds, once per invocation and per signature
 * the batch brings, once per incident it touches; what the batch itself adds is kept here, so a
 * later finding of the batch sees the earlier ones exactly as if each had been written first.
 * Then each touched incident is written once, the findings in one statement per chunk, and the
 * day counts (src/console/rollups.ts) once per key.
 */
import { type IncidentWindow, placeFinding, signatureOf } from './grouping';
import { type AttackCount, DayTally, type FindingDayCount } from './rollups';
import { incidentIdFor, incidentOf } from './rows';
import type { Incident, IngestResult, StoredFinding } from './store';

type Row = Record<string, unknown> | undefined;
type MaybeAsync<T> = T | Promise<T>;

/** An incident as the batch leaves it (its triage aside), and whether it is new. */
export type IncidentState = Omit<Incident, 'reason' | 'assignee'> & { isNew: boolean };

export interface FindingRow {
  uid: string;
  incidentId: string;
  time: number;
  functionArn: string;
  functionName: string;
  requestId: string | null;
  ruleId: string;
  package: string;
  target: string;
  signature: string;
  severityId: number;
  raw: string;
  received: number;
}

export interface IngestOps {
  /** Which of these uids are stored. */
  stored(uids: readonly string[]): MaybeAsync<Set<string>>;
  /** The incident (its `id`) of the function's invocation, if one of its findings is stored. */
  ofInvocation(functionArn: string, requestId: string): MaybeAsync<Row>;
  /** The incident (`id`) of the latest stored finding with this signature, and that finding's time (`finding_time`). */
  ofSignature(signature: string): MaybeAsync<Row>;
  /** The incident row, for update (locked where the store locks rows). */
  incident(id: string): MaybeAsync<Row>;
  /** Writes each incident the batch touched (inserted when new, else updated), before its findings. */
  saveIncidents(incidents: readonly IncidentState[]): MaybeAsync<unknown>;
  insertFindings(rows: readonly FindingRow[]): MaybeAsync<unknown>;
  countAttacks(counts: readonly AttackCount[]): MaybeAsync<unknown>;
  countFindings(counts: readonly FindingDayCount[]): MaybeAsync<unknown>;
}

const grow = (list: string[], more: readonly string[]): string[] => [...new Set([...list, ...more])].sort();

function stateOf(row: Record<string, unknown>): IncidentState {
  const { reason: _reason, assignee: _assignee, ...incident } = incidentOf(row);
  return { ...incident, isNew: false };
}

const windowOfState = (s: IncidentState): IncidentWindow => ({
  id: s.id,
  firstSeen: s.firstSeen,
  lastSeen: s.lastSeen,
  state: s.state,
});

export async function ingestAll(
  ops: IngestOps,
  findings: readonly StoredFinding[],
  receivedAt: number,
): Promise<IngestResult> {
  const already = await ops.stored([...new Set(findings.map((f) => f.facts.uid))]);
  const seen = new Set<string>();
  const incidents = new Map<string, IncidentState>();
  /** The incident as it stands now: the batch's view if it touched it, else the store's. */
  const current = async (id: string): Promise<IncidentState> => {
    let s = incidents.get(id);
    if (!s) {
      s = stateOf((await ops.incident(id)) as Record<string, unknown>);
      incidents.set(id, s);
    }
    return s;
  };
  const invocations = new Map<string, string | null>();
  const signatures = new Map<string, { id: string; time: number } | null>();
  const rows: FindingRow[] = [];
  const tally = new DayTally();
  let duplicates = 0;
  for (const { facts: f, raw } of findings) {
    if (already.has(f.uid) || seen.has(f.uid)) {
      duplicates++;
      continue;
    }
    seen.add(f.uid);
    const signature = signatureOf(f);
    const invocationKey = f.requestId ? `${f.functionArn}\u0000${f.requestId}` : undefined;
    let ofInvocation: IncidentWindow | undefined;
    if (invocationKey) {
      if (!invocations.has(invocationKey)) {
        const row = await ops.ofInvocation(f.functionArn, f.requestId as string);
        invocations.set(invocationKey, row ? String(row.id) : null);
      }
      const id = invocations.get(invocationKey);
      if (id) ofInvocation = windowOfState(await current(id));
    }
    if (!signatures.has(signature)) {
      const row = await ops.ofSignature(signature);
      signatures.set(signature, row ? { id: String(row.id), time: Number(row.finding_time) } : null);
    }
    const latest = signatures.get(signature);
    const ofSignature = latest ? windowOfState(await current(latest.id)) : undefined;
    const placement = placeFinding(f, { ofInvocation, ofSignature });
    let incident: IncidentState;
    if ('join' in placement) incident = await current(placement.join);
    else {
      incident = {
        id: incidentIdFor(f.uid),
        functionArn: f.functionArn,
        functionName: f.functionName,
        title: f.title,
        severityId: f.severityId,
        firstSeen: f.time,
        lastSeen: f.time,
        findings: 0,
        invocations: 0,
        rules: [],
        packages: [],
        techniques: [],
        state: 'new',
        updated: receivedAt,
        isNew: true,
      };
      incidents.set(incident.id, incident);
    }
    incident.findings++;
    incident.firstSeen = Math.min(incident.firstSeen, f.time);
    incident.lastSeen = Math.max(incident.lastSeen, f.time);
    if (f.severityId > incident.severityId) {
      incident.severityId = f.severityId;
      incident.title = f.title;
    }
    incident.rules = grow(incident.rules, [f.ruleId]);
    incident.packages = grow(incident.packages, [f.package]);
    incident.techniques = grow(incident.techniques, f.techniques);
    // An invocation is one incident: when none of its findings is stored, this one starts it.
    if (invocationKey && !ofInvocation) incident.invocations++;
    incident.updated = receivedAt;
    if (invocationKey) invocations.set(invocationKey, incident.id);
    if (!latest || f.time >= latest.time) signatures.set(signature, { id: incident.id, time: f.time });
    rows.push({
      uid: f.uid,
      incidentId: incident.id,
      time: f.time,
      functionArn: f.functionArn,
      functionName: f.functionName,
      requestId: f.requestId ?? null,
      ruleId: f.ruleId,
      package: f.package,
      target: f.target,
      signature,
      severityId: f.severityId,
      raw,
      received: receivedAt,
    });
    tally.add(f);
  }
  const touched = [...new Set(rows.map((r) => r.incidentId))];
  if (rows.length > 0) {
    await ops.saveIncidents(touched.map((id) => incidents.get(id) as IncidentState));
    await ops.insertFindings(rows);
    await ops.countFindings(tally.findings.list());
    const attacks = tally.attacks.list();
    if (attacks.length > 0) await ops.countAttacks(attacks);
  }
  return { added: rows.length, duplicates, incidents: touched };
}
