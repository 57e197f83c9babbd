// Findings: OCSF Detection Findings that validate against the schema, correlated to the
// invocation, counted (not repeated) within one, and always written somewhere.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { describe, findingsFor, NODE, parseLines, REPORT, ROOT, runSensor, tempDir } from '../helpers.mjs';
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
    const [create, update, ...rest] = byReq(id);
    assert.equal(rest.length, 0, describe(reads));
    assert.equal(create.activity_id, 1);
    assert.equal(create.count, 1);
    assert.equal(update.activity_id, 2);
    assert.equal(update.count, 50);
    assert.equal(update.finding_info.uid, create.finding_info.uid, 'the update names the same finding');
    assert.deepEqual(validateDetectionFinding(update), []);
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
