/**
 * Node's permission model as a C++-level backstop for a policy's hard denials. Node only
 * allow-lists (no "deny /proc/*\/environ"), so a surface becomes a flag only where the policy
 * denies by default; the rest stays with the sensor. Globs become the directories Node can
 * express, which allow at least what the policy allows (never less).
 */
import type { Policy } from './types';

export interface NodeFeatures {
  /** Major version of the Node that will run with the flags. */
  major: number;
  /** Flags that Node accepts (process.allowedNodeEnvironmentFlags). */
  flags: ReadonlySet<string>;
}

/** The function's directory as a policy path names it, expanded where the function runs. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the policy's own placeholder, not a template
export const TASK_ROOT_PLACEHOLDER = '${LAMBDA_TASK_ROOT}';

/** The directory (or file) a path glob stays within (TASK_ROOT_PLACEHOLDER is a literal here). */
export function globRoot(glob: string): string {
  const magic = glob
    .replaceAll(TASK_ROOT_PLACEHOLDER, '_'.repeat(TASK_ROOT_PLACEHOLDER.length))
    .search(/[*?[{]/);
  if (magic < 0) return glob;
  const prefix = glob.slice(0, magic);
  const slash = prefix.lastIndexOf('/');
  return slash <= 0 ? '/' : prefix.slice(0, slash + 1);
}

/**
 * Stands for the platform's own paths, expanded by the layer's wrapper where it runs: the
 * function's directory, the runtime's, the layers, NODE_PATH, PATH (the sensor resolves the
 * programs a command names) and /proc (the watcher) for reads; the sensor's output files for writes. Without them Node refuses the runtime its own
 * files and the function dies at init.
 */
export const PLATFORM_READ = '@platform-read@';
export const PLATFORM_WRITE = '@platform-write@';

function pathFlags(flag: string, list: Policy['files']['read'], platform: string): string[] {
  if (list.default !== 'deny') return [`${flag}=*`];
  // One flag per directory (Node 20.20, 22 and 24 take the flag repeated; a comma list is
  // refused as of 20.20). `${LAMBDA_TASK_ROOT}` is expanded by the wrapper.
  const roots = [...new Set(list.allow.map((e) => globRoot(e.path)))].sort();
  return [...roots.map((r) => `${flag}=${r}`), platform];
}

export interface PermissionFlagsResult {
  supported: boolean;
  flags: string[];
  notes: string[];
}

export function permissionFlags(policy: Policy, f: NodeFeatures): PermissionFlagsResult {
  const enable = f.flags.has('--permission')
    ? '--permission'
    : f.flags.has('--experimental-permission')
      ? '--experimental-permission'
      : undefined;
  if (!enable) return { supported: false, flags: [], notes: [`Node ${f.major} has no permission model`] };
  const notes: string[] = [];
  const flags = [
    enable,
    ...pathFlags('--allow-fs-read', policy.files.read, PLATFORM_READ),
    ...pathFlags('--allow-fs-write', policy.files.write, PLATFORM_WRITE),
  ];
  if (policy.process.default !== 'deny' || policy.process.allow.length > 0)
    flags.push('--allow-child-process');
  else notes.push('child processes: denied by Node (policy process.default is deny with no allow entries)');
  // Granted whatever the policy says, and judged by the sensor: Warden's process watcher is a
  // worker thread, and the runtime's own client is a native addon (aws-lambda-ric's
  // rapid-client.node), which Node's all-or-nothing switch would refuse with the function's.
  flags.push('--allow-worker');
  if (policy.code.workers === 'deny')
    notes.push("worker threads: refused by the sensor (Warden's watcher is one)");
  if (f.flags.has('--allow-addons')) flags.push('--allow-addons');
  if (policy.code.nativeAddons.default === 'deny')
    notes.push("native addons: refused by the sensor, by path (the runtime's own client is one)");
  if (f.flags.has('--allow-wasi')) flags.push('--allow-wasi');
  // Node warns at every start for each of these grants (a SecurityWarning on stderr and a
  // 'warning' event): the layer added them, not the function, which must not see them.
  if (f.flags.has('--disable-warning')) flags.push('--disable-warning=SecurityWarning');
  if (policy.code.eval === 'deny' && f.flags.has('--disallow-code-generation-from-strings')) {
    flags.push('--disallow-code-generation-from-strings');
    notes.push('eval and new Function: refused by V8 (policy code.eval is deny)');
  }
  if (policy.files.read.deny.length > 0)
    notes.push(
      'read denials (e.g. /proc/*/environ) stay with the sensor: Node cannot deny inside an allowed tree',
    );
  if (flags.some((x) => x === PLATFORM_READ || x === PLATFORM_WRITE || x.includes(TASK_ROOT_PLACEHOLDER)))
    notes.push(
      `@platform-read@, @platform-write@ and ${TASK_ROOT_PLACEHOLDER} are expanded by the layer's wrapper where the function runs (the runtime's, the function's and the layers' directories, NODE_PATH, PATH, /proc, the package.json files above the function, the sensor's output files)`,
    );
  notes.push(
    'with the permission model on, Node refuses process.binding: the sensor judges at the public APIs (fs, child_process, dns) and on the socket and process handle classes instead',
  );
  return { supported: true, flags, notes };
}

/** Whether any flag narrows what Node allows (else the model would cost the sensor for nothing). */
export function expressesHardDenial(flags: readonly string[]): boolean {
  const granted = (flag: string) => flags.includes(flag);
  return (
    !granted('--allow-fs-read=*') ||
    !granted('--allow-fs-write=*') ||
    !granted('--allow-child-process') ||
    granted('--disallow-code-generation-from-strings')
  );
}

/**
 * Whether the layer runs the function under Node's permission model on this Node (the policy's
 * `nodePermissions`): `true` wherever Node has one; `auto` only in enforce mode (monitor mode
 * changes nothing a function can observe, and the model refuses `process.binding`), on Node 22
 * and later (20's model is experimental and warns at every start), and only when the flags deny
 * something.
 */
export function permissionModelApplies(policy: Policy, f: NodeFeatures): PermissionFlagsResult | undefined {
  if (policy.nodePermissions === false) return undefined;
  const r = permissionFlags(policy, f);
  if (!r.supported) return undefined;
  if (policy.nodePermissions === true) return r;
  if (policy.mode !== 'enforce' || f.major < 22 || !expressesHardDenial(r.flags)) return undefined;
  return r;
}

/**
 * What each Lambda Node.js runtime's Node accepts, for computing flags away from that Node (the
 * layer build). Read off Node 20.20, 22.23 and 24.21: 20 has only `--experimental-permission`,
 * 22 (≥ 22.13, as Lambda ships) and 24 have `--permission`.
 */
export function lambdaNodeFeatures(major: 20 | 22 | 24): NodeFeatures {
  const common = [
    '--allow-addons',
    '--allow-wasi',
    '--allow-child-process',
    '--allow-worker',
    '--disable-warning',
  ];
  const enable = major === 20 ? ['--experimental-permission'] : ['--permission'];
  return { major, flags: new Set([...enable, ...common, '--disallow-code-generation-from-strings']) };
}

export const LAMBDA_NODE_MAJORS = [20, 22, 24] as const;
