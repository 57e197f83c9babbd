// Findings as AWS Security Hub takes them (ASFF through BatchImportFindings), read back: every
// required field in its format, within Security Hub's limits (100 findings and 6 MB a call,
// Title 256 and Description 1024 characters), one ASFF finding per Warden finding.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const lib = createRequire(import.meta.url)('../../dist/lib.cjs');
const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:orders';
const REQUIRED = [
  'AwsAccountId',
  'CreatedAt',
  'Description',
  'GeneratorId',
  'Id',
  'ProductArn',
  'Resources',
  'SchemaVersion',
  'Severity',
  'Title',
  'Types',
  'UpdatedAt',
];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const finding = (i, extra = {}) => ({
  class_uid: 2004,
  time: Date.UTC(2026, 11, 3) + i,
  severity_id: (i % 6) + 1,
  disposition: 'Blocked',
  message: `Blocked: finding ${i}`,
  metadata: { uid: `u-${i}`, correlation_uid: `req-${i % 7}` },
  finding_info: {
    title: `Shell spawned ${i}`,
    first_seen_time: Date.UTC(2026, 11, 3),
    analytic: { uid: 'warden.rule.shell-spawned' },
    attacks: [
      { tactic: { name: 'Execution', uid: 'TA0002' }, technique: { uid: 'T1059.004', name: 'Unix Shell' } },
    ],
  },
  resources: [{ uid: ARN, name: 'orders' }],
  evidences: [{ process: { file: { path: '/bin/sh' } } }],
  unmapped: {
    package: 'ejs',
    mode: 'enforce',
    surface: 'process',
    input: { source: 'body.name', value: 'x; id' },
  },
  ...extra,
});

test('250 findings are three BatchImportFindings bodies of at most 100, each a valid ASFF finding', () => {
  const now = Date.UTC(2026, 11, 3, 12);
  const { batches, skipped } = lib.asffBatches(
    Array.from({ length: 250 }, (_, i) => finding(i)),
    { now },
  );
  assert.equal(skipped, 0);
  assert.deepEqual(
    batches.map((b) => b.Findings.length),
    [100, 100, 50],
  );
  const all = JSON.parse(JSON.stringify(batches)).flatMap((b) => b.Findings);
  assert.equal(new Set(all.map((f) => f.Id)).size, 250);
  for (const b of batches) assert.ok(Buffer.byteLength(JSON.stringify(b)) <= lib.MAX_CALL_BYTES);
  for (const f of all) {
    for (const key of REQUIRED) assert.ok(key in f, `${key} missing`);
    assert.equal(f.SchemaVersion, '2018-10-08');
    assert.equal(f.AwsAccountId, '123456789012');
    assert.equal(f.ProductArn, 'arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default');
    assert.match(f.CreatedAt, ISO);
    assert.equal(f.UpdatedAt, new Date(now).toISOString());
    assert.match(f.Severity.Label, /^(INFORMATIONAL|LOW|MEDIUM|HIGH|CRITICAL)$/);
    assert.deepEqual(f.Types, ['TTPs/Execution/T1059.004']);
    assert.deepEqual(f.Resources[0], {
      Type: 'AwsLambdaFunction',
      Id: ARN,
      Partition: 'aws',
      Region: 'eu-west-1',
      Details: { AwsLambdaFunction: { FunctionName: 'orders' } },
    });
    assert.ok(f.Title.length <= 256 && f.Description.length <= 1024);
    assert.equal(f.ProductFields['warden/input'], 'body.name: x; id');
    assert.ok(Object.keys(f.ProductFields).length <= 50);
  }
  assert.equal(all.find((f) => f.Id === 'warden/u-4').Severity.Label, 'CRITICAL', 'OCSF 5 is CRITICAL');
});

test('long titles and messages are cut to Security Hub’s lengths; a finding naming no function is not sent', () => {
  const long = finding(1, { message: 'x'.repeat(5000) });
  long.finding_info.title = 't'.repeat(400);
  const [asff] = lib.asffBatches([long], { now: 0 }).batches[0].Findings;
  assert.equal(asff.Title.length, 256);
  assert.equal(asff.Description.length, 1024);
  const orphan = finding(2, { resources: [{ uid: 'unknown' }] });
  assert.deepEqual(lib.asffBatches([orphan], { now: 0 }), { batches: [], skipped: 1 });
  // A gov-cloud function: its own partition in every ARN.
  const gov = finding(3, {
    resources: [{ uid: 'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f' }],
  });
  assert.match(lib.toAsff(gov, { now: 0 }).ProductArn, /^arn:aws-us-gov:securityhub:us-gov-west-1:/);
});
