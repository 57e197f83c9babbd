/**
 * The engine a Warden process runs: the default rules with the user's rules file
 * (WARDEN_RULES) merged over them. Shared by the sensor and the extension; each brings its own
 * way to read the file and to load the parser (neither pays for YAML without a file). A file
 * that cannot be loaded is reported and the defaults stay.
 */

import { readCompiled } from '../policy/compiled';
import type { PolicyError } from '../policy/load';
import { formatPolicyErrorShort } from '../policy/resolve';
import { compileRules, mergeRules } from './compile-rules';
import { defaultRules } from './default-rules';
import { createEngine, type Engine } from './engine-index';
import type { RuleSpec } from './types';

export type RuleFileParser = (
  file: string,
  text: string,
  known: ReadonlySet<string>,
) => { ok: true; rules: RuleSpec[] } | { ok: false; error: PolicyError };

export function rulesEngine(
  rulesPath: string | undefined,
  read: (file: string) => string,
  parser: () => RuleFileParser,
  skip?: ReadonlySet<string>,
): { engine: Engine; error?: string } {
  const build = (user: readonly RuleSpec[], file: string) =>
    createEngine(compileRules(mergeRules(defaultRules(), user, file)), skip);
  if (!rulesPath) return { engine: build([], '') };
  let message: string;
  try {
    const text = read(rulesPath);
    // The layer's compiled rules, as `warden layer build` checked them.
    const compiled = readCompiled(text);
    if (compiled && Array.isArray(compiled.rules))
      return { engine: build(compiled.rules as RuleSpec[], rulesPath) };
    const parsed = parser()(rulesPath, text, new Set(defaultRules().map((r) => r.id)));
    if (parsed.ok) return { engine: build(parsed.rules, rulesPath) };
    message = formatPolicyErrorShort(parsed.error);
  } catch (e) {
    message = `${rulesPath}: cannot load rules: ${(e as Error).message}`;
  }
  return { engine: build([], ''), error: `${message}; using the default rules` };
}
