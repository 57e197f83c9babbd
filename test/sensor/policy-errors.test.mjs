// A bad policy: a clear error (file, line, field), a finding saying so, and the onPolicyError fallback.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describe, findingsFor, REPORT, runSensor } from '../helpers.mjs';

const SPAWN = `${REPORT}\ntry { require('child_process').execSync('touch $DIR/m'); record('spawn', 'ran'); } catch (e) { record('spawn', codeOf(e)); }`;

test('a malformed policy: stderr names file, line and field; default policy in monitor mode; a finding says so', async () => {
  const r = await runSensor(SPAWN, {
    mode: 'enforce',
    policy: 'version: 1\nmode: enforce\nnetwork:\n  allow:\n    - host: a.com\n      prot: 443\n',
  });
  assert.match(
    r.stderr,
    /warden: policy error: .*policy\.yaml:6:\d+: network\.allow\[0\]\.prot: unknown field "prot"; using default policy, monitor/,
  );
  assert.equal(r.out.spawn, 'ran', 'fallback is monitor mode: the function keeps working');
  assert.ok(r.markers('m'));
  const f = findingsFor(r.findings, 'warden.sensor.policy-error')[0];
  assert.ok(f, describe(r.findings));
  assert.match(f.finding_info.desc, /policy\.yaml:6/);
  assert.ok(
    findingsFor(r.findings, 'warden.process.spawn', 'Detected').length === 1,
    'and the default policy still reports',
  );
});

test('onPolicyError: default-enforce and deny-all, from the file or from WARDEN_ON_POLICY_ERROR', async () => {
  const broken = 'version: 1\nonPolicyError: default-enforce\nprocess: { default: sometimes }\n';
  const a = await runSensor(SPAWN, { policy: broken });
  assert.equal(a.out.spawn, 'ERR_WARDEN_BLOCKED', a.stderr);
  assert.match(a.stderr, /policy\.yaml:3.*process\.default/);
  const b = await runSensor(SPAWN, { policy: 'version: [\n', env: { WARDEN_ON_POLICY_ERROR: 'deny-all' } });
  assert.equal(b.out.spawn, 'ERR_WARDEN_BLOCKED');
  assert.match(b.stderr, /syntax error/);
});

test('a missing policy file is an error too', async () => {
  const r = await runSensor(SPAWN, { mode: 'enforce', env: { WARDEN_POLICY: '/nonexistent/warden.yaml' } });
  assert.match(r.stderr, /\/nonexistent\/warden\.yaml: cannot read policy/);
  assert.equal(r.out.spawn, 'ran');
});

test('a valid JSON policy applies', async () => {
  const r = await runSensor(SPAWN, {
    policy: JSON.stringify({ version: 1, mode: 'enforce' }),
    policyName: 'policy.json',
  });
  assert.equal(r.out.spawn, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.stderr, '');
});

test('WARDEN_MODE is read one way: `Enforce` enforces; `bogus` is reported on stderr and as a finding, and the policy keeps its own mode', async () => {
  const body = `${REPORT}
    try { require('child_process').execSync('touch $DIR/m'); record('spawn', 'ran'); } catch (e) { record('spawn', codeOf(e)); }`;
  const cased = await runSensor(body, { env: { WARDEN_MODE: 'Enforce' } });
  assert.equal(cased.out.spawn, 'ERR_WARDEN_BLOCKED', cased.stderr);
  assert.equal(findingsFor(cased.findings, 'warden.sensor.setting-invalid').length, 0);

  const bogus = await runSensor(body, {
    env: { WARDEN_MODE: 'bogus' },
    policy: 'version: 1\nmode: enforce\nprocess: { default: deny }\n',
  });
  assert.equal(bogus.out.spawn, 'ERR_WARDEN_BLOCKED', "the policy's own mode (enforce) stands");
  assert.match(bogus.stderr, /warden: setting: WARDEN_MODE="bogus": not one of monitor, enforce/);
  const f = findingsFor(bogus.findings, 'warden.sensor.setting-invalid');
  assert.equal(f.length, 1, describe(bogus.findings));
  assert.match(f[0].finding_info.desc, /WARDEN_MODE="bogus"/);

  const typo = await runSensor(body, { env: { WARDEN_MDOE: 'enforce' } });
  assert.equal(typo.out.spawn, 'ran', 'the default policy monitors');
  assert.match(typo.stderr, /WARDEN_MDOE is not a Warden setting \(did you mean WARDEN_MODE\?\)/);
  assert.equal(
    findingsFor(typo.findings, 'warden.sensor.setting-invalid').length,
    1,
    describe(typo.findings),
  );
});
