/**
 * The embedded store: one SQLite file in WAL mode through Node's own `node:sqlite` (Node 22.13
 * and later: nothing to compile), `synchronous=FULL` so a committed batch survives a crash.
 */
import { createHash } from 'node:crypto';
import { type IncidentWindow, placeFinding, signatureOf } from './grouping';
import type {
  FindingFilter,
  Incident,
  IncidentFilter,
  IncidentPatch,
  IngestResult,
  Store,
  StoredFinding,
} from './store';

interface Statement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): Record<string, unknown> | undefined;
  all(...params: unknown[]): Record<string, unknown>[];
}
interface Database {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}

/** node:sqlite, or why this Node cannot open the embedded store. */
function sqlite(): { DatabaseSync: new (file: string) => Database } {
  // Node marks the module experimental on 22 and says so on every start: not the user's concern.
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return require('node:sqlite') as { DatabaseSync: new (file: string) => Database };
  } catch {
    throw new Error(
      `the embedded store needs node:sqlite (Node 22.13 or later; this is ${process.version}): run warden serve on Node 22 or 24`,
    );
  } finally {
    process.emitWarning = emit;
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY,
  function_arn TEXT NOT NULL,
  function_name TEXT NOT NULL,
  title TEXT NOT NULL,
  severity_id INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  findings INTEGER NOT NULL,
  rules TEXT NOT NULL,
  packages TEXT NOT NULL,
  techniques TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT,
  assignee TEXT,
  updated INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_last_seen ON incidents (last_seen DESC);
CREATE TABLE IF NOT EXISTS findings (
  uid TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents (id),
  time INTEGER NOT NULL,
  function_arn TEXT NOT NULL,
  function_name TEXT NOT NULL,
  request_id TEXT,
  rule_id TEXT NOT NULL,
  package TEXT NOT NULL,
  target TEXT NOT NULL,
  signature TEXT NOT NULL,
  severity_id INTEGER NOT NULL,
  raw TEXT NOT NULL,
  received INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_incident ON findings (incident_id, time);
CREATE INDEX IF NOT EXISTS findings_function ON findings (function_arn, time);
CREATE INDEX IF NOT EXISTS findings_rule ON findings (rule_id, time);
CREATE INDEX IF NOT EXISTS findings_request ON findings (function_arn, request_id);
CREATE INDEX IF NOT EXISTS findings_signature ON findings (signature, time);
`;

const union = (json: unknown, more: string[]): string =>
  JSON.stringify([...new Set([...(JSON.parse(String(json)) as string[]), ...more])].sort());

function incidentOf(row: Record<string, unknown>, invocations: number): Incident {
  return {
    id: String(row.id),
    functionArn: String(row.function_arn),
    functionName: String(row.function_name),
    title: String(row.title),
    severityId: Number(row.severity_id),
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
    findings: Number(row.findings),
    invocations,
    rules: JSON.parse(String(row.rules)) as string[],
    packages: JSON.parse(String(row.packages)) as string[],
    techniques: JSON.parse(String(row.techniques)) as string[],
    state: String(row.state) as Incident['state'],
    reason: (row.reason ?? null) as Incident['reason'],
    assignee: (row.assignee ?? null) as string | null,
    updated: Number(row.updated),
  };
}

const windowOf = (row: Record<string, unknown> | undefined): IncidentWindow | undefined =>
  row
    ? {
        id: String(row.id),
        firstSeen: Number(row.first_seen),
        lastSeen: Number(row.last_seen),
        state: String(row.state),
      }
    : undefined;

/** A function filter matches its name or its ARN. */
const FUNCTION_MATCH = '(function_name = ? OR function_arn = ?)';

export function openSqliteStore(file: string): Store {
  const db = new (sqlite().DatabaseSync)(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;');
  db.exec(SCHEMA);
  const q = {
    exists: db.prepare('SELECT 1 AS x FROM findings WHERE uid = ?'),
    ofInvocation: db.prepare(
      'SELECT i.* FROM findings f JOIN incidents i ON i.id = f.incident_id WHERE f.function_arn = ? AND f.request_id = ? LIMIT 1',
    ),
    ofSignature: db.prepare(
      'SELECT i.* FROM findings f JOIN incidents i ON i.id = f.incident_id WHERE f.signature = ? ORDER BY f.time DESC LIMIT 1',
    ),
    incident: db.prepare('SELECT * FROM incidents WHERE id = ?'),
    invocations: db.prepare(
      'SELECT COUNT(DISTINCT request_id) AS n FROM findings WHERE incident_id = ? AND request_id IS NOT NULL',
    ),
    createIncident: db.prepare(
      `INSERT INTO incidents (id, function_arn, function_name, title, severity_id, first_seen, last_seen, findings,
        rules, packages, techniques, state, reason, assignee, updated)
       VALUES (?, ?, ?, ?, ?, ?, ?, 0, '[]', '[]', '[]', 'new', NULL, NULL, ?)`,
    ),
    extendIncident: db.prepare(
      `UPDATE incidents SET findings = findings + 1, first_seen = MIN(first_seen, ?), last_seen = MAX(last_seen, ?),
        severity_id = MAX(severity_id, ?), title = CASE WHEN ? > severity_id THEN ? ELSE title END,
        rules = ?, packages = ?, techniques = ?, updated = ? WHERE id = ?`,
    ),
    insertFinding: db.prepare(
      `INSERT INTO findings (uid, incident_id, time, function_arn, function_name, request_id, rule_id, package, target,
        signature, severity_id, raw, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
  };
  const transaction = <T>(fn: () => T): T => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      db.exec('COMMIT');
      return out;
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  };
  const withInvocations = (row: Record<string, unknown>): Incident =>
    incidentOf(row, Number(q.invocations.get(row.id)?.n ?? 0));

  return {
    async ingest(findings: readonly StoredFinding[], receivedAt: number): Promise<IngestResult> {
      return transaction(() => {
        let added = 0;
        let duplicates = 0;
        const touched = new Set<string>();
        for (const { facts: f, raw } of findings) {
          if (q.exists.get(f.uid)) {
            duplicates++;
            continue;
          }
          const signature = signatureOf(f);
          const placement = placeFinding(f, {
            ofInvocation: f.requestId ? windowOf(q.ofInvocation.get(f.functionArn, f.requestId)) : undefined,
            ofSignature: windowOf(q.ofSignature.get(signature)),
          });
          let id: string;
          if ('join' in placement) id = placement.join;
          else {
            // Named by its first finding: the same batch ingested anywhere names it alike.
            id = `inc-${createHash('sha256').update(f.uid).digest('hex').slice(0, 20)}`;
            q.createIncident.run(
              id,
              f.functionArn,
              f.functionName,
              f.title,
              f.severityId,
              f.time,
              f.time,
              receivedAt,
            );
          }
          const current = q.incident.get(id) as Record<string, unknown>;
          q.extendIncident.run(
            f.time,
            f.time,
            f.severityId,
            f.severityId,
            f.title,
            union(current.rules, [f.ruleId]),
            union(current.packages, [f.package]),
            union(current.techniques, f.techniques),
            receivedAt,
            id,
          );
          q.insertFinding.run(
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
          );
          added++;
          touched.add(id);
        }
        return { added, duplicates, incidents: [...touched] };
      });
    },

    async incidents(filter: IncidentFilter): Promise<Incident[]> {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.state) {
        where.push('state = ?');
        params.push(filter.state);
      }
      if (filter.function) {
        where.push(FUNCTION_MATCH);
        params.push(filter.function, filter.function);
      }
      if (filter.rule) {
        where.push('EXISTS (SELECT 1 FROM json_each(incidents.rules) WHERE value = ?)');
        params.push(filter.rule);
      }
      if (filter.since !== undefined) {
        where.push('last_seen >= ?');
        params.push(filter.since);
      }
      const rows = db
        .prepare(
          `SELECT * FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_seen DESC LIMIT ?`,
        )
        .all(...params, Math.min(filter.limit ?? 100, 1000));
      return rows.map(withInvocations);
    },

    async incident(id: string): Promise<Incident | undefined> {
      const row = q.incident.get(id);
      return row ? withInvocations(row) : undefined;
    },

    async findings(filter: FindingFilter): Promise<unknown[]> {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.function) {
        where.push(FUNCTION_MATCH);
        params.push(filter.function, filter.function);
      }
      if (filter.rule) {
        where.push('rule_id = ?');
        params.push(filter.rule);
      }
      if (filter.incident) {
        where.push('incident_id = ?');
        params.push(filter.incident);
      }
      if (filter.since !== undefined) {
        where.push('time >= ?');
        params.push(filter.since);
      }
      return db
        .prepare(
          `SELECT raw FROM findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time ASC, uid ASC LIMIT ?`,
        )
        .all(...params, Math.min(filter.limit ?? 1000, 10_000))
        .map((r) => JSON.parse(String(r.raw)) as unknown);
    },

    async updateIncident(id: string, patch: IncidentPatch, at: number): Promise<Incident | undefined> {
      return transaction(() => {
        const row = q.incident.get(id);
        if (!row) return undefined;
        const state = patch.state ?? String(row.state);
        // A reason belongs to a closed incident; reopening drops it.
        const reason = state === 'closed' ? (patch.reason ?? row.reason ?? null) : null;
        const assignee = patch.assignee !== undefined ? patch.assignee : (row.assignee ?? null);
        db.prepare('UPDATE incidents SET state = ?, reason = ?, assignee = ?, updated = ? WHERE id = ?').run(
          state,
          reason,
          assignee,
          at,
          id,
        );
        return withInvocations(q.incident.get(id) as Record<string, unknown>);
      });
    },

    async close(): Promise<void> {
      db.close();
    },
  };
}
