// The watchers, end to end in the sandbox with the real layer: the in-process watcher thread (the
// default layer) and the opt-in external extension each watch the runtime's processes and sockets
// in /proc, kill what the policy forbids (also when the in-process hooks are off) and recognise
// drop-and-execute; the extension also ships findings to a collector, and the sensor and the
// extension each notice the other going away.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { ROOT, tempDir } from '../helpers.mjs';
import { validateDetectionFinding } from '../ocsf.mjs';
import { extensionStats, FUNCTIONS, invoke, RUNTIME } from '../sandbox-helpers.mjs';

const require = createRequire(import.meta.url);
const lib = require('../../dist/lib.cjs');
const FN = join(FUNCTIONS, 'extension');

const byLayer = (findings, layer) => findings.filter((f) => f.unmapped.layer === layer);

/** Every finding, the extension's and the sensor's, is a valid OCSF Detection Finding. */
function assertOcsf(findings) {
  for (const f of findings)
    assert.deepEqual(validateDetectionFinding(f), [], JSON.stringify(f).slice(0, 400));
}
const rule = (f) => f.finding_info.analytic.uid;

/**
 * These tests are of the view from outside (the watcher, the extension), on what slipped past
 * the in-process hooks: Node's permission model (on by default for an enforce policy on Node 22
 * and 24) would refuse those starts before there is anything to see, so it is off here
 * (test/sandbox/permissions.test.mjs covers it).
 */
function policy(dir, text) {
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, `${text}${/^nodePermissions:/m.test(text) ? '' : 'nodePermissions: false\n'}`);
  return file;
}

function isAlive(pid) {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0];
    return state !== 'Z';
  } catch {
    return false;
  }
}

/**
 * The two watchers that see processes and sockets from outside the hooks: the in-process watcher
 * thread (the default layer) and the opt-in external extension (alone: the watcher thread off).
 * Every attack below is run against each.
 */
const WATCHERS = [
  { layer: 'watcher', args: [] },
  // Beside the extension, the in-process watcher stays off by default (one outside watcher).
  { layer: 'extension', args: ['--extension'] },
];
const title = (w, t) => `[${w.layer}] ${t}`;
const invokeWith = (w, fn, handler, events, opts = {}) =>
  invoke(fn, handler, events, { ...opts, args: [...w.args, ...(opts.args ?? [])] });
const EXTENSION = WATCHERS[1];

/**
 * One `/bin/sleep` per invocation, started through the raw binding with the sensor's process
 * hooks off, in enforce mode: the watcher must kill each, and its finding must carry the request
 * id of the invocation it happened in.
 */
async function sleepsKilledPerInvocation(w, count, args, env) {
  const { dir, cleanup } = tempDir('warden-ext-');
  try {
    const pol = policy(dir, 'version: 1\nmode: enforce\n');
    const events = Array.from({ length: count }, (_, i) => ({
      file: '/bin/sleep',
      args: ['sleep', String(5 + i)],
    }));
    const r = await invokeWith(w, FN, 'index.bindingSpawn', events, {
      args: ['--policy', pol, '--env', 'WARDEN_DISABLE_HOOKS=process', ...args, '--timeout', '10'],
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    assertOcsf(r.findings);
    return r.results.map((result, i) => {
      assert.equal(result.response.signal, 'SIGKILL', JSON.stringify(result));
      const finding = byLayer(r.findings, w.layer).find(
        (x) => x.evidences[0].process?.pid === result.response.pid,
      );
      assert.ok(finding, `a finding for pid ${result.response.pid}`);
      assert.equal(finding.metadata.correlation_uid, result.requestId, `request id of invoke ${i}`);
      // One watcher reported it, once per rule and destination (the sockets the child inherited
      // to one place are one finding): the extension and an in-process watcher would report
      // each twice.
      const about = r.findings.filter((x) => x.evidences[0].process?.pid === result.response.pid);
      const rules = about.map(
        (x) =>
          `${x.unmapped.layer} ${x.finding_info.analytic.uid} ${JSON.stringify(x.evidences[0].dst_endpoint ?? null)}`,
      );
      assert.deepEqual(rules, [...new Set(rules)], `pid ${result.response.pid} reported once per rule`);
      assert.ok(
        about.every((x) => x.unmapped.layer === w.layer),
        rules.join(', '),
      );
      return { result, finding };
    });
  } finally {
    cleanup();
  }
}

for (const w of WATCHERS) {
  test(
    title(w, 'an allowed shell script that runs a disallowed program: the program is killed before it acts'),
    async () => {
      const { dir, cleanup } = tempDir('warden-ext-');
      try {
        const marker = join(dir, 'MARKER');
        // The script is the function's own, and the checkout may sit under /tmp, which the default
        // policy forbids executing from: exec is allowed everywhere in this test.
        const pol = policy(
          dir,
          'version: 1\nmode: enforce\nprocess:\n  default: deny\n  allow: [ { exe: sh } ]\nfiles:\n  exec: { default: allow, deny: [] }\n',
        );
        const r = await invokeWith(w, FN, 'index.script', [{ marker }], { args: ['--policy', pol] });
        assert.equal(r.code, 0, r.stderr);
        assertOcsf(r.findings);
        const res = r.results[0].response;
        assert.ok(res.ms < 1000, `the script ended early (sleep 1 killed): ${JSON.stringify(res)}`);
        await new Promise((done) => setTimeout(done, 1200));
        assert.equal(existsSync(marker), false, 'the marker never appears');
        const ext = byLayer(r.findings, w.layer).filter((f) => f.unmapped.surface === 'process');
        const kill = ext.find((f) => f.evidences[0].process.cmd_line === 'sleep 1');
        assert.ok(kill, JSON.stringify(ext.map((f) => f.message)));
        assert.equal(kill.disposition_id, 2);
        assert.equal(kill.unmapped.killed, true);
        assert.equal(kill.metadata.correlation_uid, r.results[0].requestId);
        assert.match(kill.evidences[0].process.lineage[0], /sh .*slow\.sh/);
        assert.ok(kill.evidences[0].data.killed_pids.length >= 1);
        // The shell itself was allowed: it is not reported.
        assert.equal(
          ext.some((f) => /slow\.sh/.test(f.evidences[0].process.cmd_line)),
          false,
        );
      } finally {
        cleanup();
      }
    },
  );

  test(
    title(
      w,
      'the detection rules run in the watcher too: a miner started by a script is named, and killed in enforce mode',
    ),
    async () => {
      const { dir, cleanup } = tempDir('warden-ext-');
      try {
        symlinkSync('/bin/sleep', join(dir, 'xmrig'));
        const ev = [{ script: 'miner.sh', args: [dir] }];
        const mon = await invokeWith(w, FN, 'index.runScript', ev, { args: ['--mode', 'monitor'] });
        assert.equal(mon.code, 0, mon.stderr);
        assertOcsf(mon.findings);
        const seen = byLayer(mon.findings, w.layer).find((f) => rule(f) === 'warden.rule.miner-process');
        assert.ok(seen, JSON.stringify(mon.findings.map((f) => `${f.unmapped.layer} ${rule(f)}`)));
        assert.equal(seen.disposition, 'Detected');
        assert.deepEqual(
          seen.finding_info.attacks.map((a) => a.technique.uid),
          ['T1496'],
        );
        assert.equal(seen.metadata.correlation_uid, mon.results[0].requestId);
        assert.ok(mon.results[0].response.ms >= 1900, 'monitor: the program ran its course');
        // Enforce, with a policy that lets the function run its script: the rule still kills the miner.
        // (The script is the function's own, and the checkout may sit under /tmp: exec is allowed.)
        const pol = policy(
          dir,
          'version: 1\nmode: enforce\nprocess:\n  allow: [ { exe: sh } ]\nfiles:\n  exec: { default: allow, deny: [] }\n',
        );
        const enf = await invokeWith(w, FN, 'index.runScript', ev, { args: ['--policy', pol] });
        assert.equal(enf.code, 0, enf.stderr);
        const killed = byLayer(enf.findings, w.layer).find((f) => rule(f) === 'warden.rule.miner-process');
        assert.ok(killed, JSON.stringify(enf.findings.map((f) => `${f.unmapped.layer} ${rule(f)}`)));
        assert.equal(killed.unmapped.killed, true);
        assert.ok(
          enf.results[0].response.ms < 1500,
          `killed early: ${JSON.stringify(enf.results[0].response)}`,
        );
      } finally {
        cleanup();
      }
    },
  );

  test(
    title(
      w,
      'a reverse shell made outside the Node process is named by its stdio: a shell wired to a socket',
    ),
    async () => {
      // The listener plays the attacker: it waits, sends one command, and the shell exits.
      const got = [];
      const server = net.createServer((s) => {
        s.on('data', (d) => got.push(String(d)));
        s.on('error', () => {});
        setTimeout(() => s.write('echo from-the-shell; exit\n'), 1200);
      });
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      try {
        const ev = [{ shell: 'bash', script: 'revshell.sh', args: [String(server.address().port)] }];
        const mon = await invokeWith(w, FN, 'index.runScript', ev, {
          args: ['--mode', 'monitor', '--timeout', '10'],
        });
        assert.equal(mon.code, 0, mon.stderr);
        assertOcsf(mon.findings);
        const rev = byLayer(mon.findings, w.layer).filter((f) => rule(f) === 'warden.rule.reverse-shell');
        const inner = rev.find((f) => f.evidences[0].process.cmd_line === 'bash -i');
        assert.ok(
          inner,
          JSON.stringify(
            mon.findings.map((f) => `${f.unmapped.layer} ${rule(f)} ${f.evidences[0].process?.cmd_line}`),
          ),
        );
        assert.deepEqual(
          inner.finding_info.attacks.map((a) => a.technique.uid),
          ['T1059.004', 'T1095'],
        );
        assert.ok(got.join('').includes('from-the-shell'), 'monitor: the shell really ran the command');
      } finally {
        server.close();
      }
    },
  );

  test(
    title(w, '`sh -c` with the in-process process hooks disabled: the watcher alone kills it'),
    async () => {
      const { dir, cleanup } = tempDir('warden-ext-');
      try {
        const marker = join(dir, 'MARKER');
        const pol = policy(
          dir,
          'version: 1\nmode: enforce\nprocess:\n  default: deny\n  allow: [ { exe: sh } ]\n',
        );
        const r = await invokeWith(w, FN, 'index.shell', [{ script: `sleep 1 && touch ${marker}` }], {
          args: ['--policy', pol, '--env', 'WARDEN_DISABLE_HOOKS=process'],
        });
        assert.equal(r.code, 0, r.stderr);
        assertOcsf(r.findings);
        assert.ok(r.results[0].response.ms < 1000, JSON.stringify(r.results[0]));
        await new Promise((done) => setTimeout(done, 1200));
        assert.equal(existsSync(marker), false);
        assert.ok(
          r.findings.some((f) => rule(f) === 'warden.sensor.degraded'),
          'the sensor says it runs degraded',
        );
        // The shell is judged before what it starts: killed for the commands inside it, with its tree.
        const kill = byLayer(r.findings, w.layer).find((f) => f.unmapped.killed);
        assert.ok(kill);
        assert.deepEqual(kill.evidences[0].data.shell_commands, ['sleep 1', `touch ${marker}`]);
        assert.equal(r.results[0].response.signal, 'SIGKILL');
      } finally {
        cleanup();
      }
    },
  );

  test(
    title(
      w,
      'a process whose judgement throws is still judged by the watcher: matching no allow rule, killed in enforce mode',
    ),
    async () => {
      const { dir, cleanup } = tempDir('warden-ext-');
      try {
        const marker = join(dir, 'MARKER');
        const pol = policy(
          dir,
          'version: 1\nmode: enforce\nprocess:\n  default: deny\n  allow: [ { exe: sh }, { exe: sleep }, { exe: touch } ]\n',
        );
        const r = await invokeWith(w, FN, 'index.shell', [{ script: `sleep 1 && touch ${marker}` }], {
          args: [
            '--policy',
            pol,
            '--env',
            'WARDEN_DISABLE_HOOKS=process',
            '--env',
            'WARDEN_INJECT_FAULT=process',
          ],
        });
        assert.equal(r.code, 0, r.stderr);
        await new Promise((done) => setTimeout(done, 1200));
        assert.equal(existsSync(marker), false, 'a fault is never an allow: the shell was killed');
        const fault = byLayer(r.findings, w.layer).find((f) => rule(f) === 'warden.sensor.fault');
        assert.ok(fault, JSON.stringify(r.findings.map(rule)));
        assert.match(fault.finding_info.title, /killed/);
        assert.equal(fault.unmapped.killed, true);

        // A command line the parser once threw on ($'\\xZZ'): judged all the same, killed for what it runs.
        const marker2 = join(dir, 'MARKER2');
        const onlySh = policy(
          dir,
          'version: 1\nmode: enforce\nprocess:\n  default: deny\n  allow: [ { exe: sh } ]\n',
        );
        const r2 = await invokeWith(
          w,
          FN,
          'index.shell',
          [{ script: `echo $'\\xZZ'; sleep 1; touch ${marker2}` }],
          {
            args: ['--policy', onlySh, '--env', 'WARDEN_DISABLE_HOOKS=process'],
          },
        );
        assert.equal(r2.code, 0, r2.stderr);
        await new Promise((done) => setTimeout(done, 1200));
        assert.equal(existsSync(marker2), false, 'the extension judged the shell and killed it');
        assert.ok(
          byLayer(r2.findings, w.layer).some((f) => f.unmapped.killed),
          JSON.stringify(r2.findings.map(rule)),
        );
      } finally {
        cleanup();
      }
    },
  );

  test(
    title(
      w,
      'WARDEN_MODE=Enforce means enforce to the watcher too (one settings module), and a bad value is its finding',
    ),
    async () => {
      const { dir, cleanup } = tempDir('warden-ext-');
      try {
        const marker = join(dir, 'MARKER');
        const pol = policy(
          dir,
          'version: 1\nmode: monitor\nprocess:\n  default: deny\n  allow: [ { exe: sh } ]\n',
        );
        const r = await invokeWith(w, FN, 'index.shell', [{ script: `sleep 1 && touch ${marker}` }], {
          args: ['--policy', pol, '--env', 'WARDEN_DISABLE_HOOKS=process', '--env', 'WARDEN_MODE=Enforce'],
        });
        assert.equal(r.code, 0, r.stderr);
        await new Promise((done) => setTimeout(done, 1200));
        assert.equal(existsSync(marker), false, 'the extension enforced');
        assert.ok(byLayer(r.findings, w.layer).some((f) => f.unmapped.killed));

        const bad = await invokeWith(w, FN, 'index.shell', [{ script: 'true' }], {
          args: ['--policy', pol, '--env', 'WARDEN_MODE=bogus'],
        });
        assert.equal(bad.code, 0, bad.stderr);
        const invalid = bad.findings.filter((f) => rule(f) === 'warden.sensor.setting-invalid');
        if (w.layer === 'extension') {
          assert.match(bad.stderr, /\[extension warden\].*setting: WARDEN_MODE="bogus"/);
          assert.deepEqual(invalid.map((f) => f.unmapped.layer).sort(), ['extension', 'sensor']);
        } else {
          // The watcher thread reads the settings the sensor read: the sensor alone reports them.
          assert.deepEqual(
            invalid.map((f) => f.unmapped.layer),
            ['sensor'],
          );
        }
      } finally {
        cleanup();
      }
    },
  );

  for (const [cgroups, children] of [
    ['1', '1'],
    ['0', '1'],
    ['0', '0'],
  ]) {
    const how =
      cgroups === '1'
        ? 'cgroups on'
        : children === '1'
          ? 'cgroups off: process tree'
          : 'no cgroups, no children files: /proc scan';
    test(
      title(w, `a process started through process.binding('spawn_sync'), hooks off, is killed (${how})`),
      async () => {
        const killed = await sleepsKilledPerInvocation(w, 2, ['--env', `WARDEN_PROC_CHILDREN=${children}`], {
          WARDEN_SANDBOX_CGROUPS: cgroups,
        });
        for (const { result, finding } of killed) {
          assert.ok(result.response.ms < 1000, `killed quickly: ${result.response.ms} ms`);
          assert.equal(finding.evidences[0].process.file.path, realpathSync('/bin/sleep'));
          assert.equal(finding.evidences[0].data.api, 'procfs');
        }
      },
    );
  }

  // curl where the machine has it (CI installs it), else bash's /dev/tcp: a non-node child either way.
  const TOOL = existsSync('/usr/bin/curl') ? 'curl' : 'bash';
  const toolArgs = (port) =>
    TOOL === 'curl'
      ? ['-s', '--max-time', '5', `http://127.0.0.3:${port}/`]
      : ['-c', `exec 3<>/dev/tcp/127.0.0.3/${port}; read -r -t 5 <&3`];

  test(
    title(w, `a child \`${TOOL}\` connecting to a denied loopback listener is reported and killed`),
    async () => {
      const { dir, cleanup } = tempDir('warden-ext-');
      const connections = [];
      const server = net.createServer((s) => {
        connections.push(s.remotePort);
        s.on('error', () => {});
      });
      await new Promise((r) => server.listen(0, '127.0.0.3', r));
      const port = server.address().port;
      try {
        const pol = policy(
          dir,
          `version: 1\nmode: enforce\nprocess:\n  default: deny\n  allow: [ { exe: ${TOOL} } ]\nnetwork:\n  default: allow\n  deny: [ { cidr: 127.0.0.3/32 } ]\n`,
        );
        const r = await invokeWith(w, FN, 'index.connect', [{ cmd: TOOL, args: toolArgs(port) }], {
          args: ['--policy', pol, '--timeout', '10'],
        });
        assert.equal(r.code, 0, r.stderr);
        assertOcsf(r.findings);
        const res = r.results[0].response;
        assert.equal(res.signal, 'SIGKILL', JSON.stringify(res));
        assert.ok(res.ms < 3000, `killed well before its own 5 s: ${res.ms} ms`);
        assert.ok(connections.length >= 1, 'curl did connect');
        const f = byLayer(r.findings, w.layer).find((x) => x.unmapped.surface === 'network');
        assert.ok(f, JSON.stringify(r.findings.map((x) => x.message)));
        assert.equal(rule(f), 'warden.network.connect');
        assert.equal(f.evidences[0].dst_endpoint.ip, '127.0.0.3');
        assert.equal(f.evidences[0].dst_endpoint.port, port);
        assert.equal(f.evidences[0].process.pid, res.pid);
        assert.match(f.evidences[0].process.cmd_line, new RegExp(TOOL));
        assert.equal(f.unmapped.killed, true);
        assert.equal(f.metadata.correlation_uid, r.results[0].requestId);
      } finally {
        server.close();
        cleanup();
      }
    },
  );

  test(title(w, 'a binary dropped in /tmp and executed is drop-and-execute, with its hash'), async () => {
    const { dir, cleanup } = tempDir('warden-ext-');
    try {
      const pol = policy(dir, 'version: 1\nmode: enforce\n');
      const source = realpathSync('/bin/sleep');
      const sha = createHash('sha256').update(readFileSync(source)).digest('hex');
      const r = await invokeWith(w, FN, 'index.dropExec', [{ source, args: ['5'] }], {
        args: ['--policy', pol, '--env', 'WARDEN_DISABLE_HOOKS=process', '--timeout', '10'],
      });
      assert.equal(r.code, 0, r.stderr);
      assertOcsf(r.findings);
      const res = r.results[0].response;
      assert.equal(res.signal, 'SIGKILL', JSON.stringify(res));
      const f = byLayer(r.findings, w.layer).find((x) => rule(x) === 'warden.process.drop-exec');
      assert.ok(f, JSON.stringify(r.findings.map((x) => x.message)));
      assert.equal(f.severity_id, 5);
      assert.equal(f.evidences[0].process.file.path, res.path);
      assert.deepEqual(f.evidences[0].process.file.hashes, [
        { algorithm_id: 3, algorithm: 'SHA-256', value: sha },
      ]);
      assert.equal(f.evidences[0].data.dropped.path, res.path);
      assert.ok(f.finding_info.attacks.some((a) => a.technique.uid === 'T1105'));
      assert.equal(f.unmapped.killed, true);
    } finally {
      cleanup();
    }
  });

  test(
    title(w, 'in monitor mode a drop-and-execute is reported by both layers and nothing is killed'),
    async () => {
      {
        const r = await invokeWith(w, FN, 'index.dropExec', [{ source: '/bin/sleep', args: ['0.3'] }], {
          args: ['--mode', 'monitor'],
        });
        assert.equal(r.code, 0, r.stderr);
        assertOcsf(r.findings);
        assert.equal(r.results[0].response.code, 0, 'the process ran to its end');
        assert.ok(
          r.findings.some((f) => f.unmapped.layer === 'sensor' && f.unmapped.surface === 'process'),
          'the sensor reported the spawn',
        );
        const f = byLayer(r.findings, w.layer).find((x) => rule(x) === 'warden.process.drop-exec');
        assert.ok(f);
        assert.equal(f.disposition_id, 15);
        assert.equal(f.unmapped.killed, undefined);
      }
    },
  );
}

/** A collector for the tests: records each request (headers, gunzipped NDJSON lines). */
async function collector(behaviour = 'ok') {
  const requests = [];
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (behaviour === 'hang') return; // never answers
      const body = Buffer.concat(chunks);
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body).toString() : body.toString();
      requests.push({
        headers: req.headers,
        lines: text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      });
      res.writeHead(behaviour === 'refuse' ? 503 : 200).end();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.2', r));
  return {
    url: `http://127.0.0.2:${server.address().port}/v1/findings`,
    requests,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('findings reach the collector once each, in order, with their request ids', async () => {
  const c = await collector();
  try {
    const r = await invokeWith(EXTENSION, FN, 'index.finding', [{ n: 1 }, { n: 2 }, { n: 3 }], {
      args: ['--env', `WARDEN_COLLECTOR_URL=${c.url}`, '--env', 'WARDEN_COLLECTOR_TOKEN=tok-123'],
    });
    assert.equal(r.code, 0, r.stderr);
    assertOcsf(r.findings);
    assert.ok(c.requests.length >= 1);
    for (const req of c.requests) {
      assert.equal(req.headers.authorization, 'Bearer tok-123');
      assert.equal(req.headers['content-encoding'], 'gzip');
      assert.equal(req.headers['content-type'], 'application/x-ndjson');
    }
    const shipped = c.requests.flatMap((q) => q.lines).filter((f) => rule(f) === 'warden.process.spawn');
    assert.deepEqual(
      shipped.map((f) => f.evidences[0].process.cmd_line),
      ['id -u 1', 'id -u 2', 'id -u 3'],
      'each once (channel and function log de-duplicated), in order',
    );
    assert.deepEqual(
      shipped.map((f) => f.metadata.correlation_uid),
      r.results.map((x) => x.requestId),
    );
    const uids = c.requests.flatMap((q) => q.lines).map((f) => f.metadata.uid);
    assert.equal(new Set(uids).size, uids.length, 'no finding shipped twice');
    const stats = extensionStats(r.stderr);
    assert.equal(stats.shipper.dropped, 0);
    assert.ok(stats.stream.duplicates >= 3, 'the function-log copies were recognised');
  } finally {
    c.close();
  }
});

for (const behaviour of ['refuse', 'hang', 'down']) {
  test(`a collector that is ${behaviour === 'down' ? 'not listening' : behaviour === 'hang' ? 'hanging' : 'refusing (503)'} costs a counter, never an invoke`, async () => {
    const c = await collector(behaviour === 'down' ? 'ok' : behaviour);
    let url = c.url;
    if (behaviour === 'down') c.close();
    if (behaviour === 'down') url = url.replace(/:\d+\//, ':9/');
    try {
      const started = Date.now();
      const r = await invokeWith(EXTENSION, FN, 'index.finding', [{ n: 1 }, { n: 2 }], {
        args: ['--env', `WARDEN_COLLECTOR_URL=${url}`],
      });
      assert.equal(r.code, 0, r.stderr);
      assertOcsf(r.findings);
      for (const x of r.results) {
        assert.equal(x.status, 'success');
        assert.ok(x.postRuntimeDurationMs < 50, `post-runtime ${x.postRuntimeDurationMs} ms`);
      }
      assert.ok(Date.now() - started < 20_000, 'shutdown stays within its deadline');
      const lost = r.findings.find((f) => rule(f) === 'warden.extension.findings-dropped');
      assert.ok(lost, 'the loss is reported where findings always arrive');
      assert.ok(lost.count >= 2);
      const stats = extensionStats(r.stderr);
      assert.ok(stats.shipper.dropped + stats.shipper.buffered >= 2, JSON.stringify(stats.shipper));
      // Every finding still reached stdout (the findings file).
      assert.equal(r.findings.filter((f) => rule(f) === 'warden.process.spawn').length, 2);
    } finally {
      c.close();
    }
  });
}

test('killing the extension from the function is reported by the sensor', async () => {
  const r = await invokeWith(EXTENSION, FN, 'index.killExtension', [{}], { args: ['--mode', 'monitor'] });
  const res = r.results[0];
  assert.ok(res.response?.victim ?? res.errorMessage, JSON.stringify(res));
  assertOcsf(r.findings);
  const lost = r.findings.find((f) => rule(f) === 'warden.sensor.extension-lost');
  assert.ok(lost, JSON.stringify(r.findings.map((f) => rule(f))));
  assert.equal(lost.metadata.correlation_uid, res.requestId);
  assert.ok(lost.finding_info.attacks.some((a) => a.technique.uid === 'T1562.001'));
  // The kill itself was seen too (monitor mode let it through).
  assert.ok(r.findings.some((f) => rule(f) === 'warden.process.kill'));
});

test('a sensor that never reaches the extension is reported by both sides', async () => {
  const r = await invokeWith(EXTENSION, FN, 'index.wait', [{ ms: 2300 }], {
    args: ['--env', 'WARDEN_CHANNEL=@warden/nowhere', '--timeout', '10'],
  });
  assert.equal(r.code, 0, r.stderr);
  assertOcsf(r.findings);
  const rules = r.findings.map(rule);
  assert.ok(rules.includes('warden.extension.sensor-absent'), JSON.stringify(rules));
  const silent = r.findings.find((f) => rule(f) === 'warden.extension.sensor-silent');
  assert.ok(silent);
  assert.equal(silent.metadata.correlation_uid, r.results[0].requestId);
  assert.ok(rules.includes('warden.sensor.extension-unreachable'));
});

test("without the sensor's word, the extension's findings carry the invocation they happened in (telemetry names it)", async () => {
  // The sensor never reaches the extension: the extension learns the invocations from telemetry's
  // platform.start alone.
  await sleepsKilledPerInvocation(EXTENSION, 3, ['--env', 'WARDEN_CHANNEL=@warden/nowhere'], {});
});

for (const w of WATCHERS) {
  test(
    title(
      w,
      'processes outside the sandbox are never touched, even a sibling of the runtime running the same program',
    ),
    async () => {
      const outside = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
      const results = [];
      const findings = [];
      try {
        const client = lib.findAwsClient(RUNTIME, ROOT) ?? lib.builtinClient(ROOT);
        // The outside view alone (see `policy`): a raw binding spawn Node's model would refuse.
        const policyJson = JSON.stringify({ version: 1, mode: 'enforce', nodePermissions: false });
        const { parsePolicy } = lib;
        const parsed = parsePolicy('policy.json', policyJson);
        await lib.runSandbox({
          packageRoot: ROOT,
          functionDir: FN,
          settings: lib.localSettings({
            functionName: 'outside',
            handler: 'index.bindingSpawn',
            runtime: RUNTIME,
            timeoutSec: 10,
          }),
          nodeBin: lib.findNode(RUNTIME),
          client,
          events: [{ payload: Buffer.from(JSON.stringify({ file: '/bin/sleep', args: ['sleep', '30'] })) }],
          layer: { policy: parsed.policy, policyJson, extension: w.layer === 'extension' },
          extraLayers: [],
          userEnv: {
            WARDEN_DISABLE_HOOKS: 'process',
            ...(w.layer === 'extension' ? { WARDEN_WATCHER: 'off' } : {}),
          },
          onResult: (x) => results.push(x),
          onFinding: (line) => findings.push(JSON.parse(line)),
          onLog: () => {},
        });
        const res = results[0]?.response;
        assert.equal(res?.signal, 'SIGKILL', JSON.stringify(results));
        assert.ok(
          isAlive(outside.pid),
          'the outside sleep (same program, sibling of the runtime) still runs',
        );
        assert.equal(
          findings.some((f) => f.evidences[0].process?.pid === outside.pid),
          false,
        );
      } finally {
        outside.kill('SIGKILL');
      }
    },
  );
}
