// The Warden layer: `warden layer build` (directory and zip), the relocatable exec wrapper, and
// end to end through the real wrapper and handler in the sandbox: a function that spawns a
// shell is blocked in enforce mode, seen in monitor mode, with the invocation's request id.
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NODE, NODE_MAJOR, tempDir, zipEntries } from '../helpers.mjs';
import { CLI, invoke, run } from '../sandbox-helpers.mjs';

test('layer build: the directory Lambda unpacks at /opt, and the zip AWS accepts', async () => {
  const { dir, cleanup } = tempDir('warden-layer-');
  try {
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'version: 1\nmode: enforce\nnodePermissions: true\nprocess:\n  default: deny\n');
    const out = join(dir, 'layer');
    const r = await run(NODE, [CLI, 'layer', 'build', '--out', out, '--policy', policy]);
    assert.equal(r.code, 0, r.stderr);
    for (const f of [
      'warden/default-policy.json',
      'warden/wrapper',
      'warden/handler.mjs',
      'warden/handler.cjs',
      'warden/sensor.cjs',
      'warden/policy.json',
      'warden/permission-flags',
    ])
      assert.ok(existsSync(join(out, f)), f);
    assert.ok(statSync(join(out, 'extensions')).isDirectory());
    assert.equal(statSync(join(out, 'warden/wrapper')).mode & 0o111, 0o111, 'the wrapper is executable');
    // The compiled policy is valid JSON the sensor and `policy check` accept.
    for (const f of ['warden/policy.json', 'warden/default-policy.json']) {
      const check = await run(NODE, [CLI, 'policy', 'check', join(out, f)]);
      assert.equal(check.code, 0, `${f}: ${check.stderr}`);
    }
    assert.equal(JSON.parse(readFileSync(join(out, 'warden/policy.json'), 'utf8')).mode, 'enforce');
    const flags = Object.fromEntries(
      readFileSync(join(out, 'warden/permission-flags'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.split(' ')[0], l.split(' ').slice(1)]),
    );
    assert.deepEqual(Object.keys(flags), ['20', '22', '24']);
    assert.equal(flags['20'][0], '--experimental-permission');
    assert.equal(flags['24'][0], '--permission');
    assert.ok(!flags['24'].includes('--allow-child-process'), 'process.default deny: no child processes');

    const zip = join(dir, 'warden-layer.zip');
    const z = await run(NODE, [CLI, 'layer', 'build', '--out', zip]);
    assert.equal(z.code, 0, z.stderr);
    const entries = zipEntries(zip);
    const byName = Object.fromEntries(entries.map((e) => [e.name, e.mode]));
    assert.equal(byName['warden/wrapper'] & 0o777, 0o755);
    assert.ok(
      'warden/sensor.cjs' in byName && 'warden/handler.mjs' in byName && 'extensions/' in byName,
      Object.keys(byName).join(','),
    );
    assert.ok(!('warden/policy.json' in byName), 'no policy given: the sensor uses its built-in default');
  } finally {
    cleanup();
  }
});

test('the wrapper is relocatable, keeps the user NODE_OPTIONS, swaps the handler once', async () => {
  const { dir, cleanup } = tempDir('warden-wrap-');
  try {
    const layer = join(dir, 'a layer with spaces');
    const b = await run(NODE, [CLI, 'layer', 'build', '--out', layer]);
    assert.equal(b.code, 0, b.stderr);
    const wrapper = join(layer, 'warden', 'wrapper');
    const env = { PATH: process.env.PATH, _HANDLER: 'src/app.handler', NODE_OPTIONS: '--no-warnings' };
    const printed = await run(wrapper, [wrapper, '/usr/bin/env'], { env });
    assert.equal(printed.code, 0, printed.stderr);
    const vars = Object.fromEntries(
      printed.stdout
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    assert.equal(
      vars.NODE_OPTIONS,
      `--require "${layer}/warden/sensor.cjs" --no-warnings`,
      'run twice, preloaded once',
    );
    assert.equal(vars.WARDEN_HANDLER, 'src/app.handler');
    assert.equal(vars._HANDLER, `${layer}/warden/handler.handler`);
    assert.equal(vars.WARDEN_RUNTIME_PATHS, `${layer}/warden/`);
    // Node parses the quoted path: the sensor loads from a directory with spaces.
    const node = await run(wrapper, [NODE, '-p', "typeof globalThis[Symbol.for('warden.sensor')]"], { env });
    assert.equal(node.stdout.trim(), 'object', node.stderr);
    // The sensor's path as another option's value loads nothing: the wrapper still preloads it.
    const decoy = `--conditions="${layer}/warden/sensor.cjs"`;
    const tricked = await run(wrapper, [NODE, '-p', "typeof globalThis[Symbol.for('warden.sensor')]"], {
      env: { ...env, NODE_OPTIONS: decoy },
    });
    assert.equal(tricked.stdout.trim(), 'object', tricked.stderr);
    // Relative invocation works too (paths come from the wrapper's own location).
    const rel = await run('./wrapper', ['/usr/bin/env'], { env, cwd: join(layer, 'warden') });
    assert.match(
      rel.stdout,
      new RegExp(`_HANDLER=${layer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/warden/handler.handler`),
    );
  } finally {
    cleanup();
  }
});

test('nodePermissions auto (the default): an enforce policy runs under the permission model on Node 22 and 24, not on 20, not in monitor mode', async () => {
  const { dir, cleanup } = tempDir('warden-perm-auto-');
  try {
    const build = async (text) => {
      const policy = join(dir, 'policy.yaml');
      writeFileSync(policy, text);
      const layer = join(dir, `layer-${Math.random().toString(36).slice(2)}`);
      const r = await run(NODE, [CLI, 'layer', 'build', '--out', layer, '--policy', policy]);
      assert.equal(r.code, 0, r.stderr);
      return layer;
    };
    const enforce = await build('version: 1\nmode: enforce\n');
    const lines = readFileSync(join(enforce, 'warden/permission-flags'), 'utf8').trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(' ')[0]),
      ['mode', '22', '24'],
    );
    assert.equal(lines[0], 'mode enforce');
    assert.ok(lines[2].includes('--disable-warning=SecurityWarning'), lines[2]);
    const monitor = await build('version: 1\n');
    assert.ok(!existsSync(join(monitor, 'warden/permission-flags')), 'monitor mode: no flags');
    const off = await build('version: 1\nmode: enforce\nnodePermissions: false\n');
    assert.ok(!existsSync(join(off, 'warden/permission-flags')), 'false: no flags');

    const wrapper = join(enforce, 'warden', 'wrapper');
    const argvOf = async (env) => {
      const r = await run(wrapper, [NODE, '-p', 'JSON.stringify(process.execArgv)'], {
        env: { PATH: process.env.PATH, AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${NODE_MAJOR}.x`, ...env },
      });
      return { argv: JSON.parse(r.stdout.trim().split('\n').pop()), stderr: r.stderr };
    };
    const enforced = await argvOf({});
    assert.equal(enforced.argv.includes('--permission'), NODE_MAJOR >= 22, enforced.argv.join(' '));
    // The grants Node warns about at every start are the layer's, not the function's: no warning.
    assert.doesNotMatch(enforced.stderr, /SecurityWarning/);
    for (const mode of ['monitor', ' Monitor ']) {
      const monitored = await argvOf({ WARDEN_MODE: mode });
      assert.ok(
        !monitored.argv.some((a) => a.includes('permission')),
        `${mode}: ${monitored.argv.join(' ')}`,
      );
    }
  } finally {
    cleanup();
  }
});

test('the wrapper adds the permission-model flags of the layer policy for the runtime', async () => {
  const { dir, cleanup } = tempDir('warden-perm-');
  try {
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'version: 1\nnodePermissions: true\n');
    const layer = join(dir, 'layer');
    assert.equal((await run(NODE, [CLI, 'layer', 'build', '--out', layer, '--policy', policy])).code, 0);
    const wrapper = join(layer, 'warden', 'wrapper');
    const env = { PATH: process.env.PATH, AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${NODE_MAJOR}.x` };
    const r = await run(wrapper, [NODE, '-p', 'JSON.stringify(process.execArgv)'], { env });
    const argv = JSON.parse(r.stdout.trim().split('\n').pop());
    assert.ok(
      argv.includes(NODE_MAJOR === 20 ? '--experimental-permission' : '--permission'),
      r.stdout + r.stderr,
    );
    // Another policy named by WARDEN_POLICY gets no flags computed for the layer's.
    const other = await run(wrapper, [NODE, '-p', 'JSON.stringify(process.execArgv)'], {
      env: { ...env, WARDEN_POLICY: policy },
    });
    const otherArgv = JSON.parse(other.stdout.trim().split('\n').pop());
    assert.equal(otherArgv.filter((a) => a.includes('permission')).length, 0, otherArgv.join(' '));
  } finally {
    cleanup();
  }
});

test('end to end: a shell spawned by the function is blocked in enforce mode, seen in monitor mode', async () => {
  for (const mode of ['enforce', 'monitor']) {
    const r = await invoke('basic', 'index.shell', [{ marker: '$DIR/marker' }], { args: ['--mode', mode] });
    try {
      assert.equal(r.code, 0, r.stderr);
      const [res] = r.results;
      const spawned = r.findings.filter((f) => f.finding_info.analytic.uid.startsWith('warden.process'));
      assert.ok(
        spawned.length >= 1,
        `${mode}: ${JSON.stringify(r.findings.map((f) => f.finding_info.analytic.uid))}\n${r.stderr}`,
      );
      const f = spawned[0];
      assert.equal(f.metadata.correlation_uid, res.requestId, 'the finding carries the request id');
      assert.equal(f.resources[0].uid, 'arn:aws:lambda:us-east-1:123456789012:function:basic');
      assert.equal(f.cloud.provider, 'AWS');
      assert.equal(f.unmapped.package, '<function>');
      // The run's findings, grouped as the console groups them: one invocation, one incident.
      assert.match(r.stderr, new RegExp(`${r.findings.length} finding\\(s\\) in 1 incident\\(s\\)`));
      assert.match(r.stderr, /\[sandbox\] #1 \S+ +.* — basic; \d+ findings?, 1 invocation/);
      if (mode === 'enforce') {
        assert.deepEqual(res.response, { ran: false, code: 'ERR_WARDEN_BLOCKED' });
        assert.equal(existsSync(join(r.dir, 'marker')), false);
        assert.equal(f.disposition, 'Blocked');
      } else {
        assert.deepEqual(res.response, { ran: true });
        assert.equal(existsSync(join(r.dir, 'marker')), true);
        assert.equal(f.disposition, 'Detected');
      }
    } finally {
      r.cleanup();
    }
  }
});

test("a child process's findings reach the findings file, not the output its parent captures", async () => {
  const r = await invoke('basic', 'index.childRead', [{}], { args: ['--mode', 'monitor'] });
  try {
    assert.deepEqual(r.results[0].response, { out: 'child-output' }, r.stderr);
    const environ = r.findings.filter((f) => JSON.stringify(f.evidences).includes('/environ'));
    assert.ok(environ.length >= 1, JSON.stringify(r.findings.map((f) => f.finding_info.analytic.uid)));
  } finally {
    r.cleanup();
  }
});

test('--policy compiles the policy into the layer; the same function without Warden is unguarded', async () => {
  const { dir, cleanup } = tempDir('warden-pol-');
  try {
    const policy = join(dir, 'p.yaml');
    writeFileSync(policy, 'version: 1\nmode: enforce\nprocess:\n  default: deny\n');
    const guarded = await invoke('basic', 'index.shell', [{ marker: '$DIR/m' }], {
      args: ['--policy', policy],
    });
    const bare = await invoke('basic', 'index.shell', [{ marker: '$DIR/m' }], { args: ['--no-warden'] });
    try {
      assert.equal(guarded.results[0].response.code, 'ERR_WARDEN_BLOCKED', guarded.stderr);
      assert.deepEqual(bare.results[0].response, { ran: true });
      assert.equal(bare.findings.length, 0);
    } finally {
      guarded.cleanup();
      bare.cleanup();
    }
  } finally {
    cleanup();
  }
});

test('the layer picks up whatever extensions/ holds, and --layer merges over it', async () => {
  const { dir, cleanup } = tempDir('warden-ext-');
  try {
    const extra = join(dir, 'extra');
    cpSync(
      join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../fixtures/layers/probe'),
      extra,
      { recursive: true },
    );
    const r = await invoke('basic', 'index.handler', [{}], {
      args: ['--layer', extra, '--env', 'PROBE_LOG=$DIR/probe.jsonl'],
    });
    try {
      assert.equal(r.results[0].status, 'success', r.stderr);
      assert.ok(existsSync(join(r.dir, 'probe.jsonl')), 'the extension from --layer ran');
    } finally {
      r.cleanup();
    }
  } finally {
    cleanup();
  }
});

test("a benign function's cold start does not compile the judgement code: the runtime's own addon and the handler's own modules are not judged", async () => {
  // WARDEN_TRACE_STARTUP names the event that first needs the judgement code (compiling it is
  // ~12 ms of init). The runtime client's rapid-client.node comes from the platform's read-only
  // directories, which the policy allows whatever it says; Node's loader reading the handler's
  // files is not the function-code-read rule's business.
  const r = await invoke('basic', 'index.handler', [{ x: 1 }], { args: ['--env', 'WARDEN_TRACE_STARTUP=1'] });
  try {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.results[0].status, 'success', JSON.stringify(r.results[0]));
    assert.match(r.stderr, /warden: modules hooks/, 'the trace ran');
    assert.doesNotMatch(
      r.stderr,
      /judge chunk loaded/,
      r.stderr
        .split('\n')
        .filter((l) => /judge chunk|at /.test(l))
        .join('\n'),
    );
    // With a rules file of the user's, every addon is judged again (a rule may name any).
    const rulesFile = `${r.dir}/rules.yaml`;
    writeFileSync(rulesFile, 'version: 1\nrules: []\n');
    const withRules = await invoke('basic', 'index.handler', [{ x: 1 }], {
      args: ['--env', 'WARDEN_TRACE_STARTUP=1', '--env', `WARDEN_RULES=${rulesFile}`],
    });
    try {
      assert.equal(withRules.results[0].status, 'success');
      assert.match(withRules.stderr, /judge chunk loaded for .*\n(.*\n)*.*(dlopen|\.node)/);
    } finally {
      withRules.cleanup();
    }
    // A deployed policy restricting packages and naming hosts by glob: the loader's reads are
    // not judged for them either, and no glob is compiled before something is matched.
    const policyFile = `${r.dir}/policy.yaml`;
    writeFileSync(
      policyFile,
      "version: 1\nmode: enforce\nnetwork: { default: deny, allow: [{ host: 'dynamodb.*.amazonaws.com', port: 443 }] }\npackages: { lodash: [], '@aws-sdk/*': [network] }\n",
    );
    const withPolicy = await invoke('basic', 'index.handler', [{ x: 1 }], {
      args: ['--policy', policyFile, '--env', 'WARDEN_TRACE_STARTUP=1'],
    });
    try {
      assert.equal(withPolicy.results[0].status, 'success', withPolicy.stderr);
      assert.match(withPolicy.stderr, /warden: modules hooks/, 'the trace ran');
      assert.doesNotMatch(withPolicy.stderr, /judge chunk loaded/);
    } finally {
      withPolicy.cleanup();
    }
  } finally {
    r.cleanup();
  }
});

test("a layer's compiled policy and rules are taken as built (no policy loader at cold start); an edited policy is validated, with its error", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'version: 1\nmode: enforce\nprocess: { allow: [curl] }\n');
    const rules = join(dir, 'rules.yaml');
    writeFileSync(rules, 'version: 1\nrules:\n  - { id: warden.rule.shell-spawned, action: alert }\n');
    const r = await invoke('basic', 'index.handler', [{ x: 1 }], {
      args: ['--policy', policy, '--rules', rules, '--env', 'WARDEN_TRACE_STARTUP=1'],
    });
    try {
      assert.equal(r.results[0]?.status, 'success', r.stderr);
      assert.match(r.stderr, /warden: policy and rules/, 'the trace ran');
      assert.doesNotMatch(r.stderr, /policy-loader chunk compiled/);
      assert.doesNotMatch(r.stderr, /policy error|rules error/);
    } finally {
      r.cleanup();
    }
    // The same compiled file, edited by hand: validated like any file, and its mistake reported.
    const out = join(dir, 'layer');
    const built = await run(NODE, [CLI, 'layer', 'build', '--policy', policy, '--out', out]);
    assert.equal(built.code, 0, built.stderr);
    const compiled = readFileSync(join(out, 'warden', 'policy.json'), 'utf8');
    assert.match(compiled, /"\$compiled": "fnv1a32:[0-9a-f]{8}"/);
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, compiled.replace('"mode": "enforce"', '"mode": "enforcing"'));
    const e = await invoke('basic', 'index.handler', [{ x: 1 }], {
      args: ['--env', `WARDEN_POLICY=${edited}`, '--env', 'WARDEN_TRACE_STARTUP=1'],
    });
    try {
      assert.match(e.stderr, /policy-loader chunk compiled/);
      assert.match(e.stderr, /policy error: .*edited\.json:\d+:\d+: mode: /);
    } finally {
      e.cleanup();
    }
  } finally {
    cleanup();
  }
});

test('the kill switch: WARDEN_DISABLE=1 runs the function as without Warden (extension included), and says so once', async () => {
  const r = await invoke('basic', 'index.shell', [{ marker: '$DIR/marker' }], {
    args: ['--mode', 'enforce', '--extension', '--env', 'WARDEN_DISABLE=1'],
  });
  try {
    assert.equal(r.code, 0, r.stderr);
    // The shell the enforce policy would have blocked ran: nothing of Warden was in the way.
    assert.deepEqual(r.results[0].response, { ran: true }, r.stderr);
    assert.equal(existsSync(join(r.dir, 'marker')), true);
    assert.deepEqual(
      r.findings.map((f) => f.finding_info.analytic.uid),
      [],
    );
    assert.match(r.stderr, /WARDEN_DISABLE is set; the function runs without Warden/);
    assert.match(r.stderr, /WARDEN_DISABLE is set: the extension watches nothing/);
  } finally {
    r.cleanup();
  }
  // Any other value leaves Warden on.
  const on = await invoke('basic', 'index.shell', [{ marker: '$DIR/marker' }], {
    args: ['--mode', 'enforce', '--env', 'WARDEN_DISABLE=0'],
  });
  try {
    assert.deepEqual(on.results[0].response, { ran: false, code: 'ERR_WARDEN_BLOCKED' }, on.stderr);
  } finally {
    on.cleanup();
  }
});

test('another exec wrapper set before Warden is chained (WARDEN_NEXT_WRAPPER): it runs once, after Warden, with the same arguments', async () => {
  const { dir, cleanup } = tempDir('warden-chain-');
  try {
    const next = join(dir, 'other-wrapper');
    // Another tool's wrapper: records how it was called, sets its own variable, execs the rest.
    writeFileSync(
      next,
      `#!/bin/sh\necho "next: $# $1" >> "${dir}/next.log"\nUSER_VAR=chained\nexport USER_VAR\nexec "$@"\n`,
    );
    chmodSync(next, 0o755);
    const r = await invoke('basic', 'index.handler', [{ x: 1 }, { x: 2 }], {
      args: ['--env', `WARDEN_NEXT_WRAPPER=${next}`, '--mode', 'enforce'],
    });
    try {
      assert.equal(r.code, 0, r.stderr);
      for (const res of r.results) {
        assert.equal(res.status, 'success', r.stderr);
        assert.equal(res.response.env.user, 'chained', 'the other wrapper ran');
        assert.equal(res.response.sensor, 'object', "and Warden's sensor is loaded");
      }
      const log = readFileSync(join(dir, 'next.log'), 'utf8').trim().split('\n');
      assert.equal(log.length, 1, 'once per environment');
      assert.match(log[0], /^next: \d+ \/.*node$/, 'given the runtime command Lambda gave Warden');
    } finally {
      r.cleanup();
    }
    // The kill switch keeps the other wrapper: only Warden is out of the way.
    const off = await invoke('basic', 'index.handler', [{ x: 1 }], {
      args: ['--env', `WARDEN_NEXT_WRAPPER=${next}`, '--env', 'WARDEN_DISABLE=1'],
    });
    try {
      assert.equal(off.results[0].response.env.user, 'chained', off.stderr);
      assert.equal(off.results[0].response.sensor, 'undefined');
    } finally {
      off.cleanup();
    }
    // Pointing the chain at Warden's own wrapper does not loop.
    const layer = join(dir, 'layer');
    assert.equal((await run(NODE, [CLI, 'layer', 'build', '--out', layer])).code, 0);
    const own = join(layer, 'warden', 'wrapper');
    const self = await run(own, [own, '/usr/bin/env'], {
      env: { PATH: process.env.PATH, WARDEN_NEXT_WRAPPER: own },
    });
    assert.equal(self.code, 0, self.stderr);
    assert.doesNotMatch(self.stdout, /WARDEN_NEXT_WRAPPER=/, 'consumed');
  } finally {
    cleanup();
  }
});

test('WARDEN_LOG_LEVEL: what Warden writes on stderr, never what it reports', async () => {
  const stderrOf = async (level) => {
    const r = await invoke('basic', 'index.handler', [{ x: 1 }], {
      args: [
        '--extension',
        '--env',
        'WARDEN_MODE=bogus',
        ...(level ? ['--env', `WARDEN_LOG_LEVEL=${level}`] : []),
      ],
    });
    try {
      assert.equal(r.results[0]?.status, 'success', r.stderr);
      const reported = r.findings.filter(
        (f) => f.finding_info.analytic.uid === 'warden.sensor.setting-invalid',
      );
      assert.ok(reported.length >= 1, `${level}: the finding is reported whatever the level`);
      return r.stderr;
    } finally {
      r.cleanup();
    }
  };
  const setting = /warden: setting: WARDEN_MODE/;
  const stats = /warden-extension: \{/;
  const trace = /warden: modules hooks/;
  const byLevel = {
    error: await stderrOf('error'),
    warn: await stderrOf('WARN'),
    info: await stderrOf(undefined),
    debug: await stderrOf('debug'),
  };
  assert.doesNotMatch(byLevel.error, setting);
  assert.doesNotMatch(byLevel.error, stats);
  assert.match(byLevel.warn, setting);
  assert.doesNotMatch(byLevel.warn, stats);
  assert.match(byLevel.info, setting);
  assert.match(byLevel.info, stats);
  assert.doesNotMatch(byLevel.info, trace);
  assert.match(byLevel.debug, trace);
  assert.match(byLevel.debug, stats);
});
