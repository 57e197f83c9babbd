import type { RuleAction } from '../events/types';
import { ipaddr, picomatch } from '../lazy';
import { inIpv4Net, ipv4Int, ipv4Net, normalizeIp } from '../net/address';
import type { Capability, NetworkRule, Policy, ProcessRule } from './types';

/** The outcome of matching one rule list: the action and the entry that decided it. */
export interface ListMatch {
  action: RuleAction;
  /** `deny`, `alert`, `allow` or `default`. */
  list: 'deny' | 'alert' | 'allow' | 'default';
  id?: string;
  /** The entry as written (for the finding's reason). */
  entry?: string;
}

type Test<E> = (subject: E) => boolean;

interface CompiledList<E> {
  match(subject: E): ListMatch;
  /** Deny if any subject hits a deny entry, else alert, else allow if any subject is allowed. */
  matchAny(subjects: readonly E[]): ListMatch;
  /** True when no subject can be anything but `allow` (lets hooks skip work). */
  allowsAll: boolean;
}

function compileList<T, E>(
  list: { default: RuleAction; allow: T[]; alert: T[]; deny: T[] },
  compile: (entry: T) => Test<E>,
  describe: (entry: T) => string,
): CompiledList<E> {
  // Compiled on first use: most lists are never consulted in a given process.
  let groups:
    | {
        name: 'deny' | 'alert' | 'allow';
        action: RuleAction;
        entries: { test: Test<E>; id?: string; text: string }[];
      }[]
    | undefined;
  const compiled = () =>
    (groups ??= (['deny', 'alert', 'allow'] as const).map((name) => ({
      name,
      action: name as RuleAction,
      entries: list[name].map((e) => ({
        test: compile(e),
        id: (e as { id?: string }).id,
        text: describe(e),
      })),
    })));
  return {
    allowsAll: list.default === 'allow' && list.deny.length === 0 && list.alert.length === 0,
    match(subject) {
      return this.matchAny([subject]);
    },
    matchAny(subjects) {
      for (const group of compiled()) {
        for (const e of group.entries) {
          for (const subject of subjects) {
            if (e.test(subject)) return { action: group.action, list: group.name, id: e.id, entry: e.text };
          }
        }
      }
      return { action: list.default, list: 'default' };
    },
  };
}

const GLOB_OPTS = { dot: true } as const;

/**
 * A glob matcher, compiled on its first test: a cold start that only compiles the policy never
 * loads the glob library (the judge chunk, several milliseconds).
 */
function glob(pattern: string, nocase = false): (s: string) => boolean {
  let test: ((s: string) => boolean) | undefined;
  return (s) => {
    test ??= picomatch()(pattern, { ...GLOB_OPTS, nocase });
    return test(s);
  };
}

export interface ExeSubject {
  /** Absolute executable path where resolved, else as given. */
  exe: string;
  args: string;
  /** The arguments after argv[0], one by one. */
  argv?: readonly string[];
  /** The parent process's executables (path, and real path when it differs). */
  parent?: readonly string[];
}

/**
 * Lambda's Node binary. A policy names it so (`warden learn` writes the sandbox's Node this way):
 * it also stands for the Node running here, wherever it is installed (`process.execPath` is its
 * real path), so a policy learned on one machine holds on another and in Lambda.
 */
export const LAMBDA_NODE = '/var/lang/bin/node';

/** A path test that also takes the running Node's path as LAMBDA_NODE. */
function orLambdaNode(m: (p: string) => boolean): (p: string) => boolean {
  const here = process.execPath;
  return here === LAMBDA_NODE ? m : (p) => m(p) || (p === here && m(LAMBDA_NODE));
}

function exeGlob(pattern: string, taskRoot: TaskRoot | undefined): Test<string> {
  const m = orLambdaNode(withTaskRoot(pattern, taskRoot, (p) => glob(p)));
  return pattern.includes('/') ? (p) => m(p) : (p) => m(p.slice(p.lastIndexOf('/') + 1));
}

/**
 * One argument's glob. picomatch drops a leading `./` from a glob but not from what it tests
 * (`./bin/*` would match no `./bin/tool`): both lose it here, and only together.
 */
function argGlob(pattern: string): (arg: string) => boolean {
  const prefix = /^(?:\.\/)+/.exec(pattern)?.[0] ?? '';
  const rest = pattern.slice(prefix.length);
  if (!rest) return (arg) => arg === pattern;
  const m = picomatch()(rest, { dot: true, bash: true });
  return prefix ? (arg) => arg.startsWith(prefix) && m(arg.slice(prefix.length)) : (arg) => m(arg);
}

function argvTest(patterns: readonly string[], taskRoot: TaskRoot | undefined): Test<readonly string[]> {
  const tests = patterns.map((pattern) => withTaskRoot(pattern, taskRoot, argGlob));
  return (argv) => argv.length === tests.length && tests.every((t, i) => t(argv[i]!));
}

function compileProcessRule(rule: ProcessRule, taskRoot: TaskRoot | undefined): Test<ExeSubject> {
  const exeTest: Test<string> = rule.exe === undefined ? () => true : exeGlob(rule.exe, taskRoot);
  const argsGlob = rule.args === undefined ? () => true : glob(rule.args);
  const argvGlob = rule.argv === undefined ? undefined : argvTest(rule.argv, taskRoot);
  const argsTest: Test<ExeSubject> = argvGlob
    ? (s) => argsGlob(s.args) && argvGlob(s.argv ?? s.args.split(' ').filter(Boolean))
    : (s) => argsGlob(s.args);
  const parentGlob = rule.parent === undefined ? undefined : exeGlob(rule.parent, taskRoot);
  const parentTest: Test<readonly string[] | undefined> = parentGlob
    ? (parents) => !!parents && parents.some(parentGlob)
    : () => true;
  return (s) => exeTest(s.exe) && argsTest(s) && parentTest(s.parent);
}

export interface NetSubject {
  host?: string;
  ip?: string;
  port?: number;
  protocol: 'tcp' | 'udp' | 'dns';
}

function portTest(port: NetworkRule['port']): Test<number | undefined> {
  if (port === undefined) return () => true;
  if (typeof port === 'number') return (p) => p === undefined || p === port;
  if (Array.isArray(port)) {
    const set = new Set(port);
    return (p) => p === undefined || set.has(p);
  }
  const [from, to] = port.split('-').map(Number) as [number, number];
  return (p) => p === undefined || (p >= from && p <= to);
}

function cidrTest(cidr: string): Test<string | undefined> {
  const [addr, bits] = cidr.includes('/')
    ? ipaddr().parseCIDR(cidr)
    : (() => {
        const a = ipaddr().parse(cidr);
        return [a, a.kind() === 'ipv4' ? 32 : 128] as const;
      })();
  const net = ipaddr().parse(normalizeIp(addr.toString()) ?? addr.toString());
  // A dotted address (what events carry) is tested against an IPv4 network without parsing.
  const v4 = net.kind() === 'ipv4' ? ipv4Net(net.toString(), bits) : undefined;
  return (ip) => {
    if (!ip) return false;
    const n = ipv4Int(ip);
    if (n !== undefined) return v4 !== undefined && inIpv4Net(n, v4);
    try {
      const a = ipaddr().parse(ip);
      return a.kind() === net.kind() && a.match(net, bits);
    } catch {
      return false;
    }
  };
}

function compileNetworkRule(rule: NetworkRule): Test<NetSubject> {
  const hostTest = rule.host === undefined ? undefined : glob(rule.host.toLowerCase(), true);
  const cidr = rule.cidr === undefined ? undefined : cidrTest(rule.cidr);
  const port = portTest(rule.port);
  const protocol = rule.protocol;
  return (s) => {
    if (protocol !== undefined && protocol !== s.protocol) return false;
    if (!port(s.port)) return false;
    if (hostTest) {
      const byName = s.host !== undefined && hostTest(s.host.toLowerCase());
      const byIp = s.ip !== undefined && hostTest(s.ip);
      if (!byName && !byIp) return false;
    }
    if (cidr) {
      // A destination known only by name cannot match an address rule; its IP is judged at connect.
      if (!cidr(s.ip ?? (s.host && normalizeIp(s.host)) ?? undefined)) return false;
    }
    return true;
  };
}

function describeNet(rule: NetworkRule): string {
  const parts = [
    rule.host,
    rule.cidr,
    rule.port !== undefined ? `port ${String(rule.port)}` : undefined,
    rule.protocol,
  ];
  return parts.filter(Boolean).join(' ');
}

export interface CompiledPolicy {
  policy: Policy;
  process: CompiledList<ExeSubject>;
  network: CompiledList<NetSubject>;
  files: { read: CompiledList<string>; write: CompiledList<string>; exec: CompiledList<string> };
  nativeAddons: CompiledList<string>;
  modules: CompiledList<string>;
  secrets: CompiledList<string>;
  secretNames: ReadonlySet<string>;
  /** Capabilities of the package, or undefined when the policy does not restrict it. */
  capabilitiesOf(pkg: string): ReadonlySet<Capability> | undefined;
  /** True when any per-package restriction exists (attribution needed for every event). */
  restrictsPackages: boolean;
  /** `host:port` of the Lambda Runtime API, when known. */
  runtimeApi?: { host: string; ip?: string; port: number };
  /**
   * Where the platform's code lives (the runtime, the layers under /opt, Warden): reading it and
   * loading addons from it is how a function starts, whatever the lists say. Never writes.
   */
  isPlatformPath(path: string): boolean;
  /** The function's directory, when known. */
  taskRoot(): string | undefined;
}

export const CREDENTIAL_VARIABLES = [
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_ACCESS_KEY_ID',
] as const;

function parseRuntimeApi(value: string | undefined): CompiledPolicy['runtimeApi'] {
  if (!value) return undefined;
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(value.trim());
  if (!m) return undefined;
  const host = m[1]!.toLowerCase();
  return {
    host,
    ip: normalizeIp(host) ?? (host === 'localhost' ? '127.0.0.1' : undefined),
    port: Number(m[2]),
  };
}

/** Lambda's own locations: the runtime, the Node installation, the layers. */
const PLATFORM_PATHS = ['/var/runtime/', '/var/lang/', '/opt/'];

/** The placeholder a learned policy writes for the function's own directory. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder is literal text in a policy
export const TASK_ROOT_VAR = '${LAMBDA_TASK_ROOT}';

/** Where the function's directory is: known at start (the sensor), or later (the extension). */
export type TaskRoot = string | (() => string | undefined);

/**
 * A glob, with `${LAMBDA_TASK_ROOT}` expanded to the function's directory when it is known (and
 * matching nothing until then).
 */
function withTaskRoot(
  pattern: string,
  taskRoot: TaskRoot | undefined,
  make: (pattern: string) => (s: string) => boolean,
): (s: string) => boolean {
  if (!pattern.includes(TASK_ROOT_VAR)) return make(pattern);
  let root: string | undefined;
  let test: ((s: string) => boolean) | undefined;
  return (s) => {
    const now = typeof taskRoot === 'function' ? taskRoot() : taskRoot;
    if (!now) return false;
    if (now !== root || !test) {
      root = now;
      test = make(pattern.split(TASK_ROOT_VAR).join(now.replace(/[*?[\]{}()!+@\\]/g, '\\$&')));
    }
    return test(s);
  };
}

const pathList = (list: Policy['files']['read'], taskRoot: TaskRoot | undefined) =>
  compileList(
    list,
    (e) => withTaskRoot(e.path, taskRoot, (p) => glob(p)),
    (e) => e.path,
  );

/** files.exec: the running Node is also LAMBDA_NODE (a spawn of `process.execPath`). */
const execList = (list: Policy['files']['exec'], taskRoot: TaskRoot | undefined) =>
  compileList(
    list,
    (e) => orLambdaNode(withTaskRoot(e.path, taskRoot, (p) => glob(p))),
    (e) => e.path,
  );

export function compilePolicy(
  policy: Policy,
  env: { runtimeApi?: string; taskRoot?: TaskRoot; platformPaths?: readonly string[] } = {},
): CompiledPolicy {
  const platform = [...PLATFORM_PATHS, ...(env.platformPaths ?? [])]
    .filter((p) => p.startsWith('/') && p.length > 1)
    .map((p) => (p.endsWith('/') ? p : `${p}/`));
  const pkgEntries = Object.entries(policy.packages).map(([pattern, caps]) => {
    const set = new Set<Capability>(caps);
    if (set.has('fs')) {
      set.add('fs-read');
      set.add('fs-write');
    }
    return { pattern, test: glob(pattern), caps: set as ReadonlySet<Capability> };
  });
  const capCache = new Map<string, ReadonlySet<Capability> | undefined>();
  return {
    policy,
    process: compileList(
      policy.process,
      (rule) => compileProcessRule(rule, env.taskRoot),
      (e) =>
        [e.exe, e.args, e.argv ? e.argv.join(' ') : undefined, e.parent ? `(parent ${e.parent})` : undefined]
          .filter(Boolean)
          .join(' '),
    ),
    network: compileList(policy.network, compileNetworkRule, describeNet),
    files: {
      read: pathList(policy.files.read, env.taskRoot),
      write: pathList(policy.files.write, env.taskRoot),
      exec: execList(policy.files.exec, env.taskRoot),
    },
    nativeAddons: pathList(policy.code.nativeAddons, env.taskRoot),
    modules: compileList(
      policy.code.modules,
      (e) => glob(e.name),
      (e) => e.name,
    ),
    secrets: compileList(
      policy.secrets,
      (e) => glob(e),
      (e) => e,
    ),
    secretNames: new Set([...CREDENTIAL_VARIABLES, ...policy.secrets.names]),
    restrictsPackages: pkgEntries.length > 0,
    capabilitiesOf(pkg) {
      if (capCache.has(pkg)) return capCache.get(pkg);
      const exact = pkgEntries.find((e) => e.pattern === pkg) ?? pkgEntries.find((e) => e.test(pkg));
      capCache.set(pkg, exact?.caps);
      return exact?.caps;
    },
    runtimeApi: parseRuntimeApi(env.runtimeApi),
    isPlatformPath: (p) => platform.some((root) => p.startsWith(root)),
    taskRoot: () => (typeof env.taskRoot === 'function' ? env.taskRoot() : env.taskRoot),
  };
}
