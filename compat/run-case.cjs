// Runs one compatibility case: `node run-case.cjs <name>` prints its result as one JSON line
// (exit 0), or the error's name and message (exit 1). scripts/compat.mjs runs it plain and
// under Warden and compares.
const name = process.argv[2];
const { run } = require(`./cases/${name}.cjs`);
Promise.resolve()
  .then(run)
  .then(
    (result) => {
      process.stdout.write(`${JSON.stringify({ ok: result === undefined ? null : result })}\n`);
    },
    (e) => {
      process.stdout.write(`${JSON.stringify({ error: `${e?.name}: ${e?.message}` })}\n`);
      process.exitCode = 1;
    },
  );
