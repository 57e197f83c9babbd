import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { permissionFlagsText } from '../layer/build';
import { compiledJson } from '../policy/compiled';
import { diffPolicies, formatPolicyDiff } from '../policy/diff';
import { policySchema } from '../policy/schema';
import { loadPolicyOrExit } from './load-policy-file';

/** Writes the compiled policy and its permission flags (a stale flags file is removed). */
function compileForFunction(file: string, out?: string): { policy: string; permissionFlags: string | null } {
  const policy = loadPolicyOrExit(file);
  const target = path.resolve(out ?? path.join(path.dirname(file), 'warden-policy.json'));
  if (!target.endsWith('.json')) {
    process.stderr.write(`warden policy compile: --out ${out}: the compiled policy is a .json file\n`);
    process.exit(2);
  }
  const flagsFile = `${target.slice(0, -'.json'.length)}.permission-flags`;
  writeFileSync(target, compiledJson(policy));
  const flags = permissionFlagsText(policy);
  if (flags) writeFileSync(flagsFile, flags);
  else rmSync(flagsFile, { force: true });
  return { policy: target, permissionFlags: flags ? flagsFile : null };
}

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
    .command('compile <file>')
    .description(
      "Validate a policy and write it compiled for the function's own package (warden-policy.json beside the handler: no validator at cold start), with the Node permission flags the layer's wrapper adds for it (warden-policy.permission-flags)",
    )
    .option('--out <file.json>', 'where to write it (default: warden-policy.json beside <file>)')
    .option('--json', 'print what was written as one JSON object: {policy, permissionFlags}')
    .action((file: string, opts: { out?: string; json?: boolean }) => {
      const written = compileForFunction(file, opts.out);
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(written)}\n`
          : `${written.policy}\n${written.permissionFlags ? `${written.permissionFlags}\n` : ''}`,
      );
    });
  policy
    .command('schema')
    .description('Print the policy JSON Schema')
    .action(() => {
      process.stdout.write(`${JSON.stringify(policySchema, null, 2)}\n`);
    });
}
