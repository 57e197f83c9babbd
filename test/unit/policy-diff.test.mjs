// `warden policy diff`: what changed between two policies, and which changes widen what the
// function may do (the ones a reviewer must look at).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const lib = createRequire(import.meta.url)('../../dist/lib.cjs');
const parse = (yaml) => {
  const r = lib.parsePolicy('p.yaml', yaml);
  assert.ok(r.ok, JSON.stringify(r.error));
  return r.policy;
};
const summary = (changes) => changes.map((c) => `${c.change} ${c.path} ${c.effect}`);

test('identical policies, keys in another order, have no differences', () => {
  const a = parse('version: 1\nprocess:\n  allow: [ { exe: curl, args: "-s *" } ]\n');
  const b = parse('version: 1\nprocess:\n  allow: [ { args: "-s *", exe: curl } ]\n');
  assert.deepEqual(lib.diffPolicies(a, b), []);
  assert.equal(lib.formatPolicyDiff([]), 'no differences\n');
});

test('each kind of change, and whether it widens or narrows', () => {
  const a = parse(
    'version: 1\nmode: enforce\nfailClosed: true\nprocess:\n  allow: [ { exe: curl } ]\nfiles:\n  write:\n    default: deny\n    allow: [ "/tmp/**" ]\ncode:\n  eval: deny\nsecrets:\n  names: [ DB_PASSWORD ]\npackages:\n  lodash: []\n  axios: [network]\n',
  );
  const b = parse(
    'version: 1\nmode: monitor\nfailClosed: false\nprocess:\n  allow: [ { exe: curl }, { exe: git, parent: node } ]\n  deny: [ { exe: nc } ]\nfiles:\n  write:\n    default: alert\n    allow: [ "/tmp/**" ]\ncode:\n  eval: allow\nsecrets:\n  names: [ DB_PASSWORD, API_KEY ]\npackages:\n  lodash: [process]\n  "@aws-sdk/*": [network]\n',
  );
  assert.deepEqual(summary(lib.diffPolicies(a, b)), [
    'changed mode widens',
    'changed failClosed widens',
    'added process.allow widens',
    'added process.deny narrows',
    'changed files.write.default widens',
    'changed code.eval widens',
    'added secrets.names narrows',
    'added packages["lodash"] widens',
    'removed packages["axios"] widens',
    'added packages["@aws-sdk/*"] narrows',
  ]);
  const text = lib.formatPolicyDiff(lib.diffPolicies(a, b));
  assert.match(text, /^~ mode: enforce → monitor {2}\(widens\)$/m);
  assert.match(text, /^\+ process\.allow: \{ exe: git, parent: node \} {2}\(widens\)$/m);
  assert.match(text, /^- packages\["axios"\]: \[network\] {2}\(widens\)$/m);
  assert.match(text, /^10 changes: 7 widen what the function may do, 3 narrow it$/m);
  // The reverse diff mirrors it.
  const back = lib.diffPolicies(b, a);
  assert.equal(back.length, 10);
  assert.equal(back.filter((c) => c.effect === 'widens').length, 3);
});

test('replacing a default list shows what was dropped with it', () => {
  // A deny list written in the file replaces the default one: the metadata-endpoint denies go.
  const changes = lib.diffPolicies(
    parse('version: 1\n'),
    parse('version: 1\nnetwork:\n  deny: [ { cidr: 10.0.0.0/8 } ]\n'),
  );
  assert.ok(
    changes.some(
      (c) =>
        c.change === 'removed' &&
        c.path === 'network.deny' &&
        c.before.cidr === '169.254.169.254/32' &&
        c.effect === 'widens',
    ),
  );
  assert.ok(
    changes.some((c) => c.change === 'added' && c.after.cidr === '10.0.0.0/8' && c.effect === 'narrows'),
  );
});
