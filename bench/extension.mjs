// The watchers' costs and speed, through the local sandbox:
//  1. detection latency: a function starts N processes the policy forbids (through the raw
//     spawn_sync binding, in-process hooks off, so only a watcher can stop them); for each,
//     spawn → killed (the watcher's kill time) and spawn → exit seen by the parent. With
//     `--watcher thread`, the in-process watcher thread of the default layer (only this part
//     runs); by default the opt-in external extension, alone (the thread off), and then:
//  2. CPU while watching an idle function, and the extension's peak RSS;
//  3. init: the init phase with and without the extension (alternating sandboxes), and the
//     extension's own start-to-registered time;
//  4. post-runtime duration (platform.report) over many warm invokes, with and without it.
// Usage: node bench/extension.mjs [--runtime nodejs24.x] [--spawns 120] [--inits 10] [--invokes 200]
//          [--watcher extension|thread]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const lib = require(join(root, 'dist', 'lib.cjs'));
const { values } = parseArgs({
  options: {
    runtime: { type: 'string' },
    spawns: { type: 'string', default: '120' },
    inits: { type: 'string', default: '10' },
    invokes: { type: 'string', default: '200' },
    'idle-ms': { type: 'string', default: '5000' },
    watcher: { type: 'string', default: 'extension' },
  },
});
const runtime = values.runtime ?? ['nodejs24.x', 'nodejs22.x', 'nodejs20.x'].find((r) => lib.findNode(r));
const nodeBin = lib.findNode(runtime);
const client = lib.findAwsClient(runtime, root) ?? lib.builtinClient(root);
const fnDir = join(root, 'test', 'fixtures', 'functions', 'extension');
const enforce = JSON.stringify({ version: 1, mode: 'enforce' });
const thread = values.watcher === 'thread';
const enforceLayer = {
  policy: lib.parsePolicy('policy.json', enforce).policy,
  policyJson: enforce,
  extension: !thread,
};
/** The extension measured alone: the in-process watcher thread off. */
const EXTENSION_ALONE = { WARDEN_WATCHER: 'off' };
const watcherLayer = thread ? 'watcher' : 'extension';

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? +s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2) : null;
};
const stat = (all) => {
  const xs = all.filter((x) => typeof x === 'number');
  return { n: xs.length, p50: pct(xs, 0.5), p95: pct(xs, 0.95), max: pct(xs, 1) };
};

async function run({ handler, events, layer, env = {}, timeoutSec = 10 }) {
  const results = [];
  const findings = [];
  let stats;
  await lib.runSandbox({
    packageRoot: root,
    functionDir: fnDir,
    settings: lib.localSettings({ functionName: 'bench-ext', handler, memoryMb: 1024, timeoutSec, runtime }),
    nodeBin,
    client,
    events: events.map((e) => ({ payload: Buffer.from(JSON.stringify(e)) })),
    layer,
    extraLayers: [],
    userEnv: env,
    onResult: (r) => results.push(r),
    onFinding: (line) => findings.push(JSON.parse(line)),
    onLog: (_source, line) => {
      const at = line.indexOf('warden-extension: {');
      if (at >= 0) stats = JSON.parse(line.slice(line.indexOf('{', at)));
    },
  });
  return { results, findings, stats };
}

// 1. Detection latency: spawns with a pause before each (the watcher at rest, polling at its
// base interval), and back to back (the watcher in its fast burst mode).
const spawns = Number(values.spawns);
async function detection(gapMs) {
  const r = await run({
    handler: 'index.spawnMany',
    events: [{ count: spawns, file: '/bin/sleep', args: ['sleep', '5'], gapMs }],
    layer: enforceLayer,
    env: { WARDEN_DISABLE_HOOKS: 'process', ...(thread ? {} : EXTENSION_ALONE) },
    timeoutSec: 600,
  });
  const killedAt = new Map();
  for (const f of r.findings) {
    const d = f.evidences?.[0]?.data;
    if (f.unmapped?.layer === watcherLayer && d?.killed_at)
      killedAt.set(f.evidences[0].process.pid, d.killed_at);
  }
  const startToKill = [];
  const startToExit = [];
  let killed = 0;
  for (const s of r.results[0].response) {
    if (s.signal === 'SIGKILL') killed++;
    startToExit.push(s.end - s.start);
    if (killedAt.has(s.pid)) startToKill.push(killedAt.get(s.pid) - s.start);
  }
  return {
    spawns,
    gap_ms: gapMs,
    killed,
    start_to_kill_ms: stat(startToKill),
    start_to_exit_ms: stat(startToExit),
    stats: r.stats,
  };
}
const isolated = await detection(200);
const burst = await detection(0);
const lat = { stats: isolated.stats };
delete isolated.stats;
delete burst.stats;
if (thread) {
  console.log(
    JSON.stringify(
      { runtime, client: client.label, watcher: 'thread', detection: { isolated, back_to_back: burst } },
      null,
      2,
    ),
  );
  process.exit(0);
}

// 2. Idle watching.
// The extension prints its figures when it shuts down; a run whose line did not arrive (seen
// once in a full bench on this VM, not reproduced) is run again rather than reported as null.
let idle;
for (let attempt = 0; attempt < 3 && !idle?.stats; attempt++) {
  idle = await run({
    handler: 'index.wait',
    events: [{ ms: Number(values['idle-ms']) }],
    layer: { extension: true },
    env: EXTENSION_ALONE,
    timeoutSec: 60,
  });
  if (!idle.stats) process.stderr.write('bench: the extension did not report its figures; running again\n');
}

// 3. Init, with and without the extension, alternating.
const inits = { with: [], without: [], registered: [] };
for (let i = 0; i < Number(values.inits); i++) {
  for (const variant of i % 2 ? ['without', 'with'] : ['with', 'without']) {
    const r = await run({
      handler: 'index.wait',
      events: [{ ms: 0 }],
      layer: { extension: variant === 'with' },
      env: EXTENSION_ALONE,
    });
    inits[variant].push(r.results[0].initDurationMs);
    if (variant === 'with' && r.stats) inits.registered.push(r.stats.registeredMs);
  }
}

// 4. Post-runtime duration over warm invokes, with and without the extension.
const post = {};
for (const variant of ['with', 'without']) {
  const r = await run({
    handler: 'index.wait',
    events: Array.from({ length: Number(values.invokes) }, () => ({ ms: 0 })),
    layer: { extension: variant === 'with' },
    env: EXTENSION_ALONE,
  });
  post[variant] = r.results.slice(1).map((x) => x.postRuntimeDurationMs);
  if (variant === 'with') post.rss = r.stats?.maxRssKb;
}

const summary = {
  runtime,
  client: client.label,
  watch_interval_ms: idle.stats?.watcher?.intervalMs,
  detection: { isolated, back_to_back: burst },
  idle_watch: {
    wall_ms: idle.stats?.sinceFirstInvoke?.wallMs,
    cpu_ms: idle.stats?.sinceFirstInvoke?.cpuMs,
    cpu_percent_of_one_core: idle.stats?.sinceFirstInvoke
      ? +((100 * idle.stats.sinceFirstInvoke.cpuMs) / idle.stats.sinceFirstInvoke.wallMs).toFixed(2)
      : null,
    ticks: idle.stats?.watcher?.ticks,
  },
  extension_rss_mb: {
    idle: idle.stats ? +(idle.stats.maxRssKb / 1024).toFixed(1) : null,
    after_spawns: lat.stats ? +(lat.stats.maxRssKb / 1024).toFixed(1) : null,
    after_invokes: post.rss ? +(post.rss / 1024).toFixed(1) : null,
  },
  init_ms: {
    with_extension: stat(inits.with),
    without_extension: stat(inits.without),
    added_p50: +(pct(inits.with, 0.5) - pct(inits.without, 0.5)).toFixed(2),
    extension_registered_after_ms: stat(inits.registered),
  },
  post_runtime_ms: { with_extension: stat(post.with), without_extension: stat(post.without) },
};
console.log(JSON.stringify(summary, null, 2));
