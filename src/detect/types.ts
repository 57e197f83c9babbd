/**
 * The detection rules' vocabulary: a rule as users write it (YAML or JSON), and as the engine
 * runs it once compiled. A rule has either a `condition` (a typed matcher over the event's
 * fields, see fields.ts) or names one of the built-in `detector`s (code that reads the
 * invocation's event, see detectors/).
 */
import type { SensorEvent, Surface } from '../events/types';

export type RuleSeverity = 'info' | 'low' | 'medium' | 'high' | 'critical';
/** What a rule does in enforce mode (monitor mode only reports). `kill` also kills a running process. */
export type RuleEnforcement = 'alert' | 'block' | 'kill';

/** A condition: a field test, or all / any / not of conditions. */
export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | FieldTest;

export interface FieldTest {
  field: string;
  equals?: string | number | boolean;
  in?: (string | number)[];
  prefix?: string | string[];
  suffix?: string | string[];
  contains?: string | string[];
  glob?: string | string[];
  regex?: string;
  cidr?: string | string[];
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  exists?: boolean;
}

export interface MitreTag {
  tactic: string;
  technique: string;
}

export interface RuleSpec {
  id: string;
  title?: string;
  description?: string;
  severity?: RuleSeverity;
  surfaces?: Surface[];
  condition?: Condition;
  detector?: string;
  action?: RuleEnforcement;
  mitre?: MitreTag[];
  /**
   * The rule stands down when a policy file of the user's allows the event by an explicit entry
   * (a reviewed `warden learn` policy that lists the shell command, say). Rules describing an
   * attack itself (injection, exfiltration, reverse shell) leave it false: they always apply.
   */
  policyCanAllow?: boolean;
  /** In a user file: turn off a rule of the defaults (by id). */
  disabled?: boolean;
  tags?: string[];
}

export interface RuleFile {
  version: 1;
  rules: RuleSpec[];
}

/** A rule merged, validated and with its condition compiled. */
export interface CompiledRule {
  id: string;
  title: string;
  description: string;
  severity: 1 | 2 | 3 | 4 | 5;
  surfaces: Surface[];
  action: RuleEnforcement;
  mitre: MitreTag[];
  policyCanAllow: boolean;
  /** Where it came from: `default` or the user's file. */
  source: string;
  tags: string[];
  detector?: string;
  /** The fields its condition reads. */
  fields: string[];
  test(ev: SensorEvent, view: FieldSource): boolean;
}

/** Reads a field of the event being judged (memoised per event by the engine). */
export type FieldSource = (name: string) => FieldValue;
export type FieldValue = string | number | boolean | string[] | undefined;

export const SEVERITY: Readonly<Record<RuleSeverity, CompiledRule['severity']>> = {
  info: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
};
