/**
 * `warden demo`: a vulnerable document service (examples/doc-convert) run in the local Lambda
 * sandbox with the Warden layer: benign requests and two attacks, first in monitor mode (the
 * attacks work and leak the function's canary secret key; Warden reports them), then in enforce
 * mode (Warden blocks them; the benign requests still work).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { groupFindings } from '../console/group-findings';
import { compiledJson } from '../policy/compiled';
import { localSettings, type RuntimeId } from '../sandbox/environment';
import { runSandbox } from '../sandbox/run';
import { defaultRuntime, findNode } from '../sandbox/runtimes';
import type { InvokeResult } from '../sandbox/sandbox';
import { useColor } from './color';
import { serveDemoFindings } from './demo-console';
import { demoOutcome, leaked } from './demo-outcome';
import { evidenceText, type Finding, incidentsText, paint } from './finding-text';
import { packageRoot, resolveClient } from './invoke';
import { loadPolicyOrExit } from './load-policy-file';

interface DemoRun {
  mode: 'monitor' | 'enforce';
  results: InvokeResult[];
  findings: Finding[];
  logs: string[];
  /** This sandbox's canary secret key (each sandbox has its own). */
  canary: string;
}

const STEPS = [
  ['benign-convert', 'benign: convert quarterly.md', 'benign'],
  ['benign-read', 'benign: read docs/quarterly.md', 'benign'],
  ['attack-injection', 'attack: command injection in "name"', 'attack'],
  ['attack-traversal', 'attack: path traversal to /proc/self/environ', 'attack'],
] as const;

function outcomeText(r: InvokeResult): string {
  if (r.status === 'success') {
    const res = r.response as { statusCode?: number; body?: string } | undefined;
    return `${res?.statusCode} ${JSON.stringify(String(res?.body ?? '').slice(0, 56))}`;
  }
  return `${r.status} ${r.error?.errorType}: ${(r.error?.errorMessage ?? '').split('\n')[0]?.slice(0, 64)}`;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Attack a vulnerable example function in the local Lambda sandbox, in monitor then enforce mode',
    )
    .option('--json', 'print the invocations and findings as JSON')
    .option('--runtime <id>', 'Lambda runtime (default: the newest installed)')
    .option('--serve', "then open the console (warden serve) on the demo's findings, until Ctrl-C")
    .option('--port <n>', 'the port for --serve', '8080')
    .action(async (opts: { json?: boolean; runtime?: string; serve?: boolean; port: string }) => {
      const root = packageRoot();
      const example = join(root, 'examples', 'doc-convert');
      if (!existsSync(join(root, 'dist', 'sensor.cjs')) || !existsSync(example)) {
        process.stderr.write(
          'warden demo: run `npm run build` first (dist/sensor.cjs or examples/ missing)\n',
        );
        process.exit(2);
      }
      const runtime = (opts.runtime as RuntimeId | undefined) ?? defaultRuntime();
      const nodeBin = runtime && findNode(runtime);
      if (!runtime || !nodeBin) {
        process.stderr.write(
          `warden demo: no Node for ${opts.runtime ?? 'any Lambda runtime'} on this machine\n`,
        );
        process.exit(2);
      }
      const client = resolveClient(undefined, runtime, root);
      const policyFile = join(example, 'warden-policy.yaml');
      const policy = loadPolicyOrExit(policyFile);
      const events = STEPS.map(([name]) => ({
        payload: readFileSync(join(example, 'events', `${name}.json`)),
      }));
      const runs: DemoRun[] = [];
      for (const mode of ['monitor', 'enforce'] as const) {
        const run: DemoRun = { mode, results: [], findings: [], logs: [], canary: '' };
        await runSandbox({
          packageRoot: root,
          functionDir: example,
          settings: localSettings({
            functionName: 'doc-convert',
            handler: 'index.handler',
            memoryMb: 256,
            timeoutSec: 10,
            runtime,
          }),
          nodeBin,
          client,
          events,
          layer: { policy, policyJson: compiledJson(policy) },
          extraLayers: [],
          userEnv: { WARDEN_MODE: mode },
          onStart: (sandbox) => {
            run.canary = sandbox.canaries.secretAccessKey;
          },
          onResult: (r) => run.results.push(r),
          onFinding: (line) => run.findings.push(JSON.parse(line) as Finding),
          onLog: (source, line) => run.logs.push(`[${source}] ${line}`),
        });
        runs.push(run);
      }
      const outcome = demoOutcome(
        runs,
        STEPS.map(([, label, kind]) => ({ kind, label })),
      );
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ runtime, client: client.label, runs, outcome })}\n`);
        if (!outcome.ok) process.exitCode = 1;
        return;
      }
      const p = paint(useColor(process.stdout));
      const out: string[] = [];
      out.push(
        p.bold('Warden demo: doc-convert, a document service with a command injection and a path traversal'),
      );
      out.push(
        p.dim(
          `Local Lambda sandbox: ${runtime} with ${client.label}, the Warden layer through AWS_LAMBDA_EXEC_WRAPPER; fresh canary credentials per sandbox.`,
        ),
      );
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
          const mark = leaked(run, res) ? p.red('  ← secret key leaked') : '';
          const label = (STEPS[i]?.[1] ?? '').padEnd(46);
          out.push(`  ${String(i + 1).padStart(2)}. ${label} ${outcomeText(res)}${mark}`);
          for (const f of run.findings.filter((x) => x.metadata.correlation_uid === res.requestId)) {
            const disp = f.disposition === 'Blocked' ? p.green('BLOCKED ') : p.yellow('DETECTED');
            out.push(
              `      ${disp} ${f.finding_info.title} ${p.dim(`[${f.finding_info.analytic.uid}] ${evidenceText(f)} — by ${f.unmapped.package}`)}`,
            );
          }
        });
      }
      const [monitor, enforce] = runs as [DemoRun, DemoRun];
      const blocked = enforce.findings.filter((f) => f.disposition === 'Blocked').length;
      // One attack is one thing to look at: the findings grouped into incidents as the console does.
      const grouped = await Promise.all(runs.map((run) => groupFindings(run.findings)));
      for (const [i, run] of runs.entries()) {
        const groups = grouped[i] ?? [];
        out.push('', p.bold(`Incidents, ${run.mode} mode: ${groups.length}`));
        out.push(...incidentsText(groups, p));
      }
      out.push(
        '',
        p.bold(
          `${monitor.findings.length} findings in monitor mode, ${enforce.findings.length} in enforce mode (${blocked} blocked), in ${grouped[0]?.length ?? 0} and ${grouped[1]?.length ?? 0} incidents.`,
        ),
      );
      for (const sentence of outcome.sentences)
        out.push(sentence.good ? p.green(sentence.text) : p.red(sentence.text));
      out.push(
        p.dim(
          'Each finding is an OCSF Detection Finding (class 2004); `warden demo --json` prints them whole.',
        ),
      );
      if (!opts.serve)
        out.push(
          p.dim('See them as incidents in the console: `npm run demo -- --serve` (warden demo --serve).'),
        );
      process.stdout.write(`${out.join('\n')}\n`);
      if (!outcome.ok) process.exitCode = 1;
      if (opts.serve) {
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          process.stderr.write(`warden demo: --port ${opts.port}: a port number from 0 to 65535\n`);
          process.exit(2);
        }
        const findings = runs.flatMap((r) => r.findings);
        // The function as its findings name it (the sandbox's account and region).
        const arn = (findings[0] as { resources?: { uid?: string }[] } | undefined)?.resources?.[0]?.uid;
        await serveDemoFindings(
          findings,
          port,
          arn ? { functionArn: arn, text: readFileSync(policyFile, 'utf8') } : undefined,
        );
      }
    });
}
