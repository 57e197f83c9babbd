// Installs the packages the tests run for real (test/package.json: deliberately vulnerable
// versions, the benign corpus's frameworks, the Serverless Framework) into test/node_modules,
// from test/package-lock.json, unless that exact lockfile is already installed. Kept out of
// Warden's own manifest, so a clone of Warden raises no audit alarm and installing it fetches
// none of them. Exits non-zero when the install fails: the tests that need them would.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const dir = join(root, 'test');
const lock = readFileSync(join(dir, 'package-lock.json'));
const digest = createHash('sha256').update(lock).digest('hex');
const stamp = join(dir, 'node_modules', '.warden-lock-sha256');
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) process.exit(0);
process.stderr.write('install-test-packages: npm ci in test/ …\n');
const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
  cwd: dir,
  stdio: 'inherit',
  timeout: 600_000,
});
if (r.status !== 0) {
  process.stderr.write(`install-test-packages: npm ci failed (${r.status ?? r.signal})\n`);
  process.exit(1);
}
writeFileSync(stamp, digest);
