import { readFileSync } from 'node:fs';
import { formatPolicyError, parsePolicy } from '../policy/load';
import type { Policy } from '../policy/types';

/** A file's text for a CLI command; one that cannot be read exits 2 with the reason. */
export function readFileOrExit(what: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`warden: cannot read ${what} ${file}: ${(e as Error).message}\n`);
    process.exit(2);
  }
}

/** Reads and validates a policy for a CLI command; a bad one exits 2 with file:line: field: reason. */
export function loadPolicyOrExit(file: string): Policy {
  const text = readFileOrExit('policy', file);
  const result = parsePolicy(file, text);
  if (!result.ok) {
    process.stderr.write(`warden: invalid policy: ${formatPolicyError(result.error)}\n`);
    process.exit(2);
  }
  return result.policy;
}
