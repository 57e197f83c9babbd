/**
 * Storing a batch, the same for every store: each finding not yet stored is placed (its
 * invocation's incident, a live one with its signature, or a new one named by it), its incident
 * extended and the finding written. A store gives the statements (`IngestOps`), and runs this in
 * one transaction. With SQLite's synchronous statements nothing else runs in between: every
 * `await` here resumes on the microtask queue, before the event loop takes another request.
 */
import type { FindingFacts } from './finding-facts';
import { placeFinding, signatureOf } from './grouping';
import { incidentIdFor, union, windowOf } from './rows';
import type { IngestResult, StoredFinding } from './store';

type Row = Record<string, unknown> | undefined;
type MaybeAsync<T> = T | Promise<T>;

export interface IngestOps {
  exists(uid: string): MaybeAsync<boolean>;
  /** The incident of the function's invocation, if one of its findings is stored. */
  ofInvocation(functionArn: string, requestId: string): MaybeAsync<Row>;
  /** The incident of the latest stored finding with this signature. */
  ofSignature(signature: string): MaybeAsync<Row>;
  /** The incident row, for update (locked where the store locks rows). */
  incident(id: string): MaybeAsync<Row>;
  createIncident(values: unknown[]): MaybeAsync<unknown>;
  extendIncident(values: unknown[]): MaybeAsync<unknown>;
  insertFinding(values: unknown[]): MaybeAsync<unknown>;
}

/** createIncident's values: id, function ARN and name, title, severity, first seen, updated. */
const newIncident = (id: string, f: FindingFacts, at: number): unknown[] => [
  id,
  f.functionArn,
  f.functionName,
  f.title,
  f.severityId,
  f.time,
  at,
];

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
    const placement = placeFinding(f, {
      ofInvocation: f.requestId ? windowOf(await ops.ofInvocation(f.functionArn, f.requestId)) : undefined,
      ofSignature: windowOf(await ops.ofSignature(signature)),
    });
    const id = 'join' in placement ? placement.join : incidentIdFor(f.uid);
    if (!('join' in placement)) await ops.createIncident(newIncident(id, f, receivedAt));
    const current = (await ops.incident(id)) as Record<string, unknown>;
    // time, severity, title, rules, packages, techniques, updated, id
    await ops.extendIncident([
      f.time,
      f.severityId,
      f.title,
      union(current.rules, [f.ruleId]),
      union(current.packages, [f.package]),
      union(current.techniques, f.techniques),
      receivedAt,
      id,
    ]);
    await ops.insertFinding([
      f.uid,
      id,
      f.time,
      f.functionArn,
      f.functionName,
      f.requestId ?? null,
      f.ruleId,
      f.package,
      f.target,
      signature,
      f.severityId,
      raw,
      receivedAt,
    ]);
    added++;
    touched.add(id);
  }
  return { added, duplicates, incidents: [...touched] };
}
