/** The AWS connection options `layer publish` and `instrument` share, and the SDK's lazy load. */
import * as path from 'node:path';
import type { Command } from 'commander';
import type * as Deploy from '../deploy/aws';

export interface ConnectionCliOptions {
  region?: string;
  endpointUrl?: string;
  profile?: string;
}

export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--region <region>', 'the AWS Region (default: AWS_REGION, or the profile’s)')
    .option(
      '--profile <name>',
      'a named profile of the AWS config files (default: AWS_PROFILE, or the default chain)',
    )
    .option('--endpoint-url <url>', 'another Lambda endpoint than AWS’s (LocalStack, a test server)');
}

export function connectionOf(opts: ConnectionCliOptions): Deploy.Connection {
  return {
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.endpointUrl ? { endpoint: opts.endpointUrl } : {}),
    ...(opts.profile ? { profile: opts.profile } : {}),
  };
}

/** The AWS SDK calls, loaded only by the commands that make them (dist/deploy.cjs). */
export function deployModule(): typeof Deploy {
  return require(path.join(__dirname, 'deploy.cjs')) as typeof Deploy;
}

/** An AWS error as one line: its name and message (the SDK's own words). */
export function awsError(e: unknown): string {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = err.$metadata?.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : '';
  return `${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message ?? String(e)}${status}`;
}
