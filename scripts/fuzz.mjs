// Property-based fuzzing at scale: every target of test/fuzz/targets.mjs (shell parser, event
// builders, path resolution, address normalisation) on generated inputs; none may throw.
//   node scripts/fuzz.mjs [inputs per target, default 120000] [seed]
// Prints the total and the time; exits 1 with the shrunk counterexample on a failure.
import { fuzzAll, TARGETS } from '../test/fuzz/targets.mjs';

const perTarget = Number(process.argv[2] ?? 120000);
const seed = process.argv[3] === undefined ? Date.now() | 0 : Number(process.argv[3]);
const t0 = Date.now();
try {
  const total = fuzzAll(perTarget, seed);
  console.log(
    `fuzz: ${total.toLocaleString('en')} generated inputs over ${TARGETS.length} targets, none threw (seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
} catch (e) {
  console.error(`fuzz: FAILED (seed ${seed}): ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
