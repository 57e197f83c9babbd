/**
 * Storing a batch, the same for every store: each finding not yet stored is placed (its
 * invocation's incident, a live one with its signature, or a new one named by it), its incident
 * extended and the finding written. A store gives the statements (`IngestOps`), and runs this in
 * one transaction. With SQLite's synchronous statements nothing else runs in between: every
 * `await` here resumes on the microtask queue, before the event loop takes another request.
 */
import { placeFinding, signatureOf } from './grouping';
import { incidentIdFor, union, windowOf } from './rows';
import type { IngestResult, StoredFinding } from './store';

type Row = Record<string, unknown> | undefined;
type MaybeAsync<T> = T | Promise<T>;

export interface NewIncident {
  id: string;
  functionArn: string;
  functionName: string;
  title: string;
  severityId: number;
  time: number;
  at: number;
}

/** A finding added to an incident: its time and severity, the sets grown, when. */
export interface IncidentExtension {
  id: string;
  time: number;
  severityId: number;
  title: string;
  rules: string;
  packages: string;
  techniques: string;
  /** 1 when the finding is the first of its invocation in the incident, else 0. */
  newInvocation: number;
  at: number;
}

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
  exists(uid: string): MaybeAsync<boolean>;
  /** The incident of the function's invocation, if one of its findings is stored. */
  ofInvocation(functionArn: string, requestId: string): MaybeAsync<Row>;
  /** The incident of the latest stored finding with this signature. */
  ofSignature(signature: string): MaybeAsync<Row>;
  /** The incident row, for update (locked where the store locks rows). */
  incident(id: string): MaybeAsync<Row>;
  createIncident(n: NewIncident): MaybeAsync<unknown>;
  extendIncident(e: IncidentExtension): MaybeAsync<unknown>;
  insertFinding(f: FindingRow): MaybeAsync<unknown>;
  /** One more finding on the UTC day `day` tagged with this tactic and technique. */
  countAttack(a: AttackCount): MaybeAsync<unknown>;
}

export interface AttackCount {
  day: number;
  tactic: string;
  technique: string;
  name: string;
  time: number;
}

const DAY_MS = 86_400_000;

/** The SQL parameters of each statement, in the order both stores' statements number them. */
export const params = {
  newIncident: (n: NewIncident): unknown[] => [
    n.id,
    n.functionArn,
    n.functionName,
    n.title,
    n.severityId,
    n.time,
    n.at,
  ],
  extension: (e: IncidentExtension): unknown[] => [
    e.time,
    e.severityId,
    e.title,
    e.rules,
    e.packages,
    e.techniques,
    e.newInvocation,
    e.at,
    e.id,
  ],
  attack: (a: AttackCount): unknown[] => [a.day, a.tactic, a.technique, a.name, a.time],
  finding: (f: FindingRow): unknown[] => [
    f.uid,
    f.incidentId,
    f.time,
    f.functionArn,
    f.functionName,
    f.requestId,
    f.ruleId,
    f.package,
    f.target,
    f.signature,
    f.severityId,
    f.raw,
    f.received,
  ],
};

export async function ingestAll(
  ops: IngestOps,
  findings: readonly StoredFinding[],
  receivedAt: number,
): Promise<IngestResult> {
  let added = 0;
  let duplicates = 0;
  const touched = new Set<string>();
  for (const { facts: f, raw } of findings) {
    if (await ops.exists(f.uid)) {
      duplicates++;
      continue;
    }
    const signature = signatureOf(f);
    // An invocation is one incident: when none of its findings is stored, this one starts it.
    const ofInvocation = f.requestId
      ? windowOf(await ops.ofInvocation(f.functionArn, f.requestId))
      : undefined;
    const placement = placeFinding(f, {
      ofInvocation,
      ofSignature: windowOf(await ops.ofSignature(signature)),
    });
    const id = 'join' in placement ? placement.join : incidentIdFor(f.uid);
    if (!('join' in placement))
      await ops.createIncident({
        id,
        functionArn: f.functionArn,
        functionName: f.functionName,
        title: f.title,
        severityId: f.severityId,
        time: f.time,
        at: receivedAt,
      });
    const current = (await ops.incident(id)) as Record<string, unknown>;
    await ops.extendIncident({
      id,
      time: f.time,
      severityId: f.severityId,
      title: f.title,
      rules: union(current.rules, [f.ruleId]),
      packages: union(current.packages, [f.package]),
      techniques: union(current.techniques, f.techniques),
      newInvocation: f.requestId && !ofInvocation ? 1 : 0,
      at: receivedAt,
    });
    await ops.insertFinding({
      uid: f.uid,
      incidentId: id,
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
    for (const a of f.attacks)
      await ops.countAttack({
        day: Math.floor(f.time / DAY_MS) * DAY_MS,
        tactic: a.tactic,
        technique: a.technique,
        name: a.name,
        time: f.time,
      });
    added++;
    touched.add(id);
  }
  return { added, duplicates, incidents: [...touched] };
}
