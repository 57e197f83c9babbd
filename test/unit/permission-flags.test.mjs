import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const { permissionFlags, defaultPolicy, parsePolicy } = createRequire(import.meta.url)('../../dist/lib.cjs');

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

test('hard denials become flags: eval, workers, addons; allowed processes keep --allow-child-process', () => {
  const { policy } = parsePolicy(
    'p',
    'version: 1\nprocess: { allow: [/usr/bin/git] }\ncode: { eval: deny, workers: deny, nativeAddons: { default: deny } }\n',
  );
  const r = permissionFlags(policy, node22);
  assert.ok(r.flags.includes('--allow-child-process'));
  assert.ok(!r.flags.includes('--allow-worker'));
  assert.ok(!r.flags.includes('--allow-addons'));
  assert.ok(r.flags.includes('--disallow-code-generation-from-strings'));
});

test('no permission model: unsupported', () => {
  assert.equal(permissionFlags(defaultPolicy(), { major: 18, flags: new Set() }).supported, false);
});
