/** `warden layer build`: the Lambda layer directory, or the zip AWS accepts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { buildLayerDir, zipLayer } from '../layer/build';
import { compiledJson } from '../policy/compiled';
import { packageRoot } from './invoke';
import { loadPolicyOrExit } from './load-policy-file';
import { loadRulesOrExit, rulesJson } from './load-rules-file';

export function registerLayer(program: Command): void {
  const layer = program.command('layer').description('Build the Warden Lambda layer');
  layer
    .command('build')
    .description(
      'Write the layer (warden/wrapper, handler, sensor, policy, extensions/) to a directory or a .zip',
    )
    .option('--out <dir|file.zip>', 'where to write it', 'warden-layer')
    .option('--policy <file>', 'compile this policy (YAML or JSON) into the layer as warden/policy.json')
    .option('--rules <file>', 'detection rules (YAML or JSON) merged over the defaults, as warden/rules.json')
    .option(
      '--extension',
      'include the external extension (extensions/warden): the watcher outside the runtime (instead of the in-process thread), telemetry, shipping to WARDEN_COLLECTOR_URL',
    )
    .option(
      '--json',
      'print what was written as one JSON object: {out, zip, files, policy, rules, extension}',
    )
    .action(
      async (opts: { out: string; policy?: string; rules?: string; extension?: boolean; json?: boolean }) => {
        const policy = opts.policy ? loadPolicyOrExit(opts.policy) : undefined;
        const build = {
          policy,
          policyJson: policy ? compiledJson(policy) : undefined,
          rulesJson: opts.rules ? rulesJson(loadRulesOrExit(opts.rules).specs) : undefined,
          extension: opts.extension === true,
        };
        const out = path.resolve(opts.out);
        const summary = (files: string[], zip: boolean) =>
          `${JSON.stringify({
            out,
            zip,
            files,
            policy: opts.policy ? path.resolve(opts.policy) : null,
            rules: opts.rules ? path.resolve(opts.rules) : null,
            extension: build.extension,
            wrapper: '/opt/warden/wrapper',
          })}\n`;
        if (out.endsWith('.zip')) {
          const tmp = mkdtempSync(path.join(tmpdir(), 'warden-layer-'));
          try {
            const files = buildLayerDir(packageRoot(), tmp, build);
            await zipLayer(tmp, out);
            process.stdout.write(opts.json ? summary(files, true) : `${out}: ${files.length} files\n`);
          } finally {
            rmSync(tmp, { recursive: true, force: true });
          }
          return;
        }
        const files = buildLayerDir(packageRoot(), out, build);
        if (opts.json) {
          process.stdout.write(summary(files, false));
          return;
        }
        process.stdout.write(`${out}/\n${files.map((f) => `  ${f}`).join('\n')}\n`);
        process.stdout.write('Deploy: add the layer and set AWS_LAMBDA_EXEC_WRAPPER=/opt/warden/wrapper\n');
      },
    );
}
