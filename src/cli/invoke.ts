/**
 * `warden invoke`: run a function in the local sandbox, one invoke per `--event`, and print one
 * JSON line per invoke on stdout. Logs go to stderr, prefixed by their source; findings from
 * every Warden component go to `--findings`. Exit 0 when the sandbox ran (a failing function is
 * a result), 2 for bad usage with a one-line reason, 1 for a sandbox fault.
 */
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { groupFindings } from '../console/group-findings';
import type { LayerBuildOptions } from '../layer/build';
import { compiledJson } from '../policy/compiled';
import { localSettings, RUNTIME_IDS, type RuntimeId } from '../sandbox/environment';
import { runSandbox } from '../sandbox/run';
import {
  awsClientInstallSpec,
  builtinClient,
  type ClientKind,
  defaultRuntime,
  findAwsClient,
  findNode,
  installAwsClient,
  installNode,
  type RuntimeClient,
} from '../sandbox/runtimes';
import type { InvokeRequest } from '../sandbox/sandbox';
import { useColor } from './color';
import { incidentsText, paint } from './finding-text';
import { loadPolicyOrExit } from './load-policy-file';
import { loadRulesOrExit, rulesJson } from './load-rules-file';

export class UsageError extends Error {}

/**
 * Runs a sandbox command: its exit code, or 2 with a one-line reason for bad usage, 1 with the
 * stack for a sandbox fault.
 */
export async function runCommand(name: string, run: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await run();
  } catch (e) {
    if (e instanceof UsageError) {
      // One line, whatever the reason quotes (a JSON parse error quotes the file).
      process.stderr.write(`warden ${name}: ${e.message.replace(/\s*\n\s*/g, ' ')}\n`);
      process.exit(2);
    }
    process.stderr.write(`warden ${name}: sandbox fault: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  }
}

export interface InvokeCliOptions {
  handler: string;
  event: string[];
  policy?: string;
  rules?: string;
  mode?: string;
  findings?: string;
  layer: string[];
  warden: boolean;
  extension?: boolean;
  timeout: string;
  memory: string;
  env: string[];
  runtime?: string;
  client?: string;
  functionName?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** The package root: dist/cli.cjs lives in <root>/dist. */
export function packageRoot(): string {
  return path.resolve(__dirname, '..');
}

export function resolveClient(kind: ClientKind | undefined, runtime: RuntimeId, root: string): RuntimeClient {
  if (kind === 'builtin') return builtinClient(root);
  let aws = findAwsClient(runtime, root);
  if (!aws && process.env.WARDEN_FETCH_CLIENT !== '0') {
    // First use on this machine: fetched and built once into the cache (as Node 22 / 24 are).
    process.stderr.write(
      `[sandbox] building ${awsClientInstallSpec(runtime)} for ${runtime} (first use on this machine; a few minutes)…\n`,
    );
    if (installAwsClient(runtime)) aws = findAwsClient(runtime, root);
  }
  if (aws) return aws;
  if (kind === 'aws')
    throw new UsageError(
      `aws-lambda-ric for ${runtime} is not installed or its native build failed (a checkout's npm ci builds it; beside an installed Warden: npm install ${awsClientInstallSpec(runtime)}; needs cmake, make, g++${runtime === 'nodejs24.x' ? '' : ', autoconf, automake, libtool'}); use --client builtin`,
    );
  process.stderr.write(
    `[sandbox] aws-lambda-ric for ${runtime} is not available; using the built-in runtime client\n`,
  );
  return builtinClient(root);
}

function intOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

export function readEvents(files: string[]): InvokeRequest[] {
  if (files.length === 0) throw new UsageError('at least one --event <file.json> is required');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('--event - (stdin) can be given once');
  return files.map((f) => {
    let text: string;
    try {
      text = readFileSync(f === '-' ? 0 : f, 'utf8');
    } catch (e) {
      throw new UsageError(
        `cannot read event ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    try {
      JSON.parse(text);
    } catch (e) {
      throw new UsageError(`event ${f} is not JSON: ${(e as Error).message}`);
    }
    return { payload: Buffer.from(text) };
  });
}

export function parseEnvPairs(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env ${p}: expected KEY=VALUE`);
    env[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return env;
}

export interface SandboxSetup {
  root: string;
  runtime: RuntimeId;
  nodeBin: string;
  client: RuntimeClient;
  events: InvokeRequest[];
  timeoutSec: number;
  memoryMb: number;
  userEnv: Record<string, string>;
}

/** Checks the options shared by `invoke` and `learn` and finds (or installs) the runtime. */
export function sandboxSetup(
  functionDir: string,
  o: Omit<InvokeCliOptions, 'policy' | 'mode' | 'findings' | 'warden'>,
): SandboxSetup {
  const root = packageRoot();
  if (!existsSync(functionDir) || !statSync(functionDir).isDirectory())
    throw new UsageError(`function directory ${functionDir} does not exist`);
  if (!/^[^.]*\..+/.test(path.basename(o.handler)))
    throw new UsageError(`--handler ${o.handler}: expected <file>.<export>`);
  const events = readEvents(o.event);
  const timeoutSec = intOption('timeout', o.timeout, 1, 900);
  const memoryMb = intOption('memory', o.memory, 128, 10240);
  if (o.runtime && !RUNTIME_IDS.includes(o.runtime as RuntimeId))
    throw new UsageError(`--runtime must be one of ${RUNTIME_IDS.join(', ')}`);
  if (o.client && o.client !== 'aws' && o.client !== 'builtin')
    throw new UsageError('--client must be aws or builtin');
  const runtime = (o.runtime as RuntimeId | undefined) ?? defaultRuntime();
  if (!runtime) throw new UsageError('no Lambda Node runtime is installed (Node 20, 22 or 24)');
  let nodeBin = findNode(runtime);
  if (!nodeBin) {
    const major = runtime.slice(6, 8);
    process.stderr.write(`[sandbox] installing Node ${major} for ${runtime} from the npm registry
`);
    nodeBin = installNode(runtime);
    if (!nodeBin)
      throw new UsageError(`${runtime} needs Node ${major}, and installing it from the npm registry failed`);
  }
  for (const l of o.layer)
    if (!existsSync(l) || !statSync(l).isDirectory()) throw new UsageError(`--layer ${l} is not a directory`);
  const userEnv = parseEnvPairs(o.env);
  const client = resolveClient(o.client as ClientKind | undefined, runtime, root);
  return { root, runtime, nodeBin, client, events, timeoutSec, memoryMb, userEnv };
}

export async function runInvoke(functionDir: string, o: InvokeCliOptions): Promise<number> {
  if (o.mode && o.mode !== 'monitor' && o.mode !== 'enforce')
    throw new UsageError('--mode must be monitor or enforce');
  if (!o.warden && (o.policy || o.mode))
    throw new UsageError('--policy and --mode need the Warden layer (drop --no-warden)');
  if (!o.warden && o.rules) throw new UsageError('--rules needs the Warden layer (drop --no-warden)');
  const { root, runtime, nodeBin, client, events, timeoutSec, memoryMb, userEnv } = sandboxSetup(
    functionDir,
    o,
  );
  let layer: LayerBuildOptions | undefined;
  if (o.policy) {
    const policy = loadPolicyOrExit(o.policy);
    layer = { policy, policyJson: compiledJson(policy) };
  }
  if (o.rules) layer = { ...layer, rulesJson: rulesJson(loadRulesOrExit(o.rules).specs) };
  if (o.extension) layer = { ...layer, extension: true };
  if (o.mode) userEnv.WARDEN_MODE = o.mode;
  const findingsFile = path.resolve(o.findings ?? 'warden-findings.jsonl');
  let findings = 0;
  const seen: unknown[] = [];
  await runSandbox({
    packageRoot: root,
    functionDir,
    settings: localSettings({
      functionName: o.functionName ?? path.basename(path.resolve(functionDir)),
      handler: o.handler,
      memoryMb,
      timeoutSec,
      region: process.env.AWS_REGION || 'us-east-1',
      runtime,
    }),
    nodeBin,
    client,
    events,
    noWarden: !o.warden,
    layer,
    extraLayers: o.layer,
    userEnv,
    onResult: (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    onFinding: (line) => {
      findings++;
      try {
        seen.push(JSON.parse(line));
      } catch {
        // not JSON: written to the file as it came, not grouped
      }
      try {
        appendFileSync(findingsFile, `${line}\n`);
      } catch (e) {
        // The file is unusable: findings still reach the terminal, never lost silently.
        process.stderr.write(`[warden] cannot write ${findingsFile} (${(e as Error).message}): ${line}\n`);
      }
    },
    onLog: (source, line) => process.stderr.write(`[${source}] ${line}\n`),
  });
  const groups = await groupFindings(seen);
  process.stderr.write(
    `[sandbox] ${runtime} (${client.label}): ${events.length} invoke(s), ${findings} finding(s)${findings ? ` in ${groups.length} incident(s) → ${findingsFile}` : ''}\n`,
  );
  const text = incidentsText(groups, paint(useColor(process.stderr)), '[sandbox] ');
  if (text.length > 0) process.stderr.write(`${text.join('\n')}\n`);
  return 0;
}

export function registerInvoke(program: Command): void {
  program
    .command('invoke <function-dir>')
    .description('Run a function in the local Lambda sandbox: one warm environment, one invoke per --event')
    .requiredOption(
      '--handler <file.export>',
      'the function handler, as Lambda names it (index.handler, src/app.handler)',
    )
    .option(
      '--event <file.json>',
      'an event to invoke with (repeatable, in order; - reads stdin)',
      collect,
      [],
    )
    .option('--policy <file>', 'the Warden policy (YAML or JSON), compiled into the layer')
    .option('--rules <file>', 'detection rules (YAML or JSON) merged over the defaults, into the layer')
    .option('--mode <mode>', 'monitor or enforce (overrides the policy)')
    .option('--findings <file>', 'where findings go (JSON lines, appended)', 'warden-findings.jsonl')
    .option(
      '--layer <dir>',
      'a further layer, merged over the Warden layer in order (repeatable)',
      collect,
      [],
    )
    .option(
      '--extension',
      "include Warden's external extension in the layer (opt-in, as for `warden layer build`)",
    )
    .option('--no-warden', 'run without the Warden layer, for comparisons')
    .option('--timeout <seconds>', 'function timeout', '3')
    .option('--memory <MB>', 'function memory size', '128')
    .option('--env <KEY=VALUE>', 'a function environment variable (repeatable)', collect, [])
    .option('--runtime <id>', `Lambda runtime: ${RUNTIME_IDS.join(', ')} (default: the newest installed)`)
    .option(
      '--client <kind>',
      'runtime client: aws (aws-lambda-ric) or builtin (default: aws when installed)',
    )
    .option('--function-name <name>', 'the function name (default: the directory name)')
    .action((dir: string, opts: InvokeCliOptions) => runCommand('invoke', () => runInvoke(dir, opts)));
}
