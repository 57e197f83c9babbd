import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const { permissionFlags, permissionModelApplies, defaultPolicy, parsePolicy } = createRequire(
  import.meta.url,
)('../../dist/lib.cjs');

const node22 = {
  major: 22,
  flags: new Set([
    '--permission',
    '--allow-fs-read',
    '--allow-fs-write',
    '--allow-child-process',
    '--allow-worker',
    '--allow-addons',
    '--allow-wasi',
    '--disable-warning',
    '--disallow-code-generation-from-strings',
  ]),
};
const node20 = {
  major: 20,
  flags: new Set([
    '--experimental-permission',
    '--allow-fs-read',
    '--allow-fs-write',
    '--allow-child-process',
    '--allow-worker',
    '--allow-addons',
    '--disallow-code-generation-from-strings',
  ]),
};

test('the default policy: reads open, writes to /tmp only, no child processes', () => {
  const r = permissionFlags(defaultPolicy(), node22);
  assert.equal(r.supported, true);
  assert.deepEqual(r.flags, [
    '--permission',
    '--allow-fs-read=*',
    '--allow-fs-write=/dev/null',
    '--allow-fs-write=/dev/stderr',
    '--allow-fs-write=/dev/stdout',
    '--allow-fs-write=/tmp',
    '--allow-fs-write=/tmp/',
    '@platform-write@',
    '--allow-worker',
    '--allow-addons',
    '--allow-wasi',
    '--disable-warning=SecurityWarning',
  ]);
  assert.ok(!r.flags.includes('--allow-child-process'));
});

test('Node 20 spelling: --experimental-permission, each path its own flag (20.20 refuses a comma list)', () => {
  const r = permissionFlags(defaultPolicy(), node20);
  assert.equal(r.flags[0], '--experimental-permission');
  assert.ok(r.flags.includes('--allow-fs-write=/dev/null'));
  assert.ok(r.flags.includes('--allow-fs-write=/tmp/'));
  assert.ok(!r.flags.some((f) => f.includes(',')));
});

const ROOT = `$${'{LAMBDA_TASK_ROOT}'}`;

test("a restricted read list keeps the task root's placeholder for the wrapper and asks for the platform's own paths", () => {
  const { policy } = parsePolicy(
    'p',
    `version: 1\nfiles:\n  read:\n    default: deny\n    allow: ["${ROOT}/**", "/etc/ssl/**"]\n`,
  );
  const r = permissionFlags(policy, node22);
  assert.ok(r.flags.includes(`--allow-fs-read=${ROOT}/`), r.flags.join(' '));
  assert.ok(r.flags.includes('--allow-fs-read=/etc/ssl/'));
  assert.ok(r.flags.includes('@platform-read@'));
  assert.ok(!r.flags.includes('--allow-fs-read=/'));
});

test('hard denials become flags: eval; allowed processes keep --allow-child-process; workers and addons stay granted (the watcher is a worker, the runtime client an addon) and judged by the sensor', () => {
  const { policy } = parsePolicy(
    'p',
    'version: 1\nprocess: { allow: [/usr/bin/git] }\ncode: { eval: deny, workers: deny, nativeAddons: { default: deny } }\n',
  );
  const r = permissionFlags(policy, node22);
  assert.ok(r.flags.includes('--allow-child-process'));
  assert.ok(r.flags.includes('--allow-worker'));
  assert.ok(r.flags.includes('--allow-addons'));
  assert.ok(r.flags.includes('--disallow-code-generation-from-strings'));
  assert.ok(r.notes.some((n) => /native addons: refused by the sensor/.test(n)));
});

test('no permission model: unsupported', () => {
  assert.equal(permissionFlags(defaultPolicy(), { major: 18, flags: new Set() }).supported, false);
});

test('nodePermissions auto (the default): on in enforce mode on Node 22 and 24 where the flags deny something; true: everywhere; false: never', () => {
  const enforce = (extra = '') => parsePolicy('p', `version: 1\nmode: enforce\n${extra}`).policy;
  assert.equal(defaultPolicy().nodePermissions, 'auto');
  // The default rules in enforce mode deny writes outside /tmp and every child process.
  assert.ok(permissionModelApplies(enforce(), node22));
  assert.equal(permissionModelApplies(enforce(), node20), undefined, 'Node 20: experimental, not by default');
  assert.equal(permissionModelApplies(defaultPolicy(), node22), undefined, 'monitor mode changes nothing');
  // Nothing Node can express: the model would only cost the sensor its bindings.
  const open = enforce(
    'process: { default: allow }\nfiles: { write: { default: allow }, read: { default: allow } }\n',
  );
  assert.equal(permissionModelApplies(open, node22), undefined);
  assert.ok(permissionModelApplies(enforce('nodePermissions: true\n'), node20));
  assert.ok(
    permissionModelApplies({ ...defaultPolicy(), nodePermissions: true }, node22),
    'true: even in monitor mode',
  );
  assert.equal(permissionModelApplies(enforce('nodePermissions: false\n'), node22), undefined);
  assert.equal(permissionModelApplies(enforce(), { major: 18, flags: new Set() }), undefined);
});

test('nodePermissions takes true, false or auto, and nothing else', () => {
  const r = parsePolicy('p', 'version: 1\nnodePermissions: sometimes\n');
  assert.equal(r.ok, false);
  assert.equal(r.error.field, 'nodePermissions', JSON.stringify(r.error));
  assert.equal(r.error.line, 2);
  for (const v of ['true', 'false', 'auto'])
    assert.ok(parsePolicy('p', `version: 1\nnodePermissions: ${v}\n`).ok, v);
});
