// `warden serve`: what the extension's shipper sends is stored once (idempotent on metadata.uid,
// acknowledged after a durable write), a bad batch is refused whole with its line named, findings
// are grouped into incidents (one invocation is one incident; a repeat of the same rule, package
// and target in a later invocation extends it while it is alive), and the JSON API lists,
// filters and triages them. End to end: a finding the extension ships from the sandbox appears in
// the incident list.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { NODE, ROOT, tempDir } from '../helpers.mjs';
import { validateIncidentFinding } from '../ocsf.mjs';
import { freshDatabase, postgresUnavailable } from '../postgres.mjs';
import { CLI, invoke } from '../sandbox-helpers.mjs';
import { batchOf, call as callWith, startServe as serveOn } from './serve-helpers.mjs';

const lib = createRequire(import.meta.url)(join(ROOT, 'dist', 'lib.cjs'));
const HAS_SQLITE = lib.hasSqlite(process.version);
const NO_POSTGRES = await postgresUnavailable();
/** The same suite on both stores: SQLite (Node's node:sqlite) and PostgreSQL. */
const SKIP = {
  sqlite: HAS_SQLITE ? {} : { skip: `node:sqlite needs Node 22.13 or later (this is ${process.version})` },
  postgres: NO_POSTGRES ? { skip: NO_POSTGRES } : {},
};
const TOKEN = 'console-test-token';
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:orders';
const HOUR = 3_600_000;

/** `warden serve` on this test's store (a SQLite file, or a fresh PostgreSQL database). */
async function startServe(dir, backend, args = [], database = undefined) {
  const db = database ?? (backend === 'postgres' ? await freshDatabase() : join(dir, 'console.sqlite'));
  return serveOn({ db, token: TOKEN, args });
}
const call = (url, method, path, opts = {}) => callWith(url, method, path, { token: TOKEN, ...opts });
const postBatch = (url, findings, opts = {}) =>
  call(url, 'POST', '/v1/findings', {
    body: batchOf(findings),
    headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
    ...opts,
  });

/** A Warden finding as the sensor writes it, reduced to what the console reads. */
function finding({
  uid,
  time,
  requestId,
  rule = 'warden.process.spawn',
  pkg = 'node-serialize',
  path = '/bin/sh',
  severity = 4,
}) {
  return {
    class_uid: 2004,
    time,
    severity_id: severity,
    disposition: 'Detected',
    metadata: { uid, ...(requestId ? { correlation_uid: requestId } : {}), version: '1.3.0' },
    finding_info: {
      uid,
      title: `${rule} fired`,
      analytic: { uid: rule, type: 'Rule', type_id: 1 },
      attacks: [{ technique: { uid: 'T1059', name: 'Command and Scripting Interpreter' } }],
    },
    resources: [{ uid: ARN, name: 'orders', type: 'AWS::Lambda::Function' }],
    evidences: [{ process: { file: { path } } }],
    unmapped: { package: pkg },
  };
}

/** A CloudWatch Logs subscription's payload as Firehose delivers it: gzip'd JSON, base64. */
function logsRecord(messages, messageType = 'DATA_MESSAGE') {
  const payload = {
    messageType,
    owner: '123456789012',
    logGroup: '/aws/lambda/orders',
    logStream: '2026/12/03/[$LATEST]0123456789abcdef',
    subscriptionFilters: ['warden'],
    logEvents: messages.map((message, i) => ({
      id: String(i),
      timestamp: Date.UTC(2026, 11, 3, 13),
      message,
    })),
  };
  return { data: gzipSync(JSON.stringify(payload)).toString('base64') };
}

/** The incidents table as the first console wrote it (before `invocations` was kept). */
const FIRST_INCIDENTS_DDL = `CREATE TABLE incidents (id TEXT PRIMARY KEY, function_arn TEXT NOT NULL,
  function_name TEXT NOT NULL, title TEXT NOT NULL, severity_id INTEGER NOT NULL, first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL, findings INTEGER NOT NULL, rules TEXT NOT NULL, packages TEXT NOT NULL,
  techniques TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, assignee TEXT, updated BIGINT NOT NULL)`;
const FINDING_COLUMNS = `incident_id TEXT NOT NULL, time BIGINT NOT NULL, function_arn TEXT NOT NULL,
  function_name TEXT NOT NULL, request_id TEXT, rule_id TEXT NOT NULL, package TEXT NOT NULL, target TEXT NOT NULL,
  signature TEXT NOT NULL, severity_id INTEGER NOT NULL, raw TEXT NOT NULL, received BIGINT NOT NULL`;

/** A database as the first console left it: one incident of two invocations, three findings. */
async function firstVersionDatabase(backend, dir) {
  // Yesterday, 09:00 UTC: inside the overview's period whenever the suite runs.
  const t = Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR - 15 * HOUR;
  const rows = ['r1', 'r1', 'r2'].map((req, i) => [
    `u${i}`,
    'inc-old',
    t + i,
    ARN,
    'orders',
    req,
    'warden.process.spawn',
    'ejs',
    '/bin/sh',
    'sig',
    4,
    JSON.stringify(finding({ uid: `u${i}`, time: t + i, requestId: req, pkg: 'ejs' })),
    t,
  ]);
  const incident = [
    'inc-old',
    ARN,
    'orders',
    'old',
    4,
    t,
    t + 2,
    3,
    '["warden.process.spawn"]',
    '["ejs"]',
    '[]',
    'new',
    null,
    null,
    t,
  ];
  if (backend === 'sqlite') {
    const file = join(dir, 'first.sqlite');
    const { DatabaseSync } = createRequire(import.meta.url)('node:sqlite');
    const db = new DatabaseSync(file);
    db.exec(`${FIRST_INCIDENTS_DDL}; CREATE TABLE findings (uid TEXT PRIMARY KEY, ${FINDING_COLUMNS})`);
    db.prepare(`INSERT INTO incidents VALUES (${incident.map(() => '?').join(',')})`).run(...incident);
    for (const r of rows) db.prepare(`INSERT INTO findings VALUES (${r.map(() => '?').join(',')})`).run(...r);
    db.close();
    return file;
  }
  const url = await freshDatabase();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(FIRST_INCIDENTS_DDL);
    await c.query(
      `CREATE TABLE findings (uid TEXT NOT NULL, ${FINDING_COLUMNS}, PRIMARY KEY (uid, time)) PARTITION BY RANGE (time)`,
    );
    // As the first console made them: a partition per UTC day.
    const day = Math.floor(t / (24 * HOUR)) * 24 * HOUR;
    const name = `findings_${new Date(day).toISOString().slice(0, 10).replaceAll('-', '')}`;
    await c.query(
      `CREATE TABLE ${name} PARTITION OF findings FOR VALUES FROM (${day}) TO (${day + 24 * HOUR})`,
    );
    await c.query(
      `INSERT INTO incidents VALUES (${incident.map((_, i) => `$${i + 1}`).join(',')})`,
      incident,
    );
    for (const r of rows)
      await c.query(`INSERT INTO findings VALUES (${r.map((_, i) => `$${i + 1}`).join(',')})`, r);
  } finally {
    await c.end();
  }
  return url;
}

for (const backend of ['sqlite', 'postgres']) {
  test(
    `[${backend}] a database an earlier console made is brought up to date: what it holds is kept and counted`,
    SKIP[backend],
    async () => {
      const { dir, cleanup } = tempDir('warden-migrate-');
      const serve = await startServe(dir, backend, [], await firstVersionDatabase(backend, dir));
      try {
        const { incidents } = (await call(serve.url, 'GET', '/api/incidents')).body;
        assert.equal(incidents.length, 1);
        assert.equal(incidents[0].findings, 3);
        assert.equal(incidents[0].invocations, 2);
        // Its findings are counted where the overview and the ATT&CK matrix read them, once, saying so.
        assert.match(
          serve.stderr(),
          /counting the stored findings per day into finding_days and attack_days[^\n]*\n[^\n]*counted 3 findings in/,
        );
        const overview = (await call(serve.url, 'GET', '/api/overview')).body;
        assert.equal(
          overview.byDay.reduce((n, d) => n + d.findings, 0),
          3,
        );
        assert.deepEqual(overview.topRules, [{ name: 'warden.process.spawn', findings: 3 }]);
        assert.deepEqual(overview.topPackages, [{ name: 'ejs', findings: 3 }]);
        const cells = (await call(serve.url, 'GET', '/api/attack')).body.tactics.flatMap((t) => t.cells);
        assert.equal(cells.find((x) => x.technique === 'T1059' && x.findings > 0)?.findings, 3);
        // And it takes new findings: a third invocation of the same function joins nothing old.
        assert.equal(
          (await postBatch(serve.url, [finding({ uid: 'new-1', time: Date.now(), requestId: 'r3' })])).status,
          200,
        );
        const after = (await call(serve.url, 'GET', '/api/incidents')).body.incidents;
        assert.equal(after.length, 2);
        assert.equal(after.find((i) => i.id !== 'inc-old').invocations, 1);
        // Counted once: opening it again tallies nothing twice; the new finding adds one.
        const again = (await call(serve.url, 'GET', '/api/overview')).body;
        assert.deepEqual(again.topRules, [{ name: 'warden.process.spawn', findings: 4 }]);
      } finally {
        await serve.stop();
        cleanup();
      }
    },
  );

  test(
    `[${backend}] ingest: gzip NDJSON with the bearer token, stored once however often a batch is retried; a bad batch is refused whole, naming the line`,
    SKIP[backend],
    async () => {
      const { dir, cleanup } = tempDir('warden-console-');
      const serve = await startServe(dir, backend);
      try {
        const t0 = Date.UTC(2026, 11, 3, 10);
        const batch = [1, 2, 3].map((i) => finding({ uid: `u${i}`, time: t0 + i, requestId: 'req-1' }));
        const first = await postBatch(serve.url, batch);
        assert.equal(first.status, 200, JSON.stringify(first.body));
        assert.equal(first.body.added, 3);
        const retried = await postBatch(serve.url, batch);
        assert.deepEqual([retried.body.added, retried.body.duplicates], [0, 3]);
        const all = await call(serve.url, 'GET', '/api/findings?function=orders');
        assert.equal(all.body.findings.length, 3, 'a retried batch adds nothing');

        const bad = await postBatch(serve.url, [finding({ uid: 'u9', time: t0 }), '{"not":"a finding"}']);
        assert.equal(bad.status, 400);
        assert.equal(bad.body.line, 2);
        assert.match(bad.body.error, /^line 2: metadata\.uid is missing/);
        const notJson = await postBatch(serve.url, [finding({ uid: 'u10', time: t0 }), '{oops']);
        assert.equal(notJson.body.line, 2);
        assert.equal(
          (await call(serve.url, 'GET', '/api/findings')).body.findings.length,
          3,
          'nothing of a refused batch',
        );

        assert.equal((await postBatch(serve.url, batch, { token: 'wrong' })).status, 401);
        assert.equal((await postBatch(serve.url, batch, { token: '' })).status, 401);
        assert.equal((await call(serve.url, 'GET', '/api/incidents', { token: '' })).status, 401);
        assert.equal((await call(serve.url, 'GET', '/healthz', { token: '' })).status, 200);
      } finally {
        await serve.stop();
        cleanup();
      }
    },
  );

  test(
    `[${backend}] the extension's shipper (retries, gzip, batches of 200) delivers 450 findings, each once`,
    SKIP[backend],
    async () => {
      const { dir, cleanup } = tempDir('warden-console-ship-');
      const serve = await startServe(dir, backend);
      try {
        const shipper = new lib.Shipper({ url: `${serve.url}/v1/findings`, token: TOKEN, lingerMs: 10 });
        const t0 = Date.now() - 2 * HOUR;
        for (let i = 0; i < 450; i++)
          shipper.add(finding({ uid: `s${i}`, time: t0 + i, requestId: `req-${i % 9}` }));
        await shipper.flush(Date.now() + 10_000);
        assert.equal(shipper.stats.shipped, 450, JSON.stringify(shipper.stats));
        assert.equal(shipper.stats.dropped, 0);
        const stored = await call(serve.url, 'GET', '/api/findings?limit=10000');
        assert.equal(stored.body.findings.length, 450);
        assert.equal(new Set(stored.body.findings.map((f) => f.metadata.uid)).size, 450);
        // Counted once each in the day counts the overview reads, whatever the shipper resent.
        const overview = (await call(serve.url, 'GET', '/api/overview?days=1')).body;
        assert.equal(
          overview.byDay.reduce((n, d) => n + d.findings, 0),
          450,
        );
        assert.deepEqual(overview.topFunctions, [{ name: 'orders', findings: 450 }]);
        // The Security Hub export of the same: BatchImportFindings bodies of at most 100, read back.
        const exported = (await call(serve.url, 'GET', '/api/export/securityhub')).body;
        assert.deepEqual(
          exported.batches.map((b) => b.Findings.length),
          [100, 100, 100, 100, 50],
        );
        assert.equal(exported.batches[0].Findings[0].Resources[0].Id, ARN);
      } finally {
        await serve.stop();
        cleanup();
      }
    },
  );

  test(
    `[${backend}] incidents: one invocation is one incident; a repeat within the hour extends it, a later one or another target opens another; triage`,
    SKIP[backend],
    async () => {
      const { dir, cleanup } = tempDir('warden-console-inc-');
      const serve = await startServe(dir, backend);
      try {
        const t0 = Date.UTC(2026, 11, 3, 12);
        // Invocation 1: a spawn, then the read it did (another rule): one incident.
        await postBatch(serve.url, [
          finding({ uid: 'a1', time: t0, requestId: 'inv-1' }),
          finding({
            uid: 'a2',
            time: t0 + 5,
            requestId: 'inv-1',
            rule: 'warden.rule.proc-environ-read',
            path: '/proc/self/environ',
            severity: 5,
          }),
        ]);
        // The extension's word on invocation 1 arrives in another batch: the same incident.
        await postBatch(serve.url, [
          finding({ uid: 'a3', time: t0 + 9, requestId: 'inv-1', rule: 'warden.process.kill' }),
        ]);
        // Invocation 2, 30 minutes later, the same rule, package and target: extends it.
        await postBatch(serve.url, [finding({ uid: 'b1', time: t0 + HOUR / 2, requestId: 'inv-2' })]);
        // Invocation 3, 2 hours after the last: a new incident. Invocation 4: another target: new.
        await postBatch(serve.url, [
          finding({ uid: 'c1', time: t0 + HOUR / 2 + 2 * HOUR, requestId: 'inv-3' }),
        ]);
        await postBatch(serve.url, [
          finding({ uid: 'd1', time: t0 + HOUR / 2 + 1000, requestId: 'inv-4', path: '/usr/bin/curl' }),
        ]);

        const list = (await call(serve.url, 'GET', '/api/incidents')).body.incidents;
        assert.equal(list.length, 3, JSON.stringify(list.map((i) => [i.id, i.findings])));
        const first = list.find((i) => i.findings === 4);
        assert.ok(first, 'invocations 1 and 2 are one incident');
        assert.equal(first.invocations, 2);
        assert.equal(first.severityId, 5);
        assert.equal(first.title, 'warden.rule.proc-environ-read fired', 'titled by its most severe finding');
        assert.deepEqual(first.rules, [
          'warden.process.kill',
          'warden.process.spawn',
          'warden.rule.proc-environ-read',
        ]);
        assert.deepEqual(first.techniques, ['T1059']);
        assert.equal(first.state, 'new');
        const detail = (await call(serve.url, 'GET', `/api/incidents/${first.id}`)).body;
        assert.deepEqual(
          detail.findings.map((f) => f.metadata.uid),
          ['a1', 'a2', 'a3', 'b1'],
        );

        // Filters.
        const byRule = (await call(serve.url, 'GET', '/api/incidents?rule=warden.process.kill')).body
          .incidents;
        assert.deepEqual(
          byRule.map((i) => i.id),
          [first.id],
        );
        const since = (
          await call(serve.url, 'GET', `/api/incidents?since=${new Date(t0 + 2 * HOUR).toISOString()}`)
        ).body.incidents;
        assert.equal(since.length, 1);
        assert.equal((await call(serve.url, 'GET', '/api/incidents?since=yesterday')).status, 400);
        const byPackage = (await call(serve.url, 'GET', '/api/incidents?package=node-serialize')).body
          .incidents;
        assert.equal(byPackage.length, 3, 'every incident here is node-serialize');
        assert.equal(
          (await call(serve.url, 'GET', '/api/incidents?package=lodash')).body.incidents.length,
          0,
        );

        // Triage: in progress with an assignee; closing needs a reason; a closed incident is not extended.
        const patch = (id, body) =>
          call(serve.url, 'PATCH', `/api/incidents/${id}`, {
            body: JSON.stringify(body),
            headers: { 'content-type': 'application/json' },
          });
        const taken = await patch(first.id, { state: 'in_progress', assignee: 'sam' });
        assert.equal(taken.status, 200);
        assert.deepEqual([taken.body.incident.state, taken.body.incident.assignee], ['in_progress', 'sam']);
        assert.equal((await patch(first.id, { state: 'closed' })).status, 400);
        assert.equal((await patch(first.id, { state: 'closed', reason: 'maybe' })).status, 400);
        assert.equal((await patch(first.id, { owner: 'x' })).status, 400);
        const closed = await patch(first.id, { state: 'closed', reason: 'true_positive' });
        assert.deepEqual(
          [closed.body.incident.state, closed.body.incident.reason],
          ['closed', 'true_positive'],
        );
        // The incident as an OCSF Incident Finding (2005): closed, a true positive, its findings' info.
        const ocsf = (await call(serve.url, 'GET', `/api/incidents/${first.id}/ocsf`)).body;
        assert.deepEqual(
          [
            ocsf.class_uid,
            ocsf.category_uid,
            ocsf.activity_id,
            ocsf.type_uid,
            ocsf.status_id,
            ocsf.verdict_id,
          ],
          [2005, 2, 3, 200503, 5, 2],
        );
        assert.equal(ocsf.severity_id, 5);
        assert.equal(ocsf.assignee.name, 'sam');
        assert.deepEqual(
          ocsf.finding_info_list.map((i) => i.uid),
          ['a1', 'a2', 'a3', 'b1'],
        );
        assert.ok(ocsf.metadata.profiles.includes('incident'));
        assert.equal(ocsf.unmapped.function_arn, ARN);
        assert.deepEqual(ocsf.cloud.account, { uid: '123456789012', type: 'AWS Account', type_id: 10 });
        // Valid against OCSF's class definition, assigned or not (then the unassigned group).
        assert.deepEqual(validateIncidentFinding(ocsf), []);
        for (const other of list.filter((i) => i.id !== first.id)) {
          const o = (await call(serve.url, 'GET', `/api/incidents/${other.id}/ocsf`)).body;
          assert.deepEqual(validateIncidentFinding(o), [], JSON.stringify(o).slice(0, 300));
          assert.equal(o.assignee_group.name, 'unassigned');
          assert.deepEqual(
            o.attacks.map((a) => a.technique.uid),
            ['T1059'],
          );
        }
        await postBatch(serve.url, [
          finding({ uid: 'e1', time: t0 + HOUR / 2 + 60_000, requestId: 'inv-5' }),
        ]);
        const after = (await call(serve.url, 'GET', '/api/incidents')).body.incidents;
        assert.equal(after.length, 4, 'a repeat after closing opens a new incident');
        assert.equal((await call(serve.url, 'GET', '/api/incidents/nope')).status, 404);
      } finally {
        await serve.stop();
        cleanup();
      }
    },
  );

  test(
    `[${backend}] Firehose: findings in CloudWatch Logs arrive through its HTTP endpoint delivery (its request, access key and answer); other log lines are skipped; a retry adds nothing`,
    SKIP[backend],
    async () => {
      const { dir, cleanup } = tempDir('warden-console-firehose-');
      const serve = await startServe(dir, backend);
      try {
        const t0 = Date.UTC(2026, 11, 3, 13);
        const f1 = finding({ uid: 'fh1', time: t0, requestId: 'inv-fh' });
        const f2 = finding({
          uid: 'fh2',
          time: t0 + 1,
          requestId: 'inv-fh',
          rule: 'warden.rule.shell-spawned',
        });
        const request = {
          requestId: 'ed4acda5-034f-9f42-bba1-f29aea6d7d8f',
          timestamp: t0 + 5000,
          records: [
            logsRecord([
              'START RequestId: inv-fh Version: $LATEST',
              JSON.stringify(f1),
              'INFO converting report\n',
            ]),
            logsRecord([], 'CONTROL_MESSAGE'),
            // With Firehose's own decompression and message extraction: the messages themselves.
            { data: Buffer.from(`${JSON.stringify(f2)}\nEND RequestId: inv-fh\n`).toString('base64') },
          ],
        };
        const deliver = (key, body = JSON.stringify(request)) =>
          call(serve.url, 'POST', '/v1/firehose', {
            token: '',
            body,
            headers: {
              'content-type': 'application/json',
              'x-amz-firehose-protocol-version': '1.0',
              'x-amz-firehose-request-id': request.requestId,
              'x-amz-firehose-source-arn': 'arn:aws:firehose:us-east-1:123456789012:deliverystream/warden',
              ...(key ? { 'x-amz-firehose-access-key': key } : {}),
            },
          });
        const ok = await deliver(TOKEN);
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.equal(ok.body.requestId, request.requestId);
        assert.equal(typeof ok.body.timestamp, 'number');
        assert.equal(ok.body.errorMessage, undefined);
        const stored = (await call(serve.url, 'GET', '/api/findings')).body.findings.map(
          (f) => f.metadata.uid,
        );
        assert.deepEqual(stored, ['fh1', 'fh2']);
        const incidents = (await call(serve.url, 'GET', '/api/incidents')).body.incidents;
        assert.equal(incidents.length, 1, 'one invocation, one incident, whichever path its findings took');
        // Firehose retries with the same request id: nothing added.
        assert.equal((await deliver(TOKEN)).status, 200);
        assert.equal((await call(serve.url, 'GET', '/api/findings')).body.findings.length, 2);
        const denied = await deliver('not-the-key');
        assert.equal(denied.status, 401);
        assert.equal(denied.body.requestId, request.requestId);
        assert.match(denied.body.errorMessage, /access key/);
        const bad = await deliver(TOKEN, '{"requestId":"r2","records":[{"nodata":1}]}');
        assert.equal(bad.status, 400);
        assert.deepEqual([bad.body.requestId, bad.body.errorMessage], ['r2', 'records[0].data is missing']);
      } finally {
        await serve.stop();
        cleanup();
      }
    },
  );

  test(
    `[${backend}] the fleet API: policies kept in versions (a bad one refused by line and field), promotion, suppressions, ATT&CK, health`,
    SKIP[backend],
    async () => {
      const { dir, cleanup } = tempDir('warden-fleet-api-');
      const serve = await startServe(dir, backend);
      const fn = `/api/functions/${encodeURIComponent(ARN)}`;
      const put = (text, author = 'lee') =>
        call(serve.url, 'PUT', `${fn}/policy`, {
          body: text,
          headers: { 'content-type': 'text/yaml', ...(author ? { 'x-warden-author': author } : {}) },
        });
      try {
        const t = Date.now();
        assert.equal(
          (await postBatch(serve.url, [finding({ uid: 'p1', time: t, requestId: 'q1' })])).status,
          200,
        );
        const [inc] = (await call(serve.url, 'GET', '/api/incidents')).body.incidents;
        // Promoting needs the function's policy.
        const early = await call(serve.url, 'GET', `${fn}/promote?incident=${inc.id}`);
        assert.equal(early.status, 409);
        assert.match(early.body.error, /save its current policy first/);
        const bad = await put('version: 1\nmode: enforce\nprocess:\n  default: sometimes\n');
        assert.equal(bad.status, 400);
        assert.match(bad.body.error, /orders-policy\.yaml:4.*process\.default/);
        assert.equal((await put('version: 1\nmode: enforce\n', '')).status, 400);
        assert.equal((await put('version: 1\nmode: enforce\n')).body.version, 1);
        assert.equal((await put('version: 1\nmode: monitor\n')).body.version, 2);
        assert.match((await call(serve.url, 'GET', `${fn}/policy`)).body.text, /monitor/);
        // This reduced finding says what rule fired, not what the function did (no surface): nothing to learn.
        const promoted = await call(serve.url, 'GET', `${fn}/promote?incident=${inc.id}`);
        assert.equal(promoted.status, 400);
        assert.match(promoted.body.error, /none of these findings is behaviour/);
        assert.equal((await call(serve.url, 'GET', `${fn}/promote?incident=nope`)).status, 404);
        // Suppressions: added, listed, ended once.
        const added = await call(serve.url, 'POST', '/api/suppressions', {
          body: JSON.stringify({
            functions: 'orders',
            rules: 'warden.process.*',
            owner: 'lee',
            reason: 'load test',
            days: 2,
          }),
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(added.status, 201);
        const id = added.body.suppression.id;
        assert.equal((await call(serve.url, 'GET', '/api/suppressions')).body.suppressions[0].id, id);
        assert.equal((await call(serve.url, 'DELETE', `/api/suppressions/${id}`)).status, 200);
        assert.equal((await call(serve.url, 'DELETE', `/api/suppressions/${id}`)).status, 404);
        // The matrix and the health view.
        const attack = (await call(serve.url, 'GET', '/api/attack?days=7')).body.tactics;
        const execution = attack.find((c) => c.tactic === 'TA0002') ?? { cells: [] };
        assert.ok(attack.length >= 14);
        assert.ok(!execution.cells.some((c) => c.findings > 0), 'the finding named no tactic');
        assert.equal(attack.find((c) => c.tactic === '').cells[0].technique, 'T1059');
        assert.equal((await call(serve.url, 'GET', '/api/attack?days=0')).status, 400);
        const health = (await call(serve.url, 'GET', '/api/health')).body.functions;
        assert.deepEqual(
          health.map((h) => [h.name, h.healthy]),
          [['orders', true]],
        );
        assert.deepEqual(
          (await call(serve.url, 'GET', '/api/functions')).body.functions.map((f) => [
            f.name,
            f.findings,
            f.open,
          ]),
          [['orders', 1, 1]],
        );
      } finally {
        await serve.stop();
        cleanup();
      }
    },
  );

  test(
    `[${backend}] end to end: a finding the extension ships from the sandbox appears in the incident list, with its invocation`,
    SKIP[backend],
    async () => {
      const { dir, cleanup } = tempDir('warden-console-e2e-');
      const serve = await startServe(dir, backend);
      try {
        const r = await invoke('basic', 'index.shell', [{ marker: '$DIR/marker' }], {
          args: [
            '--extension',
            '--mode',
            'monitor',
            '--env',
            `WARDEN_COLLECTOR_URL=${serve.url}/v1/findings`,
            '--env',
            `WARDEN_COLLECTOR_TOKEN=${TOKEN}`,
          ],
        });
        try {
          assert.equal(r.code, 0, r.stderr);
          const requestId = r.results[0].requestId;
          const incidents = (await call(serve.url, 'GET', '/api/incidents?function=basic')).body.incidents;
          assert.equal(incidents.length, 1, JSON.stringify(incidents));
          const detail = (await call(serve.url, 'GET', `/api/incidents/${incidents[0].id}`)).body;
          assert.ok(detail.findings.length >= 1);
          assert.ok(
            detail.findings.every((f) => f.metadata.correlation_uid === requestId),
            'one invocation, one incident',
          );
          assert.ok(incidents[0].rules.includes('warden.process.spawn'), incidents[0].rules.join(', '));
          // Every finding the function wrote reached the console.
          const written = new Set(r.findings.map((f) => f.metadata.uid));
          const stored = new Set(detail.findings.map((f) => f.metadata.uid));
          for (const uid of written) assert.ok(stored.has(uid), `${uid} was not shipped`);
        } finally {
          r.cleanup();
        }
      } finally {
        await serve.stop();
        cleanup();
      }
    },
  );
}

test(
  '[postgres] a fleet: two instances on one database, the same invocations arriving through both at once, group them as one would; findings are in daily partitions',
  SKIP.postgres,
  async () => {
    const { dir, cleanup } = tempDir('warden-console-fleet-');
    const db = await freshDatabase();
    const a = await startServe(dir, 'postgres', [], db);
    const b = await startServe(dir, 'postgres', [], db);
    try {
      const t0 = Date.UTC(2026, 11, 1, 23, 30);
      // 20 invocations over three days, five findings each (each its own target: no repeats).
      const all = [];
      for (let inv = 0; inv < 20; inv++)
        for (let k = 0; k < 5; k++)
          all.push(
            finding({
              uid: `fl-${inv}-${k}`,
              time: t0 + inv * 3 * HOUR + k,
              requestId: `inv-${inv}`,
              path: `/tmp/payload-${inv}`,
              rule: `warden.rule.r${k}`,
            }),
          );
      // Each batch holds findings of several invocations; an invocation's findings go to both.
      const batches = [];
      for (let i = 0; i < all.length; i += 7) batches.push(all.slice(i, i + 7));
      const results = await Promise.all([
        ...batches.map((batch, i) => postBatch(i % 2 ? a.url : b.url, batch)),
        // The same batch to both at once: stored once.
        postBatch(a.url, batches[3]),
        postBatch(b.url, batches[3]),
      ]);
      for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(
        results.reduce((n, r) => n + r.body.added, 0),
        100,
      );
      const incidents = (await call(a.url, 'GET', '/api/incidents?limit=1000')).body.incidents;
      assert.equal(incidents.length, 20, 'one incident per invocation');
      assert.ok(
        incidents.every((i) => i.findings === 5 && i.invocations === 1),
        JSON.stringify(incidents.map((i) => i.findings)),
      );
      assert.deepEqual(
        (await call(b.url, 'GET', '/api/incidents?limit=1000')).body.incidents,
        incidents,
        'both instances see the same',
      );
      const client = new pg.Client({ connectionString: db });
      await client.connect();
      try {
        const parts = await client.query(
          "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'findings' AND c.relkind = 'r' ORDER BY 1",
        );
        const names = parts.rows.map((r) => r.relname);
        for (const day of ['20261201', '20261202', '20261203', '20261204'])
          assert.ok(names.includes(`findings_${day}`), names.join(', '));
        const inDay = await client.query('SELECT COUNT(*)::int AS n FROM findings_20261202');
        assert.ok(inDay.rows[0].n > 0, 'the rows are in their day');
      } finally {
        await client.end();
      }
    } finally {
      await a.stop();
      await b.stop();
      cleanup();
    }
  },
);

test('warden serve: a non-loopback address without a token is refused; on a Node without node:sqlite it says what it needs', async () => {
  const { dir, cleanup } = tempDir('warden-console-usage-');
  try {
    const { run } = await import('../sandbox-helpers.mjs');
    const open = await run(
      NODE,
      [CLI, 'serve', '--db', join(dir, 'x.sqlite'), '--host', '0.0.0.0', '--port', '0'],
      {
        env: { PATH: process.env.PATH },
      },
    );
    assert.equal(open.code, 2);
    assert.match(open.stderr, /takes a --token/);
    if (!HAS_SQLITE) {
      const old = await run(NODE, [CLI, 'serve', '--db', join(dir, 'y.sqlite'), '--port', '0']);
      assert.equal(old.code, 1);
      assert.match(old.stderr, /needs node:sqlite \(Node 22\.13 or later/);
    }
  } finally {
    cleanup();
  }
});
