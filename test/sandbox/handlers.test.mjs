// The handler swap loads every kind of handler the Node.js runtime loads, with and without
// Warden: CommonJS, nested paths and exports, ES modules ("type": "module", .mjs, top-level
// await), callback-style (refused on nodejs24.x, as Lambda's Node 24 runtime does), response
// streaming; and the environment Lambda gives the function.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NODE_MAJOR } from '../helpers.mjs';
import { invoke } from '../sandbox-helpers.mjs';

const MODES = [
  ['with Warden', []],
  ['without Warden', ['--no-warden']],
];

for (const [label, args] of MODES) {
  test(`handlers load as the runtime loads them (${label})`, async () => {
    const cases = [
      ['basic', 'src/app.nested.deeper.handler', { nested: true, echo: 7 }],
      [
        'esm',
        'index.handler',
        { format: 'esm', started: 'top-level await ran', echo: 7, typeofRequire: 'function' },
      ],
      ['mjs', 'app.handler', { format: 'mjs', echo: 7 }],
      ['basic', 'index.text', 'plain text'],
      ['basic', 'index.loadedBy', { parent: NODE_MAJOR >= 24 ? 'none' : 'object' }],
    ];
    for (const [fn, handler, expected] of cases) {
      const r = await invoke(fn, handler, [{ value: 7 }], { args });
      try {
        assert.equal(r.results[0]?.status, 'success', `${fn} ${handler}: ${r.stderr}`);
        assert.deepEqual(r.results[0].response, expected);
      } finally {
        r.cleanup();
      }
    }
  });

  test(`callback-style handlers (${label})`, async () => {
    const r = await invoke('basic', 'index.callback', [{ value: 'cb' }], { args });
    try {
      const [res] = r.results;
      if (NODE_MAJOR >= 24) {
        assert.equal(res.status, 'error');
        assert.equal(res.error.errorType, 'Runtime.CallbackHandlerDeprecated', JSON.stringify(res));
      } else {
        assert.deepEqual(res.response, { style: 'callback', echo: 'cb' }, r.stderr);
      }
    } finally {
      r.cleanup();
    }
  });

  test(`response streaming, and a stream that fails (${label})`, async () => {
    const r = await invoke('streaming', 'index.handler', [{ value: 'a' }, { value: 'b', fail: true }], {
      args,
    });
    try {
      const [ok, failed] = r.results;
      assert.equal(ok.status, 'success', r.stderr);
      assert.equal(ok.response, 'chunk-1;echo-a;done');
      assert.equal(failed.status, 'error');
      assert.match(failed.error.errorMessage, /stream broke/);
    } finally {
      r.cleanup();
    }
  });
}

test('errors thrown by the handler are reported with their type and message', async () => {
  const r = await invoke('basic', 'index.fail', [{}]);
  try {
    assert.deepEqual(r.results[0].error, { errorType: 'CustomError', errorMessage: 'the handler failed' });
    assert.equal(r.results[0].status, 'error');
  } finally {
    r.cleanup();
  }
});

test('a response over 6 MB fails as Function.ResponseSizeTooLarge', async () => {
  const r = await invoke('basic', 'index.big', [{}]);
  try {
    assert.equal(r.results[0].status, 'error');
    assert.equal(
      r.results[0].error.errorType,
      'Function.ResponseSizeTooLarge',
      JSON.stringify(r.results[0].error),
    );
  } finally {
    r.cleanup();
  }
});

test("Lambda's environment: variables, memory flags, --env, reserved names kept, the handler swap", async () => {
  const r = await invoke('basic', 'index.handler', [{ value: 1 }], {
    args: [
      '--memory',
      '512',
      '--env',
      'USER_VAR=hello',
      '--env',
      'AWS_REGION=evil-1',
      '--env',
      'NODE_OPTIONS=--no-warnings',
    ],
  });
  try {
    const res = r.results[0].response;
    assert.equal(res.env.fn, 'basic');
    assert.equal(res.env.handler.endsWith('/warden/handler.handler'), true, res.env.handler);
    assert.equal(res.env.wardenHandler, 'index.handler');
    assert.equal(res.env.region, 'us-east-1', '--env cannot override a reserved variable');
    assert.equal(res.env.execEnv, `AWS_Lambda_nodejs${NODE_MAJOR}.x`);
    assert.equal(res.env.memory, '512');
    assert.equal(res.env.tz, ':UTC');
    assert.equal(res.env.user, 'hello');
    assert.match(
      res.env.nodeOptions,
      /^--require ".*\/warden\/sensor\.cjs" --no-warnings$/,
      'the user options are kept',
    );
    assert.ok(res.execArgv.includes('--max-old-space-size=504'), res.execArgv.join(' '));
    assert.ok(res.execArgv.includes('--max-semi-space-size=4'));
    assert.equal(res.node.split('.')[0], String(NODE_MAJOR));
    assert.equal(res.sensor, 'object');
    assert.ok(res.remaining > 0 && res.remaining <= 3000);
    assert.equal(res.arn, 'arn:aws:lambda:us-east-1:123456789012:function:basic');
  } finally {
    r.cleanup();
  }
});

test('--no-warden runs the same function without the layer', async () => {
  const r = await invoke('basic', 'index.handler', [{}], { args: ['--no-warden'] });
  try {
    const res = r.results[0].response;
    assert.equal(res.sensor, 'undefined');
    assert.equal(res.env.handler, 'index.handler');
    assert.equal(res.env.wardenHandler, undefined);
  } finally {
    r.cleanup();
  }
});

test('canary credentials are fresh on every run', async () => {
  const a = await invoke('basic', 'index.secret', [{}], { args: ['--no-warden'] });
  const b = await invoke('basic', 'index.secret', [{}], { args: ['--no-warden'] });
  try {
    const [ka, kb] = [a.results[0].response, b.results[0].response];
    assert.match(ka.key, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(ka.secret.length, 40);
    assert.notEqual(ka.key, kb.key);
    assert.notEqual(ka.secret, kb.secret);
  } finally {
    a.cleanup();
    b.cleanup();
  }
});

test('the built-in runtime client runs the same handlers', async () => {
  const r = await invoke('esm', 'index.handler', [{ value: 2 }], { client: 'builtin' });
  try {
    assert.equal(r.results[0].response.format, 'esm', r.stderr);
    assert.match(r.stderr, /built-in runtime client/);
  } finally {
    r.cleanup();
  }
});
