// Quick overhead check of the in-process sensor against plain Node, alternating the two in
// one run so machine drift cancels: start-up (`node -r sensor -e 0`), and per call
// fs.readFileSync of a small file and `new Function`. Medians; ratios are sensor / plain.
// The full benchmark (peers, invoke latency, memory) is `npm run bench` (its own issue).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sensor = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'sensor.cjs');
const dir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
const perCall = join(dir, 'per-call.cjs');
writeFileSync(join(dir, 'small.txt'), 'hello');
writeFileSync(
  perCall,
  `const fs = require('fs'); const file = ${JSON.stringify(join(dir, 'small.txt'))};
const time = (n, f) => { for (let i = 0; i < n / 10; i++) f(i); const t = process.hrtime.bigint(); for (let i = 0; i < n; i++) f(i); return Number(process.hrtime.bigint() - t) / n / 1000; };
console.log(JSON.stringify({ fs_read_us: time(20000, () => fs.readFileSync(file, 'utf8')), new_function_us: time(5000, (i) => new Function('return ' + (i % 50))) }));`,
);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rounds = Number(process.env.ROUNDS ?? 11);
const variants = { plain: [], sensor: ['--require', sensor] };
const startup = { plain: [], sensor: [] };
const calls = { plain: [], sensor: [] };
try {
  for (let i = 0; i < rounds; i++) {
    for (const [name, pre] of Object.entries(variants)) {
      const t = process.hrtime.bigint();
      execFileSync(process.execPath, [...pre, '-e', '0']);
      startup[name].push(Number(process.hrtime.bigint() - t) / 1e6);
      calls[name].push(JSON.parse(execFileSync(process.execPath, [...pre, perCall], { encoding: 'utf8' })));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const row = (label, plain, ours) => ({
  label,
  plain: +plain.toFixed(2),
  sensor: +ours.toFixed(2),
  ratio: +(ours / plain).toFixed(2),
});
console.table([
  row(`start-up ms (Node ${process.version})`, median(startup.plain), median(startup.sensor)),
  row(
    'fs.readFileSync µs',
    median(calls.plain.map((c) => c.fs_read_us)),
    median(calls.sensor.map((c) => c.fs_read_us)),
  ),
  row(
    'new Function µs',
    median(calls.plain.map((c) => c.new_function_us)),
    median(calls.sensor.map((c) => c.new_function_us)),
  ),
]);
