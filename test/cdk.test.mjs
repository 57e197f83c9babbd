// `lambda-warden/cdk` on a synthesized template (aws-cdk-lib/assertions): the layer as an asset
// built from this package, one function protected, every Node.js function of a stack through the
// Aspect (another exec wrapper chained, other runtimes left alone and warned about).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from './helpers.mjs';

const require = createRequire(import.meta.url);
// From the package's own root, where its name resolves through its export map (as for an app).
const requireAsPackage = createRequire(join(ROOT, 'package.json'));
const cdk = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const { Template, Match, Annotations } = require('aws-cdk-lib/assertions');
// Through the package's own export map, as an app requires it.
const { Warden, WardenAspect, WardenLayer } = requireAsPackage('lambda-warden/cdk');

// Asset paths in the template's metadata, as the CDK CLI asks for them.
const ASSET_METADATA = { 'aws:cdk:enable-asset-metadata': true };
const fn = (stack, id, props = {}) =>
  new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => 1;'),
    ...props,
  });

test('WardenAspect: every Node.js function gets the layer and the wrapper; a wrapper already set is chained; others are left alone', () => {
  const { dir, cleanup } = tempDir('warden-cdk-');
  try {
    const app = new cdk.App({ outdir: join(dir, 'cdk.out'), context: ASSET_METADATA });
    const stack = new cdk.Stack(app, 'Shop');
    const layer = new WardenLayer(stack, 'Warden', { extension: true });
    fn(stack, 'Orders', { environment: { TABLE: 'orders' } });
    fn(stack, 'Traced', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      environment: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/otel-instrument' },
    });
    fn(stack, 'Python', { runtime: lambda.Runtime.PYTHON_3_12, handler: 'index.handler' });
    fn(stack, 'Skipped');
    cdk.Aspects.of(stack).add(
      new WardenAspect({
        layer,
        mode: 'enforce',
        settings: { WARDEN_LOG_LEVEL: 'warn' },
        exclude: (f) => f.node.id === 'Skipped',
      }),
    );
    const template = Template.fromStack(stack);
    const layerRef = { Ref: Match.stringLikeRegexp('^Warden') };
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['x86_64', 'arm64'],
      CompatibleRuntimes: ['nodejs22.x', 'nodejs24.x'],
      LicenseInfo: 'Apache-2.0',
      Description: Match.stringLikeRegexp("^Warden .*: no policy \\(each function's own\\), extension$"),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Layers: [layerRef],
      Environment: {
        Variables: {
          TABLE: 'orders',
          AWS_LAMBDA_EXEC_WRAPPER: '/opt/warden/wrapper',
          WARDEN_MODE: 'enforce',
          WARDEN_LOG_LEVEL: 'warn',
        },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Layers: [layerRef],
      Environment: {
        Variables: Match.objectLike({
          AWS_LAMBDA_EXEC_WRAPPER: '/opt/warden/wrapper',
          WARDEN_NEXT_WRAPPER: '/opt/otel-instrument',
        }),
      },
    });
    const functions = template.findResources('AWS::Lambda::Function');
    const byRuntime = (r) => Object.values(functions).filter((f) => f.Properties.Runtime === r);
    assert.equal(byRuntime('python3.12')[0].Properties.Layers, undefined, 'not Node.js: untouched');
    const untouched = Object.entries(functions).filter(([id]) => id.startsWith('Skipped'));
    assert.equal(untouched.length, 1);
    assert.equal(untouched[0][1].Properties.Layers, undefined, 'excluded: untouched');

    // The asset is the layer tree this package builds.
    const assembly = app.synth();
    const asset = Object.values(template.findResources('AWS::Lambda::LayerVersion'))[0].Metadata[
      'aws:asset:path'
    ];
    const assetDir = join(assembly.directory, asset);
    for (const f of ['warden/wrapper', 'warden/sensor.cjs', 'warden/handler.mjs', 'extensions/warden'])
      assert.ok(existsSync(join(assetDir, f)), `${f} in the asset`);
  } finally {
    cleanup();
  }
});

test('Warden.protect: one function, a published layer, a policy path; twice is once; a non-Node.js function is refused with a warning', () => {
  const app = new cdk.App();
  const stack = new cdk.Stack(app, 'Billing');
  const layer = lambda.LayerVersion.fromLayerVersionArn(
    stack,
    'Published',
    'arn:aws:lambda:eu-west-1:123456789012:layer:warden:3',
  );
  const billing = fn(stack, 'Billing');
  assert.equal(Warden.protect(billing, { layer, policy: 'config/warden.yaml' }), true);
  assert.equal(Warden.protect(billing, { layer, policy: 'config/warden.yaml' }), true);
  const py = fn(stack, 'Py', { runtime: lambda.Runtime.PYTHON_3_12 });
  assert.equal(Warden.protect(py, { layer }), false);
  assert.throws(
    () => Warden.protect(fn(stack, 'Bad'), { layer, settings: { PATH: '/x' } }),
    /WARDEN_\* variables/,
  );
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::Lambda::Function', {
    Layers: ['arn:aws:lambda:eu-west-1:123456789012:layer:warden:3'],
    Environment: {
      Variables: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/warden/wrapper', WARDEN_POLICY: 'config/warden.yaml' },
    },
  });
  Annotations.fromStack(stack).hasWarning(
    '/Billing/Py',
    Match.stringLikeRegexp('Warden protects Node.js functions'),
  );
});

test('WardenLayer with a policy file compiles it into the layer; a bad policy names the file, line and field', () => {
  const { dir, cleanup } = tempDir('warden-cdk-policy-');
  try {
    const good = join(dir, 'shared.yaml');
    require('node:fs').writeFileSync(good, 'version: 1\nmode: enforce\n');
    const app = new cdk.App({ outdir: join(dir, 'out'), context: ASSET_METADATA });
    const stack = new cdk.Stack(app, 'S');
    new WardenLayer(stack, 'W', { policyFile: good });
    const assembly = app.synth();
    const template = Template.fromStack(stack);
    const resource = Object.values(template.findResources('AWS::Lambda::LayerVersion'))[0];
    const compiled = JSON.parse(
      readFileSync(
        join(assembly.directory, resource.Metadata['aws:asset:path'], 'warden', 'policy.json'),
        'utf8',
      ),
    );
    assert.equal(compiled.mode, 'enforce');
    assert.ok(
      existsSync(join(assembly.directory, resource.Metadata['aws:asset:path'], 'warden', 'permission-flags')),
    );
    const bad = join(dir, 'bad.yaml');
    require('node:fs').writeFileSync(bad, 'version: 1\nmode: enforcing\n');
    assert.throws(
      () => new WardenLayer(new cdk.Stack(app, 'T'), 'W', { policyFile: bad }),
      /bad\.yaml:2:\d+: mode: /,
    );
  } finally {
    cleanup();
  }
});

test('the package exports lambda-warden/cdk with its types', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.exports['./cdk'].require, './dist/cdk.cjs');
  assert.ok(existsSync(join(ROOT, pkg.exports['./cdk'].types)));
  assert.equal(pkg.peerDependenciesMeta['aws-cdk-lib'].optional, true);
});
