/**
 * One sandbox run, as `warden invoke` and `warden demo` do it: merge the layers into the
 * sandbox's /opt (the Warden layer first unless left out, then the user's, in order, later files
 * winning as Lambda merges layers), start the environment, run one invoke per event in order,
 * then SHUTDOWN. The sandbox's files live outside /tmp (a layer in /tmp would look like a
 * dropped binary) and are removed afterwards.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildLayerDir, type LayerBuildOptions } from '../layer/build';
import { sandboxHome } from './cache-dirs';
import type { FunctionSettings } from './environment';
import type { RuntimeClient } from './runtimes';
import { type InvokeRequest, type InvokeResult, Sandbox } from './sandbox';

export interface RunOptions {
  packageRoot: string;
  functionDir: string;
  settings: FunctionSettings;
  nodeBin: string;
  client: RuntimeClient;
  events: InvokeRequest[];
  /** Leave the Warden layer out (`--no-warden`). */
  noWarden?: boolean;
  layer?: LayerBuildOptions;
  extraLayers: string[];
  userEnv: Record<string, string>;
  onResult: (r: InvokeResult) => void;
  onFinding: (line: string) => void;
  onLog: (source: string, line: string) => void;
  /** Awaited before each invoke (index from 0): a pause between invokes, for instance. */
  beforeInvoke?: (index: number, sandbox: Sandbox) => Promise<void>;
  /** Trace the runtime's syscalls to `<prefix>.<tid>` files (learning). */
  traceSyscalls?: string;
  /** Called once the sandbox is up, with it (tests read the canaries). */
  onStart?: (sandbox: Sandbox) => void;
}

/** The host's /etc/hosts plus the name Lambda's sandbox resolves for extensions. */
function sandboxHosts(): string {
  let base = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
  try {
    base = readFileSync('/etc/hosts', 'utf8');
  } catch {
    // keep the minimal one
  }
  return `${base.replace(/\n?$/, '\n')}127.0.0.1\tsandbox.localdomain sandbox\n`;
}

export { sandboxHome };

export async function runSandbox(o: RunOptions): Promise<InvokeResult[]> {
  mkdirSync(sandboxHome(), { recursive: true });
  const root = mkdtempSync(path.join(sandboxHome(), 'sb-'));
  const optDir = path.join(root, 'opt');
  mkdirSync(optDir);
  const results: InvokeResult[] = [];
  let sandbox: Sandbox | undefined;
  const onSignal = () => {
    sandbox?.kill();
    rmSync(root, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (!o.noWarden) buildLayerDir(o.packageRoot, optDir, o.layer);
    const hostsFile = path.join(root, 'hosts');
    writeFileSync(hostsFile, sandboxHosts());
    for (const layer of o.extraLayers) cpSync(layer, optDir, { recursive: true, force: true });
    sandbox = new Sandbox({
      settings: o.settings,
      taskRoot: path.resolve(o.functionDir),
      optDir,
      nodeBin: o.nodeBin,
      client: o.client,
      execWrapper: o.noWarden ? o.userEnv.AWS_LAMBDA_EXEC_WRAPPER : path.join(optDir, 'warden', 'wrapper'),
      // A policy given for this run (`--policy`, compiled into the layer) is the one it runs by,
      // even when the function's package carries its own warden-policy.* (which a deployed
      // layer's policy does not override): named explicitly, as a function's configuration would.
      userEnv:
        !o.noWarden && o.layer?.policyJson && o.userEnv.WARDEN_POLICY === undefined
          ? { ...o.userEnv, WARDEN_POLICY: path.join(optDir, 'warden', 'policy.json') }
          : o.userEnv,
      onFinding: o.onFinding,
      onLog: o.onLog,
      hostsFile,
      ...(o.traceSyscalls ? { traceSyscalls: o.traceSyscalls } : {}),
    });
    await sandbox.start();
    o.onStart?.(sandbox);
    for (const [i, ev] of o.events.entries()) {
      await o.beforeInvoke?.(i, sandbox);
      const r = await sandbox.invoke(ev);
      results.push(r);
      o.onResult(r);
    }
    await sandbox.stop();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // On a fault too: nothing of the sandbox outlives the run (processes, the API endpoint).
    sandbox?.dispose();
    rmSync(root, { recursive: true, force: true });
  }
  return results;
}
