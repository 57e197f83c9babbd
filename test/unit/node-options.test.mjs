// The options whose value is the next argument, against the running Node's own option table
// (its option parser's types, read with --expose-internals): a Node version that adds one fails
// here, before a command line with it (`node --new-opt value app.js`) is misread and `value`
// taken for the script.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const lib = createRequire(import.meta.url)('../../dist/lib.cjs');
const { NODE_VALUE_OPTIONS, scriptOf } = lib;

const TABLE = `
const { internalBinding } = require('internal/test/binding');
const b = internalBinding('options');
const info = b.getCLIOptionsInfo ? b.getCLIOptionsInfo() : b.getOptions();
const t = b.types;
const valued = new Set([...info.options].filter(([k, o]) => k.startsWith('-') && ![t.kBoolean, t.kNoOp, t.kV8Option].includes(o.type)).map(([k]) => k));
for (const [alias, expansion] of info.aliases) {
  const target = Array.isArray(expansion) ? expansion : [expansion];
  if (target.length === 1 && valued.has(target[0]) && alias.startsWith('-') && !alias.includes('=')) valued.add(alias);
}
process.stdout.write(JSON.stringify([...valued]));
`;

test(`Node ${process.version}: every option that takes a value is known to the command-line readers`, () => {
  const valued = JSON.parse(
    execFileSync(process.execPath, ['--expose-internals', '--no-warnings', '-e', TABLE], {
      encoding: 'utf8',
    }),
  );
  assert.ok(valued.length > 40, `${valued.length} options read`);
  // The code-from-an-argument options are read apart (their argument is code, not a file).
  const missing = valued.filter((o) => !NODE_VALUE_OPTIONS.has(o) && o !== '--eval' && o !== '-e');
  assert.deepEqual(missing, [], 'src/events/node-options.ts lacks these');
  // What it is for: the script after an inherited option and its value.
  for (const o of valued.filter((x) => x.startsWith('--') && x !== '--eval'))
    assert.equal(scriptOf('/usr/bin/node', ['node', o, 'v', 'app.js'], '/t'), '/t/app.js', o);
});

test("withoutNodeRestrictions: a Node child's inherited permission flags are not part of its command; nothing else is dropped", () => {
  const flags = [
    '--permission',
    '--allow-fs-read=/var/task',
    '--allow-fs-write=/tmp/*',
    '--allow-child-process',
    '--allow-worker',
    '--allow-addons',
    '--allow-wasi',
    '--disable-warning=SecurityWarning',
    '--disallow-code-generation-from-strings',
  ];
  const base = ['--expose-gc', '--max-http-header-size', '81920', '/var/task/worker.js', '5'];
  assert.deepEqual(
    lib.withoutNodeRestrictions('/var/lang/bin/node', ['/var/lang/bin/node', ...flags, ...base]),
    ['/var/lang/bin/node', ...base],
  );
  // After the script (or -e code) they are the program's own arguments.
  const after = ['node', '-e', 'x', '--permission'];
  assert.deepEqual(lib.withoutNodeRestrictions('/usr/bin/node', after), after);
  const script = ['node', 'app.js', '--allow-worker'];
  assert.deepEqual(lib.withoutNodeRestrictions('/usr/bin/node', script), script);
  // Options that grant something stay (`--allow-fs-read` without `=` takes a value: kept, as is its value).
  const grants = ['node', '--inspect=0.0.0.0:9229', '--require', '/tmp/x.js', 'app.js'];
  assert.deepEqual(lib.withoutNodeRestrictions('/usr/bin/node', grants), grants);
  // Only Node.
  const other = ['python3', '--permission', 'x.py'];
  assert.deepEqual(lib.withoutNodeRestrictions('/usr/bin/python3', other), other);
});
