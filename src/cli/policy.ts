import type { Command } from 'commander';
import { policySchema } from '../policy/schema';
import { loadPolicyOrExit } from './load-policy-file';

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('Work with Warden policy files');
  policy
    .command('check <file>')
    .description('Validate a policy (YAML or JSON); print the normalized policy with --print')
    .option('--print', 'print the policy with every default filled in, as JSON')
    .action((file: string, opts: { print?: boolean }) => {
      const p = loadPolicyOrExit(file);
      process.stdout.write(opts.print ? `${JSON.stringify(p, null, 2)}\n` : `${file}: ok (mode ${p.mode})\n`);
    });
  policy
    .command('schema')
    .description('Print the policy JSON Schema')
    .action(() => {
      process.stdout.write(`${JSON.stringify(policySchema, null, 2)}\n`);
    });
}
