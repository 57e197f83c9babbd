// Monitor mode changes nothing a function can observe: for every hooked surface, the same code
// run plain and under the sensor in monitor mode, with the default policy and with a policy that
// denies that surface, gives the same results (the findings say what enforce would refuse).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describe, findingsFor, REPORT, runSensor, SENSOR } from '../helpers.mjs';

const DENY_EVERYTHING = `version: 1
mode: monitor
process: { default: deny, kill: deny }
network: { default: deny, runtimeApi: deny }
files:
  read: { default: deny }
  write: { default: deny }
  exec: { default: deny }
code: { eval: deny, wasm: deny, workers: deny, nativeAddons: { default: deny }, modules: { default: allow, deny: [child_process, vm] } }
secrets: { default: deny, names: [DB_PASSWORD] }
`;

// What each surface gives the code, made deterministic (no pids, ports or times).
const SURFACES = {
  process: `
    const cp = require('child_process');
    record('spawnSync', cp.spawnSync('echo', ['a b', '$HOME', '*']).stdout.toString());
    record('execSync', cp.execSync('echo "$((6*7))" | tr 4 x').toString());
    record('childArgv', cp.execFileSync(process.execPath, ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', '--', 'x', 'y z']).toString());
    record('execFile', await new Promise((res) => cp.execFile('printf', ['%s-%s', 'p', 'q'], (e, out) => res(e ? e.code : out))));
    record('kill0', process.kill(process.pid, 0));`,
  files: `
    const fs = require('fs'); const os = require('os'); const path = require('path');
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mon-'));
    fs.writeFileSync(path.join(d, 'a.txt'), 'hello');
    fs.appendFileSync(path.join(d, 'a.txt'), ' world');
    record('read', fs.readFileSync(path.join(d, 'a.txt'), 'utf8'));
    record('promises', await fs.promises.readFile(path.join(d, 'a.txt'), 'utf8'));
    record('stream', await new Promise((res) => { let s = ''; fs.createReadStream(path.join(d, 'a.txt'), 'utf8').on('data', (c) => (s += c)).on('end', () => res(s)); }));
    record('environ', fs.readFileSync('/proc/self/environ', 'latin1').includes('DB_PASSWORD='));
    record('dir', fs.readdirSync(d));
    fs.renameSync(path.join(d, 'a.txt'), path.join(d, 'b.txt'));
    fs.rmSync(d, { recursive: true });
    record('gone', fs.existsSync(d));
    try { fs.readFileSync('/nonexistent/x'); } catch (e) { record('missing', e.code); }`,
  network: `
    const http = require('http'); const dns = require('dns'); const dgram = require('dgram');
    const srv = http.createServer((q, s) => s.end('pong:' + q.url)).listen(0, '127.0.0.1');
    await new Promise((r) => srv.on('listening', r));
    record('http', await new Promise((res) => http.get('http://127.0.0.1:' + srv.address().port + '/x', (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => res(b)); })));
    record('fetch', await (await fetch('http://127.0.0.1:' + srv.address().port + '/f')).text());
    srv.close();
    record('lookup', await new Promise((res) => dns.lookup('localhost', { family: 4 }, (e, a) => res(e ? e.code : a))));
    const u = dgram.createSocket('udp4'); await new Promise((r) => u.bind(0, '127.0.0.1', r));
    const got = new Promise((res) => u.on('message', (m) => res(String(m))));
    u.send('ping', u.address().port, '127.0.0.1'); record('udp', await got); u.close();
    const u6 = dgram.createSocket('udp6'); u6.close(); record('udp6', 'created');`,
  code: `
    const vm = require('vm');
    const local = 'scope';
    record('directEval', eval('typeof local + typeof require'));
    record('indirectEval', (0, eval)('typeof local'));
    record('Function', new Function('a', 'b', 'return a * b')(6, 7));
    let calls = 0;
    try { new Function({ toString() { calls++; throw new Error('mine'); } }); } catch (e) { record('fnToString', [e.message, calls]); }
    record('vm', vm.runInNewContext('x + 1', { x: 41 }));
    const wasm = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    record('wasm', (await WebAssembly.compile(wasm)) instanceof WebAssembly.Module);
    const { Worker } = require('worker_threads');
    record('worker', await new Promise((res, rej) => { const w = new Worker('require("worker_threads").parentPort.postMessage(process.execArgv.length)', { eval: true }); w.on('message', res); w.on('error', rej); }));
    record('childProcessModule', typeof require('child_process').spawn);`,
  secrets: `
    record('secret', process.env.AWS_SECRET_ACCESS_KEY);
    record('byDescriptor', Object.getOwnPropertyDescriptor(process.env, 'DB_PASSWORD').value);
    record('spread', Object.keys({ ...process.env }).filter((k) => k.startsWith('AWS_') || k === 'DB_PASSWORD').sort());
    record('json', JSON.parse(JSON.stringify(process.env)).AWS_ACCESS_KEY_ID);
    record('has', 'AWS_SESSION_TOKEN' in process.env);`,
};

const ENV = {
  AWS_ACCESS_KEY_ID: 'ASIAMONITORTEST00001',
  AWS_SECRET_ACCESS_KEY: 'monitor/secret/value',
  AWS_SESSION_TOKEN: 'monitor-token',
  DB_PASSWORD: 'hunter2',
};

for (const [surface, body] of Object.entries(SURFACES)) {
  test(`monitor mode changes nothing on ${surface}: plain, default policy and a policy that denies it give the same results`, async () => {
    const script = `${REPORT}\n(async () => { ${body} })().catch((e) => record('threw', String(e && e.stack)));`;
    const plain = await runSensor(script, { noSensor: true, env: ENV });
    assert.equal(plain.out.threw, undefined, plain.out.threw);
    // The sensor as Lambda loads it (NODE_OPTIONS, from the layer's wrapper): process.execArgv is
    // the function's own.
    const guarded = { noSensor: true, env: { ...ENV, NODE_OPTIONS: `--require ${SENSOR}` } };
    const byDefault = await runSensor(script, { ...guarded, mode: 'monitor' });
    assert.deepEqual(byDefault.out, plain.out, `default policy: ${byDefault.stderr}`);
    const denying = await runSensor(script, { ...guarded, policy: DENY_EVERYTHING });
    assert.deepEqual(denying.out, plain.out, `denying policy: ${denying.stderr}`);
    // Monitor reports what enforce would have refused, and nothing broke in the sensor.
    assert.ok(denying.findings.length > 0, `${surface}: nothing reported`);
    assert.ok(
      denying.findings.every((f) => f.disposition_id !== 2),
      'nothing blocked in monitor mode',
    );
    assert.equal(findingsFor(denying.findings, 'warden.sensor.fault').length, 0, describe(denying.findings));
  });
}
