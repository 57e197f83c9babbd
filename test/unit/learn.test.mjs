// The learner's generalisation rules (docs/learning.md), tested on both sides: unseen values of
// the same shape pass the learned policy, a new command, destination, path family, capability
// or package-capability pair does not (and is reported as a deviation from the baseline).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const lib = createRequire(import.meta.url)('../../dist/lib.cjs');

const TASK = '/var/task';

function obs(event, pkg = '<function>', requestId = 'r1', count = 1) {
  return { warden: 'observation', v: 1, event, package: pkg, count, requestId, layer: 'sensor' };
}
const spawn = (argv, extra = {}) => ({
  surface: 'process',
  op: 'spawn',
  api: 'spawn',
  file: argv[0],
  exe: argv[0],
  argv,
  ...extra,
});
const shell = (script) =>
  spawn(['/bin/sh', '-c', script], {
    shellCommands: lib
      .parseShellCommands(script)
      .map((c) => ({ name: c.name, exe: `/usr/bin/${c.name}`, argv: c.argv })),
  });
const file = (op, path) => ({ surface: 'files', op, api: 'open', requested: path, path });
const connect = (host, ip, port) => ({
  surface: 'network',
  op: 'connect',
  api: 'net',
  protocol: 'tcp',
  host,
  ip,
  port,
});

/** The verdict of the learned policy on an event (null: allowed). */
function judge(policy, event, pkg = '<function>') {
  return lib.decide(lib.compilePolicy(policy, { taskRoot: TASK }), event, () => pkg);
}

test('G1: data tokens become stars, names stay', () => {
  const cases = {
    'extract-1f3a9c2b': 'extract-*',
    'report-2026-11-26.txt': 'report-*.txt',
    'upload-7f9e0d3a-4c6b-4e2a-9f1d-2b3c4d5e6f70.json': 'upload-*.json',
    'invoice-1001.pdf': 'invoice-*.pdf',
    'quarterly.md': 'quarterly.md',
    'release-notes.md': 'release-notes.md',
    node_modules: 'node_modules',
    tmpa8Xk2pQ9: '*',
    v2: 'v2',
  };
  for (const [input, want] of Object.entries(cases)) assert.equal(lib.generaliseToken(input), want, input);
  assert.equal(lib.generalisePath('/proc/4242/environ'), '/proc/4242/environ', 'G6: /proc stays literal');
  assert.equal(lib.generalisePath('/etc/ssl/certs/1234abcd.0'), '/etc/ssl/certs/1234abcd.0');
});

test('G2/G3: siblings become dir/*.ext, per-request directories with nested files become trees', () => {
  const groups = lib.generalisePaths([
    '/tmp/reports/jan.txt',
    '/tmp/reports/feb.txt',
    '/tmp/reports/summary.csv',
    '/tmp/extract-91ab23cd/a.csv',
    '/tmp/extract-77ef0011/sub/b.csv',
    '/tmp/extract-77ef0011',
    '/tmp/render-5f5f5f5f5f/out.html',
    '/tmp/render-0a0a0a0a0a/out.html',
    '/var/task/config.json',
  ]);
  assert.deepEqual(
    groups.map((g) => g.pattern),
    [
      '/tmp/extract-*',
      '/tmp/extract-*/**',
      '/tmp/render-*/out.html',
      '/tmp/reports/*.txt',
      '/tmp/reports/summary.csv',
      '/var/task/config.json',
    ],
  );
  // G1b: a random directory name G1 cannot tell from a word, seen with two values.
  assert.deepEqual(
    lib
      .generalisePaths(['/tmp/job-aBcDeF/out.csv', '/tmp/job-QwErTy/out.csv', '/tmp/job-QwErTy/log/run.txt'])
      .map((g) => g.pattern),
    ['/tmp/job-*/**'],
  );
  assert.deepEqual(
    lib.generalisePaths(['/tmp/upload-xYz/a.bin', '/tmp/upload-pQr/a.bin']).map((g) => g.pattern),
    ['/tmp/upload-*/a.bin'],
  );
  // Unrelated directories with one file name each stay apart.
  assert.deepEqual(
    lib.generalisePaths(['/var/task/templates/a.json', '/var/task/docs/a.json']).map((g) => g.pattern),
    ['/var/task/docs/a.json', '/var/task/templates/a.json'],
  );
  // Literal glob characters in observed names are escaped, not patterns.
  assert.deepEqual(
    lib.generalisePaths(['/tmp/[x]/a(1).txt']).map((g) => g.pattern),
    ['/tmp/\\[x\\]/a\\(1\\).txt'],
  );
  // A single file is never widened; two files in one directory do not make a tree.
  assert.deepEqual(
    lib.generalisePaths(['/tmp/cache/data.bin']).map((g) => g.pattern),
    ['/tmp/cache/data.bin'],
  );
});

test('G4: arguments keep their shape; a wildcard never matches a new flag', () => {
  assert.equal(lib.argumentShape(['-xzf']), '-xzf');
  assert.equal(lib.argumentShape(['--level=9']), '--level=+([0-9])');
  assert.equal(lib.argumentShape(['5', '10']), '+([0-9])');
  assert.equal(lib.argumentShape(['-n5']), '-n+([0-9])');
  assert.equal(lib.argumentShape(['-j2', '-j16']), '-j+([0-9])');
  assert.equal(lib.argumentShape(['a.md', 'b.md']), '[^-]*.md');
  assert.equal(lib.argumentShape(['/tmp/in-1a2b3c4d.tgz', '/tmp/in-9f8e7d6c.tgz']), '/tmp/in-*.tgz');
  assert.equal(lib.argumentShape(['--out=a.txt', '--out=b.txt']), '--out=[^-]*.txt');
  assert.equal(lib.argumentShape(['-v', '-q']), '{-q,-v}');
});

test('G5: AWS endpoints generalise the region only; no host becomes a suffix wildcard', () => {
  assert.equal(lib.hostPattern('dynamodb.us-east-1.amazonaws.com'), 'dynamodb.*.amazonaws.com');
  assert.equal(lib.hostPattern('sqs.eu-west-3.amazonaws.com'), 'sqs.*.amazonaws.com');
  // An API id stays: `*.execute-api…` would admit an API an attacker creates in their own account.
  assert.equal(
    lib.hostPattern('a1b2c3d4e5.execute-api.us-east-1.amazonaws.com'),
    'a1b2c3d4e5.execute-api.*.amazonaws.com',
  );
  assert.equal(lib.hostPattern('reports.s3.us-gov-west-1.amazonaws.com'), 'reports.s3.*.amazonaws.com');
  assert.equal(lib.hostPattern('api.example.com'), 'api.example.com');
  assert.equal(lib.hostPattern('b7f3e2a91c.example.com'), 'b7f3e2a91c.example.com');
});

test('G5b: a URL keeps its scheme, host and port; an IP address in an argument stays whole', () => {
  assert.equal(
    lib.argumentShape(['http://127.0.0.1:4566/status/orders']),
    'http://127.0.0.1:4566/status/orders',
  );
  assert.equal(
    lib.argumentShape(['http://10.0.0.1:80/items/1234', 'http://10.0.0.1:80/items/98765']),
    'http://10.0.0.1:80/items/*',
  );
  assert.equal(
    lib.argumentShape(['http://10.0.0.1:80/items/a', 'http://10.0.0.1:80/items/b']),
    'http://10.0.0.1:80/items/*',
  );
  assert.equal(lib.argumentShape(['--host=10.1.2.3']), '--host=10.1.2.3');
  assert.equal(lib.argumentShape(['192.168.7.21']), '192.168.7.21');
  for (const shape of [
    lib.argumentShape(['http://127.0.0.1:4566/a/1']),
    lib.argumentShape(['https://api-1234abcd.example.com/v1/items/42']),
  ])
    assert.doesNotMatch(shape, /\/\/\*|\/\/[^/]*\*/, `${shape}: a wildcard in the host`);
});

const BASELINE = [
  obs(spawn(['/usr/bin/tar', '-xzf', '/tmp/in-1a2b3c4d.tgz', '-C', '/tmp/extract-1a2b3c4d'])),
  obs(
    spawn(['/usr/bin/tar', '-xzf', '/tmp/in-9f8e7d6c.tgz', '-C', '/tmp/extract-9f8e7d6c']),
    '<function>',
    'r2',
  ),
  obs(shell('convert report.md report.pdf')),
  obs(shell('convert notes.md notes.pdf'), '<function>', 'r2'),
  obs(connect('dynamodb.us-east-1.amazonaws.com', '52.94.0.1', 443), '@aws-sdk/client-dynamodb'),
  obs(connect('127.0.0.1', '127.0.0.1', 8125), 'hot-shots'),
  obs(file('read', `${TASK}/templates/invoice.ejs`), 'ejs'),
  obs(file('read', `${TASK}/templates/receipt.ejs`), 'ejs'),
  obs(file('write', '/tmp/extract-1a2b3c4d/a.csv'), '<function>'),
  obs(file('write', '/tmp/extract-9f8e7d6c/deep/er/b.csv'), '<function>', 'r2'),
  obs({ surface: 'code', op: 'function', api: 'new Function', target: 'return 1' }, 'ejs'),
  obs(
    { surface: 'secrets', op: 'read', api: 'process.env', name: 'AWS_SECRET_ACCESS_KEY' },
    '@aws-sdk/credential-provider-env',
  ),
  obs({ surface: 'code', op: 'module', api: 'require', target: 'lodash' }, '<function>'),
  obs({ surface: 'code', op: 'module', api: 'require', target: 'fs' }, 'lodash'),
];

test('learned policy: unseen benign values of the same shape pass', () => {
  const { policy } = lib.learnPolicy(BASELINE, { taskRoots: [TASK] });
  const pass = [
    [spawn(['/usr/bin/tar', '-xzf', '/tmp/in-55aa66bb.tgz', '-C', '/tmp/extract-55aa66bb'])],
    [spawn(['/usr/bin/tar', '-xzf', '/tmp/in-0000ffff.tgz', '-C', '/tmp/extract-0000ffff'])],
    [shell('convert q3.md q3.pdf')],
    [shell('convert annual-2027.md annual-2027.pdf')],
    [connect('dynamodb.us-east-1.amazonaws.com', '52.94.9.9', 443), '@aws-sdk/client-dynamodb'],
    [connect('dynamodb.eu-west-1.amazonaws.com', '52.95.1.1', 443), '@aws-sdk/client-dynamodb'],
    [connect('127.0.0.1', '127.0.0.1', 8125), 'hot-shots'],
    [file('read', `${TASK}/templates/statement.ejs`), 'ejs'],
    [file('write', '/tmp/extract-abcdef12/x/y/z.csv')],
    [file('write', '/tmp/extract-abcdef12/top.csv')],
    [{ surface: 'code', op: 'function', api: 'new Function', target: 'return 2' }, 'ejs'],
    [
      { surface: 'secrets', op: 'read', api: 'process.env', name: 'AWS_ACCESS_KEY_ID' },
      '@aws-sdk/credential-provider-env',
    ],
    [
      {
        surface: 'files',
        op: 'read',
        api: 'readFileUtf8',
        requested: 'x',
        path: `${TASK}/node_modules/lodash/map.js`,
        loader: true,
      },
      '<runtime>',
    ],
    // A builtin the baseline never loaded (a lazy require on another path): not a finding.
    [{ surface: 'code', op: 'module', api: 'require', target: 'zlib' }, 'lodash'],
  ];
  for (const [ev, pkg] of pass) assert.equal(judge(policy, ev, pkg), null, JSON.stringify(ev));
});

test('learned policy: a new command, destination, path family, capability or package use is a deviation', () => {
  const { policy } = lib.learnPolicy(BASELINE, { taskRoots: [TASK] });
  const fail = [
    ['warden.deviation.process', spawn(['/usr/bin/tar', '-xzf', '/tmp/in-1.tgz', '--to-command=sh'])],
    [
      'warden.deviation.process',
      spawn(['/usr/bin/tar', '-xzf', '--checkpoint-action=exec=sh', '-C', '/tmp/extract-1']),
    ],
    ['warden.deviation.process', spawn(['/usr/bin/curl', 'http://127.0.0.1:9'])],
    ['warden.deviation.process', shell('convert x.md x.pdf; id')],
    ['warden.deviation.process', shell('convert $(id).md x.pdf')],
    ['warden.deviation.network', connect('evil.example', '127.0.0.9', 443), '@aws-sdk/client-dynamodb'],
    [
      'warden.deviation.network',
      connect('dynamodb.us-east-1.amazonaws.com', '52.94.0.1', 80),
      '@aws-sdk/client-dynamodb',
    ],
    ['warden.deviation.network', connect('127.0.0.1', '127.0.0.1', 9001), 'hot-shots'],
    ['warden.deviation.files', file('read', '/proc/self/environ'), 'ejs'],
    ['warden.deviation.library-misuse', file('read', '/proc/self/environ')],
    ['warden.deviation.files', file('read', `${TASK}/index.js`), 'ejs'],
    ['warden.deviation.files', file('write', '/tmp/elsewhere/a.csv')],
    ['warden.deviation.files', file('write', `${TASK}/index.js`)],
    [
      'warden.deviation.library-misuse',
      spawn(['/usr/bin/tar', '-xzf', '/tmp/in-1a2b3c4d.tgz', '-C', '/tmp/extract-1a2b3c4d']),
      'ejs',
    ],
    ['warden.deviation.library-misuse', { surface: 'code', op: 'eval', api: 'eval', target: 'x' }, 'lodash'],
    ['warden.deviation.library-misuse', connect('127.0.0.1', '127.0.0.1', 8125), 'never-seen-package'],
    [
      'warden.deviation.library-misuse',
      { surface: 'secrets', op: 'read', api: 'process.env', name: 'AWS_SESSION_TOKEN' },
      'ejs',
    ],
    ['warden.deviation.code', { surface: 'code', op: 'wasm', api: 'WebAssembly.compile', target: '' }, 'ejs'],
  ];
  for (const [rule, ev, pkg] of fail) {
    const v = judge(policy, ev, pkg);
    assert.equal(v?.ruleId, rule, `${JSON.stringify(ev)} by ${pkg ?? '<function>'}: ${JSON.stringify(v)}`);
    assert.ok(v.anomaly?.baseline && v.anomaly.observed, 'the baseline and what differed are named');
  }
  const misuse = judge(policy, spawn(['/bin/sh', '-c', 'id']), 'node-serialize');
  assert.equal(misuse.title, 'Library misuse: node-serialize spawned a process');
  assert.match(misuse.reason, /never did in the baseline/);
});

test('the generated YAML is commented, sorted and the same for any order of the observations', () => {
  const header = ['learned in a test'];
  const a = lib.learnPolicy(BASELINE, { taskRoots: [TASK] });
  const b = lib.learnPolicy([...BASELINE].reverse(), { taskRoots: [TASK] });
  const yamlA = lib.policyYaml(a.policy, a.notes, header);
  assert.equal(yamlA, lib.policyYaml(b.policy, b.notes, header));
  assert.match(
    yamlA,
    /# ran \/usr\/bin\/tar \(2 different command lines\): seen 2× in 2 invocations, by <function>/,
  );
  assert.match(
    yamlA,
    /# read 2 different paths of this shape: seen 2× in 1 invocation, by ejs\n\s+- path: \/var\/task\/templates\/\*\.ejs|path: \$\{LAMBDA_TASK_ROOT\}\/templates\/\*\.ejs/,
  );
  // It loads as a valid policy, equal to the one learned.
  const parsed = lib.parsePolicy('learned.yaml', yamlA);
  assert.ok(parsed.ok, JSON.stringify(parsed.error));
  assert.deepEqual(lib.diffPolicies(a.policy, parsed.policy), []);
});

test('--from: monitor-mode findings give the same observations as the sensor saw', () => {
  const events = BASELINE.map((o) => o.event).filter((e) => e.surface !== 'code' || e.op !== 'module');
  for (const event of events) {
    const finding = lib.toFinding({
      uid: 'u1',
      event,
      verdict: { action: 'alert', ruleId: 'r', title: 't', severity: 2, attacks: [], reason: 'x' },
      blocked: false,
      mode: 'monitor',
      requestId: 'req-9',
      resource: { arn: 'arn:aws:lambda:us-east-1:123456789012:function:f', name: 'f' },
      product: { name: 'Warden', version: '0' },
      time: 1,
      count: 3,
      activityId: 1,
      firstSeen: 1,
      attribution: { package: 'pkg-a', chain: ['pkg-a'], stack: [] },
      pid: 1,
    });
    const back = lib.observationFromFinding(finding);
    assert.ok(back, JSON.stringify(event));
    assert.equal(back.package, 'pkg-a');
    assert.equal(back.requestId, 'req-9');
    assert.equal(back.count, 3);
    const norm = (e) => ({
      ...e,
      api: undefined,
      requested: undefined,
      realExe: undefined,
      file: undefined,
      shellCommands: e.shellCommands?.map((c) => c.argv),
    });
    assert.deepEqual(norm(back.event), norm(event), JSON.stringify(event));
  }
  const text = ['START RequestId: x', JSON.stringify(BASELINE[0]), 'not json {', ''].join('\n');
  const read = lib.readObservationLines(text);
  assert.equal(read.observations.length, 1);
  assert.equal(read.skipped, 2);
});

test('--merge: what was learned is added; reviewed entries, denies and settings stay', () => {
  const existing = lib.learnPolicy(BASELINE.slice(0, 2), { taskRoots: [TASK] }).policy;
  existing.network.allow.push({ host: 'api.partner.example', port: 443 });
  existing.files.read.deny.push({ path: '/etc/shadow' });
  const learned = lib.learnPolicy(BASELINE.slice(2), { taskRoots: [TASK] });
  const merged = lib.mergeLearned(existing, learned, 'reviewed.yaml');
  assert.deepEqual(merged.policy.network.allow[0], { host: 'api.partner.example', port: 443 });
  assert.deepEqual(merged.policy.files.read.deny, [{ path: '/etc/shadow' }]);
  assert.equal(merged.notes['network.allow'][0], 'kept from reviewed.yaml');
  assert.equal(
    judge(
      merged.policy,
      spawn(['/usr/bin/tar', '-xzf', '/tmp/in-00aa00aa.tgz', '-C', '/tmp/extract-00aa00aa']),
    ),
    null,
  );
  assert.equal(judge(merged.policy, shell('convert a.md a.pdf')), null);
  assert.equal(merged.policy.code.eval, 'allow', 'eval was needed by the new observations');
  // Only widening: every change from the existing policy adds.
  assert.ok(lib.diffPolicies(existing, merged.policy).every((c) => c.effect !== 'narrows'));
});

test('the extension under a learned policy: a socket to a host the baseline names is not a deviation of the runtime', () => {
  const { policy } = lib.learnPolicy(BASELINE, { taskRoots: [TASK] });
  const compiled = lib.compilePolicy(policy, { taskRoot: TASK });
  // Outside the process only the IP is visible: dynamodb.*.amazonaws.com might be it.
  const sock = {
    surface: 'network',
    op: 'connect',
    api: 'procfs',
    protocol: 'tcp',
    ip: '52.94.7.7',
    port: 443,
  };
  assert.equal(lib.judgeSocket(compiled, sock, { runtime: true, sensorActive: true }), null);
  const child = lib.judgeSocket(compiled, sock, { runtime: false, sensorActive: true });
  assert.equal(child.action, 'alert', 'a child process: reported, not killed');
  // A port the baseline never used cannot be that host: a deviation, whoever owns the socket.
  const other = lib.judgeSocket(compiled, { ...sock, port: 6667 }, { runtime: false, sensorActive: true });
  assert.equal(other.action, 'deny');
  assert.equal(other.ruleId, 'warden.deviation.network');
  // The extension cannot attribute a package: no library-misuse verdict from outside the process.
  const proc = lib.decide(
    compiled,
    spawn(['/usr/bin/tar', '-xzf', '/tmp/in-12ab34cd.tgz', '-C', '/tmp/extract-12ab34cd']),
    () => '<outside>',
  );
  assert.equal(proc, null);
});

test('a function checked out under /tmp: its own modules and the node_modules it resolves from are code, not reads', () => {
  const { policy } = lib.learnPolicy(BASELINE, { taskRoots: [TASK] });
  const root = '/tmp/checkout/examples/fn';
  const compiled = lib.compilePolicy(policy, { taskRoot: root });
  const read = (path, loader) => ({
    surface: 'files',
    op: 'read',
    api: 'open',
    requested: path,
    path,
    ...(loader ? { loader } : {}),
  });
  for (const p of [
    `${root}/index.js`,
    '/tmp/checkout/node_modules/ejs/lib/ejs.js',
    `${root}/node_modules/x/package.json`,
  ])
    assert.equal(
      lib.decide(compiled, read(p, true), () => '<runtime>'),
      null,
      p,
    );
  // A module dropped elsewhere in /tmp and loaded is a read like any other; so is the function
  // reading its own code with fs.
  assert.equal(
    lib.decide(compiled, read('/tmp/evil/payload.js', true), () => '<runtime>')?.ruleId,
    'warden.deviation.files',
  );
  assert.equal(lib.decide(compiled, read(`${root}/index.js`), () => 'ejs')?.ruleId, 'warden.deviation.files');
});

test('a shell command whose name is an expansion is learned as that text: the same script passes, another does not', () => {
  const script = '"$TOOL" --version';
  const { policy } = lib.learnPolicy([obs(shell(script))], { taskRoots: [TASK] });
  assert.equal(judge(policy, shell(script)), null);
  assert.equal(judge(policy, shell('"$OTHER" --version'))?.ruleId, 'warden.deviation.process');
});

test('G0: the six characters mkdtemp appended are data, whatever they spell', () => {
  const mk = (prefix) => ({ surface: 'files', op: 'write', api: 'mkdtemp', requested: prefix, path: prefix });
  const { policy } = lib.learnPolicy(
    [
      obs(mk('/tmp/job-')),
      obs(file('write', '/tmp/job-QowZk7/out.csv')),
      obs(file('read', '/tmp/job-QowZk7/out.csv')),
    ],
    { taskRoots: [TASK] },
  );
  assert.deepEqual(
    policy.files.write.allow.map((e) => e.path),
    ['/tmp/job-', '/tmp/job-*/out.csv'],
  );
  assert.equal(judge(policy, mk('/tmp/job-')), null);
  assert.equal(judge(policy, file('write', '/tmp/job-aBcDeF/out.csv')), null);
  assert.equal(judge(policy, file('write', '/tmp/job-aBcDeF/other.sh'))?.ruleId, 'warden.deviation.files');
});

test('deputies: the packages a reader acted for are learned with its permission, and judged by it', () => {
  const read = { surface: 'secrets', op: 'read', api: 'process.env', name: 'AWS_SECRET_ACCESS_KEY' };
  const viaChain = {
    ...obs(read, '@aws-sdk/credential-provider-env'),
    deputies: ['@aws-sdk/credential-provider-node', '@smithy/core'],
  };
  const { policy } = lib.learnPolicy([viaChain, obs(file('read', '/etc/hosts'), '@smithy/core')], {
    taskRoots: [TASK],
  });
  assert.deepEqual(policy.secrets.allow, [
    '@aws-sdk/credential-provider-env',
    '@aws-sdk/credential-provider-node',
    '@smithy/core',
  ]);
  assert.deepEqual(policy.packages['@smithy/core'], ['fs-read', 'secrets']);
  const compiled = lib.compilePolicy(policy, { taskRoot: TASK });
  const by = (pkg, deputies) => Object.assign(() => pkg, { deputies: () => deputies });
  // The same chain again: allowed.
  assert.equal(lib.decide(compiled, read, by('@aws-sdk/credential-provider-env', viaChain.deputies)), null);
  // The reader called by a package that never held the permission: refused, naming it.
  const v = lib.decide(compiled, read, by('@aws-sdk/credential-provider-env', ['left-pad']));
  assert.equal(v?.action, 'deny');
  assert.match(v.reason, /by left-pad through @aws-sdk\/credential-provider-env/);
});

test('a native addon is learned with a warning that its code is invisible to the sensor', () => {
  const addon = `${TASK}/node_modules/@koromix/koffi-linux-x64/koffi.node`;
  const load = { surface: 'code', op: 'native', api: 'process.dlopen', target: addon };
  const { policy, notes } = lib.learnPolicy([obs(load, 'koffi')], { taskRoots: [TASK] });
  assert.equal(policy.code.nativeAddons.allow.length, 1);
  assert.match(
    notes['code.nativeAddons.allow'][0],
    /WARNING native code, Warden cannot see what it does inside the process/,
  );
});

/** Whether a policy allowing `exe flag <shape>` lets `exe flag <arg>` run. */
function argAllowed(exe, flag, shape, arg) {
  const policy = lib.compilePolicy(
    lib.normalizePolicy({
      version: 1,
      mode: 'enforce',
      process: { default: 'deny', allow: [{ exe, argv: [flag, shape] }] },
    }),
  );
  return policy.process.match({ exe, args: `${flag} ${arg}`, argv: [flag, arg] }).list === 'allow';
}

test('a literal learned once matches itself under the compiled policy (glob syntax, quotes, backslashes, `./`)', () => {
  const allows = (shape, arg) => argAllowed('/usr/bin/node', '-e', shape, arg);
  const code = [
    'process.stdout.write("ok")',
    'a=[1,2];console.log(a.map(x=>x*2).join("|"))',
    'console.log(require("os").cpus().length > 0 ? "yes" : "no")',
    "console.log('a\\nb'.split('\\n').length + 1)",
    'echo $$ ^^ && x || y',
    './bin/convert --in "$1"',
    '\\;~',
  ];
  for (const c of code) assert.ok(allows(lib.argumentShape([c]), c), `${c} → ${lib.argumentShape([c])}`);
  // Every printable character, in 20,000 strings (seeded: the same ones every run).
  let seed = 42;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const chars = 'abcXYZ019 !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~\\\\';
  const bad = [];
  for (let n = 0; n < 20000; n++) {
    let c = next() < 0.2 ? './' : '';
    const len = 1 + Math.floor(next() * 14);
    for (let i = 0; i < len; i++) c += chars[Math.floor(next() * chars.length)];
    if (c.startsWith('-')) continue;
    if (!allows(lib.argumentShape([c]), c)) bad.push(c);
  }
  assert.deepEqual(bad.slice(0, 10), []);
  // Varied values in one directory keep it: `./bin/*` matches `./bin/other`.
  assert.ok(allows(lib.argumentShape(['./bin/a.sh', './bin/b.sh']), './bin/c.sh'));
});

test('G4b: words and word lists assembled from input: the same shape passes, anything else does not', () => {
  const allows = (shape, arg) => argAllowed('/usr/bin/grep', '-E', shape, arg);
  const list = lib.argumentShape(['svc1|svc2', 'api|db|cache']);
  for (const ok of ['orders|users', 'a|b|c|d', 'search', 'eu-west-1|us.east@2'])
    assert.ok(allows(list, ok), `${ok} refused by ${list}`);
  for (const bad of ['a|b;curl x', 'a b', 'a|$(id)', '-e|x', 'a,b', 'a||b', 'a|b|', '"a|b"', 'a|b\n'])
    assert.ok(!allows(list, bad), `${JSON.stringify(bad)} admitted by ${list}`);
  const word = lib.argumentShape(['orders', 'users']);
  assert.ok(allows(word, 'billing-eu'));
  for (const bad of ['a b', 'a|b', '-v', '../x', '$(id)'])
    assert.ok(!allows(word, bad), `${bad} admitted by ${word}`);
  // A value the same every time stays literal: no word list is inferred from one value.
  assert.equal(lib.argumentShape(['svc1|svc2', 'svc1|svc2']), 'svc1\\|svc2');
});
