// The npm package as a user gets it: packed, installed from the tarball into a folder of its own
// (nothing of the checkout on its path), then the CLI's main commands run from there. Installing
// it compiles nothing: the sandbox builds AWS's runtime client on first use (turned off here with
// WARDEN_FETCH_CLIENT=0: the built-in client serves).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fakeLambdaApi } from './fake-lambda-api.mjs';
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
    // The AWS SDK travels bundled (dist/deploy.cjs): publishing needs nothing installed.
    const lambdaApi = await fakeLambdaApi();
    try {
      const published = await run(
        NODE,
        [
          join(app, 'node_modules', '.bin', 'warden'),
          'layer',
          'publish',
          '--region',
          'us-east-1',
          '--endpoint-url',
          lambdaApi.url,
        ],
        {
          cwd: app,
          env: {
            PATH: process.env.PATH,
            HOME: dir,
            AWS_ACCESS_KEY_ID: 'AKIDWARDENTEST',
            AWS_SECRET_ACCESS_KEY: 'warden-test-secret',
            AWS_EC2_METADATA_DISABLED: 'true',
          },
        },
      );
      assert.equal(published.code, 0, published.stderr);
      assert.equal(published.stdout, 'arn:aws:lambda:us-east-1:123456789012:layer:warden:1\n');
    } finally {
      await lambdaApi.close();
    }
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
    // The library entry: the same stable names through require and import, internals closed,
    // and the type declarations compile a consumer.
    const consumer = join(app, 'consumer.cjs');
    writeFileSync(
      consumer,
      `const w = require('lambda-warden');
const { ok, policy } = w.parsePolicy('p.yaml', 'version: 1\\nmode: enforce\\nprocess:\\n  default: deny\\n');
if (!ok) throw new Error('policy did not parse');
const v = w.decide(w.compilePolicy(policy), { surface: 'process', op: 'spawn', api: 'spawn', file: 'sh', exe: '/bin/sh', argv: ['sh', '-c', 'id'] }, () => '<function>');
import('lambda-warden').then((m) => {
  let internal = 'open';
  try { require('lambda-warden/dist/lib.cjs'); } catch (e) { internal = e.code; }
  // The integrations: the Serverless plugin loads alone; the CDK constructs are found (they need the app's aws-cdk-lib).
  const plugin = typeof require('lambda-warden/serverless');
  const cdk = require.resolve('lambda-warden/cdk').endsWith('cdk.cjs');
  console.log(JSON.stringify({ cjs: Object.keys(w).sort(), esm: Object.keys(m).filter((k) => k !== 'default').sort(), verdict: v && v.action, internal, plugin, cdk }));
});
`,
    );
    const used = await run(NODE, [consumer], { cwd: app });
    assert.equal(used.code, 0, used.stderr);
    const api = JSON.parse(used.stdout);
    assert.deepEqual(api.esm, api.cjs);
    for (const name of [
      'parsePolicy',
      'compilePolicy',
      'decide',
      'diffPolicies',
      'learnPolicy',
      'policyYaml',
      'loadRules',
      'runSandbox',
      'toFinding',
    ])
      assert.ok(api.cjs.includes(name), `${name} is not exported`);
    assert.ok(api.cjs.length < 40, `the library exposes ${api.cjs.length} names: internals leaked`);
    assert.equal(api.verdict, 'deny');
    assert.equal(api.internal, 'ERR_PACKAGE_PATH_NOT_EXPORTED');
    assert.equal(api.plugin, 'function');
    assert.equal(api.cdk, true);
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { compilePolicy, parsePolicy, type Policy, type Verdict } from 'lambda-warden';
const r = parsePolicy('p.yaml', 'version: 1');
const policy: Policy | undefined = r.ok ? r.policy : undefined;
const verdict: Verdict | null = null;
if (policy) compilePolicy(policy);
export { verdict };
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          skipLibCheck: false,
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    const typed = await run(NODE, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], {
      cwd: app,
    });
    assert.equal(typed.code, 0, `${typed.stdout}\n${typed.stderr}`);
    const demo = await warden(['demo']);
    assert.equal(demo.code, 0, `${demo.stdout}\n${demo.stderr}`);
    assert.match(demo.stdout, /Every benign request succeeded in both modes/);
  } finally {
    cleanup();
  }
});
