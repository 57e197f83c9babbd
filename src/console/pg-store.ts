/**
 * The fleet store: PostgreSQL, shared by any number of stateless `warden serve` instances.
 * Findings are partitioned by day (created when a day's first finding arrives); every batch is
 * one transaction that holds, for each function it touches, an advisory lock on that function, so
 * two instances grouping the same function's findings take turns and group them as one would.
 */
import { Pool, type PoolClient } from 'pg';
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

const DAY_MS = 24 * 60 * 60 * 1000;
/** The advisory lock key that serializes creating partitions (a constant in its own key space). */
const PARTITION_LOCK = 4_711_2026;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY,
  function_arn TEXT NOT NULL,
  function_name TEXT NOT NULL,
  title TEXT NOT NULL,
  severity_id INTEGER NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  findings INTEGER NOT NULL,
  rules TEXT NOT NULL,
  packages TEXT NOT NULL,
  techniques TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT,
  assignee TEXT,
  updated BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_last_seen ON incidents (last_seen DESC);
CREATE TABLE IF NOT EXISTS findings (
  uid TEXT NOT NULL,
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
  received BIGINT NOT NULL,
  PRIMARY KEY (uid, time)
) PARTITION BY RANGE (time);
CREATE INDEX IF NOT EXISTS findings_uid ON findings (uid);
CREATE INDEX IF NOT EXISTS findings_incident ON findings (incident_id, time);
CREATE INDEX IF NOT EXISTS findings_function ON findings (function_arn, time);
CREATE INDEX IF NOT EXISTS findings_rule ON findings (rule_id, time);
CREATE INDEX IF NOT EXISTS findings_request ON findings (function_arn, request_id);
CREATE INDEX IF NOT EXISTS findings_signature ON findings (signature, time);
CREATE TABLE IF NOT EXISTS notifications (
  route TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  last_sent BIGINT NOT NULL,
  PRIMARY KEY (route, incident_id)
);
`;

/** The day partition a time falls in: its name and bounds (UTC days). */
export function dayPartition(time: number): { name: string; from: number; to: number } {
  const from = Math.floor(time / DAY_MS) * DAY_MS;
  const day = new Date(from).toISOString().slice(0, 10).replaceAll('-', '');
  return { name: `findings_${day}`, from, to: from + DAY_MS };
}

/**
 * Creates, in the caller's transaction, the day partitions `times` fall in that `known` does not
 * list (one creator at a time); returns their names, to add to `known` once that has committed.
 */
async function ensurePartitionsWith(c: PoolClient, known: Set<string>, times: number[]): Promise<string[]> {
  const needed = [...new Map(times.map((t) => [dayPartition(t).name, dayPartition(t)])).values()].filter(
    (p) => !known.has(p.name),
  );
  if (needed.length === 0) return [];
  await c.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
  for (const p of needed)
    await c.query(
      `CREATE TABLE IF NOT EXISTS ${p.name} PARTITION OF findings FOR VALUES FROM (${p.from}) TO (${p.to})`,
    );
  return needed.map((p) => p.name);
}

export async function openPgStore(url: string): Promise<Store> {
  const pool = new Pool({ connectionString: url, max: 8 });
  // Schema set-up by one instance at a time (CREATE … IF NOT EXISTS races between sessions).
  const setup = await pool.connect();
  try {
    await setup.query('SELECT pg_advisory_lock($1)', [PARTITION_LOCK]);
    await setup.query(SCHEMA);
  } finally {
    await setup.query('SELECT pg_advisory_unlock($1)', [PARTITION_LOCK]).catch(() => undefined);
    setup.release();
  }
  const partitions = new Set<string>();
  // Yesterday to a week ahead made at start, so the hot path seldom creates one.
  const warm = await pool.connect();
  try {
    await warm.query('BEGIN');
    const today = Date.now();
    const made = await ensurePartitionsWith(
      warm,
      partitions,
      Array.from({ length: 9 }, (_, i) => today + (i - 1) * DAY_MS),
    );
    await warm.query('COMMIT');
    for (const name of made) partitions.add(name);
  } catch (e) {
    await warm.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    warm.release();
  }

  // A transaction PostgreSQL ended to break a deadlock or a serialization conflict is run again
  // (its effects were rolled back): the batch is still acknowledged only once it committed.
  const RETRYABLE = new Set(['40P01', '40001']);
  const transaction = async <T>(fn: (c: PoolClient) => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        if (attempt >= 4 || !RETRYABLE.has((e as { code?: string }).code ?? '')) throw e;
      } finally {
        c.release();
      }
      await new Promise((r) => setTimeout(r, 10 * attempt));
    }
  };
  const one = async (c: PoolClient | Pool, sql: string, params: unknown[]) =>
    (await c.query(sql, params)).rows[0] as Record<string, unknown> | undefined;
  const invocationsOf = async (c: PoolClient | Pool, id: unknown): Promise<number> =>
    Number(
      (
        await one(
          c,
          'SELECT COUNT(DISTINCT request_id) AS n FROM findings WHERE incident_id = $1 AND request_id IS NOT NULL',
          [id],
        )
      )?.n ?? 0,
    );
  const withInvocations = async (c: PoolClient | Pool, row: Record<string, unknown>): Promise<Incident> =>
    incidentOf(row, await invocationsOf(c, row.id));

  return {
    async ingest(findings: readonly StoredFinding[], receivedAt: number): Promise<IngestResult> {
      let made: string[] = [];
      const result = await transaction(async (c) => {
        // One function's findings are grouped by one instance at a time (sorted: no deadlock).
        // Taken before a partition is created: creating one waits for every transaction that
        // has read the findings, and none of those may be waiting for a lock this one holds.
        for (const arn of [...new Set(findings.map((f) => f.facts.functionArn))].sort())
          await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [arn]);
        made = await ensurePartitionsWith(
          c,
          partitions,
          findings.map((f) => f.facts.time),
        );
        return ingestAll(
          {
            exists: async (uid) =>
              (await one(c, 'SELECT 1 AS x FROM findings WHERE uid = $1 LIMIT 1', [uid])) !== undefined,
            ofInvocation: (arn, requestId) =>
              one(
                c,
                'SELECT i.* FROM findings f JOIN incidents i ON i.id = f.incident_id WHERE f.function_arn = $1 AND f.request_id = $2 LIMIT 1',
                [arn, requestId],
              ),
            ofSignature: (signature) =>
              one(
                c,
                'SELECT i.* FROM findings f JOIN incidents i ON i.id = f.incident_id WHERE f.signature = $1 ORDER BY f.time DESC LIMIT 1',
                [signature],
              ),
            incident: (id) => one(c, 'SELECT * FROM incidents WHERE id = $1 FOR UPDATE', [id]),
            createIncident: (n) =>
              c.query(
                `INSERT INTO incidents (id, function_arn, function_name, title, severity_id, first_seen, last_seen, findings,
                   rules, packages, techniques, state, reason, assignee, updated)
                 VALUES ($1, $2, $3, $4, $5, $6, $6, 0, '[]', '[]', '[]', 'new', NULL, NULL, $7)`,
                params.newIncident(n),
              ),
            extendIncident: (e) =>
              c.query(
                `UPDATE incidents SET findings = findings + 1, first_seen = LEAST(first_seen, $1), last_seen = GREATEST(last_seen, $1),
                   title = CASE WHEN $2 > severity_id THEN $3 ELSE title END, severity_id = GREATEST(severity_id, $2),
                   rules = $4, packages = $5, techniques = $6, updated = $7 WHERE id = $8`,
                params.extension(e),
              ),
            insertFinding: (f) =>
              c.query(
                `INSERT INTO findings (uid, incident_id, time, function_arn, function_name, request_id, rule_id, package, target,
                   signature, severity_id, raw, received) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
                params.finding(f),
              ),
          },
          findings,
          receivedAt,
        );
      });
      for (const name of made) partitions.add(name);
      return result;
    },

    async incidents(filter: IncidentFilter): Promise<Incident[]> {
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (v: unknown) => {
        params.push(v);
        return `$${params.length}`;
      };
      if (filter.state) where.push(`state = ${param(filter.state)}`);
      if (filter.function)
        where.push(`(function_name = ${param(filter.function)} OR function_arn = $${params.length})`);
      if (filter.rule) where.push(`rules::jsonb ? ${param(filter.rule)}`);
      if (filter.package) where.push(`packages::jsonb ? ${param(filter.package)}`);
      if (filter.since !== undefined) where.push(`last_seen >= ${param(filter.since)}`);
      const rows = (
        await pool.query(
          `SELECT * FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_seen DESC LIMIT ${param(Math.min(filter.limit ?? 100, 1000))}`,
          params,
        )
      ).rows as Record<string, unknown>[];
      return Promise.all(rows.map((r) => withInvocations(pool, r)));
    },

    async incident(id: string): Promise<Incident | undefined> {
      const row = await one(pool, 'SELECT * FROM incidents WHERE id = $1', [id]);
      return row ? withInvocations(pool, row) : undefined;
    },

    async findings(filter: FindingFilter): Promise<unknown[]> {
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (v: unknown) => {
        params.push(v);
        return `$${params.length}`;
      };
      if (filter.function)
        where.push(`(function_name = ${param(filter.function)} OR function_arn = $${params.length})`);
      if (filter.rule) where.push(`rule_id = ${param(filter.rule)}`);
      if (filter.incident) where.push(`incident_id = ${param(filter.incident)}`);
      if (filter.since !== undefined) where.push(`time >= ${param(filter.since)}`);
      const rows = (
        await pool.query(
          `SELECT raw FROM findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time ASC, uid ASC LIMIT ${param(Math.min(filter.limit ?? 1000, 10_000))}`,
          params,
        )
      ).rows as { raw: string }[];
      return rows.map((r) => JSON.parse(r.raw) as unknown);
    },

    updateIncident: (id: string, patch: IncidentPatch, at: number): Promise<Incident | undefined> =>
      transaction(async (c) => {
        const row = await one(c, 'SELECT * FROM incidents WHERE id = $1 FOR UPDATE', [id]);
        if (!row) return undefined;
        const { state, reason, assignee } = triaged(row, patch);
        await c.query(
          'UPDATE incidents SET state = $1, reason = $2, assignee = $3, updated = $4 WHERE id = $5',
          [state, reason, assignee, at, id],
        );
        return withInvocations(
          c,
          (await one(c, 'SELECT * FROM incidents WHERE id = $1', [id])) as Record<string, unknown>,
        );
      }),

    async claimNotification(
      route: string,
      incidentId: string,
      now: number,
      everyMs: number,
    ): Promise<boolean> {
      const r = await pool.query(
        `INSERT INTO notifications (route, incident_id, last_sent) VALUES ($1, $2, $3)
         ON CONFLICT (route, incident_id) DO UPDATE SET last_sent = excluded.last_sent
         WHERE notifications.last_sent <= $3::bigint - $4::bigint RETURNING 1 AS claimed`,
        [route, incidentId, now, everyMs],
      );
      return r.rows.length > 0;
    },

    async overview(since: number): Promise<Overview> {
      const all = async (sql: string, params: unknown[]) =>
        (await pool.query(sql.replace('?', '$1::bigint'), params)).rows;
      return overviewOf({
        byDay: await all(OVERVIEW_SQL.byDay, [since]),
        functions: await all(OVERVIEW_SQL.top('function_name'), [since]),
        rules: await all(OVERVIEW_SQL.top('rule_id'), [since]),
        packages: await all(OVERVIEW_SQL.top('package'), [since]),
        states: await all(OVERVIEW_SQL.states, []),
      });
    },

    async close(): Promise<void> {
      await pool.end();
    },
  };
}
