// The sandbox's pure pieces: handler strings, the bootstrap's memory flags, Lambda's
// environment, canary credentials, telemetry subscription validation.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers.mjs';

const require = createRequire(import.meta.url);
const lib = require('../../dist/lib.cjs');

test('handler strings split as the runtime splits them', () => {
  assert.deepEqual(lib.parseHandlerString('index.handler'), {
    moduleRoot: '',
    moduleName: 'index',
    handlerName: 'handler',
  });
  assert.deepEqual(lib.parseHandlerString('src/app.nested.fn'), {
    moduleRoot: 'src',
    moduleName: 'app',
    handlerName: 'nested.fn',
  });
  assert.deepEqual(lib.parseHandlerString('/opt/warden/handler.handler'), {
    moduleRoot: '/opt/warden',
    moduleName: 'handler',
    handlerName: 'handler',
  });
  for (const bad of ['index', '../up.handler', 'a/../b.handler'])
    assert.throws(
      () => lib.parseHandlerString(bad),
      (e) => e.name === 'Runtime.MalformedHandlerName',
      bad,
    );
});

test("the bootstrap's memory flags follow the function's memory size", () => {
  assert.deepEqual(lib.bootstrapNodeArgs(128), [
    '--expose-gc',
    '--max-http-header-size',
    '81920',
    '--max-semi-space-size=1',
    '--max-old-space-size=126',
  ]);
  assert.ok(lib.bootstrapNodeArgs(1024).includes('--max-old-space-size=1008'));
  assert.ok(lib.bootstrapNodeArgs(1024).includes('--max-semi-space-size=8'));
});

test("Lambda's environment: reserved variables win over the function configuration", () => {
  const credentials = lib.canaryCredentials();
  const env = lib.lambdaEnvironment({
    settings: {
      functionName: 'fn',
      functionVersion: '$LATEST',
      handler: 'index.handler',
      memoryMb: 256,
      timeoutSec: 3,
      region: 'eu-west-1',
      accountId: '111122223333',
      runtime: 'nodejs22.x',
    },
    taskRoot: '/var/task',
    optDir: '/opt',
    runtimeDir: '/var/runtime',
    runtimeApi: '127.0.0.1:9001',
    credentials,
    logStream: '2026/11/26/[$LATEST]abc',
    userEnv: { AWS_REGION: 'x', LAMBDA_TASK_ROOT: '/evil', MY_VAR: '1' },
    nodeBinDir: '/var/lang/bin',
    base: {},
  });
  assert.equal(env.AWS_REGION, 'eu-west-1');
  assert.equal(env.LAMBDA_TASK_ROOT, '/var/task');
  assert.equal(env.MY_VAR, '1');
  assert.equal(env.AWS_EXECUTION_ENV, 'AWS_Lambda_nodejs22.x');
  assert.equal(env.AWS_LAMBDA_LOG_GROUP_NAME, '/aws/lambda/fn');
  assert.equal(env.AWS_SECRET_ACCESS_KEY, credentials.secretAccessKey);
  assert.equal(
    env.NODE_PATH,
    '/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task',
  );
  assert.equal(env.TZ, ':UTC');
  assert.equal(env.AWS_LAMBDA_EXEC_WRAPPER, undefined);
  // Lambda's own values, whoever runs the sandbox: nothing of the host's environment.
  assert.equal(env.PATH, '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin');
  assert.equal(
    env.LD_LIBRARY_PATH,
    '/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib',
  );
  assert.equal(env.HOME, '/home/sbx_user1051');
  assert.equal(env.LANG, 'en_US.UTF-8');
  for (const k of Object.keys(process.env))
    if (
      !['PATH', 'HOME', 'LANG', 'TZ', 'LD_LIBRARY_PATH', 'NODE_PATH', 'MY_VAR'].includes(k) &&
      !k.startsWith('AWS_') &&
      !k.startsWith('_')
    )
      assert.equal(env[k], undefined, `${k} came from the host`);
  // Function configuration may set an unreserved one (PATH), as in Lambda.
  const custom = lib.lambdaEnvironment({
    settings: {
      functionName: 'fn',
      functionVersion: '$LATEST',
      handler: 'i.h',
      memoryMb: 128,
      timeoutSec: 3,
      region: 'us-east-1',
      accountId: '1',
      runtime: 'nodejs24.x',
    },
    taskRoot: '/var/task',
    optDir: '/opt',
    runtimeDir: '/var/runtime',
    runtimeApi: 'x',
    credentials,
    logStream: 's',
    userEnv: { PATH: '/var/task/bin:/usr/bin' },
    nodeBinDir: '/var/lang/bin',
    base: {},
  });
  assert.equal(custom.PATH, '/var/task/bin:/usr/bin');
});

test('canary credentials look like temporary role credentials and differ every time', () => {
  const a = lib.canaryCredentials();
  const b = lib.canaryCredentials();
  assert.match(a.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
  assert.match(a.secretAccessKey, /^[A-Za-z0-9x]{40}$/);
  assert.ok(a.sessionToken.length > 300);
  assert.notEqual(a.secretAccessKey, b.secretAccessKey);
});

test('telemetry subscriptions are validated as the Telemetry API does', () => {
  const ok = lib.parseSubscription('ext', {
    schemaVersion: '2022-12-13',
    types: ['platform', 'function'],
    destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:4243/path' },
  });
  assert.deepEqual(ok.buffering, { maxItems: 10000, maxBytes: 262144, timeoutMs: 1000 });
  assert.equal(ok.host, '127.0.0.1');
  assert.equal(ok.path, '/path');
  const tcp = lib.parseSubscription('ext', {
    schemaVersion: '2022-07-01',
    types: ['extension'],
    buffering: { maxItems: 1000, maxBytes: 1048576, timeoutMs: 25 },
    destination: { protocol: 'TCP', URI: 'tcp://sandbox.localdomain:4244' },
  });
  assert.equal(tcp.port, 4244);
  const base = {
    schemaVersion: '2022-12-13',
    types: ['platform'],
    destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:1' },
  };
  const bad = [
    { ...base, schemaVersion: '2021-01-01' },
    { ...base, types: [] },
    { ...base, types: ['kernel'] },
    { ...base, destination: { protocol: 'UDP', URI: 'udp://sandbox.localdomain:1' } },
    { ...base, destination: { protocol: 'HTTP', URI: 'http://example.com:80' } },
    { ...base, destination: { protocol: 'HTTP', URI: 'tcp://sandbox.localdomain:1' } },
    { ...base, buffering: { maxItems: 10 } },
    { ...base, buffering: { maxBytes: 2 * 1048576 } },
    { ...base, buffering: { timeoutMs: 5 } },
  ];
  for (const b of bad) assert.throws(() => lib.parseSubscription('ext', b), undefined, JSON.stringify(b));
});

test('telemetry: a batch goes out when its timeoutMs has passed, not because the sandbox thawed', async () => {
  const net = await import('node:net');
  const got = [];
  const server = net.createServer((s) => {
    s.setEncoding('utf8');
    s.on('data', (d) =>
      got.push(
        ...d
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l).type),
      ),
    );
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const sub = lib.parseSubscription('ext', {
      schemaVersion: '2022-12-13',
      types: ['platform'],
      buffering: { timeoutMs: 300 },
      destination: { protocol: 'TCP', URI: `tcp://sandbox.localdomain:${server.address().port}` },
    });
    let frozen = false;
    const stream = new lib.TelemetryStream(
      sub,
      () => frozen,
      () => {},
    );
    const wait = (ms) => new Promise((r) => setTimeout(r, ms));
    const event = (type) => ({ time: new Date().toISOString(), type, record: {} });
    // Buffered, then frozen and thawed well before the timeout: nothing goes out at the thaw.
    stream.push(event('platform.start'));
    frozen = true;
    await wait(20);
    frozen = false;
    await stream.thawed();
    await wait(50);
    assert.deepEqual(got, [], 'a thaw alone does not send a batch that is not due');
    // The timeout passes while frozen: the batch waits, and goes out at the thaw.
    frozen = true;
    await wait(400);
    assert.deepEqual(got, [], 'nothing is delivered while frozen');
    frozen = false;
    await stream.thawed();
    await wait(50);
    assert.deepEqual(got, ['platform.start']);
    // Thawed the whole time: the timer sends it.
    stream.push(event('platform.runtimeDone'));
    await wait(500);
    assert.deepEqual(got, ['platform.start', 'platform.runtimeDone']);
    stream.close();
  } finally {
    server.close();
  }
});

test("the runtime clients: the checkout's pinned 4.x, 3.x for the older runtimes; an installed Warden brings neither", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.equal(
    lib.awsClientInstallSpec('nodejs24.x'),
    `aws-lambda-ric@${pkg.devDependencies['aws-lambda-ric']}`,
  );
  for (const rt of ['nodejs20.x', 'nodejs22.x'])
    assert.equal(lib.awsClientInstallSpec(rt), 'aws-lambda-ric-v3@npm:aws-lambda-ric@3.3.0');
  // Installing Warden compiles nothing: no runtime client among what a user's install fetches.
  for (const deps of [pkg.dependencies, pkg.optionalDependencies, pkg.peerDependencies])
    assert.ok(!Object.keys(deps ?? {}).some((n) => n.startsWith('aws-lambda-ric')));
  // The cache a sandbox builds one into is one directory per version.
  assert.notEqual(lib.awsClientCacheDir('nodejs22.x'), lib.awsClientCacheDir('nodejs24.x'));
  assert.equal(lib.awsClientCacheDir('nodejs20.x'), lib.awsClientCacheDir('nodejs22.x'));
});
