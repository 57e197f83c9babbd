// The sensor never breaks the function: its own faults are caught, counted and reported.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { describe, findingsFor, REPORT, runSensor } from '../helpers.mjs';

const require = createRequire(import.meta.url);

const BODY = `${REPORT}
for (let i = 0; i < 3; i++) { try { require('child_process').execSync('touch $DIR/m' + i); record('spawn' + i, 'ran'); } catch (e) { record('spawn' + i, codeOf(e)); } }
record('read', require('fs').readFileSync(__filename, 'utf8').length > 0);
`;

test('fail-open: a fault in monitor mode, or where neither the policy nor a rule can refuse, lets the call through and is reported with a counter', async () => {
  const r = await runSensor(BODY, { mode: 'monitor', env: { WARDEN_INJECT_FAULT: 'process' } });
  assert.deepEqual([r.out.spawn0, r.out.spawn1, r.out.spawn2], ['ran', 'ran', 'ran'], r.stderr);
  assert.equal(r.out.read, true);
  const faults = findingsFor(r.findings, 'warden.sensor.fault');
  assert.ok(faults.length >= 1, describe(r.findings));
  assert.match(faults[0].finding_info.desc, /injected fault on process.*faults so far: 1/);
  assert.match(faults[0].finding_info.title, /let through/);
  const update = faults.find((f) => f.activity_id === 2);
  assert.ok(!update || update.count >= 2, 'repeats are counted, not repeated');
  assert.equal(r.code, 0);
  // Enforce mode, on a surface the default policy allows and no rule blocks (secret reads).
  const secrets = await runSensor(
    `${REPORT}
    const api = globalThis[Symbol.for('warden.sensor')];
    api.runInInvocation({ requestId: 'r' }, () => record('key', process.env.AWS_SECRET_ACCESS_KEY));`,
    { mode: 'enforce', env: { WARDEN_INJECT_FAULT: 'secrets', AWS_SECRET_ACCESS_KEY: 'canary-value' } },
  );
  assert.equal(secrets.out.key, 'canary-value', secrets.stderr);
  const f = findingsFor(secrets.findings, 'warden.sensor.fault');
  assert.ok(f.length >= 1 && /let through/.test(f[0].finding_info.title), describe(secrets.findings));
});

test('enforce mode: a fault on a surface the policy can deny blocks the call (a fault is never an allow)', async () => {
  // The default policy denies spawns: a fault while judging one must not let it run.
  const r = await runSensor(BODY, { mode: 'enforce', env: { WARDEN_INJECT_FAULT: 'process' } });
  assert.deepEqual([r.out.spawn0, r.out.spawn1, r.out.spawn2], Array(3).fill('ERR_WARDEN_BLOCKED'), r.stderr);
  assert.ok(!r.markers('m0'));
  assert.equal(r.out.read, true, 'other surfaces are unaffected');
  const faults = findingsFor(r.findings, 'warden.sensor.fault');
  assert.ok(faults.length >= 1, describe(r.findings));
  assert.match(faults[0].finding_info.title, /blocked/);
});

test('a fault the caller provokes near the stack limit never lets a denied write through, and is reported', async () => {
  // Recurse until the stack is nearly exhausted, then try a write outside /tmp at every depth
  // on the way back: at some depth the sensor's own judgement runs out of stack.
  const target = `/var/warden-stack-test-${process.pid}`;
  const r = await runSensor(
    `${REPORT}
    const fs = require('fs');
    let wrote = 0, refused = 0, other = 0, depth = 0;
    function down(n) {
      try { down(n + 1); } catch (e) { if (n === 0) throw e; if (depth === 0) depth = n; }
      if (depth - n < 400) {
        try { fs.writeFileSync(${JSON.stringify(target)}, 'x'); wrote++; } catch (e) { if (e && e.code === 'ERR_WARDEN_BLOCKED') refused++; else other++; }
      }
    }
    down(0);
    record('wrote', wrote); record('refused', refused); record('other', other);
  `,
    { mode: 'enforce', timeout: 60000 },
  );
  const wentThrough = require('node:fs').existsSync(target);
  require('node:fs').rmSync(target, { force: true }); // a failing run leaves nothing behind
  assert.equal(r.out.wrote, 0, `a denied write went through near the stack limit: ${JSON.stringify(r.out)}`);
  assert.ok(r.out.refused > 0, JSON.stringify(r.out));
  assert.ok(!wentThrough);
  // Every refusal is on record: the write's own finding where the judgement ran, a blocked
  // fault where it could not.
  const writes = findingsFor(r.findings, 'warden.files.write').length;
  const blockedFaults = findingsFor(r.findings, 'warden.sensor.fault').filter((f) =>
    /blocked/.test(f.finding_info.title),
  );
  assert.ok(writes + blockedFaults.length >= 1, describe(r.findings));
});

test('exotic input the sensor cannot parse never reaches the caller: a shell string with a bad escape', async () => {
  const body = `${REPORT}
    try { record('out', require('child_process').spawnSync('sh', ['-c', "echo $'\\\\xZZ'"]).stdout.toString().trim()); } catch (e) { record('out', e.name + ': ' + e.message); }`;
  const plain = await runSensor(body, { noSensor: true });
  const mon = await runSensor(body, { mode: 'monitor' });
  assert.equal(mon.out.out, plain.out.out, mon.stderr);
  assert.equal(findingsFor(mon.findings, 'warden.sensor.fault').length, 0, describe(mon.findings));
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

test("under Node's permission model the sensor still sees the call Node refuses, is not degraded, and the function still runs", async () => {
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
  // Judged at the public API first (monitor mode: reported, then Node's own refusal stands).
  assert.ok(
    r.stdoutFindings.some(
      (f) => f.finding_info.analytic.uid === 'warden.process.spawn' && f.unmapped.layer === 'sensor',
    ),
    r.stdout,
  );
  assert.ok(
    !r.stdoutFindings.some((f) => f.finding_info.analytic.uid === 'warden.sensor.degraded'),
    r.stdout,
  );
});

test("an error Node gives the call is the caller's, not a fault: a missing file is ENOENT in every mode", async () => {
  const body = `${REPORT}
    const fs = require('fs');
    try { fs.readFileSync('/nonexistent/warden/config'); } catch (e) { record('readFileSync', e.code); }
    try { fs.readFileSync('/nonexistent/warden/config', 'utf8'); } catch (e) { record('utf8', e.code); }
    try { fs.openSync('/nonexistent/warden/config', 'r'); } catch (e) { record('openSync', e.code); }
    fs.readFile('/nonexistent/warden/config', (e) => record('readFile', e && e.code));
    fs.promises.readFile('/nonexistent/warden/config').catch((e) => record('promises', e.code));`;
  for (const mode of ['monitor', 'enforce']) {
    const r = await runSensor(body, { mode });
    assert.deepEqual(
      r.out,
      { readFileSync: 'ENOENT', utf8: 'ENOENT', openSync: 'ENOENT', readFile: 'ENOENT', promises: 'ENOENT' },
      `${mode}: ${r.stderr}`,
    );
    assert.equal(
      findingsFor(r.findings, 'warden.sensor.fault').length,
      0,
      `${mode}: ${describe(r.findings)}`,
    );
  }
});

test('enforce mode: a fault judging generated code is refused where a detector could block it, though the policy allows eval', async () => {
  // An invocation whose input looks like code: the injection detectors judge generated code
  // (and block it in enforce mode), while the default policy allows eval.
  const body = `${REPORT}
    const api = globalThis[Symbol.for('warden.sensor')];
    api.runInInvocation({ requestId: 'r1', event: { body: "require('child_process').execSync('id')" } }, () => {
      try { record('fn', new Function('return 6 * 7')()); } catch (e) { record('fn', codeOf(e)); }
    });`;
  const env = { WARDEN_INJECT_FAULT: 'code' };
  const mon = await runSensor(body, { mode: 'monitor', env });
  assert.equal(mon.out.fn, 42, `monitor: let through ${JSON.stringify(mon.out)}`);
  const enf = await runSensor(body, { mode: 'enforce', env });
  assert.equal(enf.out.fn, 'ERR_WARDEN_BLOCKED', JSON.stringify(enf.out));
  const fault = findingsFor(enf.findings, 'warden.sensor.fault');
  assert.ok(fault.length >= 1 && /blocked/.test(fault[0].finding_info.title), describe(enf.findings));
});
