// Compiled documents (the layer's policy.json and rules.json): taken as they are when their
// digest matches — exactly what validating the same text gives — and validated, with a clear
// error, once edited.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers.mjs';

const { parsePolicy, parseRuleFile, defaultPolicy, compiledJson, readCompiled, DEFAULT_RULES } =
  createRequire(import.meta.url)('../../dist/lib.cjs');

const POLICIES = {
  default: JSON.stringify(defaultPolicy()),
  example: readFileSync(join(ROOT, 'examples', 'doc-convert', 'warden-policy.yaml'), 'utf8'),
  rich: [
    'version: 1',
    'mode: enforce',
    'onPolicyError: deny-all',
    'process: { default: deny, allow: [curl, { exe: /usr/bin/git, args: "clone *", parent: "node" }] }',
    'network: { default: deny, allow: ["*.amazonaws.com", "10.0.0.0/8", { host: api.example.com, port: 443 }] }',
    'files: { read: { deny: ["/proc/*/environ"] }, write: { allow: ["/tmp/**"] } }',
    'code: { eval: alert, wasm: deny, nativeAddons: { default: deny, allow: [sharp] } }',
    'packages: { lodash: [], "@aws-sdk/*": [network], "123": [fs-read] }',
    '',
  ].join('\n'),
};

for (const [name, source] of Object.entries(POLICIES)) {
  test(`a compiled policy (${name}) reads back as validating it gives`, () => {
    const parsed = parsePolicy(`${name}.yaml`, source);
    assert.equal(parsed.ok, true, JSON.stringify(parsed.error));
    const text = compiledJson(parsed.policy);
    const fast = readCompiled(text);
    assert.ok(fast, 'the digest matches');
    const validated = parsePolicy('policy.json', text);
    assert.equal(validated.ok, true, JSON.stringify(validated.error));
    assert.deepEqual(fast, validated.policy);
    assert.deepEqual(fast, parsed.policy);
  });
}

test('an edited compiled policy is validated as written: its error names the line and field', () => {
  const parsed = parsePolicy('p.yaml', POLICIES.rich);
  assert.equal(parsed.ok, true, JSON.stringify(parsed.error));
  const text = compiledJson(parsed.policy);
  const edited = text.replace('"mode": "enforce"', '"mode": "enforcing"');
  assert.notEqual(edited, text);
  assert.equal(readCompiled(edited), undefined, 'the digest no longer matches');
  const r = parsePolicy('policy.json', edited);
  assert.equal(r.ok, false);
  assert.equal(r.error.field, 'mode');
  assert.equal(r.error.line, text.split('\n').findIndex((l) => l.includes('"mode"')) + 1);
  // A valid edit loads (the digest is not a field the schema refuses).
  const valid = parsePolicy('policy.json', text.replace('"mode": "enforce"', '"mode": "monitor"'));
  assert.equal(valid.ok, true, JSON.stringify(valid.error));
  assert.equal(valid.policy.mode, 'monitor');
});

test('compiled rules read back as checking them gives', () => {
  const known = new Set(DEFAULT_RULES.map((r) => r.id));
  const source = [
    'version: 1',
    'rules:',
    `  - { id: ${DEFAULT_RULES[0].id}, action: alert }`,
    '  - id: acme.no-imagemagick',
    '    title: ImageMagick run',
    '    description: Our functions never need ImageMagick.',
    '    severity: medium',
    '    surfaces: [process]',
    '    condition: { all: [ { field: op, equals: spawn }, { field: process.names, in: [convert, magick] } ] }',
    '    action: alert',
    '    mitre: [ { tactic: TA0002, technique: T1059 } ]',
    '',
  ].join('\n');
  const parsed = parseRuleFile('rules.yaml', source, known);
  assert.equal(parsed.ok, true, JSON.stringify(parsed.error));
  const text = compiledJson({ version: 1, rules: parsed.rules });
  const fast = readCompiled(text);
  assert.ok(fast);
  const checked = parseRuleFile('rules.json', text, known);
  assert.equal(checked.ok, true, JSON.stringify(checked.error));
  assert.deepEqual(fast.rules, checked.rules);
  assert.equal(readCompiled(text.replace('ImageMagick run', 'ImageMagick ran')), undefined);
});
