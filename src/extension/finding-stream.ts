/**
 * One stream of findings out of the sandbox: the sensor's (over the channel, and again through
 * the Telemetry API from the function's stdout) and the extension's own. Each finding is kept
 * once: by its uid (the same finding twice) and by what it is about (the same process or
 * connection reported by both layers in one invocation). Findings without a request id get the
 * invocation they happened in. The extension's own go to stdout (CloudWatch) always; all of them
 * go to the collector when one is configured.
 */
import type { OcsfObject } from '../events/ocsf';
import type { Shipper } from './shipper';

export type Source = 'channel' | 'telemetry' | 'extension';

interface Kept {
  /** Held only while it may still be shipped (a later duplicate adds to its `seen_by`). */
  finding?: OcsfObject;
  sources: Set<Source>;
  /** Further occurrences from the same layer (kept up to MAX_REPEATS per invocation). */
  repeats: number;
}

const MAX_REPEATS = 200;

export interface StreamOptions {
  writeStdout(line: string): void;
  shipper?: Pick<Shipper, 'add'>;
  /** The request id of the invocation running at `time` (ms), if one was. */
  requestIdAt(time: number): string | undefined;
  maxRemembered?: number;
}

export class FindingStream {
  private readonly byUid = new Map<string, Kept>();
  private readonly bySubject = new Map<string, Kept>();
  /** Subject keys of the commands inside shells the sensor reported. */
  private readonly coveredBy = new Map<string, Kept>();
  readonly stats = { received: 0, duplicates: 0, own: 0, suppressed: 0 };

  constructor(private readonly o: StreamOptions) {}

  /** A finding line from the sensor (channel or function log). Returns false if it was a duplicate. */
  fromSensor(finding: OcsfObject, source: 'channel' | 'telemetry'): boolean {
    this.stats.received++;
    return this.keep(finding, source);
  }

  /** A finding the extension made: always printed (CloudWatch), shipped unless the sensor had it. */
  fromExtension(finding: OcsfObject): void {
    this.stats.own++;
    this.attachRequestId(finding);
    if (this.keep(finding, 'extension')) this.o.writeStdout(JSON.stringify(finding));
  }

  private keep(finding: OcsfObject, source: Source): boolean {
    this.attachRequestId(finding);
    const uid = metadataUid(finding);
    const subject = subjectKey(finding);
    const sameUid = uid ? this.byUid.get(uid) : undefined;
    const sameSubject = subject ? this.bySubject.get(subject) : undefined;
    // The other layer's report of the same thing is a duplicate. The same layer's is another
    // occurrence (a second process with the same command line): kept, up to a bound.
    const layer = layersOf(new Set([source]))[0]!;
    // A command inside a shell the sensor reported is that shell's finding, however many times
    // the extension sees it run (and whether or not it saw the shell itself first).
    const covering = source === 'extension' && subject ? this.coveredBy.get(subject) : undefined;
    const prior =
      sameUid ??
      covering ??
      (sameSubject && !layersOf(sameSubject.sources).includes(layer) ? sameSubject : undefined);
    if (!prior && sameSubject) {
      sameSubject.repeats++;
      if (sameSubject.repeats > MAX_REPEATS) {
        this.stats.suppressed++;
        return false;
      }
    }
    if (prior) {
      this.stats.duplicates++;
      if (!prior.sources.has(source)) {
        prior.sources.add(source);
        if (prior.finding) unmappedOf(prior.finding).seen_by = layersOf(prior.sources);
      }
      return false;
    }
    // Without a collector nothing is held: what is remembered is only what de-duplication needs.
    const kept: Kept = { ...(this.o.shipper ? { finding } : {}), sources: new Set([source]), repeats: 0 };
    unmappedOf(finding).seen_by = layersOf(kept.sources);
    if (uid) this.byUid.set(uid, kept);
    if (subject && !sameSubject) this.bySubject.set(subject, kept);
    // A shell the sensor reported stands for the commands inside it: the extension seeing one of
    // them run is that same finding.
    if (source !== 'extension') for (const key of innerCommandKeys(finding)) this.coveredBy.set(key, kept);
    this.trim(this.byUid);
    this.trim(this.bySubject);
    this.trim(this.coveredBy);
    // Shipped as it is now: a later duplicate only adds to `seen_by` while it waits in memory.
    this.o.shipper?.add(finding);
    return true;
  }

  private attachRequestId(finding: OcsfObject): void {
    const metadata = (finding.metadata ?? {}) as Record<string, unknown>;
    if (metadata.correlation_uid) return;
    const id = this.o.requestIdAt(typeof finding.time === 'number' ? finding.time : Date.now());
    if (id) {
      metadata.correlation_uid = id;
      finding.metadata = metadata;
    }
  }

  private trim(map: Map<string, Kept>): void {
    const max = this.o.maxRemembered ?? 1000;
    if (map.size <= max) return;
    const drop = map.size - max;
    let i = 0;
    for (const key of map.keys()) {
      if (i++ >= drop) break;
      map.delete(key);
    }
  }
}

function unmappedOf(finding: OcsfObject): Record<string, unknown> {
  if (!finding.unmapped || typeof finding.unmapped !== 'object') finding.unmapped = {};
  return finding.unmapped as Record<string, unknown>;
}

function layersOf(sources: Set<Source>): string[] {
  const out = new Set<string>();
  for (const s of sources) out.add(s === 'extension' ? 'extension' : 'sensor');
  return [...out].sort();
}

function metadataUid(f: OcsfObject): string | undefined {
  const uid = (f.metadata as { uid?: unknown } | undefined)?.uid;
  return typeof uid === 'string' ? uid : undefined;
}

/**
 * What a finding is about, the same whichever layer saw it: the invocation, the rule, and the
 * process's command line or the destination address. Two layers reaching different conclusions
 * about one process (the sensor: a denied spawn; the extension: drop-and-execute) are two
 * findings. Updates (a count that grew) are never duplicates of their Create.
 */
export function subjectKey(f: OcsfObject): string {
  if (f.activity_id === 2) return '';
  const corr = (f.metadata as { correlation_uid?: string } | undefined)?.correlation_uid ?? '';
  const unmapped = (f.unmapped ?? {}) as { surface?: string; op?: string; mode?: string };
  const ev = ((f.evidences as OcsfObject[] | undefined)?.[0] ?? {}) as {
    process?: { cmd_line?: string; pid?: number };
    dst_endpoint?: { ip?: string; port?: number; hostname?: string };
    file?: { path?: string };
  };
  const surface = unmapped.surface ?? '';
  const ruleId = (f.finding_info as { analytic?: { uid?: string } } | undefined)?.analytic?.uid ?? '';
  if (surface === 'process' && unmapped.op === 'spawn' && ev.process?.cmd_line)
    return `${corr}\u0001${ruleId}\u0001${ev.process.cmd_line}`;
  if (surface === 'network' && ev.dst_endpoint?.ip)
    return `${corr}\u0001${ruleId}\u0001${ev.dst_endpoint.ip}:${ev.dst_endpoint.port ?? ''}`;
  return '';
}

/** Subject keys of the commands inside a reported shell (`data.shell_commands`), as subjectKey makes them. */
function innerCommandKeys(f: OcsfObject): string[] {
  const subject = subjectKey(f);
  const commands = (
    (f.evidences as OcsfObject[] | undefined)?.[0]?.data as { shell_commands?: unknown } | undefined
  )?.shell_commands;
  if (!subject || !Array.isArray(commands)) return [];
  const prefix = subject.slice(0, subject.lastIndexOf('\u0001') + 1);
  return commands.filter((c): c is string => typeof c === 'string').map((c) => `${prefix}${c}`);
}

/** A Warden finding in a function log record (a text line, or an object in JSON log format). */
export function sensorFinding(record: unknown): OcsfObject | undefined {
  if (typeof record === 'string') {
    if (!record.startsWith('{') || !record.includes('"class_uid":2004') || !record.includes('"Warden"'))
      return undefined;
    try {
      return sensorFinding(JSON.parse(record));
    } catch {
      return undefined;
    }
  }
  if (!record || typeof record !== 'object') return undefined;
  const r = record as OcsfObject;
  const vendor = (r.metadata as { product?: { vendor_name?: string } } | undefined)?.product?.vendor_name;
  return r.class_uid === 2004 && vendor === 'Warden' ? r : undefined;
}
