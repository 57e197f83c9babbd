/**
 * Amazon Security Lake custom source: Warden's Detection Findings as Security Lake takes a
 * custom source's data — OCSF 1.1.0 (the newest version it accepts), one event class per source,
 * Apache Parquet compressed with zstd, objects under `region=<region>/accountId=<account>/
 * eventDay=<YYYYMMDD>/` of the source's prefix, rows sorted by time.
 *
 * Findings are written as OCSF 1.5.0; the Parquet schema below holds the attributes Warden
 * writes that OCSF 1.1.0 also has (test/console/security-lake.test.mjs checks each column against
 * the 1.1.0 definitions). What 1.1.0 lacks is not lost: it goes into `unmapped` (a JSON string,
 * as every `json_t` attribute here), under `ocsf_1_5`.
 */
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { ByteWriter, parquetWrite } from 'hyparquet-writer';

export const SECURITY_LAKE_OCSF_VERSION = '1.1.0';
/** Rows per object: well under Security Lake's object size guidance for findings of a few KB. */
export const MAX_ROWS_PER_OBJECT = 50_000;

type Leaf = 'string' | 'int32' | 'int64' | 'timestamp' | 'boolean' | 'json';
/** A column: a leaf, or a group of fields; either may be a list. */
export type Field =
  | { name: string; type: Leaf; list?: boolean }
  | { name: string; fields: Field[]; list?: boolean };

const s = (name: string, list = false): Field => ({ name, type: 'string', ...(list ? { list } : {}) });
const i32 = (name: string): Field => ({ name, type: 'int32' });
const i64 = (name: string): Field => ({ name, type: 'int64' });
const ts = (name: string): Field => ({ name, type: 'timestamp' });
const json = (name: string): Field => ({ name, type: 'json' });
const group = (name: string, fields: Field[], list = false): Field => ({
  name,
  fields,
  ...(list ? { list } : {}),
});

const PRODUCT = group('product', [s('name'), s('vendor_name'), s('version')]);
const FILE = group('file', [
  s('name'),
  s('path'),
  i32('type_id'),
  group('hashes', [i32('algorithm_id'), s('algorithm'), s('value')], true),
]);

/** The Detection Finding (2004) columns Warden fills, as OCSF 1.1.0 names them. */
export const DETECTION_FINDING_SCHEMA: Field[] = [
  ts('time'),
  i32('class_uid'),
  s('class_name'),
  i32('category_uid'),
  s('category_name'),
  i32('activity_id'),
  s('activity_name'),
  i64('type_uid'),
  s('type_name'),
  i32('severity_id'),
  s('severity'),
  i32('action_id'),
  s('action'),
  i32('disposition_id'),
  s('disposition'),
  i32('status_id'),
  s('status'),
  i32('confidence_id'),
  i32('count'),
  s('message'),
  group('metadata', [
    s('version'),
    s('uid'),
    s('correlation_uid'),
    s('log_name'),
    s('profiles', true),
    PRODUCT,
  ]),
  group('finding_info', [
    s('uid'),
    s('title'),
    s('desc'),
    s('types', true),
    ts('first_seen_time'),
    ts('last_seen_time'),
    group('analytic', [s('uid'), s('name'), i32('type_id'), s('type')]),
    group(
      'attacks',
      [group('tactic', [s('uid'), s('name')]), group('technique', [s('uid'), s('name')]), s('version')],
      true,
    ),
  ]),
  group(
    'evidences',
    [
      group('process', [
        i32('pid'),
        s('name'),
        s('cmd_line'),
        ts('created_time'),
        s('lineage', true),
        FILE,
        group('parent_process', [i32('pid')]),
      ]),
      FILE,
      group('dst_endpoint', [s('ip'), s('hostname'), i32('port')]),
      group('query', [s('hostname'), s('type')]),
      json('data'),
    ],
    true,
  ),
  group('resources', [s('uid'), s('name'), s('type'), s('region'), s('version'), s('cloud_partition')], true),
  group('cloud', [s('provider'), s('region')]),
  json('unmapped'),
];

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A value projected onto a field: what the field holds, converted to its Parquet type, and
 * what it does not hold, returned apart (by path) so nothing is lost.
 */
function project(field: Field, value: unknown, path: string, left: Json): unknown {
  if (value === undefined || value === null) return null;
  if (field.list) {
    if (!Array.isArray(value)) {
      left[path] = value;
      return null;
    }
    const one: Field = { ...field, list: false };
    return value.map((v, i) => project(one, v, `${path}[${i}]`, left));
  }
  if ('fields' in field) {
    if (!isObj(value)) {
      left[path] = value;
      return null;
    }
    const out: Json = {};
    const known = new Set(field.fields.map((f) => f.name));
    for (const f of field.fields) out[f.name] = project(f, value[f.name], `${path}.${f.name}`, left);
    for (const [k, v] of Object.entries(value)) if (!known.has(k)) left[`${path}.${k}`] = v;
    return out;
  }
  switch (field.type) {
    case 'json':
      return JSON.stringify(value);
    case 'string':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'boolean':
      return Boolean(value);
    case 'timestamp':
    case 'int64':
      if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.round(value));
      left[path] = value;
      return null;
    case 'int32':
      if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 2 ** 31) return value;
      left[path] = value;
      return null;
  }
}

/** A finding (OCSF 1.5.0) as a row of OCSF 1.1.0: its columns, and what 1.1.0 lacks moved into `unmapped`. */
export function toSecurityLakeRow(finding: unknown): Json {
  const f: Json = isObj(finding) ? { ...finding } : {};
  const left: Json = {};
  const row: Json = {};
  const known = new Set(DETECTION_FINDING_SCHEMA.map((c) => c.name));
  for (const c of DETECTION_FINDING_SCHEMA) {
    if (c.name === 'unmapped') continue;
    const value =
      c.name === 'metadata' && isObj(f.metadata)
        ? { ...f.metadata, version: SECURITY_LAKE_OCSF_VERSION }
        : f[c.name];
    row[c.name] = project(c, value, c.name, left);
  }
  for (const [k, v] of Object.entries(f)) if (!known.has(k)) left[k] = v;
  const unmapped = isObj(f.unmapped) ? { ...f.unmapped } : {};
  if (Object.keys(left).length > 0) unmapped.ocsf_1_5 = left;
  row.unmapped = JSON.stringify(unmapped);
  return row;
}

/** The Parquet schema elements of the columns (3-level LISTs, every field optional). */
export function parquetSchema(fields: readonly Field[]): Json[] {
  const out: Json[] = [{ name: 'schema', num_children: fields.length }];
  const leafType: Record<Leaf, Json> = {
    string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
    json: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
    int32: { type: 'INT32' },
    int64: { type: 'INT64' },
    boolean: { type: 'BOOLEAN' },
    timestamp: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' },
  };
  const element = (f: Field, name: string): void => {
    if ('fields' in f) {
      out.push({ name, repetition_type: 'OPTIONAL', num_children: f.fields.length });
      for (const c of f.fields) add(c);
    } else out.push({ name, repetition_type: 'OPTIONAL', ...leafType[f.type] });
  };
  const add = (f: Field): void => {
    if (f.list) {
      out.push({ name: f.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 });
      out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
      element({ ...f, list: false }, 'element');
    } else element(f, f.name);
  };
  for (const f of fields) add(f);
  return out;
}

/** zstd from Node's zlib (Node 22.15 and later); undefined on a Node without it. */
export function zstdCompressor(): ((input: Uint8Array) => Uint8Array) | undefined {
  const compress = (zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Buffer }).zstdCompressSync;
  return compress ? (input) => new Uint8Array(compress(input)) : undefined;
}

/** One Parquet object (zstd) of Detection Finding rows, sorted by time. */
export function detectionFindingsParquet(findings: readonly unknown[], createdBy: string): Uint8Array {
  const zstd = zstdCompressor();
  if (!zstd) throw new Error(`zstd needs Node 22.15 or later (this is ${process.version})`);
  const rows = findings
    .map(toSecurityLakeRow)
    .sort((a, b) => Number((a.time as bigint | null) ?? 0n) - Number((b.time as bigint | null) ?? 0n));
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData: DETECTION_FINDING_SCHEMA.map((c) => ({ name: c.name, data: rows.map((r) => r[c.name]) })),
    schema: parquetSchema(DETECTION_FINDING_SCHEMA) as never,
    codec: 'ZSTD',
    compressors: { ZSTD: zstd } as never,
    createdBy,
  });
  return new Uint8Array(writer.getBuffer());
}

/** Where a finding goes: its function's region and account (from the ARN), its UTC day. */
export function partitionOf(
  finding: unknown,
): { region: string; accountId: string; eventDay: string } | undefined {
  const f = isObj(finding) ? finding : {};
  const arn = String((f.resources as Json[] | undefined)?.[0]?.uid ?? '');
  const [, , , region, accountId] = arn.split(':');
  if (!region || !accountId || !/^\d{12}$/.test(accountId) || typeof f.time !== 'number') return undefined;
  return { region, accountId, eventDay: new Date(f.time).toISOString().slice(0, 10).replaceAll('-', '') };
}

export interface LakeObject {
  /** The object's key under the source's prefix: region=…/accountId=…/eventDay=…/<name>.parquet */
  key: string;
  findings: unknown[];
}

/**
 * The objects an export writes: findings per partition, at most MAX_ROWS_PER_OBJECT each, named by
 * a digest of what they hold (exporting the same findings again writes the same keys). Findings
 * that are not Detection Findings, or whose function ARN names no region and account, are
 * counted in `skipped`.
 */
export function lakeObjects(findings: readonly unknown[]): { objects: LakeObject[]; skipped: number } {
  const parts = new Map<string, unknown[]>();
  let skipped = 0;
  for (const f of findings) {
    const p = partitionOf(f);
    if (!p || (f as Json).class_uid !== 2004) {
      skipped++;
      continue;
    }
    const prefix = `region=${p.region}/accountId=${p.accountId}/eventDay=${p.eventDay}`;
    const list = parts.get(prefix) ?? [];
    list.push(f);
    parts.set(prefix, list);
  }
  const objects: LakeObject[] = [];
  for (const [prefix, list] of [...parts.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for (let i = 0; i < list.length; i += MAX_ROWS_PER_OBJECT) {
      const chunk = list.slice(i, i + MAX_ROWS_PER_OBJECT);
      const digest = createHash('sha256');
      for (const f of chunk)
        digest.update(String(((f as Json).metadata as Json | undefined)?.uid ?? '')).update('\n');
      objects.push({ key: `${prefix}/warden-${digest.digest('hex').slice(0, 24)}.parquet`, findings: chunk });
    }
  }
  return { objects, skipped };
}
