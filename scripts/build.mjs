// Build: the policy validator (ajv standalone, so the sensor carries no schema compiler),
// the JSON Schema file, and the bundles: dist/sensor.cjs (one file, no runtime dependency),
// dist/cli.cjs and dist/lib.cjs (the pure modules, for tests and tools).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// 1. The schema lives in TypeScript; evaluate it through esbuild to get the object.
const schemaOut = await esbuild.build({
  entryPoints: [join(root, 'src/policy/schema.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  write: false,
  logLevel: 'warning',
});
const mod = { exports: {} };
new Function('module', 'exports', 'require', schemaOut.outputFiles[0].text)(mod, mod.exports, require);
const { policySchema } = mod.exports;
mkdirSync(join(root, 'schema'), { recursive: true });
writeFileSync(join(root, 'schema/policy.schema.json'), `${JSON.stringify(policySchema, null, 2)}\n`);

const ajv = new Ajv({
  code: { source: true, esm: false },
  allErrors: false,
  strict: true,
  inlineRefs: false,
});
const validate = ajv.compile(policySchema);
mkdirSync(join(root, 'src/policy/generated'), { recursive: true });
writeFileSync(join(root, 'src/policy/generated/validate-policy.cjs'), standaloneCode(ajv, validate));

// 1b. The default detection rules: YAML in the repository, JSON in the bundles.
{
  const YAML = require('yaml');
  const rules = YAML.parse(readFileSync(join(root, 'src/detect/rules/default.yaml'), 'utf8'));
  mkdirSync(join(root, 'src/detect/generated'), { recursive: true });
  writeFileSync(join(root, 'src/detect/generated/default-rules.json'), `${JSON.stringify(rules)}\n`);
}

// 2. Bundles.
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
  define: { __WARDEN_VERSION__: JSON.stringify(pkg.version) },
  legalComments: 'none',
};
// The sensor carries its policy-file loader, and the YAML parser separately, as source strings
// compiled only when needed (a JSON policy never compiles the YAML parser): a sensor pays for
// neither at cold start without a policy file.
const chunk = async (options) =>
  (await esbuild.build({ ...common, minify: true, write: false, ...options })).outputFiles[0].text;
const loaderSource = await chunk({
  entryPoints: [join(root, 'src/policy/loader-entry.ts')],
  external: ['yaml'],
});
const yamlSource = await chunk({
  stdin: { contents: "module.exports = require('yaml');", resolveDir: root },
});
await esbuild.build({
  ...common,
  define: {
    ...common.define,
    __WARDEN_POLICY_LOADER__: JSON.stringify(loaderSource),
    __WARDEN_YAML__: JSON.stringify(yamlSource),
  },
  entryPoints: [join(root, 'src/sensor/index.ts')],
  outfile: join(root, 'dist/sensor.cjs'),
  minifySyntax: true,
  minifyIdentifiers: true,
  // Short lines: an uncaught ERR_WARDEN_BLOCKED prints its source line, keep that readable.
  minifyWhitespace: false,
  banner: { js: `/* Warden sensor ${pkg.version} — https://github.com/warden (Apache-2.0) */` },
});
await esbuild.build({
  ...common,
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(root, 'dist/cli.cjs'),
  banner: { js: '#!/usr/bin/env node' },
});
await esbuild.build({
  ...common,
  entryPoints: [join(root, 'src/lib.ts')],
  outfile: join(root, 'dist/lib.cjs'),
});
// The layer's handler swap (warden/handler.cjs) and the sandbox's built-in runtime client.
await esbuild.build({
  ...common,
  entryPoints: [join(root, 'src/layer/handler.ts')],
  outfile: join(root, 'dist/layer/handler.cjs'),
});
// The external extension (run by layer/extensions/warden with the runtime's node), and the
// policy-file loader it requires only when there is a policy file.
await esbuild.build({
  ...common,
  entryPoints: [join(root, 'src/policy/loader-entry.ts')],
  outfile: join(root, 'dist/layer/policy-loader.cjs'),
  minify: true,
});
await esbuild.build({
  ...common,
  entryPoints: [join(root, 'src/extension/main.ts')],
  outfile: join(root, 'dist/layer/extension.cjs'),
  minify: true,
  banner: { js: `/* Warden extension ${pkg.version} (Apache-2.0) */` },
});
await esbuild.build({
  ...common,
  entryPoints: [join(root, 'src/sandbox/builtin-client.ts')],
  outfile: join(root, 'dist/runtime/builtin-client.cjs'),
});
