// `nodePermissions: true`: Node's permission model as the C++-level backstop of a policy's hard
// denials. The runtime still starts (its own files, the function's, the layers are readable
// whatever the policy lists), the sensor still judges (its code compiles under
// --disallow-code-generation-from-strings), and with the sensor's file hooks off, Node itself
// refuses what the policy denies.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { invoke } from '../sandbox-helpers.mjs';

const POLICY = `version: 1
mode: enforce
nodePermissions: true
files:
  read:
    default: deny
    allow: ["\${LAMBDA_TASK_ROOT}/**"]
  write:
    default: deny
    allow: ["/tmp/**"]
code:
  eval: deny
`;

test('nodePermissions: the function starts and runs; what the policy denies is refused by the sensor, and by Node where the sensor looks away', async () => {
  // Outside /tmp (where the policy allows writes; a checkout may be there too), in a directory
  // this test owns.
  mkdirSync(join(homedir(), '.cache'), { recursive: true });
  const outside = mkdtempSync(join(homedir(), '.cache', 'warden-perm-outside-'));
  const policyDir = mkdtempSync(join(tmpdir(), 'warden-perm-policy-'));
  const policy = join(policyDir, 'policy.yaml');
  writeFileSync(policy, POLICY);
  try {
    // Under the permission model Node refuses process.binding, so the sensor's binding-level
    // file hooks are not installed (it reports itself degraded): Node refuses first.
    for (const [hooks, refused] of [
      ['on', ['ERR_ACCESS_DENIED', 'ERR_WARDEN_BLOCKED']],
      ['fs off', ['ERR_ACCESS_DENIED']],
    ]) {
      const r = await invoke('permissions', 'index.handler', [{ tmp: '$DIR', outside }], {
        args: ['--policy', policy, ...(hooks === 'fs off' ? ['--env', 'WARDEN_DISABLE_HOOKS=fs'] : [])],
      });
      try {
        assert.equal(r.code, 0, r.stderr);
        const [res] = r.results;
        assert.equal(res.status, 'success', `${hooks}: ${r.stderr}`);
        const out = res.response;
        assert.match(out.permission, /^--(experimental-)?permission$/);
        assert.equal(out.ownFile, 'ok', hooks);
        assert.equal(out.tmpWrite, 'ok', hooks);
        assert.ok(refused.includes(out.etc), `${hooks}: ${out.etc}`);
        assert.ok(refused.includes(out.outsideWrite), `${hooks}: ${out.outsideWrite}`);
        assert.ok(!existsSync(join(outside, 'escaped')), hooks);
        // Code from a string: refused by the sensor's judgement (its own code compiled under
        // --disallow-code-generation-from-strings) before V8 would.
        assert.equal(out.evalCode, 'ERR_WARDEN_BLOCKED', hooks);
        const rules = r.findings.map((f) => f.finding_info.analytic.uid);
        assert.ok(rules.includes('warden.code.eval'), rules.join(' '));
        assert.ok(rules.includes('warden.sensor.degraded'), rules.join(' '));
      } finally {
        r.cleanup();
      }
    }
  } finally {
    rmSync(outside, { recursive: true, force: true });
    rmSync(policyDir, { recursive: true, force: true });
  }
});
