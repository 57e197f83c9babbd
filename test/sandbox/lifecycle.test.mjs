// Lifecycle: freeze between invokes, timeouts, crashes, init errors, post-runtime time,
// shutdown of extensions that do not exit, each reported as Lambda reports it.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from '../helpers.mjs';
import { FUNCTIONS, invoke, PROBE_LAYER, probeRecords, RUNTIME } from '../sandbox-helpers.mjs';

const require = createRequire(import.meta.url);
const lib = require('../../dist/lib.cjs');

test('the runtime is frozen between invokes: its timers do not run, its state is stopped', async () => {
  const { dir, cleanup } = tempDir('warden-freeze-');
  const ticks = join(dir, 'ticks');
  const states = [];
  const results = [];
  try {
    const client = lib.findAwsClient(RUNTIME, ROOT) ?? lib.builtinClient(ROOT);
    const event = { payload: Buffer.from(JSON.stringify({ file: ticks })) };
    await lib.runSandbox({
      packageRoot: ROOT,
      functionDir: join(FUNCTIONS, 'basic'),
      settings: {
        functionName: 'freeze',
        functionVersion: '$LATEST',
        handler: 'index.ticks',
        memoryMb: 128,
        timeoutSec: 3,
        region: 'us-east-1',
        accountId: '123456789012',
        runtime: RUNTIME,
      },
      nodeBin: lib.findNode(RUNTIME),
      client,
      events: [event, event],
      extraLayers: [],
      userEnv: {},
      beforeInvoke: async (i, sandbox) => {
        if (i === 0) return;
        const pid = sandbox.processIds.runtime;
        const before = readFileSync(ticks, 'utf8').length;
        await new Promise((r) => setTimeout(r, 400));
        states.push(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0]);
        states.push(readFileSync(ticks, 'utf8').length - before);
      },
      onResult: (r) => results.push(r),
      onFinding: () => {},
      onLog: () => {},
    });
    assert.equal(results.length, 2);
    assert.equal(states[0], 'T', 'the runtime process is stopped between invokes');
    assert.equal(states[1], 0, 'no tick while frozen (a 10 ms timer over 400 ms)');
  } finally {
    cleanup();
  }
});

test('a timeout ends the invoke with Sandbox.Timedout and the next invoke gets a fresh environment', async () => {
  const r = await invoke('basic', 'index.sleep', [{ ms: 5000 }, { ms: 1 }], { args: ['--timeout', '1'] });
  try {
    const [slow, next] = r.results;
    assert.equal(slow.status, 'timeout', r.stderr);
    assert.deepEqual(slow.error, {
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 1.00 seconds',
    });
    assert.ok(slow.durationMs >= 990 && slow.durationMs < 3000, String(slow.durationMs));
    assert.equal(next.status, 'success');
    assert.deepEqual(next.response, { slept: 1 });
    assert.equal(typeof next.initDurationMs, 'number', 're-initialised after the timeout');
  } finally {
    r.cleanup();
  }
});

test('a runtime crash is Runtime.ExitError and the environment resets', async () => {
  const r = await invoke('basic', 'index.crash', [{}, {}]);
  try {
    assert.equal(r.results.length, 2, r.stderr);
    for (const res of r.results) {
      assert.equal(res.status, 'error');
      assert.equal(res.error.errorType, 'Runtime.ExitError');
      assert.match(
        res.error.errorMessage,
        new RegExp(`RequestId: ${res.requestId} Error: Runtime exited with error: exit status 7`),
      );
      assert.equal(typeof res.initDurationMs, 'number', 'each invoke after a crash starts a new environment');
    }
  } finally {
    r.cleanup();
  }
});

test('init errors: a module that throws, a missing module, a missing export, a malformed handler', async () => {
  const cases = [
    ['init-error', 'index.handler', 'Error', /configuration missing at init/],
    ['basic', 'nope.handler', 'Runtime.ImportModuleError', /Cannot find module 'nope'/],
    ['basic', 'index.absent', 'Runtime.HandlerNotFound', /index\.absent is undefined or not exported/],
    ['basic', 'index.env', 'Runtime.HandlerNotFound', /index\.env is undefined or not exported/],
  ];
  for (const [fn, handler, errorType, message] of cases) {
    for (const warden of [true, false]) {
      const r = await invoke(fn, handler, [{}], { args: warden ? [] : ['--no-warden'] });
      try {
        assert.equal(r.code, 0, r.stderr);
        const [res] = r.results;
        assert.equal(res.status, 'error', `${handler} warden=${warden}`);
        assert.equal(
          res.error.errorType,
          errorType,
          `${handler} warden=${warden}: ${JSON.stringify(res.error)}`,
        );
        assert.match(res.error.errorMessage, message);
      } finally {
        r.cleanup();
      }
    }
  }
});

test('post-runtime: the invoke ends when extensions call next again, and that time is measured', async () => {
  const r = await invoke('basic', 'index.handler', [{ value: 1 }, { value: 2 }], {
    args: ['--layer', PROBE_LAYER, '--env', 'PROBE_LOG=$DIR/probe.jsonl', '--env', 'PROBE_MODE=slow'],
  });
  try {
    assert.equal(r.results.length, 2, r.stderr);
    for (const res of r.results) {
      // The extension works 150 ms from the INVOKE event on, while the handler runs: the invoke
      // ends only when it is done, and what is left after the response is post-runtime time. (The
      // runtime's clock starts when it gets the event, which on a loaded machine trails the
      // extension's INVOKE by some ms: hence the slack.)
      const total = res.postRuntimeDurationMs + res.durationMs;
      assert.ok(total >= 110, `runtime ${res.durationMs} + post-runtime ${res.postRuntimeDurationMs}`);
      assert.ok(res.postRuntimeDurationMs > 0 && res.durationMs < total);
    }
    const [final] = probeRecords(`${r.dir}/probe.jsonl`).filter((x) => x.kind === 'final');
    const report = final.telemetry.find((e) => e.type === 'platform.report').record;
    assert.ok(report.metrics.durationMs >= 110, 'the billed duration includes post-runtime time');
    assert.ok(report.metrics.postRuntimeExtensionsDurationMs > 0);
  } finally {
    r.cleanup();
  }
});

test('extension failures: init/error and a crash before registering fail init; exit/error resets', async () => {
  const initError = await invoke('basic', 'index.handler', [{}], {
    args: ['--layer', PROBE_LAYER, '--env', 'PROBE_LOG=$DIR/probe.jsonl', '--env', 'PROBE_MODE=init-error'],
  });
  try {
    assert.deepEqual(initError.results[0].error, {
      errorType: 'Extension.ProbeFailed',
      errorMessage: 'probe refused to start',
    });
    const rec = probeRecords(`${initError.dir}/probe.jsonl`).find((x) => x.kind === 'init-error');
    assert.equal(rec.status, 202);
  } finally {
    initError.cleanup();
  }
  const crash = await invoke('basic', 'index.handler', [{}], {
    args: ['--layer', PROBE_LAYER, '--env', 'PROBE_MODE=crash-init'],
  });
  try {
    assert.equal(crash.results[0].error.errorType, 'Extension.Crash', crash.stderr);
    assert.match(crash.results[0].error.errorMessage, /probe exited \(exit status 3\)/);
  } finally {
    crash.cleanup();
  }
  const exitError = await invoke('basic', 'index.handler', [{ value: 1 }, { value: 2 }], {
    args: ['--layer', PROBE_LAYER, '--env', 'PROBE_LOG=$DIR/probe.jsonl', '--env', 'PROBE_MODE=exit-error'],
  });
  try {
    assert.equal(exitError.results[0].status, 'success', 'the runtime had answered');
    assert.equal(typeof exitError.results[1].initDurationMs, 'number', 'the environment was reset');
    assert.match(exitError.stderr, /Extension.ProbeExit/);
  } finally {
    exitError.cleanup();
  }
});

test('shutdown: an extension that ignores SHUTDOWN is killed at the deadline', async () => {
  const started = Date.now();
  const r = await invoke('basic', 'index.handler', [{}], {
    args: ['--layer', PROBE_LAYER, '--env', 'PROBE_LOG=$DIR/probe.jsonl', '--env', 'PROBE_MODE=linger'],
  });
  try {
    assert.equal(r.code, 0, r.stderr);
    assert.ok(probeRecords(`${r.dir}/probe.jsonl`).some((x) => x.kind === 'linger'));
    assert.match(r.stderr, /extension probe did not exit by the shutdown deadline: killed/);
    assert.ok(Date.now() - started < 10_000);
  } finally {
    r.cleanup();
  }
});

/** Whether this machine lets the sandbox make cgroups (root, a writable hierarchy). */
function cgroupsWritable() {
  for (const root of [
    '/sys/fs/cgroup/freezer',
    '/sys/fs/cgroup/unified',
    '/sys/fs/cgroup/pids',
    '/sys/fs/cgroup',
  ]) {
    const dir = `${root}/warden-probe-${process.pid}`;
    try {
      mkdirSync(dir);
      rmdirSync(dir);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

test('a daemon that double-forks out of the process tree does not outlive the sandbox', async (t) => {
  if (!cgroupsWritable())
    return t.skip('no writable cgroup hierarchy here: membership is the /proc tree only');
  const r = await invoke('basic', 'index.daemon', [{ pidFile: '$DIR/daemon.pid' }], {
    args: ['--mode', 'monitor'],
  });
  try {
    const { pid } = r.results[0].response ?? {};
    assert.ok(pid > 0, r.stderr);
    // Dead, or a zombie no init has reaped yet (a container's PID 1 may not reap).
    const running = () => {
      try {
        return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    let alive = running();
    for (let i = 0; i < 50 && alive; i++) {
      await new Promise((res) => setTimeout(res, 20));
      alive = running();
    }
    if (alive) process.kill(pid, 'SIGKILL'); // our own test's process: do not leak it
    assert.equal(alive, false, `daemon ${pid} survived the sandbox`);
  } finally {
    r.cleanup();
  }
});
