// Network: every client API, raw bindings, DNS, and destination normalization. All traffic
// stays on loopback: each script opens its own listener on 127.0.0.2 (denied by the test
// policy) and the listener's accept count is the proof that a connection happened.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { describe, FIXTURE_PACKAGES, findingsFor, NODE_MAJOR, REPORT, runSensor } from '../helpers.mjs';

const DENY_TARGET = 'version: 1\nnetwork:\n  deny: [{ cidr: 127.0.0.2/32 }]\n';

const prologue = (proto = 'tcp') => `${REPORT}
const net = require('net'), dgram = require('dgram');
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
let accepted = 0;
async function listen(host) {
  if (${JSON.stringify(proto)} === 'udp') {
    const s = dgram.createSocket('udp4');
    s.on('message', () => accepted++);
    await new Promise((r) => s.bind(0, host, r));
    return { port: s.address().port, close: () => s.close() };
  }
  const srv = net.createServer((c) => { accepted++; c.on('error', () => {}); c.end('HTTP/1.1 204 No Content\\r\\nConnection: close\\r\\n\\r\\n'); });
  await new Promise((r) => srv.listen(0, host, r));
  return { port: srv.address().port, close: () => srv.close() };
}
`;

// Each client: connect to HOST:PORT, record the error code if it fails.
const CLIENTS = {
  netConnect: `await new Promise((res) => { const s = net.connect(PORT, HOST); s.on('connect', () => { s.destroy(); res(); }); s.on('error', (e) => { record('err', codeOf(e)); res(); }); });`,
  netSocketConnect: `await new Promise((res) => { const s = new net.Socket(); s.connect({ port: PORT, host: HOST }, () => { s.destroy(); res(); }); s.on('error', (e) => { record('err', codeOf(e)); res(); }); });`,
  tls: `await new Promise((res) => { const s = require('tls').connect({ port: PORT, host: HOST, rejectUnauthorized: false }); s.on('error', (e) => { if (!__results.err) record('err', codeOf(e)); res(); }); s.on('close', res); });`,
  http: `await new Promise((res) => { const r = require('http').get({ host: HOST, port: PORT, path: '/' }); r.on('error', (e) => { record('err', codeOf(e)); res(); }); r.on('response', res); r.on('close', res); });`,
  https: `await new Promise((res) => { const r = require('https').get({ host: HOST, port: PORT, path: '/', rejectUnauthorized: false }); r.on('error', (e) => { record('err', codeOf(e)); res(); }); r.on('close', res); });`,
  http2: `await new Promise((res) => { const c = require('http2').connect('http://' + HOST + ':' + PORT); c.on('error', (e) => { if (!__results.err) record('err', codeOf(e)); res(); }); c.on('close', res); setTimeout(() => { c.destroy(); res(); }, 500); });`,
  fetch: `await fetch('http://' + HOST + ':' + PORT + '/').catch((e) => record('err', codeOf(e)));`,
  bindingTcpWrap: `
    const { TCP, TCPConnectWrap, constants } = process.binding('tcp_wrap');
    const h = new TCP(constants.SOCKET); const req = new TCPConnectWrap();
    await new Promise((res) => { req.oncomplete = () => { h.close(); res(); }; const err = h.connect(req, HOST, PORT); if (err) { record('err', err); h.close(); res(); } });`,
};

// A script with its own listener (TCP, or UDP for datagrams) on `host`, then the client `body`.
const clientScript = (body, host = '127.0.0.2', proto = 'tcp') => `${prologue(proto)}
(async () => {
  const srv = await listen(${JSON.stringify(host)});
  const HOST = ${JSON.stringify(host)}, PORT = srv.port;
  ${body}
  await wait(150);
  record('accepted', accepted);
  srv.close();
})();
`;

for (const [name, body] of Object.entries(CLIENTS)) {
  test(`network path ${name}: monitor reports, enforce blocks before connecting, allowed works`, async () => {
    const mon = await runSensor(clientScript(body), { mode: 'monitor', policy: DENY_TARGET });
    assert.ok(mon.out.accepted >= 1, `monitor: connected (${JSON.stringify(mon.out)} ${mon.stderr})`);
    const det = findingsFor(mon.findings, 'warden.network.connect', 'Detected');
    assert.ok(det.length >= 1, describe(mon.findings));
    assert.equal(det[0].evidences[0].dst_endpoint.ip, '127.0.0.2');
    assert.equal(typeof det[0].evidences[0].dst_endpoint.port, 'number');

    const enf = await runSensor(clientScript(body), { mode: 'enforce', policy: DENY_TARGET });
    assert.equal(
      enf.out.accepted,
      0,
      `enforce: no connection reached the listener (${JSON.stringify(enf.out)})`,
    );
    assert.equal(
      enf.out.err,
      name.startsWith('binding') ? -13 : 'ERR_WARDEN_BLOCKED',
      JSON.stringify(enf.out),
    );
    assert.ok(
      findingsFor(enf.findings, 'warden.network.connect', 'Blocked').length >= 1,
      describe(enf.findings),
    );

    const ok = await runSensor(clientScript(body, '127.0.0.1'), { mode: 'enforce', policy: DENY_TARGET });
    assert.ok(ok.out.accepted >= 1, `allowed: connected (${JSON.stringify(ok.out)})`);
    assert.equal(findingsFor(ok.findings, 'warden.network').length, 0, describe(ok.findings));
  });
}

const UDP = {
  dgramSend: `await new Promise((res) => { const c = dgram.createSocket('udp4'); c.send('hi', PORT, HOST, (e) => { if (e) record('err', codeOf(e)); c.close(); res(); }); });`,
  dgramConnect: `await new Promise((res) => { const c = dgram.createSocket('udp4'); c.on('error', (e) => { record('err', codeOf(e)); c.close(); res(); }); c.connect(PORT, HOST, (e) => { if (e) { record('err', codeOf(e)); c.close(); return res(); } c.send('hi', (e2) => { if (e2) record('err', codeOf(e2)); c.close(); res(); }); }); });`,
  bindingUdpWrap: `
    const { UDP, SendWrap } = process.binding('udp_wrap');
    const h = new UDP(); const req = new SendWrap(); req.oncomplete = () => {};
    const err = h.send(req, [Buffer.from('hi')], 1, PORT, HOST, false); if (err) record('err', err);
    await wait(50); h.close();`,
};

const udpScript = (body, host = '127.0.0.2') => clientScript(body, host, 'udp');

for (const [name, body] of Object.entries(UDP)) {
  test(`network path ${name}: datagrams judged like connections`, async () => {
    const mon = await runSensor(udpScript(body), { mode: 'monitor', policy: DENY_TARGET });
    assert.ok(mon.out.accepted >= 1, `monitor: delivered (${JSON.stringify(mon.out)} ${mon.stderr})`);
    assert.ok(findingsFor(mon.findings, 'warden.network', 'Detected').length >= 1, describe(mon.findings));
    const enf = await runSensor(udpScript(body), { mode: 'enforce', policy: DENY_TARGET });
    assert.equal(enf.out.accepted, 0, JSON.stringify(enf.out));
    assert.equal(
      enf.out.err,
      name.startsWith('binding') ? -13 : 'ERR_WARDEN_BLOCKED',
      JSON.stringify(enf.out),
    );
    const ok = await runSensor(udpScript(body, '127.0.0.1'), { mode: 'enforce', policy: DENY_TARGET });
    assert.ok(ok.out.accepted >= 1, JSON.stringify(ok.out));
  });
}

test('destinations are normalized: IPv4-mapped, decimal, hex, octal and short forms are the same address', async () => {
  const forms = ['::ffff:127.0.0.2', '2130706434', '0x7f000002', '0x7f.0.0.2', '0177.0.0.2', '127.2'];
  const r = await runSensor(
    `${prologue()}
    (async () => {
      const srv = await listen('127.0.0.2');
      for (const host of ${JSON.stringify(forms)}) {
        await new Promise((res) => { const s = net.connect({ port: srv.port, host }); s.on('connect', () => { record(host, 'connected'); s.destroy(); res(); }); s.on('error', (e) => { record(host, codeOf(e)); res(); }); });
      }
      await wait(100);
      record('accepted', accepted);
      srv.close();
    })();
  `,
    { mode: 'enforce', policy: DENY_TARGET },
  );
  for (const f of forms) assert.equal(r.out[f], 'ERR_WARDEN_BLOCKED', `${f}: ${JSON.stringify(r.out)}`);
  assert.equal(r.out.accepted, 0);
  for (const f of findingsFor(r.findings, 'warden.network.connect'))
    assert.equal(f.evidences[0].dst_endpoint.ip, '127.0.0.2');
});

test('host names are judged by name at DNS and at connect, with the resolved IP in the evidence', async () => {
  const r = await runSensor(
    `${prologue()}
    const dns = require('dns');
    (async () => {
      const srv = await listen('127.0.0.1');
      await new Promise((res) => dns.lookup('localhost', { family: 4 }, (e) => { record('lookup', codeOf(e) ?? 'ok'); res(); }));
      await new Promise((res) => dns.lookup('LocalHost.', { family: 4 }, (e) => { record('spelled', codeOf(e) ?? 'ok'); res(); }));
      record('promises', await dns.promises.lookup('localhost', { family: 4 }).then(() => 'ok', (e) => codeOf(e)));
      await new Promise((res) => { const s = net.connect(srv.port, 'localhost'); s.on('connect', () => { record('connect', 'ok'); s.destroy(); res(); }); s.on('error', (e) => { record('connect', codeOf(e)); res(); }); });
      await fetch('http://localhost:' + srv.port + '/').then(() => record('fetch', 'ok'), (e) => record('fetch', codeOf(e)));
      await new Promise((res) => { const s = net.connect(srv.port, '127.0.0.1'); s.on('connect', () => { record('byIp', 'ok'); s.destroy(); res(); }); s.on('error', (e) => { record('byIp', codeOf(e)); res(); }); });
      await wait(100);
      record('accepted', accepted);
      srv.close();
    })();
  `,
    { mode: 'enforce', policy: 'version: 1\nnetwork:\n  deny: [{ host: localhost }]\n' },
  );
  assert.equal(r.out.lookup, 'ERR_WARDEN_BLOCKED', JSON.stringify(r.out));
  assert.equal(r.out.promises, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.spelled, 'ERR_WARDEN_BLOCKED', 'case and the trailing dot do not change the name');
  assert.equal(r.out.connect, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.fetch, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.byIp, 'ok', 'the IP itself is not denied');
  assert.equal(r.out.accepted, 1);
  assert.ok(findingsFor(r.findings, 'warden.network.dns', 'Blocked').length >= 1, describe(r.findings));

  const mon = await runSensor(
    `${prologue()}
    (async () => {
      const srv = await listen('127.0.0.1');
      await new Promise((res) => { const s = net.connect(srv.port, 'localhost'); s.on('connect', () => { s.destroy(); res(); }); s.on('error', () => res()); });
      await wait(100); srv.close();
    })();
  `,
    { mode: 'monitor', policy: 'version: 1\nnetwork:\n  deny: [{ host: localhost, protocol: tcp }]\n' },
  );
  const f = findingsFor(mon.findings, 'warden.network.connect', 'Detected')[0];
  assert.ok(f, describe(mon.findings));
  assert.equal(f.evidences[0].dst_endpoint.hostname, 'localhost');
  assert.match(f.evidences[0].dst_endpoint.ip, /^(127\.0\.0\.1|::1)$/);
  assert.equal(f.unmapped.package, '<function>', 'the stack kept at socket creation names the caller');
});

test('DNS queries through c-ares (dns.resolve*, custom Resolver, promises) are judged by name', async () => {
  // A silent DNS "server" on loopback: queries that get out reach it and time out there.
  const r = await runSensor(
    `${prologue('udp')}
    const dns = require('dns');
    (async () => {
      const srv = await listen('127.0.0.1');
      const server = '127.0.0.1:' + srv.port;
      const res1 = new dns.Resolver({ timeout: 100, tries: 1 }); res1.setServers([server]);
      await new Promise((res) => res1.resolve4('exfil.blocked.test', (e) => { record('resolver', codeOf(e)); res(); }));
      const res2 = new dns.promises.Resolver({ timeout: 100, tries: 1 }); res2.setServers([server]);
      record('promiseResolver', await res2.resolveTxt('data.blocked.test').then(() => 'ok', (e) => codeOf(e)));
      dns.setServers([server]);
      await new Promise((res) => dns.resolve('x.blocked.test', 'MX', (e) => { record('module', codeOf(e)); res(); }));
      await new Promise((res) => res1.resolve4('allowed.test', (e) => { record('allowed', codeOf(e)); res(); }));
      await wait(50);
      record('accepted', accepted);
      srv.close();
    })();
  `,
    { mode: 'enforce', policy: 'version: 1\nnetwork:\n  deny: [{ host: "*.blocked.test" }]\n' },
  );
  assert.equal(r.out.resolver, 'ERR_WARDEN_BLOCKED', JSON.stringify(r.out));
  assert.equal(r.out.promiseResolver, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.module, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.accepted, 1, 'only the allowed query reached the server');
  assert.notEqual(r.out.allowed, 'ERR_WARDEN_BLOCKED');
  const kinds = findingsFor(r.findings, 'warden.network.dns')
    .map((f) => f.evidences[0].query.type)
    .sort();
  assert.deepEqual(kinds, ['A', 'MX', 'TXT'], describe(r.findings));
});

test('reverse lookups are judged as the PTR name they query; setServers as the UDP destinations it names', async () => {
  // Data can ride in a reverse lookup's address (16 bytes in an IPv6 PTR name). The silent
  // server on loopback counts what got out; lookupService of 127.0.0.1 is answered from
  // /etc/hosts (nothing leaves the machine even if it were not refused).
  const script = `${prologue('udp')}
    const dns = require('dns');
    (async () => {
      const srv = await listen('127.0.0.1');
      const server = '127.0.0.1:' + srv.port;
      const res1 = new dns.Resolver({ timeout: 100, tries: 1 }); res1.setServers([server]);
      await new Promise((res) => res1.reverse('2001:db8::6578:6669:6c00', (e) => { record('reverse', codeOf(e)); res(); }));
      const res2 = new dns.promises.Resolver({ timeout: 100, tries: 1 }); res2.setServers([server]);
      record('promiseReverse', await res2.reverse('10.9.8.7').then(() => 'ok', (e) => codeOf(e)));
      await new Promise((res) => dns.lookupService('127.0.0.1', 22, (e) => { record('lookupService', codeOf(e) ?? 'ok'); res(); }));
      try { new dns.Resolver().setServers(['127.0.0.9']); record('setServers', 'ok'); } catch (e) { record('setServers', codeOf(e)); }
      try { dns.promises.setServers(['[::ffff:127.0.0.9]:5353']); record('setServersMapped', 'ok'); } catch (e) { record('setServersMapped', codeOf(e)); }
      record('servers', dns.getServers());
      await wait(50);
      record('accepted', accepted);
      srv.close();
    })();
  `;
  const policy =
    'version: 1\nnetwork:\n  deny: [{ host: "*.ip6.arpa" }, { host: "*.in-addr.arpa" }, { cidr: 127.0.0.9/32 }]\n';
  const r = await runSensor(script, { mode: 'enforce', policy });
  assert.equal(r.out.reverse, 'ERR_WARDEN_BLOCKED', JSON.stringify(r.out) + r.stderr);
  assert.equal(r.out.promiseReverse, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.lookupService, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.setServers, 'ERR_WARDEN_BLOCKED');
  assert.equal(r.out.setServersMapped, 'ERR_WARDEN_BLOCKED');
  assert.ok(!r.out.servers.some((s) => s.includes('127.0.0.9')), JSON.stringify(r.out.servers));
  assert.equal(r.out.accepted, 0, 'no query reached the server');
  const names = findingsFor(r.findings, 'warden.network.dns')
    .map((f) => f.evidences[0].query.hostname)
    .sort();
  assert.deepEqual(
    names,
    [
      '0.0.c.6.9.6.6.6.8.7.5.6.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa',
      '1.0.0.127.in-addr.arpa',
      '7.8.9.10.in-addr.arpa',
    ],
    describe(r.findings),
  );
  // Monitor: the same calls go through, each reported with the code that made it.
  const mon = await runSensor(script, { mode: 'monitor', policy });
  assert.equal(mon.out.lookupService, 'ok', JSON.stringify(mon.out));
  assert.equal(mon.out.setServers, 'ok');
  assert.equal(mon.out.accepted, 2, 'both reverse queries reached the server');
  const seen = [
    ...findingsFor(mon.findings, 'warden.network.dns'),
    ...findingsFor(mon.findings, 'warden.network.connect'),
  ];
  assert.equal(seen.length, 5, describe(mon.findings));
  assert.ok(
    seen.every((f) => f.unmapped.package === '<function>'),
    describe(seen),
  );
  // Benign: the same APIs under a policy that does not deny them.
  const ok = await runSensor(script, { mode: 'enforce', policy: 'version: 1\n' });
  assert.equal(ok.out.lookupService, 'ok', JSON.stringify(ok.out));
  assert.equal(ok.out.setServers, 'ok');
  assert.equal(ok.out.accepted, 2);
});

test('function code cannot reach the Runtime API; the runtime itself can', async () => {
  const script = `${prologue()}
    (async () => {
      const srv = await listen('127.0.0.3');
      process.env.RT_PORT = String(srv.port);
      await new Promise((res) => { const s = net.connect(srv.port, '127.0.0.3'); s.on('connect', () => { record('fn', 'connected'); s.destroy(); res(); }); s.on('error', (e) => { record('fn', codeOf(e)); res(); }); });
      record('runtime', await require('./node_modules/aws-lambda-ric').connect(srv.port, '127.0.0.3').then(() => 'connected', (e) => codeOf(e)));
      await wait(50); srv.close();
    })();
  `;
  const ric = `const net = require('net');\nexports.connect = (port, host) => new Promise((res, rej) => { const s = net.connect(port, host); s.on('connect', () => { s.destroy(); res(); }); s.on('error', rej); });\n`;
  // The runtime API port is only known inside the script: run it twice, the first time to learn the port is not possible,
  // so the script listens on a fixed port instead.
  const port = await freePort();
  const fixed = script.replaceAll(
    "await listen('127.0.0.3')",
    `await (async () => { const s = net.createServer((c) => { accepted++; c.destroy(); }); await new Promise((r) => s.listen(${port}, '127.0.0.3', r)); return { port: ${port}, close: () => s.close() }; })()`,
  );
  const env = {
    AWS_LAMBDA_RUNTIME_API: `127.0.0.3:${port}`,
    WARDEN_RUNTIME_PATHS: '/nonexistent:$DIR/node_modules/aws-lambda-ric/',
  };
  const files = { 'node_modules/aws-lambda-ric/index.js': ric };
  const r = await runSensor(fixed, { mode: 'enforce', env, files });
  assert.equal(r.out.fn, 'ERR_WARDEN_BLOCKED', JSON.stringify(r.out) + r.stderr);
  assert.equal(r.out.runtime, 'connected');
  // A look-alike runtime client dropped in /tmp is function code, not the runtime.
  const fake = await runSensor(fixed, {
    mode: 'enforce',
    env: { AWS_LAMBDA_RUNTIME_API: env.AWS_LAMBDA_RUNTIME_API },
    files,
  });
  if (fake.dir.startsWith('/tmp/'))
    assert.equal(fake.out.runtime, 'ERR_WARDEN_BLOCKED', JSON.stringify(fake.out));
  const f = findingsFor(r.findings, 'warden.network.runtime-api', 'Blocked')[0];
  assert.ok(f, describe(r.findings));
  assert.equal(f.severity_id, 5);
  assert.equal(f.finding_info.attacks[0].technique.uid, 'T1552.005');
});

test('connections are attributed to the package that opened them', async () => {
  const r = await runSensor(
    `${prologue()}
    const evil = require(${JSON.stringify(`${FIXTURE_PACKAGES}/evil-pkg`)});
    (async () => {
      const srv = await listen('127.0.0.2');
      record('evil', await evil.connect(srv.port, '127.0.0.2').then(() => 'connected', (e) => codeOf(e)));
      await wait(50); srv.close();
    })();
  `,
    { mode: 'enforce', policy: DENY_TARGET },
  );
  assert.equal(r.out.evil, 'ERR_WARDEN_BLOCKED');
  assert.equal(
    findingsFor(r.findings, 'warden.network.connect')[0]?.unmapped.package,
    'evil-pkg',
    describe(r.findings),
  );
});

test('Node version under test', () => {
  assert.ok([20, 22, 24].includes(NODE_MAJOR) || NODE_MAJOR > 24, `running on Node ${process.version}`);
});

/** A port nothing listens on right now (the sensor must know the Runtime API's before it starts). */
async function freePort() {
  const srv = net.createServer();
  await new Promise((res) => srv.listen(0, '127.0.0.1', res));
  const { port } = srv.address();
  await new Promise((res) => srv.close(res));
  return port;
}

test('every spelling of the Runtime API address is the Runtime API', async () => {
  const port = await freePort();
  const hosts = ['127.0.0.1', '0.0.0.0', '127.1', '2130706433', '::ffff:127.0.0.1', 'localhost'];
  const r = await runSensor(
    `${prologue()}
    (async () => {
      const srv = net.createServer((c) => { accepted++; c.destroy(); });
      await new Promise((res) => srv.listen(${port}, '127.0.0.1', res));
      for (const host of ${JSON.stringify(hosts)}) {
        await new Promise((res) => { const s = net.connect({ port: ${port}, host }); s.on('connect', () => { record(host, 'connected'); s.destroy(); res(); }); s.on('error', (e) => { record(host, codeOf(e)); res(); }); });
      }
      record('accepted', accepted);
      srv.close();
    })();
  `,
    { mode: 'enforce', env: { AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}` } },
  );
  for (const h of hosts) assert.equal(r.out[h], 'ERR_WARDEN_BLOCKED', `${h}: ${JSON.stringify(r.out)}`);
  assert.equal(r.out.accepted, 0);
});

test('listening for inbound connections is judged (network.listen); a Unix socket server as a write of its socket file', async () => {
  const body = `${REPORT}
    const net = require('net');
    const listen = (arg) => new Promise((resolve) => {
      const server = net.createServer(() => {});
      server.on('error', (e) => resolve(codeOf(e)));
      server.listen(arg, () => { const a = server.address(); server.close(); resolve(typeof a === 'string' ? 'listening' : 'listening ' + a.address); });
    });
    (async () => {
      record('tcp', await listen({ host: '127.0.0.1', port: 0 }));
      record('unix', await listen(require('path').join(process.env.DIR, 'srv.sock')));
    })();`;
  const env = { DIR: '$DIR' };
  const deny =
    'version: 1\nnetwork:\n  listen: deny\nfiles:\n  write:\n    default: allow\n    deny: ["$DIR/*.sock"]\n';
  const enf = await runSensor(body, { mode: 'enforce', policy: deny, env });
  assert.equal(enf.out.tcp, 'ERR_WARDEN_BLOCKED', JSON.stringify(enf.out) + enf.stderr);
  assert.ok(['ERR_WARDEN_BLOCKED', 'EACCES'].includes(enf.out.unix), enf.out.unix);
  assert.ok(!enf.markers('srv.sock'), 'the socket file was not created');
  const listens = findingsFor(enf.findings, 'warden.network.listen', 'Blocked');
  assert.equal(listens.length, 1, describe(enf.findings));
  assert.equal(listens[0].evidences[0].dst_endpoint?.ip ?? listens[0].evidences[0].data.ip, '127.0.0.1');

  const mon = await runSensor(body, { mode: 'monitor', policy: deny, env });
  assert.equal(mon.out.tcp, 'listening 127.0.0.1');
  assert.equal(mon.out.unix, 'listening');
  assert.equal(
    findingsFor(mon.findings, 'warden.network.listen', 'Detected').length,
    1,
    describe(mon.findings),
  );

  // `listen: allow` (the default policy's) lets it listen and says nothing.
  const allowed = await runSensor(body, {
    mode: 'enforce',
    policy: 'version: 1\nnetwork:\n  listen: allow\n',
    env,
  });
  assert.deepEqual(allowed.out, { tcp: 'listening 127.0.0.1', unix: 'listening' });
  assert.equal(findingsFor(allowed.findings, 'warden.network.listen').length, 0, describe(allowed.findings));
});
