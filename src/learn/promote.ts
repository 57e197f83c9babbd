/**
 * "Promote to policy": findings a deployed function reported, learned and merged into its
 * current policy — exactly what `warden learn --from <findings.jsonl> --merge <policy> --out
 * <new>` writes — and what changed, as `warden policy diff <policy> <new>` prints it. Pure.
 */
import { realpathSync } from 'node:fs';
import { diffPolicies, formatPolicyDiff, type PolicyChange } from '../policy/diff';
import { formatPolicyError, parsePolicy } from '../policy/load';
import type { Policy } from '../policy/types';
import { runtimesHome, sandboxHome } from '../sandbox/cache-dirs';
import { learnPolicy } from './learn';
import { mergeLearned } from './merge';
import { readObservationLines } from './observation';
import { policyYaml } from './policy-yaml';

/**
 * Deployed functions live in /var/task; the runtime, its layers and Warden are the platform's
 * (and, for findings from the local sandbox, its sandboxes and runtime clients).
 */
export function platformPaths(): string[] {
  return ['/opt', '/var/runtime', '/var/lang', realOrSelf(sandboxHome()), realOrSelf(runtimesHome())];
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The header comment `warden learn` writes above a learned policy. */
export function learnedHeader(sources: readonly string[]): string[] {
  return [
    'Warden policy learned by `warden learn`: it allows what the function did, and nothing else.',
    `Learned from: ${sources.join('; ')}.`,
    'Review each entry (the comment says what produced it), then deploy it in the layer.',
    'Generalisation rules: docs/learning.md.',
  ];
}

export interface Promotion {
  /** The merged policy as `warden learn` writes it (commented YAML). */
  yaml: string;
  changes: PolicyChange[];
  /** The changes as `warden policy diff` prints them. */
  diff: string;
  observations: number;
}

export type PromotionResult = { ok: true; promotion: Promotion } | { ok: false; error: string };

/**
 * Learns from the findings (OCSF objects) and merges into `current` (named `currentName`, as
 * `--merge` names its file); `from` names the findings (as `--from` does).
 */
export function promoteFindings(
  current: { name: string; text: string },
  findings: readonly unknown[],
  from: string,
): PromotionResult {
  const existing = parsePolicy(current.name, current.text);
  if (!existing.ok)
    return { ok: false, error: `the current policy is not valid: ${formatPolicyError(existing.error)}` };
  const read = readObservationLines(findings.map((f) => JSON.stringify(f)).join('\n'));
  if (read.observations.length === 0)
    return {
      ok: false,
      error: 'none of these findings is behaviour a policy can allow (only notices about Warden itself)',
    };
  const learned = learnPolicy(read.observations, {
    taskRoots: ['/var/task'],
    platformPaths: platformPaths(),
    invocations: 0,
  });
  const merged = mergeLearned(existing.policy, learned, current.name);
  const yaml = policyYaml(
    merged.policy,
    merged.notes,
    learnedHeader([`observations from ${from}`, `merged into ${current.name}`]),
  );
  const back = parsePolicy('promoted', yaml);
  if (!back.ok)
    return { ok: false, error: `the merged policy did not validate: ${formatPolicyError(back.error)}` };
  const changes = diffPolicies(existing.policy as Policy, back.policy);
  return {
    ok: true,
    promotion: { yaml, changes, diff: formatPolicyDiff(changes), observations: read.observations.length },
  };
}
