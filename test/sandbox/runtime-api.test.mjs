// Runtime API 2018-06-01 conformance: a hand-written runtime client (test/fixtures/runtime/
// probe-runtime.mjs) calls each path and records the replies.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { NODE_MAJOR, ROOT, tempDir } from '../helpers.mjs';
import { FUNCTIONS, probeRecords } from '../sandbox-helpers.mjs';

const require = createRequire(import.meta.url);
const lib = require('../../dist/lib.cjs');
const RUNTIME = `nodejs${NODE_MAJOR}.x`;

async function probeRuntime(mode, events) {
  const { dir, cleanup } = tempDir('warden-rapi-');
  const log = join(dir, 'probe.jsonl');
  const results = [];
  const logs = [];
  await lib.runSandbox({
    packageRoot: ROOT,
    functionDir: join(FUNCTIONS, 'basic'),
    settings: {
      functionName: 'probe',
      functionVersion: '$LATEST',
      handler: 'index.handler',
      memoryMb: 256,
      timeoutSec: 5,
      region: 'eu-west-1',
      accountId: '111122223333',
      runtime: RUNTIME,
    },
    nodeBin: process.execPath,
    client: {
      kind: 'builtin',
      entry: join(ROOT, 'test/fixtures/runtime/probe-runtime.mjs'),
      dir: join(ROOT, 'test/fixtures/runtime'),
      label: 'probe',
    },
    events,
    noWarden: true,
    extraLayers: [],
    userEnv: { PROBE_LOG: log, PROBE_MODE: mode },
    onResult: (r) => results.push(r),
    onFinding: () => {},
    onLog: (source, line) => logs.push(`[${source}] ${line}`),
  });
  const recs = probeRecords(log);
  cleanup();
  return { results, recs, of: (k) => recs.filter((r) => r.kind === k), logs };
}

const payload = (o) => ({ payload: Buffer.from(JSON.stringify(o)) });

test('next, response, error, size limit, streaming: paths, headers and status codes', async () => {
  const events = [
    {
      ...payload({ n: 1 }),
      clientContext: '{"client":{"app":"probe"}}',
      cognitoIdentity: '{"cognitoIdentityId":"id-1"}',
    },
    payload({ n: 2 }),
    payload({ n: 3 }),
    payload({ n: 4 }),
    payload({ n: 5 }),
    payload({ n: 6 }),
  ];
  const before = Date.now();
  const r = await probeRuntime('', events);
  const nexts = r.of('next');
  assert.equal(nexts.length, 6, r.logs.join('\n'));
  const first = nexts[0];
  assert.equal(first.status, 200);
  assert.deepEqual(JSON.parse(first.body), { n: 1 });
  assert.equal(first.headers['lambda-runtime-aws-request-id'], r.results[0].requestId);
  const deadline = Number(first.headers['lambda-runtime-deadline-ms']);
  assert.ok(deadline >= before + 4000 && deadline <= Date.now() + 5000, String(deadline));
  assert.equal(
    first.headers['lambda-runtime-invoked-function-arn'],
    'arn:aws:lambda:eu-west-1:111122223333:function:probe',
  );
  assert.match(first.headers['lambda-runtime-trace-id'], /^Root=1-/);
  assert.equal(first.headers['lambda-runtime-client-context'], '{"client":{"app":"probe"}}');
  assert.equal(first.headers['lambda-runtime-cognito-identity'], '{"cognitoIdentityId":"id-1"}');
  assert.equal(nexts[1].headers['lambda-runtime-client-context'], undefined);

  assert.equal(r.of('wrong-id')[0].status, 400);
  assert.equal(r.of('response')[0].status, 202);
  assert.equal(r.of('duplicate')[0].status, 403);
  assert.equal(r.of('late-init-error')[0].status, 403);
  assert.equal(r.of('error')[0].status, 202);
  assert.equal(r.of('too-large')[0].status, 413);
  assert.equal(JSON.parse(r.of('too-large')[0].body).errorType, 'RequestEntityTooLarge');
  assert.equal(r.of('stream')[0].status, 202);
  assert.equal(r.of('stream-error')[0].status, 202);

  const [ok, failed, big, streamed, broken] = r.results;
  assert.deepEqual([ok.status, ok.response], ['success', { answer: 42 }]);
  assert.equal(typeof ok.initDurationMs, 'number');
  assert.deepEqual(
    [failed.status, failed.error],
    ['error', { errorType: 'Probe.Failed', errorMessage: 'it failed' }],
  );
  assert.equal(big.status, 'error');
  assert.equal(big.error.errorType, 'Function.ResponseSizeTooLarge');
  assert.deepEqual([streamed.status, streamed.response], ['success', 'part1,part2']);
  assert.deepEqual(
    [broken.status, broken.error],
    ['error', { errorType: 'Probe.StreamBroke', errorMessage: 'midway' }],
  );
});

test('init/error: 202, and the invoke reports the runtime init error', async () => {
  const r = await probeRuntime('init-error', [payload({}), payload({})]);
  assert.equal(r.of('init-error')[0].status, 202);
  assert.equal(r.results.length, 2);
  for (const res of r.results) {
    assert.equal(res.status, 'error');
    assert.deepEqual(res.error, { errorType: 'Runtime.ProbeInitFailed', errorMessage: 'probe init failed' });
    assert.equal(typeof res.initDurationMs, 'number', 'init is retried for the next invoke, as Lambda does');
  }
});
