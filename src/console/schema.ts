/**
 * The console's tables, the same in SQLite and PostgreSQL except for the findings table: one
 * table in SQLite, partitioned by day in PostgreSQL (whose primary key must then hold the time).
 * Times are epoch milliseconds (BIGINT: an INTEGER in SQLite). JSON arrays are TEXT.
 */
import { backfillRollups } from './rollups';
import type { SqlDb } from './sql';

const FINDING_COLUMNS = `
  incident_id TEXT NOT NULL,
  time BIGINT NOT NULL,
  function_arn TEXT NOT NULL,
  function_name TEXT NOT NULL,
  request_id TEXT,
  rule_id TEXT NOT NULL,
  package TEXT NOT NULL,
  target TEXT NOT NULL,
  signature TEXT NOT NULL,
  severity_id INTEGER NOT NULL,
  raw TEXT NOT NULL,
  received BIGINT NOT NULL`;

const FINDINGS = {
  sqlite: `CREATE TABLE IF NOT EXISTS findings (\n  uid TEXT PRIMARY KEY,${FINDING_COLUMNS}\n);`,
  postgres: `CREATE TABLE IF NOT EXISTS findings (\n  uid TEXT NOT NULL,${FINDING_COLUMNS},\n  PRIMARY KEY (uid, time)\n) PARTITION BY RANGE (time);
CREATE INDEX IF NOT EXISTS findings_uid ON findings (uid);`,
};

export function schemaSql(kind: 'sqlite' | 'postgres'): string {
  return `
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY,
  function_arn TEXT NOT NULL,
  function_name TEXT NOT NULL,
  title TEXT NOT NULL,
  severity_id INTEGER NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  findings INTEGER NOT NULL,
  invocations INTEGER NOT NULL DEFAULT 0,
  rules TEXT NOT NULL,
  packages TEXT NOT NULL,
  techniques TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT,
  assignee TEXT,
  updated BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_last_seen ON incidents (last_seen DESC);
-- A function's incidents by time, and (covering) the function list's counts per function and state.
CREATE INDEX IF NOT EXISTS incidents_function_state ON incidents (function_arn, last_seen, state, findings);
CREATE INDEX IF NOT EXISTS incidents_state ON incidents (state);
${FINDINGS[kind]}
CREATE INDEX IF NOT EXISTS findings_incident ON findings (incident_id, time);
CREATE INDEX IF NOT EXISTS findings_rule ON findings (rule_id, time);
CREATE INDEX IF NOT EXISTS findings_request ON findings (function_arn, request_id);
CREATE INDEX IF NOT EXISTS findings_signature ON findings (signature, time);
CREATE INDEX IF NOT EXISTS findings_time ON findings (time);
CREATE TABLE IF NOT EXISTS notifications (
  route TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  last_sent BIGINT NOT NULL,
  PRIMARY KEY (route, incident_id)
);
CREATE TABLE IF NOT EXISTS finding_days (
  day BIGINT NOT NULL,
  function_arn TEXT NOT NULL,
  function_name TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  package TEXT NOT NULL,
  severity_id INTEGER NOT NULL,
  findings INTEGER NOT NULL,
  last_seen BIGINT NOT NULL,
  PRIMARY KEY (day, function_arn, rule_id, package, severity_id)
);
CREATE INDEX IF NOT EXISTS finding_days_function ON finding_days (function_arn, day);
CREATE TABLE IF NOT EXISTS attack_days (
  day BIGINT NOT NULL,
  tactic_uid TEXT NOT NULL,
  technique_uid TEXT NOT NULL,
  technique_name TEXT NOT NULL,
  findings INTEGER NOT NULL,
  last_seen BIGINT NOT NULL,
  PRIMARY KEY (day, tactic_uid, technique_uid)
);
CREATE TABLE IF NOT EXISTS policies (
  function_arn TEXT NOT NULL,
  version INTEGER NOT NULL,
  text TEXT NOT NULL,
  author TEXT NOT NULL,
  created BIGINT NOT NULL,
  PRIMARY KEY (function_arn, version)
);
CREATE TABLE IF NOT EXISTS suppressions (
  id TEXT PRIMARY KEY,
  functions TEXT NOT NULL,
  rules TEXT NOT NULL,
  package TEXT,
  owner TEXT NOT NULL,
  reason TEXT NOT NULL,
  created BIGINT NOT NULL,
  expires BIGINT NOT NULL
);
`;
}

/**
 * Brings a database made by an earlier version up to this schema (after `schemaSql`): columns
 * added since are added, and filled from what is stored; day tables added since are tallied from
 * the findings; an index a later one covers, or nothing reads any more, is dropped.
 */
export async function migrate(
  db: SqlDb,
  columnsSql: (table: string) => string,
  say?: (line: string) => void,
): Promise<void> {
  const columns = new Set((await db.all(columnsSql('incidents'))).map((r) => String(r.name)));
  if (!columns.has('invocations')) {
    await db.run('ALTER TABLE incidents ADD COLUMN invocations INTEGER NOT NULL DEFAULT 0');
    await db.run(
      `UPDATE incidents SET invocations = (SELECT COUNT(DISTINCT request_id) FROM findings
         WHERE findings.incident_id = incidents.id AND findings.request_id IS NOT NULL)`,
    );
  }
  // Read by nothing since the day counts (a function's findings by invocation: findings_request).
  await db.run('DROP INDEX IF EXISTS findings_function');
  await db.run('DROP INDEX IF EXISTS incidents_function');
  await backfillRollups(db, say);
}
