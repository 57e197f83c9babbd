import type { Command } from 'commander';
import { defaultPolicy } from '../policy/default-policy';
import { permissionFlags } from '../policy/permission-flags';
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
      process.stdout.write(`${result.flags.join(' ')}\n`);
    });
}
