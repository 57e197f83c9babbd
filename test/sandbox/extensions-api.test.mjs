// Extensions API 2020-01-01 and Telemetry API 2022-07-01 conformance, through a test extension
// (test/fixtures/layers/probe) in a --layer: registration, errors, INVOKE / SHUTDOWN payloads,
// and the telemetry stream (platform events, function logs) over HTTP and TCP.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { invoke, PROBE_LAYER, probeRecords } from '../sandbox-helpers.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function probeRun(
  mode = '',
  events = [{ value: 1 }, { value: 2 }],
  extra = [],
  handler = 'index.handler',
) {
  const r = await invoke('basic', handler, events, {
    args: [
      '--layer',
      PROBE_LAYER,
      '--env',
      'PROBE_LOG=$DIR/probe.jsonl',
      '--env',
      `PROBE_MODE=${mode}`,
      ...extra,
    ],
  });
  const recs = probeRecords(`${r.dir}/probe.jsonl`);
  return { ...r, recs, of: (kind) => recs.filter((x) => x.kind === kind) };
}

test('register: identifier header, function details, accountId on request, error codes', async () => {
  const r = await probeRun();
  try {
    assert.equal(r.code, 0, r.stderr);
    const [reg] = r.of('register');
    assert.equal(reg.status, 200);
    assert.match(reg.id, UUID);
    assert.deepEqual(reg.body, {
      functionName: 'basic',
      functionVersion: '$LATEST',
      handler: 'index.handler',
      accountId: '123456789012',
    });
    assert.equal(reg.env.fn, 'basic');
    assert.match(reg.env.key, /^ASIA[A-Z2-7]{16}$/, 'extensions get the function credentials');
    const [errors] = r.of('errors');
    assert.deepEqual(errors, {
      ...errors,
      again: [409, 'Extension.AlreadyRegistered'],
      noId: 403,
      badId: 403,
      badSub: 400,
      badBuffer: 400,
    });
    assert.equal(r.of('subscribe')[0].status, 200);
  } finally {
    r.cleanup();
  }
});

test('INVOKE per invoke with the request id, deadline, ARN and trace; SHUTDOWN spindown at the end', async () => {
  const before = Date.now();
  const r = await probeRun();
  try {
    assert.equal(r.results.length, 2, r.stderr);
    const events = r.of('event').map((e) => e.event);
    assert.deepEqual(
      events.map((e) => e.eventType),
      ['INVOKE', 'INVOKE', 'SHUTDOWN'],
    );
    for (const [i, e] of events.slice(0, 2).entries()) {
      assert.equal(e.requestId, r.results[i].requestId);
      assert.equal(e.invokedFunctionArn, 'arn:aws:lambda:us-east-1:123456789012:function:basic');
      assert.ok(e.deadlineMs > before && e.deadlineMs <= Date.now() + 3000, String(e.deadlineMs));
      assert.equal(e.tracing.type, 'X-Amzn-Trace-Id');
      assert.match(e.tracing.value, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0/);
    }
    const shutdown = events[2];
    assert.equal(shutdown.shutdownReason, 'spindown');
    assert.ok(shutdown.deadlineMs > Date.now() - 60_000);
    for (const e of r.of('event')) assert.match(e.eventId, UUID);
    // The function's response: the trace id it saw is the one the extension got.
    assert.equal(r.results[0].response.env.trace, events[0].tracing.value);
  } finally {
    r.cleanup();
  }
});

for (const transport of ['http', 'tcp']) {
  test(`telemetry over ${transport}: init, start, runtimeDone, report with metrics, function logs`, async () => {
    const r = await probeRun(transport === 'tcp' ? 'tcp' : '');
    try {
      assert.equal(r.code, 0, r.stderr);
      const [final] = r.of('final');
      assert.ok(final, `no final record: ${JSON.stringify(r.recs).slice(0, 500)}\n${r.stderr}`);
      const all = final.telemetry;
      const types = all.map((e) => e.type);
      for (const t of [
        'platform.initStart',
        'platform.extension',
        'platform.telemetrySubscription',
        'platform.initRuntimeDone',
        'platform.initReport',
        'platform.start',
        'platform.runtimeDone',
        'platform.report',
      ])
        assert.ok(types.includes(t), `${t} missing from ${types.join(',')}`);
      for (const e of all) assert.ok(!Number.isNaN(Date.parse(e.time)), e.time);
      const reports = all.filter((e) => e.type === 'platform.report');
      assert.equal(reports.length, 2, 'both invokes reported before SHUTDOWN');
      const [first, second] = reports.map((e) => e.record);
      assert.equal(first.requestId, r.results[0].requestId);
      assert.equal(first.status, 'success');
      for (const key of ['durationMs', 'billedDurationMs', 'memorySizeMB', 'maxMemoryUsedMB'])
        assert.equal(typeof first.metrics[key], 'number', key);
      assert.equal(first.metrics.memorySizeMB, 128);
      assert.equal(first.metrics.billedDurationMs, Math.ceil(first.metrics.durationMs));
      assert.ok(first.metrics.maxMemoryUsedMB > 10);
      assert.equal(typeof first.metrics.initDurationMs, 'number', 'initDurationMs on the first invoke');
      assert.equal(second.metrics.initDurationMs, undefined, 'and only there');
      const done = all.find((e) => e.type === 'platform.runtimeDone').record;
      assert.equal(done.status, 'success');
      assert.equal(typeof done.metrics.durationMs, 'number');
      assert.ok(done.metrics.producedBytes > 0);
      assert.deepEqual(
        done.spans.map((s) => s.name),
        ['responseLatency', 'responseDuration'],
      );
      const initReport = all.find((e) => e.type === 'platform.initReport').record;
      assert.equal(initReport.status, 'success');
      assert.equal(initReport.initializationType, 'on-demand');
      assert.equal(typeof initReport.metrics.durationMs, 'number');
      // One per extension (Warden's registers too, in whichever order they come up).
      const ext = all.find((e) => e.type === 'platform.extension' && e.record.name === 'probe').record;
      assert.deepEqual(ext, { name: 'probe', state: 'Ready', events: ['INVOKE', 'SHUTDOWN'] });
      const sub = all.find(
        (e) => e.type === 'platform.telemetrySubscription' && e.record.name === 'probe',
      ).record;
      assert.deepEqual(sub, {
        name: 'probe',
        state: 'Subscribed',
        types: ['platform', 'function', 'extension'],
      });
      // The extension's own log line, as an extension record.
      assert.ok(all.some((e) => e.type === 'extension' && String(e.record).includes('probe ready')));
      // Batches, not one request per event.
      assert.ok(r.of('telemetry').some((b) => b.types.length > 1));
    } finally {
      r.cleanup();
    }
  });
}

/** The function log records the probe received, with the whole stream it got before exiting. */
function functionLogs(r) {
  const [final] = r.of('final');
  assert.ok(final, r.stderr);
  return {
    all: final.telemetry,
    logs: final.telemetry.filter((e) => e.type === 'function').map((e) => e.record),
  };
}

test('telemetry: function log lines reach the extension, schema 2022-07-01 has no spans', async () => {
  const r = await probeRun('schema-2022-07-01', [{ value: 1 }], [], 'index.log');
  try {
    const { all, logs } = functionLogs(r);
    const done = all.find((e) => e.type === 'platform.runtimeDone');
    assert.equal(done.record.spans, undefined);
    assert.equal(done.record.status, 'success');
    assert.ok(
      logs.some(
        (l) => typeof l === 'string' && l.includes('hello-log 1') && l.includes(r.results[0].requestId),
      ),
      JSON.stringify(logs),
    );
  } finally {
    r.cleanup();
  }
});

test('telemetry: with the JSON log format, function records are objects', async () => {
  const r = await probeRun('', [{ value: 2 }], ['--env', 'AWS_LAMBDA_LOG_FORMAT=JSON'], 'index.log');
  try {
    const { logs } = functionLogs(r);
    const line = logs.find((l) => typeof l === 'object' && String(l.message).includes('hello-log'));
    assert.ok(line, JSON.stringify(logs));
    assert.equal(line.requestId, r.results[0].requestId);
    assert.equal(line.level, 'INFO');
  } finally {
    r.cleanup();
  }
});

test('an extension registered for INVOKE only gets no SHUTDOWN and the sandbox still ends', async () => {
  const r = await probeRun('invoke-only', [{ value: 1 }]);
  try {
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.of('event').map((e) => e.event.eventType),
      ['INVOKE'],
    );
  } finally {
    r.cleanup();
  }
});
