// The rules as users develop them, through the public CLI: every default rule has a firing
// and a benign case (rules-cases.jsonl) that `warden rules test` checks; user files override,
// disable and add rules; a bad file is refused with file, line and field.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NODE, ROOT, tempDir } from '../helpers.mjs';
import { CLI } from '../sandbox-helpers.mjs';

const CASES = join(ROOT, 'test', 'detect', 'rules-cases.jsonl');
const warden = (...args) => spawnSync(NODE, [CLI, ...args], { encoding: 'utf8' });

test('every default rule has a case that fires it and a benign case that does not', () => {
  const listed = warden('rules', 'list', '--json');
  assert.equal(listed.status, 0, listed.stderr);
  const rules = JSON.parse(listed.stdout);
  assert.ok(rules.length >= 25, `${rules.length} rules`);
  for (const r of rules) {
    assert.ok(r.mitre.length > 0, `${r.id} has MITRE tags`);
    assert.ok(r.description.length > 20, `${r.id} says what it detects`);
  }
  const run = warden('rules', 'test', 'default', CASES, '--json');
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const results = new Map(
    run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((r) => [r.line, r]),
  );
  const lines = readFileSync(CASES, 'utf8').split('\n');
  const fires = new Map();
  const benign = new Map();
  lines.forEach((text, i) => {
    if (!text.startsWith('{')) return;
    const c = JSON.parse(text);
    const got = results.get(i + 1);
    assert.ok(got, `line ${i + 1} was run`);
    assert.equal(got.failed, undefined, `line ${i + 1}: ${got.failed}`);
    const [kind, id] = c.case.split(':');
    const fired = got.fired.map((f) => f.rule);
    const rule = `warden.${id}`;
    if (kind === 'fires' && fired.includes(rule)) fires.set(rule, (fires.get(rule) ?? 0) + 1);
    if (kind === 'benign' && !fired.includes(rule)) benign.set(rule, (benign.get(rule) ?? 0) + 1);
  });
  for (const r of rules) {
    assert.ok(fires.get(r.id) > 0, `${r.id}: no case fires it`);
    assert.ok(benign.get(r.id) > 0, `${r.id}: no benign case`);
  }
});

test('rules test: a line whose expectation is not met fails with exit 1 and says why', () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = join(dir, 'e.jsonl');
    writeFileSync(
      f,
      `${JSON.stringify({ event: { surface: 'files', op: 'read', api: 'open', requested: '/proc/self/environ', path: '/proc/9/environ' }, expect: [] })}\n`,
    );
    const r = warden('rules', 'test', 'default', f);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /unexpected warden\.rule\.proc-environ-read/);
    // A Warden finding line works as an event too (what production logs hold).
    const finding = warden('rules', 'test', 'default', join(dir, 'none.jsonl'));
    assert.equal(finding.status, 2);
    assert.match(finding.stderr, /cannot read/);
  } finally {
    cleanup();
  }
});

test('a user rules file overrides, disables and adds rules, and they run', () => {
  const { dir, cleanup } = tempDir();
  try {
    const rulesFile = join(dir, 'rules.yaml');
    writeFileSync(
      rulesFile,
      `version: 1
rules:
  - id: warden.rule.shell-spawned
    disabled: true
  - id: warden.rule.network-tool
    severity: critical
    action: kill
  - id: acme.no-imagemagick
    title: ImageMagick run
    description: Our functions never need ImageMagick.
    severity: medium
    surfaces: [process]
    condition:
      all:
        - { field: op, equals: spawn }
        - { field: process.names, in: [convert, magick] }
    action: alert
    mitre:
      - { tactic: TA0002, technique: T1059 }
`,
    );
    const list = warden('rules', 'list', '--rules', rulesFile);
    assert.equal(list.status, 0, list.stderr);
    assert.doesNotMatch(list.stdout, /warden\.rule\.shell-spawned/);
    assert.match(list.stdout, /warden\.rule\.network-tool\s+critical\s+kill/);
    assert.match(list.stdout, /acme\.no-imagemagick\s+medium\s+alert\s+process\s+T1059\s+.*rules\.yaml/);
    const events = join(dir, 'e.jsonl');
    writeFileSync(
      events,
      [
        {
          surface: 'process',
          op: 'spawn',
          api: 'spawn_sync',
          file: 'sh',
          exe: '/bin/sh',
          argv: ['sh', '-c', 'convert a b'],
          shellScript: 'convert a b',
          shellCommands: [{ name: 'convert', exe: '/usr/bin/convert', argv: ['convert', 'a', 'b'] }],
        },
      ]
        .map((e) => JSON.stringify({ event: e, expect: ['acme.no-imagemagick'] }))
        .join('\n'),
    );
    const r = warden('rules', 'test', rulesFile, events);
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /ALERT acme\.no-imagemagick/);
    const check = warden('rules', 'check', rulesFile);
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /ok \(\d+ rules with the defaults\)/);
  } finally {
    cleanup();
  }
});

test('a bad rules file is refused with file, line and field, in one line', () => {
  const { dir, cleanup } = tempDir();
  try {
    const rule = (body) =>
      `version: 1\nrules:\n  - id: acme.x\n    title: X\n    severity: low\n    surfaces: [process]\n    action: alert\n${body}`;
    const cases = [
      [
        rule('    condition: { field: process.nope, equals: x }\n'),
        /:8:\d+: rules\[0\]\.condition\.field: unknown field "process\.nope"/,
      ],
      [
        rule('    condition: { field: process.name, matches: x }\n'),
        /:8:\d+: rules\[0\]\.condition\.matches: unknown operator "matches"/,
      ],
      [
        rule('    condition: { field: process.name, regex: "(" }\n'),
        /:8:\d+: rules\[0\]\.condition\.regex: bad regular expression/,
      ],
      [
        rule('    condition: { field: network.port, glob: "8*" }\n'),
        /rules\[0\]\.condition\.glob: "glob" needs a text field; network\.port is a number/,
      ],
      [
        rule(
          '    condition: { field: op, equals: spawn }\n    mitre: [ { tactic: TA0002, technique: T9999 } ]\n',
        ),
        /:9:\d+: rules\[0\]\.mitre\[0\]\.technique: unknown ATT&CK technique "T9999"/,
      ],
      [
        rule('    condition: { field: op, equals: spawn }\n    sevrity: high\n'),
        /:9:\d+: rules\[0\]\.sevrity: unknown field "sevrity"/,
      ],
      [rule('    detector: telepathy\n'), /rules\[0\]\.detector: unknown detector/],
      [
        'version: 1\nrules:\n  - id: acme.new\n    title: New\n',
        /rules\[0\]: missing required field "severity"/,
      ],
      ['version: 1\nrules:\n  - id: a\n    title: [unclosed\n', /:\d+:\d+: syntax error/],
      ['version: 2\nrules: []\n', /:1:\d+: version: must be 1/],
    ];
    for (const [text, reason] of cases) {
      const f = join(dir, 'bad.yaml');
      writeFileSync(f, text);
      for (const cmd of [
        ['rules', 'check', f],
        ['rules', 'list', '--rules', f],
      ]) {
        const r = warden(...cmd);
        assert.equal(r.status, 2, `${text}\n${r.stdout}`);
        assert.match(
          r.stderr,
          new RegExp(`bad\\.yaml(:\\d+:\\d+)?:? ?${reason.source.replace(/^:/, '')}`),
          text,
        );
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      }
    }
  } finally {
    cleanup();
  }
});

test('rules fields lists what conditions can test', () => {
  const r = warden('rules', 'fields');
  assert.equal(r.status, 0);
  for (const f of [
    'process.names',
    'network.data.credential',
    'file.in_task_root',
    'package.read_credentials',
  ])
    assert.match(r.stdout, new RegExp(`^${f.replace('.', '\\.')}\\s`, 'm'));
});
