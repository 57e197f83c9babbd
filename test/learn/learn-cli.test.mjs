// `warden learn` as users run it: from production findings (--from), from the raw observations
// of an earlier run, merged into a reviewed policy (--merge), with progress on a terminal, and
// with a one-line reason for bad usage.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NODE, ROOT, tempDir } from '../helpers.mjs';
import { CLI, invoke, RUNTIME, run } from '../sandbox-helpers.mjs';
import { assertBenignPass, learnCli, writeEvents } from './learn-helpers.mjs';

const FN = join(ROOT, 'examples', 'doc-convert');
const post = (name) => ({ httpMethod: 'POST', path: '/convert', body: JSON.stringify({ name }) });
const get = (doc) => ({ httpMethod: 'GET', path: `/docs/${doc}`, headers: {} });

const learn = learnCli;
const assertClean = (policy, events) => assertBenignPass(FN, policy, events);

// A policy that reports everything and blocks nothing: what a deployed function runs while its
// behaviour is collected.
const OBSERVE_ALL = `version: 1
mode: monitor
process: { default: alert }
network: { default: alert, deny: [] }
files: { read: { default: alert, deny: [] }, write: { default: alert }, exec: { default: alert, deny: [] } }
code: { eval: alert, wasm: alert, workers: alert, nativeAddons: { default: alert, deny: [] }, modules: { default: alert } }
secrets: { default: alert }
`;

test('learn --from monitor-mode findings of a deployed function: the policy lets the same traffic through and blocks attacks', async () => {
  const { dir, cleanup } = tempDir('warden-learn-cli-');
  try {
    writeFileSync(join(dir, 'observe.yaml'), OBSERVE_ALL);
    const prod = await invoke(
      FN,
      'index.handler',
      [post('quarterly'), post('annual'), get('quarterly.md'), get('annual.md')],
      {
        args: ['--policy', join(dir, 'observe.yaml')],
      },
    );
    const findings = join(dir, 'prod-findings.jsonl');
    // Findings as CloudWatch has them: among log lines.
    writeFileSync(
      findings,
      `START RequestId: x Version: $LATEST\n${prod.findings.map((f) => JSON.stringify(f)).join('\n')}\nEND RequestId: x\n`,
    );
    prod.cleanup();
    const r = await learn(['--from', findings, '--out', join(dir, 'from.yaml')]);
    assert.match(r.stderr, /\(2 line\(s\) of --from input were not Warden records\)/);
    const policy = readFileSync(join(dir, 'from.yaml'), 'utf8');
    assert.match(policy, /# Learned from: observations from prod-findings\.jsonl\./);
    assert.match(policy, /argv: \[converting, "\[\^-\]\*\.md", to, "\[\^-\]\*\.pdf"\]/);
    await assertClean(join(dir, 'from.yaml'), [
      post('monthly'),
      post('x-2027'),
      get('budget.md'),
      get('roadmap.md'),
    ]);
    const attack = await invoke(FN, 'index.handler', [post('x; id')], {
      args: ['--policy', join(dir, 'from.yaml')],
    });
    assert.equal(attack.results[0].status, 'error');
    assert.ok(attack.findings.some((f) => f.finding_info.analytic.uid === 'warden.deviation.process'));
    attack.cleanup();
  } finally {
    cleanup();
  }
});

test('learn --observations, then --from them: the same policy; --merge adds, and policy diff shows only widening', async () => {
  const { dir, cleanup } = tempDir('warden-learn-cli-');
  try {
    const converts = writeEvents(dir, 'c', [post('quarterly'), post('annual'), post('q-2026')]);
    const reads = writeEvents(dir, 'r', [get('quarterly.md'), get('annual.md')]);
    await learn([
      FN,
      '--handler',
      'index.handler',
      ...converts,
      '--out',
      join(dir, 'a.yaml'),
      '--observations',
      join(dir, 'obs.jsonl'),
    ]);
    assert.ok(existsSync(join(dir, 'obs.jsonl')));
    await learn(['--from', join(dir, 'obs.jsonl'), '--out', join(dir, 'a-again.yaml')]);
    const same = await run(NODE, [CLI, 'policy', 'diff', join(dir, 'a.yaml'), join(dir, 'a-again.yaml')]);
    assert.equal(same.code, 0, same.stdout);

    // The reviewer adds an entry by hand; learning more keeps it and says so.
    const reviewed = readFileSync(join(dir, 'a.yaml'), 'utf8').replace(
      /^network:\n {2}default: deny\n {2}allow: \[\]/m,
      'network:\n  default: deny\n  allow: [{ host: api.partner.example, port: 443 }]',
    );
    assert.notEqual(reviewed, readFileSync(join(dir, 'a.yaml'), 'utf8'));
    writeFileSync(join(dir, 'reviewed.yaml'), reviewed);
    await learn([
      FN,
      '--handler',
      'index.handler',
      ...reads,
      '--merge',
      join(dir, 'reviewed.yaml'),
      '--out',
      join(dir, 'merged.yaml'),
    ]);
    const merged = readFileSync(join(dir, 'merged.yaml'), 'utf8');
    assert.match(merged, /# kept from reviewed\.yaml\n\s+- host: api\.partner\.example/);
    assert.match(merged, /merged into reviewed\.yaml/);
    const diff = await run(NODE, [
      CLI,
      'policy',
      'diff',
      join(dir, 'reviewed.yaml'),
      join(dir, 'merged.yaml'),
    ]);
    assert.equal(diff.code, 1);
    const lines = diff.stdout.split('\n').filter((l) => /^[+~-] /.test(l));
    assert.ok(lines.length > 0, diff.stdout);
    assert.ok(
      lines.every((l) => /\(widens\)$/.test(l) || /learned/.test(l)),
      `only widening: ${diff.stdout}`,
    );
    await assertClean(join(dir, 'merged.yaml'), [post('monthly'), get('handbook.md')]);
  } finally {
    cleanup();
  }
});

test('learn shows progress on a terminal, and explains bad usage in one line', async () => {
  const { dir, cleanup } = tempDir('warden-learn-cli-');
  try {
    const events = writeEvents(dir, 'e', [post('a1'), post('b2')]);
    // A pseudo-terminal for stderr: the bar.
    const cmd = [
      NODE,
      CLI,
      'learn',
      FN,
      '--handler',
      'index.handler',
      ...events,
      '--out',
      join(dir, 'p.yaml'),
      '--runtime',
      RUNTIME,
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    const tty = await run('script', ['-qec', cmd, '/dev/null']);
    assert.equal(tty.code, 0, tty.stdout);
    assert.match(tty.stdout, /\[#{24}\] 2\/2 events success/);

    const cases = [
      [['learn', '--out', join(dir, 'x.yaml')], /give a function directory with --event, or --from/],
      [['learn', FN, '--handler', 'index.handler', '--out', join(dir, 'x.yaml')], /at least one --event/],
      [
        ['learn', '--from', join(dir, 'missing.jsonl'), '--out', join(dir, 'x.yaml')],
        /cannot read --from .*ENOENT/,
      ],
      [
        ['learn', '--from', join(ROOT, 'package.json'), '--out', join(dir, 'x.yaml')],
        /no Warden observations or findings/,
      ],
      [['learn', FN, ...events, '--out', join(dir, 'x.yaml')], /--handler <file.export> is required/],
      [
        ['learn', '--from', join(dir, 'obs.jsonl'), '--out', join(dir, 'no-such-dir', 'x.yaml')],
        /directory .* does not exist/,
      ],
      [
        [
          'learn',
          '--from',
          join(dir, 'obs.jsonl'),
          '--merge',
          join(ROOT, 'package.json'),
          '--out',
          join(dir, 'x.yaml'),
        ],
        /package\.json/,
      ],
    ];
    writeFileSync(
      join(dir, 'obs.jsonl'),
      '{"warden":"observation","v":1,"event":{"surface":"secrets","op":"read","api":"x","name":"AWS_SECRET_ACCESS_KEY"},"package":"p","count":1}\n',
    );
    for (const [args, reason] of cases) {
      const r = await run(NODE, [CLI, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, reason);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(!existsSync(join(dir, 'x.yaml')), 'nothing written');
    }
  } finally {
    cleanup();
  }
});

test("a binary shipped in the function's directory: learned relative to LAMBDA_TASK_ROOT, allowed by the sensor and by the extension", async () => {
  const { dir, cleanup } = tempDir('warden-learn-cli-');
  const fn = join(ROOT, 'test', 'fixtures', 'functions', 'shipped-tool');
  try {
    const events = writeEvents(dir, 'm', [{ month: '2026-01' }, { month: '2026-02' }]);
    await learn([fn, '--handler', 'index.handler', ...events, '--out', join(dir, 'p.yaml')]);
    const policy = readFileSync(join(dir, 'p.yaml'), 'utf8');
    assert.match(policy, /path: \$\{LAMBDA_TASK_ROOT\}\/bin\/report\.sh/);
    assert.match(policy, /exe: \$\{LAMBDA_TASK_ROOT\}\/bin\/report\.sh|exe: .*report\.sh/);
    const r = await invoke(fn, 'index.handler', [{ month: '2027-07' }, { month: '2030-12' }], {
      args: ['--policy', join(dir, 'p.yaml')],
    });
    try {
      assert.deepEqual(
        r.results.map((x) => x.response?.report),
        ['report for 2027-07', 'report for 2030-12'],
        `${r.stderr}\nfindings: ${JSON.stringify(r.findings.map((f) => `${f.unmapped.layer} ${f.finding_info.analytic.uid}: ${f.finding_info.desc}`))}`,
      );
      assert.deepEqual(
        r.findings.map((f) => `${f.unmapped.layer}: ${f.finding_info.desc}`),
        [],
      );
    } finally {
      r.cleanup();
    }
  } finally {
    cleanup();
  }
});

test('learn writes nothing and exits 1 when the handler does not load or no invocation succeeds', async () => {
  const { dir, cleanup } = tempDir('warden-learn-fail-');
  try {
    const fixtures = join(ROOT, 'test', 'fixtures', 'functions');
    const events = writeEvents(dir, 'e', [{ n: 1 }, { n: 2 }]);
    const cases = [
      ['init-error', 'index.handler', /nothing learned, no policy written/],
      ['basic', 'index.nosuchexport', /the handler did not load \(Runtime\.HandlerNotFound/],
      ['basic', 'index.fail', /every one of the 2 invocation\(s\) failed/],
    ];
    for (const [fn, handler, said] of cases) {
      const out = join(dir, `${fn}-${handler}.yaml`);
      const r = await run(NODE, [
        CLI,
        'learn',
        join(fixtures, fn),
        '--handler',
        handler,
        ...events,
        '--out',
        out,
        '--runtime',
        RUNTIME,
      ]);
      assert.equal(r.code, 1, `${fn} ${handler}: ${r.stderr}`);
      assert.match(r.stderr, said);
      assert.ok(!existsSync(out), `${fn} ${handler}: a policy was written`);
    }
    // The same handler, loaded and succeeding: learned as before.
    const mixed = writeEvents(dir, 'm', [{ n: 1 }]);
    const out = join(dir, 'ok.yaml');
    const ok = await run(NODE, [
      CLI,
      'learn',
      join(fixtures, 'basic'),
      '--handler',
      'index.handler',
      ...mixed,
      '--out',
      out,
      '--runtime',
      RUNTIME,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(existsSync(out));
  } finally {
    cleanup();
  }
});
