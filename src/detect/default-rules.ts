/**
 * The default ruleset (src/detect/rules/default.yaml), turned into JSON text at build time
 * (scripts/build.mjs) so the sensor carries data, not a YAML parser; parsed on first use.
 */
import { DEFAULT_RULES_TEXT } from './generated/default-rules-text';
import type { RuleSpec } from './types';

let parsed: readonly RuleSpec[] | undefined;

export function defaultRules(): readonly RuleSpec[] {
  parsed ??= (JSON.parse(DEFAULT_RULES_TEXT) as { rules: RuleSpec[] }).rules;
  return parsed;
}
