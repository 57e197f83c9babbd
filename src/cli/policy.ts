import type { Command } from 'commander';
import { diffPolicies, formatPolicyDiff } from '../policy/diff';
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
    .command('diff <a> <b>')
    .description(
      'What changed from policy a to policy b, one line each, marked where it widens or narrows what the function may do (exit 0: same, 1: different)',
    )
    .option('--json', 'print the changes as JSON')
    .action((a: string, b: string, opts: { json?: boolean }) => {
      const changes = diffPolicies(loadPolicyOrExit(a), loadPolicyOrExit(b));
      process.stdout.write(opts.json ? `${JSON.stringify(changes, null, 2)}\n` : formatPolicyDiff(changes));
      process.exitCode = changes.length === 0 ? 0 : 1;
    });
  policy
    .command('schema')
    .description('Print the policy JSON Schema')
    .action(() => {
      process.stdout.write(`${JSON.stringify(policySchema, null, 2)}\n`);
    });
}
