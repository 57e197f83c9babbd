/**
 * The console's incidents for a handful of findings, in memory: what `warden invoke` and
 * `warden demo` print (the same grouping as `warden serve`, through the same ingest loop, with
 * arrays for tables). Findings that are not Warden's are left out.
 */
import { factsOf } from './finding-facts';
import { type FindingRow, ingestAll } from './ingest-loop';
import { incidentOf } from './rows';
import type { Incident, StoredFinding } from './store';

export interface GroupedIncident {
  incident: Incident;
  /** Its findings as given, oldest first. */
  findings: unknown[];
}

export async function groupFindings(values: readonly unknown[]): Promise<GroupedIncident[]> {
  const incidents = new Map<string, Record<string, unknown>>();
  const rows: FindingRow[] = [];
  const given = new Map<string, unknown>();
  const stored: StoredFinding[] = [];
  for (const value of values) {
    const facts = factsOf(value);
    if (!facts.ok || given.has(facts.facts.uid)) continue;
    stored.push({ facts: facts.facts, raw: '' });
    given.set(facts.facts.uid, value);
  }
  stored.sort((a, b) => a.facts.time - b.facts.time);
  const latest = (match: (r: FindingRow) => boolean) => {
    const hit = rows.filter(match).sort((a, b) => b.time - a.time)[0];
    return hit ? incidents.get(hit.incidentId) : undefined;
  };
  await ingestAll(
    {
      stored: (uids) => new Set(uids.filter((u) => rows.some((r) => r.uid === u))),
      ofInvocation: (arn, requestId) => latest((r) => r.functionArn === arn && r.requestId === requestId),
      ofSignature: (signature) => {
        const hit = rows.filter((r) => r.signature === signature).sort((a, b) => b.time - a.time)[0];
        return hit ? { id: hit.incidentId, finding_time: hit.time } : undefined;
      },
      incident: (id) => incidents.get(id),
      saveIncidents: (list) => {
        for (const i of list)
          incidents.set(i.id, {
            id: i.id,
            function_arn: i.functionArn,
            function_name: i.functionName,
            title: i.title,
            severity_id: i.severityId,
            first_seen: i.firstSeen,
            last_seen: i.lastSeen,
            findings: i.findings,
            invocations: i.invocations,
            rules: JSON.stringify(i.rules),
            packages: JSON.stringify(i.packages),
            techniques: JSON.stringify(i.techniques),
            state: i.state,
            reason: null,
            assignee: null,
            updated: i.updated,
          });
      },
      insertFindings: (list) => {
        rows.push(...list);
      },
      countAttacks: () => undefined,
      countFindings: () => undefined,
    },
    stored,
    Date.now(),
  );
  return [...incidents.values()]
    .map((row) => {
      const own = rows.filter((r) => r.incidentId === row.id);
      return { incident: incidentOf(row), findings: own.map((r) => given.get(r.uid)) };
    })
    .sort((a, b) => a.incident.firstSeen - b.incident.firstSeen);
}
