// CI's share of the property-based fuzzing (scripts/fuzz.mjs runs a million or more inputs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzAll, TARGETS } from './targets.mjs';

test(`the input readers never throw: ${TARGETS.length} targets × 2,000 generated inputs`, () => {
  assert.equal(fuzzAll(2000), TARGETS.length * 2000);
});
