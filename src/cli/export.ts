/**
 * `warden export securitylake`: the console's stored findings as an Amazon Security Lake custom
 * source's objects (OCSF 1.1.0 Parquet, zstd, region=/accountId=/eventDay= layout), written to a
 * directory to copy to the source's S3 prefix. Exit 0 when written, 1 when it failed, 2 for bad usage.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import type * as Serve from '../console/serve';

declare const __WARDEN_VERSION__: string;
const VERSION = typeof __WARDEN_VERSION__ === 'string' ? __WARDEN_VERSION__ : '0.0.0-dev';

/** An ISO date or epoch milliseconds; NaN when neither. */
const timeOf = (v: string): number => (/^\d+$/.test(v) ? Number(v) : Date.parse(v));

export function registerExport(program: Command): void {
  const exp = program.command('export').description("Export the console's findings to other tools");
  exp
    .command('securitylake')
    .description(
      "Write the console's Detection Findings as an Amazon Security Lake custom source's objects: OCSF 1.1.0 in Parquet (zstd), under region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/ — then copy the directory to the source's prefix (aws s3 sync <out> s3://<lake-bucket>/ext/<source>/)",
    )
    .requiredOption('--out <dir>', 'the directory to write the objects under')
    .option('--db <file|postgres://…>', "the console's store (as warden serve --db)", 'warden-console.sqlite')
    .option('--since <time>', 'findings from this time (ISO date or epoch ms)')
    .option('--until <time>', 'findings before this time (ISO date or epoch ms)')
    .option('--json', 'print what was written as one JSON object')
    .action(async (opts: { out: string; db: string; since?: string; until?: string; json?: boolean }) => {
      const period: { since?: number; until?: number } = {};
      for (const key of ['since', 'until'] as const) {
        const given = opts[key];
        if (given === undefined) continue;
        const t = timeOf(given);
        if (Number.isNaN(t)) {
          process.stderr.write(`warden export: --${key} ${given}: an ISO date or epoch milliseconds\n`);
          process.exit(2);
        }
        period[key] = t;
      }
      const { exportSecurityLake, isPostgres } = require(path.join(__dirname, 'serve.cjs')) as typeof Serve;
      try {
        const r = await exportSecurityLake({
          db: isPostgres(opts.db) ? opts.db : path.resolve(opts.db),
          out: path.resolve(opts.out),
          ...period,
          createdBy: `Warden ${VERSION}`,
        });
        if (opts.json) process.stdout.write(`${JSON.stringify({ out: path.resolve(opts.out), ...r })}\n`);
        else
          process.stdout.write(
            `warden export: ${r.findings} finding(s) in ${r.objects.length} object(s) under ${opts.out}${r.skipped ? ` (${r.skipped} skipped: not a Detection Finding, or no region and account in its function ARN)` : ''}\n`,
          );
      } catch (e) {
        process.stderr.write(`warden export: ${(e as Error).message}\n`);
        process.exit(1);
      }
    });
}
