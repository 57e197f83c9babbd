/**
 * What the console keeps of a finding to index and group it, read from the OCSF object the
 * sensor and the extension write (src/events/ocsf.ts). Pure: a finding that lacks what every
 * Warden finding has (its uid, time, rule) is an error naming the field.
 */

export interface FindingFacts {
  uid: string;
  time: number;
  functionArn: string;
  functionName: string;
  requestId?: string;
  ruleId: string;
  title: string;
  severityId: number;
  disposition: string;
  package: string;
  /** What the finding is about: the program, the file, the destination, the API. */
  target: string;
  /** MITRE ATT&CK technique ids. */
  techniques: string[];
  /** Each MITRE ATT&CK tactic and technique it is tagged with (the technique's name too). */
  attacks: { tactic: string; technique: string; name: string }[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * A target as incidents compare it: a process's own /proc entry is the same file whichever pid
 * the environment gave it (`/proc/self/environ` read as /proc/4242/environ in one sandbox and as
 * /proc/5151/environ in the next is one thing).
 */
const comparable = (target: string): string =>
  target.replace(/^\/proc\/(?:\d+|self|thread-self)\//, '/proc/<pid>/');

/** The target of a finding, from its first evidence. */
export function targetOf(finding: Obj): string {
  return comparable(rawTargetOf(finding));
}

function rawTargetOf(finding: Obj): string {
  const evidence = obj((finding.evidences as unknown[] | undefined)?.[0]) ?? {};
  const process = obj(evidence.process);
  const file = obj(evidence.file);
  const dst = obj(evidence.dst_endpoint);
  const query = obj(evidence.query);
  const data = obj(evidence.data);
  return (
    str(obj(process?.file)?.path) ??
    str(file?.path) ??
    (dst
      ? `${str(dst.hostname) ?? str(dst.ip) ?? '?'}${dst.port !== undefined ? `:${String(dst.port)}` : ''}`
      : undefined) ??
    str(query?.hostname) ??
    str(data?.api) ??
    ''
  );
}

export function factsOf(value: unknown): { ok: true; facts: FindingFacts } | { ok: false; error: string } {
  const f = obj(value);
  if (!f) return { ok: false, error: 'not a JSON object' };
  const metadata = obj(f.metadata);
  const info = obj(f.finding_info);
  const resource = obj((f.resources as unknown[] | undefined)?.[0]);
  const uid = str(metadata?.uid);
  if (!uid) return { ok: false, error: 'metadata.uid is missing' };
  const time = f.time;
  if (typeof time !== 'number' || !Number.isFinite(time)) return { ok: false, error: 'time is not a number' };
  const ruleId = str(obj(info?.analytic)?.uid);
  if (!ruleId) return { ok: false, error: 'finding_info.analytic.uid is missing' };
  const arn = str(resource?.uid) ?? 'unknown';
  const unmapped = obj(f.unmapped);
  const attacks = new Map<string, { tactic: string; technique: string; name: string }>();
  for (const a of (info?.attacks as unknown[] | undefined) ?? []) {
    const technique = obj(obj(a)?.technique);
    const uid = str(technique?.uid);
    if (!uid) continue;
    const tactic = str(obj(obj(a)?.tactic)?.uid) ?? '';
    attacks.set(`${tactic}/${uid}`, { tactic, technique: uid, name: str(technique?.name) ?? uid });
  }
  const techniques = [...attacks.values()].map((a) => a.technique);
  const requestId = str(metadata?.correlation_uid);
  return {
    ok: true,
    facts: {
      uid,
      time,
      functionArn: arn,
      functionName: str(resource?.name) ?? arn.split(':').pop() ?? arn,
      ...(requestId ? { requestId } : {}),
      ruleId,
      title: str(info?.title) ?? ruleId,
      severityId: typeof f.severity_id === 'number' ? f.severity_id : 0,
      disposition: str(f.disposition) ?? 'Unknown',
      package: str(unmapped?.package) ?? '<unknown>',
      target: targetOf(f),
      techniques: [...new Set(techniques)],
      attacks: [...attacks.values()],
    },
  };
}
