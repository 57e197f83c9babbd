/**
 * Rules load in stages: parse (YAML or JSON, with positions) → check each rule's shape → merge
 * the user's rules over the defaults (same id: the fields given replace the default's;
 * `disabled: true` drops it; a new id adds a rule) → compile (conditions to predicates,
 * detectors looked up, MITRE ids checked). A bad file is rejected whole, with file, line and
 * the field at fault; the caller keeps the defaults.
 */
import { TACTIC_NAMES, TECHNIQUE_NAMES } from '../events/mitre';
import type { Surface } from '../events/types';
import { fieldName, locate, type PolicyError, parseText } from '../policy/load';
import { compileRule, mergeRules, type Path, RuleError } from './compile-rules';
import { ConditionError, compileCondition } from './condition';
import { DETECTORS } from './detectors';
import { type CompiledRule, type RuleSpec, SEVERITY } from './types';

/** The merged, compiled rules and the user file's own specs (what a layer ships as rules.json). */
export type RulesResult =
  | { ok: true; rules: CompiledRule[]; specs: RuleSpec[] }
  | { ok: false; error: PolicyError };

const SURFACES: readonly Surface[] = ['process', 'network', 'files', 'code', 'secrets'];
const RULE_KEYS = new Set([
  'id',
  'title',
  'description',
  'severity',
  'surfaces',
  'condition',
  'detector',
  'action',
  'mitre',
  'policyCanAllow',
  'disabled',
  'tags',
]);
const ACTIONS = ['alert', 'block', 'kill'];

function str(v: unknown, path: Path, what = 'a string'): string {
  if (typeof v !== 'string' || !v) throw new RuleError(path, `must be ${what}`);
  return v;
}

/** Checks one rule's fields (a partial rule is fine when it overrides a default by id). */
function checkSpec(raw: unknown, path: Path, known: ReadonlySet<string>): RuleSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new RuleError(path, 'a rule is an object');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r))
    if (!RULE_KEYS.has(k)) throw new RuleError([...path, k], `unknown field "${k}"`);
  const id = str(r.id, [...path, 'id'], 'a rule id (letters, digits, . _ -)');
  if (!/^[A-Za-z0-9._-]+$/.test(id))
    throw new RuleError([...path, 'id'], 'a rule id has only letters, digits, ".", "_" and "-"');
  const override = known.has(id);
  if (r.title !== undefined) str(r.title, [...path, 'title']);
  if (r.description !== undefined && typeof r.description !== 'string')
    throw new RuleError([...path, 'description'], 'must be a string');
  if (r.severity !== undefined && !(typeof r.severity === 'string' && r.severity in SEVERITY))
    throw new RuleError([...path, 'severity'], `must be one of ${Object.keys(SEVERITY).join(', ')}`);
  if (r.action !== undefined && !ACTIONS.includes(r.action as string))
    throw new RuleError([...path, 'action'], `must be one of ${ACTIONS.join(', ')}`);
  if (r.surfaces !== undefined) {
    if (!Array.isArray(r.surfaces) || r.surfaces.length === 0)
      throw new RuleError([...path, 'surfaces'], 'must be a non-empty list');
    r.surfaces.forEach((s, i) => {
      if (!SURFACES.includes(s as Surface))
        throw new RuleError([...path, 'surfaces', i], `must be one of ${SURFACES.join(', ')}`);
    });
  }
  if (r.detector !== undefined && !(typeof r.detector === 'string' && r.detector in DETECTORS))
    throw new RuleError(
      [...path, 'detector'],
      `unknown detector (one of ${Object.keys(DETECTORS).join(', ')})`,
    );
  if (r.condition !== undefined && r.detector !== undefined)
    throw new RuleError([...path, 'detector'], 'a rule has a condition or a detector, not both');
  for (const k of ['policyCanAllow', 'disabled'] as const)
    if (r[k] !== undefined && typeof r[k] !== 'boolean')
      throw new RuleError([...path, k], 'must be true or false');
  if (r.tags !== undefined && !(Array.isArray(r.tags) && r.tags.every((t) => typeof t === 'string')))
    throw new RuleError([...path, 'tags'], 'must be a list of strings');
  if (r.mitre !== undefined) {
    if (!Array.isArray(r.mitre))
      throw new RuleError([...path, 'mitre'], 'must be a list of {tactic, technique}');
    r.mitre.forEach((m, i) => {
      const at = [...path, 'mitre', i];
      if (m === null || typeof m !== 'object')
        throw new RuleError(at, 'must be {tactic: TA…, technique: T…}');
      const { tactic, technique, ...rest } = m as Record<string, unknown>;
      const extra = Object.keys(rest)[0];
      if (extra) throw new RuleError([...at, extra], `unknown field "${extra}"`);
      if (typeof tactic !== 'string' || !(tactic in TACTIC_NAMES))
        throw new RuleError(
          [...at, 'tactic'],
          `unknown ATT&CK tactic ${JSON.stringify(tactic)} (one of ${Object.keys(TACTIC_NAMES).join(', ')})`,
        );
      if (typeof technique !== 'string' || !(technique in TECHNIQUE_NAMES))
        throw new RuleError([...at, 'technique'], `unknown ATT&CK technique ${JSON.stringify(technique)}`);
    });
  }
  if (!override && r.disabled !== true) {
    for (const k of ['title', 'severity', 'surfaces', 'action'] as const)
      if (r[k] === undefined)
        throw new RuleError(
          path,
          `missing required field "${k}" (rule "${id}" is new: no default rule has that id)`,
        );
    if (r.condition === undefined && r.detector === undefined)
      throw new RuleError(path, `missing "condition" (or "detector") in new rule "${id}"`);
  }
  return r as unknown as RuleSpec;
}

/** Stage 1-2: a rules file's text → its rule specs, or where it is wrong. */
export function parseRuleFile(
  file: string,
  text: string,
  known: ReadonlySet<string>,
): { ok: true; rules: RuleSpec[] } | { ok: false; error: PolicyError } {
  const parsed = parseText(file, text);
  if (!parsed.ok) return parsed;
  const fail = (path: Path, message: string) => ({
    ok: false as const,
    error: { file, ...locate(text, path), field: fieldName(path), message },
  });
  const doc = parsed.value as Record<string, unknown> | null;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    return fail([], 'a rules file is an object: {version: 1, rules: [...]}');
  for (const k of Object.keys(doc))
    if (k !== 'version' && k !== 'rules') return fail([k], `unknown field "${k}"`);
  if (doc.version !== 1) return fail(['version'], 'must be 1');
  if (!Array.isArray(doc.rules)) return fail(['rules'], 'must be a list of rules');
  const out: RuleSpec[] = [];
  const ids = new Set<string>();
  try {
    doc.rules.forEach((r, i) => {
      const spec = checkSpec(r, ['rules', i], known);
      if (ids.has(spec.id)) throw new RuleError(['rules', i, 'id'], `duplicate rule id "${spec.id}"`);
      ids.add(spec.id);
      // Conditions are checked here, where the line is known (a partial override is checked merged).
      if (spec.condition !== undefined) compileCondition(spec.condition, ['rules', i, 'condition']);
      out.push(spec);
    });
  } catch (e) {
    if (e instanceof RuleError || e instanceof ConditionError) return fail(e.path, e.message);
    throw e;
  }
  return { ok: true, rules: out };
}

/** All stages: defaults plus an optional user file → compiled rules, or the user file's error. */
export function loadRules(defaults: readonly RuleSpec[], user?: { file: string; text: string }): RulesResult {
  let specs: RuleSpec[] = [];
  if (user) {
    const parsed = parseRuleFile(user.file, user.text, new Set(defaults.map((d) => d.id)));
    if (!parsed.ok) return parsed;
    specs = parsed.rules;
  }
  const merged = mergeRules(defaults, specs, user?.file ?? '');
  const rules: CompiledRule[] = [];
  for (const { spec, source } of merged) {
    try {
      if (spec.condition) compileCondition(spec.condition, ['condition']);
      rules.push(compileRule(spec, source));
    } catch (e) {
      if (!(e instanceof RuleError || e instanceof ConditionError)) throw e;
      const i = specs.findIndex((s) => s.id === spec.id);
      const path: Path = i >= 0 ? ['rules', i, ...e.path] : e.path;
      return {
        ok: false,
        error: {
          file: user?.file ?? '<default rules>',
          ...(user && i >= 0 ? locate(user.text, path) : {}),
          field: fieldName(path),
          message: `${e.message} (rule "${spec.id}" as merged)`,
        },
      };
    }
  }
  return { ok: true, rules, specs };
}
