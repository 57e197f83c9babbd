/**
 * The execution environment Lambda gives a Node.js function: its environment variables
 * (with fresh canary credentials each run), and the arguments the runtime's bootstrap passes to
 * node. Pure functions: the sandbox decides paths and ports, these build the values.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';

export type RuntimeId = 'nodejs20.x' | 'nodejs22.x' | 'nodejs24.x';
export const RUNTIME_IDS: readonly RuntimeId[] = ['nodejs20.x', 'nodejs22.x', 'nodejs24.x'];

export function runtimeMajor(id: RuntimeId): 20 | 22 | 24 {
  return Number(id.slice(6, 8)) as 20 | 22 | 24;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomFrom(alphabet: string, n: number): string {
  const bytes = randomBytes(n);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/**
 * Canary credentials shaped like a Lambda role's temporary credentials (ASIA… key id, 40-char
 * secret, long session token), random each run: a test that finds one outside the sandbox knows
 * it leaked, and no real key is ever at risk.
 */
export function canaryCredentials(): Credentials {
  return {
    accessKeyId: `ASIA${randomFrom(UPPER, 16)}`,
    secretAccessKey: randomBytes(30).toString('base64').replace(/[+/]/g, 'x').slice(0, 40),
    sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(300).toString('base64')}`,
  };
}

export interface FunctionSettings {
  functionName: string;
  functionVersion: string;
  handler: string;
  memoryMb: number;
  timeoutSec: number;
  region: string;
  accountId: string;
  runtime: RuntimeId;
}

/** The account a local function belongs to (also in invoked ARNs and register replies). */
export const LOCAL_ACCOUNT_ID = '123456789012';

/** A local function's settings: Lambda's defaults (128 MB, 3 s, $LATEST) where not given. */
export function localSettings(
  s: Pick<FunctionSettings, 'functionName' | 'handler' | 'runtime'> & Partial<FunctionSettings>,
): FunctionSettings {
  return {
    functionVersion: '$LATEST',
    memoryMb: 128,
    timeoutSec: 3,
    region: 'us-east-1',
    accountId: LOCAL_ACCOUNT_ID,
    ...s,
  };
}

export function functionArn(s: FunctionSettings): string {
  return `arn:aws:lambda:${s.region}:${s.accountId}:function:${s.functionName}`;
}

export function logStreamName(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '/');
  return `${day}/[${'$LATEST'}]${randomBytes(16).toString('hex')}`;
}

export interface EnvironmentInputs {
  settings: FunctionSettings;
  taskRoot: string;
  optDir: string;
  runtimeDir: string;
  runtimeApi: string;
  credentials: Credentials;
  logStream: string;
  execWrapper?: string;
  /** The user's --env pairs, applied last (as function configuration is). */
  userEnv: Record<string, string>;
  /** The directory holding the runtime's `node` (Lambda's /var/lang/bin). */
  nodeBinDir: string;
  /** The sandbox's own variables (WARDEN_RUNTIME_PATHS), before Lambda's. */
  base: Record<string, string | undefined>;
}

/**
 * The home directory of the user Lambda runs functions as (`sbx_user1051`; it does not exist).
 * The same on every machine: a policy learned on a laptop names the paths Lambda would use
 * (`/home/sbx_user1051/.aws/config`), never the host user's.
 */
export const LAMBDA_HOME = '/home/sbx_user1051';

/** Variables Lambda reserves: function configuration cannot set these. */
export const RESERVED = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

export function lambdaEnvironment(i: EnvironmentInputs): Record<string, string> {
  const s = i.settings;
  const major = runtimeMajor(s.runtime);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(i.base)) if (v !== undefined) env[k] = v;
  // Lambda's values, with the sandbox's places for /var/lang, /var/runtime, /var/task and /opt.
  // Nothing of the host's environment: a policy learned here must hold in Lambda.
  const lang = path.dirname(i.nodeBinDir);
  Object.assign(env, {
    PATH: [i.nodeBinDir, '/usr/local/bin', '/usr/bin/', '/bin', `${i.optDir}/bin`].join(':'),
    LD_LIBRARY_PATH: [
      `${lang}/lib`,
      '/lib64',
      '/usr/lib64',
      i.runtimeDir,
      `${i.runtimeDir}/lib`,
      i.taskRoot,
      `${i.taskRoot}/lib`,
      `${i.optDir}/lib`,
    ].join(':'),
    HOME: LAMBDA_HOME,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    NODE_PATH: [
      `${i.optDir}/nodejs/node${major}/node_modules`,
      `${i.optDir}/nodejs/node_modules`,
      `${i.runtimeDir}/node_modules`,
      i.runtimeDir,
      i.taskRoot,
    ].join(':'),
    _HANDLER: s.handler,
    AWS_REGION: s.region,
    AWS_DEFAULT_REGION: s.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${s.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: s.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(s.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: s.functionVersion,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${s.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: i.logStream,
    AWS_ACCESS_KEY: i.credentials.accessKeyId,
    AWS_ACCESS_KEY_ID: i.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: i.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: i.credentials.sessionToken,
    AWS_LAMBDA_RUNTIME_API: i.runtimeApi,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
    _AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129',
    _AWS_XRAY_DAEMON_PORT: '2000',
    LAMBDA_TASK_ROOT: i.taskRoot,
    LAMBDA_RUNTIME_DIR: i.runtimeDir,
  });
  for (const [k, v] of Object.entries(i.userEnv)) if (!RESERVED.has(k)) env[k] = v;
  if (i.execWrapper) env.AWS_LAMBDA_EXEC_WRAPPER = i.execWrapper;
  return env;
}

/**
 * Variables Lambda does not give external extensions (the Extensions API reference lists them),
 * plus the exec wrapper, which only the runtime's bootstrap uses.
 */
export const NOT_FOR_EXTENSIONS = [
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_XRAY_CONTEXT_MISSING',
  'AWS_XRAY_DAEMON_ADDRESS',
  'LAMBDA_RUNTIME_DIR',
  'LAMBDA_TASK_ROOT',
  '_AWS_XRAY_DAEMON_ADDRESS',
  '_AWS_XRAY_DAEMON_PORT',
  '_HANDLER',
  'AWS_LAMBDA_EXEC_WRAPPER',
];

export function extensionEnvironment(functionEnv: Record<string, string>): Record<string, string> {
  const env = { ...functionEnv };
  for (const name of NOT_FOR_EXTENSIONS) delete env[name];
  // Lambda's extensions read the function's code at /var/task; the sandbox's is elsewhere.
  if (functionEnv.LAMBDA_TASK_ROOT) env.WARDEN_SANDBOX_TASK_ROOT = functionEnv.LAMBDA_TASK_ROOT;
  return env;
}

/** The arguments Lambda's Node.js bootstrap passes to node before the runtime's entry. */
export function bootstrapNodeArgs(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 64);
  const semiSpace = Math.floor(newSpace / 2);
  const oldSpace = memoryMb - newSpace;
  return [
    '--expose-gc',
    '--max-http-header-size',
    '81920',
    `--max-semi-space-size=${semiSpace}`,
    `--max-old-space-size=${oldSpace}`,
  ];
}

/** An X-Ray trace header value: `Root=1-<epoch hex>-<96 random bits>;Parent=…;Sampled=0`. */
export function traceId(now = Date.now()): string {
  const epoch = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0');
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0;Lineage=1:${randomBytes(4).toString('hex')}:0`;
}
