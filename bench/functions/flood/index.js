// The findings-flood function of the memory benchmark: every invocation does what the default
// policy denies, harmlessly (monitor mode: nothing is refused, everything is reported): writes
// under /proc/self (outside /tmp: denied; procfs refuses to create the file, so nothing is
// written anywhere) with names that differ per invocation, and a read of the process
// environment. Each invocation makes fresh findings for the sensor and the extension.
const fs = require('node:fs');

exports.handler = async (event) => {
  let failed = 0;
  for (let i = 0; i < 5; i++) {
    try {
      fs.writeFileSync(`/proc/self/warden-bench-flood-${event.n}-${i}`, 'x');
    } catch {
      failed++; // procfs: ENOENT / EACCES, as intended
    }
  }
  fs.readFileSync('/proc/self/environ');
  return { statusCode: 200, body: String(failed) };
};
