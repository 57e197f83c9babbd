// What both learning test files do: write events to files, run `warden learn`, and check that a
// learned policy lets unseen benign events through with no finding at all.
import assert from 'node:assert/strict';
import { cpSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE, ROOT, tempDir } from '../helpers.mjs';
import { CLI, invoke, RUNTIME, run } from '../sandbox-helpers.mjs';

/** Each event as `<dir>/<prefix>-<i>.json`; returns the `--event` arguments. */
export function writeEvents(dir, prefix, events) {
  return events.flatMap((e, i) => {
    const f = join(dir, `${prefix}-${i}.json`);
    writeFileSync(f, JSON.stringify(e));
    return ['--event', f];
  });
}

/** `warden learn …` on the suite's runtime; it must succeed. */
export async function learnCli(args) {
  const r = await run(NODE, [CLI, 'learn', ...args, '--runtime', RUNTIME]);
  assert.equal(r.code, 0, r.stderr);
  return r;
}

/** Benign events pass clean under the policy: every invoke succeeds, no finding at all. */
export async function assertBenignPass(fnDir, policyFile, events, args = []) {
  const r = await invoke(fnDir, 'index.handler', events, { args: ['--policy', policyFile, ...args] });
  try {
    assert.equal(r.results.length, events.length, r.stderr);
    for (const [i, res] of r.results.entries())
      assert.equal(res.status, 'success', `${fnDir} benign #${i}: ${JSON.stringify(res.error ?? res)}`);
    assert.deepEqual(
      r.findings.map((f) => `${f.finding_info.analytic.uid}: ${f.finding_info.desc}`),
      [],
      `${fnDir}: false positives on unseen benign events`,
    );
  } finally {
    r.cleanup();
  }
  return events.length;
}

/**
 * Zero-config: the same events with no policy file at all (the built-in default policy and the
 * default rules, monitor mode). Returns how many attacks were detected (a finding in their own
 * invocation) and which benign events had any finding, with the rules that fired.
 */
export async function zeroConfig(fnDir, benign, attacks, args = []) {
  const events = [...benign, ...attacks.map((a) => a.event)];
  // Attacks run for real in monitor mode, in the function's working directory (its own, as on
  // Lambda): a copy, so they cannot write into the repository. Its packages stay resolvable.
  const copy = tempDir('warden-zero-');
  cpSync(fnDir, copy.dir, { recursive: true });
  symlinkSync(join(ROOT, 'test', 'node_modules'), join(copy.dir, 'node_modules'));
  // Attacks run for real here: `$DIR` inside encoded payloads (a base64 cookie) is not replaced
  // in the event text, so the function's environment names it too, for the shell to expand.
  const r = await invoke(copy.dir, 'index.handler', events, {
    args: ['--mode', 'monitor', '--env', 'DIR=$DIR', ...args],
  });
  try {
    assert.equal(r.results.length, events.length, r.stderr);
    const rulesOf = (i) => [
      ...new Set(
        r.findings
          .filter((f) => f.metadata.correlation_uid === r.results[i].requestId)
          .map((f) => f.finding_info.analytic.uid),
      ),
    ];
    const benignFired = benign.map((_, i) => rulesOf(i)).filter((rules) => rules.length > 0);
    const missed = attacks.filter((_, i) => rulesOf(benign.length + i).length === 0).map((a) => a.name);
    const named = attacks.filter((_, i) =>
      rulesOf(benign.length + i).some(
        (id) => id.startsWith('warden.detect.') || id.startsWith('warden.rule.'),
      ),
    ).length;
    return {
      attacks: attacks.length,
      detected: attacks.length - missed.length,
      named,
      missed,
      benign: benign.length,
      benignFired: benignFired.length,
      benignRules: [...new Set(benignFired.flat())].sort(),
    };
  } finally {
    r.cleanup();
    copy.cleanup();
  }
}
