/**
 * The sensor's configuration, read from the environment once at start-up. This is the only
 * module that reads `process.env` (the env hook installs after it).
 */
export interface SensorConfig {
  policyPath?: string;
  /** WARDEN_RULES: a detection rules file (YAML or JSON) merged over the default rules. */
  rulesPath?: string;
  modeOverride?: 'monitor' | 'enforce';
  findingsPath?: string;
  /** WARDEN_LEARN: learning mode; observations are appended to this file. */
  learnPath?: string;
  /**
   * WARDEN_STDOUT: the stdout of the first guarded process of the tree (`/proc/<pid>/fd/1`), so
   * a child whose stdout the parent captures (execSync) still logs its findings where Lambda
   * reads them, instead of into the parent's captured output. Set for children by the root.
   */
  stdoutPath?: string;
  onPolicyError?: string;
  runtimeApi?: string;
  functionName: string;
  functionVersion?: string;
  region?: string;
  accountId?: string;
  /** Test aid: make the judgement of this surface (or `all`) throw, to prove fail-open. */
  injectFault?: string;
  /** Every WARDEN_* variable at start-up: forced into child processes' environments. */
  wardenEnv: Record<string, string>;
  /** WARDEN_RUNTIME_PATHS: colon-separated locations of the Lambda runtime's code. */
  runtimePaths: string[];
  /** WARDEN_TRACE_STARTUP: print the time each hook module takes to install, on stderr. */
  traceStartup: boolean;
  sensorFile: string;
  /** PATH at start-up, for resolving executables a child does not get its own PATH for. */
  pathVar?: string;
  /** WARDEN_CHANNEL: the Warden extension's socket (`@name` for the abstract namespace). */
  channel?: string;
  /** This is the runtime's sensor (the first guarded process), not a child process's. */
  root: boolean;
  /** WARDEN_DISABLE_HOOKS: hook modules not to install (a diagnostic; reported as degraded). */
  disabledHooks: string[];
}

export function readConfig(env: NodeJS.ProcessEnv, sensorFile: string): SensorConfig {
  const mode = env.WARDEN_MODE?.trim().toLowerCase();
  const wardenEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('WARDEN_') && v !== undefined) wardenEnv[k] = v;
  if (!env.WARDEN_FINDINGS && !env.WARDEN_STDOUT) wardenEnv.WARDEN_STDOUT = `/proc/${process.pid}/fd/1`;
  const root = !env.WARDEN_ROOT_PID || env.WARDEN_ROOT_PID === String(process.pid);
  if (root) wardenEnv.WARDEN_ROOT_PID = String(process.pid);
  return {
    policyPath: env.WARDEN_POLICY || undefined,
    rulesPath: env.WARDEN_RULES || undefined,
    modeOverride: mode === 'monitor' || mode === 'enforce' ? mode : undefined,
    findingsPath: env.WARDEN_FINDINGS || undefined,
    learnPath: env.WARDEN_LEARN || undefined,
    stdoutPath: env.WARDEN_FINDINGS ? undefined : env.WARDEN_STDOUT || '/proc/self/fd/1',
    onPolicyError: env.WARDEN_ON_POLICY_ERROR || undefined,
    runtimeApi: env.AWS_LAMBDA_RUNTIME_API || undefined,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME || 'local-function',
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION || undefined,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
    accountId: env.WARDEN_ACCOUNT_ID || undefined,
    injectFault: env.WARDEN_INJECT_FAULT || undefined,
    wardenEnv,
    traceStartup: env.WARDEN_TRACE_STARTUP === '1',
    runtimePaths: (env.WARDEN_RUNTIME_PATHS ?? '').split(':').filter(Boolean),
    sensorFile,
    pathVar: env.PATH,
    channel: env.WARDEN_CHANNEL || undefined,
    root,
    disabledHooks: (env.WARDEN_DISABLE_HOOKS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

/** The credential values to watch outbound data for (read at start-up, before the env hook). */
export function credentialValues(env: NodeJS.ProcessEnv, names: Iterable<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = env[n];
    if (v) out[n] = v;
  }
  return out;
}

export function functionArn(cfg: SensorConfig): string {
  return `arn:aws:lambda:${cfg.region ?? 'local'}:${cfg.accountId ?? '000000000000'}:function:${cfg.functionName}`;
}
