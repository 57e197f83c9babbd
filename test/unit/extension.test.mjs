// The extension's pure parts: /proc formats, socket tables, judgement of what /proc shows,
// the finding stream's de-duplication, the shipper's batching and retries, and the channel.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const lib = require('../../dist/lib.cjs');

test('parseStat counts fields from the last parenthesis (a process may name itself `a) b (c`)', () => {
  const text = '4242 (evil) 1 (x) S 100 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10';
  const st = lib.parseStat(text);
  assert.equal(st.pid, 4242);
  assert.equal(st.comm, 'evil) 1 (x');
  assert.equal(st.state, 'S');
  assert.equal(st.ppid, 100);
  assert.equal(st.session, 4242);
  assert.equal(st.startTicks, 987654);
  assert.equal(lib.parseStat('garbage'), undefined);
});

test('cmdline, exe link, environ and cgroup parsing', () => {
  assert.deepEqual(lib.parseCmdline(Buffer.from('sh\0-c\0echo hi\0')), ['sh', '-c', 'echo hi']);
  assert.deepEqual(lib.parseCmdline(Buffer.alloc(0)), []);
  assert.deepEqual(lib.parseExeLink('/tmp/x (deleted)'), { path: '/tmp/x', deleted: true, memfd: false });
  assert.deepEqual(lib.parseExeLink('/memfd:payload (deleted)'), {
    path: '/memfd:payload',
    deleted: true,
    memfd: true,
  });
  const env = Buffer.from('A=1\0_HANDLER=index.handler\0AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001\0B=\0');
  assert.equal(lib.environValue(env, '_HANDLER'), 'index.handler');
  assert.equal(lib.environValue(env, 'B'), '');
  assert.equal(lib.environValue(env, 'HANDLER'), undefined, 'a suffix is not a name');
  const cg = lib.parseCgroup('6:freezer:/warden-1-runtime-2\n4:cpu,cpuacct:/\n0::/user.slice\n');
  assert.equal(cg.get('freezer'), '/warden-1-runtime-2');
  assert.equal(cg.get('cpuacct'), '/');
  assert.equal(cg.get('unified'), '/user.slice');
});

test('socket tables: IPv4 and IPv6 addresses in host order, states, outbound vs accepted', () => {
  assert.deepEqual(lib.parseProcAddress('0100007F:1F90'), { ip: '127.0.0.1', port: 8080 });
  assert.deepEqual(lib.parseProcAddress('FEA9FEA9:0050'), { ip: '169.254.169.254', port: 80 });
  assert.deepEqual(lib.parseProcAddress('00000000000000000000000001000000:0035'), { ip: '::1', port: 53 });
  assert.deepEqual(lib.parseProcAddress('0000000000000000FFFF00000300007F:01BB'), {
    ip: '127.0.0.3',
    port: 443,
  });
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0',
    '   1: 0100007F:D431 0300007F:1F91 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0 20 4 30 10 -1',
    '   2: 0100007F:1F90 0100007F:C000 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0 20 4 30 10 -1',
    '   3: 0100007F:D432 0300007F:1F91 06 00000000:00000000 03:00000000 00000000     0        0 0 3',
  ].join('\n');
  const entries = lib.parseSocketTable(table, 'tcp');
  assert.equal(entries.length, 4);
  const listening = new Set(entries.filter((e) => e.state === 0x0a).map((e) => e.localPort));
  const outbound = entries.filter((e) => lib.isOutbound(e, listening)).map((e) => e.inode);
  assert.deepEqual(
    outbound,
    [222],
    'the accepted connection (local port 8080) and TIME_WAIT are not outbound',
  );
});

const probe = {
  isExecutable: (f) => ['/usr/bin/sh', '/usr/bin/sleep', '/usr/bin/curl', '/usr/bin/node'].includes(f),
  realpath: (f) => ({ '/usr/bin/sh': '/usr/bin/dash', '/bin/sh': '/usr/bin/dash' })[f] ?? f,
};
const facts = (over) => ({
  pid: 10,
  ppid: 9,
  exe: { path: '/usr/bin/sleep', deleted: false, memfd: false },
  argv: ['sleep', '5'],
  cwd: '/var/task',
  pathVar: '/usr/bin',
  parentExe: '/usr/bin/dash',
  lineage: ['9 sh -c sleep 5'],
  seenAt: 1,
  ...over,
});
const noDrops = { noted: () => undefined, changedAt: () => 0, sandboxStart: 1000 };
const policy = (p) => lib.compilePolicy({ ...lib.defaultPolicy(), mode: 'enforce', ...p });

test('what runs is what the kernel says: argv[0] counts only when it resolves to the same file', () => {
  const honest = lib.observedProcessEvent(
    facts({ exe: { path: '/usr/bin/dash', deleted: false, memfd: false }, argv: ['sh', '-c', 'sleep 1'] }),
    probe,
  );
  assert.equal(honest.exe, '/usr/bin/sh');
  assert.equal(honest.realExe, '/usr/bin/dash');
  assert.deepEqual(
    honest.shellCommands.map((c) => c.name),
    ['sleep'],
  );
  // `exec -a sh /tmp/x`: argv[0] lies.
  const liar = lib.observedProcessEvent(
    facts({ exe: { path: '/tmp/x', deleted: false, memfd: false }, argv: ['sh', '-c', 'true'] }),
    probe,
  );
  assert.equal(liar.exe, '/tmp/x');
  const p = policy({
    process: { default: 'deny', allow: [{ exe: 'sh' }], alert: [], deny: [], kill: 'deny' },
  });
  const v = lib.judgeObservedProcess(p, liar, noDrops);
  assert.equal(v.action, 'deny', 'the sh allow entry does not cover /tmp/x named sh');
});

test('parent rules: `sleep` allowed only under a shell', () => {
  const p = policy({
    process: { default: 'deny', allow: [{ exe: 'sleep', parent: 'sh' }], alert: [], deny: [], kill: 'deny' },
  });
  assert.equal(
    lib.judgeObservedProcess(p, lib.observedProcessEvent(facts({ parentExe: '/bin/sh' }), probe), noDrops),
    null,
  );
  const underNode = lib.observedProcessEvent(facts({ parentExe: '/usr/bin/node' }), probe);
  assert.equal(lib.judgeObservedProcess(p, underNode, noDrops).action, 'deny');
});

test('fileless (memfd, deleted) and drop-and-execute verdicts, and the scripts interpreters run', () => {
  const p = policy({ process: { default: 'allow', allow: [], alert: [], deny: [], kill: 'deny' } });
  const memfd = lib.observedProcessEvent(
    facts({ exe: { path: '/memfd:x', deleted: true, memfd: true }, argv: ['x'] }),
    probe,
  );
  const v1 = lib.judgeObservedProcess(p, memfd, noDrops);
  assert.equal(v1.ruleId, 'warden.process.fileless');
  assert.equal(v1.severity, 5);
  const dropped = lib.observedProcessEvent(
    facts({
      exe: { path: '/var/task/bin/tool', deleted: false, memfd: false },
      argv: ['/var/task/bin/tool'],
    }),
    probe,
  );
  const written = { noted: () => undefined, changedAt: () => 5000, sandboxStart: 1000 };
  assert.equal(lib.judgeObservedProcess(p, dropped, written).ruleId, 'warden.process.drop-exec');
  assert.equal(
    lib.judgeObservedProcess(p, dropped, noDrops),
    null,
    'written before the sandbox: not dropped',
  );
  // A dropped script run by an allowed interpreter is drop-and-execute too.
  const script = lib.observedProcessEvent(
    facts({
      exe: { path: '/usr/bin/dash', deleted: false, memfd: false },
      argv: ['sh', 'stage2.sh'],
      cwd: '/tmp/w',
    }),
    probe,
  );
  assert.equal(script.observed.script, '/tmp/w/stage2.sh');
  const v2 = lib.judgeObservedProcess(p, script, {
    noted: (f) =>
      f === '/tmp/w/stage2.sh' ? { path: f, size: 10, noticedAt: 2000, sha256: 'ab' } : undefined,
    changedAt: () => 0,
    sandboxStart: 1000,
  });
  assert.equal(v2.ruleId, 'warden.process.drop-exec');
  // The function ships a binary it extracts to /tmp and runs: allowed by name, not a drop.
  const allowed = policy({
    process: { default: 'allow', allow: [], alert: [], deny: [], kill: 'deny' },
    files: {
      ...lib.defaultPolicy().files,
      exec: { default: 'deny', allow: [{ path: '/tmp/bin/ffmpeg' }], alert: [], deny: [] },
    },
  });
  const ffmpeg = lib.observedProcessEvent(
    facts({ exe: { path: '/tmp/bin/ffmpeg', deleted: false, memfd: false }, argv: ['/tmp/bin/ffmpeg'] }),
    probe,
  );
  assert.equal(lib.judgeObservedProcess(allowed, ffmpeg, written), null);
  assert.equal(lib.scriptOf('/usr/bin/python3', ['python3', '-u', 'x.py'], '/t'), '/t/x.py');
  assert.equal(lib.scriptOf('/usr/bin/python3', ['python3', '-c', 'print(1)'], '/t'), undefined);
  assert.equal(lib.scriptOf('/usr/bin/curl', ['curl', 'x'], '/t'), undefined);
  // Options whose value is the next argument (inherited from process.execArgv, a fork's --require).
  assert.equal(
    lib.scriptOf('/usr/bin/node', ['node', '--require', '/opt/warden/sensor.cjs', 'app.js'], '/t'),
    '/t/app.js',
  );
  assert.equal(
    lib.scriptOf('/usr/bin/node', ['node', '--max-http-header-size', '81920', '--expose-gc', 'app.js'], '/t'),
    '/t/app.js',
  );
  assert.equal(lib.scriptOf('/usr/bin/node', ['node', '--require=/x.js', 'app.js'], '/t'), '/t/app.js');
  assert.equal(lib.scriptOf('/usr/bin/node', ['node', '-p', '1+1'], '/t'), undefined);
  assert.equal(lib.scriptOf('/usr/bin/python3', ['python3', '-W', 'ignore', 'x.py'], '/t'), '/t/x.py');
  assert.equal(lib.scriptOf('/usr/bin/python3', ['python3', '-m', 'http.server'], '/t'), undefined);
  assert.equal(lib.scriptOf('/bin/sh', ['sh', '-p', 'x.sh'], '/t'), '/t/x.sh');
});

test('sockets: outside the process the host name is unknown, so host rules soften a default deny', () => {
  const ev = { surface: 'network', op: 'connect', api: 'procfs', protocol: 'tcp', ip: '52.1.2.3', port: 443 };
  const byIp = policy({ network: { ...lib.defaultPolicy().network, default: 'deny' } });
  assert.equal(lib.judgeSocket(byIp, ev, { runtime: false, sensorActive: true }).action, 'deny');
  const byHost = policy({
    network: {
      ...lib.defaultPolicy().network,
      default: 'deny',
      allow: [{ host: '*.amazonaws.com', port: 443 }],
    },
  });
  assert.equal(lib.judgeSocket(byHost, ev, { runtime: false, sensorActive: true }).action, 'alert');
  assert.equal(
    lib.judgeSocket(byHost, ev, { runtime: true, sensorActive: true }),
    null,
    "the sensor judged the runtime's by name",
  );
  // An explicit deny is a deny whoever connects; for the runtime with a live sensor it is reported, not killed.
  const imds = { ...ev, ip: '169.254.169.254', port: 80 };
  assert.equal(lib.judgeSocket(byHost, imds, { runtime: false, sensorActive: true }).action, 'deny');
  assert.equal(lib.judgeSocket(byHost, imds, { runtime: true, sensorActive: true }).action, 'alert');
  assert.equal(lib.judgeSocket(byHost, imds, { runtime: true, sensorActive: false }).action, 'deny');
});

function finding({
  uid,
  rule = 'warden.process.spawn',
  cmd = 'id -u',
  corr,
  surface = 'process',
  time = 1000,
}) {
  return {
    class_uid: 2004,
    time,
    activity_id: 1,
    metadata: { uid, product: { vendor_name: 'Warden' }, ...(corr ? { correlation_uid: corr } : {}) },
    finding_info: { analytic: { uid: rule } },
    evidences: [{ process: { cmd_line: cmd } }],
    unmapped: { surface, op: 'spawn' },
  };
}

test('the finding stream keeps each finding once, merges what both layers saw, and attaches request ids', () => {
  const printed = [];
  const shipped = [];
  const stream = new lib.FindingStream({
    writeStdout: (l) => printed.push(JSON.parse(l)),
    shipper: { add: (f) => shipped.push(f) },
    requestIdAt: (t) => (t >= 2000 ? 'req-2' : t >= 1000 ? 'req-1' : undefined),
  });
  assert.equal(stream.fromSensor(finding({ uid: 'a', corr: 'req-1' }), 'channel'), true);
  assert.equal(stream.fromSensor(finding({ uid: 'a', corr: 'req-1' }), 'telemetry'), false, 'same uid');
  // The extension saw the same process under the same rule: one finding, seen by both.
  stream.fromExtension(finding({ uid: 'x1', corr: 'req-1' }));
  assert.equal(printed.length, 0, "the sensor's finding is already on stdout");
  assert.deepEqual(shipped[0].unmapped.seen_by, ['extension', 'sensor']);
  // A different conclusion about it is its own finding.
  stream.fromExtension(finding({ uid: 'x2', corr: 'req-1', rule: 'warden.process.drop-exec' }));
  assert.equal(printed.length, 1);
  // A child process's sensor finding has no request id: the invocation it happened in is attached.
  stream.fromSensor(finding({ uid: 'c', cmd: 'whoami', time: 2500 }), 'channel');
  assert.equal(shipped.at(-1).metadata.correlation_uid, 'req-2');
  assert.equal(shipped.length, 3);
  // A shell the sensor reported covers the commands inside it: the extension catching one of them
  // running is the same finding.
  // running is the same finding, also after the extension saw the shell itself run, and each
  // time the command runs.
  const shell = finding({
    uid: 's1',
    corr: 'req-1',
    cmd: "sh -c 'cat /proc/self/environ; cat /proc/self/environ'",
  });
  shell.evidences[0].data = { shell_commands: ['cat /proc/self/environ', 'cat /proc/self/environ'] };
  stream.fromSensor(shell, 'channel');
  stream.fromExtension(
    finding({ uid: 'x5', corr: 'req-1', cmd: "sh -c 'cat /proc/self/environ; cat /proc/self/environ'" }),
  );
  stream.fromExtension(finding({ uid: 'x4', corr: 'req-1', cmd: 'cat /proc/self/environ' }));
  stream.fromExtension(finding({ uid: 'x6', corr: 'req-1', cmd: 'cat /proc/self/environ' }));
  assert.equal(printed.length, 1);
  assert.deepEqual(shipped.at(-1).unmapped.seen_by, ['extension', 'sensor']);
  // The same layer seeing another process with the same command line: another finding.
  stream.fromExtension(finding({ uid: 'x3', corr: 'req-1', rule: 'warden.process.drop-exec' }));
  assert.equal(printed.length, 2);
  assert.deepEqual(stream.stats, { received: 4, duplicates: 5, own: 6, suppressed: 0 });
});

test('sensor findings in function logs: text lines and JSON-format records, nothing else', () => {
  const f = { class_uid: 2004, metadata: { product: { vendor_name: 'Warden' } } };
  assert.ok(lib.sensorFinding(JSON.stringify(f)));
  assert.ok(lib.sensorFinding(f));
  assert.equal(
    lib.sensorFinding('{"class_uid":2004,"metadata":{"product":{"vendor_name":"Evil"}}}'),
    undefined,
  );
  assert.equal(lib.sensorFinding('START RequestId: x'), undefined);
  assert.equal(lib.sensorFinding('{"class_uid":2004, broken'), undefined);
});

async function server(handler) {
  const requests = [];
  const s = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks) });
      handler(requests.length, res);
    });
  });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${s.address().port}/ingest`, requests, close: () => s.close() };
}

test('the shipper sends gzip NDJSON batches with the token, and retries 503s with backoff', async () => {
  const srv = await server((n, res) => res.writeHead(n === 1 ? 503 : 200).end());
  try {
    const sh = new lib.Shipper({ url: srv.url, token: 't0k', batchSize: 2, lingerMs: 5, baseBackoffMs: 10 });
    for (const i of [1, 2, 3]) sh.add(JSON.stringify({ i }));
    await sh.flush(Date.now() + 5000);
    const bodies = srv.requests.map((r) => gunzipSync(r.body).toString());
    assert.equal(srv.requests[0].headers.authorization, 'Bearer t0k');
    assert.equal(srv.requests[0].headers['content-encoding'], 'gzip');
    assert.equal(bodies[0], bodies[1], 'the refused batch is sent again');
    const delivered = bodies
      .slice(1)
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).i);
    assert.deepEqual(delivered, [1, 2, 3], 'in order, each once after the retry');
    assert.equal(sh.stats.retries, 1);
    assert.equal(sh.stats.shipped, 3);
    assert.equal(sh.stats.dropped, 0);
  } finally {
    srv.close();
  }
});

test('the shipper drops (and counts) what the collector rejects for good and what overflows its buffer', async () => {
  const srv = await server((_n, res) => res.writeHead(400).end());
  try {
    const drops = [];
    const sh = new lib.Shipper({
      url: srv.url,
      maxBuffered: 3,
      batchSize: 10,
      lingerMs: 1000,
      onDrop: (n) => drops.push(n),
    });
    for (let i = 0; i < 5; i++) sh.add(`{"i":${i}}`);
    assert.equal(sh.stats.dropped, 2, 'two over the bound, dropped at once without blocking');
    await sh.flush(Date.now() + 3000);
    assert.equal(srv.requests.length, 1, '400 is not retried');
    assert.equal(sh.stats.rejected, 3);
    assert.equal(sh.stats.dropped, 5);
    assert.ok(drops.length >= 2);
  } finally {
    srv.close();
  }
});

test('a hanging collector costs the last flush no more than its deadline', async () => {
  const sockets = [];
  const s = net.createServer((c) => sockets.push(c));
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  try {
    const sh = new lib.Shipper({
      url: `http://127.0.0.1:${s.address().port}/`,
      requestTimeoutMs: 200,
      baseBackoffMs: 20,
    });
    sh.add('{}');
    const t0 = Date.now();
    await sh.flush(Date.now() + 700);
    const took = Date.now() - t0;
    assert.ok(took < 1200, `flush returned after ${took} ms`);
    assert.equal(sh.stats.shipped, 0);
    assert.ok(sh.stats.buffered + sh.stats.dropped === 1);
    assert.match(sh.stats.lastError, /no answer within/);
  } finally {
    for (const c of sockets) c.destroy();
    s.close();
  }
});

test('the channel: hello, findings, end and ack; malformed lines are counted, not fatal', async () => {
  const seen = { hello: [], findings: [], starts: [], ends: [], closed: 0 };
  const ch = new lib.ChannelServer({
    hello: (p) => seen.hello.push({ ...p }),
    finding: (f) => seen.findings.push(f),
    end: (id) => seen.ends.push(id),
    start: (id, at) => seen.starts.push([id, at]),
    closed: () => seen.closed++,
  });
  const address = `\0warden-test-${process.pid}`;
  await ch.listen(address);
  const c = net.createConnection({ path: address });
  c.setEncoding('utf8');
  let acks = '';
  c.on('data', (d) => {
    acks += d;
  });
  await new Promise((r) => c.on('connect', r));
  c.write(
    '{"t":"hello","pid":77,"root":true}\n{"t":"start","id":"req-9","at":5}\n{"class_uid":2004,"x":1}\nnot json\n{"t":"end","id":"req-9"}\n',
  );
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(
    seen.hello.map((h) => [h.pid, h.root]),
    [[77, true]],
  );
  assert.equal(seen.findings.length, 1);
  assert.deepEqual(seen.ends, ['req-9']);
  assert.deepEqual(seen.starts, [['req-9', 5]]);
  assert.equal(JSON.parse(acks.trim()).id, 'req-9');
  assert.equal(ch.stats.malformed, 1);
  c.destroy();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(seen.closed, 1);
  ch.close();
});

test("the sensor's channel reports an extension that is unreachable, goes away, or stops answering", async () => {
  const troubles = [];
  const onTrouble = (kind) => troubles.push(kind);
  const bypass = (fn) => fn();
  // Nobody listens: after its retries, unreachable.
  lib.openChannel({ address: `@warden-none-${process.pid}`, root: true, version: 't', bypass, onTrouble });
  await new Promise((r) => setTimeout(r, 2600));
  assert.deepEqual(troubles, ['unreachable']);
  // A server that never acknowledges, then closes.
  const conns = [];
  const address = `\0warden-mute-${process.pid}`;
  const s = net.createServer((c) => conns.push(c));
  await new Promise((r) => s.listen(address, r));
  const ch = lib.openChannel({
    address: `@${address.slice(1)}`,
    root: true,
    version: 't',
    bypass,
    onTrouble,
    unansweredMs: 300,
  });
  await new Promise((r) => setTimeout(r, 100));
  ch.invocationEnded('r1');
  ch.invocationEnded('r2');
  ch.invocationEnded('r3');
  ch.invocationEnded('r4');
  assert.deepEqual(troubles, ['unreachable'], 'acks may trail by a few invocations for a moment');
  await new Promise((r) => setTimeout(r, 350));
  ch.invocationEnded('r5');
  assert.deepEqual(troubles, ['unreachable', 'unresponsive'], 'no ack for 3 invocations and 300 ms');
  // The extension goes away: noticed as the next invocation starts (the root's socket is read
  // then, not whenever data arrives).
  for (const c of conns) c.destroy();
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(troubles, ['unreachable', 'unresponsive']);
  ch.invocationStarted('r6', Date.now());
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(troubles, ['unreachable', 'unresponsive', 'lost']);
  s.close();
});

test("the channel is read at the extension's ticks, and not by the sensor while an invocation runs", async () => {
  const starts = [];
  const ch = new lib.ChannelServer({
    hello: () => {},
    finding: () => {},
    end: () => {},
    start: (id, at, _peer, arn) => starts.push([id, at, arn]),
    closed: () => {},
  });
  const address = `\0warden-paced-${process.pid}`;
  await ch.listen(address);
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  // The sensor's side, talking to the extension's.
  const troubles = [];
  const sensor = lib.openChannel({
    address: `@${address.slice(1)}`,
    root: true,
    version: 't',
    bypass: (fn) => fn(),
    onTrouble: (kind) => troubles.push(kind),
  });
  await wait(100);
  ch.readNow(); // a tick: what came so far is read, then the peers wait for the next one
  await wait(50);
  sensor.invocationStarted('req-1', 42, 'arn:aws:lambda:us-east-1:123456789012:function:f:live');
  await wait(100);
  assert.deepEqual(starts, [], 'not read between ticks');
  ch.readNow();
  await wait(50);
  assert.deepEqual(starts, [['req-1', 42, 'arn:aws:lambda:us-east-1:123456789012:function:f:live']]);
  // While the invocation runs the sensor does not read its socket: the extension going away is
  // noticed once the invocation has ended, not in the middle of it.
  ch.close();
  await wait(100);
  assert.deepEqual(troubles, []);
  sensor.invocationEnded('req-1');
  await wait(100);
  assert.deepEqual(troubles, ['lost']);
});

test("past a megabyte unsent, the channel drops finding lines but never an invocation's start or end", async () => {
  const ends = [];
  let findings = 0;
  const ch = new lib.ChannelServer({
    hello: () => {},
    finding: () => findings++,
    end: (id) => ends.push(id),
    start: () => {},
    closed: () => {},
  });
  const address = `\0warden-flood-${process.pid}`;
  await ch.listen(address);
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  const sensor = lib.openChannel({
    address: `@${address.slice(1)}`,
    root: true,
    version: 't',
    bypass: (fn) => fn(),
    onTrouble: () => {},
  });
  await wait(100);
  ch.readNow();
  await wait(20);
  // The extension is not reading (between its ticks, or frozen): findings pile up unsent.
  sensor.invocationStarted('flood', Date.now());
  const line = JSON.stringify({ class_uid: 2004, pad: 'x'.repeat(2000) });
  for (let i = 0; i < 3000; i++) sensor.send(line);
  sensor.invocationEnded('flood');
  assert.ok(sensor.dropped > 0, 'past the bound, finding lines are dropped (and counted)');
  for (let i = 0; i < 40 && !ends.includes('flood'); i++) {
    ch.readNow();
    await wait(25);
  }
  assert.deepEqual(
    ends,
    ['flood'],
    `the end arrived (${findings} finding lines read, ${sensor.dropped} dropped)`,
  );
  ch.close();
});

test('the invocation timeline: which invocation a moment belongs to, and findings held until telemetry names it', () => {
  let now = 1000;
  let sensor = false;
  const base = { arn: 'arn:aws:lambda:us-east-1:123456789012:function:f', name: 'f', region: 'us-east-1' };
  const t = new lib.InvocationTimeline({ base, sensorSpeaks: () => sensor, maxWaitMs: 3000, now: () => now });
  t.note('b', 2000);
  t.note('a', 1000, 'arn:aws:lambda:us-east-1:123456789012:function:f:live');
  t.note('b', 1990); // the sensor's word, a little earlier than telemetry's
  assert.deepEqual(
    t.all.map((i) => [i.id, i.start]),
    [
      ['a', 1000],
      ['b', 1990],
    ],
  );
  assert.equal(t.requestIdAt(999), 'a', 'within the clocks slack');
  assert.equal(t.requestIdAt(1500), 'a');
  assert.equal(t.requestIdAt(5000), 'b');
  assert.equal(t.requestIdAt(900), undefined);
  assert.equal(t.resourceOf('a').arn, 'arn:aws:lambda:us-east-1:123456789012:function:f:live');
  assert.equal(t.resourceOf('a').version, 'live');
  assert.equal(t.resourceOf('b'), base);
  // No sensor: a finding waits for telemetry to have come past its moment, or for maxWaitMs.
  const ran = [];
  t.whenAttributable(2500, () => ran.push('x'));
  t.whenAttributable(2600, () => ran.push('y'));
  t.release(false);
  assert.deepEqual(ran, []);
  t.telemetryReached(2550);
  t.release(false);
  assert.deepEqual(ran, ['x']);
  now += 3000;
  t.release(false);
  assert.deepEqual(ran, ['x', 'y'], 'never held past maxWaitMs');
  t.whenAttributable(9000, () => ran.push('z'));
  t.release(true);
  assert.deepEqual(ran, ['x', 'y', 'z'], 'everything at SHUTDOWN');
  sensor = true;
  t.whenAttributable(99999, () => ran.push('now'));
  assert.deepEqual(ran.at(-1), 'now', 'the sensor names invocations at once');
});

test("a child's stdio socket pairs are found in the Unix table, and no inet table is read for them", async () => {
  const { spawn } = await import('node:child_process');
  const { readdirSync, readlinkSync } = await import('node:fs');
  const child = spawn('sleep', ['2'], { stdio: 'pipe' });
  try {
    const inodes = new Set(
      readdirSync(`/proc/${child.pid}/fd`)
        .map((f) => {
          try {
            return readlinkSync(`/proc/${child.pid}/fd/${f}`);
          } catch {
            return '';
          }
        })
        .filter((l) => l.startsWith('socket:'))
        .map((l) => Number(l.slice(8, -1))),
    );
    assert.ok(inodes.size >= 1);
    const r = new lib.SocketTables(child.pid).find(inodes);
    assert.deepEqual([...r.unix].sort(), [...inodes].sort());
    assert.equal(r.found.size, 0);
    assert.equal(r.reads, 1, 'the Unix table only');
    assert.deepEqual(
      [
        ...lib.unixInodes(
          'Num RefCount Protocol Flags Type St Inode Path\nffff: 00000002 00000000 00010000 0001 01 4242 /run/x.sock\n',
        ),
      ],
      [4242],
    );
  } finally {
    child.kill('SIGKILL');
  }
});
