import { defaultRules } from '../detect/default-rules';
import { loadRules } from '../detect/load';
import type { CompiledRule, RuleSpec } from '../detect/types';
import { compiledJson } from '../policy/compiled';
import { formatPolicyError } from '../policy/load';
import { readFileOrExit } from './load-policy-file';

/**
 * Reads a rules file for a CLI command, merged over the defaults and compiled (all stages); a
 * bad one exits 2 with file:line: field: reason. Returns the file's own rules and the result.
 */
export function loadRulesOrExit(file: string): { specs: RuleSpec[]; rules: CompiledRule[] } {
  const result = loadRules(defaultRules(), { file, text: readFileOrExit('rules', file) });
  if (!result.ok) {
    process.stderr.write(`warden: invalid rules: ${formatPolicyError(result.error)}\n`);
    process.exit(2);
  }
  return result;
}

/** The rules as the layer carries them (warden/rules.json): JSON, no YAML parser at cold start. */
export function rulesJson(rules: readonly RuleSpec[]): string {
  return compiledJson({ version: 1, rules });
}
