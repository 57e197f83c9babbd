// The sensor never breaks the function: its own faults are caught, counted and reported.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describe, findingsFor, REPORT, runSensor } from '../helpers.mjs';

const BODY = `${REPORT}
for (let i = 0; i < 3; i++) { try { require('child_process').execSync('touch $DIR/m' + i); record('spawn' + i, 'ran'); } catch (e) { record('spawn' + i, codeOf(e)); } }
record('read', require('fs').readFileSync(__filename, 'utf8').length > 0);
`;

test('fail-open: a fault in the judgement lets the call through and is reported with a counter', async () => {
  const r = await runSensor(BODY, { mode: 'enforce', env: { WARDEN_INJECT_FAULT: 'process' } });
  assert.deepEqual([r.out.spawn0, r.out.spawn1, r.out.spawn2], ['ran', 'ran', 'ran'], r.stderr);
  assert.equal(r.out.read, true);
  const faults = findingsFor(r.findings, 'warden.sensor.fault');
  assert.ok(faults.length >= 1, describe(r.findings));
  assert.match(faults[0].finding_info.desc, /injected fault on process.*faults so far: 1/);
  const update = faults.find((f) => f.activity_id === 2);
  assert.ok(!update || update.count >= 2, 'repeats are counted, not repeated');
  assert.equal(r.code, 0);
});

test('failClosed: a fault blocks the call instead', async () => {
  const r = await runSensor(BODY, {
    env: { WARDEN_INJECT_FAULT: 'process' },
    policy: 'version: 1\nmode: enforce\nfailClosed: true\nprocess: { default: allow }\n',
  });
  assert.equal(r.out.spawn0, 'ERR_WARDEN_BLOCKED', JSON.stringify(r.out));
  assert.ok(!r.markers('m0'));
  assert.equal(r.out.read, true, 'other surfaces are unaffected');
});

test('a fault on one surface does not disturb the others', async () => {
  const r = await runSensor(
    `${REPORT}
    try { require('fs').readFileSync('/proc/self/environ'); record('env', 'read'); } catch (e) { record('env', codeOf(e)); }
  `,
    { mode: 'enforce', env: { WARDEN_INJECT_FAULT: 'network' } },
  );
  assert.equal(r.out.env, 'ERR_WARDEN_BLOCKED');
});

test('a fault while reporting never turns a block into a pass', async () => {
  const r = await runSensor(BODY, { mode: 'enforce', env: { WARDEN_INJECT_FAULT: 'report' } });
  assert.equal(r.out.spawn0, 'ERR_WARDEN_BLOCKED', JSON.stringify(r.out));
  assert.ok(!r.markers('m0'));
  assert.ok(findingsFor(r.findings, 'warden.sensor.fault').length >= 1, describe(r.findings));
});

test("under Node's permission model the sensor says it runs degraded, and the function still runs", async () => {
  const flags = process.allowedNodeEnvironmentFlags.has('--permission')
    ? ['--permission']
    : ['--experimental-permission'];
  const r = await runSensor(
    `${REPORT}\nrecord('alive', true);\ntry { require('child_process').execSync('true'); } catch (e) { record('spawn', codeOf(e)); }`,
    {
      nodeArgs: [...flags, '--allow-fs-read=*'],
      stdoutFindings: true,
    },
  );
  assert.equal(r.out.alive, true, r.stderr);
  assert.equal(r.out.spawn, 'ERR_ACCESS_DENIED', 'Node itself refuses the child process');
  assert.ok(
    r.stdoutFindings.some((f) => f.finding_info.analytic.uid === 'warden.sensor.degraded'),
    r.stdout,
  );
});
