// `lambda-warden/serverless` through the Serverless Framework itself: `serverless package`
// (v3, offline: no AWS call, its telemetry and notices off, and where `unshare` works in a network
// namespace of its own, so nothing can leave the machine) on a service with the plugin, then the
// CloudFormation template it wrote is read back.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NODE, ROOT, tempDir } from './helpers.mjs';
import { run } from './sandbox-helpers.mjs';

const SLS = join(ROOT, 'test', 'node_modules', 'serverless', 'bin', 'serverless.js');
const LAYER = 'arn:aws:lambda:us-east-1:123456789012:layer:warden';

function isolated() {
  try {
    execFileSync('unshare', ['--net', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function slsPackage(service, yml) {
  writeFileSync(join(service, 'serverless.yml'), yml);
  const env = {
    PATH: process.env.PATH,
    HOME: service,
    AWS_ACCESS_KEY_ID: 'AKIDWARDENTEST',
    AWS_SECRET_ACCESS_KEY: 'warden-test-secret',
    AWS_EC2_METADATA_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    CI: '1',
  };
  const args = [SLS, 'package', '--stage', 'dev', '--region', 'us-east-1'];
  const r = isolated()
    ? await run('unshare', ['--net', NODE, ...args], { cwd: service, env })
    : await run(NODE, args, { cwd: service, env });
  const template = () =>
    JSON.parse(
      readFileSync(join(service, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
    );
  return { ...r, template };
}

function newService(dir, name) {
  const service = join(dir, name);
  mkdirSync(join(service, 'node_modules'), { recursive: true });
  writeFileSync(join(service, 'index.js'), 'exports.handler = async () => ({ ok: true });\n');
  // The plugin as an app installs it: lambda-warden in the service's node_modules.
  symlinkSync(ROOT, join(service, 'node_modules', 'lambda-warden'));
  return service;
}

test('serverless package: every Node.js function gets the layer and the wrapper (the provider’s chained); others and excluded ones are left alone', async () => {
  const { dir, cleanup } = tempDir('warden-sls-');
  try {
    const service = newService(dir, 'shop');
    const r = await slsPackage(
      service,
      `service: shop
frameworkVersion: '3'
provider:
  name: aws
  runtime: nodejs22.x
  region: us-east-1
  architecture: arm64
  environment:
    AWS_LAMBDA_EXEC_WRAPPER: /opt/otel-instrument
    TABLE: orders
plugins:
  - lambda-warden/serverless
package:
  patterns: ['!node_modules/**']
custom:
  warden:
    layerArn: ${LAYER}:3
    mode: enforce
    settings:
      WARDEN_LOG_LEVEL: warn
    exclude: [skipped]
functions:
  orders:
    handler: index.handler
    layers: ['${LAYER}:2', 'arn:aws:lambda:us-east-1:123456789012:layer:otel:7']
  billing:
    handler: index.handler
    runtime: nodejs24.x
    environment:
      AWS_LAMBDA_EXEC_WRAPPER: /opt/warden/wrapper
  legacy:
    handler: index.handler
    runtime: python3.12
  skipped:
    handler: index.handler
`,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const resources = r.template().Resources;
    const orders = resources.OrdersLambdaFunction.Properties;
    assert.deepEqual(orders.Layers, ['arn:aws:lambda:us-east-1:123456789012:layer:otel:7', `${LAYER}:3`]);
    assert.deepEqual(orders.Environment.Variables, {
      AWS_LAMBDA_EXEC_WRAPPER: '/opt/warden/wrapper',
      WARDEN_NEXT_WRAPPER: '/opt/otel-instrument',
      WARDEN_MODE: 'enforce',
      WARDEN_LOG_LEVEL: 'warn',
      TABLE: 'orders',
    });
    const billing = resources.BillingLambdaFunction.Properties;
    assert.deepEqual(billing.Layers, [`${LAYER}:3`]);
    assert.equal(billing.Environment.Variables.AWS_LAMBDA_EXEC_WRAPPER, '/opt/warden/wrapper');
    // Its own setting (Warden's) overrides the provider's wrapper: nothing to chain.
    assert.equal(billing.Environment.Variables.WARDEN_NEXT_WRAPPER, undefined);
    for (const name of ['LegacyLambdaFunction', 'SkippedLambdaFunction']) {
      const p = resources[name].Properties;
      assert.equal(p.Layers, undefined, name);
      assert.equal(p.Environment.Variables.AWS_LAMBDA_EXEC_WRAPPER, '/opt/otel-instrument', name);
    }
    assert.match(r.stdout + r.stderr, /lambda-warden: legacy is not a Node\.js function; left alone/);
  } finally {
    cleanup();
  }
});

test('serverless package: a missing layer ARN or a setting that is not Warden’s fails the package with why', async () => {
  const { dir, cleanup } = tempDir('warden-sls-bad-');
  try {
    const base = (custom) => `service: bad
frameworkVersion: '3'
provider:
  name: aws
  runtime: nodejs22.x
plugins:
  - lambda-warden/serverless
package:
  patterns: ['!node_modules/**']
${custom}
functions:
  f:
    handler: index.handler
`;
    const missing = await slsPackage(newService(dir, 'a'), base('custom:\n  warden:\n    mode: monitor\n'));
    assert.notEqual(missing.code, 0);
    assert.match(missing.stdout + missing.stderr, /layerArn/);
    const notOurs = await slsPackage(
      newService(dir, 'b'),
      base(`custom:\n  warden:\n    layerArn: ${LAYER}:1\n    settings:\n      PATH: /x\n`),
    );
    assert.notEqual(notOurs.code, 0);
    assert.match(notOurs.stdout + notOurs.stderr, /PATH is not a WARDEN_\* setting/);
  } finally {
    cleanup();
  }
});
