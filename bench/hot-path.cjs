// One invocation's hot path: 100,000 small-file reads and 10,000 loopback connections. Prints
// {ms, heap_growth_mb}. Run by bench/run.mjs with and without the sensor (and with a policy
// that alerts on both, to show findings aggregate per invocation instead of piling up).
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-bench-hot-'));
const file = path.join(dir, 'row.json');
fs.writeFileSync(file, '{"id":1}');
const api = globalThis[Symbol.for('warden.sensor')];
const run = (fn) => (api ? api.runInInvocation({ requestId: 'hot', event: {} }, fn) : fn());

const server = net.createServer((s) => s.on('error', () => {}).end());
server.listen(0, '127.0.0.1', () => {
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  run(async () => {
    for (let i = 0; i < 100000; i++) fs.readFileSync(file, 'utf8');
    const port = server.address().port;
    // 10,000 connections, 50 at a time
    for (let i = 0; i < 10000; i += 50)
      await Promise.all(
        Array.from(
          { length: 50 },
          () =>
            new Promise((resolve) => {
              const s = net.connect(port, '127.0.0.1');
              s.on('close', resolve);
              s.on('error', resolve);
              s.resume();
            }),
        ),
      );
  }).then(() => {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    global.gc?.();
    const heap = (process.memoryUsage().heapUsed - heap0) / 1048576;
    process.stdout.write(`${JSON.stringify({ ms, heap_growth_mb: +heap.toFixed(2) })}\n`);
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
