// What both learning test files do: write events to files, run `warden learn`, and check that a
// learned policy lets unseen benign events through with no finding at all.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE } from '../helpers.mjs';
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
