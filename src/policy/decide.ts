/**
 * Pure judgement: a SensorEvent plus the compiled policy (plus the attributed package, asked
 * for lazily because attribution costs a stack capture) gives a Verdict, or null for a plain
 * allow. No I/O and no global state here.
 */
import { ATTACKS } from '../events/mitre';
import { withoutNodeRestrictions } from '../events/node-options';
import type {
  Attack,
  CodeEvent,
  FileEvent,
  NetworkEvent,
  ProcessEvent,
  RuleAction,
  SecretEvent,
  SensorEvent,
  Verdict,
} from '../events/types';
import type { CompiledPolicy, ExeSubject, ListMatch } from './compile';
import { isModuleCode } from './module-code';
import type { Capability } from './types';

/**
 * The package that made the call, and, where the caller knows them, the packages it acted for
 * (see attribution.ts `deputiesOf`): a package-scoped permission holds only when every one of
 * them has it, so a package cannot borrow another's by calling it.
 */
export type PackageOf = (() => string) & { deputies?: () => readonly string[] };

/** The package that made the call first, then those it acted for. */
function holdersOf(packageOf: PackageOf): readonly string[] {
  const deputies = packageOf.deputies?.() ?? [];
  return deputies.length === 0 ? [packageOf()] : [packageOf(), ...deputies];
}

/**
 * The package of what the extension sees from outside the process (a process in /proc, a
 * socket): not attributable, so per-package capabilities do not apply to it (the sensor judged
 * the package when it made the call).
 */
export const OUTSIDE_PROCESS = '<outside>';

/** How strict an action is: allow < alert < deny. */
export const ACTION_RANK: Readonly<Record<RuleAction, number>> = { allow: 0, alert: 1, deny: 2 };

/** The stricter of two verdicts (the first on a tie). */
export function worst(a: Verdict | null, b: Verdict | null): Verdict | null {
  if (!a) return b;
  if (!b) return a;
  return ACTION_RANK[b.action] > ACTION_RANK[a.action] ? b : a;
}

/** The verdict of a list match (null for an allow), saying which entry or the default decided. */
export function fromMatch(
  m: ListMatch,
  ruleId: string,
  title: string,
  severity: Verdict['severity'],
  attacks: Attack[],
  subject: string,
): Verdict | null {
  if (m.action === 'allow') return null;
  const why =
    m.list === 'default' ? `no allow rule matches (default ${m.action})` : `${m.list} rule "${m.entry}"`;
  return {
    action: m.action,
    ruleId: m.id ? `${ruleId}.${m.id}` : ruleId,
    title,
    severity: m.action === 'alert' ? (Math.min(severity, 3) as Verdict['severity']) : severity,
    attacks,
    reason: `${subject}: ${why}`,
    ...(m.list === 'default' ? { byDefault: true } : {}),
  };
}

function capabilityVerdict(
  policy: CompiledPolicy,
  packageOf: PackageOf,
  capability: Capability,
  what: string,
  attacks: Attack[],
): Verdict | null {
  if (!policy.restrictsPackages) return null;
  const pkg = packageOf();
  if (pkg === OUTSIDE_PROCESS) return null;
  for (const holder of holdersOf(packageOf)) {
    const caps = policy.capabilitiesOf(holder);
    if (!caps || caps.has(capability)) continue;
    const through = holder === pkg ? '' : ` (through ${pkg}, which it called)`;
    return {
      action: 'deny',
      ruleId: 'warden.package.capability',
      title: `Package ${holder} used capability "${capability}" it is not granted`,
      severity: 4,
      attacks,
      reason: `${what}: package "${holder}" is limited to [${[...caps].join(', ')}]${through}`,
    };
  }
  return null;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh', 'mksh', 'busybox', 'fish', 'csh', 'tcsh']);

export function isShell(exe: string): boolean {
  return SHELLS.has(exe.slice(exe.lastIndexOf('/') + 1));
}

/**
 * What a spawn is matched as against `process` entries: its executable (and real path), its
 * arguments without the options that only restrict a Node child (the layer's permission flags
 * it inherits), its parent.
 */
export function processSubjects(ev: ProcessEvent): ExeSubject[] {
  const argv = withoutNodeRestrictions(ev.realExe ?? ev.exe, ev.argv).slice(1);
  const args = argv.join(' ');
  const exes = ev.realExe ? [ev.exe, ev.realExe] : [ev.exe];
  return exes.map((exe) => ({ exe, args, argv, parent: ev.parentExe }));
}

function decideProcess(policy: CompiledPolicy, ev: ProcessEvent, packageOf: PackageOf): Verdict | null {
  if (ev.op === 'kill') {
    const m: ListMatch = { action: policy.policy.process.kill, list: 'default' };
    return worst(
      fromMatch(
        m,
        'warden.process.kill',
        'Signal sent to a process outside the function',
        4,
        [ATTACKS.impairDefenses],
        `kill(${ev.pid}, ${String(ev.signal)})`,
      ),
      capabilityVerdict(policy, packageOf, 'process', `kill ${ev.pid}`, [ATTACKS.impairDefenses]),
    );
  }
  const shell = isShell(ev.exe);
  const attacks = [shell ? ATTACKS.unixShell : ATTACKS.commandInterpreter];
  const title = shell ? 'Shell spawned' : 'Process spawned';
  const subjects = processSubjects(ev);
  const exes = subjects.map((s) => s.exe);
  let verdict = fromMatch(
    policy.process.matchAny(subjects),
    'warden.process.spawn',
    title,
    4,
    attacks,
    `spawn ${ev.exe}`,
  );
  verdict = worst(
    verdict,
    fromMatch(
      policy.files.exec.matchAny(exes),
      'warden.files.exec',
      'Execution of a denied path',
      4,
      attacks,
      `exec ${ev.exe}`,
    ),
  );
  // Commands that could not be read match no allow rule: the policy's default decides.
  if (ev.unparsed !== undefined) {
    verdict = worst(
      verdict,
      fromMatch(
        { action: policy.policy.process.default, list: 'default' },
        'warden.process.spawn',
        'Command line that could not be read',
        4,
        attacks,
        `spawn ${ev.exe}: its inner commands could not be read (${ev.unparsed})`,
      ),
    );
  }
  // A shell is only as allowed as every command inside it.
  for (const cmd of ev.shellCommands ?? []) {
    verdict = worst(
      verdict,
      fromMatch(
        policy.process.matchAny(
          (cmd.exe && cmd.exe !== cmd.name ? [cmd.name, cmd.exe] : [cmd.name]).map((exe) => ({
            exe,
            args: cmd.argv.slice(1).join(' '),
            argv: cmd.argv.slice(1),
            parent: exes,
          })),
        ),
        'warden.process.spawn',
        `Command run through a shell: ${cmd.name}`,
        4,
        [ATTACKS.unixShell],
        `shell command ${[cmd.name, ...cmd.argv.slice(1)].join(' ')}`,
      ),
    );
  }
  return worst(verdict, capabilityVerdict(policy, packageOf, 'process', `spawn ${ev.exe}`, attacks));
}

/** Addresses that reach a service listening on loopback: 127/8, ::1 and the unspecified ones. */
function reachesLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip === '0.0.0.0' || ip === '::';
}

/** The destination is the Lambda Runtime API (by IP, any loopback form of it, or by host name). */
export function isRuntimeApi(policy: CompiledPolicy, ev: NetworkEvent): boolean {
  const api = policy.runtimeApi;
  if (!api || ev.port !== api.port) return false;
  if (ev.ip !== undefined && api.ip !== undefined) {
    if (ev.ip === api.ip) return true;
    // Connecting to 0.0.0.0 or another loopback address reaches a loopback listener too.
    if (reachesLoopback(api.ip) && reachesLoopback(ev.ip)) return true;
  }
  return ev.host !== undefined && ev.host.toLowerCase() === api.host;
}

/** Listening for inbound connections: one action (`network.listen`), and the package's capability. */
function decideListen(policy: CompiledPolicy, ev: NetworkEvent, packageOf: PackageOf): Verdict | null {
  const where = `listen ${ev.ip ?? '?'}:${ev.port ?? '?'}`;
  const verdict = fromMatch(
    { action: policy.policy.network.listen, list: 'default' },
    'warden.network.listen',
    'Listening for inbound connections',
    3,
    [ATTACKS.nonStandardPort],
    where,
  );
  if (verdict) verdict.reason = `${where}: network.listen is ${policy.policy.network.listen}`;
  return worst(verdict, capabilityVerdict(policy, packageOf, 'network', where, [ATTACKS.nonStandardPort]));
}

const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254', '169.254.170.2']);

function decideNetwork(policy: CompiledPolicy, ev: NetworkEvent, packageOf: PackageOf): Verdict | null {
  if (ev.op === 'listen') return decideListen(policy, ev, packageOf);
  // The runtime's own calls to the Runtime API are how Lambda works, whatever the lists say.
  if (isRuntimeApi(policy, ev) && packageOf() === '<runtime>') return null;
  const dest = `${ev.host ?? ev.ip ?? '?'}${ev.ip && ev.host && ev.ip !== ev.host ? ` (${ev.ip})` : ''}${ev.port !== undefined ? `:${ev.port}` : ''}`;
  let verdict: Verdict | null = null;
  if (
    policy.policy.network.runtimeApi !== 'allow' &&
    isRuntimeApi(policy, ev) &&
    packageOf() !== '<runtime>'
  ) {
    verdict = fromMatch(
      { action: policy.policy.network.runtimeApi, list: 'default' },
      'warden.network.runtime-api',
      'Function code connected to the Lambda Runtime API',
      5,
      [ATTACKS.cloudMetadata],
      `${ev.op} ${dest}`,
    );
    if (verdict) verdict.reason = `${ev.op} ${dest}: only the runtime may call the Runtime API`;
  }
  const metadata = ev.ip !== undefined && METADATA.has(ev.ip);
  const attacks = metadata
    ? [ATTACKS.cloudMetadata]
    : ev.protocol === 'dns'
      ? [ATTACKS.dnsProtocol]
      : [ATTACKS.appLayerProtocol];
  verdict = worst(
    verdict,
    fromMatch(
      policy.network.match({ host: ev.host, ip: ev.ip, port: ev.port, protocol: ev.protocol }),
      `warden.network.${ev.op}`,
      metadata
        ? 'Connection to the instance metadata service'
        : ev.op === 'dns'
          ? 'DNS query to a denied name'
          : 'Outbound connection to a denied destination',
      metadata ? 5 : 3,
      attacks,
      `${ev.op} ${ev.protocol} ${dest}`,
    ),
  );
  return worst(verdict, capabilityVerdict(policy, packageOf, 'network', `${ev.op} ${dest}`, attacks));
}

/**
 * How a function starts and runs on Lambda, whatever the lists say: reading the platform's code
 * and the module loader reading modules, addons and modules loaded from the platform.
 */
function isPlatformUse(policy: CompiledPolicy, ev: SensorEvent): boolean {
  if (ev.surface === 'files')
    return ev.op === 'read' && (policy.isPlatformPath(ev.path) || isModuleCode(ev, policy.taskRoot()));
  return isPlatformCode(policy, ev);
}

/**
 * A module or addon loaded from the platform (Lambda's runtime, its Node, the layers; the
 * sandbox's copies of them, wherever their cache lives, even under /tmp): the runtime starting,
 * which no rule judges either.
 */
export function isPlatformCode(policy: CompiledPolicy, ev: SensorEvent): boolean {
  return (
    ev.surface === 'code' &&
    (ev.op === 'native' || ev.op === 'module') &&
    policy.isPlatformPath(ev.target.replace(/^file:\/\//, ''))
  );
}

function decideFile(policy: CompiledPolicy, ev: FileEvent, packageOf: PackageOf): Verdict | null {
  const list = policy.files[ev.op];
  const secretFile = /^\/proc\/[^/]+(\/task\/[^/]+)?\/(environ|mem)$/.test(ev.path);
  const attacks =
    ev.op === 'read'
      ? [secretFile ? ATTACKS.credentialsInFiles : ATTACKS.localData]
      : ev.op === 'write'
        ? [ATTACKS.dataManipulation]
        : [ATTACKS.commandInterpreter];
  const titles = {
    read: 'Read of a denied path',
    write: 'Write to a denied path',
    exec: 'Execution of a denied path',
  };
  const verdict = fromMatch(
    list.match(ev.path),
    `warden.files.${ev.op}`,
    secretFile ? 'Read of process environment or memory' : titles[ev.op],
    secretFile ? 5 : 3,
    attacks,
    `${ev.api} ${ev.path}${ev.requested !== ev.path ? ` (as ${ev.requested})` : ''}`,
  );
  const cap = capabilityOf(ev)!;
  return worst(verdict, capabilityVerdict(policy, packageOf, cap, `${ev.op} ${ev.path}`, attacks));
}

function decideCode(policy: CompiledPolicy, ev: CodeEvent, packageOf: PackageOf): Verdict | null {
  const code = policy.policy.code;
  const short = ev.target.length > 80 ? `${ev.target.slice(0, 77)}...` : ev.target;
  /** A kind of code the policy judges with one action, and the package's capability for it. */
  const kind = (
    action: RuleAction,
    ruleId: string,
    title: string,
    severity: Verdict['severity'],
    attacks: Attack[],
    capability: Capability,
    reason: string,
  ) =>
    worst(
      fromMatch({ action, list: 'default' }, ruleId, title, severity, attacks, reason),
      capabilityVerdict(policy, packageOf, capability, ev.api, attacks.slice(0, 1)),
    );
  switch (ev.op) {
    case 'eval':
    case 'function':
    case 'vm':
      return kind(
        code.eval,
        'warden.code.eval',
        'Code generated from a string',
        3,
        [ATTACKS.javascript],
        'code',
        `${ev.api} ${JSON.stringify(short)}`,
      );
    case 'wasm':
      return kind(
        code.wasm,
        'warden.code.wasm',
        'WebAssembly compiled',
        3,
        [ATTACKS.obfuscated],
        'code',
        ev.api,
      );
    case 'worker':
      return kind(
        code.workers,
        'warden.code.worker',
        'Worker thread started',
        3,
        [ATTACKS.javascript],
        'workers',
        `${ev.api} ${short}`,
      );
    case 'inspector':
      return kind(
        code.inspector,
        'warden.code.inspector',
        'Inspector used (runs code, reads any object)',
        4,
        [ATTACKS.javascript, ATTACKS.impairDefenses],
        'code',
        `${ev.api} ${short}`,
      );
    case 'native':
      return worst(
        fromMatch(
          policy.nativeAddons.match(ev.target),
          'warden.code.native',
          'Native addon load',
          4,
          [ATTACKS.sharedModules],
          `${ev.api} ${ev.target}`,
        ),
        capabilityVerdict(policy, packageOf, 'native', `${ev.api} ${ev.target}`, [ATTACKS.sharedModules]),
      );
    case 'module':
      return fromMatch(
        policy.modules.match(ev.target),
        'warden.code.module',
        'Denied module loaded',
        3,
        [ATTACKS.sharedModules],
        `${ev.api} ${ev.target}`,
      );
  }
}

function decideSecret(policy: CompiledPolicy, ev: SecretEvent, packageOf: PackageOf): Verdict | null {
  if (!policy.secretNames.has(ev.name)) return null;
  const list = policy.secrets;
  let verdict: Verdict | null = null;
  if (!list.allowsAll) {
    const pkg = packageOf();
    for (const holder of holdersOf(packageOf)) {
      const through = holder === pkg ? '' : ` through ${pkg}`;
      verdict = worst(
        verdict,
        fromMatch(
          list.match(holder),
          'warden.secrets.read',
          'Credential environment variable read',
          4,
          [ATTACKS.unsecuredCredentials],
          `${ev.api} ${ev.name} by ${holder}${through}`,
        ),
      );
    }
  }
  return worst(
    verdict,
    capabilityVerdict(policy, packageOf, 'secrets', `read ${ev.name}`, [ATTACKS.unsecuredCredentials]),
  );
}

/** The verdict on one event, or null when it is a plain allow (no finding). */
export function decide(policy: CompiledPolicy, ev: SensorEvent, packageOf: PackageOf): Verdict | null {
  if (isPlatformUse(policy, ev)) return null;
  const verdict = decideSurface(policy, ev, packageOf);
  return policy.policy.learned ? asDeviation(policy, ev, packageOf, verdict) : verdict;
}

function decideSurface(policy: CompiledPolicy, ev: SensorEvent, packageOf: PackageOf): Verdict | null {
  switch (ev.surface) {
    case 'process':
      return decideProcess(policy, ev, packageOf);
    case 'network':
      return decideNetwork(policy, ev, packageOf);
    case 'files':
      return decideFile(policy, ev, packageOf);
    case 'code':
      return decideCode(policy, ev, packageOf);
    case 'secrets':
      return decideSecret(policy, ev, packageOf);
    case 'sensor':
      return null;
  }
}

/** The capability an event uses (what `packages` lists), if any. */
export function capabilityOf(ev: SensorEvent): Capability | undefined {
  switch (ev.surface) {
    case 'process':
      return 'process';
    case 'network':
      return 'network';
    case 'files':
      return ev.op === 'read' ? 'fs-read' : ev.op === 'write' ? 'fs-write' : 'process';
    case 'code':
      return ev.op === 'native'
        ? 'native'
        : ev.op === 'worker'
          ? 'workers'
          : ev.op === 'module'
            ? undefined
            : 'code';
    case 'secrets':
      return 'secrets';
    case 'sensor':
      return undefined;
  }
}

const CAPABILITY_VERBS: Record<Capability, string> = {
  process: 'spawned a process',
  network: 'opened a network connection',
  fs: 'used the file system',
  'fs-read': 'read a file',
  'fs-write': 'wrote a file',
  code: 'compiled code from a string',
  native: 'loaded a native addon',
  workers: 'started a worker thread',
  secrets: 'read a credential variable',
};

const SURFACE_PARAMETER: Record<SensorEvent['surface'], string> = {
  process: 'process.spawn',
  network: 'network.destination',
  files: 'files.path',
  code: 'code.generation',
  secrets: 'secrets.read',
  sensor: 'sensor',
};

function describeList(entries: readonly string[], none: string): string {
  if (entries.length === 0) return none;
  const shown = entries.slice(0, 8).join(', ');
  return entries.length > 8 ? `${shown} and ${entries.length - 8} more` : shown;
}

/** What the learned baseline allows on the event's surface, in a few words. */
function baselineOf(policy: CompiledPolicy, ev: SensorEvent): string {
  const p = policy.policy;
  const runs = p.learned ? ` (baseline of ${p.learned.invocations} invocations)` : '';
  switch (ev.surface) {
    case 'process':
      return `${describeList(
        p.process.allow.map((r) => [r.exe, ...(r.argv ?? [])].join(' ')),
        'no process was spawned',
      )}${runs}`;
    case 'network':
      return `${describeList(
        p.network.allow.map(
          (r) => `${r.host ?? r.cidr ?? '*'}${r.port !== undefined ? `:${String(r.port)}` : ''}`,
        ),
        'no connection was made',
      )}${runs}`;
    case 'files': {
      const list = p.files[ev.op].allow.map((r) => r.path);
      return `${ev.op}: ${describeList(list, `no file was ${ev.op === 'read' ? 'read' : ev.op === 'write' ? 'written' : 'executed'}`)}${runs}`;
    }
    case 'code':
      return `${
        ev.op === 'native'
          ? describeList(
              p.code.nativeAddons.allow.map((r) => r.path),
              'no native addon was loaded',
            )
          : ev.op === 'module'
            ? describeList(
                p.code.modules.allow.map((r) => r.name),
                'no module',
              )
            : `${ev.op} was never used`
      }${runs}`;
    case 'secrets':
      return `${describeList(p.secrets.allow, 'no package read credentials')}${runs}`;
    case 'sensor':
      return '';
  }
}

/**
 * Under a learned policy: a package using a capability it never used in the baseline is
 * library misuse, its own rule, named after the package; anything else the baseline does not
 * allow (a default, not an explicit deny entry) is a deviation on its surface. Both carry what
 * the baseline was and what differed.
 */
function asDeviation(
  policy: CompiledPolicy,
  ev: SensorEvent,
  packageOf: PackageOf,
  verdict: Verdict | null,
): Verdict | null {
  const cap = capabilityOf(ev);
  const pkg = cap && policy.restrictsPackages ? packageOf() : undefined;
  const caps = pkg ? policy.capabilitiesOf(pkg) : undefined;
  if (
    cap &&
    pkg &&
    pkg !== OUTSIDE_PROCESS &&
    caps &&
    !caps.has(cap) &&
    !(cap === 'fs-read' && pkg === '<runtime>')
  ) {
    const observed = verdict?.reason.split(':')[0] ?? `${ev.surface} ${ev.op}`;
    const subject = pkg === '<function>' ? "The function's own code" : `Package ${pkg}`;
    return {
      action: 'deny',
      ruleId: 'warden.deviation.library-misuse',
      title: `Library misuse: ${pkg} ${CAPABILITY_VERBS[cap]}`,
      severity: 4,
      attacks: verdict?.attacks ?? [],
      reason: `${subject} ${CAPABILITY_VERBS[cap]} (${observed}); it never did in the baseline (it used: ${caps.size ? [...caps].sort().join(', ') : 'nothing'})`,
      anomaly: {
        target: { name: pkg, type: pkg.startsWith('<') ? 'function' : 'npm package' },
        parameter: `capability.${cap}`,
        baseline: caps.size ? `${pkg} used: ${[...caps].sort().join(', ')}` : `${pkg} used no capability`,
        observed: `${pkg} ${CAPABILITY_VERBS[cap]}: ${observed}`,
      },
    };
  }
  if (!verdict?.byDefault) return verdict;
  const observed = verdict.reason.split(': no allow rule')[0] ?? verdict.reason;
  const baseline = baselineOf(policy, ev);
  return {
    ...verdict,
    ruleId: `warden.deviation.${ev.surface}`,
    title: `Deviation from the learned baseline: ${verdict.title.charAt(0).toLowerCase()}${verdict.title.slice(1)}`,
    reason: `${observed}: not in the learned baseline (${baseline})`,
    anomaly: {
      target: { name: pkg ?? packageOf(), type: 'function' },
      parameter: SURFACE_PARAMETER[ev.surface],
      baseline,
      observed,
    },
  };
}
