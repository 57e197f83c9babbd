import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const { compilePolicy, decide, defaultPolicy, parsePolicy } = createRequire(import.meta.url)(
  '../../dist/lib.cjs',
);

const policyOf = (yaml, env) => {
  const r = parsePolicy('t.yaml', yaml);
  assert.equal(r.ok, true, JSON.stringify(r.error));
  return compilePolicy(r.policy, env);
};
const fn = () => '<function>';
const spawn = (exe, argv, extra = {}) => ({
  surface: 'process',
  op: 'spawn',
  api: 't',
  file: exe,
  exe,
  argv: argv ?? [exe],
  ...extra,
});

test('default policy: every spawn is denied; other surfaces allowed unless dangerous', () => {
  const p = compilePolicy(defaultPolicy(), { runtimeApi: '127.0.0.1:9001' });
  assert.equal(decide(p, spawn('/usr/bin/ls'), fn).action, 'deny');
  assert.equal(
    decide(
      p,
      { surface: 'files', op: 'read', api: 'open', requested: '/etc/hostname', path: '/etc/hostname' },
      fn,
    ),
    null,
  );
  assert.equal(
    decide(
      p,
      {
        surface: 'files',
        op: 'read',
        api: 'open',
        requested: '/proc/self/environ',
        path: '/proc/42/environ',
      },
      fn,
    ).ruleId,
    'warden.files.read',
  );
  assert.equal(
    decide(
      p,
      { surface: 'files', op: 'read', api: 'open', requested: 'x', path: '/proc/42/task/43/environ' },
      fn,
    ).action,
    'deny',
  );
  assert.equal(
    decide(p, { surface: 'files', op: 'write', api: 'open', requested: 'x', path: '/tmp/a/b' }, fn),
    null,
  );
  assert.equal(
    decide(p, { surface: 'files', op: 'write', api: 'open', requested: 'x', path: '/var/task/index.js' }, fn)
      .action,
    'deny',
  );
  const net = (ip, port, host) => ({
    surface: 'network',
    op: 'connect',
    api: 't',
    protocol: 'tcp',
    ip,
    port,
    host: host ?? ip,
  });
  assert.equal(decide(p, net('93.184.216.34', 443, 'example.com'), fn), null);
  assert.equal(decide(p, net('169.254.169.254', 80), fn).severity, 5);
  assert.equal(decide(p, net('fd00:ec2::254', 80), fn).action, 'deny');
  assert.equal(decide(p, net('127.0.0.1', 9001), fn).ruleId, 'warden.network.runtime-api');
  assert.equal(
    decide(p, net('127.0.0.1', 9001), () => '<runtime>'),
    null,
    'the runtime may call its own API',
  );
  assert.equal(decide(p, net('127.0.0.1', 9002), fn), null);
  for (const alias of ['0.0.0.0', '::', '::1', '127.0.0.2', '127.255.255.254']) {
    assert.equal(
      decide(p, net(alias, 9001), fn)?.ruleId,
      'warden.network.runtime-api',
      `${alias} reaches a loopback listener`,
    );
  }
  assert.equal(
    decide(p, { surface: 'code', op: 'native', api: 'dlopen', target: '/tmp/x.node' }, fn).action,
    'deny',
  );
  assert.equal(
    decide(
      p,
      { surface: 'code', op: 'native', api: 'dlopen', target: '/var/task/node_modules/sharp/x.node' },
      fn,
    ),
    null,
  );
  assert.equal(decide(p, { surface: 'code', op: 'eval', api: 'eval', target: '1+1' }, fn), null);
});

test('a shell is only as allowed as every command inside it', () => {
  const p = policyOf('version: 1\nprocess:\n  allow: [/bin/sh, echo]\n');
  const sh = (script, cmds) =>
    spawn('/bin/sh', ['/bin/sh', '-c', script], { shellScript: script, shellCommands: cmds });
  assert.equal(decide(p, sh('echo hi', [{ name: 'echo', argv: ['echo', 'hi'] }]), fn), null);
  const v = decide(
    p,
    sh('echo hi; curl x', [
      { name: 'echo', argv: ['echo', 'hi'] },
      { name: 'curl', exe: '/usr/bin/curl', argv: ['curl', 'x'] },
    ]),
    fn,
  );
  assert.equal(v.action, 'deny');
  assert.match(v.reason, /curl/);
});

test('absolute rules hold against symlinked executables; deny wins over allow', () => {
  const p = policyOf(
    'version: 1\nprocess:\n  allow: [{ exe: /usr/bin/git }]\n  deny: [{ exe: /usr/bin/dash }]\n',
  );
  assert.equal(decide(p, spawn('/usr/bin/git'), fn), null);
  assert.equal(decide(p, spawn('/tmp/git', ['git'], { realExe: '/usr/bin/dash' }), fn).action, 'deny');
  assert.equal(decide(p, spawn('/tmp/x/git', ['git']), fn).action, 'deny');
});

test('network rules: host globs, CIDRs, ports and protocol', () => {
  const p = policyOf(
    'version: 1\nnetwork:\n  default: deny\n  allow:\n    - { host: "*.amazonaws.com", port: 443 }\n    - { cidr: 10.0.0.0/8, port: "5432-5439" }\n    - { host: localhost, protocol: dns }\n',
  );
  const ev = (o) => ({ surface: 'network', op: 'connect', api: 't', protocol: 'tcp', ...o });
  assert.equal(
    decide(p, ev({ host: 'dynamodb.us-east-1.amazonaws.com', ip: '52.94.0.1', port: 443 }), fn),
    null,
  );
  assert.equal(
    decide(p, ev({ host: 'dynamodb.us-east-1.amazonaws.com', ip: '52.94.0.1', port: 80 }), fn).action,
    'deny',
  );
  assert.equal(decide(p, ev({ host: 'evil.com', ip: '1.2.3.4', port: 443 }), fn).action, 'deny');
  assert.equal(decide(p, ev({ host: '10.1.2.3', ip: '10.1.2.3', port: 5433 }), fn), null);
  assert.equal(decide(p, ev({ host: 'db.internal', ip: '10.1.2.3', port: 5433 }), fn), null);
  assert.equal(decide(p, ev({ host: 'db.internal', ip: '11.1.2.3', port: 5433 }), fn).action, 'deny');
  assert.equal(
    decide(p, { surface: 'network', op: 'dns', api: 't', protocol: 'dns', host: 'localhost', port: 53 }, fn),
    null,
  );
  assert.equal(
    decide(
      p,
      { surface: 'network', op: 'dns', api: 't', protocol: 'dns', host: 'exfil.evil.com', port: 53 },
      fn,
    ).action,
    'deny',
  );
});

test('per-package capabilities: a package may only use what it is granted', () => {
  const p = policyOf(
    'version: 1\nprocess:\n  default: allow\npackages:\n  lodash: []\n  "@aws-sdk/*": [network, secrets]\n',
  );
  const ls = spawn('/usr/bin/ls');
  assert.equal(
    decide(p, ls, () => '<function>'),
    null,
    'unlisted packages are unrestricted',
  );
  const v = decide(p, ls, () => 'lodash');
  assert.equal(v.ruleId, 'warden.package.capability');
  assert.match(v.title, /lodash/);
  assert.equal(
    decide(
      p,
      { surface: 'secrets', op: 'read', api: 'env', name: 'AWS_SECRET_ACCESS_KEY' },
      () => '@aws-sdk/credential-provider-env',
    ),
    null,
  );
  assert.equal(
    decide(p, { surface: 'secrets', op: 'read', api: 'env', name: 'AWS_SECRET_ACCESS_KEY' }, () => 'lodash')
      .action,
    'deny',
  );
  assert.equal(
    decide(p, { surface: 'secrets', op: 'read', api: 'env', name: 'HOME' }, () => 'lodash'),
    null,
  );
});

test('secrets: package lists and extra names', () => {
  const p = policyOf(
    'version: 1\nsecrets:\n  default: alert\n  allow: ["@aws-sdk/*"]\n  deny: [evil-*]\n  names: [DB_PASSWORD]\n',
  );
  const ev = (name) => ({ surface: 'secrets', op: 'read', api: 'env', name });
  assert.equal(
    decide(p, ev('AWS_SESSION_TOKEN'), () => '@aws-sdk/core'),
    null,
  );
  assert.equal(decide(p, ev('AWS_SESSION_TOKEN'), () => '<function>').action, 'alert');
  assert.equal(decide(p, ev('DB_PASSWORD'), () => 'evil-logger').action, 'deny');
});

test('code: eval, wasm, workers and modules follow their settings', () => {
  const p = policyOf(
    'version: 1\ncode:\n  eval: deny\n  wasm: alert\n  workers: deny\n  modules: { deny: [child_process, "@evil/*"] }\n',
  );
  assert.equal(
    decide(p, { surface: 'code', op: 'function', api: 'new Function', target: 'x' }, fn).action,
    'deny',
  );
  assert.equal(
    decide(p, { surface: 'code', op: 'vm', api: 'vm.runInNewContext', target: 'x' }, fn).action,
    'deny',
  );
  assert.equal(
    decide(p, { surface: 'code', op: 'wasm', api: 'WebAssembly.compile', target: 'x' }, fn).action,
    'alert',
  );
  assert.equal(
    decide(p, { surface: 'code', op: 'worker', api: 'new Worker', target: 'x' }, fn).action,
    'deny',
  );
  assert.equal(
    decide(p, { surface: 'code', op: 'module', api: 'require', target: 'child_process' }, fn).action,
    'deny',
  );
  assert.equal(
    decide(p, { surface: 'code', op: 'module', api: 'require', target: '@evil/pkg' }, fn).action,
    'deny',
  );
  assert.equal(decide(p, { surface: 'code', op: 'module', api: 'require', target: 'lodash' }, fn), null);
});

test('kill of a foreign process follows process.kill', () => {
  const p = compilePolicy(defaultPolicy());
  const v = decide(
    p,
    {
      surface: 'process',
      op: 'kill',
      api: 'process.kill',
      file: '',
      exe: '',
      argv: [],
      pid: 1,
      signal: 'SIGTERM',
    },
    fn,
  );
  assert.equal(v.ruleId, 'warden.process.kill');
});

test('a process whose inner commands could not be read matches no allow rule: the default decides', () => {
  const allowShell = policyOf(
    'version: 1\nprocess:\n  default: deny\n  allow: [{ exe: sh }, { exe: "*" }]\n',
  );
  const unread = spawn('/bin/sh', ['sh', '-c', 'x'], { unparsed: 'a parser fault' });
  const v = decide(allowShell, unread, fn);
  assert.equal(v.action, 'deny');
  assert.match(v.reason, /could not be read/);
  assert.equal(
    decide(allowShell, spawn('/bin/sh', ['sh', '-c', 'x']), fn),
    null,
    'read normally, it is allowed',
  );
  const allowAll = policyOf('version: 1\nprocess:\n  default: allow\n');
  assert.equal(decide(allowAll, unread, fn), null);
});

test('couldDeny: the surfaces where a fault blocks in enforce mode are those the policy can deny', () => {
  const { couldDeny } = createRequire(import.meta.url)('../../dist/lib.cjs');
  const d = defaultPolicy();
  assert.equal(couldDeny(d, 'process', 'spawn'), true);
  assert.equal(couldDeny(d, 'files', 'write'), true);
  assert.equal(couldDeny(d, 'files', 'read'), true, '/proc/**/environ is denied');
  assert.equal(couldDeny(d, 'network', 'connect'), true, 'metadata endpoints are denied');
  assert.equal(couldDeny(d, 'code', 'eval'), false);
  assert.equal(couldDeny(d, 'code', 'native'), true);
  assert.equal(couldDeny(d, 'secrets', 'read'), false);
  const open = policyOf('version: 1\nprocess: { default: allow, kill: allow }\n').policy;
  assert.equal(couldDeny(open, 'process', 'spawn'), false);
  const pkgs = policyOf('version: 1\npackages: { lodash: [] }\n').policy;
  assert.equal(couldDeny(pkgs, 'code', 'eval'), true, 'a package restriction can deny anything');
});
