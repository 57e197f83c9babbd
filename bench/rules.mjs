// What the detection rules cost per event: the policy's judgement alone against the policy plus
// every default rule and detector, on a mix of the events a function makes (reads, writes,
// connects, DNS, spawns, generated code), with an invocation input to read and without.
// Alternating rounds, medians, ns per event. `npm run bench:rules`.
import { createRequire } from 'node:module';

const lib = createRequire(import.meta.url)('../dist/lib.cjs');
const policy = lib.compilePolicy(lib.defaultPolicy(), {
  runtimeApi: '127.0.0.1:9001',
  taskRoot: '/var/task',
});
const engine = lib.createEngine(lib.compileRules(lib.mergeRules(lib.DEFAULT_RULES, [], '')));
const events = [
  { surface: 'files', op: 'read', api: 'open', requested: '/tmp/in.json', path: '/tmp/in.json' },
  { surface: 'files', op: 'write', api: 'open', requested: '/tmp/out.json', path: '/tmp/out.json' },
  {
    surface: 'network',
    op: 'connect',
    api: 'tcp_wrap.connect',
    protocol: 'tcp',
    host: 'dynamodb.us-east-1.amazonaws.com',
    ip: '52.94.0.1',
    port: 443,
  },
  {
    surface: 'network',
    op: 'dns',
    api: 'dns.lookup',
    protocol: 'dns',
    host: 'dynamodb.us-east-1.amazonaws.com',
    port: 53,
  },
  {
    surface: 'process',
    op: 'spawn',
    api: 'spawn_sync',
    file: 'convert',
    exe: '/usr/bin/convert',
    argv: ['convert', '/tmp/a.png', '/tmp/a.pdf'],
  },
  { surface: 'code', op: 'function', api: 'new Function', target: 'return a + b' },
];
const input = lib.taintedInputs({
  httpMethod: 'POST',
  path: '/convert',
  requestContext: {},
  headers: { 'content-type': 'application/json', 'user-agent': 'Mozilla/5.0' },
  queryStringParameters: { page: '2', sort: 'date' },
  body: JSON.stringify({ name: 'quarterly report', items: [{ sku: 'A-1', qty: 2 }] }),
});
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const N = 20000;
function run(withRules, withInput) {
  const state = lib.newDetectState();
  const ctx = {
    packageOf: () => '<function>',
    policy,
    state,
    layer: 'sensor',
    ...(withInput ? { inputs: () => input } : {}),
  };
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const ev = events[i % events.length];
    const v = lib.decide(policy, ev, ctx.packageOf);
    if (withRules) lib.evaluate(engine, ev, ctx, { policyAllowed: false });
    if (v === 42) throw new Error('unreachable');
  }
  return Number(process.hrtime.bigint() - t) / N;
}
const rounds = Number(process.env.ROUNDS ?? 15);
const r = { policy: [], rules: [], rulesInput: [] };
for (let i = 0; i < 3; i++) run(true, true); // warm up
for (let i = 0; i < rounds; i++) {
  r.policy.push(run(false, false));
  r.rules.push(run(true, false));
  r.rulesInput.push(run(true, true));
}
const out = {
  policy_ns_per_event: Math.round(median(r.policy)),
  policy_and_rules_ns_per_event: Math.round(median(r.rules)),
  policy_and_rules_with_input_ns_per_event: Math.round(median(r.rulesInput)),
  rules_added_ns_per_event: Math.round(median(r.rules) - median(r.policy)),
  rules_with_input_added_ns_per_event: Math.round(median(r.rulesInput) - median(r.policy)),
  rules: engine.rules.length,
};
console.log(JSON.stringify(out, null, 2));
