/**
 * Warden's library entry (`require('lambda-warden')`, `import … from 'lambda-warden'`): the stable
 * API. Policies (parse, compile, judge, diff), detection rules, learning, the local Lambda sandbox
 * and the OCSF finding mapping. Anything not exported here is internal and may change.
 */

// Detection rules: the defaults, and a user's rules file merged over them.
export { defaultRules } from './detect/default-rules';
export { loadRules, parseRuleFile } from './detect/load';
export type { RuleSpec } from './detect/types';
export type { FindingInput, OcsfObject } from './events/ocsf';
// Findings: the events Warden sees, its verdicts, and their OCSF Detection Finding (2004).
export { OCSF_VERSION, toFinding } from './events/ocsf';
export type { SensorEvent, Verdict } from './events/types';
export type { LearnOptions, LearnResult } from './learn/learn';
// Learning: observations (or monitor-mode findings) to a least-privilege policy, as YAML.
export { learnPolicy } from './learn/learn';
export { mergeLearned } from './learn/merge';
export type { Observation } from './learn/observation';
export { readObservationLines } from './learn/observation';
export { policyYaml } from './learn/policy-yaml';
export type { CompiledPolicy } from './policy/compile';
// Policies: parse and validate a policy text (file, line and field on error), compile it, judge an
// event against it, compare two.
export { compilePolicy } from './policy/compile';
export type { PackageOf } from './policy/decide';
export { decide } from './policy/decide';
export { defaultPolicy } from './policy/default-policy';
export type { PolicyChange } from './policy/diff';
export { diffPolicies, formatPolicyDiff } from './policy/diff';
export type { PolicyError, PolicyLoadResult } from './policy/load';
export { formatPolicyError, normalizePolicy, parsePolicy } from './policy/load';
export type { Policy } from './policy/types';
export type { FunctionSettings, RuntimeId } from './sandbox/environment';
// The local Lambda sandbox: Runtime, Extensions and Telemetry APIs, the exec wrapper, freezing.
export { localSettings } from './sandbox/environment';
export type { RunOptions } from './sandbox/run';
export { runSandbox } from './sandbox/run';
export type { RuntimeClient } from './sandbox/runtimes';
export { builtinClient, findAwsClient, findNode } from './sandbox/runtimes';
export type { InvokeRequest, InvokeResult } from './sandbox/sandbox';
