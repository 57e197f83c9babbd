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
    .action(async (opts: { out: string; policy?: string; rules?: string; extension?: boolean }) => {
      const policy = opts.policy ? loadPolicyOrExit(opts.policy) : undefined;
      const build = {
        policy,
        policyJson: policy ? compiledJson(policy) : undefined,
        rulesJson: opts.rules ? rulesJson(loadRulesOrExit(opts.rules).specs) : undefined,
        extension: opts.extension === true,
      };
      const out = path.resolve(opts.out);
      if (out.endsWith('.zip')) {
        const tmp = mkdtempSync(path.join(tmpdir(), 'warden-layer-'));
        try {
          const files = buildLayerDir(packageRoot(), tmp, build);
          await zipLayer(tmp, out);
          process.stdout.write(`${out}: ${files.length} files\n`);
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
        return;
      }
      const files = buildLayerDir(packageRoot(), out, build);
      process.stdout.write(`${out}/\n${files.map((f) => `  ${f}`).join('\n')}\n`);
      process.stdout.write('Deploy: add the layer and set AWS_LAMBDA_EXEC_WRAPPER=/opt/warden/wrapper\n');
    });
}
