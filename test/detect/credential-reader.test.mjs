// A rule that follows a sequence across calls: a package that read the AWS credentials and then
// opens a connection that is not to AWS (a compromised dependency phoning home). The package is
// the one the stack names; a package that never read them, or the function itself, is not it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { describe, FIXTURE_PACKAGES, findingsFor, REPORT, runSensor } from '../helpers.mjs';

const ENV = {
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  AWS_ACCESS_KEY_ID: 'ASIAQWERTYUIOPASDFGH',
};
const script = (readFirst, copyFirst = false) => `${REPORT}
const net = require('net');
const evil = require(${JSON.stringify(join(FIXTURE_PACKAGES, 'evil-pkg'))});
const api = globalThis[Symbol.for('warden.sensor')];
const server = net.createServer((s) => s.on('error', () => {}).end());
server.listen(0, '127.0.0.1', async () => {
  await api.runInInvocation({ requestId: 'req-1', event: {} }, async () => {
    if (${readFirst}) record('read', evil.secret('AWS_SECRET_ACCESS_KEY') ? 'got it' : 'nothing');
    if (${copyFirst}) record('copied', evil.copyEnv() > 0);
    // The function's own read does not make the package a reader.
    record('fn', process.env.AWS_ACCESS_KEY_ID ? 'got it' : 'nothing');
    try { record('connect', await evil.connect(server.address().port, '127.0.0.1')); } catch (e) { record('connect', codeOf(e)); }
  });
  server.close();
});
`;

test('a package that read the AWS credentials and then connects out is blocked (enforce) and named', async () => {
  const enf = await runSensor(script(true), { mode: 'enforce', env: ENV });
  assert.equal(enf.out.read, 'got it', 'reading is allowed by the default policy');
  assert.equal(enf.out.connect, 'ERR_WARDEN_BLOCKED', describe(enf.findings));
  const f = findingsFor(enf.findings, 'warden.rule.credential-reader-connects', 'Blocked')[0];
  assert.ok(f, describe(enf.findings));
  assert.equal(f.unmapped.package, 'evil-pkg');
  assert.deepEqual(
    f.finding_info.attacks.map((a) => a.technique.uid),
    ['T1552', 'T1041'],
  );

  const mon = await runSensor(script(true), { mode: 'monitor', env: ENV });
  assert.equal(mon.out.connect, 'connected');
  assert.equal(findingsFor(mon.findings, 'warden.rule.credential-reader-connects', 'Detected').length, 1);
});

test('the same connection from a package that never read the credentials is not this rule', async () => {
  const r = await runSensor(script(false), { mode: 'enforce', env: ENV });
  assert.equal(r.out.connect, 'connected', describe(r.findings));
  assert.equal(findingsFor(r.findings, 'warden.rule.credential-reader-connects').length, 0);
});

test('a package that copies or lists the whole environment (dd-trace, stripe) is not a credential reader', async () => {
  for (const mode of ['enforce', 'monitor']) {
    const r = await runSensor(script(false, true), { mode, env: ENV });
    assert.equal(r.out.copied, true);
    assert.equal(r.out.connect, 'connected', `${mode}: ${describe(r.findings)}`);
    assert.equal(
      findingsFor(r.findings, 'warden.rule.credential-reader-connects').length,
      0,
      describe(r.findings),
    );
  }
  // Reading one secret by name after listing the keys is still a read.
  const listed = await runSensor(script(true, true), { mode: 'enforce', env: ENV });
  assert.equal(listed.out.connect, 'ERR_WARDEN_BLOCKED', describe(listed.findings));
});
