// Files: every fs API family (sync, callback, promises, streams, FileHandle, opendir, cp, raw
// binding), judged on the path the kernel will act on (symlinks and `..` resolved).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describe, FIXTURE_PACKAGES, findingsFor, REPORT, runSensor } from '../helpers.mjs';

// Reads of a denied file (the process environment holds the canary secret).
const READS = {
  readFileSync: `record('data', fs.readFileSync(T, 'utf8'));`,
  readFile: `record('data', await new Promise((res, rej) => fs.readFile(T, 'utf8', (e, d) => (e ? rej(e) : res(d)))));`,
  promisesReadFile: `record('data', await fs.promises.readFile(T, 'utf8'));`,
  openSyncRead: `const fd = fs.openSync(T, 'r'); const b = Buffer.alloc(65536); const n = fs.readSync(fd, b); record('data', b.subarray(0, n).toString());`,
  openCallback: `record('data', await new Promise((res, rej) => fs.open(T, 'r', (e, fd) => { if (e) return rej(e); const b = Buffer.alloc(65536); fs.read(fd, b, 0, b.length, 0, (e2, n) => res(b.subarray(0, n).toString())); })));`,
  fileHandle: `const h = await fs.promises.open(T, 'r'); record('data', (await h.readFile()).toString()); await h.close();`,
  readStream: `record('data', await new Promise((res, rej) => { let s = ''; fs.createReadStream(T).on('data', (d) => (s += d)).on('end', () => res(s)).on('error', rej); }));`,
  copyFileSync: `fs.copyFileSync(T, require('path').join(D, 'copy')); record('data', fs.readFileSync(require('path').join(D, 'copy'), 'utf8'));`,
  cpSync: `fs.cpSync(T, require('path').join(D, 'cp')); record('data', fs.readFileSync(require('path').join(D, 'cp'), 'utf8'));`,
  bindingOpen: `const b = process.binding('fs'); const fd = b.open(T, 0, 0o666); const buf = Buffer.alloc(65536); const n = fs.readSync(fd, buf); record('data', buf.subarray(0, n).toString());`,
};

const readScript = (body, target = '/proc/self/environ') => `${REPORT}
const fs = require('fs');
const T = ${JSON.stringify(target)};
const D = ${JSON.stringify('$DIR')};
(async () => { try { ${body} } catch (e) { record('err', codeOf(e)); } })();
`;

const CANARY = 'CANARY-FS-0123456789';

for (const [name, body] of Object.entries(READS)) {
  test(`file read path ${name}: monitor reports, enforce blocks, an allowed read works`, async () => {
    const env = { AWS_SECRET_ACCESS_KEY: CANARY };
    const mon = await runSensor(readScript(body), { mode: 'monitor', env });
    assert.equal(mon.code, 0, mon.stderr);
    // (procfs files copy as empty: for the copies, the copy existing is the proof)
    const copied = name === 'copyFileSync' ? 'copy' : name === 'cpSync' ? 'cp' : undefined;
    if (copied) assert.ok(mon.markers(copied), 'monitor: the copy happened');
    else
      assert.ok(
        String(mon.out.data).includes(CANARY),
        `monitor: the read happened (${JSON.stringify(mon.out).slice(0, 200)})`,
      );
    const det = findingsFor(mon.findings, 'warden.files.read', 'Detected');
    assert.ok(det.length >= 1, describe(mon.findings));
    assert.match(det[0].evidences[0].file.path, /^\/proc\/\d+\/environ$/);
    assert.equal(det[0].evidences[0].data.requested, '/proc/self/environ');
    // Streams open on a later tick: no caller frame is left on the stack.
    assert.equal(det[0].unmapped.package, name === 'readStream' ? '<unknown>' : '<function>');
    assert.equal(det[0].severity_id, 5);

    const enf = await runSensor(readScript(body), { mode: 'enforce', env });
    assert.equal(enf.code, 0, enf.stderr);
    assert.equal(enf.out.data, undefined, 'enforce: nothing read');
    assert.equal(enf.out.err, 'ERR_WARDEN_BLOCKED');
    assert.ok(!enf.stdout.includes(CANARY));
    assert.ok(findingsFor(enf.findings, 'warden.files.read', 'Blocked').length >= 1, describe(enf.findings));

    const ok = await runSensor(readScript(body, '$DIR/plain.txt'), {
      mode: 'enforce',
      files: { 'plain.txt': 'hello' },
    });
    assert.equal(ok.out.data, 'hello', JSON.stringify(ok.out));
    assert.equal(findingsFor(ok.findings, 'warden.files').length, 0, describe(ok.findings));
  });
}

const WRITES = {
  writeFileSync: `fs.writeFileSync(T, 'x');`,
  writeFile: `await new Promise((res, rej) => fs.writeFile(T, 'x', (e) => (e ? rej(e) : res())));`,
  promisesWriteFile: `await fs.promises.writeFile(T, 'x');`,
  appendFileSync: `fs.appendFileSync(T, 'x');`,
  openSyncWrite: `fs.closeSync(fs.openSync(T, 'w'));`,
  writeStream: `await new Promise((res, rej) => { const w = fs.createWriteStream(T); w.on('error', rej); w.on('finish', res); w.end('x'); });`,
  fileHandleWrite: `const h = await fs.promises.open(T, 'w'); await h.write('x'); await h.close();`,
  mkdirSync: `fs.mkdirSync(T);`,
  mkdtempSync: `fs.mkdtempSync(T);`,
  renameSync: `fs.writeFileSync(S, 'x'); fs.renameSync(S, T);`,
  copyFile: `fs.writeFileSync(S, 'x'); await fs.promises.copyFile(S, T);`,
  symlinkSync: `fs.symlinkSync('/etc/hostname', T);`,
  linkSync: `fs.writeFileSync(S, 'x'); fs.linkSync(S, T);`,
  cpSyncDir: `fs.mkdirSync(S + 'd'); fs.writeFileSync(S + 'd/f', 'x'); fs.cpSync(S + 'd', T, { recursive: true });`,
  bindingWriteFileUtf8: `const b = process.binding('fs'); if (b.writeFileUtf8) b.writeFileUtf8(T, 'x', 577, 0o666); else { const fd = b.open(T, 577, 0o666); fs.closeSync(fd); }`,
};

const writeScript = (body, target) => `${REPORT}
const fs = require('fs');
const T = ${JSON.stringify(target)};
const S = require('path').join(${JSON.stringify('$DIR')}, 'source');
(async () => { try { ${body} record('done', true); } catch (e) { record('err', codeOf(e)); } })();
`;

const WRITE_POLICY = `version: 1
files:
  write:
    default: deny
    allow: ["$DIR/ok", "$DIR/ok/**", "$DIR/source*", "$DIR/source*/**"]
`;

for (const [name, body] of Object.entries(WRITES)) {
  test(`file write path ${name}: outside the allowed tree reported and blocked, inside it works`, async () => {
    const mon = await runSensor(writeScript(body, '$DIR/denied'), { mode: 'monitor', policy: WRITE_POLICY });
    assert.equal(
      mon.out.done,
      true,
      `monitor: the write happened (${JSON.stringify(mon.out)} ${mon.stderr})`,
    );
    assert.ok(mon.markers('denied*'));
    const det = findingsFor(mon.findings, 'warden.files.write', 'Detected');
    assert.ok(det.length >= 1, describe(mon.findings));
    assert.match(det[0].evidences[0].file.path, /\/denied/);

    const enf = await runSensor(writeScript(body, '$DIR/denied'), { mode: 'enforce', policy: WRITE_POLICY });
    assert.equal(enf.out.err, 'ERR_WARDEN_BLOCKED', JSON.stringify(enf.out));
    assert.ok(!enf.markers('denied*'), 'enforce: nothing written');
    assert.ok(findingsFor(enf.findings, 'warden.files.write', 'Blocked').length >= 1, describe(enf.findings));

    const ok = await runSensor(writeScript(body, '$DIR/ok/target'), {
      mode: 'enforce',
      policy: WRITE_POLICY,
      files: { 'ok/.keep': '' },
    });
    assert.equal(ok.out.done, true, `allowed: ${JSON.stringify(ok.out)} ${describe(ok.findings)}`);
    assert.ok(ok.markers('ok/target*'));
    assert.equal(findingsFor(ok.findings, 'warden.files').length, 0, describe(ok.findings));
  });
}

test('deletes, chmods and opendir are judged too', async () => {
  const r = await runSensor(
    `${REPORT}
    const fs = require('fs');
    const t = (k, f) => { try { f(); record(k, 'done'); } catch (e) { record(k, codeOf(e)); } };
    (async () => {
    t('unlink', () => fs.unlinkSync('$DIR/keep.txt'));
    t('rm', () => fs.rmSync('$DIR/keepdir', { recursive: true }));
    t('rmdir', () => fs.rmdirSync('$DIR/emptydir'));
    t('chmod', () => fs.chmodSync('$DIR/keep.txt', 0o777));
    t('utimes', () => fs.utimesSync('$DIR/keep.txt', 1, 1));
    t('truncate', () => fs.truncateSync('$DIR/keep.txt', 0));
    t('opendir', () => fs.opendirSync('/proc/self/task').readSync());
    await new Promise((res) => fs.opendir('/proc/self/task', (e, d) => d.read((e2) => { record('opendirCallback', codeOf(e2) ?? 'listed'); res(); })));
    try { for await (const e of await fs.promises.opendir('/proc/self/task')) void e; record('opendirPromise', 'listed'); } catch (e) { record('opendirPromise', codeOf(e)); }
    try { for await (const e of fs.opendirSync('/proc/self/task')) void e; record('opendirIterator', 'listed'); } catch (e) { record('opendirIterator', codeOf(e)); }
    record('allowedListing', fs.opendirSync('$DIR').readSync() !== undefined ? 'listed' : 'empty');
    })();
    t('readdir', () => fs.readdirSync('/proc/self/task'));
  `,
    {
      mode: 'enforce',
      files: { 'keep.txt': 'data', 'keepdir/a': 'x', 'emptydir/.x': '' },
      policy:
        'version: 1\nfiles:\n  write: { default: deny, allow: [] }\n  read: { deny: ["/proc/*/task"] }\n',
    },
  );
  assert.equal(r.out.allowedListing, 'listed');
  for (const k of [
    'unlink',
    'rm',
    'chmod',
    'utimes',
    'truncate',
    'opendir',
    'opendirCallback',
    'opendirPromise',
    'opendirIterator',
    'readdir',
  ])
    assert.equal(r.out[k], 'ERR_WARDEN_BLOCKED', `${k}: ${JSON.stringify(r.out)}`);
  assert.ok(r.markers('keep.txt') && r.markers('keepdir/a'));
});

test('symlinks and .. are resolved before the check', async () => {
  const r = await runSensor(
    `${REPORT}
    const fs = require('fs');
    const t = (k, f) => { try { record(k, String(f()).slice(0, 40)); } catch (e) { record(k, codeOf(e)); } };
    fs.symlinkSync('/proc/self/environ', '$DIR/innocent.txt');
    fs.symlinkSync('/proc/self', '$DIR/me');
    fs.symlinkSync('/etc', '$DIR/etc-link');
    t('symlinkFile', () => fs.readFileSync('$DIR/innocent.txt', 'utf8'));
    t('symlinkDir', () => fs.readFileSync('$DIR/me/environ', 'utf8'));
    t('dotdot', () => fs.readFileSync('$DIR/../../../../../../proc/self/environ', 'utf8'));
    t('procRoot', () => fs.readFileSync('/proc/self/root/proc/self/environ', 'utf8'));
    t('threadSelf', () => fs.readFileSync('/proc/thread-self/environ', 'utf8'));
    t('dotdotThroughLink', () => fs.writeFileSync('$DIR/etc-link/../tmp/../etc/warden-test-x', 'x'));
    t('writeThroughLink', () => fs.writeFileSync('$DIR/etc-link/warden-test-y', 'x'));
    t('relative', () => { process.chdir('/proc/self'); return fs.readFileSync('environ', 'utf8'); });
    t('fileUrl', () => fs.readFileSync(new URL('file:///proc/self/environ'), 'utf8'));
    t('buffer', () => fs.readFileSync(Buffer.from('/proc/self/environ'), 'utf8'));
  `,
    { mode: 'enforce', policy: 'version: 1\nfiles:\n  write: { default: deny, allow: ["$DIR/*"] }\n' },
  );
  for (const k of [
    'symlinkFile',
    'symlinkDir',
    'dotdot',
    'procRoot',
    'threadSelf',
    'dotdotThroughLink',
    'writeThroughLink',
    'relative',
    'fileUrl',
    'buffer',
  ]) {
    assert.equal(r.out[k], 'ERR_WARDEN_BLOCKED', `${k}: ${JSON.stringify(r.out)}`);
  }
});

test('file access is attributed to the package that made it; module loading is not', async () => {
  const r = await runSensor(
    `${REPORT}
    const evil = require(${JSON.stringify(`${FIXTURE_PACKAGES}/evil-pkg`)});
    try { evil.readFile('/proc/self/environ'); } catch (e) { record('evil', codeOf(e)); }
    // A file the read list allows, and a .js file: the package still lacks fs-read.
    try { evil.readFile('$DIR/x.txt'); } catch (e) { record('evilPlain', codeOf(e)); }
    try { evil.readFile('$DIR/code.js'); } catch (e) { record('evilCode', codeOf(e)); }
    record('own', require('fs').readFileSync('$DIR/x.txt', 'utf8'));
  `,
    {
      mode: 'enforce',
      files: { 'x.txt': 'mine', 'code.js': 'module.exports = 1;' },
      policy: 'version: 1\npackages:\n  evil-pkg: []\n',
    },
  );
  assert.equal(r.out.evil, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.evilPlain, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.evilCode, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.own, 'mine');
  const f = r.findings.filter((x) => x.unmapped.package === 'evil-pkg');
  assert.ok(f.length >= 1, describe(r.findings));
  // evil-pkg's own require() of its files did not count against it
  assert.ok(
    !r.findings.some((x) => x.evidences[0].file?.path?.endsWith('evil-pkg/index.js')),
    describe(r.findings),
  );
});

test("a handler's own modules load under enforce; code reading the same files is still the function-code-read rule", async () => {
  // The module-loader check runs on a stack captured inside the rule engine: the engine's own
  // frames (compiled from the sensor's chunk) and builtins' frames (Array.prototype.every)
  // carry no file name and must not end the walk before Node's loader frames.
  const r = await runSensor(
    `${REPORT}
    try { record('loaded', require('./lib/orders.js').total([1, 2, 3])); } catch (e) { record('loaded', codeOf(e)); }
    try { require('fs').readFileSync(require('path').join(__dirname, 'lib', 'util.js'), 'utf8'); record('read', 'read'); } catch (e) { record('read', codeOf(e)); }
  `,
    {
      mode: 'enforce',
      env: { LAMBDA_TASK_ROOT: '$DIR' },
      files: {
        'lib/orders.js': "const { sum } = require('./util.js');\nexports.total = (xs) => sum(xs);\n",
        'lib/util.js': 'exports.sum = (xs) => xs.reduce((a, b) => a + b, 0);\n',
      },
    },
  );
  assert.equal(r.out.loaded, 6, `${JSON.stringify(r.out)} ${describe(r.findings)}`);
  const onLoad = findingsFor(r.findings, 'warden.rule.function-code-read').filter((f) =>
    /orders\.js/.test(f.evidences[0].file.path),
  );
  assert.equal(onLoad.length, 0, describe(r.findings));
  assert.equal(r.out.read, 'ERR_WARDEN_BLOCKED', describe(r.findings));
});
