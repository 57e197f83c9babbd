// Per-call cost of one agent (BENCH_AGENT: plain | permission | warden | zen | ddtrace), inside
// that agent's request context (as Zen's own benchmark measures): each operation many times in
// one process, after a warm-up. Prints {op: µs per call, rss_mb}. Run by bench/run.mjs.
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const agent = process.env.BENCH_AGENT || 'plain';
const peers = process.env.BENCH_PEERS;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-bench-call-'));
const small = path.join(dir, 'small.txt');
fs.writeFileSync(small, 'hello, bench');
const MODULES = 200;
for (let i = 0; i < MODULES; i++) fs.writeFileSync(path.join(dir, `m${i}.js`), `module.exports = ${i};`);

/** Runs fn inside the agent's request context. */
function inContext(fn) {
  if (agent === 'warden') {
    const api = globalThis[Symbol.for('warden.sensor')];
    return api.runInInvocation({ requestId: 'bench', event: { body: '{}' } }, fn);
  }
  if (agent === 'zen') {
    const { runWithContext } = require(path.join(peers, 'node_modules/@aikidosec/firewall/agent/Context'));
    const ctx = {
      url: '/bench',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: {},
      query: {},
      cookies: {},
      routeParams: {},
      remoteAddress: '127.0.0.1',
      source: 'lambda',
      route: '/bench',
    };
    return runWithContext(ctx, fn);
  }
  if (agent === 'ddtrace') {
    const tracer = require(path.join(peers, 'node_modules/dd-trace'));
    return tracer.trace('aws.lambda', { resource: 'bench' }, () => fn());
  }
  return fn();
}

async function time(n, step) {
  for (let i = 0; i < Math.min(200, n / 10); i++) await step(i);
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await step(i);
  return Number(process.hrtime.bigint() - t) / n / 1000;
}
function timeSync(n, step) {
  for (let i = 0; i < Math.min(200, n / 10); i++) step(i);
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) step(i);
  return Number(process.hrtime.bigint() - t) / n / 1000;
}

const server = http.createServer((_req, res) => res.end('ok'));
server.keepAliveTimeout = 1;
const tcp = net.createServer((s) => s.on('error', () => {}).end());
server.listen(0, '127.0.0.1', () =>
  tcp.listen(0, '127.0.0.1', () =>
    inContext(async () => {
      const port = server.address().port;
      const agentOpts = new http.Agent({ keepAlive: false });
      const get = () =>
        new Promise((resolve, reject) =>
          http
            .get({ port, host: '127.0.0.1', path: '/', agent: agentOpts }, (res) => {
              res.resume();
              res.on('end', resolve);
            })
            .on('error', reject),
        );
      const connect = () =>
        new Promise((resolve, reject) => {
          const s = net.connect(tcp.address().port, '127.0.0.1');
          s.on('connect', () => s.end());
          s.on('close', resolve);
          s.on('error', reject);
        });
      let m = 0;
      const out = {
        fs_read: timeSync(20000, () => fs.readFileSync(small, 'utf8')),
        fs_promises_read: await time(5000, () => fs.promises.readFile(small, 'utf8')),
        spawn: timeSync(150, () => spawnSync('true')),
        http: await time(600, get),
        fetch: await time(400, () => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text())),
        net_connect: await time(600, connect),
        require: timeSync(MODULES - 20, () => require(path.join(dir, `m${m++}.js`))),
        new_function: timeSync(5000, (i) => new Function(`return ${i % 50}`)),
      };
      if (global.gc) global.gc();
      out.rss_mb = process.memoryUsage().rss / 1048576;
      process.stdout.write(`${JSON.stringify(out)}\n`);
      server.close();
      tcp.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }),
  ),
);
