import type { SensorEvent, TaintEvidence } from '../../events/types';
import type { DetectContext } from '../context';

/** What a detector found in one event: in a sentence, and the input that caused it. */
export interface DetectorHit {
  reason: string;
  input?: TaintEvidence;
}

export type Detector = (ev: SensorEvent, ctx: DetectContext) => DetectorHit | null;

/** The evidence object for a tainted value (cut to 256 characters). */
export function evidence(trigger: string, source: string, value: string, effect: string): TaintEvidence {
  return { trigger, source, value: value.length > 256 ? `${value.slice(0, 253)}...` : value, effect };
}

export function excerpt(s: string, n = 120): string {
  return JSON.stringify(s.length > n ? `${s.slice(0, n - 3)}...` : s);
}
