/**
 * "Promote to policy" in the console: an incident's findings learned and merged into its
 * function's current policy (as the console keeps it), the way `warden learn --from … --merge`
 * and `warden policy diff` would — for the function page and the API alike.
 */
import { type Promotion, promoteFindings } from '../learn/promote';
import { formatPolicyError, parsePolicy } from '../policy/load';
import type { Incident, Store, StoredPolicy } from './store';

export type PromotionView =
  | { ok: true; incident: Incident; policy: StoredPolicy; promotion: Promotion }
  | { ok: false; status: 400 | 404 | 409; error: string };

/** The file name a stored policy version stands for in diffs and comments. */
export const policyFileName = (name: string, version: number): string => `${name}-policy-v${version}.yaml`;

export async function promotionFor(
  store: Store,
  functionArn: string,
  incidentId: string,
): Promise<PromotionView> {
  const incident = await store.incident(incidentId);
  if (!incident || incident.functionArn !== functionArn)
    return { ok: false, status: 404, error: `no incident ${incidentId} of this function` };
  const policy = await store.policy(functionArn);
  if (!policy)
    return {
      ok: false,
      status: 409,
      error: `the console has no policy of ${incident.functionName} to merge into: save its current policy first (the function's page, or PUT /api/functions/<arn>/policy)`,
    };
  const findings = await store.findings({ incident: incident.id, limit: 10_000 });
  const result = promoteFindings(
    { name: policyFileName(incident.functionName, policy.version), text: policy.text },
    findings,
    // As if its findings were saved to a file named by it (the API gives them: /api/incidents/<id>).
    `${incident.id}.jsonl`,
  );
  if (!result.ok) return { ok: false, status: 400, error: result.error };
  return { ok: true, incident, policy, promotion: result.promotion };
}

export const MAX_POLICY_BYTES = 512 * 1024;

/** A policy text to keep: valid (the error names the line and field), not too large. */
export function checkPolicyText(name: string, text: string): { ok: true } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: false, error: 'the policy is empty' };
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES)
    return { ok: false, error: `the policy is over ${MAX_POLICY_BYTES} bytes` };
  const parsed = parsePolicy(name, text);
  return parsed.ok ? { ok: true } : { ok: false, error: formatPolicyError(parsed.error) };
}
