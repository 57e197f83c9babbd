import type { Command } from 'commander';
import { defaultPolicy } from '../policy/default-policy';
import {
  PLATFORM_READ,
  PLATFORM_WRITE,
  permissionFlags,
  TASK_ROOT_PLACEHOLDER,
} from '../policy/permission-flags';
import { loadPolicyOrExit } from './load-policy-file';

export function registerPermissionFlags(program: Command): void {
  program
    .command('permission-flags [policy]')
    .description(
      "Print the Node permission-model flags equivalent to the policy's hard denials (for the running Node)",
    )
    .option('--json', 'print {supported, flags, notes} as JSON')
    .action((file: string | undefined, opts: { json?: boolean }) => {
      const policy = file ? loadPolicyOrExit(file) : defaultPolicy();
      const result = permissionFlags(policy, {
        major: Number(process.versions.node.split('.')[0]),
        flags: process.allowedNodeEnvironmentFlags,
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      for (const note of result.notes) process.stderr.write(`# ${note}\n`);
      if (!result.supported) process.exit(3);
      process.stdout.write(`${expandHere(result.flags, process.env, process.cwd()).join(' ')}\n`);
    });
}

/**
 * The flags for a run here, as the layer's wrapper expands them in Lambda (layer/warden/wrapper,
 * which knows the runtime's and the layers' directories): `${LAMBDA_TASK_ROOT}` is the
 * function's directory (LAMBDA_TASK_ROOT, else the working directory), the platform's reads are
 * that directory, NODE_PATH's and PATH's (the sensor resolves programs there), its writes the sensor's output files; each path once.
 */
export function expandHere(flags: readonly string[], env: NodeJS.ProcessEnv, cwd: string): string[] {
  const root = env.LAMBDA_TASK_ROOT || cwd;
  const out: string[] = [];
  const add = (flag: string) => {
    const norm = flag.length > 1 && flag.endsWith('/') && !flag.endsWith('=/') ? flag.slice(0, -1) : flag;
    if (!out.includes(norm)) out.push(norm);
  };
  for (const flag of flags) {
    if (flag === PLATFORM_READ) {
      for (const dir of [root, ...`${env.NODE_PATH ?? ''}:${env.PATH ?? ''}`.split(':')])
        if (dir.startsWith('/')) add(`--allow-fs-read=${dir}`);
    } else if (flag === PLATFORM_WRITE) {
      for (const file of [env.WARDEN_FINDINGS, env.WARDEN_LEARN].filter(Boolean))
        add(`--allow-fs-write=${file}`);
    } else add(flag.replaceAll(TASK_ROOT_PLACEHOLDER, root));
  }
  return out;
}
