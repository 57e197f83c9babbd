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

test('policy diff: one line per change, exit 0 when the same, 1 when not, 2 for a bad file', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'a.yaml'), 'version: 1\nmode: enforce\n');
    writeFileSync(join(dir, 'b.yaml'), 'version: 1\nmode: monitor\nprocess:\n  allow: [ curl ]\n');
    writeFileSync(join(dir, 'bad.yaml'), 'version: 1\nmode: sometimes\n');
    const same = warden(['policy', 'diff', join(dir, 'a.yaml'), join(dir, 'a.yaml')]);
    assert.equal(same.status, 0);
    assert.equal(same.stdout, 'no differences\n');
    const diff = warden(['policy', 'diff', join(dir, 'a.yaml'), join(dir, 'b.yaml')]);
    assert.equal(diff.status, 1);
    assert.equal(
      diff.stdout,
      '~ mode: enforce → monitor  (widens)\n+ process.allow: { exe: curl }  (widens)\n2 changes: 2 widen what the function may do, 0 narrow it\n',
    );
    const json = JSON.parse(
      warden(['policy', 'diff', '--json', join(dir, 'a.yaml'), join(dir, 'b.yaml')]).stdout,
    );
    assert.deepEqual(json[1], {
      path: 'process.allow',
      change: 'added',
      after: { exe: 'curl' },
      effect: 'widens',
    });
    const bad = warden(['policy', 'diff', join(dir, 'a.yaml'), join(dir, 'bad.yaml')]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /bad\.yaml:2/);
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
  // The closing sentences, computed from the runs (src/cli/demo-outcome.ts): all good here.
  assert.equal(out.outcome.ok, true, JSON.stringify(out.outcome));
  assert.ok(out.outcome.sentences.every((x) => x.good));
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
    // Each attack: the policy's finding, and the detections that name it.
    const rulesOf = (i) =>
      [
        ...new Set(
          run.findings
            .filter((f) => f.metadata.correlation_uid === run.results[i].requestId)
            .map((f) => f.finding_info.analytic.uid),
        ),
      ].sort();
    assert.deepEqual(
      rulesOf(2),
      [
        'warden.detect.command-injection',
        'warden.process.spawn',
        'warden.rule.proc-environ-read',
        'warden.rule.shell-spawned',
      ],
      run.mode,
    );
    assert.deepEqual(
      rulesOf(3),
      ['warden.detect.path-traversal', 'warden.files.read', 'warden.rule.proc-environ-read'],
      run.mode,
    );
    const injection = run.findings.find(
      (f) => f.finding_info.analytic.uid === 'warden.detect.command-injection',
    );
    assert.equal(injection.unmapped.input.effect, 'changed the structure of a shell command');
    assert.deepEqual(
      injection.finding_info.attacks.map((a) => a.technique.uid),
      ['T1190', 'T1059.004'],
    );
    // Each finding names the invocation it came from: the attacks', never the benign requests'.
    assert.deepEqual(
      [...new Set(run.findings.map((f) => f.metadata.correlation_uid))].sort(),
      [run.results[2].requestId, run.results[3].requestId].sort(),
    );
  }
  const text = execFileSync(NODE, [CLI, 'demo'], { encoding: 'utf8' });
  assert.match(text, /BLOCKED/);
  assert.match(text, /DETECTED/);
  assert.match(text, /Warden refused 2 of 2 attacks\./);
  assert.match(text, /Every benign request succeeded in both modes \(2 requests each\)\./);
});

test('bad usage exits 2 with a one-line reason, never the whole help', () => {
  const fn = join(ROOT, 'test', 'fixtures', 'functions', 'basic');
  const ev = join(ROOT, 'examples', 'doc-convert', 'events', 'benign-read.json');
  const bad = join(ROOT, 'package.json');
  const cases = [
    [['invoke', '/nonexistent-fn', '--handler', 'index.handler', '--event', ev], /does not exist/],
    [['invoke', fn, '--handler', 'index', '--event', ev], /expected <file>\.<export>/],
    [['invoke', fn, '--handler', 'index.handler'], /at least one --event/],
    [['invoke', fn, '--handler', 'index.handler', '--event', '/nonexistent.json'], /cannot read event/],
    [['invoke', fn, '--handler', 'index.handler', '--event', join(ROOT, 'README.md')], /is not JSON/],
    [['invoke', fn, '--handler', 'index.handler', '--event', ev, '--timeout', '0'], /--timeout must be/],
    [['invoke', fn, '--handler', 'index.handler', '--event', ev, '--memory', '64'], /--memory must be/],
    [
      ['invoke', fn, '--handler', 'index.handler', '--event', ev, '--runtime', 'nodejs18.x'],
      /--runtime must be/,
    ],
    [['invoke', fn, '--handler', 'index.handler', '--event', ev, '--mode', 'block'], /--mode must be/],
    [['invoke', fn, '--handler', 'index.handler', '--event', ev, '--env', 'NOEQUALS'], /expected KEY=VALUE/],
    [['invoke', fn, '--handler', 'index.handler', '--event', ev, '--layer', bad], /is not a directory/],
    [
      ['invoke', fn, '--handler', 'index.handler', '--event', ev, '--no-warden', '--mode', 'enforce'],
      /need the Warden layer/,
    ],
    // commander's own: a mistyped option or command, a missing required option, an extra argument.
    [['invoke', fn, '--handler', 'index.handler', '--evnet', ev], /unknown option '--evnet'.*--help lists/],
    [['invoek', fn], /unknown command 'invoek'/],
    [['invoke', fn, '--event', ev], /required option '--handler/],
    [['layer', 'build', '--out'], /option '--out <dir\|file\.zip>' argument missing/],
    [['policy', 'check'], /missing required argument/],
  ];
  for (const [args, reason] of cases) {
    const r = spawnSync(NODE, [CLI, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, reason);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
});

test('warden invoke: --event - reads an event from stdin', () => {
  const fn = join(ROOT, 'bench', 'functions', 'trivial');
  const r = spawnSync(
    NODE,
    [CLI, 'invoke', fn, '--handler', 'index.handler', '--event', '-', '--no-warden'],
    {
      encoding: 'utf8',
      input: '{"n": "from-stdin"}',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).response, { statusCode: 200, body: 'from-stdin' });
});

test('warden --help lists invoke and layer build', () => {
  const help = spawnSync(NODE, [CLI, '--help'], { encoding: 'utf8' });
  assert.match(help.stdout, /invoke \[options\] <function-dir>/);
  assert.match(help.stdout, /layer/);
});

test('--json: layer build, learn and rules fields print what they did as JSON', () => {
  const { dir, cleanup } = tempDir('warden-json-');
  try {
    const layer = warden(['layer', 'build', '--out', join(dir, 'layer.zip'), '--json']);
    assert.equal(layer.status, 0, layer.stderr);
    const built = JSON.parse(layer.stdout);
    assert.equal(built.zip, true);
    assert.equal(built.out, join(dir, 'layer.zip'));
    assert.ok(built.files.includes('warden/wrapper') && built.files.includes('warden/sensor.cjs'));
    const fields = warden(['rules', 'fields', '--json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(fields.some((f) => f.name === 'process.exe' && f.type === 'string'));
    assert.ok(fields.every((f) => f.name && f.type && f.surfaces && f.doc));
    const event = join(dir, 'e.json');
    writeFileSync(event, '{"n":1}');
    const learned = warden([
      'learn',
      join(ROOT, 'test', 'fixtures', 'functions', 'basic'),
      '--handler',
      'index.handler',
      '--event',
      event,
      '--out',
      join(dir, 'p.yaml'),
      '--json',
    ]);
    assert.equal(learned.status, 0, learned.stderr);
    const summary = JSON.parse(learned.stdout);
    assert.equal(summary.out, join(dir, 'p.yaml'));
    assert.equal(summary.invocations, 1);
    assert.ok(summary.entries > 0);
    assert.equal(typeof summary.completeObservation, 'boolean');
  } finally {
    cleanup();
  }
});
