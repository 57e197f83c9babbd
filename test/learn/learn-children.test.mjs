// Learning sees what a function's children do, however briefly they live (the runtime runs under
// strace while learning), and the same events give the same policy, byte for byte.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers.mjs';
import { FUNCTIONS } from '../sandbox-helpers.mjs';
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
