/**
 * Findings in the AWS Security Finding Format, as AWS Security Hub's `BatchImportFindings` takes
 * them from a custom integration (the account's own `…:product/<account>/default`), in request
 * bodies within its limits: at most 100 findings and 6 MB per call, 240 KB per finding. Pure.
 */

export const ASFF_SCHEMA_VERSION = '2018-10-08';
export const MAX_FINDINGS_PER_CALL = 100;
export const MAX_CALL_BYTES = 6 * 1024 * 1024;
export const MAX_FINDING_BYTES = 240 * 1024;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
const cut = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** OCSF severity_id → ASFF's label (OCSF 6 "Fatal" is ASFF's CRITICAL). */
const LABELS = ['INFORMATIONAL', 'INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL', 'CRITICAL'];

/** ASFF `Types`: the MITRE tactics and techniques as "TTPs/<tactic>/<technique>", else the surface. */
function typesOf(info: Json, surface: string): string[] {
  const types = ((info.attacks as unknown[] | undefined) ?? []).map((a) => {
    const tactic = String(obj(obj(a).tactic).name ?? 'Unknown');
    const technique = String(obj(obj(a).technique).uid ?? '');
    return `TTPs/${tactic}/${technique}`;
  });
  const unique = [...new Set(types)].slice(0, 50);
  return unique.length > 0 ? unique : [`Unusual Behaviors/Application/${surface || 'runtime'}`];
}

export interface AsffOptions {
  /** When the export is made (UpdatedAt). */
  now: number;
}

/** One Warden finding (OCSF 2004) as an ASFF finding; undefined when it names no Lambda function. */
export function toAsff(finding: unknown, o: AsffOptions): Json | undefined {
  const f = obj(finding);
  const meta = obj(f.metadata);
  const info = obj(f.finding_info);
  const resource = obj((f.resources as unknown[] | undefined)?.[0]);
  const unmapped = obj(f.unmapped);
  const arn = String(resource.uid ?? '');
  const [, partition, , region, account] = arn.split(':');
  if (!partition || !region || !account || !/^\d{12}$/.test(account)) return undefined;
  const time = typeof f.time === 'number' ? f.time : o.now;
  const input = obj(unmapped.input);
  const productFields: Record<string, string> = {
    'warden/rule': String(obj(info.analytic).uid ?? ''),
    'warden/package': String(unmapped.package ?? ''),
    'warden/disposition': String(f.disposition ?? ''),
    'warden/mode': String(unmapped.mode ?? ''),
    ...(meta.correlation_uid ? { 'warden/request_id': String(meta.correlation_uid) } : {}),
    ...(input.source
      ? { 'warden/input': cut(`${String(input.source)}: ${String(input.value ?? '')}`, 1024) }
      : {}),
  };
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: `warden/${String(meta.uid)}`,
    ProductArn: `arn:${partition}:securityhub:${region}:${account}:product/${account}/default`,
    GeneratorId: `warden/${String(obj(info.analytic).uid ?? 'finding')}`,
    AwsAccountId: account,
    Types: typesOf(info, String(unmapped.surface ?? '')),
    CreatedAt: new Date(Number(info.first_seen_time ?? time)).toISOString(),
    UpdatedAt: new Date(o.now).toISOString(),
    FirstObservedAt: new Date(Number(info.first_seen_time ?? time)).toISOString(),
    LastObservedAt: new Date(time).toISOString(),
    Severity: {
      Label: LABELS[Number(f.severity_id ?? 0)] ?? 'INFORMATIONAL',
      Original: String(f.severity_id ?? 0),
    },
    Title: cut(String(info.title ?? 'Warden finding'), 256),
    Description: cut(String(f.message ?? info.desc ?? info.title ?? ''), 1024) || 'Warden finding',
    ProductName: 'Warden',
    CompanyName: 'Warden',
    Resources: [
      {
        Type: 'AwsLambdaFunction',
        Id: arn,
        Partition: partition,
        Region: region,
        ...(resource.name ? { Details: { AwsLambdaFunction: { FunctionName: String(resource.name) } } } : {}),
      },
    ],
    ProductFields: productFields,
    RecordState: 'ACTIVE',
    Workflow: { Status: 'NEW' },
  };
}

/**
 * The BatchImportFindings request bodies for these findings: each at most 100 findings and 6 MB.
 * A finding over 240 KB (Security Hub refuses it) is counted in `skipped`, not sent.
 */
export function asffBatches(
  findings: readonly unknown[],
  o: AsffOptions,
): { batches: { Findings: Json[] }[]; skipped: number } {
  const batches: { Findings: Json[] }[] = [];
  let skipped = 0;
  let current: Json[] = [];
  let bytes = 0;
  const envelope = Buffer.byteLength('{"Findings":[]}');
  for (const finding of findings) {
    const asff = toAsff(finding, o);
    if (!asff) {
      skipped++;
      continue;
    }
    const size = Buffer.byteLength(JSON.stringify(asff));
    if (size > MAX_FINDING_BYTES) {
      skipped++;
      continue;
    }
    if (
      current.length === MAX_FINDINGS_PER_CALL ||
      envelope + bytes + size + current.length > MAX_CALL_BYTES
    ) {
      batches.push({ Findings: current });
      current = [];
      bytes = 0;
    }
    current.push(asff);
    bytes += size;
  }
  if (current.length > 0) batches.push({ Findings: current });
  return { batches, skipped };
}
