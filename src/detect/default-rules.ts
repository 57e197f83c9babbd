/**
 * The default ruleset (src/detect/rules/default.yaml), turned into JSON at build time
 * (scripts/build.mjs) so the sensor carries data, not a YAML parser.
 */
import data from './generated/default-rules.json';
import type { RuleSpec } from './types';

export const DEFAULT_RULES: readonly RuleSpec[] = (data as unknown as { rules: RuleSpec[] }).rules;
