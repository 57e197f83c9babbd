import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const { parsePolicy, formatPolicyError, defaultPolicy } = createRequire(import.meta.url)(
  '../../dist/lib.cjs',
);

test('a YAML policy merges over the built-in defaults, field by field', () => {
  const r = parsePolicy(
    'p.yaml',
    'version: 1\nmode: enforce\nprocess:\n  allow: [curl, { exe: /usr/bin/git, args: "clone *" }]\nnetwork:\n  default: deny\n  allow: ["*.amazonaws.com", "10.0.0.0/8", { host: api.example.com, port: 443 }]\n',
  );
  assert.equal(r.ok, true, JSON.stringify(r));
  const p = r.policy;
  assert.equal(p.mode, 'enforce');
  assert.equal(p.process.default, 'deny');
  assert.deepEqual(p.process.allow, [{ exe: 'curl' }, { exe: '/usr/bin/git', args: 'clone *' }]);
  assert.deepEqual(p.network.allow, [
    { host: '*.amazonaws.com' },
    { cidr: '10.0.0.0/8' },
    { host: 'api.example.com', port: 443 },
  ]);
  assert.deepEqual(p.network.deny, defaultPolicy().network.deny, 'unspecified lists keep the defaults');
  assert.deepEqual(p.files, defaultPolicy().files);
});

test('a JSON policy is accepted too', () => {
  const r = parsePolicy(
    'p.json',
    JSON.stringify({ version: 1, files: { write: { default: 'deny', allow: ['/tmp/out/**'] } } }),
  );
  assert.equal(r.ok, true);
  assert.deepEqual(r.policy.files.write.allow, [{ path: '/tmp/out/**' }]);
});

test('errors name the file, the line and the field', () => {
  const cases = [
    [
      'version: 1\nmode: enforce\nnetwork:\n  allow:\n    - host: a.com\n      prot: 443\n',
      6,
      'network.allow[0].prot',
      /unknown field "prot"/,
    ],
    [
      'version: 1\nprocess:\n  default: block\n',
      3,
      'process.default',
      /must be one of "allow", "alert", "deny"/,
    ],
    [
      'version: 1\nnetwork:\n  deny:\n    - cidr: 10.0.0.0/99\n',
      4,
      'network.deny[0].cidr',
      /not a valid CIDR/,
    ],
    [
      'version: 1\nnetwork:\n  deny:\n    - port: "90-10"\n',
      4,
      'network.deny[0].port',
      /not a valid port range/,
    ],
    ['mode: enforce\n', 1, '(root)', /missing required field "version"/],
    ['version: 1\nfiles:\n  read:\n    deny: [/proc/**/environ\n', 5, '', /syntax error/],
    ['version: 2\n', 1, 'version', /must be 1/],
    ['version: 1\npackages:\n  lodash: [network, teleport]\n', 3, 'packages.lodash[1]', /must be one of/],
  ];
  for (const [text, line, field, message] of cases) {
    const r = parsePolicy('/etc/warden/policy.yaml', text);
    assert.equal(r.ok, false, text);
    assert.equal(r.error.file, '/etc/warden/policy.yaml');
    assert.equal(r.error.line, line, `${text} → ${JSON.stringify(r.error)}`);
    assert.equal(r.error.field, field, text);
    assert.match(r.error.message, message, text);
    assert.match(formatPolicyError(r.error), new RegExp(`^/etc/warden/policy.yaml:${line}`));
  }
});

test('a JSON policy error has its line too', () => {
  const r = parsePolicy('p.json', '{\n  "version": 1,\n  "code": {\n    "eval": "sometimes"\n  }\n}\n');
  assert.equal(r.ok, false);
  assert.equal(r.error.line, 4);
  assert.equal(r.error.field, 'code.eval');
});
