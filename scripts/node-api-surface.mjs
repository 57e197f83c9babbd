// The running Node's native surface, read from its own sources: every internal binding its lib/
// code uses (`internalBinding('…')` in the built-in modules' source) and every function each
// binding exports (classes with their prototype methods). Every file, socket, process, environment
// or memory effect a public API has goes through one of them, so this is what
// docs/node-api-inventory.yaml classifies and test/unit/node-api-inventory.test.mjs compares.
//
// Run with --expose-internals (the bindings are not reachable otherwise):
//   node --expose-internals scripts/node-api-surface.mjs            JSON on stdout
//   node scripts/node-api-surface.mjs --update [22 24]              merges Node 20/22/24 into the
//     inventory: names it does not list yet are added as `unreviewed` (the test fails on them)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const INVENTORY = join(ROOT, 'docs', 'node-api-inventory.yaml');

/** { binding: [function names] } of the running Node (needs --expose-internals). */
export function nativeSurface() {
  const require = createRequire(import.meta.url);
  const { internalBinding } = require('internal/test/binding');
  const natives = process.binding('natives');
  const used = new Set();
  for (const id of Object.keys(natives)) {
    const src = String(natives[id] ?? '');
    for (const m of src.matchAll(/internalBinding\(\s*'([a-z_0-9]+)'\s*\)/g)) used.add(m[1]);
  }
  const out = {};
  for (const name of [...used].sort()) {
    let b;
    try {
      b = internalBinding(name);
    } catch {
      continue; // referenced by a build-time or platform-specific path this binary lacks
    }
    const fns = new Set();
    for (const key of Object.getOwnPropertyNames(b)) {
      const v = Object.getOwnPropertyDescriptor(b, key)?.value;
      if (typeof v !== 'function') continue;
      fns.add(key);
      const proto = v.prototype;
      if (!proto || typeof proto !== 'object') continue;
      for (const m of Object.getOwnPropertyNames(proto)) {
        if (m === 'constructor') continue;
        const d = Object.getOwnPropertyDescriptor(proto, m);
        if (typeof d?.value === 'function') fns.add(`${key}.prototype.${m}`);
      }
    }
    out[name] = [...fns].sort();
  }
  return out;
}

async function update(majors) {
  const { parse, stringify } = await import('yaml');
  const doc = parse(readFileSync(INVENTORY, 'utf8'));
  const bins = execFileSync('bash', [join(ROOT, 'scripts', 'install-node.sh'), ...majors], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  const nodes = [process.execPath, ...bins.map((b) => join(b, 'node'))];
  for (const node of nodes) {
    const surface = JSON.parse(
      execFileSync(node, ['--expose-internals', '--no-warnings', fileURLToPath(import.meta.url)], {
        encoding: 'utf8',
      }),
    );
    for (const [binding, fns] of Object.entries(surface)) {
      doc.bindings[binding] ??= { effect: 'unreviewed', functions: {} };
      const entry = doc.bindings[binding];
      for (const fn of fns) if (!(fn in entry.functions)) entry.functions[fn] = 'unreviewed';
    }
  }
  const header = readFileSync(INVENTORY, 'utf8').split('\nbindings:')[0];
  writeFileSync(INVENTORY, `${header}\n${stringify({ bindings: doc.bindings }, { lineWidth: 110 })}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--update')
    await update(process.argv.slice(3).length ? process.argv.slice(3) : ['22', '24']);
  else process.stdout.write(`${JSON.stringify(nativeSurface())}\n`);
}
