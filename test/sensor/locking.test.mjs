// Locking without the override mistake: every property the sensor hooks or locks stays
// impossible to replace or remove on its owner, yet assigning the same name on an object
// derived from the owner (or on a copy of its descriptors) works as in plain Node.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describe, findingsFor, REPORT, runSensor } from '../helpers.mjs';

// Every object the sensor hooks something on, reached as function code reaches it. The walk
// below records each own property's kind; run plain and under the sensor, the difference is
// the set of properties the sensor locked.
const OWNERS = `
const warn = process.emitWarning; process.emitWarning = () => {};
const b = (n) => { try { return process.binding(n); } catch { return undefined; } };
process.emitWarning = warn;
const fsb = b('fs'), pw = b('process_wrap'), tcp = b('tcp_wrap'), udp = b('udp_wrap'), cares = b('cares_wrap');
const owners = {
  globalThis,
  'Function.prototype': Function.prototype,
  'AsyncFunction.prototype': Object.getPrototypeOf(async () => {}),
  'GeneratorFunction.prototype': Object.getPrototypeOf(function* () {}),
  'AsyncGeneratorFunction.prototype': Object.getPrototypeOf(async function* () {}),
  process,
  WebAssembly,
  vm: require('vm'),
  worker_threads: require('worker_threads'),
  'Module.prototype': require('module').prototype,
  'net.Socket.prototype': require('net').Socket.prototype,
  'dgram.Socket.prototype': (require('dgram').createSocket('udp4').close(), require('dgram').Socket.prototype),
  'fs.Dir.prototype': require('fs').Dir.prototype,
  "binding('fs')": fsb,
  "binding('spawn_sync')": b('spawn_sync'),
  "binding('process_wrap').Process.prototype": pw && pw.Process.prototype,
  "binding('tcp_wrap')": tcp,
  "binding('tcp_wrap').TCP.prototype": tcp && tcp.TCP.prototype,
  "binding('udp_wrap')": udp,
  "binding('udp_wrap').UDP.prototype": udp && udp.UDP.prototype,
  "binding('cares_wrap')": cares,
  "binding('cares_wrap').ChannelWrap.prototype": cares && cares.ChannelWrap && cares.ChannelWrap.prototype,
  "binding('contextify')": b('contextify'),
};
const kinds = {};
for (const [name, o] of Object.entries(owners)) {
  if (!o) continue;
  for (const key of Reflect.ownKeys(o)) {
    const d = Object.getOwnPropertyDescriptor(o, key);
    kinds[name + ' ' + String(key)] = d.get || d.set ? 'accessor' + (d.configurable ? '' : '-locked') : d.writable ? 'data' : 'data-readonly';
  }
}
`;

const WALK = `${REPORT}${OWNERS}
record('kinds', kinds);
`;

/** The properties the sensor turned into locked accessors, as `owner key`. */
async function lockedProperties(opts) {
  const plain = await runSensor(WALK, { noSensor: true });
  const guarded = await runSensor(WALK, opts);
  assert.ok(plain.out.kinds && guarded.out.kinds, `${plain.stderr}${guarded.stderr}`);
  return Object.keys(guarded.out.kinds).filter(
    (k) =>
      guarded.out.kinds[k] === 'accessor-locked' &&
      plain.out.kinds[k] !== 'accessor-locked' &&
      // process.env stays assignable (a new object is guarded in turn): secrets.test.mjs covers it.
      k !== 'process env',
  );
}

const ENFORCE_EVAL = { mode: 'enforce', policy: 'version: 1\ncode: { eval: deny }\n' };

test('every locked property: refused on its owner, free on derived objects and copies, as in plain Node', async () => {
  for (const opts of [{ mode: 'monitor' }, ENFORCE_EVAL]) {
    const locked = await lockedProperties(opts);
    // The walk must see the sensor's locks, not pass on an empty list.
    for (const must of [
      'Function.prototype constructor',
      'AsyncFunction.prototype constructor',
      "binding('spawn_sync') spawn",
      "binding('process_wrap').Process.prototype spawn",
      "binding('fs') open",
      "binding('udp_wrap').UDP.prototype connect",
      "binding('udp_wrap').UDP.prototype send",
      "binding('tcp_wrap').TCP.prototype connect",
      'process dlopen',
      'process kill',
      'WebAssembly Module',
      'vm runInThisContext',
      'worker_threads Worker',
    ])
      assert.ok(locked.includes(must), `${must} is not among the locked properties: ${locked.join(', ')}`);
    if (opts === ENFORCE_EVAL) assert.ok(locked.includes('globalThis eval'), locked.join(', '));
    const r = await runSensor(
      `${WALK.replace("record('kinds', kinds);", '')}
      'use strict';
      const locked = ${JSON.stringify(locked)};
      const failures = [];
      const keyOf = (name) => {
        const m = /^Symbol\\((.*)\\)$/.exec(name);
        if (!m) return name;
        return m[1].startsWith('Symbol.') ? Symbol[m[1].slice(7)] : Symbol.for(m[1]);
      };
      const ownerOf = (k) => { const i = k.lastIndexOf(' '); return [owners[k.slice(0, i)], keyOf(k.slice(i + 1))]; };
      for (const k of locked) {
        const [o, key] = ownerOf(k);
        const before = o[key];
        const fail = (what) => failures.push(k + ': ' + what);
        (function () { 'use strict';
          try { o[key] = function replaced() {}; fail('assignment on the owner went through'); } catch (e) { if (!(e instanceof TypeError)) fail('assignment threw ' + e); }
          try { delete o[key]; fail('delete went through'); } catch (e) { if (!(e instanceof TypeError)) fail('delete threw ' + e); }
          try { Object.defineProperty(o, key, { value: 1 }); fail('defineProperty went through'); } catch (e) { if (!(e instanceof TypeError)) fail('defineProperty threw ' + e); }
          if (o[key] !== before) fail('the hook changed');
          // Derived object: a plain own data property, as plain Node makes it.
          const derived = Object.create(o);
          try { derived[key] = 42; } catch (e) { fail('assignment on a derived object threw: ' + e.message); }
          const d = Object.getOwnPropertyDescriptor(derived, key);
          if (!d || d.value !== 42 || !d.writable || !d.enumerable || !d.configurable) fail('derived property: ' + JSON.stringify(d));
          try { derived[key] = 43; if (derived[key] !== 43) fail('derived reassignment lost'); } catch (e) { fail('derived reassignment threw: ' + e.message); }
          // A copy of the owner's descriptors (graceful-fs clones fs this way), then patched.
          const copy = {};
          Object.defineProperty(copy, key, Object.getOwnPropertyDescriptor(o, key));
          if (copy[key] !== before) fail('a copy does not read the hook');
          try { copy[key] = 44; if (copy[key] !== 44) fail('a copy does not read back what was assigned'); } catch (e) { fail('assignment on a copy threw: ' + e.message); }
          if (o[key] !== before) fail('the hook changed through a derived object or a copy');
        })();
      }
      record('checked', locked.length);
      record('failures', failures);
    `,
      opts,
    );
    assert.equal(r.out.checked, locked.length, r.stderr);
    assert.deepEqual(r.out.failures, [], `${opts.mode}: ${JSON.stringify(r.out.failures, null, 1)}`);
  }
});

test('the override mistake is gone: npm and Node code that assigns a locked name on a derived object works', async () => {
  const body = `${REPORT}
  'use strict';
  // axios 1.0–1.13 (utils.extend with allOwnKeys): assigns constructor on a function it made.
  try { const wrap = function wrap() {}; wrap.constructor = Object; record('functionConstructor', wrap.constructor === Object); } catch (e) { record('functionConstructor', e.message); }
  // Classes and instances that set their own constructor property.
  try { const o = Object.create(Function.prototype); o.constructor = 1; record('derivedFromFunctionPrototype', o.constructor); } catch (e) { record('derivedFromFunctionPrototype', e.message); }
  // Node's dgram for udp6 assigns handle.connect = handle.connect6 on the UDP handle.
  try { const s = require('dgram').createSocket('udp6'); s.close(); record('udp6', 'ok'); } catch (e) { record('udp6', e.message); }
  // pirates / ts-node style: a module's own _compile, replaced on the instance.
  try { const M = require('module'); const m = new M('x'); m._compile = function () { return 'mine'; }; record('moduleCompile', m._compile()); } catch (e) { record('moduleCompile', e.message); }
  `;
  const plain = await runSensor(body, { noSensor: true });
  for (const opts of [{ mode: 'monitor' }, ENFORCE_EVAL]) {
    const r = await runSensor(body, opts);
    assert.deepEqual(r.out, plain.out, `${opts.mode}: ${r.stderr}`);
    assert.equal(r.out.udp6, 'ok');
    assert.equal(r.out.functionConstructor, true);
    assert.equal(findingsFor(r.findings, 'warden.sensor.fault').length, 0, describe(r.findings));
  }
});
