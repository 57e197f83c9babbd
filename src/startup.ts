/**
 * The one start-up every Warden process shares (the sensor, the extension, and whatever watches
 * from outside the hooks): settings → which policy (WARDEN_POLICY, the layer's file, the built-in
 * one; the onPolicyError fallback when it cannot be loaded) → compiled → the detection rules →
 * the function's resource (its ARN) → the notices to report (settings not understood, a policy
 * or rules file that could not be loaded), in one shape. Each process reports the notices its
 * own way (the sensor's findings, the extension's stream); what they say is the same.
 */

import type { Engine } from './detect/engine';
import type { RuleFileParser } from './detect/rules-engine';
import { rulesEngine } from './detect/rules-engine';
import type { FunctionResource } from './events/ocsf';
import type { SensorEvent, Verdict } from './events/types';
import { type CompiledPolicy, compilePolicy, type TaskRoot } from './policy/compile';
import { learningPolicy } from './policy/learning-policy';
import type { PolicyLoadResult } from './policy/load';
import { choosePolicyFile, formatPolicyErrorShort, type LoadedPolicy, resolvePolicy } from './policy/resolve';
import type { Settings } from './settings';

export interface StartupInputs {
  settings: Settings;
  /** The function's environment (AWS_LAMBDA_FUNCTION_NAME, AWS_REGION …) for its resource. */
  env: Readonly<Record<string, string | undefined>>;
  /** The layer's policy file (`warden/policy.json`, if any): when WARDEN_POLICY is unset and the function has none. */
  layerPolicy?: string;
  /** The function's directory: a relative WARDEN_POLICY is in it, and its own `warden-policy.*`. */
  functionDir?: string;
  exists?(file: string): boolean;
  /** The rules file when WARDEN_RULES is unset (the layer's `warden/rules.json`, if any). */
  layerRules?: string;
  read(file: string): string;
  /** The policy-file parser, loaded only when there is a file (YAML, schema). */
  policyParser(): (file: string, text: string) => PolicyLoadResult;
  ruleParser(): RuleFileParser;
  compile: { runtimeApi?: string; taskRoot?: TaskRoot; platformPaths?: readonly string[] };
  /** Rules this process judges by its own means (the extension's fileless / drop-and-execute). */
  skipRules?: ReadonlySet<string>;
}

/** Something to report at start-up, as both the sensor and the extension report it. */
export interface StartupNotice {
  event: SensorEvent & { surface: 'sensor' };
  verdict: Verdict;
  /** The one line for stderr. */
  line: string;
}

export interface Startup {
  /** The policy file in force (undefined: the built-in default). */
  policyPath?: string;
  loaded: LoadedPolicy;
  policy: CompiledPolicy;
  /** The rules (none while learning: every event is observed, none judged). */
  detection?: { engine: Engine; error?: string };
  /** A policy file of the user's was loaded (rules that a policy can allow defer to it). */
  userPolicy: boolean;
  resource: FunctionResource;
  notices: StartupNotice[];
}

function notice(
  api: string,
  op: 'startup' | 'policy-error',
  ruleId: string,
  title: string,
  reason: string,
): StartupNotice {
  return {
    event: { surface: 'sensor', op, api, message: reason },
    verdict: { action: 'alert', ruleId, title, severity: 3, attacks: [], reason },
    line: `${op === 'startup' ? 'setting' : api === 'rules' ? 'rules error' : 'policy error'}: ${reason}`,
  };
}

export function startup(o: StartupInputs): Startup {
  const s = o.settings;
  const learning = s.learnPath !== undefined;
  const policyPath = learning
    ? undefined
    : choosePolicyFile({
        setting: s.policyPath,
        taskRoot: o.functionDir,
        layerPolicy: o.layerPolicy,
        exists: o.exists ?? (() => false),
      });
  const loaded: LoadedPolicy = learning
    ? { policy: learningPolicy(), mode: 'monitor' }
    : resolvePolicy(
        { policyPath, modeOverride: s.mode, onPolicyError: s.onPolicyError },
        o.read,
        o.policyParser,
      );
  const policy = compilePolicy(loaded.policy, o.compile);
  const detection = learning
    ? undefined
    : rulesEngine(s.rulesPath ?? o.layerRules, o.read, o.ruleParser, o.skipRules);
  const region = o.env.AWS_REGION || o.env.AWS_DEFAULT_REGION || undefined;
  const name = o.env.AWS_LAMBDA_FUNCTION_NAME || 'local-function';
  const notices = s.problems.map((p) =>
    notice(p.name, 'startup', 'warden.sensor.setting-invalid', 'Warden setting not understood', p.message),
  );
  if (detection?.error)
    notices.push(
      notice(
        'rules',
        'policy-error',
        'warden.sensor.rules-error',
        'Warden rules file could not be loaded',
        detection.error,
      ),
    );
  if (loaded.error)
    notices.push(
      notice(
        'policy',
        'policy-error',
        'warden.sensor.policy-error',
        'Warden policy could not be loaded',
        `${formatPolicyErrorShort(loaded.error)}; using ${loaded.fallback}`,
      ),
    );
  return {
    ...(policyPath !== undefined ? { policyPath } : {}),
    loaded,
    policy,
    ...(detection ? { detection } : {}),
    userPolicy: policyPath !== undefined && !loaded.error,
    resource: {
      arn: `arn:aws:lambda:${region ?? 'local'}:${s.accountId ?? '000000000000'}:function:${name}`,
      name,
      version: o.env.AWS_LAMBDA_FUNCTION_VERSION || undefined,
      region,
    },
    notices,
  };
}
