// The console's figures (docs/console.md): sustained ingest through POST /v1/findings (batches of
// 200 as the shipper sends them, --inflight at once), each batch's acknowledgement time (p50/p99), the
// duplicates after every batch is sent twice, then the incident list's latency (p95) and the
// incident-list page's first response with that many findings stored. On a Node with node:sqlite
// (`--db postgres://…` for PostgreSQL). Usage: node bench/console.mjs [--findings N] [--db …]
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { call as callWith, startServe } from '../test/console/serve-helpers.mjs';

const ROOT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const { values } = parseArgs({
  options: {
    findings: { type: 'string', default: '100000' },
    db: { type: 'string' },
    // Batches in flight at once: 1 is one extension's shipper (one request at a time), more a fleet.
    inflight: { type: 'string', default: '1' },
    // A CPU profile of the server (node --cpu-prof) written into this directory, with a summary.
    profile: { type: 'string' },
    // First paint of the overview and the incident list in Debian's chromium (playwright-core).
    paint: { type: 'boolean', default: false },
  },
});
const TOTAL = Number(values.findings);
const TOKEN = 'bench';
const dir = mkdtempSync(join(tmpdir(), 'warden-console-bench-'));
const db = values.db ?? join(dir, 'bench.sqlite');
const lib = createRequire(import.meta.url)(join(ROOT, 'dist', 'lib.cjs'));
const postgres = lib.isPostgres(db);

// The server on PostgreSQL on this Node; on SQLite on a Node with node:sqlite, as the demo's console
// picks it: this one from 22.13, else the Node 24 or 22 the sandbox fetched.
const serverNode = postgres ? process.execPath : lib.consoleNode();
if (!serverNode) throw new Error('no Node with node:sqlite (22.13 or later): run scripts/install-node.sh 24');
const serve = await startServe({
  db,
  token: TOKEN,
  node: serverNode,
  nodeArgs: values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : [],
});
const call = (method, path, body, headers = {}) =>
  callWith(serve.url, method, path, { token: TOKEN, body, headers });

const FUNCTIONS = 50;
const t0 = Date.UTC(2026, 11, 1);
function finding(i) {
  const fn = `fn-${i % FUNCTIONS}`;
  const inv = Math.floor(i / 5);
  return {
    class_uid: 2004,
    time: t0 + i * 50,
    severity_id: 1 + (i % 5),
    disposition: 'Detected',
    metadata: { uid: `b-${i}`, correlation_uid: `req-${inv}` },
    finding_info: {
      title: `rule ${i % 7} fired`,
      analytic: { uid: `warden.rule.r${i % 7}` },
      attacks: [{ technique: { uid: 'T1059.004' } }],
    },
    resources: [{ uid: `arn:aws:lambda:us-east-1:123456789012:function:${fn}`, name: fn }],
    evidences: [{ process: { file: { path: `/tmp/p-${inv % 1000}` }, cmd_line: `sh -c run ${i}` } }],
    unmapped: { package: `pkg-${i % 13}` },
  };
}
const batches = [];
for (let i = 0; i < TOTAL; i += 200)
  batches.push(
    gzipSync(
      Array.from({ length: Math.min(200, TOTAL - i) }, (_, k) => JSON.stringify(finding(i + k))).join('\n'),
    ),
  );

const acks = [];
let added = 0;
let duplicates = 0;
const started = performance.now();
let next = 0;
async function worker() {
  while (next < batches.length) {
    const b = batches[next++];
    const r = await call('POST', '/v1/findings', b, { 'content-encoding': 'gzip' });
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.body)}`);
    acks.push(r.ms);
    const body = r.body;
    added += body.added;
    duplicates += body.duplicates;
  }
}
await Promise.all(Array.from({ length: Number(values.inflight) }, () => worker()));
const seconds = (performance.now() - started) / 1000;
// Every batch again, as a shipper retrying after lost answers: nothing is added.
let readded = 0;
for (const b of batches.slice(0, Math.min(batches.length, 50))) {
  const r = await call('POST', '/v1/findings', b, { 'content-encoding': 'gzip' });
  readded += r.body.added;
}
const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const list = [];
for (let i = 0; i < 40; i++)
  list.push((await call('GET', `/api/incidents?limit=100${i % 2 ? '&function=fn-7' : ''}`)).ms);
const page = [];
for (let i = 0; i < 10; i++)
  page.push((await call('GET', '/incidents', undefined, { cookie: `warden_token=${TOKEN}` })).ms);
const incidents = (await call('GET', '/api/incidents?limit=1000')).body.incidents.length;
/** First contentful paint (ms from navigation start) of each page, p50/p95 of 5 loads, in chromium. */
async function paints() {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.goto(`${serve.url}/login?token=${TOKEN}`);
    const out = {};
    for (const path of ['/', '/incidents', '/attack', '/health']) {
      const fcp = [];
      for (let i = 0; i < 5; i++) {
        await page.goto(`${serve.url}${path}`, { waitUntil: 'load' });
        fcp.push(
          await page.evaluate(
            () =>
              new Promise((resolve) => {
                const hit = performance.getEntriesByName('first-contentful-paint')[0];
                if (hit) return resolve(hit.startTime);
                new PerformanceObserver((l) => resolve(l.getEntries()[0].startTime)).observe({
                  type: 'paint',
                  buffered: true,
                });
              }),
          ),
        );
      }
      out[path] = { p50: +pct(fcp, 50).toFixed(1), p95: +pct(fcp, 95).toFixed(1) };
    }
    return out;
  } finally {
    await browser.close();
  }
}
const firstPaintMs = values.paint ? await paints() : undefined;
console.log(
  JSON.stringify(
    {
      node: serverNode === process.execPath ? process.version : serverNode,
      store: postgres ? 'postgres' : 'sqlite',
      findings: TOTAL,
      inflight: Number(values.inflight),
      added,
      duplicatesOnFirstSend: duplicates,
      addedOnResend: readded,
      ingestPerSecond: Math.round(added / seconds),
      ackMs: { p50: +pct(acks, 50).toFixed(1), p99: +pct(acks, 99).toFixed(1) },
      incidentListMs: { p50: +pct(list, 50).toFixed(1), p95: +pct(list, 95).toFixed(1) },
      incidentPageMs: { p50: +pct(page, 50).toFixed(1), p95: +pct(page, 95).toFixed(1) },
      incidentsListed: incidents,
      ...(firstPaintMs ? { firstContentfulPaintMs: firstPaintMs } : {}),
    },
    null,
    2,
  ),
);
await serve.stop();
rmSync(dir, { recursive: true, force: true });
if (values.profile) {
  // Self time by function over the whole run (ingest dominates it), the heaviest first.
  const file = readdirSync(values.profile)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(values.profile, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const self = new Map();
  const dt = new Map();
  for (const [i, id] of prof.samples.entries()) dt.set(id, (dt.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  for (const n of prof.nodes) {
    const { functionName, url, lineNumber } = n.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (dt.get(n.id) ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`profile: ${file}`);
  for (const [k, us] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log(
      `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`,
    );
}
