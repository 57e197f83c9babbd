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
      exists: (uid) => rows.some((r) => r.uid === uid),
      ofInvocation: (arn, requestId) => latest((r) => r.functionArn === arn && r.requestId === requestId),
      ofSignature: (signature) => latest((r) => r.signature === signature),
      incident: (id) => incidents.get(id),
      createIncident: (n) => {
        incidents.set(n.id, {
          id: n.id,
          function_arn: n.functionArn,
          function_name: n.functionName,
          title: n.title,
          severity_id: n.severityId,
          first_seen: n.time,
          last_seen: n.time,
          findings: 0,
          invocations: 0,
          rules: '[]',
          packages: '[]',
          techniques: '[]',
          state: 'new',
          reason: null,
          assignee: null,
          updated: n.at,
        });
      },
      extendIncident: (e) => {
        const row = incidents.get(e.id) as Record<string, unknown>;
        row.findings = Number(row.findings) + 1;
        row.invocations = Number(row.invocations) + e.newInvocation;
        row.first_seen = Math.min(Number(row.first_seen), e.time);
        row.last_seen = Math.max(Number(row.last_seen), e.time);
        if (e.severityId > Number(row.severity_id))
          Object.assign(row, { title: e.title, severity_id: e.severityId });
        Object.assign(row, { rules: e.rules, packages: e.packages, techniques: e.techniques, updated: e.at });
      },
      insertFinding: (f) => {
        rows.push(f);
      },
      countAttack: () => undefined,
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
