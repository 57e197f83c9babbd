// The demo's closing sentences are computed from its runs, and a failure of Warden's part (a
// leak under enforce, an attack Warden did not refuse, a benign request that failed) is not ok
// (the demo then exits 1).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const { demoOutcome } = createRequire(import.meta.url)('../../dist/lib.cjs');

const STEPS = [
  { kind: 'benign', label: 'benign: convert' },
  { kind: 'benign', label: 'benign: read' },
  { kind: 'attack', label: 'attack: injection' },
];
const ok = { status: 'success', response: { statusCode: 200, body: 'fine' } };
const blocked = {
  status: 'error',
  error: { errorType: 'Error', errorMessage: 'Warden blocked process spawn: …' },
};
const run = (mode, results, canary = 'CANARY-KEY') => ({ mode, results, canary });

test('the demo as it should go: sentences say so, ok', () => {
  const o = demoOutcome(
    [
      run('monitor', [ok, ok, { status: 'success', response: { body: 'CANARY-KEY' } }]),
      run('enforce', [ok, ok, blocked]),
    ],
    STEPS,
  );
  assert.equal(o.ok, true);
  assert.deepEqual(
    o.sentences.map((s) => s.text),
    [
      'In monitor mode 1 of 1 attack reached the secret key, reported, not stopped.',
      'In enforce mode the secret key never left the function.',
      'Warden refused 1 of 1 attack.',
      'Every benign request succeeded in both modes (2 requests each).',
    ],
  );
});

test('a benign request that failed under enforce is said, and not ok', () => {
  const broken = {
    status: 'error',
    error: { errorType: 'Runtime.ExitError', errorMessage: 'exit status 1' },
  };
  const o = demoOutcome([run('monitor', [ok, ok, ok]), run('enforce', [broken, ok, blocked])], STEPS);
  assert.equal(o.ok, false);
  assert.ok(
    o.sentences.some(
      (s) => !s.good && /1 benign request failed: benign: convert \(enforce: error\)/.test(s.text),
    ),
  );
  assert.ok(!o.sentences.some((s) => /Every benign request succeeded/.test(s.text)));
});

test('a leak under enforce, or an attack that failed for another reason than Warden, is not ok', () => {
  const leak = demoOutcome(
    [
      run('monitor', [ok, ok, ok]),
      run('enforce', [ok, ok, { status: 'success', response: { body: 'CANARY-KEY' } }]),
    ],
    STEPS,
  );
  assert.equal(leak.ok, false);
  assert.ok(leak.sentences.some((s) => !s.good && /leaked in enforce mode: attack: injection/.test(s.text)));
  const crashed = demoOutcome(
    [
      run('monitor', [ok, ok, ok]),
      run('enforce', [ok, ok, { status: 'timeout', error: { errorType: 'Sandbox.Timedout' } }]),
    ],
    STEPS,
  );
  assert.equal(crashed.ok, false);
  assert.ok(crashed.sentences.some((s) => /not refused by Warden: attack: injection/.test(s.text)));
});
