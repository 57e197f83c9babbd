// Secrets: reads of the AWS credential variables, attributed to the reading package.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { describe, FIXTURE_PACKAGES, findingsFor, REPORT, runSensor } from '../helpers.mjs';

const EVIL = JSON.stringify(`${FIXTURE_PACKAGES}/evil-pkg`);
const env = {
  AWS_ACCESS_KEY_ID: 'ASIACANARY',
  AWS_SECRET_ACCESS_KEY: 'CANARYSECRET',
  AWS_SESSION_TOKEN: 'CANARYTOKEN',
  DB_PASSWORD: 'hunter2',
};
const policy = 'version: 1\nsecrets:\n  default: allow\n  deny: [evil-pkg]\n  names: [DB_PASSWORD]\n';

const READS = {
  property: `evil.secret('AWS_SECRET_ACCESS_KEY')`,
  session: `evil.secret('AWS_SESSION_TOKEN')`,
  extraName: `evil.secret('DB_PASSWORD')`,
  dump: `evil.dumpEnv()`,
  descriptor: `evil.secretByDescriptor('AWS_SECRET_ACCESS_KEY')`,
  spread: `evil.secretBySpread('AWS_SESSION_TOKEN')`,
  diagnosticReport: `evil.report()`,
};

for (const [name, expr] of Object.entries(READS)) {
  test(`secret read ${name}: monitor reports the package, enforce hides the value`, async () => {
    const body = `${REPORT}\nconst evil = require(${EVIL});\ntry { record('value', String(${expr})); } catch (e) { record('value', codeOf(e)); }`;
    const mon = await runSensor(body, { mode: 'monitor', env, policy });
    assert.match(mon.out.value, /CANARY|hunter2/, JSON.stringify(mon.out));
    const det = findingsFor(mon.findings, 'warden.secrets.read', 'Detected');
    assert.ok(det.length >= 1, describe(mon.findings));
    assert.equal(det[0].unmapped.package, 'evil-pkg');
    assert.ok(
      ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID', 'DB_PASSWORD'].includes(
        det[0].evidences[0].data.variable,
      ),
    );

    const enf = await runSensor(body, { mode: 'enforce', env, policy });
    assert.doesNotMatch(enf.out.value, /CANARY|hunter2/, JSON.stringify(enf.out));
    assert.ok(findingsFor(enf.findings, 'warden.secrets.read', 'Blocked').length >= 1);
  });
}

test('the function itself and allowed packages read their credentials unchanged', async () => {
  const r = await runSensor(
    `${REPORT}
    record('own', process.env.AWS_SECRET_ACCESS_KEY);
    record('desc', Object.getOwnPropertyDescriptor(process.env, 'AWS_SESSION_TOKEN').value);
    record('spread', { ...process.env }.AWS_ACCESS_KEY_ID);
  `,
    { mode: 'enforce', env, policy },
  );
  assert.deepEqual(r.out, { own: 'CANARYSECRET', desc: 'CANARYTOKEN', spread: 'ASIACANARY' });
  assert.equal(findingsFor(r.findings, 'warden.secrets').length, 0, describe(r.findings));
});

test("Warden's own settings cannot be changed through process.env", async () => {
  const r = await runSensor(
    `${REPORT}
    process.env.WARDEN_MODE = 'monitor';
    delete process.env.WARDEN_POLICY;
    record('mode', process.env.WARDEN_MODE);
    record('policy', typeof process.env.WARDEN_POLICY);
    try { require('child_process').execSync('true'); record('spawn', 'ran'); } catch (e) { record('spawn', codeOf(e)); }
  `,
    { mode: 'enforce', policy: 'version: 1\n' },
  );
  assert.equal(r.out.mode, 'enforce');
  assert.equal(r.out.policy, 'string');
  assert.equal(r.out.spawn, 'ERR_WARDEN_BLOCKED');
  assert.ok(findingsFor(r.findings, 'warden.sensor.tamper').length >= 1, describe(r.findings));
});

test('function code updates, defines and deletes its own variables as without the sensor', async () => {
  // The runtime client re-sets _X_AMZN_TRACE_ID on every invoke: an existing key must take a
  // plain assignment again (process.env refuses the partial descriptor a proxied [[Set]] makes).
  const r = await runSensor(
    `${REPORT}
    process.env.TRACE = 'a';
    process.env.TRACE = 'b';
    Object.defineProperty(process.env, 'OTHER', { value: 'x', writable: true, enumerable: true, configurable: true });
    const inherited = Object.create(process.env);
    inherited.TRACE = 'own';
    record('trace', process.env.TRACE);
    record('other', process.env.OTHER);
    record('inherited', inherited.TRACE + '/' + process.env.TRACE);
    delete process.env.TRACE;
    record('deleted', String(process.env.TRACE));
  `,
    { mode: 'enforce', policy: 'version: 1\n' },
  );
  assert.deepEqual(r.out, { trace: 'b', other: 'x', inherited: 'own/b', deleted: 'undefined' });
});

test("starting workers reads no credentials on the caller's behalf: learning records none for it", async () => {
  // The worker hook builds the worker's environment (the sensor put back in it) from this
  // thread's: the sensor's own look, never the calling package's read.
  const r = await runSensor(
    `${REPORT}
    const { Worker } = require('worker_threads');
    const opts = [{ eval: true }, { eval: true, env: process.env }, { eval: true, env: { A: '1' } }];
    Promise.all(opts.map((o) => new Promise((res) => new Worker('1', o).on('exit', res)))).then(() => record('done', true));
  `,
    { env: { AWS_SECRET_ACCESS_KEY: 'canary-key', WARDEN_LEARN: '$DIR/observations.jsonl' }, keep: true },
  );
  try {
    assert.equal(r.out?.done, true, r.stderr);
    const lines = readFileSync(join(r.dir, 'observations.jsonl'), 'utf8').split('\n').filter(Boolean);
    assert.ok(
      lines.some((l) => l.includes('"surface":"code"')),
      'the workers were observed',
    );
    assert.deepEqual(
      lines.filter((l) => l.includes('"surface":"secrets"')),
      [],
    );
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test('util.inspect and console.log of process.env do not print the credentials past the guard', async () => {
  // inspect prints a Proxy's target without running a trap: the target is a shadow whose secret
  // variables are accessors reading through the guard.
  const body = `${REPORT}
    const util = require('util');
    record('inspect', util.inspect(process.env).includes('canary-key'));
    record('getters', util.inspect(process.env, { getters: true }).includes('canary-key'));
    let logged = ''; const write = process.stdout.write; process.stdout.write = (s) => { logged += s; return true; };
    console.log(process.env); console.dir(process.env); process.stdout.write = write;
    record('console', logged.includes('canary-key'));
    process.env.ADDED = 'x'; delete process.env.USER_VAR;
    record('inspectSync', util.inspect(process.env).includes("ADDED: 'x'") && !util.inspect(process.env).includes('USER_VAR'));
    record('read', process.env.AWS_SECRET_ACCESS_KEY ?? 'unset');
  `;
  const env = { AWS_SECRET_ACCESS_KEY: 'canary-key', USER_VAR: 'u' };
  const deny = 'version: 1\nsecrets:\n  default: deny\n';
  const enf = await runSensor(body, { mode: 'enforce', env, policy: deny });
  assert.deepEqual(
    { ...enf.out },
    { inspect: false, getters: false, console: false, inspectSync: true, read: 'unset' },
    enf.stderr,
  );
  assert.ok(
    findingsFor(enf.findings, 'warden.secrets', 'Blocked').some(
      (f) =>
        f.evidences[0].api?.operation === 'util.inspect(process.env)' || /inspect/.test(JSON.stringify(f)),
    ),
    describe(enf.findings),
  );
  // Monitor: a read through inspect's getters is the function's to make, and reported.
  const mon = await runSensor(body, { mode: 'monitor', env, policy: deny });
  assert.equal(mon.out.inspect, false, 'the value is never printed without a read');
  assert.equal(mon.out.getters, true);
  assert.equal(mon.out.read, 'canary-key');
});

test('listing the environment is not reading it: Object.keys, Object.hasOwn and for…in are not credential reads; a descriptor, a spread or the descriptors are', async () => {
  const strict = 'version: 1\nmode: enforce\nsecrets:\n  default: deny\n';
  const listing = `${REPORT}
const keys = Object.keys(process.env).filter((k) => k.startsWith('AWS_'));
const names = []; for (const k in process.env) if (k.startsWith('AWS_')) names.push(k);
record('keys', keys.sort().join(','));
record('forIn', names.sort().join(','));
record('hasOwn', Object.hasOwn(process.env, 'AWS_SECRET_ACCESS_KEY') && Object.prototype.hasOwnProperty.call(process.env, 'AWS_SESSION_TOKEN'));
record('debugStyle', Object.keys(process.env).filter((k) => /^debug_/i.test(k)).length);`;
  const l = await runSensor(listing, { env, policy: strict });
  assert.equal(l.code, 0, l.stderr);
  assert.equal(l.out.keys, 'AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_SESSION_TOKEN');
  assert.equal(l.out.forIn, l.out.keys);
  assert.equal(l.out.hasOwn, true);
  assert.deepEqual(findingsFor(l.findings, 'warden.secrets'), [], describe(l.findings));
  for (const [name, expr] of Object.entries({
    descriptor: `Object.getOwnPropertyDescriptor(process.env, 'AWS_SECRET_ACCESS_KEY').value`,
    reflect: `Reflect.getOwnPropertyDescriptor(process.env, 'AWS_SECRET_ACCESS_KEY').value`,
    descriptors: `Object.getOwnPropertyDescriptors(process.env).AWS_SECRET_ACCESS_KEY.value`,
    spread: `({ ...process.env }).AWS_SECRET_ACCESS_KEY`,
    entries: `Object.fromEntries(Object.entries(process.env)).AWS_SECRET_ACCESS_KEY`,
  })) {
    const r = await runSensor(`${REPORT}\nrecord('v', String(${expr}));`, { env, policy: strict });
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.notEqual(r.out.v, 'CANARYSECRET', `${name}: the value came out`);
    assert.ok(findingsFor(r.findings, 'warden.secrets').length >= 1, `${name}: ${describe(r.findings)}`);
  }
});

test("a child given no env of its own inherits the function's: Node's copy for the spawn is not a credential read; the child reading it, or the function, is", async () => {
  const strict = 'version: 1\nmode: enforce\nsecrets:\n  default: deny\nprocess:\n  default: allow\n';
  const spawning = `${REPORT}
const cp = require('node:child_process');
const awk = (name) => ['BEGIN { printf "%s", ENVIRON["' + name + '"] }'];
record('sync', String(cp.execFileSync('awk', awk('AWS_SECRET_ACCESS_KEY'))));
cp.execFile('awk', awk('AWS_SESSION_TOKEN'), (e, out) => record('async', out));`;
  const s = await runSensor(spawning, { env, policy: strict });
  assert.equal(s.code, 0, s.stderr);
  // The child got the environment Lambda gives every process of the function.
  assert.equal(s.out.sync, 'CANARYSECRET');
  assert.ok(s.out.async.length > 0);
  assert.deepEqual(findingsFor(s.findings, 'warden.secrets'), [], describe(s.findings));
  // Copying it into an env of one's own is reading it: judged (the value withheld, reported).
  const copied = `${REPORT}
const cp = require('node:child_process');
record('v', String(cp.execFileSync('awk', ['BEGIN { printf "%s", ENVIRON["AWS_SECRET_ACCESS_KEY"] }'], { env: { ...process.env } })));`;
  const c = await runSensor(copied, { env, policy: strict });
  assert.equal(c.code, 0, c.stderr);
  assert.notEqual(c.out.v, 'CANARYSECRET');
  assert.ok(findingsFor(c.findings, 'warden.secrets').length >= 1, describe(c.findings));
});
