/**
 * `warden serve`'s process: opens the store, listens, and closes both on SIGINT / SIGTERM.
 * Bundled as dist/serve.cjs, loaded by that command only.
 */
import { serve } from '@hono/node-server';
import { consoleApp } from './server';
import { openSqliteStore } from './sqlite-store';

export interface ServeOptions {
  db: string;
  host: string;
  port: number;
  token?: string;
  /** Called once listening, with the address actually bound (port 0 picks a free one). */
  onListening(url: string): void;
}

export function startConsole(o: ServeOptions): { close(): Promise<void> } {
  if (/^postgres(ql)?:\/\//.test(o.db))
    throw new Error('--db postgres://… is not supported yet: give a SQLite file');
  const store = openSqliteStore(o.db);
  const app = consoleApp({ store, ...(o.token ? { token: o.token } : {}) });
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
