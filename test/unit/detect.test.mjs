// The detection engine's pure parts: the input of every trigger type, the structural checks
// behind the injection detectors, the outbound-data scan (every encoding, values split across
// writes, SigV4's own use of the key id and token), and the rules' load stages.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';

const lib = createRequire(import.meta.url)('../../dist/lib.cjs');
const values = (event) => lib.taintedInputs(event).values.map((v) => v.value);
const b64 = (s) => Buffer.from(s).toString('base64');

test('input: every trigger type is recognised and its attacker-controlled strings decoded', () => {
  const cases = [
    [
      'apigateway-rest',
      {
        resource: '/x',
        path: '/docs/a%2Fb',
        httpMethod: 'POST',
        headers: { Cookie: 'sid=abc123; pref=dark%20mode', 'X-File': 'report.pdf' },
        queryStringParameters: { q: 'hello world' },
        pathParameters: { id: 'o-17' },
        requestContext: {
          accountId: '123456789012',
          identity: { sourceIp: '203.0.113.9', userAgent: 'curl/8.0' },
        },
        body: b64(JSON.stringify({ name: 'a; id' })),
        isBase64Encoded: true,
      },
      ['a; id', 'dark mode', 'abc123', 'report.pdf', 'hello world', 'o-17', '/docs/a/b', 'curl/8.0'],
      ['123456789012', '203.0.113.9'],
    ],
    [
      'apigateway-http',
      {
        version: '2.0',
        rawPath: '/p',
        rawQueryString: 'url=http%3A%2F%2F127.0.0.1%2Fx&n=2',
        cookies: ['s=eyJhIjoxfQ'],
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        requestContext: {
          domainName: 'abc.execute-api.us-east-1.amazonaws.com',
          http: { method: 'POST', userAgent: 'ua-x' },
        },
        body: 'cmd=ls%3Bid&x=1',
      },
      ['http://127.0.0.1/x', 'ls;id', 'eyJhIjoxfQ', 'ua-x'],
      ['abc.execute-api.us-east-1.amazonaws.com'],
    ],
    [
      'function-url',
      {
        version: '2.0',
        rawPath: '/',
        requestContext: { domainName: 'xyz.lambda-url.eu-west-1.on.aws', http: {} },
        body: '{"url":"http://169.254.169.254/"}',
      },
      ['http://169.254.169.254/'],
      [],
    ],
    [
      'alb',
      {
        requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:x' } },
        httpMethod: 'GET',
        path: '/',
        queryStringParameters: { f: '..%2F..%2Fetc%2Fpasswd' },
        headers: {},
      },
      ['../../etc/passwd'],
      ['arn:aws:elasticloadbalancing:x'],
    ],
    [
      'sqs',
      {
        Records: [
          {
            eventSource: 'aws:sqs',
            messageId: 'm-1',
            receiptHandle: 'rh-secret',
            body: JSON.stringify({ template: 'inv', opts: { outputFunctionName: 'x;process.exit()' } }),
            eventSourceARN: 'arn:aws:sqs:q',
            messageAttributes: { kind: { stringValue: 'urgent-one', dataType: 'String' } },
          },
        ],
      },
      ['x;process.exit()', 'urgent-one'],
      ['rh-secret', 'arn:aws:sqs:q', 'm-1'],
    ],
    [
      'sqs',
      {
        Records: [
          {
            eventSource: 'aws:sqs',
            body: JSON.stringify({ Type: 'Notification', Message: JSON.stringify({ expr: 'cos(0)+1' }) }),
          },
        ],
      },
      ['cos(0)+1'],
      [],
    ],
    [
      'sns',
      {
        Records: [
          {
            EventSource: 'aws:sns',
            EventSubscriptionArn: 'arn:aws:sns:x',
            Sns: {
              Message: '{"code":"1+a"}',
              Subject: 'subj-1',
              MessageAttributes: { k: { Type: 'String', Value: 'attr-v' } },
            },
          },
        ],
      },
      ['1+a', 'subj-1', 'attr-v'],
      ['arn:aws:sns:x'],
    ],
    [
      'eventbridge',
      {
        version: '0',
        id: 'ev-id-1',
        'detail-type': 'Order Placed',
        source: 'app.orders',
        account: '123456789012',
        detail: { file: '../x', nested: { list: ['a-b-c'] } },
      },
      ['../x', 'a-b-c', 'Order Placed'],
      ['ev-id-1', '123456789012'],
    ],
    [
      's3',
      {
        Records: [
          {
            eventSource: 'aws:s3',
            awsRegion: 'us-east-1',
            s3: { bucket: { name: 'bkt' }, object: { key: 'uploads/a+b%3B+id.txt', size: 5 } },
          },
        ],
      },
      ['uploads/a b; id.txt'],
      ['us-east-1'],
    ],
    [
      'dynamodb-streams',
      {
        Records: [
          {
            eventSource: 'aws:dynamodb',
            eventID: 'e1',
            dynamodb: {
              NewImage: {
                cmd: { S: 'echo $(id)' },
                tags: { SS: ['t-one'] },
                meta: { M: { note: { S: 'deep-note' } } },
                blob: { B: b64('blob-text') },
              },
            },
          },
        ],
      },
      ['echo $(id)', 't-one', 'deep-note', 'blob-text'],
      ['e1'],
    ],
    [
      'kinesis',
      {
        Records: [
          { eventSource: 'aws:kinesis', kinesis: { partitionKey: 'pk-1', data: b64('{"x":"kin-data"}') } },
        ],
      },
      ['kin-data', 'pk-1'],
      [],
    ],
    ['direct', { cmd: 'ls -la', nested: [{ path: '/tmp/../etc' }] }, ['ls -la', '/tmp/../etc'], []],
  ];
  for (const [trigger, event, has, hasNot] of cases) {
    assert.equal(lib.triggerOf(event), trigger, JSON.stringify(event).slice(0, 80));
    const got = values(event);
    for (const v of has) assert.ok(got.includes(v), `${trigger}: ${v} in ${JSON.stringify(got)}`);
    for (const v of hasNot) assert.ok(!got.includes(v), `${trigger}: ${v} is the platform's, not input`);
  }
});

test('shell structure: input that stays a word keeps the shape; operators, substitutions and redirections change it', () => {
  const same = [
    'convert a.txt out.pdf',
    "convert 'a; b.txt' out.pdf",
    'convert "a b c.txt" out.pdf',
    'convert a\\;b out.pdf',
  ];
  for (const s of same) assert.equal(lib.shellShape(s), 'W', s);
  assert.equal(lib.shellShape('convert x; id'), 'W ; W');
  assert.equal(lib.shellShape('convert "$(id)"'), '$( W ) W');
  assert.equal(lib.shellShape('convert `id`'), '$( W ) W');
  assert.equal(lib.shellShape('convert x > /tmp/y'), 'W > W');
  assert.equal(lib.shellShape('a && b || c | d &'), 'W && W || W | W &');
});

test('outbound data: the credential in every encoding, split across chunks, not in SigV4 positions', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  const akid = 'ASIAQWERTYUIOPASDFGH';
  const token = `IQoJb3JpZ2luX2VjEOT//////////wEaCXVzLWVhc3QtMSJHMEUCIQ${'x'.repeat(200)}`;
  const needles = lib.credentialNeedles({
    AWS_SECRET_ACCESS_KEY: secret,
    AWS_ACCESS_KEY_ID: akid,
    AWS_SESSION_TOKEN: token,
  });
  const find = (text, dns = false) => lib.findCredential(text, needles, dns);
  const wrap = (s) => `POST /c HTTP/1.1\r\nHost: x\r\n\r\n{"d":"${s}"}`;
  assert.deepEqual(find(wrap(secret)), { name: 'AWS_SECRET_ACCESS_KEY', encoding: 'plain' });
  assert.deepEqual(find(wrap(encodeURIComponent(secret))), {
    name: 'AWS_SECRET_ACCESS_KEY',
    encoding: 'url',
  });
  assert.equal(find(wrap(Buffer.from(secret).toString('hex'))).encoding, 'hex');
  assert.equal(find(wrap(Buffer.from(secret).toString('hex').toUpperCase())).encoding, 'hex');
  // base64 at every alignment inside a larger blob, and base64url
  for (const prefix of ['', 'a', 'ab', 'abc'])
    assert.equal(find(wrap(b64(`${prefix}${secret}&more`))).encoding, 'base64', `offset ${prefix.length}`);
  assert.equal(find(wrap(Buffer.from(`k=${secret}`).toString('base64url'))).name, 'AWS_SECRET_ACCESS_KEY');
  // DNS names: case-folded hex or base32 labels
  const hex = Buffer.from(akid).toString('hex').toUpperCase();
  assert.equal(find(`${hex.slice(0, 30)}${hex.slice(30)}`.toLowerCase(), true).name, 'AWS_ACCESS_KEY_ID');
  // SigV4: the key id after Credential= and the token as x-amz-security-token are the SDK's own
  const signed = `GET / HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=${akid}/20261126/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc\r\nx-amz-security-token: ${token}\r\n\r\n`;
  assert.equal(find(signed), undefined);
  assert.equal(find(`${signed}{"leak":"${akid}"}`).name, 'AWS_ACCESS_KEY_ID');
  assert.equal(find(wrap('nothing to see')), undefined);
  // Stratum
  assert.equal(
    lib.stratumMethod('{"id":1,"method":"mining.subscribe","params":["cpuminer/2.5"]}\n'),
    'mining.subscribe',
  );
  assert.equal(
    lib.stratumMethod(
      '{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"w","pass":"x","agent":"XMRig/6.21"}}',
    ),
    'login',
  );
  assert.equal(lib.stratumMethod('{"jsonrpc":"2.0","method":"login","params":{"user":"ada"}}'), undefined);
  assert.equal(lib.stratumMethod('GET / HTTP/1.1'), undefined);
});

test('SSRF host extraction: URLs, bare hosts, IP forms', () => {
  assert.deepEqual(lib.hostsIn('http://169.254.169.254/latest'), ['169.254.169.254']);
  assert.deepEqual(lib.hostsIn('https://[::1]:8443/x'), ['::1']);
  assert.deepEqual(lib.hostsIn('internal.corp:8080/x'), ['internal.corp']);
  assert.deepEqual(lib.hostsIn('//evil.example/x'), ['evil.example']);
  assert.deepEqual(lib.hostsIn('hello world'), []);
});

test('rules load in stages: merge over the defaults (override, disable, add), then compile', () => {
  const user = [
    { id: 'warden.rule.shell-spawned', action: 'alert' },
    { id: 'warden.rule.dns-exfiltration', disabled: true },
    {
      id: 'acme.x',
      title: 'X',
      severity: 'low',
      surfaces: ['files'],
      action: 'alert',
      condition: { field: 'file.path', prefix: '/mnt/' },
    },
  ];
  const rules = lib.compileRules(lib.mergeRules(lib.DEFAULT_RULES, user, 'u.yaml'));
  const byId = new Map(rules.map((r) => [r.id, r]));
  assert.equal(byId.get('warden.rule.shell-spawned').action, 'alert');
  assert.equal(byId.get('warden.rule.shell-spawned').source, 'u.yaml (overrides default)');
  assert.equal(byId.get('warden.rule.shell-spawned').severity, 4, 'the rest of the default stays');
  assert.ok(!byId.has('warden.rule.dns-exfiltration'));
  assert.equal(byId.get('acme.x').source, 'u.yaml');
  const engine = lib.createEngine(rules);
  const policy = lib.compilePolicy(lib.defaultPolicy(), {});
  const ctx = { packageOf: () => '<function>', policy, state: lib.newDetectState(), layer: 'sensor' };
  const ev = { surface: 'files', op: 'write', api: 'open', requested: '/mnt/x', path: '/mnt/x' };
  assert.deepEqual(
    lib.evaluate(engine, ev, ctx, { policyAllowed: false }).map((v) => [v.ruleId, v.action]),
    [
      ['warden.rule.write-outside-tmp', 'deny'],
      ['acme.x', 'alert'],
    ],
  );
  // A rule a policy can allow stands down for what the user's policy lists by name.
  const mine = lib.compilePolicy(
    lib.normalizePolicy({ version: 1, files: { write: { default: 'deny', allow: [{ path: '/mnt/**' }] } } }),
    {},
  );
  assert.deepEqual(
    lib.evaluate(engine, ev, { ...ctx, policy: mine }, { policyAllowed: true }).map((v) => v.ruleId),
    ['acme.x'],
  );
});

test('entropy: data labels are high, words are not', () => {
  assert.ok(lib.entropy('qk3x9v2m7zp1w8r4t6y0b5n2c7h9j3f1') > 4);
  assert.ok(lib.entropy('productionartifacts') < 3.6);
});

test('path joins: input with `..` that leaves the base, also after a filter ate part of it', () => {
  const values = (...v) => v.map((value) => ({ value, source: 'body.f' }));
  const esc = (args, input) => lib.joinEscape(args, path.join(...args), values(input), false);
  assert.equal(esc(['/var/task/docs', '../../../etc/passwd'], '../../../etc/passwd').base, '/var/task/docs');
  assert.equal(
    esc(['/var/task/docs', '../../../etc/passwd'], '/docs/../../../etc/passwd').base,
    '/var/task/docs',
    'a slice of the input',
  );
  // `....//....//etc/passwd` with `../` stripped once by the function is `../../etc/passwd`
  assert.equal(esc(['/var/task/docs', '../../etc/passwd'], '....//....//etc/passwd').base, '/var/task/docs');
  assert.equal(esc(['/tmp/up', 'a/../b.txt'], 'a/../b.txt'), undefined, 'stays inside');
  assert.equal(esc(['/tmp/up', '../x'], 'unrelated/../y'), undefined, 'not the input');
});

test('a fold nothing saw (path frozen under the permission model, a normalised concatenation): input that climbs out of the function to the file read', () => {
  const values = (...v) => v.map((value) => ({ value, source: 'path' }));
  const fold = (requested, ...input) => lib.foldedEscape(requested, values(...input), '/var/task');
  assert.equal(fold('/proc/self/environ', '../../../../proc/self/environ').base, '/var/task');
  assert.equal(fold('/etc/passwd', 'docs/../../../etc/passwd').base, '/var/task', 'climbs after a name');
  assert.equal(
    fold('/proc/self/environ', '/docs/../../../proc/self/environ').base,
    '/var/task',
    'a slice joined',
  );
  assert.equal(fold('/var/task/docs/a.md', '../docs/a.md'), undefined, 'stays in the function');
  assert.equal(fold('/etc/passwd', 'etc/passwd'), undefined, 'no climb');
  assert.equal(fold('/etc/passwd', 'a/../b'), undefined, 'a climb that stays inside its base');
  assert.equal(fold('/tmp/uploads/a/b.txt', 'a/x/../b.txt'), undefined, 'relative, joined whole: stays in');
  assert.equal(fold('/etc/shadow', '../../etc/passwd'), undefined, 'not the file read');
  assert.equal(lib.foldedEscape('/etc/passwd', values('../../etc/passwd'), undefined), undefined);
});

test('code injection: names assembled from strings and decoders count as reaching for the runtime', () => {
  const policy = lib.compilePolicy(lib.defaultPolicy(), {});
  const detect = (source, input) =>
    lib.DETECTORS['code-injection'](
      { surface: 'code', op: 'function', api: 'new Function', target: source },
      {
        packageOf: () => '<function>',
        policy,
        state: lib.newDetectState(),
        layer: 'sensor',
        inputs: () => ({ trigger: 'sqs', values: [{ value: input, source: 'body.expr' }] }),
      },
    );
  for (const evasion of [
    "this['con'+'structor']['con'+'structor']('return 1')()",
    '[]["fil"+"ter"]["constr"+"uctor"]("return 1")()',
    'eval(atob("cHJvY2Vzcy5leGl0KCk="))',
    '\\u0070rocess.exit()',
  ])
    assert.ok(detect(`return (${evasion})`, evasion), evasion);
  for (const benign of ['(price * qty) + 2', 'Math.max(a, b) / 2', '[1, 2, 3].length'])
    assert.equal(detect(`return (${benign})`, benign), null, benign);
});

test('evasions: double URL-encoding is decoded; any IP form of an internal address is SSRF', () => {
  assert.ok(values({ f: '%252e%252e%252fetc%252fpasswd' }).includes('../etc/passwd'));
  const policy = lib.compilePolicy(lib.defaultPolicy(), {});
  const ssrf = (url, ip) =>
    lib.DETECTORS.ssrf(
      { surface: 'network', op: 'connect', api: 'tcp_wrap.connect', protocol: 'tcp', host: ip, ip, port: 80 },
      {
        packageOf: () => '<function>',
        policy,
        state: lib.newDetectState(),
        layer: 'sensor',
        inputs: () => ({ trigger: 'function-url', values: [{ value: url, source: 'body.url' }] }),
      },
    );
  for (const url of ['http://0x7f.1/', 'http://2130706433/', 'http://0177.0.0.1/', 'http://127.1/'])
    assert.ok(ssrf(url, '127.0.0.1'), url);
  assert.ok(ssrf('http://[::ffff:169.254.169.254]/latest', '169.254.169.254'));
  assert.equal(ssrf('https://93.184.216.34/hook', '93.184.216.34'), null, 'a public address');
});
