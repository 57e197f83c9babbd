/**
 * Rules stages 3 and 4, with no parser: merge the user's rules over the defaults, compile each
 * (the sensor runs these at start; parsing a user file is in load.ts, loaded only for one).
 */
import { compileCondition } from './condition';
import { fieldsOf } from './condition-fields';
import { isDetectorName } from './detectors/names';
import { type CompiledRule, type FieldSource, type RuleSpec, SEVERITY } from './types';

export type Path = (string | number)[];

export class RuleError extends Error {
  constructor(
    readonly path: Path,
    message: string,
  ) {
    super(message);
  }
}

/** Stage 3: the user's rules over the defaults. */
export function mergeRules(
  defaults: readonly RuleSpec[],
  user: readonly RuleSpec[],
  userSource: string,
): { spec: RuleSpec; source: string }[] {
  const out = new Map<string, { spec: RuleSpec; source: string }>();
  for (const d of defaults) out.set(d.id, { spec: d, source: 'default' });
  for (const u of user) {
    const prior = out.get(u.id);
    if (u.disabled) {
      out.delete(u.id);
      continue;
    }
    const merged: RuleSpec = prior ? { ...prior.spec, ...u } : { ...u };
    // A new condition replaces a default's detector, and the other way round.
    if (prior && u.condition !== undefined) delete merged.detector;
    if (prior && u.detector !== undefined) delete merged.condition;
    out.set(u.id, { spec: merged, source: prior ? `${userSource} (overrides default)` : userSource });
  }
  return [...out.values()];
}

/** Stage 4: compile one merged rule. */
export function compileRule(spec: RuleSpec, source: string): CompiledRule {
  if (spec.detector && !isDetectorName(spec.detector))
    throw new RuleError(['detector'], `unknown detector "${spec.detector}"`);
  // Conditions compile on first use: a Warden process pays at start-up only for the rules'
  // metadata (files are checked whole when they are parsed: parseRuleFile, `warden rules check`).
  const condition = spec.condition;
  let pred: ((read: FieldSource) => boolean) | undefined;
  return {
    id: spec.id,
    title: spec.title ?? spec.id,
    description: spec.description ?? '',
    severity: SEVERITY[spec.severity ?? 'medium'],
    surfaces: spec.surfaces ?? [],
    action: spec.action ?? 'alert',
    mitre: spec.mitre ?? [],
    policyCanAllow: spec.policyCanAllow ?? false,
    source,
    tags: spec.tags ?? [],
    ...(spec.detector ? { detector: spec.detector } : {}),
    fields: spec.condition ? fieldsOf(spec.condition) : [],
    test: condition
      ? (_ev, read) => {
          pred ??= compileCondition(condition, ['condition']);
          return pred(read);
        }
      : () => true,
  };
}

/** Compiles a list of merged rules (throws RuleError / ConditionError on a bad one). */
export function compileRules(merged: readonly { spec: RuleSpec; source: string }[]): CompiledRule[] {
  return merged.map(({ spec, source }) => compileRule(spec, source));
}
