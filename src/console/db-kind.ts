/** Whether --db names a PostgreSQL database (a URL) rather than a SQLite file. */
export const isPostgres = (db: string): boolean => /^postgres(ql)?:\/\//.test(db);
