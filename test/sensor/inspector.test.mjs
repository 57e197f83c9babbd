// The inspector is a capability (code.inspector, denied by default): a session reads any
// object's internals (a hook's original function, the real environment under the secrets guard)
// and runs code. Every way in is judged: a session (callback and promises APIs, require and
// import), inspector.open, SIGUSR1 to itself, process._debugProcess.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describe, findingsFor, REPORT, runSensor } from '../helpers.mjs';

const script = `${REPORT}
const attempt = async (name, fn) => { try { record(name, (await fn()) ?? 'ok'); } catch (e) { record(name, codeOf(e)); } };
(async () => {
  await attempt('session', () => { const s = new (require('inspector').Session)(); s.connect(); s.disconnect(); });
  await attempt('promises', async () => { const { Session } = await import('node:inspector/promises'); const s = new Session(); s.connect(); s.disconnect(); });
  await attempt('esm', async () => { const m = await import('node:inspector'); const s = new m.Session(); s.connect(); s.disconnect(); });
  // Only ever at a process of our own: a child that SIGUSR1 ends.
  const child = require('child_process').spawn('sleep', ['5'], { stdio: 'ignore' });
  if (typeof child.pid === 'number' && child.pid > 0) await attempt('debugProcess', () => process._debugProcess(child.pid));
  else record('debugProcess', 'no child');
  child.kill();
})();
`;

const ALLOW_SLEEP = 'version: 1\nprocess:\n  allow: [sleep, /bin/sleep, /usr/bin/sleep]\n';

test('the inspector is denied by default: sessions, the promises API and import are refused before they connect', async () => {
  const r = await runSensor(script, { mode: 'enforce', policy: ALLOW_SLEEP });
  assert.equal(r.out.session, 'ERR_WARDEN_BLOCKED', JSON.stringify(r.out) + r.stderr);
  assert.equal(r.out.promises, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.esm, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.debugProcess, 'ERR_WARDEN_BLOCKED');
  const blocked = findingsFor(r.findings, 'warden.code.inspector', 'Blocked');
  // Three sessions (one repeats: counted on the first finding) and the signal.
  assert.ok(blocked.length >= 3, describe(r.findings));
  assert.ok(
    blocked.every((f) => f.unmapped.package === '<function>'),
    describe(blocked),
  );
});

test('SIGUSR1 to itself (which opens the inspector) and inspector.open are refused', async () => {
  const r = await runSensor(
    `${REPORT}
    try { process.kill(process.pid, 'SIGUSR1'); record('signal', 'sent'); } catch (e) { record('signal', codeOf(e)); }
    try { require('inspector').open(0, '127.0.0.1'); record('open', require('inspector').url() ?? 'closed'); } catch (e) { record('open', codeOf(e)); }
    try { process.kill(process.pid, 0); record('probe', 'ok'); } catch (e) { record('probe', codeOf(e)); }
  `,
    { mode: 'enforce' },
  );
  assert.equal(r.out.signal, 'ERR_WARDEN_BLOCKED', JSON.stringify(r.out) + r.stderr);
  assert.equal(r.out.open, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.probe, 'ok', 'signal 0 to itself is not the inspector');
});

test('monitor reports the inspector and changes nothing; a policy that allows it leaves it alone', async () => {
  const mon = await runSensor(script, { mode: 'monitor' });
  assert.equal(mon.out.session, 'ok', JSON.stringify(mon.out) + mon.stderr);
  assert.equal(mon.out.promises, 'ok');
  assert.equal(mon.out.esm, 'ok');
  assert.ok(
    findingsFor(mon.findings, 'warden.code.inspector', 'Detected').length >= 3,
    describe(mon.findings),
  );
  const allowed = await runSensor(script, {
    mode: 'enforce',
    policy: `${ALLOW_SLEEP}code:\n  inspector: allow\n`,
  });
  assert.equal(allowed.out.session, 'ok', JSON.stringify(allowed.out));
  assert.equal(allowed.out.promises, 'ok');
  assert.equal(findingsFor(allowed.findings, 'warden.code.inspector').length, 0, describe(allowed.findings));
});
