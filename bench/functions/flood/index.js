// The findings-flood function of the memory benchmark: every invocation does what the default
// policy denies (monitor mode: nothing is refused, everything is reported), with subjects that
// differ per invocation, so each one makes fresh findings for the sensor and the extension.
const fs = require('node:fs');

exports.handler = async (event) => {
  let refused = 0;
  for (let i = 0; i < 5; i++) {
    try {
      fs.writeFileSync(`/var/warden-bench-flood-${event.n}-${i}`, 'x');
    } catch {
      refused++; // not root, or a read-only /var: the attempt is what is judged
    }
  }
  fs.readFileSync('/proc/self/environ');
  return { statusCode: 200, body: String(refused) };
};
