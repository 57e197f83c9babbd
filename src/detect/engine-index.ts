/**
 * The compiled rules indexed by surface, and what they need the sensor to watch: built at
 * start-up from the rules' metadata alone (evaluation is engine.ts).
 */
import type { Surface } from '../events/types';
import type { CompiledRule } from './types';

export interface Engine {
  rules: readonly CompiledRule[];
  bySurface: Readonly<Record<Surface, readonly CompiledRule[]>>;
  /** Some rule reads credential variable reads (so the sensor must judge them). */
  watchesSecrets: boolean;
  /** Some rule reads generated code (eval / Function / vm). */
  watchesCode: boolean;
  /** Some rule needs the invocation's input (an injection detector). */
  needsInput: boolean;
  /** Surfaces where some rule blocks or kills in enforce mode (a fault there is refused too). */
  blocks: ReadonlySet<Surface>;
}

export function createEngine(rules: readonly CompiledRule[], skip: ReadonlySet<string> = new Set()): Engine {
  const bySurface: Record<Surface, CompiledRule[]> = {
    process: [],
    network: [],
    files: [],
    code: [],
    secrets: [],
    sensor: [],
  };
  const kept = rules.filter((r) => !skip.has(r.id));
  for (const r of kept) for (const s of r.surfaces) bySurface[s].push(r);
  return {
    rules: kept,
    bySurface,
    watchesSecrets:
      bySurface.secrets.length > 0 || kept.some((r) => r.fields.includes('package.read_credentials')),
    watchesCode: bySurface.code.some((r) => r.detector !== undefined),
    needsInput: kept.some((r) => r.detector !== undefined),
    blocks: new Set(kept.filter((r) => r.action !== 'alert').flatMap((r) => r.surfaces)),
  };
}
