/** `warden layer build`: the Lambda layer directory, or the zip AWS accepts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type Command, Option } from 'commander';
import {
  architectureProblems,
  buildLayerDir,
  LAMBDA_ARCHITECTURES,
  type LambdaArchitecture,
  type LayerBuildOptions,
  zipLayer,
} from '../layer/build';
import { compiledJson } from '../policy/compiled';
import { packageRoot } from './invoke';
import { registerPublish } from './layer-publish';
import { loadPolicyOrExit } from './load-policy-file';
import { loadRulesOrExit, rulesJson } from './load-rules-file';

export interface LayerCliOptions {
  policy?: string;
  rules?: string;
  extension?: boolean;
  arch?: LambdaArchitecture[];
}

/** The options `layer build` and `layer publish` share: what goes into the layer. */
export function addLayerOptions(cmd: Command): Command {
  return cmd
    .option('--policy <file>', 'compile this policy (YAML or JSON) into the layer as warden/policy.json')
    .option('--rules <file>', 'detection rules (YAML or JSON) merged over the defaults, as warden/rules.json')
    .option(
      '--extension',
      'include the external extension (extensions/warden): the watcher outside the runtime (instead of the in-process thread), telemetry, shipping to WARDEN_COLLECTOR_URL',
    )
    .addOption(
      new Option(
        '--arch <arch...>',
        "the Lambda architectures the layer is for (default: both; Warden's own files are sh and JavaScript, the same for either: a native file another extension brings must match)",
      ).choices(Object.keys(LAMBDA_ARCHITECTURES)),
    );
}

export interface BuiltLayer {
  build: LayerBuildOptions;
  architectures: LambdaArchitecture[];
}

/** What the layer options ask for (a policy or rules file that is not one exits 2 with why). */
export function layerFromOptions(opts: LayerCliOptions): BuiltLayer {
  const policy = opts.policy ? loadPolicyOrExit(opts.policy) : undefined;
  return {
    build: {
      policy,
      policyJson: policy ? compiledJson(policy) : undefined,
      rulesJson: opts.rules ? rulesJson(loadRulesOrExit(opts.rules).specs) : undefined,
      extension: opts.extension === true,
    },
    architectures: [...new Set(opts.arch ?? (Object.keys(LAMBDA_ARCHITECTURES) as LambdaArchitecture[]))],
  };
}

/** Writes the layer tree into `dir`; a tree that cannot run on every architecture asked for is removed. */
export function writeLayerTree(dir: string, layer: BuiltLayer): string[] {
  const files = buildLayerDir(packageRoot(), dir, layer.build);
  const problems = architectureProblems(dir, layer.architectures);
  if (problems.length > 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`layer build: ${problems.join('; ')}`);
  }
  return files;
}

/** Builds the layer as a zip at `zipFile`; returns the files in it. */
export async function writeLayerZip(zipFile: string, layer: BuiltLayer): Promise<string[]> {
  const tmp = mkdtempSync(path.join(tmpdir(), 'warden-layer-'));
  try {
    const files = writeLayerTree(tmp, layer);
    await zipLayer(tmp, zipFile);
    return files;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function registerLayer(program: Command): void {
  const layer = program.command('layer').description('Build and publish the Warden Lambda layer');
  addLayerOptions(
    layer
      .command('build')
      .description(
        'Write the layer (warden/wrapper, handler, sensor, policy, extensions/) to a directory or a .zip',
      )
      .option('--out <dir|file.zip>', 'where to write it', 'warden-layer'),
  )
    .option(
      '--json',
      'print what was written as one JSON object: {out, zip, files, policy, rules, extension, architectures}',
    )
    .action(async (opts: LayerCliOptions & { out: string; json?: boolean }) => {
      const built = layerFromOptions(opts);
      const out = path.resolve(opts.out);
      const zip = out.endsWith('.zip');
      const files = zip ? await writeLayerZip(out, built) : writeLayerTree(out, built);
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({
            out,
            zip,
            files,
            policy: opts.policy ? path.resolve(opts.policy) : null,
            rules: opts.rules ? path.resolve(opts.rules) : null,
            extension: built.build.extension,
            architectures: built.architectures,
            wrapper: '/opt/warden/wrapper',
          })}\n`,
        );
        return;
      }
      process.stdout.write(
        zip ? `${out}: ${files.length} files\n` : `${out}/\n${files.map((f) => `  ${f}`).join('\n')}\n`,
      );
      process.stdout.write(`For ${built.architectures.join(' and ')}.\n`);
      process.stdout.write('Deploy: add the layer and set AWS_LAMBDA_EXEC_WRAPPER=/opt/warden/wrapper\n');
    });
  registerPublish(layer);
}
