/**
 * From observations to a least-privilege policy in enforce mode: every list's default is deny
 * (or alert where a deny would only break the function: module loads), and each allow entry is
 * a generalised observation (generalise.ts) with a note saying what produced it and how often.
 * Pure and deterministic: the same observations in any order give the same policy.
 */
import { withoutNodeRestrictions } from '../events/node-options';
import type { ProcessEvent } from '../events/types';
import { scriptOf } from '../extension/judge';
import { entryOf } from '../map-entry';
import { LAMBDA_NODE, TASK_ROOT_VAR } from '../policy/compile';
import { capabilityOf, isShell } from '../policy/decide';
import { isModuleCode } from '../policy/module-code';
import type { Capability, NetworkRule, Policy, ProcessRule } from '../policy/types';
import { argumentShape, escapeGlob, generalisePaths, generaliseToken, hostPattern } from './generalise';
import type { Observation } from './observation';

export interface LearnOptions {
  /** The function's directory as the observations name it (becomes `${LAMBDA_TASK_ROOT}`). */
  taskRoots?: string[];
  /** Where the runtime, the layers and Warden live: their reads are the platform's, not learned. */
  platformPaths?: string[];
  /** Invocations run (when known): observations name only those that did something new. */
  invocations?: number;
  /** The sandbox's Node binary (path and real path): written as Lambda's, /var/lang/bin/node. */
  nodePaths?: string[];
}

/** Notes per list, parallel to its `allow` entries: `process.allow` → one note per entry. */
export type LearnNotes = Record<string, string[]>;

export interface LearnResult {
  policy: Policy;
  notes: LearnNotes;
  stats: { invocations: number; observations: number; entries: number };
}

const ALL_CAPABILITIES: Capability[] = [
  'process',
  'network',
  'fs-read',
  'fs-write',
  'code',
  'native',
  'workers',
  'secrets',
];

/** Counts of one learned thing: occurrences, invocations, packages. */
class Tally {
  count = 0;
  readonly invocations = new Set<string>();
  readonly packages = new Set<string>();
  add(o: Observation): void {
    this.count += o.count;
    this.invocations.add(o.requestId ?? '<init>');
    this.packages.add(o.package);
  }
  merge(t: Tally): void {
    this.count += t.count;
    for (const i of t.invocations) this.invocations.add(i);
    for (const p of t.packages) this.packages.add(p);
  }
  note(what: string): string {
    const inv = [...this.invocations].filter((i) => i !== '<init>').length;
    const when = inv > 0 ? `in ${inv} invocation${inv === 1 ? '' : 's'}` : 'at init';
    return `${what}: seen ${this.count}× ${when}, by ${[...this.packages].sort().join(', ')}`;
  }
}

function tallyOf<K>(map: Map<K, Tally>, key: K): Tally {
  return entryOf(map, key, () => new Tally());
}

const byKey =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };

function underAny(p: string, roots: readonly string[]): string | undefined {
  return roots.find((r) => p === r || p.startsWith(r.endsWith('/') ? r : `${r}/`));
}

/** A path as the policy writes it: the function's directory as `${LAMBDA_TASK_ROOT}`. */
function portable(p: string, taskRoots: readonly string[]): string {
  const root = underAny(p, taskRoots);
  return root ? `${TASK_ROOT_VAR}${p.slice(root.replace(/\/$/, '').length)}` : p;
}

/** An executable as the policy writes it: portable, and the runtime's Node as Lambda's. */
function portableExe(p: string, o: Pick<Required<LearnOptions>, 'taskRoots' | 'nodePaths'>): string {
  return o.nodePaths.includes(p) ? LAMBDA_NODE : portable(p, o.taskRoots);
}

interface ProcessGroup {
  exe: string;
  parent?: string;
  argvs: string[][];
  tally: Tally;
  shell: boolean;
}

/** A path as a glob matching only it; the `${LAMBDA_TASK_ROOT}` placeholder stays one. */
function literalGlob(p: string): string {
  return p.startsWith(TASK_ROOT_VAR)
    ? `${TASK_ROOT_VAR}${escapeGlob(p.slice(TASK_ROOT_VAR.length))}`
    : escapeGlob(p);
}

function exeAlternatives(exe: string, real: string | undefined): string {
  return real && real !== exe ? `{${literalGlob(exe)},${literalGlob(real)}}` : literalGlob(exe);
}

function learnProcesses(
  obs: Observation[],
  options: Pick<Required<LearnOptions>, 'taskRoots' | 'nodePaths'>,
  notes: LearnNotes,
): ProcessRule[] {
  // Paths in the function's directory (its own binaries, scripts as arguments) are portable.
  const here = (p: string) => portableExe(p, options);
  const groups = new Map<string, ProcessGroup>();
  const addGroup = (
    exe: string,
    parent: string | undefined,
    argv: string[],
    o: Observation,
    shell: boolean,
  ) => {
    const key = `${exe}\u0000${parent ?? ''}\u0000${shell ? 'sh' : argv.length}`;
    const g = entryOf(groups, key, () => ({
      exe,
      parent,
      argvs: [] as string[][],
      tally: new Tally(),
      shell,
    }));
    g.argvs.push(argv);
    g.tally.add(o);
  };
  for (const o of obs) {
    if (o.event.surface !== 'process' || o.event.op !== 'spawn') continue;
    const ev: ProcessEvent = o.event;
    const exe = exeAlternatives(here(ev.exe), ev.realExe && here(ev.realExe));
    const parent =
      o.layer === 'extension' && ev.parentExe?.[0] && !/\/node$|^node$/.test(ev.parentExe[0])
        ? exeAlternatives(here(ev.parentExe[0]), ev.parentExe[1] && here(ev.parentExe[1]))
        : undefined;
    const shell = isShell(ev.exe) && !!ev.shellCommands;
    const argv = withoutNodeRestrictions(ev.realExe ?? ev.exe, ev.argv);
    addGroup(exe, parent, argv.slice(1).map(here), o, shell);
    // A shell's commands are processes of their own, started by that shell.
    for (const cmd of ev.shellCommands ?? []) {
      // A name built from an expansion (`$TOOL`, `$(…)`) is judged as that text: learned as it.
      const name =
        cmd.exe && cmd.exe !== cmd.name
          ? exeAlternatives(here(cmd.name), here(cmd.exe))
          : literalGlob(here(cmd.name));
      addGroup(name, exe, cmd.argv.slice(1).map(here), o, false);
    }
  }
  const rules: { rule: ProcessRule; note: string }[] = [];
  for (const g of groups.values()) {
    let argv: string[];
    if (g.shell) {
      // The shell itself: its flags as seen, the script any string (every command inside it is
      // judged on its own).
      const flags = g.argvs[0]!.slice(0, -1);
      argv = [...flags.map((f) => escapeGlob(f)), '*'];
      const same = g.argvs.every(
        (a) => a.length === argv.length && a.slice(0, -1).join('\u0000') === flags.join('\u0000'),
      );
      if (!same) argv = argumentsShape(g.argvs);
    } else argv = argumentsShape(g.argvs);
    const rule: ProcessRule = { exe: g.exe, argv, ...(g.parent ? { parent: g.parent } : {}) };
    const variants = new Set(g.argvs.map((a) => a.join(' '))).size;
    // An example command line only when it holds no data (ids, numbers) that would differ on re-learning.
    const first = g.argvs[0]!;
    const example = variants === 1 && first.every((a) => generaliseToken(a) === a) ? first.join(' ') : '';
    rules.push({
      rule,
      note: g.tally.note(
        `${g.shell ? 'shell' : 'ran'} ${g.exe.replace(/\\/g, '')}${example ? ` ${example.length > 60 ? `${example.slice(0, 57)}...` : example}` : ''}${variants > 1 ? ` (${variants} different command lines)` : ''}`,
      ),
    });
  }
  rules.sort(byKey((r) => `${r.rule.exe}\u0000${r.rule.parent ?? ''}\u0000${(r.rule.argv ?? []).join(' ')}`));
  notes['process.allow'] = rules.map((r) => r.note);
  return rules.map((r) => r.rule);
}

function argumentsShape(argvs: string[][]): string[] {
  const n = argvs[0]!.length;
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(argumentShape(argvs.map((a) => a[i]!)));
  return out;
}

/** Listening is allowed when the function listened while learning (Lambda Web Adapter's server). */
function learnListen(obs: Observation[], notes: LearnNotes): 'allow' | 'deny' {
  const seen = new Tally();
  const where = new Set<string>();
  for (const o of obs) {
    if (o.event.surface !== 'network' || o.event.op !== 'listen') continue;
    seen.add(o);
    where.add(`${o.event.ip ?? '?'}:${o.event.port ?? '?'}`);
  }
  notes['network.listen'] =
    where.size > 0
      ? [seen.note(`listened on ${[...where].sort().join(', ')} for inbound connections`)]
      : ['never seen'];
  return where.size > 0 ? 'allow' : 'deny';
}

function learnNetwork(obs: Observation[], notes: LearnNotes): NetworkRule[] {
  const groups = new Map<
    string,
    { rule: NetworkRule; ports: Set<number>; tally: Tally; seen: Set<string> }
  >();
  for (const o of obs) {
    const ev = o.event;
    if (ev.surface !== 'network' || ev.op === 'listen') continue;
    const named = ev.host && ev.host !== ev.ip && !/^[\d.]+$|:/.test(ev.host);
    let key: string;
    let rule: NetworkRule;
    if (named) {
      const host = hostPattern(ev.host!);
      key = `host\u0000${host}\u0000${ev.protocol === 'udp' ? 'udp' : ''}`;
      rule = { host, ...(ev.protocol === 'udp' ? { protocol: 'udp' } : {}) };
    } else if (ev.ip) {
      const cidr = `${ev.ip}/${ev.ip.includes(':') ? 128 : 32}`;
      key = `cidr\u0000${cidr}\u0000${ev.protocol}`;
      rule = { cidr, ...(ev.protocol === 'udp' ? { protocol: 'udp' } : {}) };
    } else continue;
    const g = entryOf(groups, key, () => ({
      rule,
      ports: new Set<number>(),
      tally: new Tally(),
      seen: new Set<string>(),
    }));
    if (ev.port !== undefined && ev.protocol !== 'dns') g.ports.add(ev.port);
    g.tally.add(o);
    g.seen.add(`${ev.op} ${ev.host ?? ev.ip}${ev.port !== undefined ? `:${ev.port}` : ''}`);
  }
  const rules = [...groups.values()].map((g) => {
    const ports = [...g.ports].sort((a, b) => a - b);
    const rule: NetworkRule = {
      ...g.rule,
      ...(ports.length === 1 ? { port: ports[0] } : ports.length > 1 ? { port: ports } : {}),
    };
    const seen = [...g.seen].sort();
    return {
      rule,
      note: g.tally.note(`${seen.slice(0, 3).join(', ')}${seen.length > 3 ? ` (+${seen.length - 3})` : ''}`),
    };
  });
  rules.sort(byKey((r) => `${r.rule.host ?? ''}\u0000${r.rule.cidr ?? ''}\u0000${r.rule.protocol ?? ''}`));
  notes['network.allow'] = rules.map((r) => r.note);
  return rules.map((r) => r.rule);
}

function learnPaths(
  obs: Observation[],
  op: 'read' | 'write' | 'exec',
  o: Required<LearnOptions>,
  tempPrefixes: readonly string[],
  notes: LearnNotes,
): { path: string }[] {
  const tallies = new Map<string, Tally>();
  for (const ob of obs) {
    const ev = ob.event;
    // What a spawn executes is an exec of its path (and of each command a shell runs).
    if (op === 'exec' && ev.surface === 'process' && ev.op === 'spawn') {
      // And the script an interpreter runs (`node worker.js`, `sh tool.sh`): the outside view
      // judges it as an exec of that file.
      const script = scriptOf(ev.realExe ?? ev.exe, ev.argv, ev.cwd) ?? scriptOf(ev.exe, ev.argv, ev.cwd);
      for (const p of [ev.exe, ev.realExe, script, ...(ev.shellCommands ?? []).map((c) => c.exe)])
        if (p?.startsWith('/')) tallyOf(tallies, p).add(ob);
      continue;
    }
    if (ev.surface !== 'files' || ev.op !== op) continue;
    tallyOf(tallies, ev.path).add(ob);
  }
  const entries: { path: string; note: string }[] = [];
  const byPortable = new Map<string, Tally>();
  for (const [p, t] of tallies)
    tallyOf(byPortable, op === 'exec' ? portableExe(p, o) : portable(p, o.taskRoots)).merge(t);
  const groups = generalisePaths([...byPortable.keys()], tempPrefixes);
  for (const g of groups) {
    const t = new Tally();
    for (const p of g.paths) t.merge(byPortable.get(p)!);
    // Notes name no observed value that varies (a request id in a path): re-learning the same
    // events must give the same file.
    const what =
      g.paths.length === 1 && g.paths[0] === g.pattern
        ? `${op} ${g.pattern}`
        : `${op} ${g.paths.length} different path${g.paths.length === 1 ? '' : 's'} of this shape`;
    entries.push({ path: g.pattern, note: t.note(what) });
  }
  entries.sort(byKey((e) => e.path));
  // One pattern once (a package directory can also be a generalised path).
  const unique = entries.filter((e, i) => i === 0 || entries[i - 1]!.path !== e.path);
  notes[`files.${op}.allow`] = unique.map((e) => e.note);
  return unique.map((e) => ({ path: e.path }));
}

function learnCode(obs: Observation[], o: Required<LearnOptions>, notes: LearnNotes): Policy['code'] {
  const used = { eval: new Tally(), wasm: new Tally(), workers: new Tally(), inspector: new Tally() };
  const seen = { eval: false, wasm: false, workers: false, inspector: false };
  const natives = new Map<string, Tally>();
  const modules = new Map<string, Tally>();
  for (const ob of obs) {
    const ev = ob.event;
    if (ev.surface !== 'code') continue;
    if (ev.op === 'eval' || ev.op === 'function' || ev.op === 'vm') {
      seen.eval = true;
      used.eval.add(ob);
    } else if (ev.op === 'wasm') {
      seen.wasm = true;
      used.wasm.add(ob);
    } else if (ev.op === 'worker') {
      seen.workers = true;
      used.workers.add(ob);
    } else if (ev.op === 'inspector') {
      seen.inspector = true;
      used.inspector.add(ob);
    } else if (ev.op === 'native') {
      tallyOf(natives, portable(ev.target, o.taskRoots)).add(ob);
    } else if (ev.op === 'module' && !/^(\.|\/|file:)/.test(ev.target)) tallyOf(modules, ev.target).add(ob);
  }
  const nativeList = [...natives.keys()].sort();
  notes['code.nativeAddons.allow'] = nativeList.map((p) =>
    natives
      .get(p)!
      .note(
        `loaded ${p}: WARNING native code, Warden cannot see what it does inside the process (files, connections, processes through libc); only the watcher's outside view judges it, review it`,
      ),
  );
  const moduleList = [...modules.keys()].sort();
  notes['code.modules.allow'] = moduleList.map((m) => modules.get(m)!.note(`loaded ${m}`));
  notes['code.eval'] = seen.eval ? [used.eval.note('code compiled from strings')] : ['never seen'];
  notes['code.wasm'] = seen.wasm ? [used.wasm.note('WebAssembly compiled')] : ['never seen'];
  notes['code.workers'] = seen.workers ? [used.workers.note('worker threads started')] : ['never seen'];
  notes['code.inspector'] = seen.inspector
    ? [used.inspector.note('the inspector used: it runs code and reads any object, review it')]
    : ['never seen'];
  return {
    eval: seen.eval ? 'allow' : 'deny',
    wasm: seen.wasm ? 'allow' : 'deny',
    workers: seen.workers ? 'allow' : 'deny',
    inspector: seen.inspector ? 'allow' : 'deny',
    nativeAddons: { default: 'deny', allow: nativeList.map((path) => ({ path })), alert: [], deny: [] },
    // The modules it loaded, for review. Loading one is not a capability (what a module then
    // does is judged: packages, processes, network…), and a lazy require on a path the events
    // did not take must not be a finding: others are allowed (`default: alert` reports them).
    modules: { default: 'allow', allow: moduleList.map((name) => ({ name })), alert: [], deny: [] },
  };
}

function learnSecrets(obs: Observation[], notes: LearnNotes): string[] {
  const readers = new Map<string, Tally>();
  const names = new Map<string, Set<string>>();
  for (const ob of obs) {
    if (ob.event.surface !== 'secrets') continue;
    // The packages the reader acted for need the permission too (decide.ts): learned with it.
    for (const pkg of [ob.package, ...(ob.deputies ?? [])]) {
      tallyOf(readers, pkg).add(ob);
      entryOf(names, pkg, () => new Set<string>()).add(ob.event.name);
    }
  }
  const list = [...readers.keys()].sort();
  notes['secrets.allow'] = list.map((p) =>
    readers.get(p)!.note(`read ${[...names.get(p)!].sort().join(', ')}`),
  );
  return list.map((p) => escapeGlob(p));
}

function learnPackages(obs: Observation[], notes: LearnNotes): Record<string, Capability[]> {
  const caps = new Map<string, Set<Capability>>();
  const tallies = new Map<string, Tally>();
  for (const ob of obs) {
    if (ob.package === '<runtime>' || ob.layer === 'extension') continue;
    const cap = capabilityOf(ob.event);
    // A package another acted for needs the capability as much as the one that acted.
    for (const pkg of [ob.package, ...(cap ? (ob.deputies ?? []) : [])]) {
      const set = entryOf(caps, pkg, () => new Set<Capability>());
      tallyOf(tallies, pkg).add(ob);
      if (cap) set.add(cap);
    }
  }
  const out: Record<string, Capability[]> = {};
  const keys = [...caps.keys()].sort();
  const packageNotes: string[] = [];
  for (const k of keys) {
    out[escapeGlob(k)] = [...caps.get(k)!].sort();
    packageNotes.push(
      tallies
        .get(k)!
        .note(
          caps.get(k)!.size ? `used ${[...caps.get(k)!].sort().join(', ')}` : 'loaded, used no capability',
        ),
    );
  }
  // The runtime does what Lambda needs; a package never seen in the baseline may use nothing.
  out['<runtime>'] = [...ALL_CAPABILITIES];
  packageNotes.push('the Lambda runtime itself (its module loader, the Runtime API)');
  out['**'] = [];
  packageNotes.push('any package not seen while learning: no capability');
  notes.packages = packageNotes;
  return out;
}

/** Allow entries and package lists: the size of a learned policy. */
export function countEntries(policy: Policy): number {
  return (
    policy.process.allow.length +
    policy.network.allow.length +
    policy.files.read.allow.length +
    policy.files.write.allow.length +
    policy.files.exec.allow.length +
    policy.code.nativeAddons.allow.length +
    policy.code.modules.allow.length +
    policy.secrets.allow.length +
    Object.keys(policy.packages).length
  );
}

/** The least-privilege policy the observations justify. */
export function learnPolicy(observations: readonly Observation[], options: LearnOptions = {}): LearnResult {
  const o: Required<LearnOptions> = {
    // The directories the function ran from: given, and as the sensor recorded them.
    taskRoots: [
      ...new Set(
        [...(options.taskRoots ?? []), ...observations.map((x) => x.taskRoot ?? '')].filter(Boolean),
      ),
    ].sort((a, b) => b.length - a.length || (a < b ? -1 : 1)), // the innermost first
    platformPaths: (options.platformPaths ?? []).filter(Boolean),
    invocations: options.invocations ?? 0,
    nodePaths: (options.nodePaths ?? []).filter(Boolean),
  };
  // The platform's own files (runtime, layers, Warden) are how Lambda starts, not behaviour:
  // the policy allows them wherever they are (compile.ts, isPlatformPath).
  const platform = (x: Observation): boolean => {
    const ev = x.event;
    if (ev.surface === 'files')
      return (
        ev.op === 'read' &&
        (!!underAny(ev.path, o.platformPaths) ||
          o.taskRoots.some((root) => isModuleCode(ev, root)) ||
          isModuleCode(ev))
      );
    if (ev.surface === 'code' && (ev.op === 'native' || ev.op === 'module'))
      return !!underAny(ev.target.replace(/^file:\/\//, ''), o.platformPaths);
    return false;
  };
  // The extension's sightings of processes the sensor already reported (a spawn, a command in a
  // shell) add nothing, and depend on polling: only what the sensor could not see is kept.
  const sensorArgv = new Set<string>();
  for (const x of observations) {
    const ev = x.event;
    if (x.layer !== 'sensor' || ev.surface !== 'process' || ev.op !== 'spawn') continue;
    sensorArgv.add(ev.argv.join('\u0000'));
    for (const c of ev.shellCommands ?? []) sensorArgv.add(c.argv.join('\u0000'));
  }
  const seenBySensor = (x: Observation) =>
    x.layer === 'extension' &&
    x.event.surface === 'process' &&
    x.event.op === 'spawn' &&
    sensorArgv.has(x.event.argv.join('\u0000'));
  // Deterministic whatever the order lines arrived in.
  const obs = [...observations]
    .filter((x) => !platform(x) && !seenBySensor(x))
    .sort(byKey((x) => JSON.stringify([x.event, x.package, x.requestId ?? '', x.layer])));
  const notes: LearnNotes = {};
  // Directories made by mkdtemp (its event names the prefix it was given).
  const tempPrefixes = obs.flatMap((x) =>
    x.event.surface === 'files' && x.event.api.startsWith('mkdtemp')
      ? [portable(x.event.path, o.taskRoots)]
      : [],
  );
  const invocations = Math.max(o.invocations, new Set(obs.map((x) => x.requestId).filter(Boolean)).size);
  const policy: Policy = {
    version: 1,
    mode: 'enforce',
    failClosed: false,
    nodePermissions: 'auto',
    onPolicyError: 'default-enforce',
    process: {
      default: 'deny',
      allow: learnProcesses(obs, o, notes),
      alert: [],
      deny: [],
      kill: 'deny',
    },
    network: {
      default: 'deny',
      allow: learnNetwork(obs, notes),
      alert: [],
      deny: [],
      runtimeApi: 'deny',
      listen: learnListen(obs, notes),
    },
    files: {
      read: {
        default: 'deny',
        allow: learnPaths(obs, 'read', o, tempPrefixes, notes),
        alert: [],
        // No explicit deny: a read of /proc/*/environ the baseline never made is a deviation.
        deny: [],
      },
      write: {
        default: 'deny',
        allow: learnPaths(obs, 'write', o, tempPrefixes, notes),
        alert: [],
        deny: [],
      },
      exec: { default: 'deny', allow: learnPaths(obs, 'exec', o, tempPrefixes, notes), alert: [], deny: [] },
    },
    code: learnCode(obs, o, notes),
    secrets: { default: 'deny', allow: learnSecrets(obs, notes), alert: [], deny: [], names: [] },
    packages: learnPackages(obs, notes),
    learned: { invocations: invocations, observations: obs.length },
  };
  return {
    policy,
    notes,
    stats: { invocations: invocations, observations: obs.length, entries: countEntries(policy) },
  };
}
