// The CLI contract: bin field, --help, --version, policy check, permission-flags, demo.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NODE, ROOT, tempDir } from './helpers.mjs';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const CLI = join(ROOT, pkg.bin.warden);
const warden = (args, opts = {}) => spawnSync(NODE, [CLI, ...args], { encoding: 'utf8', ...opts });

test('package.json: name lambda-warden, bin.warden points at the built CLI', () => {
  assert.equal(pkg.name, 'lambda-warden');
  assert.equal(pkg.bin.warden, 'dist/cli.cjs');
});

test('--help and --version', () => {
  const help = warden(['--help']);
  assert.equal(help.status, 0);
  for (const cmd of ['demo', 'policy', 'permission-flags']) assert.match(help.stdout, new RegExp(cmd));
  assert.equal(warden(['--version']).stdout.trim(), pkg.version);
  const bad = warden(['no-such-command']);
  assert.equal(bad.status, 2);
});

test('policy check: ok for a good policy, exit 2 with file:line: field for a bad one', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'good.yaml'), 'version: 1\nmode: enforce\n');
    writeFileSync(join(dir, 'bad.yaml'), 'version: 1\nfiles:\n  write:\n    default: maybe\n');
    const good = warden(['policy', 'check', join(dir, 'good.yaml')]);
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /ok \(mode enforce\)/);
    const bad = warden(['policy', 'check', join(dir, 'bad.yaml')]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /bad\.yaml:4:\d+: files\.write\.default: must be one of/);
    const printed = JSON.parse(warden(['policy', 'check', '--print', join(dir, 'good.yaml')]).stdout);
    assert.equal(printed.process.default, 'deny');
  } finally {
    cleanup();
  }
});

test('policy schema: the published JSON Schema matches schema/policy.schema.json', () => {
  const printed = JSON.parse(warden(['policy', 'schema']).stdout);
  assert.deepEqual(printed, JSON.parse(readFileSync(join(ROOT, 'schema', 'policy.schema.json'), 'utf8')));
});

test('permission-flags: flags that this Node accepts, and that Node runs with', () => {
  const r = warden(['permission-flags']);
  assert.equal(r.status, 0, r.stderr);
  const flags = r.stdout.trim().split(' ');
  assert.match(flags[0], /^--(experimental-)?permission$/);
  assert.ok(!flags.includes('--allow-child-process'), 'the default policy denies processes');
  // The flags are real: Node starts with them, and refuses a child process.
  const run = spawnSync(
    NODE,
    [
      ...flags,
      '-e',
      "try { require('child_process').execSync('true'); console.log('ran') } catch (e) { console.log(e.code) }",
    ],
    { encoding: 'utf8' },
  );
  assert.match(run.stdout, /ERR_ACCESS_DENIED/, run.stderr);
});

test('demo: in the sandbox, the attacks work in monitor mode, are blocked in enforce mode, benign requests pass', () => {
  const out = JSON.parse(execFileSync(NODE, [CLI, 'demo', '--json'], { encoding: 'utf8' }));
  const [monitor, enforce] = out.runs;
  assert.equal(monitor.mode, 'monitor');
  assert.match(monitor.canary, /^.{40}$/);
  assert.notEqual(monitor.canary, enforce.canary, 'fresh canaries per sandbox');
  for (const i of [2, 3])
    assert.ok(
      JSON.stringify(monitor.results[i]).includes(monitor.canary),
      `monitor: attack ${i} leaked the secret`,
    );
  assert.ok(!JSON.stringify(enforce.results).includes(enforce.canary), 'enforce: nothing leaked');
  assert.deepEqual(
    enforce.results.map((r) => r.status),
    ['success', 'success', 'error', 'error'],
  );
  for (const i of [2, 3]) assert.match(enforce.results[i].error.errorMessage, /Warden blocked/);
  assert.ok(enforce.findings.every((f) => f.disposition === 'Blocked'));
  for (const run of [monitor, enforce]) {
    const rules = run.findings.map((f) => f.finding_info.analytic.uid).sort();
    assert.deepEqual(rules, ['warden.files.read', 'warden.process.spawn'], run.mode);
    // Each finding names the invocation it came from.
    assert.deepEqual(
      run.findings.map((f) => f.metadata.correlation_uid).sort(),
      [run.results[2].requestId, run.results[3].requestId].sort(),
    );
  }
  const text = execFileSync(NODE, [CLI, 'demo'], { encoding: 'utf8' });
  assert.match(text, /BLOCKED/);
  assert.match(text, /DETECTED/);
});
