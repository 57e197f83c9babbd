/**
 * `warden demo`: a vulnerable document service (examples/doc-convert) attacked twice, first in
 * monitor mode (the attack works; Warden sees it), then in enforce mode (Warden stops it).
 * Each run is a real Node process with the sensor preloaded, as in Lambda.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';

interface InvokeResult {
  requestId: string;
  status: 'success' | 'error';
  response?: { statusCode: number; body: string };
  error?: { errorType: string; errorMessage: string };
}

interface Finding {
  metadata: { correlation_uid?: string };
  finding_info: { title: string; analytic: { uid: string } };
  disposition: string;
  severity: string;
  evidences: Record<string, unknown>[];
  unmapped: { package: string };
}

const RUNNER = `
const api = globalThis[Symbol.for('warden.sensor')];
const [handlerFile, eventsJson, prefix] = process.argv.slice(1);
const fn = require(handlerFile);
(async () => {
  for (const [i, ev] of JSON.parse(eventsJson).entries()) {
    const ctx = { requestId: prefix + '-' + (i + 1), functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:doc-convert', event: ev };
    let out;
    try {
      out = { status: 'success', response: await api.runInInvocation(ctx, () => fn.handler(ev, { awsRequestId: ctx.requestId })) };
    } catch (e) {
      out = { status: 'error', error: { errorType: e.code || e.name, errorMessage: e.message } };
    }
    process.stdout.write(JSON.stringify({ requestId: ctx.requestId, ...out }) + '\\n');
  }
})();
`;

function paint(tty: boolean) {
  const c = (code: number) => (s: string) => (tty ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { red: c(31), green: c(32), yellow: c(33), dim: c(2), bold: c(1) };
}

function evidenceText(f: Finding): string {
  const e = f.evidences[0] ?? {};
  const proc = e.process as { cmd_line?: string } | undefined;
  const file = e.file as { path?: string } | undefined;
  const dst = e.dst_endpoint as { ip?: string; port?: number; hostname?: string } | undefined;
  const data = e.data as { shell_commands?: string[] } | undefined;
  if (proc?.cmd_line) return data?.shell_commands ? `sh: ${data.shell_commands.join(' ; ')}` : proc.cmd_line;
  if (file?.path) return file.path;
  if (dst) return `${dst.hostname ?? dst.ip}:${dst.port}`;
  return '';
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Attack a vulnerable example function, in monitor then enforce mode, and show what Warden saw and stopped',
    )
    .option('--json', 'print the results as JSON')
    .action((opts: { json?: boolean }) => {
      const dist = __dirname;
      const sensor = join(dist, 'sensor.cjs');
      const example = resolve(dist, '..', 'examples', 'doc-convert');
      if (!existsSync(sensor) || !existsSync(example)) {
        process.stderr.write(
          'warden demo: run `npm run build` first (dist/sensor.cjs or examples/ missing)\n',
        );
        process.exit(2);
      }
      const ev = (name: string) =>
        JSON.parse(readFileSync(join(example, 'events', `${name}.json`), 'utf8')) as unknown;
      const events = [
        ev('benign-convert'),
        ev('benign-read'),
        ev('attack-injection'),
        ev('attack-traversal'),
      ];
      const labels = [
        'benign: convert quarterly.md',
        'benign: read docs/quarterly.md',
        'attack: command injection in "name"',
        'attack: path traversal to /proc/self/environ',
      ];
      const work = mkdtempSync(join(tmpdir(), 'warden-demo-'));
      const canary = `CANARY${randomBytes(12).toString('hex').toUpperCase()}`;
      const runs: { mode: string; results: InvokeResult[]; findings: Finding[] }[] = [];
      try {
        for (const mode of ['monitor', 'enforce']) {
          const findingsFile = join(work, `${mode}.jsonl`);
          const r = spawnSync(
            process.execPath,
            ['--require', sensor, '-e', RUNNER, join(example, 'index.js'), JSON.stringify(events), mode],
            {
              encoding: 'utf8',
              cwd: example,
              env: {
                PATH: process.env.PATH,
                WARDEN_POLICY: join(example, 'warden-policy.yaml'),
                WARDEN_MODE: mode,
                WARDEN_FINDINGS: findingsFile,
                AWS_LAMBDA_FUNCTION_NAME: 'doc-convert',
                AWS_REGION: 'us-east-1',
                AWS_ACCESS_KEY_ID: 'ASIADEMOCANARY',
                AWS_SECRET_ACCESS_KEY: canary,
              },
            },
          );
          if (r.status !== 0) throw new Error(`demo function run failed: ${r.stderr}`);
          const results = r.stdout
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as InvokeResult);
          const findings = existsSync(findingsFile)
            ? readFileSync(findingsFile, 'utf8')
                .trim()
                .split('\n')
                .filter(Boolean)
                .map((l) => JSON.parse(l) as Finding)
            : [];
          runs.push({ mode, results, findings });
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ canary, runs })}\n`);
        return;
      }
      const p = paint(Boolean(process.stdout.isTTY));
      const out: string[] = [];
      out.push(
        p.bold('Warden demo: doc-convert, a document service with a command injection and a path traversal'),
      );
      out.push(p.dim(`The function's secret key is a canary: ${canary}`));
      for (const run of runs) {
        out.push(
          '',
          p.bold(
            run.mode === 'monitor'
              ? '── monitor mode: Warden watches ──'
              : '── enforce mode: Warden blocks ──',
          ),
        );
        run.results.forEach((res, i) => {
          const leaked = JSON.stringify(res).includes(canary);
          const outcome =
            res.status === 'success'
              ? `${res.response?.statusCode} ${JSON.stringify((res.response?.body ?? '').slice(0, 60))}`
              : `error ${res.error?.errorType}: ${(res.error?.errorMessage ?? '').slice(0, 70)}`;
          const mark = leaked ? p.red(' ← secret key leaked') : '';
          out.push(`  ${res.requestId.padEnd(10)} ${labels[i]!.padEnd(44)} ${outcome}${mark}`);
          for (const f of run.findings.filter((x) => x.metadata.correlation_uid === res.requestId)) {
            const disp = f.disposition === 'Blocked' ? p.green('BLOCKED ') : p.yellow('DETECTED');
            out.push(
              `  ${''.padEnd(10)}   ${disp} ${f.finding_info.title} [${f.finding_info.analytic.uid}] ${p.dim(`${evidenceText(f)} by ${f.unmapped.package}`)}`,
            );
          }
        });
      }
      const blocked = runs[1]?.findings.filter((f) => f.disposition === 'Blocked').length ?? 0;
      const leakedEnforce = runs[1]?.results.some((r) => JSON.stringify(r).includes(canary));
      out.push(
        '',
        p.bold(
          `Findings: ${runs[0]?.findings.length ?? 0} in monitor mode, ${runs[1]?.findings.length ?? 0} in enforce mode (${blocked} blocked).`,
        ),
      );
      out.push(
        leakedEnforce
          ? p.red('The secret leaked in enforce mode.')
          : p.green('In enforce mode the secret never left the function; the benign requests still worked.'),
      );
      out.push(
        p.dim('Each finding is an OCSF Detection Finding (class 2004); add --json to see them whole.'),
      );
      process.stdout.write(`${out.join('\n')}\n`);
    });
}
