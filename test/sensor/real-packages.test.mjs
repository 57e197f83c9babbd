// Real vulnerable npm packages, pinned at their vulnerable versions (devDependencies), exploited
// the way attackers do: Warden must see the exploit, name the package, and stop it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { describe, findingsFor, REPORT, ROOT, runSensor } from '../helpers.mjs';

// node-serialize 0.0.4 (CVE-2017-5941): unserialize() evals `_$$ND_FUNC$$_` values, so an
// immediately-invoked function in attacker JSON runs inside the package.
const handler = `${REPORT}
const serialize = require(${JSON.stringify(join(ROOT, 'test', 'node_modules', 'node-serialize'))});
const api = globalThis[Symbol.for('warden.sensor')];
// A Lambda handler reading a session cookie from an API Gateway event.
async function handler(event) {
  const cookie = Buffer.from(event.headers.Cookie.replace('session=', ''), 'base64').toString();
  const session = serialize.unserialize(cookie);
  return { statusCode: 200, body: 'hello ' + session.user };
}
const payload = JSON.stringify({ user: 'x', rce: "_$$ND_FUNC$$_function(){ require('child_process').execSync('touch $DIR/pwned') }()" });
const event = { httpMethod: 'GET', path: '/', headers: { Cookie: 'session=' + Buffer.from(payload).toString('base64') } };
api.runInInvocation({ requestId: 'req-rce', event }, () => handler(event)).then(
  (r) => record('status', r.statusCode),
  (e) => record('err', codeOf(e)),
);
`;

test('node-serialize RCE: monitor sees the shell and names node-serialize; enforce stops the deserialization', async () => {
  const mon = await runSensor(handler, { mode: 'monitor' });
  assert.ok(mon.markers('pwned'), 'monitor: the exploit ran (this is a real RCE)');
  const det = findingsFor(mon.findings, 'warden.process.spawn', 'Detected')[0];
  assert.ok(det, describe(mon.findings));
  assert.equal(det.unmapped.package, 'node-serialize');
  assert.equal(det.metadata.correlation_uid, 'req-rce');
  assert.match(det.evidences[0].process.cmd_line, /touch .*pwned/);

  const enf = await runSensor(handler, { mode: 'enforce' });
  assert.ok(!enf.markers('pwned'), 'enforce: no side effect');
  assert.equal(enf.out.err, 'ERR_WARDEN_BLOCKED', JSON.stringify(enf.out));
  // Enforce stops it one step earlier: the serialized function is never compiled.
  const blocked = findingsFor(enf.findings, 'warden.detect.deserialization', 'Blocked')[0];
  assert.ok(blocked, describe(enf.findings));
  assert.equal(blocked.unmapped.package, 'node-serialize');
  assert.equal(blocked.unmapped.input.source, 'headers.Cookie.session(base64)');
  assert.equal(
    findingsFor(enf.findings, 'warden.process.spawn', 'Blocked').length,
    0,
    'no shell was even tried',
  );
});

test('node-serialize RCE: library misuse is caught even where the function may run a shell', async () => {
  const policy =
    'version: 1\nprocess:\n  allow: [/bin/sh, /usr/bin/sh, /usr/bin/dash, touch]\npackages:\n  node-serialize: []\n';
  const r = await runSensor(handler, { mode: 'enforce', policy });
  assert.ok(!r.markers('pwned'));
  const f = findingsFor(r.findings, 'warden.package.capability', 'Blocked')[0];
  assert.ok(f, describe(r.findings));
  assert.match(f.finding_info.title, /node-serialize/);
});
