/**
 * The sensor's configuration, read from the environment once at start-up. This is the only
 * module that reads `process.env` (the env hook installs after it).
 */
import { readSettings, type Settings } from '../settings';
import { SHARED_WATCHER_MARK } from '../watcher/shared';

export interface SensorConfig {
  policyPath?: string;
  /** WARDEN_RULES: a detection rules file (YAML or JSON) merged over the default rules. */
  rulesPath?: string;
  findingsPath?: string;
  /** WARDEN_LEARN: learning mode; observations are appended to this file. */
  learnPath?: string;
  /**
   * WARDEN_STDOUT: the stdout of the first guarded process of the tree (`/proc/<pid>/fd/1`), so
   * a child whose stdout the parent captures (execSync) still logs its findings where Lambda
   * reads them, instead of into the parent's captured output. Set for children by the root.
   */
  stdoutPath?: string;
  runtimeApi?: string;
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
  /** A worker thread whose port's first message is the watcher's shared memory (WARDEN_WATCHER_SHARED). */
  sharedWatcher: boolean;
  /** This is the runtime's sensor (the first guarded process), not a child process's. */
  root: boolean;
  /** WARDEN_DISABLE_HOOKS: hook modules not to install (a diagnostic; reported as degraded). */
  disabledHooks: string[];
  /** The validated settings; their problems only for the root sensor (children stay quiet). */
  settings: Settings;
}

export function readConfig(env: NodeJS.ProcessEnv, sensorFile: string): SensorConfig {
  const settings = readSettings(env);
  const wardenEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (k.startsWith('WARDEN_') && k !== SHARED_WATCHER_MARK && v !== undefined) wardenEnv[k] = v;
  if (!env.WARDEN_FINDINGS && !env.WARDEN_STDOUT) wardenEnv.WARDEN_STDOUT = `/proc/${process.pid}/fd/1`;
  const root = !env.WARDEN_ROOT_PID || env.WARDEN_ROOT_PID === String(process.pid);
  if (root) wardenEnv.WARDEN_ROOT_PID = String(process.pid);
  return {
    policyPath: settings.policyPath,
    rulesPath: settings.rulesPath,
    findingsPath: settings.findingsPath,
    learnPath: settings.learnPath,
    stdoutPath: settings.findingsPath ? undefined : env.WARDEN_STDOUT || '/proc/self/fd/1',
    runtimeApi: env.AWS_LAMBDA_RUNTIME_API || undefined,
    injectFault: settings.injectFault,
    wardenEnv,
    traceStartup: settings.traceStartup,
    runtimePaths: settings.runtimePaths,
    sensorFile,
    pathVar: env.PATH,
    channel: env.WARDEN_CHANNEL || undefined,
    sharedWatcher: env[SHARED_WATCHER_MARK] === '1',
    root,
    disabledHooks: settings.disabledHooks,
    settings: root ? settings : { ...settings, problems: [] },
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
