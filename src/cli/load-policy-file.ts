import { readFileSync } from 'node:fs';
import { formatPolicyError, parsePolicy } from '../policy/load';
import type { Policy } from '../policy/types';

/** Reads and validates a policy for a CLI command; a bad one exits 2 with file:line: field: reason. */
export function loadPolicyOrExit(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`warden: cannot read policy ${file}: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const result = parsePolicy(file, text);
  if (!result.ok) {
    process.stderr.write(`warden: invalid policy: ${formatPolicyError(result.error)}\n`);
    process.exit(2);
  }
  return result.policy;
}
