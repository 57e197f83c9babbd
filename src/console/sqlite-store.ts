/**
 * The embedded store: one SQLite file in WAL mode through Node's own `node:sqlite` (Node 22.13
 * and later: nothing to compile), `synchronous=FULL` so a committed batch survives a crash.
 */
import { ingestAll, params } from './ingest-loop';
import { incidentOf, triaged } from './rows';
import {
  type FindingFilter,
  type Incident,
  type IncidentFilter,
  type IncidentPatch,
  type IngestResult,
  OVERVIEW_SQL,
  type Overview,
  overviewOf,
  type Store,
  type StoredFinding,
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
      `the embedded store needs node:sqlite (Node 22.13 or later; this is ${process.version}): run warden serve on Node 22 or 24, or give --db postgres://…`,
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
CREATE TABLE IF NOT EXISTS notifications (
  route TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  last_sent INTEGER NOT NULL,
  PRIMARY KEY (route, incident_id)
);
`;

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
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 0, '[]', '[]', '[]', 'new', NULL, NULL, ?7)`,
    ),
    extendIncident: db.prepare(
      `UPDATE incidents SET findings = findings + 1, first_seen = MIN(first_seen, ?1), last_seen = MAX(last_seen, ?1),
        title = CASE WHEN ?2 > severity_id THEN ?3 ELSE title END, severity_id = MAX(severity_id, ?2),
        rules = ?4, packages = ?5, techniques = ?6, updated = ?7 WHERE id = ?8`,
    ),
    insertFinding: db.prepare(
      `INSERT INTO findings (uid, incident_id, time, function_arn, function_name, request_id, rule_id, package, target,
        signature, severity_id, raw, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
  };
  const transaction = async <T>(fn: () => T | Promise<T>): Promise<T> => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const out = await fn();
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
    ingest(findings: readonly StoredFinding[], receivedAt: number): Promise<IngestResult> {
      return transaction(() =>
        ingestAll(
          {
            exists: (uid) => q.exists.get(uid) !== undefined,
            ofInvocation: (arn, requestId) => q.ofInvocation.get(arn, requestId),
            ofSignature: (signature) => q.ofSignature.get(signature),
            incident: (id) => q.incident.get(id),
            createIncident: (n) => q.createIncident.run(...params.newIncident(n)),
            extendIncident: (e) => q.extendIncident.run(...params.extension(e)),
            insertFinding: (f) => q.insertFinding.run(...params.finding(f)),
          },
          findings,
          receivedAt,
        ),
      );
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
      if (filter.package) {
        where.push('EXISTS (SELECT 1 FROM json_each(incidents.packages) WHERE value = ?)');
        params.push(filter.package);
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
        const { state, reason, assignee } = triaged(row, patch);
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

    async claimNotification(
      route: string,
      incidentId: string,
      now: number,
      everyMs: number,
    ): Promise<boolean> {
      return (
        db
          .prepare(
            `INSERT INTO notifications (route, incident_id, last_sent) VALUES (?1, ?2, ?3)
        ON CONFLICT (route, incident_id) DO UPDATE SET last_sent = excluded.last_sent
        WHERE notifications.last_sent <= ?3 - ?4 RETURNING 1 AS claimed`,
          )
          .get(route, incidentId, now, everyMs) !== undefined
      );
    },

    async overview(since: number): Promise<Overview> {
      return overviewOf({
        byDay: db.prepare(OVERVIEW_SQL.byDay).all(since),
        functions: db.prepare(OVERVIEW_SQL.top('function_name')).all(since),
        rules: db.prepare(OVERVIEW_SQL.top('rule_id')).all(since),
        packages: db.prepare(OVERVIEW_SQL.top('package')).all(since),
        states: db.prepare(OVERVIEW_SQL.states).all(),
      });
    },

    async close(): Promise<void> {
      db.close();
    },
  };
}
