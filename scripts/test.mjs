// Runs the whole suite with node's built-in test runner on the Node running this script
// (Node 20 takes no globs on the command line, so the files are listed here).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') return [];
    if (statSync(p).isDirectory()) return find(p);
    return name.endsWith('.test.mjs') ? [relative(root, p)] : [];
  });
}
// The packages the tests run for real (test/package.json), installed once per lockfile.
const packages = spawnSync(process.execPath, [join(root, 'scripts', 'install-test-packages.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
if (packages.status !== 0) process.exit(packages.status ?? 1);
// AWS's runtime client for this Node's runtime, built once into the cache if missing (minutes).
spawnSync(process.execPath, [join(root, 'scripts', 'install-clients.mjs')], { cwd: root, stdio: 'inherit' });
const only = process.argv.slice(2);
const files = only.length ? only : find(join(root, 'test')).sort();
const r = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=tap', '--test-concurrency=2', '--test-timeout=180000', ...files],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
