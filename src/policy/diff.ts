/**
 * What changed between two policies, for code review (`warden policy diff`): each difference
 * with where it is, what it was and is, and whether it widens what the function may do (the
 * changes a reviewer must look at), narrows it, or neither.
 */
import type { RuleAction } from '../events/types';
import { compilePolicy } from './compile';
import { ACTION_RANK } from './decide';
import type { Policy } from './types';

export type Effect = 'widens' | 'narrows' | 'neutral';

export interface PolicyChange {
  /** Where, e.g. `process.allow`, `files.write.default`, `packages["lodash"]`. */
  path: string;
  change: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
  effect: Effect;
}

function actionEffect(before: RuleAction, after: RuleAction): Effect {
  const d = ACTION_RANK[after] - ACTION_RANK[before];
  return d < 0 ? 'widens' : d > 0 ? 'narrows' : 'neutral';
}

/** A list entry's identity: its content with keys sorted (the order of keys in the file is not a change). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

function scalar(out: PolicyChange[], path: string, before: unknown, after: unknown, effect: Effect): void {
  if (canonical(before) !== canonical(after)) out.push({ path, change: 'changed', before, after, effect });
}

/** Entries added to and removed from one list; `addedEffect` says what an added entry does. */
function list(
  out: PolicyChange[],
  path: string,
  before: unknown[],
  after: unknown[],
  addedEffect: Effect,
): void {
  const opposite: Effect =
    addedEffect === 'widens' ? 'narrows' : addedEffect === 'narrows' ? 'widens' : 'neutral';
  const had = new Map(before.map((e) => [canonical(e), e]));
  const has = new Map(after.map((e) => [canonical(e), e]));
  for (const [key, entry] of had)
    if (!has.has(key)) out.push({ path, change: 'removed', before: entry, effect: opposite });
  for (const [key, entry] of has)
    if (!had.has(key)) out.push({ path, change: 'added', after: entry, effect: addedEffect });
}

interface RuleListLike {
  default: RuleAction;
  allow: unknown[];
  alert: unknown[];
  deny: unknown[];
}

function ruleList(out: PolicyChange[], path: string, a: RuleListLike, b: RuleListLike): void {
  scalar(out, `${path}.default`, a.default, b.default, actionEffect(a.default, b.default));
  list(out, `${path}.allow`, a.allow, b.allow, 'widens');
  list(out, `${path}.alert`, a.alert, b.alert, 'neutral');
  list(out, `${path}.deny`, a.deny, b.deny, 'narrows');
}

function action(out: PolicyChange[], path: string, a: RuleAction, b: RuleAction): void {
  scalar(out, path, a, b, actionEffect(a, b));
}

function flag(out: PolicyChange[], path: string, a: boolean, b: boolean, strictWhenTrue: boolean): void {
  scalar(out, path, a, b, a === b ? 'neutral' : b === strictWhenTrue ? 'narrows' : 'widens');
}

/** Every difference from `a` to `b` (normalized policies), in the order of the policy file. */
export function diffPolicies(a: Policy, b: Policy): PolicyChange[] {
  const out: PolicyChange[] = [];
  scalar(
    out,
    'mode',
    a.mode,
    b.mode,
    a.mode === b.mode ? 'neutral' : b.mode === 'monitor' ? 'widens' : 'narrows',
  );
  flag(out, 'failClosed', a.failClosed, b.failClosed, true);
  // Stricter in the order false, auto, true (auto is on only where it can be).
  const permissionRank = { false: 0, auto: 1, true: 2 } as const;
  scalar(
    out,
    'nodePermissions',
    a.nodePermissions,
    b.nodePermissions,
    a.nodePermissions === b.nodePermissions
      ? 'neutral'
      : permissionRank[String(b.nodePermissions) as 'auto'] >
          permissionRank[String(a.nodePermissions) as 'auto']
        ? 'narrows'
        : 'widens',
  );
  const fallback = { 'default-monitor': 0, 'default-enforce': 1, 'deny-all': 2 } as const;
  scalar(
    out,
    'onPolicyError',
    a.onPolicyError,
    b.onPolicyError,
    actionEffect(
      (['allow', 'alert', 'deny'] as const)[fallback[a.onPolicyError]],
      (['allow', 'alert', 'deny'] as const)[fallback[b.onPolicyError]],
    ),
  );
  ruleList(out, 'process', a.process, b.process);
  action(out, 'process.kill', a.process.kill, b.process.kill);
  ruleList(out, 'network', a.network, b.network);
  action(out, 'network.runtimeApi', a.network.runtimeApi, b.network.runtimeApi);
  action(out, 'network.listen', a.network.listen, b.network.listen);
  for (const op of ['read', 'write', 'exec'] as const) ruleList(out, `files.${op}`, a.files[op], b.files[op]);
  action(out, 'code.eval', a.code.eval, b.code.eval);
  action(out, 'code.wasm', a.code.wasm, b.code.wasm);
  action(out, 'code.workers', a.code.workers, b.code.workers);
  action(out, 'code.inspector', a.code.inspector, b.code.inspector);
  ruleList(out, 'code.nativeAddons', a.code.nativeAddons, b.code.nativeAddons);
  ruleList(out, 'code.modules', a.code.modules, b.code.modules);
  ruleList(out, 'secrets', a.secrets, b.secrets);
  list(out, 'secrets.names', a.secrets.names, b.secrets.names, 'narrows');
  const ca = compilePolicy(a);
  const cb = compilePolicy(b);
  for (const name of new Set([...Object.keys(a.packages), ...Object.keys(b.packages)])) {
    const path = `packages[${JSON.stringify(name)}]`;
    const before = a.packages[name];
    const after = b.packages[name];
    if (before && after) {
      list(out, path, before, after, 'widens');
      continue;
    }
    // What the package may do on each side, a glob entry (`**`) included: unrestricted when no
    // entry matches it.
    out.push({
      path,
      change: before ? 'removed' : 'added',
      ...(before ? { before } : { after }),
      effect: capabilityEffect(ca.capabilitiesOf(name), cb.capabilitiesOf(name)),
    });
  }
  return out;
}

function capabilityEffect(
  before: ReadonlySet<string> | undefined,
  after: ReadonlySet<string> | undefined,
): Effect {
  if (!before) return after ? 'narrows' : 'neutral';
  if (!after) return 'widens';
  const gained = [...after].some((c) => !before.has(c));
  const lost = [...before].some((c) => !after.has(c));
  // Anything gained is what a reviewer must see, even when something else was given up.
  return gained ? 'widens' : lost ? 'narrows' : 'neutral';
}

function show(value: unknown): string {
  if (typeof value === 'string') return /^[\w@%+=:,./*-]+$/.test(value) ? value : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (value && typeof value === 'object')
    return `{ ${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${show(v)}`)
      .join(', ')} }`;
  return String(value);
}

/** The changes as a person reads them in review: one line each, then a count. */
export function formatPolicyDiff(changes: PolicyChange[]): string {
  if (changes.length === 0) return 'no differences\n';
  const mark = { added: '+', removed: '-', changed: '~' } as const;
  const lines = changes.map((c) => {
    const what =
      c.change === 'changed'
        ? `${show(c.before)} → ${show(c.after)}`
        : show(c.change === 'added' ? c.after : c.before);
    return `${mark[c.change]} ${c.path}: ${what}${c.effect === 'neutral' ? '' : `  (${c.effect})`}`;
  });
  const widens = changes.filter((c) => c.effect === 'widens').length;
  const narrows = changes.filter((c) => c.effect === 'narrows').length;
  lines.push(
    `${changes.length} change${changes.length === 1 ? '' : 's'}: ${widens} widen${widens === 1 ? 's' : ''} what the function may do, ${narrows} narrow${narrows === 1 ? 's' : ''} it`,
  );
  return `${lines.join('\n')}\n`;
}
