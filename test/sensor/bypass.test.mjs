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
      // One busy thread-pool worker (long enough that a stalled main thread still swaps first):
      // the open below waits in the queue until after the swap.
      require('crypto').pbkdf2('p', 's', 1000000, 32, 'sha256', () => {});
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

test("the sensor's path as another option's value does not pass for the sensor: children and workers still carry it", async () => {
  // `--conditions=<sensor>` names the sensor and loads nothing; a check by substring took it for
  // a preload and left the child or worker unguarded.
  const r = await runSensor(
    `${REPORT}
    const cp = require('child_process');
    const { Worker } = require('worker_threads');
    require('fs').writeFileSync('$DIR/child.js', ${JSON.stringify(child)});
    const sensor = ${JSON.stringify(SENSOR)};
    record('child', cp.execFileSync(process.execPath, ['$DIR/child.js', '$DIR/m1'], { env: { NODE_OPTIONS: '--conditions=' + sensor } }).toString());
    const probe = "require('worker_threads').parentPort.postMessage(typeof globalThis[Symbol.for('warden.sensor')])";
    const inWorker = (opts) => new Promise((res) => { const w = new Worker(probe, { eval: true, ...opts }); w.on('message', res); w.on('error', (e) => res(codeOf(e))); });
    (async () => {
      record('workerArgv', await inWorker({ execArgv: ['--conditions', sensor], env: {} }));
      record('workerEnv', await inWorker({ env: { NODE_OPTIONS: '--conditions=' + sensor } }));
    })();
  `,
    { mode: 'enforce', policy: `${ALLOW_NODE}code:\n  workers: allow\n`, env: NO_WATCHER },
  );
  assert.equal(r.out.child, 'child:ERR_WARDEN_BLOCKED', JSON.stringify(r.out) + r.stderr);
  assert.ok(!r.markers('m1'));
  assert.equal(r.out.workerArgv, 'object');
  assert.equal(r.out.workerEnv, 'object');
});

test('what a child or worker would preload is judged before it starts: a data: URL as code, a file as a module', async () => {
  const source = "import { writeFileSync } from 'node:fs'; writeFileSync(process.cwd() + '/preloaded', '1');";
  const payload = `data:text/javascript;base64,${Buffer.from(source).toString('base64')}`;
  const script = `${REPORT}
    const cp = require('child_process');
    const { Worker } = require('worker_threads');
    const run = (env) => { try { cp.execFileSync(process.execPath, ['-e', '0'], { env, stdio: 'pipe' }); return 'ran'; } catch (e) { return codeOf(e) === 'ERR_WARDEN_BLOCKED' ? codeOf(e) : 'failed: ' + String(e.stderr).slice(0, 300); } };
    record('import', run({ NODE_OPTIONS: ${JSON.stringify(`--import=${payload}`)} }));
    record('require', run({ NODE_OPTIONS: '--require $DIR/evil.js' }));
    record('worker', await new Promise((res) => { try { new Worker('1', { eval: true, execArgv: ['--import', ${JSON.stringify(payload)}] }).on('exit', () => res('ran')).on('error', (e) => res(codeOf(e))); } catch (e) { res(codeOf(e)); } }));
  `;
  const policy = `${ALLOW_NODE}code:\n  eval: deny\n  workers: allow\n  modules: { deny: ["$DIR/evil.js"] }\n`;
  const files = {
    'evil.js': "require('fs').writeFileSync(require('path').join(__dirname, 'required'), '1');",
  };
  const enf = await runSensor(`(async () => { ${script} })();`, {
    mode: 'enforce',
    policy,
    files,
    env: NO_WATCHER,
  });
  assert.equal(enf.out.import, 'ERR_WARDEN_BLOCKED', JSON.stringify(enf.out) + enf.stderr);
  assert.equal(enf.out.require, 'ERR_WARDEN_BLOCKED');
  assert.equal(enf.out.worker, 'ERR_WARDEN_BLOCKED');
  assert.ok(!enf.markers('preloaded') && !enf.markers('required'));
  const blocked = findingsFor(enf.findings, 'warden.code', 'Blocked').map(
    (f) => f.evidences[0].api?.operation ?? '',
  );
  assert.ok(blocked.length >= 3, describe(enf.findings));
  // Monitor: reported, and the child starts as it would without Warden.
  const mon = await runSensor(`(async () => { ${script} })();`, {
    mode: 'monitor',
    policy,
    files,
    env: NO_WATCHER,
  });
  assert.equal(mon.out.require, 'ran', JSON.stringify(mon.out));
  assert.equal(mon.out.import, 'ran');
  assert.ok(mon.markers('required') && mon.markers('preloaded'));
  assert.ok(findingsFor(mon.findings, 'warden.code', 'Detected').length >= 3, describe(mon.findings));
});

test("a Node child's own command line and NODE_OPTIONS are judged too: --inspect (the inspector) and preloads before the script", async () => {
  // No debugger ever listens: the starts are refused before the child runs.
  const r = await runSensor(
    `${REPORT}
    const cp = require('child_process');
    const run = (args, env) => { try { cp.execFileSync(process.execPath, args, { env, stdio: 'pipe' }); return 'ran'; } catch (e) { return codeOf(e) === 'ERR_WARDEN_BLOCKED' ? codeOf(e) : 'failed'; } };
    record('argvInspect', run(['--inspect=127.0.0.1:0', '-e', '0'], {}));
    record('envInspect', run(['-e', '0'], { NODE_OPTIONS: '--inspect-brk=127.0.0.1:0' }));
    record('argvRequire', run(['--require', '$DIR/evil.js', '-e', '0'], {}));
    // A script's own arguments are the script's: not Node options.
    record('scriptArgs', run(['$DIR/ok.js', '--inspect', '--require', '$DIR/evil.js'], {}));
  `,
    {
      mode: 'enforce',
      policy: `${ALLOW_NODE}code:\n  modules: { deny: ["$DIR/evil.js"] }\n`,
      files: { 'evil.js': '', 'ok.js': '' },
      env: NO_WATCHER,
    },
  );
  assert.equal(r.out.argvInspect, 'ERR_WARDEN_BLOCKED', JSON.stringify(r.out) + r.stderr);
  assert.equal(r.out.envInspect, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.argvRequire, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.scriptArgs, 'ran');
  assert.ok(findingsFor(r.findings, 'warden.code.inspector', 'Blocked').length >= 2, describe(r.findings));
});
