// Attribution that cannot be spoofed: packages proven by their manifest and by the code V8
// ran, frames read only through the sensor's own prepareStackTrace, loader hooks' source
// judged, and a package that calls another holds the other's permission only if it has it too.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { describe, findingsFor, REPORT, runSensor, SENSOR } from '../helpers.mjs';

const require = createRequire(import.meta.url);
/** The real AWS SDK credential reader (a devDependency through @aws-sdk/client-dynamodb). */
const SDK_FILE = require.resolve('@aws-sdk/credential-provider-env');
const SDK = JSON.stringify(SDK_FILE);
/** A code file (`.json`) outside any temp directory, as the module loader reads them. */
const SDK_MANIFEST = require.resolve('@aws-sdk/credential-provider-env/package.json');

const env = {
  AWS_ACCESS_KEY_ID: 'ASIACANARY',
  AWS_SECRET_ACCESS_KEY: 'CANARYSECRET',
  AWS_SESSION_TOKEN: 'CANARYTOKEN',
};
/** Only the SDK's credential reader may read the credentials. */
const policy = 'version: 1\nsecrets:\n  default: deny\n  allow: ["@aws-sdk/credential-provider-env"]\n';

/** A package `evil` in the function's node_modules, with the given files beside its index.js. */
function evilPackage(index, extra = {}, manifest = { name: 'evil', version: '1.0.0' }) {
  return {
    'node_modules/evil/package.json': JSON.stringify(manifest),
    'node_modules/evil/index.js': index,
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`node_modules/evil/${k}`, v])),
  };
}

/** Runs `body` under monitor and enforce; returns both runs. */
async function both(body, files, opts = {}) {
  const script = `${REPORT}\n${body}`;
  const common = { env, policy, files, ...opts };
  return {
    mon: await runSensor(script, { ...common, mode: 'monitor' }),
    enf: await runSensor(script, { ...common, mode: 'enforce' }),
  };
}

const secretFindings = (findings, verb) => findingsFor(findings, 'warden.secrets.read', verb);

test("the function calling the SDK's credential reader gets the credentials, with no finding", async () => {
  const r = await runSensor(
    `${REPORT}\nrequire(${SDK}).fromEnv()().then((c) => record('key', c.secretAccessKey), (e) => record('key', String(e)));`,
    { env, policy, mode: 'enforce' },
  );
  assert.equal(r.out.key, 'CANARYSECRET', JSON.stringify(r));
  assert.equal(secretFindings(r.findings).length, 0, describe(r.findings));
});

test("a package calling the SDK's credential reader does not borrow its permission (deputy rule)", async () => {
  const index = `module.exports = () => require(${SDK}).fromEnv()();`;
  const { mon, enf } = await both(
    "require('evil')().then((c) => record('key', c.secretAccessKey), (e) => record('key', e.name));",
    evilPackage(index),
  );
  assert.equal(mon.out.key, 'CANARYSECRET');
  const det = secretFindings(mon.findings, 'Detected');
  assert.ok(det.length >= 1, describe(mon.findings));
  assert.equal(det[0].unmapped.package, '@aws-sdk/credential-provider-env');
  assert.deepEqual(det[0].unmapped.acting_for, ['evil']);
  assert.match(
    det[0].finding_info.desc ?? JSON.stringify(det[0]),
    /by evil through @aws-sdk\/credential-provider-env/,
  );
  assert.notEqual(enf.out.key, 'CANARYSECRET', JSON.stringify(enf.out));
  assert.ok(secretFindings(enf.findings, 'Blocked').length >= 1, describe(enf.findings));
});

test("a package's own folder named node_modules/@aws-sdk/… is that package, not the SDK", async () => {
  const fake = 'exports.read = () => process.env.AWS_SECRET_ACCESS_KEY;';
  const files = evilPackage("module.exports = () => require('@aws-sdk/credential-provider-env').read();", {
    'node_modules/@aws-sdk/credential-provider-env/package.json': JSON.stringify({
      name: '@aws-sdk/credential-provider-env',
      version: '3.0.0',
    }),
    'node_modules/@aws-sdk/credential-provider-env/index.js': fake,
  });
  const { mon, enf } = await both("record('key', require('evil')());", files);
  const det = secretFindings(mon.findings, 'Detected');
  assert.ok(det.length >= 1, describe(mon.findings));
  assert.equal(det[0].unmapped.package, 'evil');
  assert.notEqual(enf.out.key, 'CANARYSECRET', JSON.stringify(enf.out));

  // The same folder as a dependency the package declares is what npm installs: the SDK's name.
  const declaring = {
    ...files,
    'node_modules/evil/package.json': JSON.stringify({
      name: 'evil',
      dependencies: { '@aws-sdk/credential-provider-env': '3.0.0' },
    }),
  };
  const run = (body) => runSensor(`${REPORT}\n${body}`, { env, policy, mode: 'enforce', files: declaring });
  const declared = await run("record('key', require('evil')());");
  assert.equal(declared.out.key, undefined, 'the deputy rule still holds: evil called it');
  const viaTop = await run(
    "record('key', require('./node_modules/evil/node_modules/@aws-sdk/credential-provider-env').read());",
  );
  assert.equal(viaTop.out.key, 'CANARYSECRET', describe(viaTop.findings));
});

const FORGERIES = {
  'vm filename': `require('vm').runInThisContext('(() => process.env.AWS_SECRET_ACCESS_KEY)', { filename: ${SDK} })`,
  'vm.Script filename': `new (require('vm').Script)('(() => process.env.AWS_SECRET_ACCESS_KEY)', ${SDK}).runInThisContext()`,
  'eval sourceURL': `eval('(() => process.env.AWS_SECRET_ACCESS_KEY)\\n//# sourceURL=' + ${SDK})`,
  'Function sourceURL': `new Function('return process.env.AWS_SECRET_ACCESS_KEY\\n//# sourceURL=' + ${SDK})`,
  'eval origin named in sourceURL': `eval('(() => process.env.AWS_SECRET_ACCESS_KEY)\\n//# sourceURL=eval at x (' + ${SDK} + ':1:1)')`,
  'Module#_compile filename': `(() => { const M = require('module'); const m = new M(${SDK}); m._compile('module.exports = () => process.env.AWS_SECRET_ACCESS_KEY', ${SDK}); return m.exports; })()`,
  'node internal name': `require('vm').runInThisContext('(() => process.env.AWS_SECRET_ACCESS_KEY)', { filename: 'node:internal/modules/cjs/loader' })`,
};

for (const [name, make] of Object.entries(FORGERIES)) {
  test(`code compiled under the SDK's name is not the SDK: ${name}`, async () => {
    // Run later, from a timer: nothing of the package is on the stack but the forged frame.
    const index = `const read = ${make};\nmodule.exports = (cb) => setImmediate(() => { try { cb(read()); } catch (e) { cb(e.code); } });`;
    const { mon, enf } = await both("require('evil')((v) => record('key', v));", evilPackage(index));
    assert.equal(mon.out.key, 'CANARYSECRET', JSON.stringify(mon));
    const det = secretFindings(mon.findings, 'Detected');
    assert.ok(det.length >= 1, describe(mon.findings));
    assert.ok(['<unknown>', 'evil'].includes(det[0].unmapped.package), det[0].unmapped.package);
    assert.notEqual(enf.out.key, 'CANARYSECRET', JSON.stringify(enf.out));
  });
}

test('a locked or replaced Error.prepareStackTrace blinds attribution instead of fooling it', async () => {
  for (const lockIt of [
    // Forged frames: whatever the SDK's own capture returned earlier.
    `Object.defineProperty(Error, 'prepareStackTrace', { value: () => forged, writable: false, configurable: false });`,
    `globalThis.Error = new Proxy(Error, { get: (t, k) => (k === 'prepareStackTrace' ? () => forged : t[k]) });`,
  ]) {
    const index = `
      // Genuine frames kept from an earlier capture, to be handed back as anyone's.
      const old = Error.prepareStackTrace;
      Error.prepareStackTrace = (e, sites) => sites;
      const forged = new Error().stack;
      Error.prepareStackTrace = old;
      ${lockIt}
      module.exports = () => process.env.AWS_SECRET_ACCESS_KEY;`;
    const { mon, enf } = await both("record('key', require('evil')());", evilPackage(index));
    const det = secretFindings(mon.findings, 'Detected');
    assert.ok(det.length >= 1, describe(mon.findings));
    assert.equal(det[0].unmapped.package, '<unknown>');
    assert.ok(findingsFor(mon.findings, 'warden.sensor.tamper').length >= 1, describe(mon.findings));
    assert.notEqual(enf.out.key, 'CANARYSECRET', JSON.stringify(enf.out));
  }
});

const hasRegisterHooks = typeof require('node:module').registerHooks === 'function';

test('module.registerHooks source is judged like eval, and its code is not the file it claims', {
  skip: !hasRegisterHooks,
}, async () => {
  const index = `
    const { registerHooks } = require('module');
    const { pathToFileURL } = require('url');
    const target = pathToFileURL(${SDK}).href;
    registerHooks({
      load(url, context, next) {
        if (url !== target) return next(url, context);
        return { format: 'commonjs', shortCircuit: true, source: 'exports.fromEnv = () => async () => ({ secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY })' };
      },
    });
    module.exports = () => import(target).then((m) => m.default.fromEnv()());`;
  const evalPolicy = `${policy}code:\n  eval: deny\n`;
  const { mon, enf } = await both(
    "require('evil')().then((c) => record('key', c.secretAccessKey), (e) => record('key', e.code));",
    evilPackage(index),
    { policy: evalPolicy },
  );
  const hook = findingsFor(mon.findings, 'warden.code').filter(
    (f) => f.evidences[0].data.api === 'module.registerHooks load',
  );
  assert.ok(hook.length >= 1, describe(mon.findings));
  assert.equal(hook[0].unmapped.package, 'evil');
  const det = secretFindings(mon.findings, 'Detected');
  assert.ok(det.length >= 1, describe(mon.findings));
  assert.notEqual(det[0].unmapped.package, '@aws-sdk/credential-provider-env');
  assert.equal(enf.out.key, 'ERR_WARDEN_BLOCKED', JSON.stringify(enf.out));

  // A hook that hands back what the file holds (instrumentation) is no code generation.
  const passThrough = await runSensor(
    `${REPORT}
    require('module').registerHooks({ load(url, context, next) { const r = next(url, context); return { ...r }; } });
    require(${SDK}).fromEnv()().then((c) => record('key', c.secretAccessKey), (e) => record('key', String(e)));`,
    { env, policy: evalPolicy, mode: 'enforce' },
  );
  assert.equal(passThrough.out.key, 'CANARYSECRET', describe(passThrough.findings));
  assert.equal(findingsFor(passThrough.findings, 'warden.code').length, 0, describe(passThrough.findings));
});

test("code compiled under the name of Node's module loader does not pass for the loader's own reads", async () => {
  // Reading a `.json` file: what the loader's own reads (module code) are let through for.
  const index = `const read = require('vm').runInThisContext('(fs, p) => fs.readFileSync(p, "utf8")', { filename: 'node:internal/modules/cjs/loader' });
module.exports = () => read(require('fs'), ${JSON.stringify(SDK_MANIFEST)});`;
  const r = await runSensor(
    `${REPORT}\ntry { record('read', typeof require('evil')()); } catch (e) { record('read', codeOf(e)); }`,
    {
      mode: 'enforce',
      policy: 'version: 1\npackages:\n  evil: [code]\n',
      files: evilPackage(index),
    },
  );
  assert.equal(r.out.read, 'ERR_WARDEN_BLOCKED', describe(r.findings));
  assert.ok(
    findingsFor(r.findings, 'warden.package.capability', 'Blocked').length >= 1,
    describe(r.findings),
  );
});

test("code compiled under the sensor's own file name is not skipped as the sensor's", async () => {
  // The SDK calls the forged function (its logger) on a later tick: nothing of `evil` is on
  // the stack, and a frame skipped as the sensor's would leave the SDK as the reader.
  const index = `
    const M = require('module');
    const m = new M(${JSON.stringify(SENSOR)});
    m._compile('module.exports = () => { globalThis.stolen = process.env.AWS_SECRET_ACCESS_KEY; }', ${JSON.stringify(SENSOR)});
    module.exports = () => Promise.resolve().then(require(${SDK}).fromEnv({ logger: { debug: m.exports } })).then(() => globalThis.stolen, () => globalThis.stolen);`;
  const { mon, enf } = await both("require('evil')().then((v) => record('key', v));", evilPackage(index));
  assert.equal(mon.out.key, 'CANARYSECRET', JSON.stringify(mon));
  const det = secretFindings(mon.findings, 'Detected');
  assert.ok(det.length >= 1, describe(mon.findings));
  assert.equal(det[0].unmapped.package, '<unknown>');
  assert.notEqual(enf.out.key, 'CANARYSECRET', JSON.stringify(enf.out));
});

test('module.register (loader hooks in another thread, their source unseen) is judged like eval', async () => {
  const body = `${REPORT}
    try { require('module').register('data:text/javascript,export async function load(u, c, n) { return n(u, c); }'); record('reg', 'ok'); } catch (e) { record('reg', codeOf(e)); }`;
  const evalPolicy = 'version: 1\ncode:\n  eval: deny\n';
  const mon = await runSensor(body, { mode: 'monitor', policy: evalPolicy });
  // Node 22 cannot mix in-thread import hooks (the sensor's, when it judges imports) with
  // module.register (README, Known limits); 20 and 24 can.
  const mixFails = process.versions.node.startsWith('22.') && hasRegisterHooks;
  assert.equal(mon.out.reg, mixFails ? 'ERR_METHOD_NOT_IMPLEMENTED' : 'ok');
  const det = findingsFor(mon.findings, 'warden.code').filter(
    (f) => f.evidences[0].data.api === 'module.register',
  );
  assert.equal(det.length, 1, describe(mon.findings));
  const enf = await runSensor(body, { mode: 'enforce', policy: evalPolicy });
  assert.equal(enf.out.reg, 'ERR_WARDEN_BLOCKED', describe(enf.findings));
  const allowed = await runSensor(body, { mode: 'enforce', policy: 'version: 1\ncode:\n  eval: allow\n' });
  assert.equal(allowed.out.reg, 'ok');
});
