// The console's grouping as `warden invoke` and `warden demo` run it in memory (the same ingest
// loop as `warden serve`): one invocation is one incident whatever order its findings come in; a
// repeat of rule, package and target extends an incident while it is alive (last finding within
// the hour, first within 24 hours); anything else opens another.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const lib = createRequire(import.meta.url)('../../dist/lib.cjs');
const HOUR = 3_600_000;
const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:orders';

const finding = (
  uid,
  time,
  requestId,
  { rule = 'warden.process.spawn', path = '/bin/sh', pkg = 'ejs', severity = 4, arn = ARN } = {},
) => ({
  time,
  severity_id: severity,
  disposition: 'Detected',
  metadata: { uid, ...(requestId ? { correlation_uid: requestId } : {}) },
  finding_info: {
    title: `${rule} fired`,
    analytic: { uid: rule },
    attacks: [{ technique: { uid: 'T1059' } }],
  },
  resources: [{ uid: arn, name: arn.split(':').pop() }],
  evidences: [{ process: { file: { path } } }],
  unmapped: { package: pkg },
});

test('one invocation is one incident, in any order of arrival; its most severe finding names it', async () => {
  const t = Date.UTC(2026, 11, 3);
  const groups = await lib.groupFindings([
    finding('c', t + 2, 'r1', {
      rule: 'warden.rule.proc-environ-read',
      path: '/proc/self/environ',
      severity: 5,
    }),
    finding('a', t, 'r1'),
    finding('b', t + 1, 'r1', { rule: 'warden.detect.command-injection' }),
    { not: 'a finding' },
  ]);
  assert.equal(groups.length, 1);
  assert.equal(groups[0].incident.findings, 3);
  assert.equal(groups[0].incident.title, 'warden.rule.proc-environ-read fired');
  assert.deepEqual(
    groups[0].findings.map((f) => f.metadata.uid),
    ['a', 'b', 'c'],
  );
});

test('a repeat extends an incident while it is alive; after an hour of quiet, past 24 hours, or on another target or function, a new one', async () => {
  const t = Date.UTC(2026, 11, 3);
  const groups = await lib.groupFindings([
    finding('1', t, 'r1'),
    finding('2', t + 50 * 60_000, 'r2'), // 50 min later: extends
    finding('3', t + 100 * 60_000, 'r3'), // 50 min after that: extends (keep-alive from the last)
    finding('4', t + 100 * 60_000 + HOUR + 1, 'r4'), // over an hour of quiet: new
    finding('5', t + 101 * 60_000, 'r5', { path: '/usr/bin/curl' }), // another target: new
    finding('6', t + 101 * 60_000, 'r6', { arn: `${ARN}-2` }), // another function: new
  ]);
  assert.deepEqual(
    groups.map((g) => g.findings.map((f) => f.metadata.uid)),
    [['1', '2', '3'], ['5'], ['6'], ['4']],
  );
  assert.equal(groups[0].incident.invocations, 3);
  // A chain of repeats every 50 minutes ends at 24 hours from the first.
  const chain = Array.from({ length: 40 }, (_, i) => finding(`k${i}`, t + i * 50 * 60_000, `q${i}`));
  const split = await lib.groupFindings(chain);
  assert.equal(split.length, 2);
  assert.ok(split[0].incident.lastSeen - split[0].incident.firstSeen <= lib.MAX_SPAN_MS);
});

test('the target of a finding: the program, the file, the destination, the API', () => {
  assert.equal(lib.targetOf({ evidences: [{ process: { file: { path: '/bin/sh' } } }] }), '/bin/sh');
  assert.equal(lib.targetOf({ evidences: [{ file: { path: '/etc/passwd' } }] }), '/etc/passwd');
  assert.equal(
    lib.targetOf({ evidences: [{ file: { path: '/proc/4242/environ' } }] }),
    '/proc/<pid>/environ',
  );
  assert.equal(
    lib.targetOf({ evidences: [{ file: { path: '/proc/self/environ' } }] }),
    '/proc/<pid>/environ',
  );
  assert.equal(
    lib.targetOf({ evidences: [{ dst_endpoint: { hostname: 'evil.example', port: 443 } }] }),
    'evil.example:443',
  );
  assert.equal(
    lib.targetOf({ evidences: [{ dst_endpoint: { ip: '127.0.0.9', port: 80 } }] }),
    '127.0.0.9:80',
  );
  assert.equal(lib.targetOf({ evidences: [{ data: { api: 'eval' } }] }), 'eval');
  assert.equal(lib.targetOf({}), '');
  assert.equal(lib.factsOf({ time: 1 }).ok, false);
});
