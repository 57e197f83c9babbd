// Node APIs that do their I/O in C++, outside the bindings the other hooks watch
// (docs/node-api-inventory.yaml): each is judged at its public API as the file it reads or
// writes and the environment it exposes. Monitor reports with the package, enforce refuses
// before the effect, and the benign use still works.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { describe, findingsFor, REPORT, runSensor } from '../helpers.mjs';

const CANARY = { AWS_SECRET_ACCESS_KEY: 'canary-secret-key-0123456789' };
const script = (body) => `${REPORT}
const fs = require('fs'), path = require('path');
const D = ${JSON.stringify('$DIR')};
const has = (f) => fs.existsSync(path.join(D, f));
(async () => { ${body} })().catch((e) => record('crash', String(e && e.stack)));
`;
const DENY_READ = (file) => `version: 1\nfiles:\n  read: { deny: ["$DIR/${file}"] }\n`;
const DENY_WRITE = (glob) => `version: 1\nfiles:\n  write: { default: allow, deny: ["$DIR/${glob}"] }\n`;

test('process.loadEnvFile and fs.openAsBlob are judged as reads of the file they name', async () => {
  const body = `
    try { process.loadEnvFile(path.join(D, 'secret.env')); record('env', process.env.FROM_FILE ?? 'unset'); } catch (e) { record('env', codeOf(e)); }
    record('blob', await fs.openAsBlob(path.join(D, 'secret.env')).then((b) => b.text(), (e) => codeOf(e)));
    try { process.loadEnvFile(path.join(D, 'plain.env')); record('plain', process.env.PLAIN ?? 'unset'); } catch (e) { record('plain', codeOf(e)); }
    record('plainBlob', await fs.openAsBlob(path.join(D, 'plain.env')).then((b) => b.text(), (e) => codeOf(e)));
  `;
  const files = { 'secret.env': 'FROM_FILE=stolen\n', 'plain.env': 'PLAIN=ok\n' };
  const enf = await runSensor(script(body), { mode: 'enforce', files, policy: DENY_READ('secret.env') });
  assert.equal(enf.out.env, 'ERR_WARDEN_BLOCKED', JSON.stringify(enf.out) + enf.stderr);
  assert.equal(enf.out.blob, 'ERR_WARDEN_BLOCKED');
  assert.equal(enf.out.plain, 'ok', 'a file the policy allows loads');
  assert.equal(enf.out.plainBlob, 'PLAIN=ok\n');
  const apis = findingsFor(enf.findings, 'warden.files.read', 'Blocked').map(
    (f) => f.evidences[0].api?.operation,
  );
  assert.equal(apis.length, 2, describe(enf.findings));

  const mon = await runSensor(script(body), { mode: 'monitor', files, policy: DENY_READ('secret.env') });
  assert.equal(mon.out.env, 'stolen', 'monitor changes nothing');
  assert.equal(mon.out.blob, 'FROM_FILE=stolen\n');
  const seen = findingsFor(mon.findings, 'warden.files.read', 'Detected');
  assert.equal(seen.length, 2, describe(mon.findings));
  assert.ok(
    seen.every((f) => f.unmapped.package === '<function>'),
    describe(seen),
  );
});

test('heap snapshots are judged as the file they write and the credentials they hold', async () => {
  // Through require and through import (the ES module facade copies the exports).
  const body = `
    const v8 = require('v8');
    try { v8.writeHeapSnapshot(path.join(D, 'out', 'a.heapsnapshot')); record('write', has('out/a.heapsnapshot')); } catch (e) { record('write', codeOf(e)); }
    const esm = await import('node:v8');
    try { esm.writeHeapSnapshot(path.join(D, 'out', 'b.heapsnapshot')); record('esm', has('out/b.heapsnapshot')); } catch (e) { record('esm', codeOf(e)); }
    try { v8.writeHeapSnapshot(path.join(D, 'ok.heapsnapshot')); record('allowed', has('ok.heapsnapshot')); } catch (e) { record('allowed', codeOf(e)); }
  `;
  const files = { 'out/.keep': '' };
  const enf = await runSensor(script(body), { mode: 'enforce', files, policy: DENY_WRITE('out/**') });
  assert.equal(enf.out.write, 'ERR_WARDEN_BLOCKED', JSON.stringify(enf.out) + enf.stderr);
  assert.equal(enf.out.esm, 'ERR_WARDEN_BLOCKED');
  assert.equal(enf.out.allowed, true, 'a snapshot where writes are allowed is written');

  // The credentials a snapshot holds: refused where the function may not read them.
  const secrets = `
    const v8 = require('v8');
    try { v8.writeHeapSnapshot(path.join(D, 's.heapsnapshot')); record('write', has('s.heapsnapshot')); } catch (e) { record('write', codeOf(e)); }
    try { v8.getHeapSnapshot(); record('stream', 'ok'); } catch (e) { record('stream', codeOf(e)); }
  `;
  const policy = 'version: 1\nsecrets:\n  default: deny\n';
  const denied = await runSensor(script(secrets), { mode: 'enforce', env: CANARY, policy });
  assert.equal(denied.out.write, 'ERR_WARDEN_BLOCKED', JSON.stringify(denied.out));
  assert.equal(denied.out.stream, 'ERR_WARDEN_BLOCKED');
  assert.ok(!denied.markers('s.heapsnapshot'));
  const read = findingsFor(denied.findings, 'warden.secrets', 'Blocked');
  assert.ok(read.length >= 2, describe(denied.findings));
  const mon = await runSensor(script(secrets), { mode: 'monitor', env: CANARY, policy });
  assert.equal(mon.out.write, true);
  assert.equal(mon.out.stream, 'ok');
  assert.ok(findingsFor(mon.findings, 'warden.secrets', 'Detected').length >= 2, describe(mon.findings));
});

test('diagnostic reports: written now or armed for a signal, judged as their file and the environment', async () => {
  const body = `
    try { process.report.writeReport(path.join(D, 'out', 'r.json')); record('write', has('out/r.json')); } catch (e) { record('write', codeOf(e)); }
    try { process.report.writeReport(path.join(D, 'ok.json')); record('allowed', has('ok.json')); } catch (e) { record('allowed', codeOf(e)); }
    try { process.report.directory = path.join(D, 'out'); process.report.reportOnSignal = true; record('armed', process.report.reportOnSignal); } catch (e) { record('armed', codeOf(e)); }
  `;
  const files = { 'out/.keep': '' };
  const enf = await runSensor(script(body), { mode: 'enforce', files, policy: DENY_WRITE('out/**') });
  assert.equal(enf.out.write, 'ERR_WARDEN_BLOCKED', JSON.stringify(enf.out) + enf.stderr);
  assert.equal(enf.out.armed, 'ERR_WARDEN_BLOCKED');
  assert.equal(enf.out.allowed, true);
  const mon = await runSensor(script(body), { mode: 'monitor', files, policy: DENY_WRITE('out/**') });
  assert.equal(mon.out.write, true);
  assert.equal(mon.out.armed, true);
  assert.equal(findingsFor(mon.findings, 'warden.files.write', 'Detected').length, 2, describe(mon.findings));
});

test('a Unix domain socket connection is judged as a write to the socket file', async () => {
  // The server another process runs (this test's): the function only connects to it.
  const serverDir = mkdtempSync(path.join(tmpdir(), 'warden-uds-'));
  const socket = path.join(serverDir, 'denied.sock');
  let accepted = 0;
  const server = createServer((c) => {
    accepted++;
    c.destroy();
  });
  await new Promise((r) => server.listen(socket, r));
  try {
    const body = `
      const net = require('net');
      const connect = (p) => new Promise((res) => { const c = net.connect({ path: p }); c.on('connect', () => { c.destroy(); res('connected'); }); c.on('error', (e) => res(codeOf(e))); });
      record('denied', await connect(${JSON.stringify(socket)}));
    `;
    const policy = `version: 1\nfiles:\n  write: { default: allow, deny: ["${socket}"] }\n`;
    const enf = await runSensor(script(body), { mode: 'enforce', policy });
    assert.equal(enf.out.denied, 'ERR_WARDEN_BLOCKED', JSON.stringify(enf.out) + enf.stderr);
    assert.equal(accepted, 0, 'the refused connection never reached the server');
    const mon = await runSensor(script(body), { mode: 'monitor', policy });
    assert.equal(mon.out.denied, 'connected');
    assert.equal(accepted, 1);
    const f = findingsFor(mon.findings, 'warden.files.write', 'Detected');
    assert.equal(f.length, 1, describe(mon.findings));
    assert.equal(f[0].unmapped.package, '<function>');
    // A socket file the policy lets the function write: connected, no finding.
    const ok = await runSensor(script(body), { mode: 'enforce', policy: 'version: 1\n' });
    assert.equal(ok.out.denied, 'connected');
    assert.equal(findingsFor(ok.findings, 'warden.files.write').length, 0, describe(ok.findings));
  } finally {
    server.close();
    rmSync(serverDir, { recursive: true, force: true });
  }
});

const require = createRequire(import.meta.url);
const HAS_SQLITE = (() => {
  try {
    return require('node:module').isBuiltin('node:sqlite');
  } catch {
    return false;
  }
})();

test('node:sqlite: the database, ATTACH and VACUUM INTO targets and backups are judged as the files they open', {
  skip: !HAS_SQLITE && 'no node:sqlite on this Node',
}, async () => {
  const body = `
    const { DatabaseSync, backup } = require('node:sqlite');
    const open = (f) => { try { new DatabaseSync(path.join(D, f)).close(); return has(f); } catch (e) { return codeOf(e); } };
    record('denied', open('out/a.db'));
    record('allowed', open('ok.db'));
    const db = new DatabaseSync(':memory:');
    const run = (sql) => { try { db.exec(sql); return 'ran'; } catch (e) { return codeOf(e) ?? e.message; } };
    record('attach', run("ATTACH DATABASE '" + path.join(D, 'out', 'b.db') + "' AS b"));
    record('computed', run("ATTACH ('" + path.join(D, 'ou') + "' || 't/c.db') AS c"));
    record('vacuum', run("VACUUM INTO '" + path.join(D, 'out', 'd.db') + "'"));
    record('prepare', (() => { try { db.prepare("VACUUM /* x */ INTO '" + path.join(D, 'out', 'e.db') + "'").run(); return 'ran'; } catch (e) { return codeOf(e); } })());
    record('benign', run("CREATE TABLE t(x); INSERT INTO t VALUES ('please attach the file; vacuum into it')"));
    record('attachOk', run("ATTACH DATABASE '" + path.join(D, 'ok2.db') + "' AS ok2"));
    const src = new DatabaseSync(path.join(D, 'ok.db'));
    record('backup', await backup(src, path.join(D, 'out', 'f.db')).then(() => has('out/f.db'), (e) => codeOf(e)));
    src.close();
    const esm = await import('node:sqlite');
    record('esm', (() => { try { new esm.DatabaseSync(path.join(D, 'out', 'g.db')); return 'opened'; } catch (e) { return codeOf(e); } })());
    record('files', ['a', 'b', 'c', 'd', 'e', 'f', 'g'].filter((x) => has('out/' + x + '.db')));
  `;
  const files = { 'out/.keep': '' };
  const enf = await runSensor(script(body), { mode: 'enforce', files, policy: DENY_WRITE('out/**') });
  assert.equal(enf.out.denied, 'ERR_WARDEN_BLOCKED', JSON.stringify(enf.out) + enf.stderr);
  assert.equal(enf.out.allowed, true);
  assert.equal(enf.out.attach, 'ERR_WARDEN_BLOCKED');
  assert.equal(enf.out.vacuum, 'ERR_WARDEN_BLOCKED');
  assert.equal(enf.out.prepare, 'ERR_WARDEN_BLOCKED');
  assert.equal(enf.out.benign, 'ran', 'keywords inside a string literal are data');
  assert.equal(enf.out.attachOk, 'ran');
  assert.equal(enf.out.backup, 'ERR_WARDEN_BLOCKED');
  assert.equal(enf.out.esm, 'ERR_WARDEN_BLOCKED');
  // A path SQL computes is not known by name: judged as a write in the working directory, which
  // this policy allows (README, Known limits); a policy that denies writes by default refuses it.
  assert.deepEqual(enf.out.files, ['c'], 'nothing else was written where writes are denied');
  const strict = await runSensor(script(body), {
    mode: 'enforce',
    files,
    policy: 'version: 1\nfiles:\n  write: { default: deny, allow: ["$DIR/ok*"] }\n',
  });
  assert.equal(strict.out.computed, 'ERR_WARDEN_BLOCKED', JSON.stringify(strict.out));
  assert.equal(strict.out.attachOk, 'ran');
  const mon = await runSensor(script(body), { mode: 'monitor', files, policy: DENY_WRITE('out/**') });
  assert.equal(mon.out.attach, 'ran', JSON.stringify(mon.out));
  assert.equal(mon.out.vacuum, 'ran');
  assert.ok(mon.out.files.includes('d'), JSON.stringify(mon.out.files));
  assert.ok(findingsFor(mon.findings, 'warden.files.write', 'Detected').length >= 5, describe(mon.findings));
});

test('node:wasi: preopened directories are judged as reads and writes there, the variables it is given as secret reads', async () => {
  const body = `
    const { WASI } = require('wasi');
    const make = (opts) => { try { new WASI({ version: 'preview1', ...opts }); return 'made'; } catch (e) { return codeOf(e); } };
    record('preopenDenied', make({ preopens: { '/sandbox': path.join(D, 'out') } }));
    record('preopenOk', make({ preopens: { '/sandbox': D } }));
    record('envSecret', make({ env: { AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '' } }));
    record('envPlain', make({ env: { A: '1' } }));
  `;
  const files = { 'out/.keep': '' };
  // The function may read its credential itself (allowed for <function>); handing it to WASI is judged on its own.
  const policy = `${DENY_WRITE('out/**')}secrets:\n  default: allow\n`;
  const enf = await runSensor(script(body), { mode: 'enforce', files, env: CANARY, policy });
  assert.equal(enf.out.preopenDenied, 'ERR_WARDEN_BLOCKED', JSON.stringify(enf.out) + enf.stderr);
  assert.equal(enf.out.preopenOk, 'made');
  assert.equal(enf.out.envPlain, 'made');
  const secretsDenied = await runSensor(
    script(body.replace("process.env.AWS_SECRET_ACCESS_KEY ?? ''", "'canary-secret-key-0123456789'")),
    {
      mode: 'enforce',
      files,
      env: CANARY,
      policy: 'version: 1\nsecrets:\n  default: deny\n',
    },
  );
  assert.equal(secretsDenied.out.envSecret, 'ERR_WARDEN_BLOCKED', JSON.stringify(secretsDenied.out));
  assert.equal(secretsDenied.out.envPlain, 'made');
  const mon = await runSensor(script(body), {
    mode: 'monitor',
    files,
    env: CANARY,
    policy: DENY_WRITE('out/**'),
  });
  assert.equal(mon.out.preopenDenied, 'made', JSON.stringify(mon.out));
  assert.ok(findingsFor(mon.findings, 'warden.files.write', 'Detected').length >= 1, describe(mon.findings));
});

test('v8.setFlagsFromString is judged as code generation (code.eval)', async () => {
  const body = `
    try { require('v8').setFlagsFromString('--allow-natives-syntax'); record('flags', 'set'); } catch (e) { record('flags', codeOf(e)); }
  `;
  const enf = await runSensor(script(body), { mode: 'enforce', policy: 'version: 1\ncode:\n  eval: deny\n' });
  assert.equal(enf.out.flags, 'ERR_WARDEN_BLOCKED', JSON.stringify(enf.out) + enf.stderr);
  const f = findingsFor(enf.findings, 'warden.code.eval', 'Blocked');
  assert.equal(f.length, 1, describe(enf.findings));
  const ok = await runSensor(script(body), { mode: 'enforce' });
  assert.equal(ok.out.flags, 'set');
});

test('OpenSSL engines (native code a library path names) are judged like native addons', async () => {
  const body = `
    const engine = path.join(D, 'evil-engine.so');
    try { require('crypto').setEngine(engine); record('setEngine', 'loaded'); } catch (e) { record('setEngine', codeOf(e)); }
    try { require('tls').createSecureContext({ privateKeyEngine: engine, privateKeyIdentifier: 'k' }); record('keyEngine', 'loaded'); } catch (e) { record('keyEngine', codeOf(e)); }
    try { require('tls').createSecureContext().context.setClientCertEngine(engine); record('ctxEngine', 'loaded'); } catch (e) { record('ctxEngine', codeOf(e)); }
    try { require('tls').createSecureContext({}); record('plain', 'ok'); } catch (e) { record('plain', codeOf(e)); }
  `;
  const policy = 'version: 1\ncode:\n  nativeAddons:\n    default: deny\n';
  const enf = await runSensor(script(body), { mode: 'enforce', policy });
  assert.equal(enf.out.setEngine, 'ERR_WARDEN_BLOCKED', JSON.stringify(enf.out) + enf.stderr);
  assert.equal(enf.out.keyEngine, 'ERR_WARDEN_BLOCKED');
  assert.equal(enf.out.ctxEngine, 'ERR_WARDEN_BLOCKED');
  assert.equal(enf.out.plain, 'ok', 'a context without an engine is made as ever');
  const mon = await runSensor(script(body), { mode: 'monitor', policy });
  const native = findingsFor(mon.findings, 'warden.code').filter((f) =>
    /Engine|engine/.test(f.evidences[0].data.api),
  );
  assert.ok(native.length >= 3, describe(mon.findings));
  assert.ok(native.every((f) => f.unmapped.package === '<function>'));
  assert.notEqual(
    mon.out.setEngine,
    'ERR_WARDEN_BLOCKED',
    'monitor refuses nothing (OpenSSL does: no such engine)',
  );
});
