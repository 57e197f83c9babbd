/**
 * Which policy a Warden process runs: the file named by WARDEN_POLICY (or the layer's), or the
 * built-in default; on a file that cannot be loaded, the fallback `onPolicyError` names. Shared
 * by the sensor and the extension so both layers always judge by the same policy.
 */

import * as path from 'node:path';
import { readCompiled } from './compiled';
import { defaultPolicy } from './default-policy';
import type { PolicyError, PolicyLoadResult } from './load';
import type { Mode, Policy } from './types';

export interface LoadedPolicy {
  policy: Policy;
  mode: Mode;
  error?: PolicyError;
  fallback?: string;
}

/**
 * The policy files a function's own package may carry in its root (`LAMBDA_TASK_ROOT`), in the
 * order they are looked for: the compiled form `warden policy compile` writes first (no validator
 * at cold start), then the YAML it was compiled from. The layer's wrapper looks for the same.
 */
export const FUNCTION_POLICY_FILES = [
  'warden-policy.json',
  'warden-policy.yaml',
  'warden-policy.yml',
] as const;

export interface PolicyFileInputs {
  /** WARDEN_POLICY as set: absolute, or relative to the function's directory. */
  setting?: string;
  /** The function's directory (LAMBDA_TASK_ROOT), when known. */
  taskRoot?: string;
  /** The layer's compiled policy (`warden/policy.json`), when the layer has one. */
  layerPolicy?: string;
  exists(file: string): boolean;
}

/**
 * Which policy file a function runs by: WARDEN_POLICY (a relative path is the function's, as a
 * handler's is); else the function's own `warden-policy.*`; else the layer's; else none (the
 * built-in default). One shared layer thus serves every function, each with its own policy.
 */
export function choosePolicyFile(o: PolicyFileInputs): string | undefined {
  // Joined as the wrapper joins it (no normalising), so both name the same file the same way.
  if (o.setting) return path.isAbsolute(o.setting) || !o.taskRoot ? o.setting : `${o.taskRoot}/${o.setting}`;
  if (o.taskRoot)
    for (const name of FUNCTION_POLICY_FILES) {
      const file = `${o.taskRoot}/${name}`;
      if (o.exists(file)) return file;
    }
  return o.layerPolicy;
}

export interface PolicyChoice {
  policyPath?: string;
  modeOverride?: Mode;
  onPolicyError?: string;
}

/**
 * onPolicyError: deny-all. Every process, connection, DNS query, generated code, worker and
 * native addon is refused; file rules stay the default's (the function must still read its
 * own code to fail cleanly).
 */
export function denyAllPolicy(): Policy {
  const p = defaultPolicy();
  p.network.default = 'deny';
  p.files.exec.default = 'deny';
  p.code = { ...p.code, eval: 'deny', wasm: 'deny', workers: 'deny', inspector: 'deny' };
  p.code.nativeAddons.default = 'deny';
  return p;
}

export function resolvePolicy(
  choice: PolicyChoice,
  read: (file: string) => string,
  parse: () => (file: string, text: string) => PolicyLoadResult,
): LoadedPolicy {
  if (!choice.policyPath) {
    const policy = defaultPolicy();
    return { policy, mode: choice.modeOverride ?? policy.mode };
  }
  let error: PolicyError;
  let text = '';
  try {
    text = read(choice.policyPath);
    // The layer's compiled policy, as `warden layer build` validated and normalized it.
    const compiled = readCompiled(text) as Policy | undefined;
    if (compiled) return { policy: compiled, mode: choice.modeOverride ?? compiled.mode };
    const result = parse()(choice.policyPath, text);
    if (result.ok) return { policy: result.policy, mode: choice.modeOverride ?? result.policy.mode };
    error = result.error;
  } catch (e) {
    error = { file: choice.policyPath, field: '', message: `cannot read policy: ${(e as Error).message}` };
  }
  const declared = /^\s*"?onPolicyError"?\s*:\s*"?([a-z-]+)"?/m.exec(text)?.[1];
  const fallback = choice.onPolicyError ?? declared ?? 'default-monitor';
  if (fallback === 'deny-all')
    return { policy: denyAllPolicy(), mode: 'enforce', error, fallback: 'deny-all' };
  if (fallback === 'default-enforce')
    return { policy: defaultPolicy(), mode: 'enforce', error, fallback: 'default policy, enforce' };
  return { policy: defaultPolicy(), mode: 'monitor', error, fallback: 'default policy, monitor' };
}

export function formatPolicyErrorShort(e: PolicyError): string {
  const where = e.line ? `${e.file}:${e.line}${e.column ? `:${e.column}` : ''}` : e.file;
  return `${where}: ${e.field ? `${e.field}: ` : ''}${e.message}`;
}
