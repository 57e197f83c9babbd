// The benign corpus (test/fixtures/benign): functions of the shapes people deploy, each learned
// from a few events and then run on ten unseen events of the same shape under the learned policy
// in enforce mode. A finding or a failed invoke is a false positive: the policy would break the
// function in production. Results are reported in docs/learning.md.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, tempDir } from '../helpers.mjs';
import { RUNTIME } from '../sandbox-helpers.mjs';
import { fakeDynamoDb, recorder } from './fake-services.mjs';
import { assertBenignPass, learnCli, writeEvents } from './learn-helpers.mjs';

const CORPUS = join(ROOT, 'test', 'fixtures', 'benign');
let ddb;
let hook;
before(async () => {
  ddb = await fakeDynamoDb();
  hook = await recorder();
});
after(() => {
  ddb.close();
  hook.close();
  console.log(
    `benign corpus on ${RUNTIME}:\n${results.map((r) => `  ${r.fn}: learned from ${r.learned} events, ${r.entries} entries; ${r.unseen} unseen events, 0 findings, 0 failures`).join('\n')}`,
  );
});
const results = [];

const range = (n, f) => Array.from({ length: n }, (_, i) => f(i));
const words = [
  'ada',
  'grace',
  'linus',
  'margaret',
  'ken',
  'barbara',
  'dennis',
  'frances',
  'alan',
  'edsger',
  'hedy',
  'tim',
  'radia',
  'guido',
];
const iso = (i) => new Date(Date.UTC(2026, 10, 1 + i, 8, (i * 7) % 60)).toISOString();

const apigwRest = (i) =>
  i % 3 === 0
    ? {
        httpMethod: 'POST',
        resource: '/greetings',
        path: '/greetings',
        isBase64Encoded: i % 2 === 0,
        body:
          i % 2 === 0
            ? Buffer.from(JSON.stringify({ name: words[i % words.length] })).toString('base64')
            : JSON.stringify({ name: words[i % words.length] }),
        requestContext: { requestId: `req-${i}`, stage: 'prod' },
      }
    : {
        httpMethod: 'GET',
        resource: '/greetings/{name}',
        path: `/greetings/${words[i % words.length]}`,
        pathParameters: { name: encodeURIComponent(`${words[i % words.length]} ${i}`) },
        queryStringParameters: i % 2 ? { lang: 'fr' } : null,
        requestContext: { requestId: `req-${i}`, stage: 'prod' },
      };
const apigwHttp = (i) => ({
  version: '2.0',
  routeKey: 'POST /quote',
  rawPath: '/quote',
  headers: { 'content-type': 'application/json' },
  requestContext: { http: { method: 'POST', path: '/quote' }, requestId: `r${i}` },
  body: JSON.stringify({
    items: range(1 + (i % 4), (k) => ({ sku: `sku-${k}`, price: 3.5 * (k + 1), qty: i + 1 })),
    currency: i % 2 ? 'USD' : 'EUR',
  }),
  isBase64Encoded: false,
});
const sqsBatch = (i) => ({
  Records: range(1 + (i % 5), (k) => ({
    messageId: `m-${i}-${k}`,
    receiptHandle: `rh-${i}-${k}`,
    body: k === 2 ? 'not json' : JSON.stringify({ sku: `sku-${i * 10 + k}`, qty: k + 1 }),
    attributes: { SentTimestamp: String(1764000000000 + i * 1000 + k) },
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:orders',
  })),
});
const s3Event = (i) => ({
  Records: range(1 + (i % 2), (k) => ({
    eventName: 'ObjectCreated:Put',
    s3: {
      bucket: { name: 'reports-bucket' },
      object: {
        key: `incoming/2026/${10 + (i % 3)}/sales+report+${i}-${k}.csv`,
        size: 1000 + i,
        eTag: `e${i}${k}`,
      },
    },
  })),
});
const ddbStream = (i) => ({
  Records: range(1 + (i % 3), (k) => ({
    eventID: `ev-${i}-${k}`,
    eventName: ['INSERT', 'MODIFY', 'REMOVE'][(i + k) % 3],
    dynamodb: {
      NewImage: {
        id: { S: `item-${i}-${k}` },
        price: { N: String(i * 3 + k) },
        active: { BOOL: k % 2 === 0 },
      },
    },
  })),
});
const eventBridge = (i) =>
  i % 2
    ? {
        source: 'aws.ec2',
        'detail-type': 'EC2 Instance State-change Notification',
        region: 'us-east-1',
        time: iso(i),
        detail: {
          'instance-id': `i-0${(1234567 + i * 97).toString(16)}`,
          state: ['running', 'stopped', 'pending'][i % 3],
        },
      }
    : {
        source: `com.example.orders`,
        'detail-type': `Order ${['Placed', 'Shipped', 'Cancelled'][i % 3]}`,
        region: 'eu-west-1',
        time: iso(i),
        detail: { id: i },
      };
const scheduled = (i) => ({
  version: '0',
  id: `sched-${i}-${(i * 7919).toString(16)}`,
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  time: iso(i),
  resources: ['arn:aws:events:us-east-1:123456789012:rule/nightly'],
  detail: {},
});
const sfnTask = (i) => ({ orderId: `o-${i}`, dueDate: iso(i * 3).slice(0, 10), step: i % 4 });
const urlStream = (i) => ({
  version: '2.0',
  rawPath: '/export',
  rawQueryString: `rows=${5 + i * 3}`,
  requestContext: { http: { method: 'GET', path: '/export' } },
});
const lambdaLith = (i) => {
  const get = (path) => ({
    httpMethod: 'GET',
    path,
    resource: '/{proxy+}',
    headers: { accept: 'application/json' },
    requestContext: { requestId: `x${i}` },
    body: null,
  });
  if (i % 3 === 0)
    return {
      httpMethod: 'POST',
      path: '/todos',
      resource: '/{proxy+}',
      headers: { 'content-type': 'application/json' },
      requestContext: { requestId: `x${i}` },
      body: JSON.stringify({ title: `todo ${words[i % words.length]}` }),
    };
  return i % 3 === 1 ? get(`/todos/${1 + (i % 4)}`) : get('/health');
};
const bundledBinary = (i) => ({
  content: Buffer.from(`document ${i} ${words[i % words.length].repeat(i + 1)}`).toString('base64'),
});
const workers = (i) => ({ below: 500 + i * 1733 });

const CASES = [
  ['apigw-rest', apigwRest],
  ['apigw-http', apigwHttp],
  ['sqs-batch', sqsBatch],
  ['s3-event', s3Event],
  ['ddb-stream', ddbStream, () => ['--env', `DYNAMODB_ENDPOINT=${ddb.url}`]],
  ['eventbridge', eventBridge, () => ['--env', `WEBHOOK_URL=http://127.0.0.1:${hook.port}/hooks/ops`]],
  ['scheduled', scheduled],
  ['sfn-task', sfnTask],
  ['url-stream', urlStream],
  ['lambda-lith', lambdaLith],
  ['bundled-binary', bundledBinary],
  ['workers', workers],
];
const LEARN = 4;
const UNSEEN = 10;

for (const [fn, make, env = () => []] of CASES) {
  test(`benign corpus: ${fn} learned from ${LEARN} events, ${UNSEEN} unseen events pass in enforce mode`, async () => {
    const { dir, cleanup } = tempDir(`warden-benign-${fn}-`);
    try {
      const fnDir = join(CORPUS, fn);
      const events = writeEvents(dir, 'learn', range(LEARN, make));
      const out = join(dir, 'policy.yaml');
      const r = await learnCli([fnDir, '--handler', 'index.handler', ...events, ...env(), '--out', out]);
      assert.match(readFileSync(out, 'utf8'), /^mode: enforce$/m);
      const unseen = range(UNSEEN, (i) => make(LEARN + i));
      await assertBenignPass(fnDir, out, unseen, env());
      results.push({
        fn,
        learned: LEARN,
        unseen: UNSEEN,
        entries: /(\d+) entries/.exec(r.stderr)?.[1] ?? '?',
      });
    } finally {
      cleanup();
    }
  });
}
