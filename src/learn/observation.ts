/**
 * Observations: what a function did, one line per distinct thing per invocation, whatever its
 * verdict. The sensor writes them while `warden learn` runs (WARDEN_LEARN); findings from a
 * deployed function in monitor mode carry the same facts, so `warden learn --from` reads both.
 */
import type { OcsfObject } from '../events/ocsf';
import type { SensorEvent } from '../events/types';
import { parseShellCommands } from '../shell/parse';

export interface Observation {
  /** Marks the line: `{"warden":"observation", …}`. */
  warden: 'observation';
  v: 1;
  event: SensorEvent;
  /** The npm package responsible (`<function>`, `<runtime>`, `<unknown>` or a package name). */
  package: string;
  /**
   * The packages `package` acted for (others on the stack down to the function's own code):
   * under a policy they need the same capability, so learning grants it to them too.
   */
  deputies?: string[];
  /** How often it happened in the invocation. */
  count: number;
  requestId?: string;
  /** Which layer saw it. */
  layer: 'sensor' | 'extension';
  /** The function's directory where it ran (LAMBDA_TASK_ROOT, symlinks resolved). */
  taskRoot?: string;
}

/** What an observation is about, the same whichever layer or line it came from. */
export function observationSubject(ev: SensorEvent): string {
  switch (ev.surface) {
    case 'process':
      return ev.op === 'kill'
        ? `process:kill:${String(ev.signal)}`
        : `process:spawn:${ev.exe}\u0000${ev.argv.slice(1).join('\u0000')}\u0000${(ev.parentExe ?? []).join(',')}`;
    case 'network':
      return `network:${ev.op}:${ev.protocol}:${ev.host ?? ''}:${ev.ip ?? ''}:${ev.port ?? ''}`;
    case 'files':
      return `files:${ev.op}:${ev.path}`;
    case 'code':
      return `code:${ev.op}:${ev.op === 'module' || ev.op === 'native' ? ev.target : ev.api}`;
    case 'secrets':
      return `secrets:${ev.op}:${ev.name}`;
    case 'sensor':
      return `sensor:${ev.op}`;
  }
}

/** An observation line, or undefined for anything else. */
export function parseObservation(record: unknown): Observation | undefined {
  if (!record || typeof record !== 'object') return undefined;
  const r = record as Partial<Observation>;
  if (r.warden !== 'observation' || !r.event || typeof r.event !== 'object') return undefined;
  if (typeof (r.event as { surface?: unknown }).surface !== 'string') return undefined;
  return {
    warden: 'observation',
    v: 1,
    event: r.event,
    package: typeof r.package === 'string' ? r.package : '<unknown>',
    ...(Array.isArray(r.deputies) && r.deputies.every((d) => typeof d === 'string') && r.deputies.length > 0
      ? { deputies: r.deputies }
      : {}),
    count: typeof r.count === 'number' && r.count > 0 ? r.count : 1,
    ...(typeof r.requestId === 'string' ? { requestId: r.requestId } : {}),
    layer: r.layer === 'extension' ? 'extension' : 'sensor',
    ...(typeof r.taskRoot === 'string' && r.taskRoot.startsWith('/') ? { taskRoot: r.taskRoot } : {}),
  };
}

/** Splits a finding's quoted command line back into argv (the quoting is `sh`'s). */
function argvOf(cmdLine: string): string[] {
  const [first] = parseShellCommands(cmdLine);
  return first ? first.argv : [cmdLine];
}

type Evidence = {
  process?: { cmd_line?: string; file?: { path?: string }; lineage?: string[]; pid?: number };
  dst_endpoint?: { ip?: string; port?: number; hostname?: string };
  query?: { hostname?: string; type?: string };
  file?: { path?: string };
  script?: { script_content?: string };
  data?: Record<string, unknown>;
};

/**
 * The observation a Warden finding stands for (a deployed function in monitor mode reports
 * what its policy did not allow: with a permissive policy, everything it did). Updates (a
 * count that grew) add their count; sensor faults and notices are not behaviour.
 */
export function observationFromFinding(f: OcsfObject): Observation | undefined {
  if (f.class_uid !== 2004) return undefined;
  const unmapped = (f.unmapped ?? {}) as {
    surface?: string;
    op?: string;
    package?: string;
    acting_for?: unknown;
    layer?: string;
  };
  const ev = ((f.evidences as Evidence[] | undefined)?.[0] ?? {}) as Evidence;
  const data = ev.data ?? {};
  const api = typeof data.api === 'string' ? data.api : 'finding';
  const op = unmapped.op;
  let event: SensorEvent | undefined;
  switch (unmapped.surface) {
    case 'process': {
      if (op !== 'spawn' || !ev.process?.cmd_line) return undefined;
      const argv = argvOf(ev.process.cmd_line);
      const exe = ev.process.file?.path ?? argv[0] ?? '';
      // The parent's executable (and real path) as the extension saw it, else its command name.
      const parentExe = Array.isArray(data.parent_exe)
        ? (data.parent_exe as unknown[]).filter((x): x is string => typeof x === 'string')
        : undefined;
      const parentCmd = ev.process.lineage?.[0]?.split(' ')[1];
      const shellCommands = Array.isArray(data.shell_commands)
        ? (data.shell_commands as unknown[])
            .filter((c): c is string => typeof c === 'string')
            .map((c) => {
              const a = argvOf(c);
              return { name: a[0] ?? c, argv: a };
            })
        : undefined;
      event = {
        surface: 'process',
        op: 'spawn',
        api,
        file: argv[0] ?? exe,
        exe,
        argv,
        ...(typeof data.real_exe === 'string' ? { realExe: data.real_exe } : {}),
        ...(shellCommands ? { shellCommands } : {}),
        ...(parentExe?.length ? { parentExe } : parentCmd ? { parentExe: [parentCmd] } : {}),
      };
      break;
    }
    case 'network': {
      const dst = ev.dst_endpoint ?? {};
      const protocol = data.protocol === 'udp' || data.protocol === 'dns' ? data.protocol : 'tcp';
      const host = dst.hostname ?? ev.query?.hostname ?? dst.ip;
      if (!host && !dst.ip) return undefined;
      event = {
        surface: 'network',
        op: op === 'dns' ? 'dns' : op === 'send' ? 'send' : 'connect',
        api,
        protocol,
        ...(host ? { host } : {}),
        ...(dst.ip ? { ip: dst.ip } : {}),
        ...(dst.port !== undefined ? { port: dst.port } : {}),
      };
      break;
    }
    case 'files': {
      const p = ev.file?.path;
      if (!p || (op !== 'read' && op !== 'write' && op !== 'exec')) return undefined;
      event = {
        surface: 'files',
        op,
        api,
        path: p,
        requested: typeof data.requested === 'string' ? data.requested : p,
        ...(data.loader === true ? { loader: true } : {}),
      };
      break;
    }
    case 'code': {
      const codeOps = ['eval', 'function', 'vm', 'wasm', 'native', 'module', 'worker', 'inspector'] as const;
      const codeOp = codeOps.find((o) => o === op);
      if (!codeOp) return undefined;
      event = {
        surface: 'code',
        op: codeOp,
        api,
        target: ev.file?.path ?? ev.script?.script_content ?? '',
      };
      break;
    }
    case 'secrets': {
      if (typeof data.variable !== 'string') return undefined;
      event = { surface: 'secrets', op: op === 'enumerate' ? 'enumerate' : 'read', api, name: data.variable };
      break;
    }
    default:
      return undefined;
  }
  const corr = (f.metadata as { correlation_uid?: unknown } | undefined)?.correlation_uid;
  return {
    warden: 'observation',
    v: 1,
    event,
    package: unmapped.package ?? '<unknown>',
    ...(Array.isArray(unmapped.acting_for) && unmapped.acting_for.length > 0
      ? { deputies: unmapped.acting_for.filter((d): d is string => typeof d === 'string') }
      : {}),
    count: typeof f.count === 'number' && f.count > 0 ? f.count : 1,
    ...(typeof corr === 'string' ? { requestId: corr } : {}),
    layer: unmapped.layer === 'extension' ? 'extension' : 'sensor',
  };
}

export interface ReadObservations {
  observations: Observation[];
  /** Lines that were neither an observation nor a Warden finding (log lines, other JSON). */
  skipped: number;
}

/**
 * Observations from a JSON-lines text: observation lines, and Warden findings (the Create of
 * each; its Updates only raise the count). Other lines are skipped and counted.
 */
export function readObservationLines(text: string): ReadObservations {
  const observations: Observation[] = [];
  const creates = new Map<string, Observation>();
  let skipped = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    let record: unknown;
    try {
      record = JSON.parse(line.slice(line.indexOf('{')));
    } catch {
      skipped++;
      continue;
    }
    const obs = parseObservation(record);
    if (obs) {
      observations.push(obs);
      continue;
    }
    const f = record as OcsfObject;
    const fromFinding = observationFromFinding(f);
    if (!fromFinding) {
      skipped++;
      continue;
    }
    const uid = (f.finding_info as { uid?: string } | undefined)?.uid;
    const prior = uid ? creates.get(uid) : undefined;
    if (prior) {
      // An Update carries the invocation's total count.
      prior.count = Math.max(prior.count, fromFinding.count);
      continue;
    }
    if (uid) creates.set(uid, fromFinding);
    observations.push(fromFinding);
  }
  return { observations, skipped };
}
