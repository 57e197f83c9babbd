// One shared layer, the policy with the function: a layer built without a policy serves every
// function, each judged by its own warden-policy.* (or a WARDEN_POLICY relative to its directory),
// the same way in the wrapper, the sensor and the extension. `warden policy compile` writes the
// compiled form and the Node permission flags the wrapper adds for it. The layer is the same for
// x86_64 and arm64 (no native code), and a native file for another architecture is refused.
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { NODE, NODE_MAJOR, ROOT, tempDir } from '../helpers.mjs';
import { CLI, extensionStats, FUNCTIONS, invoke, run } from '../sandbox-helpers.mjs';

const lib = createRequire(import.meta.url)(join(ROOT, 'dist', 'lib.cjs'));
const ENFORCE_NO_PROCESS = 'version: 1\nmode: enforce\nprocess:\n  default: deny\n';

/** A copy of the `basic` fixture function with `files` added to its directory. */
function functionWith(dir, name, files) {
  const fn = join(dir, name);
  cpSync(join(FUNCTIONS, 'basic'), fn, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(fn, file, '..'), { recursive: true });
    writeFileSync(join(fn, file), text);
  }
  return fn;
}

test('the wrapper chooses the policy file as the sensor and the extension do (choosePolicyFile)', async () => {
  const { dir, cleanup } = tempDir('warden-fnpol-');
  try {
    const bare = join(dir, 'bare-layer');
    const withPolicy = join(dir, 'policy-layer');
    const layerPolicy = join(dir, 'layer-policy.yaml');
    writeFileSync(layerPolicy, 'version: 1\n');
    assert.equal((await run(NODE, [CLI, 'layer', 'build', '--out', bare])).code, 0);
    assert.equal(
      (await run(NODE, [CLI, 'layer', 'build', '--out', withPolicy, '--policy', layerPolicy])).code,
      0,
    );
    const cases = [
      { files: ['warden-policy.yaml'], setting: undefined },
      { files: ['warden-policy.yml', 'warden-policy.yaml', 'warden-policy.json'], setting: undefined },
      { files: ['warden-policy.yml'], setting: undefined },
      { files: [], setting: undefined },
      { files: ['conf/p.yaml'], setting: 'conf/p.yaml' },
      { files: ['warden-policy.yaml'], setting: '/etc/elsewhere.yaml' },
      { files: ['warden-policy.yaml'], setting: './conf/x.yaml' },
    ];
    let n = 0;
    for (const layer of [bare, withPolicy]) {
      const wrapper = join(layer, 'warden', 'wrapper');
      const layerFile = existsSync(join(layer, 'warden', 'policy.json'))
        ? join(layer, 'warden', 'policy.json')
        : undefined;
      for (const c of cases) {
        const root = join(dir, `fn-${n++}`);
        mkdirSync(join(root, 'conf'), { recursive: true });
        for (const f of c.files) writeFileSync(join(root, f), 'version: 1\n');
        const env = { PATH: process.env.PATH, LAMBDA_TASK_ROOT: root, _HANDLER: 'index.handler' };
        if (c.setting) env.WARDEN_POLICY = c.setting;
        const r = await run(wrapper, [wrapper, '/usr/bin/env'], { env });
        assert.equal(r.code, 0, r.stderr);
        const printed = /^WARDEN_POLICY=(.*)$/m.exec(r.stdout)?.[1];
        const chosen = lib.choosePolicyFile({
          setting: c.setting,
          taskRoot: root,
          layerPolicy: layerFile,
          exists: existsSync,
        });
        assert.equal(printed, chosen, `${JSON.stringify(c)} with ${layerFile ? 'a' : 'no'} layer policy`);
      }
    }
    // The function's own file wins over the layer's; the layer's is the fallback.
    assert.equal(
      lib.choosePolicyFile({ taskRoot: '/t', layerPolicy: '/opt/warden/policy.json', exists: () => false }),
      '/opt/warden/policy.json',
    );
    assert.equal(
      lib.choosePolicyFile({
        taskRoot: '/t',
        layerPolicy: '/opt/warden/policy.json',
        exists: (f) => f === '/t/warden-policy.yaml',
      }),
      '/t/warden-policy.yaml',
    );
  } finally {
    cleanup();
  }
});

test('one layer, two functions: each is judged by the policy in its own package, by the sensor and the extension', async () => {
  const { dir, cleanup } = tempDir('warden-shared-');
  try {
    const guarded = functionWith(dir, 'guarded', { 'warden-policy.yaml': ENFORCE_NO_PROCESS });
    const relative = functionWith(dir, 'relative', { 'config/warden.yaml': ENFORCE_NO_PROCESS });
    const plain = functionWith(dir, 'plain', {});
    const results = {};
    for (const [name, fn, extra] of [
      ['guarded', guarded, []],
      ['relative', relative, ['--env', 'WARDEN_POLICY=config/warden.yaml']],
      ['plain', plain, []],
    ]) {
      const r = await invoke(fn, 'index.shell', [{ marker: '$DIR/marker' }], {
        args: ['--extension', ...extra],
      });
      try {
        assert.equal(r.code, 0, r.stderr);
        results[name] = {
          response: r.results[0]?.response,
          marker: existsSync(join(r.dir, 'marker')),
          extensionPolicy: extensionStats(r.stderr)?.policy,
          stderr: r.stderr,
        };
      } finally {
        r.cleanup();
      }
    }
    for (const name of ['guarded', 'relative']) {
      const r = results[name];
      assert.deepEqual(r.response, { ran: false, code: 'ERR_WARDEN_BLOCKED' }, `${name}: ${r.stderr}`);
      assert.equal(r.marker, false, name);
      assert.doesNotMatch(r.stderr, /policy error/, name);
    }
    assert.equal(results.guarded.extensionPolicy, join(guarded, 'warden-policy.yaml'));
    assert.equal(results.relative.extensionPolicy, join(relative, 'config', 'warden.yaml'));
    // The same layer, no policy in the package: the built-in default (monitor) lets it run.
    assert.deepEqual(results.plain.response, { ran: true }, results.plain.stderr);
    assert.equal(results.plain.marker, true);
    assert.equal(results.plain.extensionPolicy, 'built-in default');
  } finally {
    cleanup();
  }
});

test('warden policy compile: the compiled policy and its permission flags, taken by the wrapper from the function package', async () => {
  const { dir, cleanup } = tempDir('warden-compile-');
  try {
    const fn = functionWith(dir, 'fn', { 'policy-src/warden.yaml': 'version: 1\nmode: enforce\n' });
    const out = join(fn, 'warden-policy.json');
    const compile = (source, ...extra) => run(NODE, [CLI, 'policy', 'compile', source, ...extra]);
    const c = await compile(join(fn, 'policy-src', 'warden.yaml'), '--out', out, '--json');
    assert.equal(c.code, 0, c.stderr);
    const written = JSON.parse(c.stdout);
    assert.equal(written.policy, out);
    assert.equal(written.permissionFlags, join(fn, 'warden-policy.permission-flags'));
    assert.match(readFileSync(out, 'utf8'), /"\$compiled": "fnv1a32:[0-9a-f]{8}"/);
    assert.equal(readFileSync(written.permissionFlags, 'utf8').split('\n')[0], 'mode enforce');
    const r = await invoke(fn, 'index.handler', [{ x: 1 }], { args: ['--env', 'WARDEN_TRACE_STARTUP=1'] });
    try {
      assert.equal(r.results[0]?.status, 'success', r.stderr);
      const { execArgv } = r.results[0].response;
      // auto: the permission model on Node 22 and 24 in enforce mode, none on 20.
      assert.equal(execArgv.includes('--permission'), NODE_MAJOR >= 22, execArgv.join(' '));
      // Taken as compiled: no validator at cold start.
      assert.doesNotMatch(r.stderr, /policy-loader chunk compiled/);
    } finally {
      r.cleanup();
    }
    // Learning observes everything: the function's flags are not added under WARDEN_LEARN.
    const layer = join(dir, 'layer');
    assert.equal((await run(NODE, [CLI, 'layer', 'build', '--out', layer])).code, 0);
    const argvUnder = async (extra) => {
      const w = await run(
        join(layer, 'warden', 'wrapper'),
        [NODE, '-p', 'JSON.stringify(process.execArgv)'],
        {
          env: {
            PATH: process.env.PATH,
            LAMBDA_TASK_ROOT: fn,
            AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${NODE_MAJOR}.x`,
            ...extra,
          },
        },
      );
      return JSON.parse(w.stdout.trim().split('\n').pop()).filter((a) => a.includes('permission'));
    };
    assert.equal((await argvUnder({})).length > 0, NODE_MAJOR >= 22);
    assert.deepEqual(await argvUnder({ WARDEN_LEARN: join(dir, 'learn.jsonl') }), []);
    // Recompiled into a policy with no flags: the stale flags file goes with it.
    writeFileSync(
      join(fn, 'policy-src', 'warden.yaml'),
      'version: 1\nmode: enforce\nnodePermissions: false\n',
    );
    const again = await compile(join(fn, 'policy-src', 'warden.yaml'), '--out', out);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(existsSync(join(fn, 'warden-policy.permission-flags')), false);
    // A bad policy names the file, the line and the field; a non-JSON target is refused.
    writeFileSync(join(dir, 'bad.yaml'), 'version: 1\nmode: enforcing\n');
    const bad = await compile(join(dir, 'bad.yaml'));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.yaml:2:\d+: mode: /);
    const notJson = await compile(join(fn, 'policy-src', 'warden.yaml'), '--out', join(dir, 'p.yaml'));
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /compiled policy is a \.json file/);
  } finally {
    cleanup();
  }
});

test('layer build --arch: one layer for x86_64 and arm64 (no native code); a native file for another architecture is refused', async () => {
  const { dir, cleanup } = tempDir('warden-arch-');
  try {
    const out = join(dir, 'layer');
    const r = await run(NODE, [CLI, 'layer', 'build', '--out', out, '--extension', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).architectures, ['x86_64', 'arm64']);
    assert.deepEqual(lib.nativeFiles(out), [], 'sh and JavaScript only');
    const one = await run(NODE, [CLI, 'layer', 'build', '--out', out, '--arch', 'arm64', '--json']);
    assert.deepEqual(JSON.parse(one.stdout).architectures, ['arm64']);
    const bad = await run(NODE, [CLI, 'layer', 'build', '--out', out, '--arch', 'riscv']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /x86_64, arm64/);
    // A native program in the tree (this machine's) fits its own architecture only.
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'extensions'), { recursive: true });
    copyFileSync('/bin/true', join(tree, 'extensions', 'helper'));
    const own = process.arch === 'arm64' ? 'arm64' : 'x86_64';
    const other = own === 'arm64' ? 'x86_64' : 'arm64';
    assert.deepEqual(lib.nativeFiles(tree), [{ file: 'extensions/helper', arch: own }]);
    assert.deepEqual(lib.architectureProblems(tree, [own]), []);
    assert.match(
      lib.architectureProblems(tree, [own, other])[0],
      new RegExp(`extensions/helper is native code for ${own}`),
    );
  } finally {
    cleanup();
  }
});
