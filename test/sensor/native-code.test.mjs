// Native code after an allowed addon load: a prebuilt FFI package (koffi 3.3.4, a devDependency)
// calls libc directly, where no hook can see. The watcher then looks at the runtime's own sockets
// and every thread's children at every tick, and tells a fork from a "twin" of the runtime (its
// own executable and command line, started with a payload in its environment).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { describe, findingsFor, REPORT, runSensor } from '../helpers.mjs';

// koffi's addon, allowed by path (a checkout under /tmp would otherwise trip the rule against
// addons loaded from temp directories, which an explicit allow overrides).
const NATIVE_OK = 'code:\n  nativeAddons:\n    default: allow\n    allow: ["/**/koffi.node"]\n    deny: []\n';

const KOFFI = JSON.stringify(createRequire(import.meta.url).resolve('koffi'));

/** libc through koffi, loaded by the function. */
const LIBC = `
const koffi = require(${KOFFI});
const libc = koffi.load('libc.so.6');
`;

async function listener() {
  const accepted = [];
  const server = createServer((s) => {
    accepted.push(s.remoteAddress);
    s.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, accepted, close: () => new Promise((r) => server.close(r)) };
}

test('a connection libc makes for native code is seen at the next tick: reported, and in enforce mode the runtime is ended', async () => {
  const srv = await listener();
  try {
    const body = `${REPORT}${LIBC}
      const socket = libc.func('int socket(int, int, int)');
      const connect = libc.func('int connect(int, const uint8_t *addr, uint32_t len)');
      const addr = Buffer.alloc(16);
      addr.writeUInt16LE(2, 0); // AF_INET
      addr.writeUInt16BE(${srv.port}, 2);
      addr.set([127, 0, 0, 1], 4);
      const fd = socket(2, 1, 0);
      record('connect', connect(fd, addr, 16));
      // The connection stays open a while, as an exfiltration's would.
      setTimeout(() => record('lived', true), 600);`;
    const policy = `version: 1\nnetwork:\n  default: deny\n${NATIVE_OK}`;
    const mon = await runSensor(body, { mode: 'monitor', policy });
    assert.equal(mon.out.connect, 0, mon.stderr);
    assert.equal(mon.out.lived, true);
    const seen = findingsFor(mon.findings, 'warden.network').filter((f) => f.unmapped.layer === 'watcher');
    assert.equal(seen.length, 1, describe(mon.findings));
    assert.equal(seen[0].evidences[0].dst_endpoint.port, srv.port);

    const enf = await runSensor(body, { mode: 'enforce', policy });
    assert.equal(enf.out?.lived, undefined, 'the runtime lived on');
    const killed = findingsFor(enf.findings, 'warden.network').filter((f) => f.unmapped.killed);
    assert.equal(killed.length, 1, describe(enf.findings));
    assert.equal(killed[0].unmapped.layer, 'watcher');
  } finally {
    await srv.close();
  }
});

test('native code that reaches no file, socket or process runs unchanged under enforce', async () => {
  const r = await runSensor(`${REPORT}${LIBC}record('pid', libc.func('int getpid()')() === process.pid);`, {
    mode: 'enforce',
    policy: `version: 1\nnetwork:\n  default: deny\nprocess:\n  default: deny\n${NATIVE_OK}`,
  });
  assert.equal(r.out.pid, true, r.stderr);
  assert.equal(r.findings.length, 0, describe(r.findings));
});

test('a twin of the runtime (its executable and command line, a payload in NODE_OPTIONS) started by native code is judged, not taken for a fork', async () => {
  const body = `${REPORT}
    if (process.env.TWIN) {
      // The payload: runs a while, then leaves its marker.
      setTimeout(() => require('fs').writeFileSync('$DIR/TWIN_RAN', 'x'), 1500);
    } else {
      ${LIBC}
      const spawn = libc.func('int posix_spawn(_Out_ int *pid, const char *path, void *actions, void *attrs, const char **argv, const char **envp)');
      const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1), null];
      const env = [...Object.entries(process.env).map(([k, v]) => k + '=' + v), 'TWIN=1', 'NODE_OPTIONS=--require $DIR/payload.js', null];
      const out = [0];
      record('spawn', spawn(out, process.execPath, null, null, argv, env));
      record('twin', out[0] > 0);
      setTimeout(() => {}, 2500);
    }`;
  const files = { 'payload.js': '' };
  const policy = `version: 1\nprocess:\n  default: deny\n${NATIVE_OK}`;
  const enf = await runSensor(body, { mode: 'enforce', policy, files, timeout: 15000 });
  assert.equal(enf.out.spawn, 0, enf.stderr);
  assert.equal(enf.out.twin, true);
  assert.ok(!enf.markers('TWIN_RAN'), `the twin ran its payload: ${describe(enf.findings)}`);
  const killed = findingsFor(enf.findings, 'warden.process').filter((f) => f.unmapped.killed);
  assert.ok(killed.length >= 1, describe(enf.findings));
  assert.equal(killed[0].unmapped.layer, 'watcher');

  const mon = await runSensor(body, { mode: 'monitor', policy, files, timeout: 15000 });
  const seen = findingsFor(mon.findings, 'warden.process').filter((f) => f.unmapped.layer === 'watcher');
  assert.ok(seen.length >= 1, describe(mon.findings));
});
