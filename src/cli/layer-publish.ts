/** `warden layer publish`: builds the layer and publishes it as a Lambda layer version. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { RUNTIME_IDS } from '../sandbox/environment';
import {
  addConnectionOptions,
  awsError,
  type ConnectionCliOptions,
  connectionOf,
  deployModule,
} from './aws-connection';
import { addLayerOptions, type LayerCliOptions, layerFromOptions, writeLayerZip } from './layer';

declare const __WARDEN_VERSION__: string;
const VERSION = typeof __WARDEN_VERSION__ === 'string' ? __WARDEN_VERSION__ : '0.0.0-dev';

/** PublishLayerVersion takes a zip of up to 50 MB in the request itself. */
export const MAX_DIRECT_ZIP_BYTES = 50 * 1024 * 1024;
/** Lambda's current Node.js runtimes (nodejs20.x is deprecated: --runtimes adds it). */
const DEFAULT_RUNTIMES = ['nodejs22.x', 'nodejs24.x'];

interface PublishCliOptions extends LayerCliOptions, ConnectionCliOptions {
  layerName: string;
  runtimes?: string[];
  description?: string;
  grant?: string[];
  grantOrganization?: string;
  json?: boolean;
}

export function registerPublish(layer: Command): void {
  addConnectionOptions(
    addLayerOptions(
      layer
        .command('publish')
        .description(
          'Build the layer and publish it as a Lambda layer version (PublishLayerVersion); prints its ARN',
        )
        .option('--layer-name <name>', 'the layer to add a version to', 'warden'),
    ),
  )
    .option(
      '--runtimes <id...>',
      `compatible runtimes (default: ${DEFAULT_RUNTIMES.join(' ')}; any of ${RUNTIME_IDS.join(', ')})`,
    )
    .option(
      '--description <text>',
      'the layer version’s description (default: Warden’s version and contents)',
    )
    .option('--grant <account...>', 'let these AWS accounts (12 digits) or everyone (*) use the version')
    .option('--grant-organization <o-id>', 'let every account of this AWS Organization use the version')
    .option('--json', 'print the published version as one JSON object')
    .action(async (opts: PublishCliOptions) => {
      const runtimes = opts.runtimes ?? DEFAULT_RUNTIMES;
      for (const r of runtimes)
        if (!(RUNTIME_IDS as readonly string[]).includes(r))
          usage(`--runtimes ${r}: not a Lambda Node.js runtime (${RUNTIME_IDS.join(', ')})`);
      for (const g of opts.grant ?? [])
        if (g !== '*' && !/^\d{12}$/.test(g))
          usage(`--grant ${g}: an account is 12 digits, or * for everyone`);
      if (opts.grantOrganization && !/^o-[a-z0-9]{10,32}$/.test(opts.grantOrganization))
        usage(
          `--grant-organization ${opts.grantOrganization}: an organization id is o- and 10 to 32 letters or digits`,
        );
      if (!/^[a-zA-Z0-9_-]{1,140}$/.test(opts.layerName))
        usage(`--layer-name ${opts.layerName}: letters, digits, - and _ only`);
      const built = layerFromOptions(opts);
      const tmp = mkdtempSync(path.join(tmpdir(), 'warden-publish-'));
      let zip: Buffer;
      try {
        const file = path.join(tmp, 'warden-layer.zip');
        await writeLayerZip(file, built);
        zip = readFileSync(file);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      if (zip.length > MAX_DIRECT_ZIP_BYTES)
        throw new Error(
          `the layer zip is ${zip.length} bytes; PublishLayerVersion takes ${MAX_DIRECT_ZIP_BYTES} in the request (build it with \`warden layer build --out x.zip\` and publish it from S3)`,
        );
      const contents = [
        opts.policy ? `policy ${path.basename(opts.policy)}` : 'no policy (each function’s own)',
        ...(opts.rules ? [`rules ${path.basename(opts.rules)}`] : []),
        ...(built.build.extension ? ['extension'] : []),
      ];
      const description = (opts.description ?? `Warden ${VERSION}: ${contents.join(', ')}`).slice(0, 256);
      const deploy = deployModule();
      const connection = connectionOf(opts);
      let published: Awaited<ReturnType<typeof deploy.publishLayer>>;
      try {
        published = await deploy.publishLayer(connection, {
          layerName: opts.layerName,
          zip,
          description,
          runtimes,
          architectures: built.architectures,
          license: 'Apache-2.0',
        });
      } catch (e) {
        throw new Error(`PublishLayerVersion failed: ${awsError(e)}`);
      }
      const grants: string[] = [];
      try {
        for (const g of opts.grant ?? []) {
          await deploy.grantLayer(connection, opts.layerName, published.version, g);
          grants.push(g);
        }
        if (opts.grantOrganization) {
          await deploy.grantLayer(connection, opts.layerName, published.version, '*', opts.grantOrganization);
          grants.push(opts.grantOrganization);
        }
      } catch (e) {
        throw new Error(
          `published ${published.layerVersionArn}, but AddLayerVersionPermission failed: ${awsError(e)}${grants.length ? ` (granted: ${grants.join(', ')})` : ''}`,
        );
      }
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ ...published, runtimes, architectures: built.architectures, description, grants })}\n`,
        );
        return;
      }
      process.stdout.write(`${published.layerVersionArn}\n`);
      process.stderr.write(
        `Published ${opts.layerName} version ${published.version} (${zip.length} bytes; ${built.architectures.join(', ')}; ${runtimes.join(', ')})${grants.length ? `, usable by ${grants.join(', ')}` : ''}.\nAdd it to a function: warden instrument <function> --layer-arn ${published.layerVersionArn}\n`,
      );
    });
}

function usage(message: string): never {
  process.stderr.write(`warden layer publish: ${message}\n`);
  process.exit(2);
}
