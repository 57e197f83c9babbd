// The inventory of Node's native surface (docs/node-api-inventory.yaml) against the running
// Node: a binding or a binding function it does not list, or lists unreviewed, fails here. So a
// Node version that adds a way to open a file, a socket or a process, or to expose the
// environment or memory, is classified (judged, no such effect, or a named gap) before it ships.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers.mjs';

const { parse } = createRequire(import.meta.url)('yaml');
const inventory = parse(readFileSync(join(ROOT, 'docs', 'node-api-inventory.yaml'), 'utf8')).bindings;
const surface = JSON.parse(
  execFileSync(
    process.execPath,
    ['--expose-internals', '--no-warnings', join(ROOT, 'scripts', 'node-api-surface.mjs')],
    { encoding: 'utf8' },
  ),
);
const EFFECTS = new Set(['file', 'socket', 'process', 'env', 'memory', 'code', 'none']);
const VERDICT = /^(judged|none)(: .+)?$|^gap: .+? — .+$/s;

test(`every native binding Node ${process.version} uses is in the inventory, classified`, () => {
  assert.ok(Object.keys(surface).length > 40, 'the surface was read');
  const missing = Object.keys(surface).filter((b) => !inventory[b]);
  assert.deepEqual(missing, [], 'bindings to classify: node scripts/node-api-surface.mjs --update');
  for (const b of Object.keys(surface))
    assert.ok(EFFECTS.has(inventory[b].effect), `${b}: effect ${inventory[b].effect}`);
});

test(`every function of those bindings on Node ${process.version} is classified (judged, none, or a named gap)`, () => {
  const unclassified = [];
  for (const [b, fns] of Object.entries(surface)) {
    for (const fn of fns) {
      const v = inventory[b]?.functions?.[fn];
      if (typeof v !== 'string' || !VERDICT.test(v)) unclassified.push(`${b}.${fn}: ${v}`);
    }
  }
  assert.deepEqual(unclassified, [], 'functions to classify: node scripts/node-api-surface.mjs --update');
});

test('a binding with no effect has nothing judged or missing in it', () => {
  for (const [b, e] of Object.entries(inventory)) {
    if (e.effect !== 'none') continue;
    const io = Object.entries(e.functions).filter(([, v]) => !String(v).startsWith('none'));
    assert.deepEqual(io, [], `${b} is effect: none`);
  }
});

test("the README's known limits name every gap's public API", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const limits = readme.slice(readme.indexOf('## Known limits'), readme.indexOf('## Development'));
  const apis = new Set();
  for (const e of Object.values(inventory))
    for (const v of Object.values(e.functions)) {
      const m = /^gap: (.+?) — /.exec(String(v));
      if (m) apis.add(m[1]);
    }
  const unnamed = [...apis].filter((api) => !limits.includes(`\`${api}`));
  assert.deepEqual(unnamed, [], 'each gap is named in README "Known limits" (as `api…`)');
});

test(`Node ${process.version}: every binding process.binding hands out with an effect is one the sensor reports reaching for under the permission model`, () => {
  const { EFFECTFUL_BINDINGS } = createRequire(import.meta.url)('../../dist/lib.cjs');
  const handedOut = (name) => {
    const warn = process.emitWarning;
    process.emitWarning = () => undefined;
    try {
      process.binding(name);
      return true;
    } catch {
      return false;
    } finally {
      process.emitWarning = warn;
    }
  };
  const effectful = Object.entries(inventory)
    .filter(([name, b]) => b.effect !== 'none' && handedOut(name))
    .map(([name]) => name);
  assert.deepEqual(
    effectful.filter((n) => !EFFECTFUL_BINDINGS.has(n)),
    [],
    'src/sensor/effectful-bindings.ts lacks these',
  );
  for (const n of EFFECTFUL_BINDINGS)
    assert.ok(inventory[n] && inventory[n].effect !== 'none', `${n}: listed, no effect`);
});
