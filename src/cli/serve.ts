/** `warden serve`: the console, collecting findings from a fleet (dist/serve.cjs, loaded here only). */
import * as path from 'node:path';
import type { Command } from 'commander';
import type * as Serve from '../console/serve';
import { readFileOrExit } from './load-policy-file';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      "The console: collects findings (POST /v1/findings, what the extension's WARDEN_COLLECTOR_URL ships), groups them into incidents, serves them (GET /api/incidents, /api/findings; PATCH /api/incidents/:id)",
    )
    .option(
      '--db <file>',
      'the SQLite file findings are stored in (created if missing)',
      'warden-console.sqlite',
    )
    .option('--host <address>', 'the address to listen on', '127.0.0.1')
    .option('--port <n>', 'the port to listen on (0: any free one)', '8080')
    .option(
      '--routes <file>',
      'where incidents are notified (YAML or JSON: signed webhook, Slack, PagerDuty routes, by severity, function and rule)',
    )
    .option(
      '--token <token>',
      'the bearer token ingest and the API require (default: WARDEN_CONSOLE_TOKEN; none on loopback)',
    )
    .action(async (opts: { db: string; host: string; port: string; token?: string; routes?: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        process.stderr.write(`warden serve: --port ${opts.port}: a port number from 0 to 65535\n`);
        process.exit(2);
      }
      const token = opts.token ?? process.env.WARDEN_CONSOLE_TOKEN;
      const loopback = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(opts.host);
      if (!token && !loopback) {
        process.stderr.write(
          `warden serve: listening on ${opts.host} takes a --token (or WARDEN_CONSOLE_TOKEN): findings are evidence, not for anyone who can reach the port\n`,
        );
        process.exit(2);
      }
      const { startConsole, isPostgres, parseRoutes } = require(
        path.join(__dirname, 'serve.cjs'),
      ) as typeof Serve;
      let routes: ReturnType<typeof parseRoutes> | undefined;
      if (opts.routes) {
        routes = parseRoutes(opts.routes, readFileOrExit('routes file', opts.routes));
        if (!routes.ok) {
          process.stderr.write(`warden serve: invalid routes: ${routes.error}\n`);
          process.exit(2);
        }
      }
      const db = isPostgres(opts.db) ? opts.db : path.resolve(opts.db);
      const shown = isPostgres(db) ? db.replace(/\/\/[^@/]*@/, '//…@') : db;
      const running = await startConsole({
        db,
        host: opts.host,
        port,
        ...(token ? { token } : {}),
        ...(routes?.ok ? { routes: routes.config } : {}),
        onListening: (url) =>
          process.stdout.write(
            `warden serve: listening on ${url} (findings in ${shown}; collector URL ${url}/v1/findings)\n`,
          ),
      });
      const stop = () => {
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
