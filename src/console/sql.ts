/**
 * What the console's one SQL store (sql-store.ts) needs of a database: statements with `?`
 * placeholders, a transaction, and the few phrases SQLite and PostgreSQL spell differently.
 * sqlite-store.ts and pg-store.ts each give one.
 */

export type Row = Record<string, unknown>;

export interface SqlDb {
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  get(sql: string, params?: readonly unknown[]): Promise<Row | undefined>;
  run(sql: string, params?: readonly unknown[]): Promise<void>;
}

export interface Dialect {
  /** A condition: the JSON array of strings in `column` holds the (one) parameter. */
  jsonHas(column: string): string;
  /** Appended to a SELECT that reads a row the transaction will update ('' where the whole database is locked). */
  forUpdate: string;
  /** The column names of a table. */
  columnsSql(table: string): string;
}

export interface SqlConnection extends SqlDb {
  readonly dialect: Dialect;
  /** `fn` in one transaction, committed (durably) before the promise resolves. */
  transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `?` placeholders numbered as PostgreSQL wants them ($1, $2, …); no `?` is in a literal of ours. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export const SQLITE_DIALECT: Dialect = {
  jsonHas: (column) => `EXISTS (SELECT 1 FROM json_each(${column}) WHERE value = ?)`,
  forUpdate: '',
  columnsSql: (table) => `SELECT name FROM pragma_table_info('${table}')`,
};

export const POSTGRES_DIALECT: Dialect = {
  jsonHas: (column) => `${column}::jsonb @> jsonb_build_array(CAST(? AS TEXT))`,
  forUpdate: ' FOR UPDATE',
  columnsSql: (table) =>
    `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${table}'`,
};
