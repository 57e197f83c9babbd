// The in-process watcher: a worker thread the sensor starts before the first child process (not
// before), which sees what children do after their start and kills what the policy denies, and
// whose death is reported and mended.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { describe, findingsFor, REPORT, runSensor } from '../helpers.mjs';

const API = "const api = globalThis[Symbol.for('warden.sensor')];";
// A shell script the function ships (written before the sensor starts: not a dropped file) that
// runs a program the policy denies, then leaves a marker.
const files = (dir) => {
  writeFileSync(join(dir, 'job.sh'), `sleep 2 && touch ${join(dir, 'MARKER')}\n`);
  chmodSync(join(dir, 'job.sh'), 0o755);
  return {};
};
const POLICY =
  'version: 1\nprocess:\n  default: deny\n  allow: [ { exe: sh } ]\nfiles:\n  exec: { default: allow, deny: [] }\n';

test('lazy: no watcher until the first child process; then a denied program a shell script runs is killed', async () => {
  const r = await runSensor(
    `${REPORT}${API}
    record('before', api.stats().watcher);
    const t0 = Date.now();
    const res = require('child_process').spawnSync('sh', ['$DIR/job.sh']);
    record('signal', res.signal);
    record('ms', Date.now() - t0);
    record('after', api.stats().watcher);`,
    { mode: 'enforce', policy: POLICY, files },
  );
  assert.equal(r.out.before, 'not started', r.stderr);
  assert.equal(r.out.after, 'watching');
  assert.ok(r.out.ms < 1500, `the script ended early: ${r.out.ms} ms`);
  assert.ok(!r.markers('MARKER'), 'sleep was killed before the script went on');
  const kill = r.findings.find((f) => f.unmapped.layer === 'watcher' && f.unmapped.killed);
  assert.ok(kill, describe(r.findings));
  assert.equal(kill.evidences[0].process.cmd_line, 'sleep 2');
  assert.equal(kill.evidences[0].data.api, 'procfs');
  // The shell itself the sensor judged at its start: reported once, by the sensor.
  const shells = r.findings.filter((f) => f.evidences[0].process?.cmd_line === `sh ${r.dir}/job.sh`);
  assert.ok(
    shells.every((f) => f.unmapped.layer === 'sensor'),
    describe(shells),
  );
});

test('a function that starts no child process never starts the watcher', async () => {
  const r = await runSensor(
    `${REPORT}${API}
    api.runInInvocation({ requestId: 'r1' }, () => require('fs').readFileSync(__filename));
    record('watcher', api.stats().watcher);`,
    { mode: 'enforce' },
  );
  assert.equal(r.out.watcher, 'not started', r.stderr);
});

test('WARDEN_WATCHER=off: the script runs its course; =always: the watcher starts with the sensor', async () => {
  const off = await runSensor(
    `${REPORT}${API}
    const res = require('child_process').spawnSync('sh', ['$DIR/job.sh']);
    record('status', res.status);
    record('watcher', api.stats().watcher);`,
    { mode: 'enforce', policy: POLICY, files, env: { WARDEN_WATCHER: 'off' } },
  );
  assert.equal(off.out.status, 0, off.stderr);
  assert.equal(off.out.watcher, 'off');
  assert.ok(off.markers('MARKER'));
  const always = await runSensor(
    `${REPORT}${API}
    setTimeout(() => record('watcher', api.stats().watcher), 1000);`,
    { mode: 'enforce', env: { WARDEN_WATCHER: 'always' } },
  );
  assert.equal(always.out.watcher, 'watching', always.stderr);
});

test('beside the opt-in extension (a channel to it) the watcher stays off unless WARDEN_WATCHER asks', async () => {
  const body = `${REPORT}${API}
    require('child_process').spawnSync('true');
    record('watcher', api.stats().watcher);`;
  const channel = { WARDEN_CHANNEL: '@warden/nowhere' };
  const policy = 'version: 1\nprocess:\n  allow: [ { exe: "true" } ]\n';
  const beside = await runSensor(body, { mode: 'enforce', policy, env: channel });
  assert.equal(beside.out.watcher, 'off', beside.stderr);
  const asked = await runSensor(body, {
    mode: 'enforce',
    policy,
    env: { ...channel, WARDEN_WATCHER: 'lazy' },
  });
  assert.equal(asked.out.watcher, 'watching', asked.stderr);
});

test("a function's worker thread shares the process's one watcher; its port and environment are the function's", async () => {
  const r = await runSensor(
    `${REPORT}${API}
    const { Worker } = require('worker_threads');
    const threads = () => require('fs').readdirSync('/proc/self/task').length;
    require('child_process').spawnSync('true');
    record('main', api.stats().watcher);
    const before = threads();
    const w = new Worker(\`
      const { parentPort } = require('worker_threads');
      const api = globalThis[Symbol.for('warden.sensor')];
      const first = [];
      parentPort.on('message', (m) => first.push(m));
      const res = require('child_process').spawnSync('sh', ['$DIR/job.sh']);
      setTimeout(() => parentPort.postMessage({
        watcher: api.stats().watcher, signal: res.signal, status: res.status, first,
        mark: Object.keys(process.env).filter((k) => k.includes('SHARED')),
      }), 50);
    \`, { eval: true });
    w.postMessage('hello');
    w.on('message', (m) => {
      record('worker', m);
      record('threads', threads() - before);
      w.terminate();
    });`,
    {
      mode: 'enforce',
      policy:
        'version: 1\nprocess:\n  default: deny\n  allow: [ { exe: sh }, { exe: "true" } ]\nfiles:\n  exec: { default: allow, deny: [] }\n',
      files,
    },
  );
  assert.equal(r.out.main, 'watching', r.stderr);
  assert.equal(r.out.worker.watcher, 'watching', r.stderr);
  // The function's own first message and environment, untouched.
  assert.deepEqual(r.out.worker.first, ['hello']);
  assert.deepEqual(r.out.worker.mark, []);
  // The worker thread alone: no second watcher thread.
  assert.equal(r.out.threads, 1);
  assert.ok(!r.markers('MARKER'), 'sleep was killed before the script went on');
  const kills = r.findings.filter((f) => f.unmapped.killed && f.evidences[0].process?.cmd_line === 'sleep 2');
  assert.equal(kills.length, 1, describe(r.findings));
});

test('a watcher thread that dies is reported at the end of the invocation and started again', async () => {
  const r = await runSensor(
    `${REPORT}${API}
    api.runInInvocation({ requestId: 'r1' }, () => require('child_process').spawnSync('true'));
    setTimeout(() => {
      api.runInInvocation({ requestId: 'r2' }, () => record('during', api.stats().watcher));
      record('after', api.stats().watcher);
    }, 300);`,
    { mode: 'monitor', env: { WARDEN_INJECT_FAULT: 'watcher' } },
  );
  assert.equal(r.out.during, 'stopped', r.stderr);
  const lost = findingsFor(r.findings, 'warden.sensor.watcher-lost');
  assert.ok(lost.length >= 1, describe(r.findings));
  assert.match(lost[0].finding_info.desc, /thread exited.*started again/);
  assert.equal(lost[0].metadata.correlation_uid, 'r2');
  assert.ok(lost[0].finding_info.attacks.some((a) => a.technique.uid === 'T1562.001'));
  assert.ok(['starting', 'watching', 'stopped'].includes(r.out.after), r.out.after);
});

test('a script the function wrote to /tmp and forked (Node allowed) is killed: drop-and-execute, the script named past the inherited --require', async () => {
  const r = await runSensor(
    `${REPORT}
    const M = require('path').join('$DIR', 'dropped.js');
    require('fs').writeFileSync(M, 'setTimeout(() => require("fs").writeFileSync(' + JSON.stringify(M + '.ran') + ', ""), 1500)');
    const c = require('child_process').fork(M);
    c.on('exit', (code, signal) => record('signal', signal));`,
    { mode: 'enforce', policy: `version: 1\nprocess:\n  allow: [${JSON.stringify(process.execPath)}]\n` },
  );
  assert.equal(r.out.signal, 'SIGKILL', r.stderr + describe(r.findings));
  assert.ok(!r.markers('dropped.js.ran'));
  const drop = r.findings.find((f) => f.finding_info.analytic.uid === 'warden.process.drop-exec');
  assert.ok(drop, describe(r.findings));
  assert.equal(drop.unmapped.layer, 'watcher');
  assert.equal(drop.evidences[0].data.script, `${r.dir}/dropped.js`);
});
