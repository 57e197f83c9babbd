/**
 * The embedded store: one SQLite file in WAL mode through Node's own `node:sqlite` (Node 22.13
 * and later: nothing to compile), `synchronous=FULL` so a committed batch survives a crash.
 */
import { migrate, schemaSql } from './schema';
import { type Row, SQLITE_DIALECT, type SqlConnection, type SqlDb } from './sql';
import { sqlStore } from './sql-store';
import type { Store } from './store';

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

/** `say` hears what opening does that takes a while (a database from an earlier version brought up to date). */
export async function openSqliteStore(file: string, say?: (line: string) => void): Promise<Store> {
  const db = new (sqlite().DatabaseSync)(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;');
  db.exec(schemaSql('sqlite'));
  // Prepared once per statement text: the ingest loop runs the same few many times a batch.
  const prepared = new Map<string, Statement>();
  const statement = (sql: string): Statement => {
    let st = prepared.get(sql);
    if (!st) {
      st = db.prepare(sql);
      prepared.set(sql, st);
    }
    return st;
  };
  const run: SqlDb = {
    all: async (sql, params = []) => statement(sql).all(...params),
    get: async (sql, params = []) => statement(sql).get(...params) as Row | undefined,
    run: async (sql, params = []) => {
      statement(sql).run(...params);
    },
  };
  // One writer at a time: a transaction is a chain of microtasks (node:sqlite answers at once),
  // and a second one that starts meanwhile waits for it to end.
  let queue: Promise<unknown> = Promise.resolve();
  await migrate(run, SQLITE_DIALECT.columnsSql, say);
  const connection: SqlConnection = {
    ...run,
    dialect: SQLITE_DIALECT,
    transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
      const next = queue.then(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const out = await fn(run);
          db.exec('COMMIT');
          return out;
        } catch (e) {
          db.exec('ROLLBACK');
          throw e;
        }
      });
      queue = next.catch(() => undefined);
      return next;
    },
    close: async () => {
      await queue;
      db.close();
    },
  };
  return sqlStore(connection);
}
