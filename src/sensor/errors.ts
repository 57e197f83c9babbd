import type { SensorEvent, Verdict } from '../events/types';

export const BLOCKED_CODE = 'ERR_WARDEN_BLOCKED';

/** The error a blocked call fails with. `code` is ERR_WARDEN_BLOCKED; the message names the rule. */
export interface WardenBlockedError extends Error {
  code: typeof BLOCKED_CODE;
  errno: number;
  rule: string;
  surface: SensorEvent['surface'];
  syscall?: string;
  path?: string;
}

const EACCES = 13;
/** The errors the sensor made to fail a call with (a fault barrier lets exactly these through). */
const issued = new WeakSet<object>();

/** Marks an error the sensor made to refuse a call (the fault barrier lets it through). */
export function issue<E extends Error>(err: E): E {
  issued.add(err);
  return err;
}

/** True for an error the sensor issued to refuse a call (not a look-alike made by other code). */
export function isIssuedBlock(e: unknown): boolean {
  return typeof e === 'object' && e !== null && issued.has(e);
}

export function blockedError(ev: SensorEvent, verdict: Verdict): WardenBlockedError {
  const err = new Error(
    `Warden blocked ${ev.surface} ${ev.op}: ${verdict.reason} [rule ${verdict.ruleId}]`,
  ) as WardenBlockedError;
  err.code = BLOCKED_CODE;
  err.errno = -EACCES;
  err.rule = verdict.ruleId;
  err.surface = ev.surface;
  err.syscall = ev.op;
  if (ev.surface === 'files') err.path = ev.requested;
  return issue(err);
}

export function isBlockedError(e: unknown): e is WardenBlockedError {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === BLOCKED_CODE;
}
