// The deploy recipes in docs/deploy.md, parsed as the tools would read them (YAML with
// CloudFormation's tags, HCL): each adds the Warden layer and the exec wrapper, with the
// runtimes and architectures the layer is built for; the CDK snippet names what lambda-warden/cdk
// exports.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseHcl } from '@cdktf/hcl2json';
import YAML from 'yaml';
import { ROOT } from './helpers.mjs';

const require = createRequire(import.meta.url);
// From the package's own root, where its name resolves through its export map (as for an app).
const requireAsPackage = createRequire(join(ROOT, 'package.json'));
const DOC = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');

/** The fenced blocks of a language under a heading. */
function blocks(heading, lang) {
  const start = DOC.indexOf(`\n## ${heading}`);
  assert.ok(start >= 0, `no section ${heading}`);
  const end = DOC.indexOf('\n## ', start + 1);
  const section = DOC.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]);
}

test('the SAM template: a layer for both architectures and the current runtimes; every function gets it and the wrapper', () => {
  const [text] = blocks('AWS SAM', 'yaml');
  // CloudFormation's short-form intrinsic functions, as SAM reads them.
  const doc = YAML.parse(text, {
    customTags: ['Ref', 'Sub', 'GetAtt'].map((name) => ({
      tag: `!${name}`,
      resolve: (value) => (name === 'Ref' ? { Ref: value } : { [`Fn::${name}`]: value }),
    })),
  });
  assert.equal(doc.Transform, 'AWS::Serverless-2016-10-31');
  const layer = doc.Resources.WardenLayer;
  assert.equal(layer.Type, 'AWS::Serverless::LayerVersion');
  assert.deepEqual(layer.Properties.CompatibleArchitectures, ['x86_64', 'arm64']);
  assert.deepEqual(layer.Properties.CompatibleRuntimes, ['nodejs22.x', 'nodejs24.x']);
  assert.match(layer.Properties.ContentUri, /^warden-layer\/?$/);
  const global = doc.Globals.Function;
  assert.deepEqual(global.Layers, [{ Ref: 'WardenLayer' }]);
  assert.equal(global.Environment.Variables.AWS_LAMBDA_EXEC_WRAPPER, '/opt/warden/wrapper');
  const functions = Object.values(doc.Resources).filter((r) => r.Type === 'AWS::Serverless::Function');
  assert.ok(functions.length >= 1);
  for (const f of functions) assert.match(f.Properties.Runtime ?? global.Runtime, /^nodejs2[24]\.x$/);
  for (const value of Object.values(global.Environment.Variables)) assert.equal(typeof value, 'string');
});

test('the Terraform recipe: a layer version and a function that uses it with the wrapper', async () => {
  const [text] = blocks('Terraform', 'hcl');
  const tf = await parseHcl('main.tf', text);
  const layer = tf.resource.aws_lambda_layer_version.warden[0];
  assert.deepEqual(layer.compatible_architectures, ['x86_64', 'arm64']);
  assert.deepEqual(layer.compatible_runtimes, ['nodejs22.x', 'nodejs24.x']);
  assert.equal(layer.filename, 'warden-layer.zip');
  const fn = tf.resource.aws_lambda_function.orders[0];
  // HCL's reference to the layer, as hcl2json writes an expression.
  assert.deepEqual(fn.layers, [`$\{aws_lambda_layer_version.warden.arn}`]);
  assert.equal(fn.environment[0].variables.AWS_LAMBDA_EXEC_WRAPPER, '/opt/warden/wrapper');
  assert.match(fn.runtime, /^nodejs2[24]\.x$/);
});

test('the Serverless snippet loads the plugin with a layer ARN and only Warden settings', () => {
  const [text] = blocks('Serverless Framework: `lambda-warden/serverless`', 'yaml');
  const doc = YAML.parse(text);
  assert.deepEqual(doc.plugins, ['lambda-warden/serverless']);
  assert.match(doc.custom.warden.layerArn, /^arn:aws:lambda:[\w-]+:\d{12}:layer:warden:\d+$/);
  for (const name of Object.keys(doc.custom.warden.settings)) assert.match(name, /^WARDEN_/);
  assert.equal(typeof requireAsPackage('lambda-warden/serverless'), 'function');
});

test('the CDK snippet uses what lambda-warden/cdk exports', () => {
  const [text] = blocks('AWS CDK: `lambda-warden/cdk`', 'ts');
  const imported = /import \{ ([^}]+) \} from 'lambda-warden\/cdk'/
    .exec(text)[1]
    .split(',')
    .map((s) => s.trim());
  const cdk = requireAsPackage('lambda-warden/cdk');
  for (const name of imported) assert.ok(name in cdk, `${name} is not exported by lambda-warden/cdk`);
  assert.match(text, /new WardenAspect\(\{ layer/);
  assert.equal(typeof cdk.Warden.protect, 'function');
});

test('every WARDEN_ variable the recipes set is a setting Warden reads', () => {
  const { SETTINGS } = require(join(ROOT, 'dist', 'lib.cjs'));
  const known = new Set(SETTINGS.map((s) => s.name));
  for (const name of new Set(DOC.match(/\bWARDEN_[A-Z_]+\b/g)))
    assert.ok(known.has(name), `${name} in docs/deploy.md`);
});
