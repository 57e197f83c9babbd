/**
 * Path traversal: a string of the invocation's event reaches a file path and the path escapes
 * the directory the code joined it to. Three ways in: the input is in the path as written
 * (`"/data/" + key`); `path.join` / `path.resolve` already folded its `..` away (the sensor
 * notes such joins while the invocation carries input with `..`, see `noteJoin`); or a fold
 * nothing saw (`foldedEscape`). A `../` that stays inside its directory, or that never reaches a
 * file call, does not fire.
 */
import path = require('node:path');

import type { SensorEvent } from '../../events/types';
import type { DetectContext } from '../context';
import type { TaintedValue } from '../input';
import { type Detector, type DetectorHit, evidence } from './types';

export interface JoinEscape {
  base: string;
  input: TaintedValue;
}

/** Places where an absolute path straight from input is a read of something not the function's. */
const SENSITIVE = /^\/(proc|sys|etc|root|home|var\/runtime|var\/task|opt|dev)(\/|$)/;

const within = (p: string, base: string): boolean =>
  p === base || p.startsWith(base.endsWith('/') ? base : `${base}/`);

/** Has `..` as a path segment (either separator). */
export function hasDotDot(s: string): boolean {
  return /(^|[/\\])\.\.([/\\]|$)/.test(s);
}

/** The path's names without dot segments and separators (`../..//etc/passwd` → `etc/passwd`). */
function names(p: string): string {
  return p
    .split(/[/\\]+/)
    .filter((seg) => seg !== '' && !/^\.+$/.test(seg))
    .join('/');
}

/** Two paths name the same files once dots are set aside (and they name at least one). */
function sameNames(a: string, input: string): boolean {
  const n = names(a);
  return n.length >= 3 && n === names(input);
}

/**
 * For a `path.join(...)` / `path.resolve(...)` call: when an argument after the first carries
 * input with `..` and the result leaves the directory of the arguments before it.
 */
export function joinEscape(
  args: readonly unknown[],
  result: string,
  values: readonly TaintedValue[],
  resolve: boolean,
): JoinEscape | undefined {
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    if (typeof a !== 'string' || !hasDotDot(a)) continue;
    // The argument holds the input, is a slice of it (`event.path.slice(6)`), or is what a
    // filter left of it (`....//` with `../` removed is `../`): the same names once dots go.
    const t = values.find(
      (v) =>
        (hasDotDot(v.value) && (a.includes(v.value) || (a.length >= 5 && v.value.includes(a)))) ||
        (v.value.includes('..') && sameNames(a, v.value)),
    );
    if (!t) continue;
    const before = args.slice(0, i).filter((x): x is string => typeof x === 'string');
    if (before.length === 0) continue;
    const base = resolve ? path.resolve(...before) : path.join(...before);
    const out = resolve ? result : path.normalize(result);
    if (!within(path.resolve(out), path.resolve(base))) return { base: path.resolve(base), input: t };
  }
  return undefined;
}

export const pathTraversal: Detector = (ev: SensorEvent, ctx: DetectContext): DetectorHit | null => {
  if (ev.surface !== 'files') return null;
  const inputs = ctx.inputs?.();
  if (!inputs || inputs.values.length === 0) return null;
  const joined = ctx.joins?.get(ev.requested) ?? ctx.joins?.get(ev.path);
  if (joined)
    return {
      reason: `input from ${joined.input.source} leads ${ev.path} out of ${joined.base}`,
      input: evidence(inputs.trigger, joined.input.source, joined.input.value, `escaped ${joined.base}`),
    };
  const requested = ev.requested;
  for (const t of inputs.values) {
    const v = t.value;
    const at = requested.indexOf(v);
    if (at < 0) continue;
    const prefix = requested.slice(0, at);
    if (!prefix) {
      if (!v.startsWith('/')) continue;
      // A whole path from a direct invoke is often the caller's design; from outside, never.
      const sensitive = inputs.trigger === 'direct' ? /^\/proc\//.test(ev.path) : SENSITIVE.test(ev.path);
      if (hasDotDot(v) || (sensitive && v === requested))
        return {
          reason: `the file path ${JSON.stringify(requested)} comes whole from ${t.source}`,
          input: evidence(inputs.trigger, t.source, v, "named an absolute path outside the function's files"),
        };
      continue;
    }
    if (!hasDotDot(v) && !v.startsWith('/')) continue;
    const base = path.resolve(prefix.endsWith('/') ? prefix : path.dirname(`${prefix}x`));
    const resolved = path.resolve(requested);
    if (!within(resolved, base))
      return {
        reason: `input from ${t.source} leads ${ev.path} out of ${base}`,
        input: evidence(inputs.trigger, t.source, v, `escaped ${base}`),
      };
  }
  const folded = foldedEscape(ev.requested, inputs.values, ctx.policy.taskRoot());
  if (folded)
    return {
      reason: `input from ${folded.input.source} climbs with .. to ${ev.path}, out of ${folded.base}`,
      input: evidence(inputs.trigger, folded.input.source, folded.input.value, `escaped ${folded.base}`),
    };
  return null;
};

/**
 * The input's `..` already folded away by a join this detector did not see (under Node's
 * permission model the `path` module is frozen, so `path.join` cannot be watched; or the code
 * normalised a concatenation itself): the input climbs above its base (it starts with `..`
 * once normalised), what follows the climb is how the path read ends, and the file is outside
 * the function's directory (the base the input climbed from is inside it, or the input would
 * need no `..` to get there).
 */
export function foldedEscape(
  requested: string,
  values: readonly TaintedValue[],
  taskRoot: string | undefined,
): JoinEscape | undefined {
  if (!taskRoot) return undefined;
  const resolved = path.resolve(requested);
  if (within(resolved, taskRoot)) return undefined;
  for (const v of values) {
    const value = v.value.replace(/\\/g, '/');
    const at = value.search(/(^|\/)\.\.(\/|$)/);
    if (at < 0) continue;
    // A relative input is joined whole (`a/x/../b.txt` stays in its base); an absolute one (a
    // request path) by a slice, from its first `..` on (`/docs/../../x` → `../../x`).
    const climb = value.startsWith('/') ? value.slice(value[at] === '.' ? at : at + 1) : value;
    const normal = path.posix.normalize(climb);
    if (!normal.startsWith('../')) continue;
    const tail = normal.replace(/^(\.\.\/)+/, '');
    if (tail.length < 3 || tail.startsWith('..')) continue;
    if (resolved.endsWith(`/${tail}`)) return { base: taskRoot, input: v };
  }
  return undefined;
}
