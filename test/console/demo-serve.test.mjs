// `warden demo --serve`: the demo's findings end up in the console (on a Node with node:sqlite,
// this one or the one the sandbox fetched), with a sign-in address that works; Ctrl-C stops it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { NODE } from '../helpers.mjs';
import { CLI } from '../sandbox-helpers.mjs';

test('warden demo --serve: the console on the demo findings, signed in by the printed address', async () => {
  const child = spawn(NODE, [CLI, 'demo', '--serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  try {
    const address = await new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = /The console, with these findings: (http:\/\/\S+)/.exec(stdout);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`demo exited ${code}: ${stderr}`)));
    });
    assert.match(stdout, /Incidents, monitor mode: 2/);
    const url = new URL(address);
    const token = url.searchParams.get('token');
    const api = await fetch(`${url.origin}/api/incidents`, { headers: { authorization: `Bearer ${token}` } });
    const { incidents } = await api.json();
    assert.equal(incidents.length, 2, JSON.stringify(incidents.map((i) => i.title)));
    assert.ok(
      incidents.every((i) => i.invocations === 2),
      'each attack, in both modes',
    );
    // The function's policy is kept too: its page shows it, and incidents promote into it.
    const kept = await fetch(
      `${url.origin}/api/functions/${encodeURIComponent(incidents[0].functionArn)}/policy`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    assert.equal(kept.status, 200);
    assert.match((await kept.json()).text, /What doc-convert needs/);
    const page = await fetch(address, { redirect: 'manual' });
    assert.equal(page.status, 303);
    assert.match(page.headers.get('set-cookie'), /HttpOnly; SameSite=Strict/);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
  }
});
