// `warden layer publish` and `warden instrument` against a Lambda API on loopback: the requests
// the AWS SDK makes (paths, SigV4 credential scope, bodies) and what each command does with the
// answers, errors included.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fakeLambdaApi, functionConfig } from './fake-lambda-api.mjs';
import { NODE, ROOT, tempDir, zipEntries } from './helpers.mjs';
import { CLI, run } from './sandbox-helpers.mjs';

const lib = createRequire(import.meta.url)(join(ROOT, 'dist', 'lib.cjs'));
const LAYER = 'arn:aws:lambda:us-east-1:123456789012:layer:warden';
const OTHER = 'arn:aws:lambda:us-east-1:123456789012:layer:otel:7';

/**
 * The CLI with test credentials only: no profile, no instance metadata, nothing but loopback
 * (`api`, the fake Lambda API, as the endpoint).
 */
async function aws(args, home, api) {
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_ACCESS_KEY_ID: 'AKIDWARDENTEST',
    AWS_SECRET_ACCESS_KEY: 'warden-test-secret',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
  };
  const endpoint = api ? ['--region', 'us-east-1', '--endpoint-url', api.url] : [];
  return run(NODE, [CLI, ...args, ...endpoint], { env });
}

test('layer publish: one PublishLayerVersion with the zip, architectures and runtimes, signed; grants; the ARN printed', async () => {
  const api = await fakeLambdaApi();
  const { dir, cleanup } = tempDir('warden-publish-');
  try {
    const r = await aws(
      [
        'layer',
        'publish',
        '--layer-name',
        'warden-test',
        '--extension',
        '--grant',
        '111122223333',
        '--grant-organization',
        'o-abcdefghij',
        '--json',
      ],
      dir,
      api,
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.layerVersionArn, 'arn:aws:lambda:us-east-1:123456789012:layer:warden-test:1');
    assert.deepEqual(out.architectures, ['x86_64', 'arm64']);
    assert.deepEqual(out.runtimes, ['nodejs22.x', 'nodejs24.x']);
    assert.deepEqual(out.grants, ['111122223333', 'o-abcdefghij']);
    const [publish, grantAccount, grantOrg] = api.requests;
    assert.equal(publish.method, 'POST');
    assert.equal(publish.path, '/2018-10-31/layers/warden-test/versions');
    assert.match(
      publish.headers.authorization,
      /^AWS4-HMAC-SHA256 Credential=AKIDWARDENTEST\/\d{8}\/us-east-1\/lambda\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/,
    );
    assert.deepEqual(publish.body.CompatibleArchitectures, ['x86_64', 'arm64']);
    assert.deepEqual(publish.body.CompatibleRuntimes, ['nodejs22.x', 'nodejs24.x']);
    assert.equal(publish.body.LicenseInfo, 'Apache-2.0');
    assert.match(publish.body.Description, /^Warden \S+: no policy \(each function’s own\), extension$/);
    const names = zipEntries(Buffer.from(publish.body.Content.ZipFile, 'base64')).map((e) => e.name);
    for (const f of ['warden/wrapper', 'warden/sensor.cjs', 'warden/handler.mjs', 'extensions/warden'])
      assert.ok(names.includes(f), `${f} in ${names.join(', ')}`);
    assert.equal(grantAccount.path, '/2018-10-31/layers/warden-test/versions/1/policy');
    assert.deepEqual(
      { ...grantAccount.body },
      { Action: 'lambda:GetLayerVersion', Principal: '111122223333', StatementId: 'warden-111122223333' },
    );
    assert.deepEqual(grantOrg.body, {
      Action: 'lambda:GetLayerVersion',
      Principal: '*',
      OrganizationId: 'o-abcdefghij',
      StatementId: 'warden-o-abcdefghij',
    });
    // Text output: the ARN alone on stdout (for scripts), the rest on stderr.
    const again = await aws(['layer', 'publish', '--arch', 'arm64', '--runtimes', 'nodejs24.x'], dir, api);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'arn:aws:lambda:us-east-1:123456789012:layer:warden:1\n');
    assert.match(
      again.stderr,
      /warden instrument <function> --layer-arn arn:aws:lambda:us-east-1:123456789012:layer:warden:1/,
    );
    assert.deepEqual(api.requests.at(-1).body.CompatibleArchitectures, ['arm64']);
    // Bad input is refused before anything is sent.
    const before = api.requests.length;
    for (const bad of [
      ['--runtimes', 'python3.12'],
      ['--grant', 'everyone'],
      ['--layer-name', 'a/b'],
    ]) {
      const b = await aws(['layer', 'publish', ...bad], dir, api);
      assert.equal(b.code, 2, `${bad.join(' ')}: ${b.stderr}`);
      assert.equal(b.stderr.trim().split('\n').length, 1, b.stderr);
    }
    assert.equal(api.requests.length, before);
  } finally {
    await api.close();
    cleanup();
  }
});

test('instrument: the layer added (an old version replaced), the wrapper set and another one chained; dry run changes nothing; --remove restores', async () => {
  const api = await fakeLambdaApi({
    functions: {
      orders: functionConfig('orders', {
        layers: [`${LAYER}:1`, OTHER],
        env: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/otel-instrument', TABLE: 'orders' },
      }),
      plain: functionConfig('plain', { runtime: 'nodejs24.x' }),
    },
  });
  const { dir, cleanup } = tempDir('warden-instrument-');
  try {
    const dry = await aws(
      ['instrument', 'orders', '--layer-arn', `${LAYER}:4`, '--mode', 'enforce', '--dry-run'],
      dir,
      api,
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`layer - ${LAYER}:1`));
    assert.match(dry.stdout, new RegExp(`layer \\+ ${LAYER}:4`));
    assert.match(
      dry.stdout,
      /env {3}AWS_LAMBDA_EXEC_WRAPPER: "\/opt\/otel-instrument" -> "\/opt\/warden\/wrapper"/,
    );
    assert.match(dry.stdout, /env {3}WARDEN_NEXT_WRAPPER: \(unset\) -> "\/opt\/otel-instrument"/);
    assert.match(dry.stderr, /dry run: nothing changed/);
    assert.ok(
      api.requests.every((q) => q.method === 'GET'),
      'a dry run only reads',
    );

    const r = await aws(
      ['instrument', 'orders', 'plain', '--layer-arn', `${LAYER}:4`, '--mode', 'enforce', '--json'],
      dir,
      api,
    );
    assert.equal(r.code, 0, r.stderr);
    const outcomes = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      outcomes.map((o) => [o.function, o.status, o.lastUpdateStatus]),
      [
        ['orders', 'updated', 'InProgress'],
        ['plain', 'updated', 'InProgress'],
      ],
    );
    const put = api.requests.find(
      (q) => q.method === 'PUT' && q.path === '/2015-03-31/functions/orders/configuration',
    );
    assert.deepEqual(put.body.Layers, [OTHER, `${LAYER}:4`], 'the other layer kept, in order; Warden last');
    assert.deepEqual(put.body.Environment.Variables, {
      AWS_LAMBDA_EXEC_WRAPPER: '/opt/warden/wrapper',
      WARDEN_NEXT_WRAPPER: '/opt/otel-instrument',
      WARDEN_MODE: 'enforce',
      TABLE: 'orders',
    });
    assert.equal(
      put.body.RevisionId,
      'rev-orders',
      'the update is refused if the function changed since it was read',
    );
    assert.deepEqual(api.functions.plain.Environment.Variables, {
      AWS_LAMBDA_EXEC_WRAPPER: '/opt/warden/wrapper',
      WARDEN_MODE: 'enforce',
    });

    // Run again: nothing to change, nothing sent.
    const puts = api.requests.filter((q) => q.method === 'PUT').length;
    const again = await aws(
      ['instrument', 'orders', '--layer-arn', `${LAYER}:4`, '--mode', 'enforce'],
      dir,
      api,
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /orders: nothing to change/);
    assert.equal(api.requests.filter((q) => q.method === 'PUT').length, puts);

    // --remove: Warden's layer (any version) and settings out, the other wrapper back.
    const removed = await aws(['instrument', 'orders', '--remove', '--layer-arn', LAYER], dir, api);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(
      api.functions.orders.Layers.map((l) => l.Arn),
      [OTHER],
    );
    assert.deepEqual(api.functions.orders.Environment.Variables, {
      AWS_LAMBDA_EXEC_WRAPPER: '/opt/otel-instrument',
      TABLE: 'orders',
    });
  } finally {
    await api.close();
    cleanup();
  }
});

test('instrument --all takes every Node.js function (all pages); what cannot be instrumented is said, and the exit is 1', async () => {
  const api = await fakeLambdaApi({
    functions: {
      a: functionConfig('a'),
      py: functionConfig('py', { runtime: 'python3.13' }),
      b: functionConfig('b', { runtime: 'nodejs20.x' }),
      img: { ...functionConfig('img'), Runtime: undefined, PackageType: 'Image' },
      busy: functionConfig('busy'),
      full: functionConfig('full', { layers: [1, 2, 3, 4, 5].map((n) => `${OTHER.slice(0, -2)}${n}:1`) }),
    },
    conflict: new Set(['busy']),
  });
  const { dir, cleanup } = tempDir('warden-instrument-all-');
  try {
    const r = await aws(['instrument', '--all', 'img', '--layer-arn', `${LAYER}:2`], dir, api);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lists = api.requests.filter((q) => /^\/2015-03-31\/functions\/?$/.test(q.path));
    assert.equal(lists.length, 3, 'three pages of two');
    for (const name of ['a', 'b'])
      assert.deepEqual(
        api.functions[name].Layers.map((l) => l.Arn),
        [`${LAYER}:2`],
      );
    assert.deepEqual(api.functions.py.Layers, [], 'not a Node.js function: not listed, not touched');
    assert.match(r.stdout, /img: not changed: a container image function takes no layers/);
    assert.match(
      r.stdout,
      /busy:\n(.*\n)*\s+not changed: UpdateFunctionConfiguration failed: ResourceConflictException: .*update is in progress.* \(HTTP 409\)/,
    );
    assert.match(r.stdout, /full: not changed: it would have 6 layers; Lambda allows 5/);
    assert.match(r.stderr, /5 function\(s\), 3 not changed/);
    const missing = await aws(['instrument', 'nope', '--layer-arn', `${LAYER}:2`], dir, api);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stdout,
      /nope: not changed: GetFunctionConfiguration failed: ResourceNotFoundException: Function not found: nope/,
    );
    const none = await aws(['instrument', '--layer-arn', `${LAYER}:2`], dir);
    assert.equal(none.code, 2);
  } finally {
    await api.close();
    cleanup();
  }
});

test('the instrument plan alone: chaining, limits, refusals', () => {
  const plan = (config, o) => lib.instrumentPlan(config, { layerArn: `${LAYER}:3`, ...o });
  assert.equal(plan({ FunctionName: 'f', Runtime: 'python3.12' }).ok, false);
  assert.match(
    plan({ FunctionName: 'f', Runtime: 'nodejs22.x' }, { layerArn: LAYER }).reason,
    /not a layer version ARN/,
  );
  const chained = plan({
    FunctionName: 'f',
    Runtime: 'nodejs22.x',
    Environment: { Variables: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/a', WARDEN_NEXT_WRAPPER: '/opt/b' } },
  });
  assert.match(chained.reason, /one wrapper can be chained/);
  const big = plan({
    FunctionName: 'f',
    Runtime: 'nodejs22.x',
    Environment: { Variables: { BIG: 'x'.repeat(4070) } },
  });
  assert.match(big.reason, /would take \d+ bytes; Lambda allows 4096/);
  // Already Warden's wrapper: kept, not chained to itself.
  const same = plan({
    FunctionName: 'f',
    Runtime: 'nodejs24.x',
    Layers: [{ Arn: `${LAYER}:3` }],
    Environment: { Variables: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/warden/wrapper' } },
  });
  assert.deepEqual(same.changes, []);
  assert.equal(lib.layerOf(`${LAYER}:12`), LAYER);
  assert.equal(lib.layerOf('arn:aws:lambda:us-east-1:123:layer:x:1'), undefined, 'an account is 12 digits');
});
