// `npm run bench`: Warden against plain Node and the peers users would pick instead (Aikido Zen,
// Datadog dd-trace with AppSec, Node's own permission model), on Lambda's newest Node (24), with
// the variants alternated within the run (A B C … then rotated) so machine drift cancels. Each
// figure: median, p95, and the ratio to plain Node measured in the same run.
//   1. start-up: a process that loads the agent and exits (ours also through the layer's wrapper);
//   2. per-call cost inside a request context (bench/per-call.cjs);
//   3. warm invoke latency and init through the sandbox (bench/sandbox-invoke.mjs);
//   4. memory: RSS the sensor adds; the extension's own RSS (bench/extension.mjs);
//   5. hot path: 100,000 reads and 10,000 connections in one invocation (bench/hot-path.cjs).
// Writes bench/results.json, bench/RESULTS.md and bench/chart.svg.
//
// The peers are third-party agents: every agent run happens inside a network namespace with
// only loopback (`unshare -n`), so nothing they do can reach beyond 127.0.0.0/8. Where that is
// not possible (not root), the peers are skipped and the results say so.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chart } from './chart.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const PEERS = join(here, 'peers');
const SENSOR = join(root, 'dist', 'sensor.cjs');
const quick = process.env.BENCH_QUICK === '1';
const log = (s) => process.stderr.write(`bench: ${s}\n`);

// ---- set-up (outside the namespace: it needs the registry) ------------------------------------
if (!process.env.BENCH_ISOLATED) {
  const nodeDir = execFileSync('bash', [join(root, 'scripts', 'install-node.sh'), '24'], {
    encoding: 'utf8',
  }).trim();
  if (!existsSync(join(PEERS, 'node_modules', 'dd-trace'))) {
    log('installing the peers into bench/peers (not the project’s dependencies)');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', PEERS], { stdio: 'inherit' });
  }
  const isolate = spawnSync('unshare', ['-n', 'true']).status === 0;
  const env = { ...process.env, BENCH_ISOLATED: isolate ? '1' : '0', BENCH_NODE: join(nodeDir, 'node') };
  const self = [process.execPath, fileURLToPath(import.meta.url)];
  const r = isolate
    ? spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...self], {
        stdio: 'inherit',
        env,
      })
    : spawnSync(self[0], self.slice(1), { stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}

// ---- inside the namespace ---------------------------------------------------------------------
const NODE = process.env.BENCH_NODE ?? process.execPath;
const isolated = process.env.BENCH_ISOLATED === '1';
const major = Number(execFileSync(NODE, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }));
const tmp = mkdtempSync(join(tmpdir(), 'warden-bench-'));
const layerDir = join(tmp, 'layer');
execFileSync(process.execPath, [join(root, 'dist', 'cli.cjs'), 'layer', 'build', '--out', layerDir], {
  stdio: 'ignore',
});

const quiet = { AIKIDO_BLOCK: 'true' };
const ddEnv = {
  DD_APPSEC_ENABLED: 'true',
  DD_TRACE_AGENT_URL: 'http://127.0.0.1:9',
  DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
  DD_REMOTE_CONFIGURATION_ENABLED: 'false',
  DD_TRACE_STARTUP_LOGS: 'false',
  DD_RUNTIME_METRICS_ENABLED: 'false',
};
/** name → how to run node with it: args before the script, env, command prefix. */
const VARIANTS = {
  plain: { pre: [] },
  permission: {
    pre: [
      major >= 22 ? '--permission' : '--experimental-permission',
      '--allow-fs-read=*',
      '--allow-fs-write=*',
      '--allow-child-process',
      '--allow-worker',
    ],
  },
  warden: { pre: ['--require', SENSOR] },
  warden_layer: { pre: [], wrapper: join(layerDir, 'warden', 'wrapper'), startupOnly: true },
  zen: { pre: ['--require', join(PEERS, 'node_modules', '@aikidosec', 'firewall')], env: quiet, peer: true },
  ddtrace: { pre: ['--require', join(PEERS, 'node_modules', 'dd-trace', 'init')], env: ddEnv, peer: true },
};
const active = Object.entries(VARIANTS).filter(([, v]) => isolated || !v.peer);
const skipped = isolated ? [] : Object.keys(VARIANTS).filter((k) => VARIANTS[k].peer);

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const stat = (xs) => ({ median: round(pct(xs, 0.5)), p95: round(pct(xs, 0.95)), n: xs.length });
const round = (x) => (x === undefined || Number.isNaN(x) ? null : +x.toFixed(3));
const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);

function runNode(v, args, extraEnv = {}) {
  const cmd = v.wrapper ? [v.wrapper, NODE, ...v.pre, ...args] : [NODE, ...v.pre, ...args];
  const env = { PATH: process.env.PATH, HOME: tmp, ...v.env, ...extraEnv };
  return spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', env });
}

// 1. start-up
const startupRounds = quick ? 7 : 25;
const startup = Object.fromEntries(active.map(([k]) => [k, []]));
log(`start-up: ${startupRounds} rounds × ${active.length} variants`);
for (let r = 0; r < startupRounds; r++)
  for (const [name, v] of rotate(active, r)) {
    const t = process.hrtime.bigint();
    const res = runNode(v, ['-e', '0']);
    if (res.status !== 0) throw new Error(`${name}: start-up failed: ${res.stderr}`);
    startup[name].push(Number(process.hrtime.bigint() - t) / 1e6);
  }

// 2. per-call (and 4a: RSS after loading, from the same processes). Warden runs the built-in
// default policy with the one program the benchmark spawns allowed, as a function would have it.
const callPolicy = join(tmp, 'call-policy.json');
writeFileSync(callPolicy, JSON.stringify({ version: 1, process: { allow: [{ exe: 'true' }] } }));
const callRounds = quick ? 3 : 9;
const callVariants = active.filter(([, v]) => !v.startupOnly);
const calls = Object.fromEntries(callVariants.map(([k]) => [k, []]));
log(`per call: ${callRounds} rounds × ${callVariants.length} variants`);
for (let r = 0; r < callRounds; r++)
  for (const [name, v] of rotate(callVariants, r)) {
    const res = runNode(v, ['--expose-gc', join(here, 'per-call.cjs')], {
      BENCH_AGENT: name,
      BENCH_PEERS: PEERS,
      // Findings to a file (stdout is the result line); the spawned program is an allowed one.
      WARDEN_FINDINGS: join(tmp, `calls-${name}.jsonl`),
      WARDEN_POLICY: callPolicy,
    });
    const line = res.stdout.trim().split('\n').pop();
    if (res.status !== 0 || !line?.startsWith('{'))
      throw new Error(`${name}: per-call failed: ${res.stderr.slice(-2000)}`);
    calls[name].push(JSON.parse(line));
  }
const OPS = [
  'fs_read',
  'fs_promises_read',
  'spawn',
  'http',
  'fetch',
  'net_connect',
  'require',
  'new_function',
];
const perCall = {};
for (const [name] of callVariants) {
  perCall[name] = {};
  for (const op of OPS) perCall[name][op] = stat(calls[name].map((c) => c[op]));
  perCall[name].rss_mb = stat(calls[name].map((c) => c.rss_mb));
}

// 3, 4b. through the sandbox (our own code only: loopback and Unix sockets)
function runJson(script, args) {
  const res = spawnSync(process.execPath, [join(here, script), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (res.status !== 0) throw new Error(`${script}: ${res.stderr.slice(-2000)}`);
  return JSON.parse(res.stdout.slice(res.stdout.indexOf('{')));
}
/** One sandbox-invoke run: `blocks` cold starts of 26 invokes each (25 warm) per variant. */
const sandboxRun = (runtime, blocks, ...extra) =>
  runJson('sandbox-invoke.mjs', ['--runtime', runtime, '--blocks', blocks, '--per-block', '26', ...extra]);
log('warm invokes through the sandbox (trivial handler)');
const invoke = sandboxRun('nodejs24.x', quick ? '8' : '40');
// Memory and init, as a team counts them (issue 16's targets): the runtime's growth plus every
// Warden process, after init and 25 warm invokes, and after 2,000 invocations that each make
// findings; init of the default layer and of the layer with the opt-in external extension; on
// nodejs22.x and nodejs24.x.
log('memory and init: the layer with the opt-in extension, and nodejs22.x');
const invokeExtension = sandboxRun('nodejs24.x', quick ? '4' : '16', '--extension');
const invoke22 = sandboxRun('nodejs22.x', quick ? '4' : '8');
// As teams deploy it: a layer built with a policy (`warden layer build --policy`, compiled into the
// layer); and a function that starts a child process on every invocation (the watcher runs).
log('init and memory with a policy in the layer; a function that starts child processes');
const deployPolicy = join(tmp, 'deploy-policy.json');
writeFileSync(
  deployPolicy,
  JSON.stringify({
    version: 1,
    mode: 'enforce',
    process: { allow: [{ exe: 'true' }] },
    network: { default: 'deny', allow: [{ host: 'dynamodb.*.amazonaws.com', port: 443 }] },
    packages: { lodash: [], '@aws-sdk/*': ['network'] },
  }),
);
const invokePolicy = sandboxRun('nodejs24.x', quick ? '4' : '16', '--policy', deployPolicy);
const invokeSpawner = sandboxRun('nodejs24.x', quick ? '4' : '8', '--function', 'spawner');
log('memory under a findings flood: 2,000 invocations with findings, nodejs22.x and nodejs24.x');
const flood = Object.fromEntries(
  ['nodejs22.x', 'nodejs24.x'].map((rt) => [
    rt,
    runJson('sandbox-invoke.mjs', [
      '--runtime',
      rt,
      '--function',
      'flood',
      '--blocks',
      '2',
      '--per-block',
      quick ? '200' : '1000',
    ]),
  ]),
);
// The same flood in a 128 MB function (Lambda's default size: the runtime's heap limits follow it).
const flood128 = runJson('sandbox-invoke.mjs', [
  '--runtime',
  'nodejs24.x',
  '--function',
  'flood',
  '--memory',
  '128',
  '--blocks',
  '2',
  '--per-block',
  quick ? '200' : '1000',
]);
const memoryBy = {
  'nodejs22.x': invoke22.added?.memory_mb ?? null,
  'nodejs24.x': invoke.added?.memory_mb ?? null,
};
const floodBy = Object.fromEntries(Object.entries(flood).map(([rt, r]) => [rt, r.added?.memory_mb ?? null]));
const worst = (by) => {
  const xs = Object.values(by).filter((x) => typeof x === 'number');
  return xs.length ? Math.max(...xs) : null;
};
log('the in-process watcher thread (exec to kill)');
const threadWatcher = runJson('extension.mjs', [
  '--runtime',
  'nodejs24.x',
  '--watcher',
  'thread',
  '--spawns',
  quick ? '20' : '60',
]);
log('the opt-in extension (RSS, init, post-runtime)');
const extension = runJson('extension.mjs', [
  '--runtime',
  'nodejs24.x',
  '--spawns',
  quick ? '20' : '60',
  '--inits',
  quick ? '4' : '10',
  '--invokes',
  quick ? '60' : '200',
  '--idle-ms',
  '3000',
]);

// 5. hot path
log('hot path: 100,000 reads and 10,000 connections in one invocation');
const hot = { plain: [], warden: [], warden_alert: [] };
const alertPolicy = join(tmp, 'alert-policy.json');
writeFileSync(
  alertPolicy,
  JSON.stringify({
    version: 1,
    files: { read: { alert: [{ path: '/tmp/warden-bench-hot-*/row.json' }] } },
    network: { alert: [{ cidr: '127.0.0.1/32' }] },
  }),
);
// Alternated over a few rounds like the rest: one run of each moved the time added by ±400 ms.
const hotRounds = quick ? 1 : 5;
const hotVariants = [
  ['plain', VARIANTS.plain, {}],
  ['warden', VARIANTS.warden, {}],
  ['warden_alert', VARIANTS.warden, { WARDEN_POLICY: alertPolicy }],
];
for (let r = 0; r < hotRounds; r++)
  for (const [name, variant, env] of rotate(hotVariants, r)) {
    const findings = join(tmp, `hot-${name}-${r}.jsonl`);
    const res = runNode(variant, ['--expose-gc', join(here, 'hot-path.cjs')], {
      WARDEN_FINDINGS: findings,
      ...env,
    });
    if (res.status !== 0) throw new Error(`hot path ${name}: ${res.stderr.slice(-2000)}`);
    const run = JSON.parse(res.stdout.trim().split('\n').pop());
    run.findings = existsSync(findings)
      ? readFileSync(findings, 'utf8').split('\n').filter(Boolean).length
      : 0;
    hot[name].push(run);
  }
/** Per variant: median time, p95, median heap growth, the most finding lines of any run. */
const hotStats = (name) => ({
  ms: stat(hot[name].map((x) => x.ms)),
  heap_growth_mb: round(
    pct(
      hot[name].map((x) => x.heap_growth_mb),
      0.5,
    ),
  ),
  findings: Math.max(...hot[name].map((x) => x.findings)),
});
const hotOf = Object.fromEntries(Object.keys(hot).map((k) => [k, hotStats(k)]));

// ---- results ----------------------------------------------------------------------------------
/**
 * A variant's ratio to plain Node: the median of its per-round ratios. Every round runs all the
 * variants back to back, so each ratio compares neighbours in time; this VM's drift over a run
 * (a plain round that happened to land in a quiet moment) then moves one round's ratio, not the
 * whole figure, as a ratio of the two overall medians would.
 */
const pairedRatio = (xs, plainXs) => {
  const rs = [];
  for (let i = 0; i < Math.min(xs?.length ?? 0, plainXs.length); i++)
    if (xs[i] && plainXs[i]) rs.push(xs[i] / plainXs[i]);
  return rs.length ? round(pct(rs, 0.5)) : null;
};
const su = Object.fromEntries(Object.entries(startup).map(([k, xs]) => [k, stat(xs)]));
const startupRatio = (name) => pairedRatio(startup[name], startup.plain);
const per = (name, op) =>
  calls[name]
    ? pairedRatio(
        calls[name].map((c) => c[op]),
        calls.plain.map((c) => c[op]),
      )
    : null;
const results = {
  node: major,
  isolated_network: isolated,
  peers_skipped: skipped,
  startup_ratio: startupRatio('warden'),
  startup_layer_ratio: startupRatio('warden_layer'),
  startup_ratio_zen: su.zen ? startupRatio('zen') : null,
  startup_ratio_ddtrace: su.ddtrace ? startupRatio('ddtrace') : null,
  startup_ratio_permission: startupRatio('permission'),
  invoke_p50_added_ms: invoke.added?.warm_p50_ms ?? null,
  init_added_ms: invoke.added?.init_p50_ms ?? null,
  // The layer with its opt-in external extension; and the default layer (the same as
  // init_added_ms: kept under its earlier name).
  init_added_ms_extension: invokeExtension.added?.init_p50_ms ?? null,
  init_added_ms_no_extension: invoke.added?.init_p50_ms ?? null,
  // The default layer built with a policy (compiled into the layer: no policy loader at cold start).
  init_added_ms_with_policy: invokePolicy.added?.init_p50_ms ?? null,
  memory_added_mb_with_policy: invokePolicy.added?.memory_mb ?? null,
  // A function that starts a child process on every invocation (nodejs24.x): the watcher thread
  // runs beside it; its warm invoke pays each spawn's fork of a bigger process.
  memory_added_mb_spawning_function: invokeSpawner.added?.memory_mb ?? null,
  invoke_p50_added_ms_spawning_function: invokeSpawner.added?.warm_p50_ms ?? null,
  // Runtime RSS with Warden minus without, plus every Warden process (the worse runtime).
  memory_added_mb: worst(memoryBy),
  memory_added_mb_by_runtime: memoryBy,
  // The default layer has no extension (the same as memory_added_mb on nodejs24.x); with it:
  memory_added_mb_no_extension: invoke.added?.memory_mb ?? null,
  memory_added_mb_extension: invokeExtension.added?.memory_mb ?? null,
  // The same after 2,000 invocations that each make findings.
  memory_added_mb_flood: worst(floodBy),
  memory_added_mb_flood_by_runtime: floodBy,
  memory_added_mb_flood_128mb_function: flood128.added?.memory_mb ?? null,
  // Exec to kill, p95, of the in-process watcher thread (the default layer), and of the opt-in extension.
  kill_p95_ms: threadWatcher.detection?.isolated?.start_to_kill_ms?.p95 ?? null,
  kill_p95_ms_back_to_back: threadWatcher.detection?.back_to_back?.start_to_kill_ms?.p95 ?? null,
  kill_p95_ms_extension: extension.detection?.isolated?.start_to_kill_ms?.p95 ?? null,
  post_runtime_ms: extension.post_runtime_ms ?? null,
  // The runtime process's RSS in the sandbox (aws-lambda-ric, the trivial handler, after init
  // and 25 warm invokes), Warden's layer against none: what the sensor adds to a function.
  sensor_rss_added_mb: invoke.added?.runtime_rss_mb ?? null,
  // The per-call process after thousands of each operation (heap sized by that stress).
  sensor_rss_added_mb_per_call_process: round(perCall.warden.rss_mb.median - perCall.plain.rss_mb.median),
  extension_rss_mb: extension.extension_rss_mb?.idle ?? null,
  extension_rss_mb_after_invokes: extension.extension_rss_mb?.after_invokes ?? null,
  hot_path: {
    rounds: hotRounds,
    time_added_ms: round(hotOf.warden.ms.median - hotOf.plain.ms.median),
    time_ratio: pairedRatio(
      hot.warden.map((x) => x.ms),
      hot.plain.map((x) => x.ms),
    ),
    ms: { plain: hotOf.plain.ms, warden: hotOf.warden.ms },
    heap_growth_mb: {
      plain: hotOf.plain.heap_growth_mb,
      warden: hotOf.warden.heap_growth_mb,
      warden_alerting: hotOf.warden_alert.heap_growth_mb,
    },
    // With every read and connection an alert: findings aggregate (a Create and an Update each).
    alerting: { ms: hotOf.warden_alert.ms.median, findings_lines: hotOf.warden_alert.findings },
  },
  startup_ms: su,
  startup_ratios: Object.fromEntries(Object.keys(startup).map((k) => [k, startupRatio(k)])),
  per_call_us: perCall,
  per_call_ratios: Object.fromEntries(
    callVariants.map(([k]) => [k, Object.fromEntries(OPS.map((op) => [op, per(k, op)]))]),
  ),
  invoke,
  extension,
  watcher_thread: threadWatcher,
};
for (const op of OPS) {
  const key =
    { fs_read: 'fs_read_ratio', spawn: 'spawn_ratio', http: 'http_ratio', fetch: 'fetch_ratio' }[op] ??
    `${op}_ratio`;
  for (const [name, suffix] of [
    ['warden', ''],
    ['zen', '_zen'],
    ['ddtrace', '_ddtrace'],
    ['permission', '_permission'],
  ])
    if (perCall[name]) results[`${key}${suffix}`] = per(name, op);
}
writeFileSync(join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(here, 'RESULTS.md'), markdown(results));
writeFileSync(join(here, 'chart.svg'), chart(results));
rmSync(tmp, { recursive: true, force: true });
log('wrote bench/results.json, bench/RESULTS.md, bench/chart.svg');

function markdown(r) {
  const names = ['warden', 'zen', 'ddtrace', 'permission'].filter((n) => r.per_call_us[n]);
  const label = {
    warden: 'Warden',
    zen: 'Aikido Zen',
    ddtrace: 'dd-trace (AppSec)',
    permission: 'Node --permission',
  };
  const cell = (name, op) => {
    const m = r.per_call_us[name]?.[op];
    return m
      ? `${m.median.toFixed(2)} / ${m.p95.toFixed(2)} (×${r.per_call_ratios[name][op]?.toFixed(2)})`
      : '—';
  };
  const s = r.startup_ms;
  const row = (k, name) =>
    s[k]
      ? `| ${name} | ${s[k].median.toFixed(1)} | ${s[k].p95.toFixed(1)} | ×${r.startup_ratios[k]?.toFixed(2)} |`
      : `| ${name} | — | — | ${r.peers_skipped.includes(k) ? 'skipped (no network isolation)' : '—'} |`;
  return `# Benchmark results

\`npm run bench\` on Node ${r.node}, variants alternated within one run; medians and p95; ratios to
plain Node in the same run, each the median of the per-round ratios (every round runs all the
variants back to back). ${r.isolated_network ? 'Every agent ran in a loopback-only network namespace.' : `Peers skipped: ${r.peers_skipped.join(', ')} (no network isolation available).`}
PureSec FunctionShield is not measured: it does not load on Node 20 or later (native, end of life).

![headline ratios](chart.svg)

## Start-up (ms: a process that loads the agent and exits)

| variant | median | p95 | ratio |
|---|---|---|---|
| plain Node | ${s.plain.median.toFixed(1)} | ${s.plain.p95.toFixed(1)} | ×1.00 |
${row('warden', 'Warden sensor (`-r sensor.cjs`)')}
${row('warden_layer', 'Warden layer (exec wrapper)')}
${row('zen', 'Aikido Zen (`AIKIDO_BLOCK=true`)')}
${row('ddtrace', 'dd-trace (`DD_APPSEC_ENABLED=true`)')}
${row('permission', 'Node --permission')}

## Per call inside a request context (µs: median / p95, ratio to plain)

| operation | plain | ${names.map((n) => label[n]).join(' | ')} |
|---|---|${names.map(() => '---|').join('')}
${['fs_read', 'fs_promises_read', 'spawn', 'http', 'fetch', 'net_connect', 'require', 'new_function']
  .map(
    (op) =>
      `| ${op} | ${r.per_call_us.plain[op].median.toFixed(2)} | ${names.map((n) => cell(n, op)).join(' | ')} |`,
  )
  .join('\n')}

## Invocations, memory, hot path

| figure | value |
|---|---|
| warm invoke p50 added (trivial handler, ≥ 500 invokes each) | ${r.invoke_p50_added_ms} ms (plain ${r.invoke.plain?.warm_p50_ms} ms, Warden ${r.invoke.warden?.warm_p50_ms} ms) |
| init duration added, the default layer (p50; target ≤ 20) | ${r.init_added_ms} ms |
| init added, the layer with the opt-in extension (p50) | ${r.init_added_ms_extension} ms |
| init added, the default layer built with a policy (p50) | ${r.init_added_ms_with_policy} ms |
| memory added: runtime RSS growth + every Warden process, after init + 25 warm invokes (worse runtime; target ≤ 12) | ${r.memory_added_mb} MB (${Object.entries(
    r.memory_added_mb_by_runtime,
  )
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}; with the opt-in extension ${r.memory_added_mb_extension} MB) |
| memory added after 2,000 invocations with findings (target ≤ 12) | ${r.memory_added_mb_flood} MB (${Object.entries(
    r.memory_added_mb_flood_by_runtime,
  )
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}; in a 128 MB function, nodejs24.x: ${r.memory_added_mb_flood_128mb_function} MB) |
| memory added, a function that starts a child process per invocation (the watcher thread runs; nodejs24.x) | ${r.memory_added_mb_spawning_function} MB (warm invoke +${r.invoke_p50_added_ms_spawning_function} ms) |
| exec → kill p95, the in-process watcher thread (processes one at a time / back to back; target ≤ 20) | ${r.kill_p95_ms} ms / ${r.kill_p95_ms_back_to_back} ms |
| exec → kill p95, the opt-in extension | ${r.kill_p95_ms_extension} ms |
| sensor RSS added: the runtime process in the sandbox after init + 25 warm invokes (p50 of blocks) | ${r.sensor_rss_added_mb} MB (plain ${r.invoke.plain?.runtime_rss_p50_mb} MB, Warden ${r.invoke.warden?.runtime_rss_p50_mb} MB) |
| sensor RSS added: the per-call process after thousands of each operation (V8's heap grown by the load) | ${r.sensor_rss_added_mb_per_call_process} MB |
| extension RSS | ${r.extension_rss_mb} MB |
| hot path (100,000 reads + 10,000 connections, ${r.hot_path.rounds} alternated rounds): time added (medians; ratio: median of per-round ratios) | ${r.hot_path.time_added_ms} ms (×${r.hot_path.time_ratio}; plain ${r.hot_path.ms.plain.median} ms, Warden ${r.hot_path.ms.warden.median} ms) |
| hot path heap growth plain / Warden / Warden alerting on all of it | ${r.hot_path.heap_growth_mb.plain} / ${r.hot_path.heap_growth_mb.warden} / ${r.hot_path.heap_growth_mb.warden_alerting} MB |
| hot path with every read and connection an alert (median) | ${r.hot_path.alerting.ms} ms, ${r.hot_path.alerting.findings_lines} finding lines for 110,000 events |
`;
}
