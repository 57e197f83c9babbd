// Processes: every child_process API and the raw bindings, in monitor and enforce mode, and
// allowed calls that must still work unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALLOW_TOUCH, describe, FIXTURE_PACKAGES, findingsFor, REPORT, runSensor } from '../helpers.mjs';

// Each entry: a way to run `touch $DIR/<marker>`, as a script body that records the outcome.
const PATHS = {
  spawn: `await new Promise((res) => { const c = cp.spawn('touch', [M]); c.on('error', (e) => { record('err', codeOf(e)); res(); }); c.on('exit', () => res()); });`,
  spawnShell: `await new Promise((res) => { const c = cp.spawn('touch ' + M, { shell: true }); c.on('error', (e) => { record('err', codeOf(e)); res(); }); c.on('exit', () => res()); });`,
  spawnSync: `const r = cp.spawnSync('touch', [M]); if (r.error) record('err', codeOf(r.error));`,
  exec: `await new Promise((res) => cp.exec('touch ' + M, (e) => { if (e) record('err', codeOf(e)); res(); }));`,
  execSync: `try { cp.execSync('touch ' + M); } catch (e) { record('err', codeOf(e)); }`,
  execFile: `await new Promise((res) => cp.execFile('touch', [M], (e) => { if (e) record('err', codeOf(e)); res(); }));`,
  execFilePromisified: `await require('util').promisify(cp.execFile)('touch', [M]).catch((e) => record('err', codeOf(e)));`,
  execFileSync: `try { cp.execFileSync('touch', [M]); } catch (e) { record('err', codeOf(e)); }`,
  fork: `require('fs').writeFileSync(M + '.js', 'require("fs").writeFileSync(' + JSON.stringify(M) + ', "")');
    await new Promise((res) => { const c = cp.fork(M + '.js'); c.on('error', (e) => { record('err', codeOf(e)); res(); }); c.on('exit', () => res()); });`,
  bindingSpawnSync: `
    const b = process.binding('spawn_sync');
    const r = b.spawn({ file: 'touch', args: ['touch', M], envPairs: [], stdio: [{ type: 'pipe', readable: true, writable: false }, { type: 'pipe', readable: false, writable: true }, { type: 'pipe', readable: false, writable: true }] });
    if (r.error) record('err', typeof r.error === 'object' ? codeOf(r.error) : r.error);`,
  bindingProcessWrap: `
    const { Process } = process.binding('process_wrap');
    const p = new Process();
    p.onexit = () => {};
    const opts = { file: 'touch', args: ['touch', M], envPairs: ['PATH=' + process.env.PATH], stdio: [{ type: 'ignore' }, { type: 'ignore' }, { type: 'ignore' }], cwd: process.cwd(), detached: false, windowsHide: false, windowsVerbatimArguments: false };
    const major = Number(process.versions.node.split('.')[0]);
    let err;
    try { err = major >= 24 ? p.spawn(opts.file, opts.args, opts.cwd, opts.envPairs, opts.stdio, 0, null, null) : p.spawn(opts); } catch (e) { record('err', codeOf(e)); }
    if (err) record('err', err);
    await new Promise((r) => setTimeout(r, 300));`,
  // Node >= 22.15: the process itself becomes the program (monitor: the script ends there).
  ...(typeof process.execve === 'function'
    ? {
        execve: `try { process.execve('/bin/sh', ['sh', '-c', 'touch ' + M]); } catch (e) { record('err', codeOf(e)); }`,
      }
    : {}),
};

const script = (body) => `${REPORT}
const cp = require('child_process');
const M = require('path').join(${JSON.stringify('$DIR')}, 'marker');
(async () => { ${body} await new Promise((r) => setTimeout(r, 200)); })();
`;

for (const [name, body] of Object.entries(PATHS)) {
  test(`process path ${name}: monitor reports, enforce blocks, an allowed call works`, async () => {
    // monitor: the spawn happens and is reported with its evidence
    const mon = await runSensor(script(body), { mode: 'monitor' });
    assert.equal(mon.code, 0, mon.stderr);
    assert.ok(mon.markers('marker'), `monitor: the process ran (${mon.stderr})`);
    const detected = findingsFor(mon.findings, 'warden.process.spawn', 'Detected');
    assert.ok(detected.length >= 1, `monitor finding: ${describe(mon.findings)}`);
    const ev = detected[0].evidences[0];
    assert.ok(ev.process.cmd_line.includes('marker') || name === 'fork', ev.process.cmd_line);
    assert.equal(detected[0].action_id, 1);
    assert.equal(detected[0].unmapped.package, '<function>');

    // enforce: blocked before the side effect, with ERR_WARDEN_BLOCKED (binding callers get an errno)
    const enf = await runSensor(script(body), { mode: 'enforce' });
    assert.equal(enf.code, 0, enf.stderr);
    assert.ok(!enf.markers('marker'), 'enforce: no marker file');
    // Raw binding callers get what the binding returns for a refused spawn: -EACCES.
    const expected = name.startsWith('binding') ? -13 : 'ERR_WARDEN_BLOCKED';
    assert.equal(enf.out.err, expected, JSON.stringify(enf.out));
    const blocked = findingsFor(enf.findings, 'warden.process.spawn', 'Blocked');
    assert.ok(blocked.length >= 1, describe(enf.findings));
    assert.equal(blocked[0].action_id, 2);
    assert.equal(blocked[0].disposition_id, 2);

    // allowed by policy: works as without Warden, no finding. (The fork path runs a script the
    // function wrote to its temp dir: the watcher thread rightly kills that as drop-and-execute,
    // test/sensor/watcher.test.mjs; here it is off, the sensor's hooks are under test.)
    const ok = await runSensor(script(body), {
      mode: 'enforce',
      policy: ALLOW_TOUCH.replace('allow: [', `allow: [${JSON.stringify(process.execPath)}, `),
      ...(name === 'fork' ? { env: { WARDEN_WATCHER: 'off' } } : {}),
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(
      ok.markers('marker'),
      `allowed: marker created (${JSON.stringify(ok.out)} ${describe(ok.findings)})`,
    );
    assert.equal(ok.out?.err, undefined);
    assert.equal(findingsFor(ok.findings, 'warden.process').length, 0, describe(ok.findings));
  });
}

test('a shell string is parsed: the commands inside it are in the event and judged', async () => {
  const r = await runSensor(
    `${REPORT}
    const cp = require('child_process');
    try { cp.execSync('touch $DIR/a && echo $(id -u) | base64 > $DIR/b'); } catch (e) { record('err', codeOf(e)); }
  `,
    { mode: 'enforce', policy: ALLOW_TOUCH },
  );
  assert.equal(r.out.err, 'ERR_WARDEN_BLOCKED');
  assert.ok(!r.markers('a'), 'nothing ran: the whole shell was refused');
  const f = findingsFor(r.findings, 'warden.process.spawn', 'Blocked')[0];
  assert.ok(f, describe(r.findings));
  assert.deepEqual(
    f.evidences[0].data.shell_commands.map((c) => c.split(' ')[0]),
    ['touch', 'echo', 'base64', 'id'],
  );
  assert.match(f.finding_info.desc, /(echo|base64|id)/);
});

test('spawns are attributed to the npm package that made them', async () => {
  const r = await runSensor(
    `${REPORT}
    const evil = require(${JSON.stringify(`${FIXTURE_PACKAGES}/evil-pkg`)});
    const helper = require(${JSON.stringify(`${FIXTURE_PACKAGES}/@acme/helper`)});
    try { evil.execSync('true'); } catch (e) { record('evil', codeOf(e)); }
    try { helper.viaEvil('true via'); } catch (e) { record('via', codeOf(e)); }
    const r2 = helper.spawn('true', []); record('helper', codeOf(r2.error));
    try { evil.evalInHere("require('child_process').execSync('true')"); } catch (e) { record('evalOrigin', codeOf(e)); }
  `,
    { mode: 'enforce' },
  );
  assert.equal(r.out.evil, 'ERR_WARDEN_BLOCKED');
  const pkgs = findingsFor(r.findings, 'warden.process.spawn').map((f) => f.unmapped.package);
  assert.ok(pkgs.includes('evil-pkg'), describe(r.findings));
  assert.ok(pkgs.includes('@acme/helper'), describe(r.findings));
  const via = r.findings.find(
    (f) => f.unmapped.packages.includes('@acme/helper') && f.unmapped.package === 'evil-pkg',
  );
  assert.ok(via, 'the chain lists the calling packages too');
  assert.ok(r.findings.every((f) => f.unmapped.stack.length > 0));
});

test('process.kill of a process that is not ours is refused; our own children are fine', async () => {
  const r = await runSensor(
    `${REPORT}
    const cp = require('child_process');
    try { process.kill(1, 0); record('init', 'sent'); } catch (e) { record('init', codeOf(e)); }
    try { process._kill && process._kill(1, 0); } catch (e) { record('raw', codeOf(e)); }
    const c = cp.spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)']);
    setTimeout(() => { try { process.kill(c.pid, 'SIGKILL'); record('child', 'killed'); } catch (e) { record('child', codeOf(e)); } }, 100);
  `,
    { mode: 'enforce', policy: `version: 1\nprocess:\n  allow: [${JSON.stringify(process.execPath)}]\n` },
  );
  assert.equal(r.out.init, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.raw, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.child, 'killed');
  assert.ok(findingsFor(r.findings, 'warden.process.kill', 'Blocked').length >= 1, describe(r.findings));
});

test('a wrapper is only as allowed as what it runs (timeout, env, xargs, nice …)', async () => {
  const policy = 'version: 1\nprocess:\n  allow: [timeout, env, nice, /usr/bin/true, /bin/true]\n';
  const r = await runSensor(
    `${REPORT}
    const cp = require('child_process');
    const t = (k, f) => { try { f(); record(k, 'ran'); } catch (e) { record(k, codeOf(e)); } };
    t('timeoutShell', () => cp.execFileSync('timeout', ['5', 'sh', '-c', 'touch $DIR/m1']));
    t('envTouch', () => cp.execFileSync('env', ['X=1', 'touch', '$DIR/m2']));
    t('niceNested', () => cp.execFileSync('nice', ['-n', '5', 'env', 'touch', '$DIR/m3']));
    t('allowed', () => cp.execFileSync('timeout', ['5', 'true']));
  `,
    { mode: 'enforce', policy },
  );
  assert.deepEqual(r.out, {
    timeoutShell: 'ERR_WARDEN_BLOCKED',
    envTouch: 'ERR_WARDEN_BLOCKED',
    niceNested: 'ERR_WARDEN_BLOCKED',
    allowed: 'ran',
  });
  assert.ok(!r.markers('m1') && !r.markers('m2') && !r.markers('m3'));
});
