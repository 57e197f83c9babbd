// Evasions: what an attacker inside the function tries once the obvious paths are closed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  describe,
  FIXTURE_PACKAGES as FIXTURE,
  findingsFor,
  NODE,
  REPORT,
  runSensor,
  SENSOR,
} from '../helpers.mjs';

const ALLOW_NODE = `version: 1\nprocess:\n  allow: [${JSON.stringify(NODE)}]\n`;
// These tests are about the child's own sensor. The watcher thread would kill the child first: it
// runs a script the function wrote to /tmp (drop-and-execute), which these tests do for brevity.
const NO_WATCHER = { WARDEN_WATCHER: 'off' };
// A child Node script that tries to run `touch <argv[2]>` and prints how that went.
const child = `try { require('child_process').execSync('touch ' + process.argv[2]); } catch (e) { process.stdout.write('child:' + e.code); }`;

test('a child Node process started with a scrubbed env still carries the sensor, in the same mode', async () => {
  const r = await runSensor(
    `${REPORT}
    const cp = require('child_process');
    require('fs').writeFileSync('$DIR/child.js', ${JSON.stringify(child)});
    record('scrubbed', cp.execFileSync(process.execPath, ['$DIR/child.js', '$DIR/m1'], { env: {} }).toString());
    record('forged', cp.execFileSync(process.execPath, ['$DIR/child.js', '$DIR/m2'], { env: { WARDEN_MODE: 'monitor', WARDEN_POLICY: '/dev/null', NODE_OPTIONS: '--no-warnings' } }).toString());
    record('execArgv', cp.execFileSync(process.execPath, ['--no-warnings', '$DIR/child.js', '$DIR/m3']).toString());
  `,
    { mode: 'enforce', policy: ALLOW_NODE, env: NO_WATCHER },
  );
  assert.equal(r.out.scrubbed, 'child:ERR_WARDEN_BLOCKED', JSON.stringify(r.out) + r.stderr);
  assert.equal(r.out.forged, 'child:ERR_WARDEN_BLOCKED');
  assert.equal(r.out.execArgv, 'child:ERR_WARDEN_BLOCKED');
  assert.ok(!r.markers('m1') && !r.markers('m2') && !r.markers('m3'));
  // The children's findings reach the same place as the parent's.
  assert.ok(findingsFor(r.findings, 'warden.process.spawn', 'Blocked').length >= 3, describe(r.findings));
});

test('a vm escape reaches the same hooked world', async () => {
  const r = await runSensor(
    `${REPORT}
    const vm = require('vm');
    const p = vm.runInNewContext('this.constructor.constructor("return process")()');
    try { p.mainModule.require('child_process').execSync('touch $DIR/m'); } catch (e) { record('escape', codeOf(e)); }
    try { vm.runInNewContext('this.constructor.constructor("return process")().binding("spawn_sync")').spawn({ file: 'touch', args: ['touch', '$DIR/m'], envPairs: [], stdio: [] }).error; record('raw', 'ran'); } catch (e) { record('raw', codeOf(e)); }
  `,
    { mode: 'enforce' },
  );
  assert.equal(r.out.escape, 'ERR_WARDEN_BLOCKED', JSON.stringify(r.out));
  assert.ok(!r.markers('m'));
});

test('hooks cannot be removed, replaced or re-wrapped by function code', async () => {
  const r = await runSensor(
    `${REPORT}
    const attempts = (function () { 'use strict'; return {
      bindingAssign: () => { process.binding('spawn_sync').spawn = () => ({}); },
      bindingDefine: () => Object.defineProperty(process.binding('spawn_sync'), 'spawn', { value: () => ({}) }),
      bindingDelete: () => { delete process.binding('spawn_sync').spawn; },
      protoAssign: () => { process.binding('process_wrap').Process.prototype.spawn = () => 0; },
      fsAssign: () => { process.binding('fs').open = () => 3; },
      realpathAssign: () => { process.binding('fs').realpath = () => '/etc/hostname'; },
      accessAssign: () => { process.binding('fs').access = () => undefined; },
      tcpAssign: () => { process.binding('tcp_wrap').TCP.prototype.connect = () => 0; },
      functionRestore: () => { globalThis.Function = Object.getPrototypeOf(Object.getPrototypeOf(() => {})).constructor; },
      killAssign: () => { process.kill = () => true; },
      envRedefine: () => Object.defineProperty(process, 'env', { value: {} }),
    }; })();
    for (const [k, f] of Object.entries(attempts)) { try { f(); record(k, 'changed'); } catch (e) { record(k, e.name); } }
    try { require('child_process').execSync('touch $DIR/m'); } catch (e) { record('afterwards', codeOf(e)); }
    try { require('module')._load('child_process').execFileSync('touch', ['$DIR/m']); } catch (e) { record('moduleLoad', codeOf(e)); }
    try { process.kill(1, 0); } catch (e) { record('kill', codeOf(e)); }
  `,
    { mode: 'enforce' },
  );
  for (const [k, v] of Object.entries(r.out)) {
    if (['afterwards', 'moduleLoad', 'kill'].includes(k))
      assert.equal(v, 'ERR_WARDEN_BLOCKED', `${k}: ${JSON.stringify(r.out)}`);
    else assert.equal(v, 'TypeError', `${k} must be refused: ${JSON.stringify(r.out)}`);
  }
  assert.ok(!r.markers('m'));
});

test('a replaced process.env object does not drop the sensor from children', async () => {
  const r = await runSensor(
    `${REPORT}
    const cp = require('child_process');
    process.env = { PATH: process.env.PATH };
    record('child', cp.execFileSync(process.execPath, ['-e', "try { require('child_process').execSync('true') } catch (e) { process.stdout.write(e.code) }"]).toString());
  `,
    { mode: 'enforce', policy: ALLOW_NODE },
  );
  assert.equal(r.out.child, 'ERR_WARDEN_BLOCKED', JSON.stringify(r.out) + r.stderr);
});

test('tampering with the stack machinery does not hide the package', async () => {
  const r = await runSensor(
    `${REPORT}
    const evil = require(${JSON.stringify(`${FIXTURE}/evil-pkg`)});
    Error.captureStackTrace = () => {};
    Error.prepareStackTrace = () => 'nothing to see';
    Error.stackTraceLimit = 0;
    try { evil.execSync('true'); } catch (e) { record('evil', codeOf(e)); }
    Object.defineProperty(Error, 'stackTraceLimit', { value: 0, writable: false });
    try { evil.readFile('/proc/self/environ'); } catch (e) { record('locked', codeOf(e)); }
  `,
    { mode: 'enforce', policy: 'version: 1\npackages:\n  evil-pkg: []\n' },
  );
  assert.equal(r.out.evil, 'ERR_WARDEN_BLOCKED');
  const spawn =
    findingsFor(r.findings, 'warden.process.spawn')[0] ?? findingsFor(r.findings, 'warden.package')[0];
  assert.equal(spawn.unmapped.package, 'evil-pkg', describe(r.findings));
  assert.equal(r.out.locked, 'ERR_WARDEN_BLOCKED', 'the default read denial holds whatever the attribution');
  assert.ok(findingsFor(r.findings, 'warden.sensor.tamper').length >= 1, describe(r.findings));
});

test('a symlink swapped between the check and the thread-pool open is caught on the opened file', async () => {
  const r = await runSensor(
    `${REPORT}
    const fs = require('fs');
    const race = (via) => new Promise((res) => {
      const link = '$DIR/x-' + via;
      // One busy thread-pool worker: the open below waits in the queue until after the swap.
      require('crypto').pbkdf2('p', 's', 300000, 32, 'sha256', () => {});
      fs.symlinkSync('$DIR/benign', link);
      const done = (e, d) => { record(via, e ? codeOf(e) : String(d).includes('CANARY') ? 'leaked' : 'benign'); res(); };
      if (via === 'callback') fs.readFile(link, 'utf8', done);
      else if (via === 'promise') (async () => { try { done(null, await fs.promises.readFile(link, 'utf8')); } catch (e) { done(e); } })();
      else fs.createReadStream(link).on('data', (d) => done(null, d)).on('error', done);
      // Same tick, before the thread pool opens it: point the checked link at the secrets.
      fs.unlinkSync(link);
      fs.symlinkSync('/proc/self/environ', link);
    });
    (async () => { await race('callback'); await race('promise'); await race('stream'); })();
  `,
    {
      mode: 'enforce',
      files: { benign: 'nothing here' },
      env: { AWS_SECRET_ACCESS_KEY: 'CANARY-RACE', UV_THREADPOOL_SIZE: '1' },
    },
  );
  for (const via of ['callback', 'promise', 'stream'])
    assert.equal(r.out[via], 'ERR_WARDEN_BLOCKED', `${via}: ${JSON.stringify(r.out)}`);
  assert.ok(!r.stdout.includes('CANARY-RACE'));
  // Judged once opened (the thread pool's callback), yet named after the code that asked: its
  // stack kept at the call, or its await chain (a read stream opens its file on a later tick,
  // with none of the caller's frames left).
  const reads = r.findings.filter((f) => /x-(callback|promise)$/.test(f.evidences[0].data.requested));
  assert.ok(reads.length >= 2, describe(r.findings));
  for (const f of reads) assert.equal(f.unmapped.package, '<function>', describe(r.findings));
});

test('loaded through NODE_OPTIONS (as the Lambda wrapper does), children with a scrubbed env stay guarded', async () => {
  const r = await runSensor(
    `${REPORT}
    const cp = require('child_process');
    require('fs').writeFileSync('$DIR/child.js', ${JSON.stringify(child)});
    record('scrubbed', cp.execFileSync(process.execPath, ['$DIR/child.js', '$DIR/m1'], { env: {} }).toString());
  `,
    {
      mode: 'enforce',
      policy: ALLOW_NODE,
      noSensor: true,
      env: { ...NO_WATCHER, NODE_OPTIONS: `--require ${SENSOR}` },
    },
  );
  assert.equal(r.out.scrubbed, 'child:ERR_WARDEN_BLOCKED', JSON.stringify(r.out) + r.stderr);
  assert.ok(!r.markers('m1'));
});
