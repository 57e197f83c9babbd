/** The pure building blocks, for tests and tools (the CLI, later the extension and learner). */

export { ATTACKS } from './events/mitre';
export { OCSF_VERSION, toFinding } from './events/ocsf';
export { isIpLiteral, normalizeIp } from './net/address';
export { CREDENTIAL_VARIABLES, compilePolicy } from './policy/compile';
export { decide, isShell } from './policy/decide';
export { defaultPolicy } from './policy/default-policy';
export { formatPolicyError, normalizePolicy, parsePolicy } from './policy/load';
export { permissionFlags } from './policy/permission-flags';
export { policySchema } from './policy/schema';
export { packageOfFile } from './sensor/attribution';
export { moduleName } from './sensor/hooks/modules';
export { commandsOfArgv, parseShellCommands, shellScriptIndex } from './shell/parse';
