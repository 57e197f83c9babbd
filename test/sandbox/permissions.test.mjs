// `nodePermissions: true`: Node's permission model as the C++-level backstop of a policy's hard
// denials. The runtime still starts (its own files, the function's, the layers are readable
// whatever the policy lists). Node refuses process.binding there, so the sensor judges at the
// public API (fs, child_process, dns) and on the handle classes it finds from instances: every
// refusal is still the sensor's, reported with what was tried (a process.binding call too, which
// Node refuses); with the sensor's hooks off, Node itself refuses what it can express (files).
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
process:
  default: deny
  allow: [{ exe: /bin/echo }]
network:
  default: deny
code:
  eval: deny
`;

// What each attempt is reported as. Findings of one rule on one target in one invocation are
// counted: /etc/hostname read three ways is one finding with a count of three.
const SENSOR_REFUSES = {
  etc: 'warden.files.read',
  etcPromise: 'warden.files.read',
  etcCallback: 'warden.files.read',
  outsideWrite: 'warden.files.write',
  outsidePromise: 'warden.files.write',
  outsideStream: 'warden.files.write',
  outsideCopy: 'warden.files.write',
  spawnSync: 'warden.process.spawn',
  execSync: 'warden.process.spawn',
  spawnAsync: 'warden.process.spawn',
  connect: 'warden.network.connect',
  udpSend: 'warden.network.send',
  lookup: 'warden.network.dns',
  lookupPromise: 'warden.network.dns',
  resolve: 'warden.network.dns',
};

test('nodePermissions: the function starts and runs; what the policy denies is refused and reported by the sensor at every public path, and by Node where the sensor looks away', async () => {
  // Outside /tmp (where the policy allows writes; a checkout may be there too), in a directory
  // this test owns.
  mkdirSync(join(homedir(), '.cache'), { recursive: true });
  const outside = mkdtempSync(join(homedir(), '.cache', 'warden-perm-outside-'));
  const policyDir = mkdtempSync(join(tmpdir(), 'warden-perm-policy-'));
  const policy = join(policyDir, 'policy.yaml');
  writeFileSync(policy, POLICY);
  try {
    for (const hooks of ['on', 'fs off']) {
      const r = await invoke('permissions', 'index.handler', [{ tmp: '$DIR', outside }], {
        args: ['--policy', policy, ...(hooks === 'fs off' ? ['--env', 'WARDEN_DISABLE_HOOKS=fs'] : [])],
      });
      try {
        assert.equal(r.code, 0, r.stderr);
        const [res] = r.results;
        assert.equal(res.status, 'success', `${hooks}: ${r.stderr}`);
        const out = res.response;
        assert.match(out.permission, /^--(experimental-)?permission$/);
        assert.equal(out.binding, 'ERR_ACCESS_DENIED');
        assert.equal(out.featureProbe, 'ERR_ACCESS_DENIED');
        assert.equal(out.ownFile, 'ok', hooks);
        assert.equal(out.tmpWrite, 'ok', hooks);
        assert.equal(out.allowedChild, 'ok', hooks);
        assert.ok(!existsSync(join(outside, 'escaped')), hooks);
        assert.ok(!existsSync(join(outside, 'spawned')), hooks);
        // Code from a string: refused by the sensor's judgement (its own code compiled under
        // --disallow-code-generation-from-strings) before V8 would.
        assert.equal(out.evalCode, 'ERR_WARDEN_BLOCKED', hooks);
        const rules = r.findings.map((f) => f.finding_info.analytic.uid);
        assert.ok(rules.includes('warden.code.eval'), rules.join(' '));
        // Judging on the public API is not running degraded (with the fs hooks off, it is that:
        // said so); reaching past the hooks is reported.
        const degraded = r.findings.filter((f) => f.finding_info.analytic.uid === 'warden.sensor.degraded');
        assert.deepEqual(
          degraded.map((f) => f.unmapped.api ?? f.evidences?.[0]?.data?.api),
          hooks === 'on' ? [] : ['WARDEN_DISABLE_HOOKS'],
          JSON.stringify(degraded.map((f) => f.message)),
        );
        assert.ok(
          r.findings.some(
            (f) =>
              f.finding_info.analytic.uid === 'warden.sensor.tamper' &&
              /process\.binding\("fs"\)/.test(f.message),
          ),
          rules.join(' '),
        );
        // A binding with no effect of its own (feature detection, as real packages do): Node's
        // refusal alone.
        assert.ok(!r.findings.some((f) => /process\.binding\("util"\)/.test(f.message)), rules.join(' '));
        const expected = new Map();
        for (const [key, rule] of Object.entries(SENSOR_REFUSES)) {
          if (hooks === 'fs off' && rule.startsWith('warden.files.')) {
            // Node's own check: the same refusal, without a finding.
            assert.equal(out[key], 'ERR_ACCESS_DENIED', `${hooks} ${key}`);
            continue;
          }
          assert.equal(out[key], 'ERR_WARDEN_BLOCKED', `${hooks} ${key}: ${out[key]}`);
          expected.set(rule, (expected.get(rule) ?? 0) + 1);
        }
        for (const [rule, n] of expected) {
          // The first of a kind is reported at once, the invocation's total (`count`) at its end.
          const byTarget = new Map();
          for (const f of r.findings)
            if (f.finding_info.analytic.uid === rule && f.action === 'Denied')
              byTarget.set(
                f.finding_info.desc,
                Math.max(byTarget.get(f.finding_info.desc) ?? 0, f.count ?? 1),
              );
          const counted = [...byTarget.values()].reduce((sum, n) => sum + n, 0);
          assert.equal(
            counted,
            n,
            `${hooks}: ${rule} counted ${counted}, ${n} attempts refused: ${JSON.stringify([...byTarget])}`,
          );
        }
      } finally {
        r.cleanup();
      }
    }
  } finally {
    rmSync(outside, { recursive: true, force: true });
    rmSync(policyDir, { recursive: true, force: true });
  }
});
