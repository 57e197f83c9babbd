// The npm package as a user gets it: packed, installed from the tarball into a folder of its own
// (nothing of the checkout on its path), then the CLI's main commands run from there. Installing
// it compiles nothing: the sandbox builds AWS's runtime client on first use (turned off here with
// WARDEN_FETCH_CLIENT=0: the built-in client serves).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NODE, ROOT, tempDir } from './helpers.mjs';
import { run } from './sandbox-helpers.mjs';

test('packed and installed elsewhere: layer build, invoke, learn and demo work, and installing built nothing', async () => {
  const { dir, cleanup } = tempDir('warden-package-');
  try {
    const packed = await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT });
    assert.equal(packed.code, 0, packed.stderr);
    const tarball = join(dir, packed.stdout.trim().split('\n').pop());
    const app = join(dir, 'app');
    await run('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    const installed = await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball],
      { cwd: app, timeout: 300_000 },
    );
    assert.equal(installed.code, 0, installed.stderr);
    const pkg = join(app, 'node_modules', 'lambda-warden');
    // The license the manifest names comes with it.
    assert.match(readFileSync(join(pkg, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
    // Nothing native was fetched or built for the user.
    assert.deepEqual(
      readdirSync(join(app, 'node_modules')).filter((n) => /aws-lambda-ric|node-gyp|cmake/.test(n)),
      [],
    );
    const warden = (args) =>
      run(NODE, [join(app, 'node_modules', '.bin', 'warden'), ...args], {
        cwd: app,
        timeout: 180_000,
        env: { ...process.env, NODE_PATH: '', WARDEN_FETCH_CLIENT: '0' },
      });
    const layer = await warden(['layer', 'build', '--out', join(dir, 'layer')]);
    assert.equal(layer.code, 0, layer.stderr);
    for (const f of ['warden/wrapper', 'warden/sensor.cjs', 'warden/handler.mjs'])
      assert.ok(existsSync(join(dir, 'layer', f)), `${f} missing from the layer`);
    const fn = join(pkg, 'examples', 'doc-convert');
    const event = join(dir, 'event.json');
    writeFileSync(
      event,
      JSON.stringify({ httpMethod: 'POST', path: '/convert', body: JSON.stringify({ name: 'notes' }) }),
    );
    const invoked = await warden(['invoke', fn, '--handler', 'index.handler', '--event', event]);
    assert.equal(invoked.code, 0, invoked.stderr);
    assert.equal(
      JSON.parse(invoked.stdout.split('\n').find((l) => l.startsWith('{'))).status,
      'success',
      invoked.stdout,
    );
    const learned = await warden([
      'learn',
      fn,
      '--handler',
      'index.handler',
      '--event',
      event,
      '--out',
      join(dir, 'policy.yaml'),
    ]);
    assert.equal(learned.code, 0, learned.stderr);
    assert.ok(existsSync(join(dir, 'policy.yaml')));
    const demo = await warden(['demo']);
    assert.equal(demo.code, 0, `${demo.stdout}\n${demo.stderr}`);
    assert.match(demo.stdout, /Every benign request succeeded in both modes/);
  } finally {
    cleanup();
  }
});
