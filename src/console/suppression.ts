/**
 * Suppressions (mutes): which incidents one covers, and reading one from a form or a request.
 * A muted incident is stored and shown as muted, and never routed. Every suppression has an
 * owner, a reason and an expiry (at most MAX_DAYS ahead): a mute nobody answers for, or one that
 * never ends, is how real attacks go unseen. Pure.
 */
import { createHash } from 'node:crypto';
import picomatch from 'picomatch';
import type { Incident, Suppression } from './store';

export const MAX_DAYS = 90;
const DAY_MS = 86_400_000;

const glob = (pattern: string) => picomatch(pattern, { dot: true, nocase: false });

/** Whether the suppression covers the incident (its functions, every rule, its package). */
export function covers(s: Suppression, incident: Incident): boolean {
  if (!glob(s.functions)(incident.functionName) && !glob(s.functions)(incident.functionArn)) return false;
  const rule = glob(s.rules);
  if (incident.rules.length === 0 || !incident.rules.every((r) => rule(r))) return false;
  return s.package === null || incident.packages.every((p) => p === s.package);
}

/** The active suppression (not expired at `now`) that covers the incident, if any. */
export function suppressionFor(
  incident: Incident,
  suppressions: readonly Suppression[],
  now: number,
): Suppression | undefined {
  return suppressions.find((s) => s.expires > now && s.created <= now && covers(s, incident));
}

export type SuppressionInput =
  | { ok: true; suppression: Suppression }
  | { ok: false; field: string; error: string };

/**
 * A suppression from what a person gave (form fields or JSON): functions and rules globs,
 * an optional package, owner, reason, and expiry as an ISO date or a number of days.
 */
export function readSuppression(given: Record<string, unknown>, now: number): SuppressionInput {
  const text = (k: string) => (typeof given[k] === 'string' ? (given[k] as string).trim() : '');
  for (const key of Object.keys(given))
    if (!['functions', 'rules', 'package', 'owner', 'reason', 'expires', 'days'].includes(key))
      return { ok: false, field: key, error: 'not a field of a suppression' };
  const functions = text('functions');
  const rules = text('rules');
  if (!functions || functions.length > 200)
    return { ok: false, field: 'functions', error: 'a function name, ARN or glob (e.g. orders-*)' };
  if (!rules || rules.length > 200)
    return { ok: false, field: 'rules', error: 'a rule id or glob (e.g. warden.files.*)' };
  if (functions === '*' && rules === '*')
    return {
      ok: false,
      field: 'rules',
      error: 'muting every rule of every function hides everything: narrow it',
    };
  const owner = text('owner');
  if (!owner || owner.length > 200) return { ok: false, field: 'owner', error: 'who answers for this mute' };
  const reason = text('reason');
  if (reason.length < 3 || reason.length > 2000)
    return { ok: false, field: 'reason', error: 'why these incidents are expected (3 to 2000 characters)' };
  let expires: number;
  const days = given.days;
  if (text('expires')) {
    expires = Date.parse(text('expires'));
    if (Number.isNaN(expires)) return { ok: false, field: 'expires', error: 'an ISO date (2026-12-31)' };
  } else if (days !== undefined && days !== '') {
    const d = Number(days);
    if (!Number.isFinite(d) || d <= 0) return { ok: false, field: 'days', error: 'a number of days above 0' };
    expires = now + d * DAY_MS;
  } else return { ok: false, field: 'expires', error: `when it ends (at most ${MAX_DAYS} days ahead)` };
  if (expires <= now) return { ok: false, field: 'expires', error: 'it is already past' };
  if (expires > now + MAX_DAYS * DAY_MS)
    return { ok: false, field: 'expires', error: `at most ${MAX_DAYS} days ahead: renew it then` };
  const pkg = text('package');
  const fields = { functions, rules, package: pkg || null, owner, reason, created: now, expires };
  return {
    ok: true,
    suppression: {
      id: `sup-${createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 16)}`,
      ...fields,
    },
  };
}
