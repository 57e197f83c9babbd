/**
 * The AWS calls of `warden layer publish` and `warden instrument`, through the AWS SDK v3 (its
 * credential chain, retries, SigV4). Bundled as its own file (dist/deploy.cjs) and loaded only by
 * those two commands: every other command starts without the SDK.
 */
import {
  AddLayerVersionPermissionCommand,
  type FunctionConfiguration,
  GetFunctionConfigurationCommand,
  LambdaClient,
  PublishLayerVersionCommand,
  paginateListFunctions,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';

export interface Connection {
  region?: string;
  /** Another endpoint than AWS's (LocalStack, a test's loopback server). */
  endpoint?: string;
  /** A named profile of the shared config files. */
  profile?: string;
}

function client(c: Connection): LambdaClient {
  // The SDK is bundled here at a fixed version: its notice that later versions will need Node 22
  // is about releases this build does not take, and only noise in the command's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new LambdaClient({
    ...(c.region ? { region: c.region } : {}),
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    ...(c.profile ? { profile: c.profile } : {}),
    maxAttempts: 3,
  });
}

export interface PublishRequest {
  layerName: string;
  zip: Uint8Array;
  description: string;
  runtimes: string[];
  architectures: string[];
  license: string;
}

export interface Published {
  layerArn: string;
  layerVersionArn: string;
  version: number;
  codeSha256?: string;
  codeSize?: number;
}

export async function publishLayer(c: Connection, r: PublishRequest): Promise<Published> {
  const out = await client(c).send(
    new PublishLayerVersionCommand({
      LayerName: r.layerName,
      Description: r.description,
      Content: { ZipFile: r.zip },
      CompatibleRuntimes: r.runtimes as never,
      CompatibleArchitectures: r.architectures as never,
      LicenseInfo: r.license,
    }),
  );
  if (!out.LayerVersionArn || !out.LayerArn || out.Version === undefined)
    throw new Error('PublishLayerVersion answered without the layer version ARN');
  return {
    layerArn: out.LayerArn,
    layerVersionArn: out.LayerVersionArn,
    version: out.Version,
    ...(out.Content?.CodeSha256 ? { codeSha256: out.Content.CodeSha256 } : {}),
    ...(out.Content?.CodeSize !== undefined ? { codeSize: out.Content.CodeSize } : {}),
  };
}

/** Lets an account, every account of an organization, or everyone (`*`) use a layer version. */
export async function grantLayer(
  c: Connection,
  layerName: string,
  version: number,
  principal: string,
  organizationId?: string,
): Promise<void> {
  await client(c).send(
    new AddLayerVersionPermissionCommand({
      LayerName: layerName,
      VersionNumber: version,
      StatementId: `warden-${organizationId ?? (principal === '*' ? 'public' : principal)}`,
      Action: 'lambda:GetLayerVersion',
      Principal: principal,
      ...(organizationId ? { OrganizationId: organizationId } : {}),
    }),
  );
}

export async function functionConfiguration(c: Connection, name: string): Promise<FunctionConfiguration> {
  return client(c).send(new GetFunctionConfigurationCommand({ FunctionName: name }));
}

/** Every function of the region on a Node.js runtime (ListFunctions, all pages). */
export async function nodeFunctions(c: Connection): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListFunctions({ client: client(c) }, {}))
    for (const f of page.Functions ?? [])
      if (f.FunctionName && /^nodejs\d+\.x$/.test(f.Runtime ?? '')) names.push(f.FunctionName);
  return names;
}

export interface ConfigurationUpdate {
  functionName: string;
  layers: string[];
  variables: Record<string, string>;
  /** The revision the plan was made from: Lambda refuses the update if it changed since. */
  revisionId?: string;
}

export async function updateConfiguration(
  c: Connection,
  u: ConfigurationUpdate,
): Promise<{ lastUpdateStatus?: string; revisionId?: string }> {
  const out = await client(c).send(
    new UpdateFunctionConfigurationCommand({
      FunctionName: u.functionName,
      Layers: u.layers,
      Environment: { Variables: u.variables },
      ...(u.revisionId ? { RevisionId: u.revisionId } : {}),
    }),
  );
  return {
    ...(out.LastUpdateStatus ? { lastUpdateStatus: out.LastUpdateStatus } : {}),
    ...(out.RevisionId ? { revisionId: out.RevisionId } : {}),
  };
}
