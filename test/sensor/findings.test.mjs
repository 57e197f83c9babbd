// Findings: OCSF Detection Findings that validate against the schema, correlated to the
// invocation, counted (not repeated) within one, and always written somewhere.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  describe,
  findingsFor,
  NODE,
  parseLines,
  REPORT,
  ROOT,
  runSensor,
  SENSOR,
  tempDir,
} from '../helpers.mjs';
import { validateDetectionFinding } from '../ocsf.mjs';

const EVERY_SURFACE = `${REPORT}
const api = globalThis[Symbol.for('warden.sensor')];
const net = require('net');
const t = (f) => { try { f(); } catch {} };
(async () => {
  await api.runInInvocation({ requestId: 'req-1', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:shop', event: { a: 1 } }, async () => {
    t(() => require('child_process').execSync('touch $DIR/x'));
    t(() => require('fs').readFileSync('/proc/self/environ'));
    t(() => require('fs').writeFileSync('/etc/warden-never', 'x'));
    t(() => new Function('return 1'));
    t(() => process.env.AWS_SECRET_ACCESS_KEY);
    t(() => process.kill(1, 0));
    const srv = net.createServer((c) => c.destroy());
    await new Promise((r) => srv.listen(0, '127.0.0.2', r));
    await new Promise((r) => { const s = net.connect(srv.address().port, '127.0.0.2'); s.on('connect', () => { s.destroy(); r(); }); s.on('error', r); });
    srv.close();
  });
})();
`;
const ALL_DENY =
  'version: 1\ncode: { eval: deny }\nsecrets: { default: deny }\nnetwork: { deny: [{ cidr: 127.0.0.2/32 }] }\n';

test('every surface produces a schema-valid OCSF Detection Finding with the contract fields', async () => {
  for (const mode of ['monitor', 'enforce']) {
    const r = await runSensor(EVERY_SURFACE, {
      mode,
      policy: ALL_DENY,
      env: { AWS_REGION: 'eu-west-1', AWS_SECRET_ACCESS_KEY: 'CANARY' },
    });
    const rules = new Set(r.findings.map((f) => f.finding_info.analytic.uid));
    for (const rule of [
      'warden.process.spawn',
      'warden.files.read',
      'warden.files.write',
      'warden.code.eval',
      'warden.secrets.read',
      'warden.process.kill',
      'warden.network.connect',
    ]) {
      assert.ok(rules.has(rule), `${mode}: ${rule} missing from ${describe(r.findings)}`);
    }
    for (const f of r.findings) {
      assert.deepEqual(validateDetectionFinding(f), [], `${mode} ${f.finding_info.analytic.uid}`);
      assert.equal(f.class_uid, 2004);
      assert.equal(f.action_id, mode === 'enforce' ? 2 : 1);
      assert.equal(f.disposition_id, mode === 'enforce' ? 2 : 15);
      assert.ok(f.severity_id >= 1 && f.severity_id <= 5);
      assert.ok(f.finding_info.uid && f.finding_info.title);
      assert.ok(f.finding_info.attacks.length >= 1, 'MITRE ATT&CK tags');
      assert.match(f.finding_info.attacks[0].technique.uid, /^T\d{4}/);
      assert.match(f.finding_info.attacks[0].tactic.uid, /^TA\d{4}/);
      assert.equal(f.resources[0].uid, 'arn:aws:lambda:eu-west-1:123456789012:function:shop');
      assert.equal(f.cloud.provider, 'AWS');
      assert.equal(f.metadata.correlation_uid, 'req-1');
      assert.equal(f.unmapped.package, '<function>');
      assert.ok(Array.isArray(f.unmapped.stack));
    }
    const proc = findingsFor(r.findings, 'warden.process.spawn')[0].evidences[0].process;
    assert.ok(proc.cmd_line.includes('touch') && proc.file.path === '/bin/sh');
    const file = findingsFor(r.findings, 'warden.files.write')[0].evidences[0].file;
    assert.equal(file.path, '/etc/warden-never');
    const dst = findingsFor(r.findings, 'warden.network.connect')[0].evidences[0].dst_endpoint;
    assert.equal(dst.ip, '127.0.0.2');
    assert.equal(typeof dst.port, 'number');
  }
});

test('identical findings within one invocation are counted, not repeated; a new invocation reports again', async () => {
  const r = await runSensor(
    `
    const api = globalThis[Symbol.for('warden.sensor')];
    const t = (f) => { try { f(); } catch {} };
    (async () => {
      for (const id of ['a', 'b']) {
        await api.runInInvocation({ requestId: id }, async () => {
          for (let i = 0; i < 50; i++) t(() => require('fs').readFileSync('/proc/self/environ'));
        });
      }
    })();
  `,
    { mode: 'enforce' },
  );
  const reads = findingsFor(r.findings, 'warden.files.read');
  const byReq = (id) => reads.filter((f) => f.metadata.correlation_uid === id);
  for (const id of ['a', 'b']) {
    // A Create, then Updates of its count as it grows (at 10, then the final 50 at the end).
    const [create, ...updates] = byReq(id);
    assert.equal(create.activity_id, 1);
    assert.equal(create.count, 1);
    assert.deepEqual(
      updates.map((u) => [u.activity_id, u.count]),
      [
        [2, 10],
        [2, 50],
      ],
      describe(reads),
    );
    for (const update of updates) {
      assert.equal(update.finding_info.uid, create.finding_info.uid, 'the update names the same finding');
      assert.deepEqual(validateDetectionFinding(update), []);
    }
  }
});

test('findings go to stdout without WARDEN_FINDINGS, and to stdout when the file cannot be written', async () => {
  const body = "try { require('child_process').execSync('true'); } catch {}";
  // One spawn: the policy's finding and the shell rule's.
  const spawnOf = (fs) => fs.filter((f) => f.finding_info.analytic.uid === 'warden.process.spawn');
  const a = await runSensor(body, { mode: 'enforce', stdoutFindings: true });
  assert.equal(spawnOf(a.stdoutFindings).length, 1);
  assert.equal(spawnOf(a.stdoutFindings)[0].action, 'Denied');
  assert.ok(a.stdoutFindings.some((f) => f.finding_info.analytic.uid === 'warden.rule.shell-spawned'));
  const b = await runSensor(body, { mode: 'enforce', env: { WARDEN_FINDINGS: '/nonexistent-dir/f.jsonl' } });
  assert.equal(spawnOf(b.stdoutFindings).length, 1, b.stdout);
  assert.match(b.stderr, /cannot open WARDEN_FINDINGS/);
});

test('the contract command, verbatim: node --require dist/sensor.cjs from the project root', () => {
  const { dir, cleanup } = tempDir();
  try {
    const marker = join(dir, 'x');
    const r = spawnSync(
      NODE,
      ['--require', 'dist/sensor.cjs', '-e', `require('child_process').execSync('touch ${marker}')`],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, WARDEN_MODE: 'enforce' },
      },
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /code: 'ERR_WARDEN_BLOCKED'/);
    assert.ok(!existsSync(marker), 'nothing created');
    const [finding] = parseLines(r.stdout);
    assert.equal(finding.action, 'Denied');
    assert.equal(finding.disposition, 'Blocked');
    assert.deepEqual(validateDetectionFinding(finding), []);
  } finally {
    cleanup();
  }
});

test('function code that closes stdout and every descriptor on it cannot silence findings', () => {
  const { dir, cleanup } = tempDir();
  try {
    const script = join(dir, 'blind.js');
    const out = join(dir, 'stdout.txt');
    writeFileSync(
      script,
      // The targeted blinding: every descriptor on the same file as stdout, then stdout itself
      // (closing all of them would also close libuv's own and crash the process).
      `const fs = require('fs');
      const target = fs.readlinkSync('/proc/self/fd/1');
      for (const fd of fs.readdirSync('/proc/self/fd').map(Number)) {
        try { if (fd > 2 && fs.readlinkSync('/proc/self/fd/' + fd) === target) fs.closeSync(fd); } catch {}
      }
      fs.closeSync(1);
      try { fs.readFileSync('/proc/self/environ'); } catch {}`,
    );
    // stdout a file (as Lambda's is a pipe): the sensor keeps a descriptor of its own on it.
    const r = spawnSync(
      '/bin/sh',
      ['-c', `exec "$0" --require "$1" "$2" > "$3"`, NODE, join(ROOT, 'dist', 'sensor.cjs'), script, out],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, WARDEN_MODE: 'monitor' },
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const findings = parseLines(readFileSync(out, 'utf8'));
    assert.ok(findingsFor(findings, 'warden.sensor.tamper').length >= 1, describe(findings));
    assert.ok(
      findings.some(
        (f) =>
          f.finding_info.analytic.uid === 'warden.files.read' &&
          JSON.stringify(f.evidences).includes('environ'),
      ),
      describe(findings),
    );
  } finally {
    cleanup();
  }
});

test('a findings file that fills up never keeps a torn line (the next append is not glued to it)', () => {
  // RLIMIT_FSIZE stands in for a full disk: a write past it stops part-way with EFBIG, as one
  // past the last free block stops with ENOSPC.
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'findings.jsonl');
    const main = join(dir, 'main.js');
    writeFileSync(
      main,
      "const fs = require('fs'); for (let i = 0; i < 300; i++) { try { fs.writeFileSync('/var/warden-torn-' + i + '-' + 'x'.repeat(i % 50), 'x'); } catch {} }\n",
    );
    execFileSync(
      'bash',
      ['-c', `trap '' XFSZ; ulimit -f 8; exec "$0" --require "$1" "$2" > /dev/null`, NODE, SENSOR, main],
      { env: { PATH: process.env.PATH, WARDEN_MODE: 'enforce', WARDEN_FINDINGS: file } },
    );
    const text = readFileSync(file, 'utf8');
    assert.ok(text.length > 0 && text.length <= 8192, `${text.length} bytes`);
    assert.ok(text.endsWith('\n'), 'the file ends with a whole line');
    for (const line of text.trimEnd().split('\n'))
      assert.doesNotThrow(() => JSON.parse(line), line.slice(0, 80));
  } finally {
    cleanup();
  }
});

test('never silent under volume: past the budget findings are aggregated, and a new kind of action is still reported on its own', async () => {
  const r = await runSensor(
    `${REPORT}
    const fs = require('fs');
    const api = globalThis[Symbol.for('warden.sensor')];
    api.runInInvocation({ requestId: 'flood' }, () => {
      let refused = 0;
      for (let i = 0; i < 20000; i++) { try { fs.writeFileSync('/var/warden-flood-' + i, 'x'); } catch (e) { if (e.code === 'ERR_WARDEN_BLOCKED') refused++; } }
      record('refused', refused);
      try { require('child_process').execSync('touch $DIR/m'); record('spawn', 'ran'); } catch (e) { record('spawn', codeOf(e)); }
    });
  `,
    { mode: 'enforce', timeout: 120000 },
  );
  assert.equal(r.out.refused, 20000);
  assert.equal(r.out.spawn, 'ERR_WARDEN_BLOCKED');
  // The shell after the flood: its own findings, written one by one.
  assert.ok(
    findingsFor(r.findings, 'warden.process.spawn', 'Blocked').length >= 1,
    describe(r.findings.slice(-5)),
  );
  assert.ok(r.findings.length < 6000, `${r.findings.length} lines: the flood was not aggregated`);
  // Every refused write is accounted for: written one by one, or counted in an aggregate.
  const writes = r.findings.filter((f) => f.finding_info.analytic.uid === 'warden.files.write');
  const finalCount = new Map();
  for (const f of writes)
    finalCount.set(f.finding_info.uid, Math.max(finalCount.get(f.finding_info.uid) ?? 0, f.count));
  const total = [...finalCount.values()].reduce((a, b) => a + b, 0);
  assert.equal(total, 20000, 'refused writes accounted for in findings');
  const aggregate = writes.find((f) => f.unmapped.aggregated);
  assert.ok(aggregate, 'an aggregate finding for the writes past the budget');
  const note = findingsFor(r.findings, 'warden.sensor.findings-aggregated');
  assert.equal(note.length, 1, describe(note));
  assert.match(note[0].finding_info.desc, /more than 2000 distinct findings/);
});

test('a repeated finding writes its count as it grows, so a runtime killed without notice loses at most a second of it', async () => {
  const r = await runSensor(
    `${REPORT}
    const fs = require('fs');
    const api = globalThis[Symbol.for('warden.sensor')];
    api.runInInvocation({ requestId: 'killed' }, () => {
      for (let i = 0; i < 100; i++) { try { fs.writeFileSync('/var/warden-same', 'x'); } catch {} }
      process.kill(process.pid, 'SIGKILL'); // as a timeout ends a runtime: no exit handlers
    });
  `,
    { mode: 'enforce' },
  );
  const counts = findingsFor(r.findings, 'warden.files.write').map((f) => f.count);
  assert.equal(Math.max(...counts), 100, JSON.stringify(counts));
});
