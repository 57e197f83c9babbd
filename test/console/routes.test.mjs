// Routing: incidents go to a signed generic webhook, a Slack-compatible webhook and PagerDuty
// Events v2 (loopback receivers here), by severity, function and rule, at most once per incident
// per five minutes (claimed in the store); a test send; a bad routes file named by line and field.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NODE, tempDir } from '../helpers.mjs';
import { freshDatabase, postgresUnavailable } from '../postgres.mjs';
import { CLI, run } from '../sandbox-helpers.mjs';
import { call as callWith, postBatch, receivers, startServe as serveOn } from './serve-helpers.mjs';

const TOKEN = 'routes-test-token';
const [major, minor] = process.versions.node.split('.').map(Number);
const HAS_SQLITE = major > 22 || (major === 22 && minor >= 13);
const NO_POSTGRES = await postgresUnavailable();
const SKIP = {
  sqlite: HAS_SQLITE ? {} : { skip: `node:sqlite needs Node 22.13 or later (this is ${process.version})` },
  postgres: NO_POSTGRES ? { skip: NO_POSTGRES } : {},
};

const startServe = (db, routesFile) => serveOn({ db, token: TOKEN, args: ['--routes', routesFile] });
const call = async (url, method, path, body, headers = {}) =>
  callWith(url, method, path, { token: TOKEN, body, headers });
const ingest = (url, findings) => postBatch(url, findings, { token: TOKEN });

const finding = (uid, fn, rule, severity, requestId, time = Date.now()) => ({
  time,
  severity_id: severity,
  disposition: 'Blocked',
  metadata: { uid, correlation_uid: requestId },
  finding_info: { title: `${rule} fired`, analytic: { uid: rule }, attacks: [] },
  resources: [{ uid: `arn:aws:lambda:us-east-1:123456789012:function:${fn}`, name: fn }],
  evidences: [{ process: { file: { path: '/bin/sh' } } }],
  unmapped: { package: 'ejs' },
});

async function until(pred, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const backend of ['sqlite', 'postgres']) {
  test(
    `[${backend}] incidents reach the routes they match, once per five minutes; a test send; secrets not shown`,
    SKIP[backend],
    async () => {
      const { dir, cleanup } = tempDir('warden-routes-');
      const rx = await receivers();
      const routes = join(dir, 'routes.yaml');
      writeFileSync(
        routes,
        `consoleUrl: https://warden.example.internal
routes:
  - name: soc-webhook
    kind: webhook
    url: ${rx.url}/hook
    secret: hook-secret
    minSeverity: high
    functions: "orders*"
  - name: slack-secops
    kind: slack
    url: ${rx.url}/slack
    rules: "warden.detect.*"
  - name: pager
    kind: pagerduty
    url: ${rx.url}/pd
    routingKey: R0UTINGKEY
    minSeverity: critical
`,
      );
      const serve = await startServe(
        backend === 'postgres' ? await freshDatabase() : join(dir, 'c.sqlite'),
        routes,
      );
      try {
        assert.equal(
          (await ingest(serve.url, [finding('a1', 'orders', 'warden.detect.command-injection', 5, 'inv-1')]))
            .status,
          200,
        );
        await until(() => rx.got.length >= 3);
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(rx.got.map((g) => g.path).sort(), ['/hook', '/pd', '/slack']);
        const incidentId = (await call(serve.url, 'GET', '/api/incidents')).body.incidents[0].id;
        const hook = rx.got.find((g) => g.path === '/hook');
        const expected = createHmac('sha256', 'hook-secret')
          .update(`${hook.headers['x-warden-timestamp']}.${hook.raw}`)
          .digest('hex');
        assert.equal(hook.headers['x-warden-signature'], `sha256=${expected}`);
        assert.equal(hook.body.incident.id, incidentId);
        assert.equal(hook.body.url, `https://warden.example.internal/incidents/${incidentId}`);
        const pd = rx.got.find((g) => g.path === '/pd').body;
        assert.deepEqual(
          [pd.routing_key, pd.event_action, pd.dedup_key, pd.payload.severity],
          ['R0UTINGKEY', 'trigger', incidentId, 'critical'],
        );
        assert.match(
          rx.got.find((g) => g.path === '/slack').body.text,
          /\[Critical\] warden\.detect\.command-injection fired — orders/,
        );

        // More of the same incident within five minutes: nothing more is sent.
        await ingest(serve.url, [finding('a2', 'orders', 'warden.detect.command-injection', 5, 'inv-1')]);
        // A low incident elsewhere matches no route.
        await ingest(serve.url, [finding('b1', 'billing', 'warden.process.spawn', 2, 'inv-2')]);
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(rx.got.length, 3);

        const listed = (await call(serve.url, 'GET', '/api/routes')).body.routes;
        assert.deepEqual(
          listed.map((r) => r.name),
          ['soc-webhook', 'slack-secops', 'pager'],
        );
        assert.ok(
          !JSON.stringify(listed).includes('hook-secret') && !JSON.stringify(listed).includes('R0UTINGKEY'),
        );
        const sent = await call(serve.url, 'POST', '/api/routes/slack-secops/test');
        assert.deepEqual([sent.status, sent.body.ok], [200, true]);
        assert.match(rx.got.at(-1).body.text, /Test notification from Warden/);
        assert.equal((await call(serve.url, 'POST', '/api/routes/nope/test')).status, 404);
      } finally {
        await serve.stop();
        await rx.close();
        cleanup();
      }
    },
  );
}

test('a bad routes file is refused at start with its file, line and field', async () => {
  const { dir, cleanup } = tempDir('warden-routes-bad-');
  try {
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, 'routes:\n  - name: x\n    kind: webhook\n    url: http://127.0.0.1:9/h\n');
    const r = await run(NODE, [CLI, 'serve', '--db', join(dir, 'c.sqlite'), '--port', '0', '--routes', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /routes\.yaml:2: routes\[0\]\.secret: a webhook is signed/);
    writeFileSync(file, 'routes:\n  - name: y\n    kind: teams\n');
    const k = await run(NODE, [CLI, 'serve', '--db', join(dir, 'c.sqlite'), '--port', '0', '--routes', file]);
    assert.match(k.stderr, /routes\.yaml:3: routes\[0\]\.kind: one of webhook, slack, pagerduty/);
  } finally {
    cleanup();
  }
});
