/**
 * The fleet store: PostgreSQL, shared by any number of stateless `warden serve` instances.
 * Findings are partitioned by day (created when a day's first finding arrives); every batch is
 * one transaction that holds, for each function it touches, an advisory lock on that function, so
 * two instances grouping the same function's findings take turns and group them as one would.
 */
import { Pool, type PoolClient } from 'pg';
import { migrate, schemaSql } from './schema';
import { numbered, POSTGRES_DIALECT, type Row, type SqlConnection, type SqlDb } from './sql';
import { sqlStore } from './sql-store';
import type { Store } from './store';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The advisory lock key that serializes creating partitions (a constant in its own key space). */
const PARTITION_LOCK = 4_711_2026;

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
async function ensurePartitionsWith(c: SqlDb, known: Set<string>, times: number[]): Promise<string[]> {
  const needed = [...new Map(times.map((t) => [dayPartition(t).name, dayPartition(t)])).values()].filter(
    (p) => !known.has(p.name),
  );
  if (needed.length === 0) return [];
  await c.run('SELECT pg_advisory_xact_lock(?)', [PARTITION_LOCK]);
  for (const p of needed)
    await c.run(
      `CREATE TABLE IF NOT EXISTS ${p.name} PARTITION OF findings FOR VALUES FROM (${p.from}) TO (${p.to})`,
    );
  return needed.map((p) => p.name);
}

/** Statements with `?` placeholders on a pool or one client of it. */
function sqlOn(c: Pool | PoolClient): SqlDb {
  const all = async (sql: string, params: readonly unknown[] = []) =>
    (await c.query(numbered(sql), params as unknown[])).rows as Row[];
  return {
    all,
    get: async (sql, params) => (await all(sql, params))[0],
    run: async (sql, params) => {
      await all(sql, params);
    },
  };
}

/** `say` hears what opening does that takes a while (a database from an earlier version brought up to date). */
export async function openPgStore(url: string, say?: (line: string) => void): Promise<Store> {
  const pool = new Pool({ connectionString: url, max: 8 });
  // Schema set-up by one instance at a time (CREATE … IF NOT EXISTS races between sessions).
  const setup = await pool.connect();
  try {
    await setup.query('SELECT pg_advisory_lock($1)', [PARTITION_LOCK]);
    await setup.query(schemaSql('postgres'));
    await migrate(sqlOn(setup), POSTGRES_DIALECT.columnsSql, say);
  } finally {
    await setup.query('SELECT pg_advisory_unlock($1)', [PARTITION_LOCK]).catch(() => undefined);
    setup.release();
  }
  // A transaction PostgreSQL ended to break a deadlock or a serialization conflict is run again
  // (its effects were rolled back): the batch is still acknowledged only once it committed.
  const RETRYABLE = new Set(['40P01', '40001']);
  const connection: SqlConnection = {
    ...sqlOn(pool),
    dialect: POSTGRES_DIALECT,
    async transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        const c = await pool.connect();
        try {
          await c.query('BEGIN');
          const out = await fn(sqlOn(c));
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
    },
    close: () => pool.end(),
  };
  const partitions = new Set<string>();
  // Yesterday to a week ahead made at start, so the hot path seldom creates one.
  const today = Date.now();
  const made = await connection.transaction((tx) =>
    ensurePartitionsWith(
      tx,
      partitions,
      Array.from({ length: 9 }, (_, i) => today + (i - 1) * DAY_MS),
    ),
  );
  for (const name of made) partitions.add(name);
  return sqlStore(connection, {
    async beforeIngest(tx, findings) {
      // One function's findings are grouped by one instance at a time (sorted: no deadlock).
      // Taken before a partition is created: creating one waits for every transaction that
      // has read the findings, and none of those may be waiting for a lock this one holds.
      for (const arn of [...new Set(findings.map((f) => f.facts.functionArn))].sort())
        await tx.run('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [arn]);
      const made = await ensurePartitionsWith(
        tx,
        partitions,
        findings.map((f) => f.facts.time),
      );
      return () => {
        for (const name of made) partitions.add(name);
      };
    },
  });
}
