/**
 * `warden serve`'s process: opens the store, listens, and closes both on SIGINT / SIGTERM.
 * Bundled as dist/serve.cjs, loaded by that command only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { serve } from '@hono/node-server';
import { isPostgres } from './db-kind';
import { openPgStore } from './pg-store';
import type { RoutesConfig } from './routes';
import { detectionFindingsParquet, lakeObjects, zstdCompressor } from './security-lake';
import { consoleApp } from './server';
import { openSqliteStore } from './sqlite-store';
import type { Store } from './store';

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

export { parseRoutes } from './routes';
export { isPostgres };

/** The store --db names, saying on stderr what takes a while in opening it. */
const openStore = (db: string): Promise<Store> => {
  const say = (line: string) => process.stderr.write(`warden: ${line}\n`);
  return isPostgres(db) ? openPgStore(db, say) : openSqliteStore(db, say);
};

export async function startConsole(o: ServeOptions): Promise<{ close(): Promise<void> }> {
  const store = await openStore(o.db);
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

export interface LakeExportOptions {
  db: string;
  /** The directory the objects are written under (its layout: region=…/accountId=…/eventDay=…/). */
  out: string;
  since?: number;
  until?: number;
  createdBy: string;
}

export interface LakeExportResult {
  findings: number;
  objects: string[];
  skipped: number;
}

/**
 * The stored findings in a period as an Amazon Security Lake custom source's objects, written
 * under `out` (to copy to the source's S3 prefix). Read a page at a time, written per partition.
 */
export async function exportSecurityLake(o: LakeExportOptions): Promise<LakeExportResult> {
  if (!zstdCompressor()) throw new Error(`zstd needs Node 22.15 or later (this is ${process.version})`);
  const store = await openStore(o.db);
  try {
    const findings: unknown[] = [];
    let after: { time: number; uid: string } | undefined;
    for (;;) {
      const page = (await store.findings({
        ...(o.since !== undefined ? { since: o.since } : {}),
        ...(o.until !== undefined ? { until: o.until } : {}),
        ...(after ? { after } : {}),
        limit: 10_000,
      })) as { time: number; metadata: { uid: string } }[];
      findings.push(...page);
      const last = page.at(-1);
      if (!last || page.length < 10_000) break;
      after = { time: last.time, uid: last.metadata.uid };
    }
    const { objects, skipped } = lakeObjects(findings);
    const written: string[] = [];
    for (const obj of objects) {
      const file = path.join(o.out, ...obj.key.split('/'));
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, detectionFindingsParquet(obj.findings, o.createdBy));
      written.push(obj.key);
    }
    return { findings: findings.length - skipped, objects: written, skipped };
  } finally {
    await store.close();
  }
}
