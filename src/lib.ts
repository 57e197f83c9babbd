/** The pure building blocks, for tests and tools (the CLI, later the extension and learner). */

export { compileRules, mergeRules } from './detect/compile-rules';
export { compileCondition } from './detect/condition';
export { newDetectState, remember } from './detect/context';

import { defaultRules } from './detect/default-rules';

export { defaultRules };
export const DEFAULT_RULES = defaultRules();
export { useColor } from './cli/color';
export { consoleNode, hasSqlite } from './cli/demo-console';
export { demoOutcome } from './cli/demo-outcome';
export { asffBatches, MAX_CALL_BYTES, MAX_FINDINGS_PER_CALL, toAsff } from './console/asff';
export { attackMatrix, coveredTechniques, TACTIC_ORDER } from './console/attack-matrix';
export { isPostgres } from './console/db-kind';
export { factsOf, targetOf } from './console/finding-facts';
export { droppedIn, fleetHealth, HEALTH_KINDS, HEALTH_RULES } from './console/fleet-health';
export { groupFindings } from './console/group-findings';
export { alive, KEEP_ALIVE_MS, MAX_SPAN_MS, placeFinding, signatureOf } from './console/grouping';
export { toIncidentFinding } from './console/incident-finding';
export { processTree } from './console/process-tree';
export { DayTally } from './console/rollups';
export {
  covers,
  MAX_DAYS as MAX_SUPPRESSION_DAYS,
  readSuppression,
  suppressionFor,
} from './console/suppression';
export { environmentBytes, formatPlan, instrumentPlan, layerOf } from './deploy/instrument-plan';
export { DETECTORS } from './detect/detectors';
export { credentialNeedles, findCredential, stratumMethod } from './detect/detectors/exfiltration';
export { foldedEscape, joinEscape } from './detect/detectors/path-traversal';
export { hostsIn } from './detect/detectors/ssrf';
export { createEngine, describeEvent, evaluate } from './detect/engine';
export { entropy, FIELDS } from './detect/fields';
export { taintedInputs, triggerOf } from './detect/input';
export { loadRules, parseRuleFile } from './detect/load';
export { ATTACKS } from './events/mitre';
export { NODE_VALUE_OPTIONS, withoutNodeRestrictions } from './events/node-options';
export { OCSF_VERSION, toFinding } from './events/ocsf';
export { processEvent } from './events/process-event';
export { ChannelServer, channelAddress, parseChannel } from './extension/channel';
export { FindingStream, sensorFinding, subjectKey } from './extension/finding-stream';
export { InvocationTimeline } from './extension/invocation-timeline';
export { judgeObservedProcess, judgeSocket, observedProcessEvent, scriptOf } from './extension/judge';
export {
  environValue,
  parseCgroup,
  parseCmdline,
  parseExeLink,
  parseStat,
} from './extension/procfs';
export { Shipper } from './extension/shipper';
export {
  isOutbound,
  parseProcAddress,
  parseSocketTable,
  SocketTables,
  unixInodes,
} from './extension/sockets';
export { architectureProblems, nativeFiles } from './layer/build';
export { parseHandlerString } from './layer/user-handler';
export {
  argumentShape,
  generalisePath,
  generalisePaths,
  generaliseToken,
  hostPattern,
  isDataToken,
} from './learn/generalise';
export { learnPolicy } from './learn/learn';
export { mergeLearned } from './learn/merge';
export { observationFromFinding, readObservationLines } from './learn/observation';
export { policyYaml } from './learn/policy-yaml';
export { promoteFindings } from './learn/promote';
export { kernelImage, observationsFromTrace } from './learn/traced-observations';
export { isIpLiteral, normalizeIp } from './net/address';
export { CREDENTIAL_VARIABLES, compilePolicy } from './policy/compile';
export { compiledJson, readCompiled } from './policy/compiled';
export { couldDeny } from './policy/could-deny';
export { decide, isShell } from './policy/decide';
export { defaultPolicy } from './policy/default-policy';
export { diffPolicies, formatPolicyDiff } from './policy/diff';
export { learningPolicy } from './policy/learning-policy';
export { formatPolicyError, normalizePolicy, parsePolicy } from './policy/load';
export { lambdaNodeFeatures, permissionFlags, permissionModelApplies } from './policy/permission-flags';
export { choosePolicyFile, FUNCTION_POLICY_FILES } from './policy/resolve';
export { policySchema } from './policy/schema';
export {
  bootstrapNodeArgs,
  canaryCredentials,
  lambdaEnvironment,
  localSettings,
} from './sandbox/environment';
export { runSandbox } from './sandbox/run';
export {
  awsClientCacheDir,
  awsClientInstallSpec,
  builtinClient,
  findAwsClient,
  findNode,
  installAwsClient,
} from './sandbox/runtimes';
export { Sandbox } from './sandbox/sandbox';
export { inetAddress, parseTrace, parseTraceLine } from './sandbox/syscall-trace';
export { parseSubscription, TelemetryStream } from './sandbox/telemetry';
export { packageOfFile } from './sensor/attribution';
export { openChannel } from './sensor/channel';
export { EFFECTFUL_BINDINGS } from './sensor/effectful-bindings';
export { workerOptionsWithSensor } from './sensor/hooks/code';
export { moduleName } from './sensor/hooks/modules';
export { resolveForCheck } from './sensor/resolve-path';
export { readSettings, SETTINGS } from './settings';
export { commandsOfArgv, parseShellCommands, shellScriptIndex, shellShape } from './shell/parse';
