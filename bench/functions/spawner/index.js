// The spawning function of the memory benchmark: every invocation starts one child process the
// policy allows (`true`), so the in-process watcher runs beside it (a function that never starts
// a child never starts the watcher: bench/functions/trivial).
const { spawnSync } = require('node:child_process');

exports.handler = async () => ({ statusCode: 200, body: String(spawnSync('true').status) });
