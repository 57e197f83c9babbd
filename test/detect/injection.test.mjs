// The injection detectors end to end, in the sandbox, with no policy file (zero-config): real
// vulnerable packages (an expression evaluator, a sandbox library, a template engine, a
// deserializer) and hand-written sinks, each exploited through a realistic event of a
// different trigger type. Monitor mode: the attack works and is detected, naming the input.
// Enforce mode: it is blocked and has no effect. Benign events with shell metacharacters, `../`
// that stays inside, and URLs in payloads get no detection.
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tempDir } from '../helpers.mjs';
import { invoke } from '../sandbox-helpers.mjs';

const FN = 'injectable';
const b64 = (s) => Buffer.from(s).toString('base64');
// Markers go to a directory of the test's own, named in the payload as it is (base64 and
// Kinesis data hide a placeholder from substitution).
const MARKS = tempDir('warden-inject-');
const mark = (name) => join(MARKS.dir, name);
const RCE = (marker) => `process.getBuiltinModule('child_process').execSync('touch ${mark(marker)}')`;
// The internal service's port, known once it listens (events are built after that).
let INTERNAL = 0;

// Loopback listeners: the API the proxy handler fronts, and the internal service SSRF reaches.
const hits = { api: [], internal: [] };
let api;
let internal;
const listen = (host, into) =>
  new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      into.push(req.url);
      res.end('from ' + host);
    });
    s.listen(0, host, () => resolve(s));
  });
before(async () => {
  api = await listen('127.0.0.1', hits.api);
  internal = await listen('127.0.0.2', hits.internal);
  INTERNAL = internal.address().port;
});
after(() => {
  api.close();
  internal.close();
  MARKS.cleanup();
});

const httpV2 = (expr) => ({
  version: '2.0',
  routeKey: 'GET /calc',
  rawPath: '/calc',
  rawQueryString: `expr=${encodeURIComponent(expr)}`,
  queryStringParameters: { expr },
  headers: { host: 'abc123.execute-api.us-east-1.amazonaws.com' },
  requestContext: {
    accountId: '123456789012',
    domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
    http: { method: 'GET', path: '/calc', sourceIp: '203.0.113.5', userAgent: 'Mozilla/5.0' },
  },
  isBase64Encoded: false,
});
const sns = (msg) => ({
  Records: [
    {
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:pricing:1',
      Sns: {
        Type: 'Notification',
        MessageId: 'm1',
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:pricing',
        Subject: 'price',
        Message: JSON.stringify(msg),
        Timestamp: '2026-11-26T10:00:00.000Z',
      },
    },
  ],
});
const sqs = (body) => ({
  Records: [
    {
      messageId: 'a1',
      receiptHandle: 'AQEB',
      body: JSON.stringify(body),
      attributes: {},
      messageAttributes: {},
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:invoices',
      awsRegion: 'us-east-1',
    },
  ],
});
const rest = (extra) => ({
  resource: '/{proxy+}',
  path: '/x',
  httpMethod: 'GET',
  headers: {},
  requestContext: { accountId: '123456789012', stage: 'prod', identity: { sourceIp: '203.0.113.5' } },
  isBase64Encoded: false,
  ...extra,
});
const kinesis = (data) => ({
  Records: [
    {
      eventSource: 'aws:kinesis',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/rows',
      kinesis: { partitionKey: 'p1', sequenceNumber: '1', data: b64(JSON.stringify(data)) },
    },
  ],
});
const s3 = (key) => ({
  Records: [
    {
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: 'uploads', arn: 'arn:aws:s3:::uploads' }, object: { key, size: 1024 } },
    },
  ],
});
const ddb = (name) => ({
  Records: [
    {
      eventSource: 'aws:dynamodb',
      eventName: 'INSERT',
      eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/docs/stream/x',
      dynamodb: { Keys: { id: { S: 'd1' } }, NewImage: { id: { S: 'd1' }, name: { S: name } } },
    },
  ],
});
const bridge = (doc) => ({
  version: '0',
  id: 'e-1',
  'detail-type': 'Document Requested',
  source: 'app.docs',
  account: '123456789012',
  region: 'us-east-1',
  time: '2026-11-26T10:00:00Z',
  resources: [],
  detail: { doc },
});
const alb = (file) => ({
  requestContext: {
    elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/docs/1' },
  },
  httpMethod: 'GET',
  path: '/preview',
  queryStringParameters: { file },
  headers: { host: 'docs.internal' },
  body: '',
  isBase64Encoded: false,
});
const fnUrl = (body) => ({
  version: '2.0',
  rawPath: '/fetch',
  rawQueryString: '',
  headers: {},
  requestContext: { domainName: 'xyz.lambda-url.us-east-1.on.aws', http: { method: 'POST', path: '/fetch' } },
  body: b64(JSON.stringify(body)),
  isBase64Encoded: true,
});

/**
 * handler, trigger, benign events, attacks ({event, detector, marker?}). In monitor mode an
 * attack is detected by `detector`, except where `monitorBy` says what sees it there instead.
 */
const cases = () => [
  {
    handler: 'calc',
    trigger: 'apigateway-http',
    pkg: 'mathjs',
    benign: [httpV2('sqrt(16) + 2^3'), httpV2('sin(pi / 2) * 10'), httpV2('(1 + 2) * 3; 4')],
    attacks: [
      {
        event: httpV2(`cos.constructor("return ${RCE('pwned-calc')}")()`),
        detector: 'warden.detect.code-injection',
        marker: 'pwned-calc',
      },
    ],
  },
  {
    handler: 'formula',
    trigger: 'sns',
    pkg: 'safe-eval',
    benign: [
      sns({ formula: 'price * qty * 1.2', price: 10, qty: 3 }),
      sns({ formula: 'round(Math.max(price, 5) - qty)', price: 2, qty: 1 }),
    ],
    attacks: [
      {
        event: sns({
          formula: `Object.getPrototypeOf(round).constructor("return ${RCE('pwned-formula')}")()`,
          price: 1,
          qty: 1,
        }),
        detector: 'warden.detect.code-injection',
        marker: 'pwned-formula',
      },
    ],
  },
  {
    handler: 'render',
    trigger: 'sqs',
    pkg: 'ejs',
    benign: [
      sqs({ data: { number: 'INV-7', company: 'Acme; Sons & Co <b>"quoted"</b>' } }),
      sqs({ data: { number: 'INV-8', company: 'see http://127.0.0.1:9/terms and ../legal' } }),
    ],
    attacks: [
      {
        event: sqs({
          data: {
            number: 1,
            company: 'x',
            settings: { 'view options': { outputFunctionName: `x;${RCE('pwned-render')};s` } },
          },
        }),
        detector: 'warden.detect.code-injection',
        marker: 'pwned-render',
      },
    ],
  },
  {
    handler: 'restore',
    trigger: 'apigateway-rest',
    pkg: 'node-serialize',
    benign: [
      rest({ headers: { Cookie: `prefs=${b64(JSON.stringify({ theme: 'dark' }))}` } }),
      rest({ headers: { Cookie: `prefs=${b64(JSON.stringify({ theme: 'a; b | c $(d)' }))}` } }),
    ],
    // Monitor mode keeps eval direct (Warden does not change how code runs there): the
    // deserialization is seen by what the revived function does.
    attacks: [
      {
        event: rest({
          headers: {
            Cookie: `prefs=${b64(JSON.stringify({ theme: `_$$ND_FUNC$$_function(){${RCE('pwned-restore')}}()` }))}`,
          },
        }),
        detector: 'warden.detect.deserialization',
        monitorBy: 'warden.rule.shell-spawned',
        marker: 'pwned-restore',
      },
    ],
  },
  {
    handler: 'transform',
    trigger: 'kinesis',
    benign: [
      kinesis({ expr: 'row.a + row.b * 2', row: { a: 1, b: 2 } }),
      kinesis({ expr: "row.name + ' (' + row.n + ')'", row: { name: 'x', n: 1 } }),
    ],
    attacks: [
      {
        event: kinesis({ expr: RCE('pwned-transform'), row: {} }),
        detector: 'warden.detect.code-injection',
        marker: 'pwned-transform',
      },
    ],
  },
  {
    handler: 'thumbnail',
    // Enforce mode with the user's reviewed policy, which allows the function's own shell
    // command: the injection is blocked all the same.
    policy:
      'version: 1\nprocess:\n  allow:\n    - { exe: /bin/sh, argv: [-c, "echo *"] }\n    - { exe: /usr/bin/sh, argv: [-c, "echo *"] }\n    - { exe: echo }\n',
    trigger: 's3',
    benign: [s3('photos/cat-1.jpg'), s3('photos/2026/11/dog+park.png')],
    attacks: [
      {
        event: s3(`x.jpg%3B+touch+${encodeURIComponent(mark('pwned-thumb'))}`),
        detector: 'warden.detect.command-injection',
        marker: 'pwned-thumb',
      },
    ],
  },
  {
    handler: 'archive',
    // Enforce mode with the user's reviewed policy, which allows the function's own shell
    // command: the injection is blocked all the same.
    policy:
      'version: 1\nprocess:\n  allow:\n    - { exe: /bin/sh, argv: [-c, "echo *"] }\n    - { exe: /usr/bin/sh, argv: [-c, "echo *"] }\n    - { exe: echo }\n',
    trigger: 'dynamodb-streams',
    benign: [ddb('Q1 & Q2; final (v2) | $(draft) `x`'), ddb('report.pdf')],
    attacks: [
      {
        event: ddb(`x'; touch ${mark('pwned-archive')}; echo '`),
        detector: 'warden.detect.command-injection',
        marker: 'pwned-archive',
      },
    ],
  },
  {
    handler: 'readDoc',
    trigger: 'eventbridge',
    benign: [bridge('guide.md'), bridge('./faq.md'), bridge('../docs/faq.md')],
    attacks: [
      { event: bridge('../../../../../../../proc/self/environ'), detector: 'warden.detect.path-traversal' },
      { event: bridge('../index.js'), detector: 'warden.detect.path-traversal' },
      // A probe for a file that is not there is an attempt all the same.
      { event: bridge('../../no-such-secret.env'), detector: 'warden.detect.path-traversal' },
    ],
  },
  {
    handler: 'readFiltered',
    trigger: 'eventbridge',
    benign: [bridge('faq.md'), bridge('guide.md')],
    attacks: [
      { event: bridge(`${'....//'.repeat(8)}proc/self/environ`), detector: 'warden.detect.path-traversal' },
    ],
  },
  {
    handler: 'preview',
    trigger: 'alb',
    benign: [alb('guide.md'), alb('.%2Ffaq.md')],
    attacks: [{ event: alb('..%2Finvoice.ejs'), detector: 'warden.detect.path-traversal' }],
  },
  {
    handler: 'fetchUrl',
    trigger: 'function-url',
    benign: [],
    attacks: [
      {
        event: fnUrl({ url: `http://127.0.0.2:${INTERNAL}/secrets` }),
        detector: 'warden.detect.ssrf',
        listener: 'internal',
      },
    ],
  },
  {
    handler: 'proxy',
    trigger: 'apigateway-rest',
    benign: [
      rest({ pathParameters: { proxy: '/orders/17' } }),
      rest({ pathParameters: { proxy: '/search?q=http://example.com/a@b' } }),
    ],
    attacks: [
      {
        event: rest({ pathParameters: { proxy: `@127.0.0.2:${INTERNAL}/steal` } }),
        detector: 'warden.detect.ssrf',
        listener: 'internal',
      },
    ],
  },
];

const zero = { attacks: 0, detected: 0, byDetector: 0, benign: 0, benignDetections: 0 };
after(() =>
  process.stdout.write(
    `# zero-config injection corpus: ${zero.detected}/${zero.attacks} attacks detected (${zero.byDetector} by their injection detector in monitor mode, all blocked by it in enforce mode); ${zero.benignDetections}/${zero.benign} benign events had a detection\n`,
  ),
);

async function runCase(c, mode) {
  const policy = mode === 'enforce' && c.policy ? join(MARKS.dir, `${c.handler}.yaml`) : undefined;
  if (policy) writeFileSync(policy, c.policy);
  const withPorts = (e) =>
    JSON.parse(JSON.stringify(e).replaceAll('$INTERNAL', String(internal.address().port)));
  const events = [...c.benign, ...c.attacks.map((a) => a.event)].map(withPorts);
  const before = { api: hits.api.length, internal: hits.internal.length };
  const r = await invoke(FN, `index.${c.handler}`, events, {
    args: [
      '--mode',
      mode,
      '--env',
      `API_BASE=http://127.0.0.1:${api.address().port}`,
      ...(policy ? ['--policy', policy] : []),
    ],
  });
  return { r, before };
}

for (const c0 of cases()) {
  const c = { handler: c0.handler, trigger: c0.trigger, pkg: c0.pkg };
  test(`${c.handler} (${c.trigger}${c.pkg ? `, ${c.pkg}` : ''}): detected in monitor mode, blocked in enforce mode, benign events pass`, async () => {
    const full = cases().find((x) => x.handler === c.handler);
    for (const mode of ['monitor', 'enforce']) {
      const { r, before } = await runCase(full, mode);
      try {
        assert.equal(r.results.length, full.benign.length + full.attacks.length, r.stderr);
        const mine = (i) => r.findings.filter((f) => f.metadata.correlation_uid === r.results[i].requestId);
        full.benign.forEach((_, i) => {
          assert.equal(
            r.results[i].status,
            'success',
            `${mode} benign #${i}: ${JSON.stringify(r.results[i])}`,
          );
          const det = mine(i).filter((f) => f.finding_info.analytic.uid.startsWith('warden.detect.'));
          assert.deepEqual(
            det.map((f) => f.finding_info.desc),
            [],
            `${mode} benign #${i}`,
          );
          if (mode === 'monitor') zero.benign++;
        });
        full.attacks.forEach((a, k) => {
          const i = full.benign.length + k;
          const ids = mine(i).map((f) => f.finding_info.analytic.uid);
          const expected = mode === 'monitor' && a.monitorBy ? a.monitorBy : a.detector;
          const f = mine(i).find((x) => x.finding_info.analytic.uid === expected);
          assert.ok(
            f,
            `${mode} attack #${k}: ${expected} not in ${ids.join(', ')} ${JSON.stringify(r.results[i]).slice(0, 300)}`,
          );
          if (expected === a.detector) {
            assert.equal(f.unmapped.input.trigger, c.trigger);
            assert.ok(f.unmapped.input.source && f.unmapped.input.value, JSON.stringify(f.unmapped.input));
            assert.ok(f.finding_info.attacks.some((t) => t.technique.uid === 'T1190'));
            if (c.pkg && a.detector !== 'warden.detect.command-injection')
              assert.equal(f.unmapped.package, c.pkg);
          }
          if (mode === 'monitor') {
            zero.attacks++;
            zero.detected++;
            if (expected === a.detector) zero.byDetector++;
            if (a.marker) {
              assert.ok(existsSync(mark(a.marker)), `monitor: the exploit ran (${a.marker})`);
              rmSync(mark(a.marker));
            }
          } else {
            assert.equal(f.disposition, 'Blocked');
            assert.equal(r.results[i].status, 'error', `enforce attack #${k} failed`);
            if (a.marker) assert.ok(!existsSync(mark(a.marker)), `enforce: no ${a.marker}`);
          }
        });
        const reached = hits.internal.length - before.internal;
        const wanted = full.attacks.filter((a) => a.listener === 'internal').length;
        assert.equal(
          reached,
          mode === 'monitor' ? wanted : 0,
          `${mode}: requests that reached the internal service`,
        );
        if (mode === 'monitor')
          zero.benignDetections += full.benign.filter((_, i) =>
            mine(i).some((f) => f.finding_info.analytic.uid.startsWith('warden.detect.')),
          ).length;
      } finally {
        r.cleanup();
      }
    }
  });
}
