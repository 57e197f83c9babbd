// The Amazon Security Lake export: the console's Detection Findings as a custom source's objects
// (`warden export securitylake`), read back with an independent Parquet reader (hyparquet):
// the region=/accountId=/eventDay= layout from each function's ARN and each finding's day; zstd
// in every column chunk; rows sorted by time; OCSF 1.1.0 (every column an attribute of 1.1.0's
// Detection Finding, checked against its definitions); nothing lost (what 1.1.0 lacks is in
// unmapped); the same findings exported again give the same objects. On both stores.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { NODE, ROOT, tempDir } from '../helpers.mjs';
import { freshDatabase, postgresUnavailable } from '../postgres.mjs';
import { CLI, run } from '../sandbox-helpers.mjs';
import { demo } from './browser-helpers.mjs';
import { postBatch, startServe } from './serve-helpers.mjs';

const TOKEN = 'lake-test-token';
const [major, minor] = process.versions.node.split('.').map(Number);
const HAS_SQLITE = major > 22 || (major === 22 && minor >= 13);
const HAS_ZSTD = major > 23 || (major === 23 && minor >= 8) || (major === 22 && minor >= 15);
const NO_POSTGRES = await postgresUnavailable();
const NO_ZSTD = { skip: `zlib's zstd needs Node 22.15 or later (this is ${process.version})` };
const SKIP = {
  sqlite: !HAS_ZSTD
    ? NO_ZSTD
    : HAS_SQLITE
      ? {}
      : { skip: `node:sqlite needs Node 22.13 or later (this is ${process.version})` },
  postgres: !HAS_ZSTD ? NO_ZSTD : NO_POSTGRES ? { skip: NO_POSTGRES } : {},
};

const OCSF_110 = join(ROOT, 'test', 'fixtures', 'ocsf-1.1.0');
const read = (rel) => JSON.parse(readFileSync(join(OCSF_110, rel), 'utf8'));
const dictionary = read('dictionary.json').attributes;

/** An OCSF 1.1.0 definition's attributes: its parent's, its includes', its own. */
function attributesOf(rel) {
  const def = read(rel);
  let attrs = {};
  if (def.extends) {
    const parent = [
      `events/${def.extends}.json`,
      `events/findings/${def.extends}.json`,
      `objects/${def.extends}.json`,
    ].find((r) => existsSync(join(OCSF_110, r)));
    if (parent) attrs = attributesOf(parent);
  }
  for (const inc of def.attributes?.$include ?? []) attrs = { ...attrs, ...read(inc).attributes };
  attrs = { ...attrs, ...def.attributes };
  delete attrs.$include;
  return attrs;
}

/** Whether a column path (names of nested fields) is an attribute path of 1.1.0's Detection Finding. */
function inOcsf110(path) {
  let attrs = {
    ...attributesOf('events/findings/detection_finding.json'),
    ...read('profiles/security_control.json').attributes,
    ...read('profiles/cloud.json').attributes,
  };
  for (const [i, name] of path.entries()) {
    const a = attrs[name];
    if (!a) return false;
    if (i === path.length - 1) return true;
    const type = a.type ?? dictionary[name]?.type;
    if (!type || type.endsWith('_t') || !existsSync(join(OCSF_110, 'objects', `${type}.json`))) return false;
    attrs = attributesOf(`objects/${type}.json`);
  }
  return false;
}

/** The leaf column paths of a Parquet schema, list wrappers (list/element) left out. */
function columnPaths(metadata) {
  return metadata.row_groups[0].columns.map((c) =>
    c.meta_data.path_in_schema.filter(
      (p, i, all) => !(p === 'list' && all[i + 1] === 'element') && p !== 'element',
    ),
  );
}

function filesUnder(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }))
      e.isDirectory() ? walk(join(d, e.name)) : out.push(relative(dir, join(d, e.name)));
  };
  walk(dir);
  return out.sort();
}

/** The demo's findings as if from two accounts and two days, and something that is not a finding of ours. */
function fleetOf(findings) {
  const out = [];
  for (const [n, f] of findings.entries()) {
    out.push(f);
    const other = structuredClone(f);
    other.metadata.uid = `${f.metadata.uid}-eu`;
    other.finding_info.uid = other.metadata.uid;
    other.resources[0].uid = f.resources[0].uid.replace('us-east-1:123456789012', 'eu-west-1:210987654321');
    other.time = Date.UTC(2026, 10, 30, 8, 0, n);
    out.push(other);
  }
  return out;
}

for (const backend of ['sqlite', 'postgres']) {
  test(
    `[${backend}] Security Lake: OCSF 1.1.0 Parquet (zstd) in the region/account/day layout, read back`,
    SKIP[backend],
    async () => {
      const { dir, cleanup } = tempDir('warden-lake-');
      const db = backend === 'postgres' ? await freshDatabase() : join(dir, 'console.sqlite');
      const findings = fleetOf(await demo());
      const serve = await startServe({ db, token: TOKEN });
      try {
        assert.equal((await postBatch(serve.url, findings, { token: TOKEN })).status, 200);
      } finally {
        await serve.stop();
      }
      try {
        const exportLake = (...args) => run(NODE, [CLI, 'export', 'securitylake', '--db', db, ...args]);
        const out = join(dir, 'lake');
        const r = await exportLake('--out', out, '--json');
        assert.equal(r.code, 0, r.stderr);
        const summary = JSON.parse(r.stdout);
        assert.equal(summary.findings, findings.length);
        assert.equal(summary.skipped, 0);
        const files = filesUnder(out);
        assert.deepEqual(files, [...summary.objects].sort());
        for (const f of files)
          assert.match(
            f,
            /^region=(us-east-1|eu-west-1)\/accountId=\d{12}\/eventDay=\d{8}\/warden-[0-9a-f]{24}\.parquet$/,
          );
        assert.ok(
          files.some((f) => f.startsWith('region=eu-west-1/accountId=210987654321/eventDay=20261130/')),
        );
        assert.ok(files.some((f) => f.startsWith('region=us-east-1/accountId=123456789012/')));
        const byUid = new Map(findings.map((f) => [f.metadata.uid, f]));
        let rows = 0;
        for (const f of files) {
          const buf = readFileSync(join(out, f));
          const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
          const metadata = parquetMetadata(file);
          for (const rg of metadata.row_groups)
            for (const c of rg.columns)
              assert.equal(c.meta_data.codec, 'ZSTD', c.meta_data.path_in_schema.join('.'));
          // Every column an attribute of OCSF 1.1.0's Detection Finding.
          for (const path of columnPaths(metadata))
            assert.ok(inOcsf110(path), `${path.join('.')} is not in OCSF 1.1.0`);
          const objects = await parquetReadObjects({ file, compressors });
          rows += objects.length;
          const [region, account, day] = f.split('/').map((p) => p.split('=')[1]);
          const times = objects.map((o) => Number(o.time instanceof Date ? o.time.getTime() : o.time));
          assert.deepEqual(
            times,
            [...times].sort((a, b) => a - b),
            'sorted by time',
          );
          for (const o of objects) {
            const original = byUid.get(o.metadata.uid);
            assert.ok(original, o.metadata.uid);
            assert.equal(o.class_uid, 2004);
            assert.equal(o.metadata.version, '1.1.0');
            assert.equal(
              new Date(Number(o.time instanceof Date ? o.time.getTime() : o.time))
                .toISOString()
                .slice(0, 10)
                .replaceAll('-', ''),
              day,
            );
            assert.equal(o.resources[0].uid.split(':')[3], region);
            assert.equal(o.resources[0].uid.split(':')[4], account);
            assert.equal(o.finding_info.title, original.finding_info.title);
            assert.equal(o.finding_info.analytic.uid, original.finding_info.analytic.uid);
            assert.deepEqual(
              o.finding_info.attacks.map((a) => a.technique.uid),
              original.finding_info.attacks.map((a) => a.technique.uid),
            );
            assert.equal(o.severity_id, original.severity_id);
            assert.equal(o.disposition, original.disposition);
            const ev = original.evidences[0];
            if (ev.process?.cmd_line) assert.equal(o.evidences[0].process.cmd_line, ev.process.cmd_line);
            if (ev.file?.path) assert.equal(o.evidences[0].file.path, ev.file.path);
            assert.deepEqual(JSON.parse(o.evidences[0].data), ev.data);
            // What OCSF 1.1.0 has no place for is kept in unmapped, with Warden's own fields.
            const unmapped = JSON.parse(o.unmapped);
            assert.equal(unmapped.package, original.unmapped.package);
            assert.equal(unmapped.ocsf_1_5.is_alert, original.is_alert);
            assert.equal(unmapped.ocsf_1_5['finding_info.product'].name, 'Warden');
          }
        }
        assert.equal(rows, findings.length);
        // Exported again: the same objects, byte for byte (named by what they hold).
        const again = join(dir, 'again');
        assert.equal((await exportLake('--out', again)).code, 0);
        assert.deepEqual(filesUnder(again), files);
        for (const f of files) assert.ok(readFileSync(join(again, f)).equals(readFileSync(join(out, f))), f);
        // A period: only the day of the copies.
        const day = join(dir, 'day');
        const d = await exportLake('--out', day, '--since', '2026-11-30', '--until', '2026-12-01', '--json');
        assert.equal(JSON.parse(d.stdout).findings, findings.length / 2);
        assert.ok(filesUnder(day).every((f) => f.includes('eventDay=20261130')));
        const bad = await exportLake('--out', day, '--since', 'yesterday');
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--since yesterday: an ISO date/);
      } finally {
        cleanup();
      }
    },
  );
}

test(
  'on a Node without zstd, the export says what it needs and fails',
  HAS_ZSTD ? { skip: 'this Node has zstd' } : {},
  async () => {
    const { dir, cleanup } = tempDir('warden-lake-old-');
    try {
      const r = await run(NODE, [
        CLI,
        'export',
        'securitylake',
        '--db',
        'postgres://nobody@127.0.0.1:1/x',
        '--out',
        dir,
      ]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /zstd needs Node 22\.15 or later/);
    } finally {
      cleanup();
    }
  },
);
