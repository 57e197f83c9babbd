// Warm-invoke latency and init time through the local Lambda sandbox, with and without the
// Warden layer, alternating blocks of invokes (A B A B …) so machine drift cancels. Each block
// is a fresh sandbox: its first invoke gives an init time, the rest are warm invokes.
// Memory: the runtime's RSS after each block's last invoke (Warden's minus plain's) plus every
// external extension's, together `memory_added_mb`.
// Usage: node bench/sandbox-invoke.mjs [--runtime nodejs24.x] [--blocks 10] [--per-block 26]
//          [--function trivial|flood|spawner] [--extension] [--memory 1024] [--policy FILE]
//          [--trace-startup]
// --function flood: every invocation makes fresh findings (bench/functions/flood).
// --function spawner: every invocation starts `true`, which its policy allows (the watcher runs).
// --extension: the layer with its opt-in external extension (default: without, as `warden layer build`).
import { readFileSync } from 'node:fs';
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
    blocks: { type: 'string', default: '10' },
    'per-block': { type: 'string', default: '26' },
    client: { type: 'string', default: 'aws' },
    function: { type: 'string', default: 'trivial' },
    policy: { type: 'string' },
    'trace-startup': { type: 'boolean', default: false },
    extension: { type: 'boolean', default: false },
    memory: { type: 'string', default: '1024' },
  },
});
const runtime = values.runtime ?? ['nodejs24.x', 'nodejs22.x', 'nodejs20.x'].find((r) => lib.findNode(r));
const nodeBin = lib.findNode(runtime);
const client = values.client === 'aws' ? lib.findAwsClient(runtime, root) : lib.builtinClient(root);
if (!nodeBin || !client) throw new Error(`${runtime}: no node or no runtime client here`);
const blocks = Number(values.blocks);
// The policy a function ships with (the layer's policy.json), where it needs one.
const POLICIES = { spawner: { version: 1, process: { allow: [{ exe: 'true' }] } } };
const policy = values.policy ? JSON.parse(readFileSync(values.policy, 'utf8')) : POLICIES[values.function];
const parsedPolicy = policy ? lib.parsePolicy('policy.json', JSON.stringify(policy)).policy : undefined;
const layer = {
  ...(values.extension ? { extension: true } : {}),
  // Compiled as `warden layer build --policy` compiles it (validated, normalized, its digest),
  // with the permission-model flags it computes (nodePermissions: auto in enforce mode).
  ...(parsedPolicy ? { policyJson: lib.compiledJson(parsedPolicy), policy: parsedPolicy } : {}),
};
const perBlock = Number(values['per-block']);

const samples = {
  warden: { warm: [], init: [], rss: [], ext: [] },
  plain: { warm: [], init: [], rss: [], ext: [] },
};
for (let b = 0; b < blocks; b++) {
  for (const variant of b % 2 ? ['plain', 'warden'] : ['warden', 'plain']) {
    let done = 0;
    const events = Array.from({ length: perBlock }, (_, n) => ({
      payload: Buffer.from(JSON.stringify({ n })),
    }));
    await lib.runSandbox({
      packageRoot: root,
      functionDir: join(root, 'bench', 'functions', values.function),
      settings: lib.localSettings({
        functionName: 'bench',
        handler: 'index.handler',
        memoryMb: Number(values.memory),
        timeoutSec: 10,
        runtime,
      }),
      nodeBin,
      client,
      events,
      noWarden: variant === 'plain',
      ...(Object.keys(layer).length > 0 ? { layer } : {}),
      extraLayers: [],
      // --trace-startup: the sensor's start-up phases (and who first needed the judge chunk).
      userEnv: values['trace-startup'] && variant !== 'plain' ? { WARDEN_TRACE_STARTUP: '1' } : {},
      onResult: (r) => {
        if (r.status !== 'success') throw new Error(`invoke failed: ${JSON.stringify(r)}`);
        if (r.initDurationMs !== undefined) samples[variant].init.push(r.initDurationMs);
        else samples[variant].warm.push(r.durationMs);
        // The runtime process's RSS after the block's last warm invoke (init and every invoke done).
        if (++done === perBlock) {
          if (r.runtimeRssMb !== undefined) samples[variant].rss.push(r.runtimeRssMb);
          samples[variant].ext.push(r.extensionsRssMb ?? 0);
        }
      },
      onFinding: () => {},
      onLog: (_source, line) => {
        if (values['trace-startup']) process.stderr.write(`${line}\n`);
      },
    });
  }
}
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const summary = {};
for (const [variant, s] of Object.entries(samples))
  summary[variant] = {
    warm_invokes: s.warm.length,
    warm_p50_ms: pct(s.warm, 0.5),
    warm_p95_ms: pct(s.warm, 0.95),
    inits: s.init.length,
    init_p50_ms: pct(s.init, 0.5),
    runtime_rss_p50_mb: pct(s.rss, 0.5),
    extensions_rss_p50_mb: pct(s.ext, 0.5),
  };
summary.added = {
  warm_p50_ms: +(summary.warden.warm_p50_ms - summary.plain.warm_p50_ms).toFixed(2),
  init_p50_ms: +(summary.warden.init_p50_ms - summary.plain.init_p50_ms).toFixed(2),
  runtime_rss_mb: +(summary.warden.runtime_rss_p50_mb - summary.plain.runtime_rss_p50_mb).toFixed(1),
  // Everything Warden costs in memory: the runtime's growth plus its own processes.
  memory_mb: +(
    summary.warden.runtime_rss_p50_mb -
    summary.plain.runtime_rss_p50_mb +
    summary.warden.extensions_rss_p50_mb -
    summary.plain.extensions_rss_p50_mb
  ).toFixed(1),
};
console.log(
  JSON.stringify(
    {
      runtime,
      client: client.label,
      node: nodeBin,
      function: values.function,
      extension: values.extension,
      ...summary,
    },
    null,
    2,
  ),
);
