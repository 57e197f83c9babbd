/**
 * `warden serve`'s process: opens the store, listens, and closes both on SIGINT / SIGTERM.
 * Bundled as dist/serve.cjs, loaded by that command only.
 */
import { serve } from '@hono/node-server';
import { openPgStore } from './pg-store';
import type { RoutesConfig } from './routes';
import { consoleApp } from './server';
import { openSqliteStore } from './sqlite-store';

export interface ServeOptions {
  /** A SQLite file, or a postgres:// URL. */
  db: string;
  host: string;
  port: number;
  token?: string;
  routes?: RoutesConfig;
  /** Called once listening, with the address actually bound (port 0 picks a free one). */
  onListening(url: string): void;
}

/** Whether --db names a PostgreSQL database (a URL) rather than a SQLite file. */
export const isPostgres = (db: string): boolean => /^postgres(ql)?:\/\//.test(db);

export { parseRoutes } from './routes';

export async function startConsole(o: ServeOptions): Promise<{ close(): Promise<void> }> {
  const store = isPostgres(o.db) ? await openPgStore(o.db) : await openSqliteStore(o.db);
  const app = consoleApp({
    store,
    ...(o.token ? { token: o.token } : {}),
    ...(o.routes ? { routes: o.routes } : {}),
    onNotifyFailed: (route, incident, status) =>
      process.stderr.write(
        `warden serve: route ${route}: incident ${incident} not delivered (${status ? `HTTP ${status}` : 'no answer'})\n`,
      ),
  });
  const server = serve({ fetch: app.fetch, hostname: o.host, port: o.port }, (info) => {
    const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
    o.onListening(`http://${host}:${info.port}`);
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          void store.close().then(resolve, resolve);
        });
      }),
  };
}
