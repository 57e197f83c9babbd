import { DEFAULT_RULES } from '../detect/default-rules';
import { loadRules, parseRuleFile } from '../detect/load';
import type { RuleSpec } from '../detect/types';
import { formatPolicyError } from '../policy/load';
import { readFileOrExit } from './load-policy-file';

/**
 * Reads a rules file for a CLI command and checks it merges and compiles over the defaults; a
 * bad one exits 2 with file:line: field: reason. Returns the file's rules.
 */
export function loadRulesOrExit(file: string): RuleSpec[] {
  const text = readFileOrExit('rules', file);
  const parsed = parseRuleFile(file, text, new Set(DEFAULT_RULES.map((r) => r.id)));
  const compiled = parsed.ok ? loadRules(DEFAULT_RULES, { file, text }) : parsed;
  if (!parsed.ok || !compiled.ok) {
    const error = !parsed.ok
      ? parsed.error
      : (compiled as { ok: false; error: Parameters<typeof formatPolicyError>[0] }).error;
    process.stderr.write(`warden: invalid rules: ${formatPolicyError(error)}\n`);
    process.exit(2);
  }
  return parsed.rules;
}

/** The rules as the layer carries them (warden/rules.json): JSON, no YAML parser at cold start. */
export function rulesJson(rules: readonly RuleSpec[]): string {
  return `${JSON.stringify({ version: 1, rules }, null, 2)}\n`;
}
