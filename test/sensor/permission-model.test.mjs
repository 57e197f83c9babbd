// Under Node's permission model Node refuses process.binding, and the sensor judges at the
// public API and on the handle classes it finds from instances (src/sensor/handle-classes.ts,
// hooks/fs-exports.ts). Node's own model is opened wide here (every path, child processes,
// workers), so every refusal below is the sensor's. Every function `fs` and `fs.promises`
// export on the running Node is either called with a denied path and must be refused, or named
// below as taking no path whose content it reaches: a Node version that adds one fails here.
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { describe, REPORT, runSensor, SENSOR } from '../helpers.mjs';

const SENSOR_DIR = dirname(SENSOR);

const major = Number(process.versions.node.split('.')[0]);
const PERMISSION = major >= 22 ? '--permission' : '--experimental-permission';
const WIDE_OPEN = [
  PERMISSION,
  '--allow-fs-read=*',
  '--allow-fs-write=*',
  '--allow-child-process',
  '--allow-worker',
  '--no-warnings',
];

/** Exports that reach no path's content: fd-based, metadata, classes, watchers, or judged elsewhere. */
const NOT_PATH_CONTENT = new Set([
  // classes (a stream opens through fs.open, called below; a Dir is read through its own hooks)
  'Dir',
  'Dirent',
  'FileReadStream',
  'FileWriteStream',
  'ReadStream',
  'Stats',
  'WriteStream',
  '_toUnixTimestamp',
  // metadata of a path, not its content (as with the bindings: docs/node-api-inventory.yaml)
  'access',
  'exists',
  'lstat',
  'readlink',
  'realpath',
  'stat',
  'statfs',
  'watch',
  'watchFile',
  'unwatchFile',
  // on a descriptor already judged at its open
  'close',
  'fchmod',
  'fchown',
  'fdatasync',
  'fstat',
  'fsync',
  'ftruncate',
  'futimes',
  'read',
  'readv',
  'write',
  'writev',
  // judged where it is made (hooks/native-io.ts)
  'openAsBlob',
]);

/**
 * How each path-taking function is called, by name of value (see VALUES in the script): P and Q
 * denied files, D the denied directory, N a new path in it, G a glob over it.
 */
const CALLS = {
  open: ['P', 'R'],
  readFile: ['P'],
  writeFile: ['P', 'X'],
  appendFile: ['P', 'X'],
  readdir: ['D'],
  rename: ['P', 'Q'],
  rm: ['P'],
  rmdir: ['D'],
  mkdir: ['N'],
  mkdtemp: ['N'],
  mkdtempDisposable: ['N'],
  link: ['P', 'Q'],
  symlink: ['P', 'Q'],
  unlink: ['P'],
  copyFile: ['P', 'Q'],
  cp: ['P', 'Q'],
  chmod: ['P', 'MODE'],
  lchmod: ['P', 'MODE'],
  chown: ['P', 'UID', 'GID'],
  lchown: ['P', 'UID', 'GID'],
  utimes: ['P', 'ONE', 'ONE'],
  lutimes: ['P', 'ONE', 'ONE'],
  truncate: ['P', 'ZERO'],
  glob: ['G'],
  opendir: ['D'],
  createReadStream: ['P'],
  createWriteStream: ['P'],
};

const baseName = (name) => name.replace(/Sync$/, '');

test(`Node ${process.version}: every fs export is judged under the permission model, or reaches no path's content`, async () => {
  const r = await runSensor(
    `${REPORT}
const fs = require('fs');
const path = require('path');
const D = path.join(${JSON.stringify('$DIR')}, 'denied');
const P = path.join(D, 'secret'), Q = path.join(D, 'other'), N = path.join(D, 'new'), G = path.join(D, '*');
const CALLS = ${JSON.stringify(CALLS)};
const VALUES = { P, Q, D, N, G, R: 'r', X: 'x', MODE: 0o600, UID: process.getuid(), GID: process.getgid(), ONE: 1, ZERO: 0 };
const args = (name) => CALLS[name].map((a) => VALUES[a]);
const outcome = async (fn) => {
  try {
    const v = await fn();
    // A stream or a Dir: opening is lazy, the first read or open is where it fails.
    if (v && typeof v.on === 'function' && !v.then) {
      return await new Promise((res) => { v.once('error', (e) => res(codeOf(e))); v.once('open', () => res('ok')); v.once('ready', () => res('ok')); });
    }
    if (v && typeof v.readSync === 'function') { try { v.readSync(); return 'ok'; } catch (e) { return codeOf(e); } }
    if (v && typeof v[Symbol.iterator] === 'function' && typeof v.next === 'function') { try { [...v]; return 'ok'; } catch (e) { return codeOf(e); } }
    if (v && typeof v[Symbol.asyncIterator] === 'function' && typeof v.next === 'function') { try { for await (const _ of v) {} return 'ok'; } catch (e) { return codeOf(e); } }
    return 'ok';
  } catch (e) { return codeOf(e); }
};
const callbackForm = (fn, a) => new Promise((res, rej) => {
  try { const v = fn(...a, (e, x) => (e ? rej(e) : res(x))); if (v && typeof v.on === 'function') res(v); } catch (e) { rej(e); }
});
(async () => {
  const seen = {};
  for (const [where, mod] of [['fs', fs], ['fs.promises', fs.promises]]) {
    for (const name of Object.keys(mod).sort()) {
      if (typeof mod[name] !== 'function') continue;
      const base = name.replace(/Sync$/, '');
      const key = where + '.' + name;
      if (!CALLS[base]) { seen[key] = 'unclassified'; continue; }
      const a = args(base);
      const fn = mod[name];
      seen[key] = await outcome(
        where === 'fs.promises' || name.endsWith('Sync') || name.startsWith('create')
          ? () => fn(...a)
          : () => callbackForm(fn, a),
      );
    }
  }
  if (typeof fs.Utf8Stream === 'function') seen['fs.Utf8Stream'] = await outcome(() => new fs.Utf8Stream({ dest: Q, sync: true }));
  record('seen', seen);
})();
`,
    {
      nodeArgs: WIDE_OPEN,
      files: { 'denied/secret': 'CANARY' },
      policy: `version: 1
mode: enforce
files:
  read:
    default: allow
    deny: ["$DIR/denied", "$DIR/denied/**"]
  write:
    default: allow
    deny: ["$DIR/denied", "$DIR/denied/**"]
`,
    },
  );
  assert.equal(r.code, 0, r.stderr);
  const seen = r.out?.seen;
  assert.ok(seen, r.stderr);
  const wrong = Object.entries(seen).filter(([key, outcome]) => {
    const name = key.split('.').pop();
    if (NOT_PATH_CONTENT.has(baseName(name))) return false;
    return outcome !== 'ERR_WARDEN_BLOCKED';
  });
  assert.deepEqual(wrong, [], `not refused by the sensor (or not classified here): ${JSON.stringify(wrong)}`);
  assert.ok(Object.keys(seen).length > 80, Object.keys(seen).join(' '));
  assert.ok(
    !r.findings.some((f) => f.finding_info.analytic.uid === 'warden.sensor.degraded'),
    'every class was found: nothing runs degraded',
  );
});

test(`Node ${process.version}: processes, connections, datagrams and DNS queries are judged under the permission model by every public API`, async () => {
  const r = await runSensor(
    `${REPORT}
const cp = require('child_process');
const net = require('net');
const http = require('http');
const dgram = require('dgram');
const dns = require('dns');
const path = require('path');
const M = path.join(${JSON.stringify('$DIR')}, 'spawned');
const SOCK = path.join(${JSON.stringify('$DIR')}, 'denied.sock');
const code = (e) => codeOf(e) ?? 'ok';
const settle = (p) => p.then(() => 'ok', code);
const cb = (fn) => new Promise((res) => { try { fn((e) => res(e ? code(e) : 'ok')); } catch (e) { res(code(e)); } });
const emitted = (emitter, ok) => new Promise((res) => { emitter.once('error', (e) => res(code(e))); emitter.once(ok, () => res('ok')); });
const sync = (fn) => { try { const v = fn(); return v && v.error ? code(v.error) : 'ok'; } catch (e) { return code(e); } };
(async () => {
  const server = net.createServer((s) => s.end());
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  const port = server.address().port;
  const out = {
    spawn: await emitted(cp.spawn('touch', [M]), 'spawn'),
    exec: await cb((done) => cp.exec('touch ' + M, done)),
    execFile: await cb((done) => cp.execFile('touch', [M], done)),
    fork: await emitted(cp.fork('-e', [], { execArgv: [] }), 'spawn'),
    spawnSync: sync(() => cp.spawnSync('touch', [M])),
    spawnSyncShell: sync(() => cp.spawnSync('touch ' + M, { shell: true })),
    execSync: sync(() => cp.execSync('touch ' + M)),
    execFileSync: sync(() => cp.execFileSync('touch', [M])),
    netConnect: await emitted(net.connect(port, '127.0.0.1'), 'connect'),
    httpGet: await emitted(http.get('http://127.0.0.1:' + port + '/'), 'response'),
    fetch: await settle(fetch('http://127.0.0.1:' + port + '/')),
    pipe: await emitted(net.connect({ path: SOCK }), 'connect'),
    udp: await cb((done) => { const u = dgram.createSocket('udp4'); u.send('x', port, '127.0.0.1', (e) => { u.close(); done(e); }); }),
    lookup: await cb((done) => dns.lookup('lookup.warden-test.invalid', done)),
    lookupService: await cb((done) => dns.lookupService('127.0.0.9', 22, done)),
    resolve: await cb((done) => dns.resolve('resolve.warden-test.invalid', done)),
    resolveTxt: await cb((done) => dns.resolveTxt('txt.warden-test.invalid', done)),
    reverse: await cb((done) => dns.reverse('127.0.0.9', done)),
    resolver: await cb((done) => new dns.Resolver().resolve4('resolver.warden-test.invalid', done)),
    promisesLookup: await settle(dns.promises.lookup('plookup.warden-test.invalid')),
    promisesResolve: await settle(dns.promises.resolveAny('pany.warden-test.invalid')),
    setServers: sync(() => new dns.Resolver().setServers(['127.0.0.53'])),
  };
  server.close();
  record('out', out);
  record('marker', require('fs').existsSync(M));
})();
`,
    {
      nodeArgs: WIDE_OPEN,
      policy: `version: 1
mode: enforce
process:
  default: deny
network:
  default: deny
files:
  write:
    default: allow
    deny: ["$DIR/denied.sock"]
`,
    },
  );
  assert.equal(r.code, 0, r.stderr);
  const out = r.out?.out;
  assert.ok(out, r.stderr);
  const wrong = Object.entries(out).filter(([, outcome]) => outcome !== 'ERR_WARDEN_BLOCKED');
  assert.deepEqual(wrong, [], `not refused by the sensor: ${JSON.stringify(wrong)}`);
  assert.equal(r.out.marker, false, 'no child ran');
});

test(`Node ${process.version}: metadata of a path Node's model refuses (stat, exists, access, realpath, readlink, statfs) is judged as the read it refuses, and reported`, async () => {
  const r = await runSensor(
    `${REPORT}
const fs = require('fs');
const path = require('path');
const P = path.join(${JSON.stringify('$DIR')}, 'denied', 'secret');
const code = (e) => codeOf(e) ?? 'ok';
const sync = (fn) => { try { const v = fn(); return v === false ? 'false' : 'ok'; } catch (e) { return code(e); } };
const cb = (fn) => new Promise((res) => { try { fn((e, v) => res(e === false || v === false ? 'false' : e ? code(e) : 'ok')); } catch (e) { res(code(e)); } });
(async () => {
  const out = {};
  for (const name of ['access', 'stat', 'lstat', 'readlink', 'realpath', 'statfs']) {
    out[name + 'Sync'] = sync(() => fs[name + 'Sync'](P));
    out[name] = await cb((done) => fs[name](P, done));
    out['promises.' + name] = await fs.promises[name](P).then(() => 'ok', code);
  }
  out.existsSync = sync(() => fs.existsSync(P));
  out.exists = await new Promise((res) => fs.exists(P, (v) => res(String(v))));
  out.allowed = sync(() => fs.statSync(__filename));
  record('out', out);
})();
`,
    {
      // Node reads only the script's directory, Warden's build and the findings' (the sensor's
      // own file); the denied file is outside, so Node would refuse every look at it.
      main: 'app/main.cjs',
      files: { 'denied/secret': 'CANARY', 'app/.keep': '' },
      nodeArgs: [
        PERMISSION,
        '--allow-fs-read=app',
        `--allow-fs-read=${SENSOR_DIR}`,
        '--allow-fs-write=*',
        '--allow-child-process',
        '--allow-worker',
        '--no-warnings',
      ],
      // The policy Node's flags were computed from: reads of the app and of Warden only.
      policy: `version: 1\nmode: enforce\nfiles:\n  read:\n    default: deny\n    allow: ["$DIR/app/**", "${SENSOR_DIR}/**"]\n`,
      policyName: 'app/policy.yaml',
    },
  );
  assert.equal(r.code, 0, r.stderr);
  const out = r.out?.out;
  assert.ok(out, r.stderr);
  assert.equal(out.allowed, 'ok');
  delete out.allowed;
  const wrong = Object.entries(out).filter(
    ([key, v]) => v !== (key.startsWith('exists') ? 'false' : 'ERR_WARDEN_BLOCKED'),
  );
  assert.deepEqual(wrong, [], JSON.stringify(out));
  assert.ok(
    r.findings.some(
      (f) => f.finding_info.analytic.uid === 'warden.files.read' && /denied\/secret/.test(f.message),
    ),
    describe(r.findings),
  );
});

test(`Node ${process.version}: under the permission model a value that answers the check one thing and Node another is read once (URL getters, inherited or changing options, toString)`, async () => {
  const r = await runSensor(
    `${REPORT}
const fs = require('fs');
const cp = require('child_process');
const path = require('path');
const D = ${JSON.stringify('$DIR')};
const P = path.join(D, 'denied', 'secret');
const code = (e) => codeOf(e) ?? 'ok';
const sync = (fn) => { try { const v = fn(); return v && v.error ? code(v.error) : 'ok'; } catch (e) { return code(e); } };
class Liar extends URL {
  get href() { return 'file://' + path.join(D, 'allowed.txt'); }
  get pathname() { return path.join(D, 'allowed.txt'); }
}
let reads = 0;
const changing = { get shell() { return reads++ > 0; } };
let calls = 0;
const shifty = { toString() { return calls++ > 0 ? P : path.join(D, 'ok-arg'); } };
record('urlSubclass', sync(() => fs.readFileSync(new Liar('file://' + P), 'utf8')));
record('inheritedShell', sync(() => cp.spawnSync('touch ' + path.join(D, 'm1'), [], Object.create({ shell: true }))));
record('changingShell', sync(() => cp.spawnSync('touch', [path.join(D, 'm2') + '; touch ' + path.join(D, 'm3')], changing)));
record('shiftyArg', sync(() => cp.execFileSync('cat', [shifty])));
`,
    {
      nodeArgs: WIDE_OPEN,
      files: { 'denied/secret': 'CANARY', 'allowed.txt': 'fine' },
      policy: `version: 1
mode: enforce
process:
  default: deny
  allow: [{ exe: touch }, { exe: /usr/bin/touch }, { exe: cat, argv: ["$DIR/ok-arg"] }, { exe: /usr/bin/cat, argv: ["$DIR/ok-arg"] }]
files:
  read:
    default: allow
    deny: ["$DIR/denied", "$DIR/denied/**"]
`,
    },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.out.urlSubclass,
    'ERR_WARDEN_BLOCKED',
    'the URL is judged by what it is, not what its getters say',
  );
  assert.equal(r.out.inheritedShell, 'ERR_WARDEN_BLOCKED', 'an inherited shell option is a shell');
  assert.ok(!r.markers('m1'));
  // Read once: no shell for the check, none for Node (the file is created under its odd name).
  assert.ok(!r.markers('m3'), 'the shell the second read asked for never ran');
  // The argument is stringified once: what was judged (and refused: not the allowed file) runs.
  assert.notEqual(r.out.shiftyArg, 'ok');
});

test(`Node ${process.version}: where Node's model refuses every child process (the spawn hooks then wait for a module that can spawn), the attempt is still seen`, async () => {
  const r = await runSensor(
    `${REPORT}
const code = (e) => codeOf(e) ?? 'ok';
try { require('child_process').execFileSync('touch', [require('path').join(${JSON.stringify('$DIR')}, 'm')]); record('spawn', 'ok'); } catch (e) { record('spawn', code(e)); }
`,
    {
      nodeArgs: [PERMISSION, '--allow-fs-read=*', '--allow-fs-write=*', '--allow-worker', '--no-warnings'],
      policy: 'version: 1\nmode: enforce\nprocess:\n  default: deny\n',
    },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.out.spawn, 'ERR_WARDEN_BLOCKED', 'judged before Node refuses it');
  assert.ok(!r.markers('m'));
  assert.ok(
    r.findings.some((f) => f.finding_info.analytic.uid === 'warden.process.spawn'),
    describe(r.findings),
  );
});
