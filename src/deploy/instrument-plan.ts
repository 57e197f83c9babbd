/**
 * What `warden instrument` changes in a function's configuration, decided from the configuration
 * alone (no AWS call here): the Warden layer added (an older version of it replaced), the exec
 * wrapper set (another one already set is chained through WARDEN_NEXT_WRAPPER), the settings
 * asked for; or, with `remove`, all of it taken out again and the chained wrapper put back.
 */

export const WARDEN_WRAPPER = '/opt/warden/wrapper';
/** Lambda's limits: layers per function, and the size of its environment variables. */
export const MAX_LAYERS = 5;
export const MAX_ENVIRONMENT_BYTES = 4096;

/** The part of Lambda's FunctionConfiguration the plan reads. */
export interface FunctionConfig {
  FunctionName?: string;
  FunctionArn?: string;
  Runtime?: string;
  PackageType?: string;
  Architectures?: string[];
  Layers?: { Arn?: string }[];
  Environment?: { Variables?: Record<string, string> };
  RevisionId?: string;
}

export interface InstrumentOptions {
  /**
   * The Warden layer version to add (`arn:aws:lambda:<region>:<account>:layer:<name>:<version>`);
   * with `remove`, the layer to take out (any version of it).
   */
  layerArn: string;
  /** WARDEN_MODE to set (unset: the policy's own mode). */
  mode?: 'monitor' | 'enforce';
  /** WARDEN_POLICY to set (a path in the function's package, or absolute). */
  policy?: string;
  /** Take Warden out instead. */
  remove?: boolean;
}

export interface Change {
  what: 'layer' | 'env';
  name: string;
  from?: string;
  to?: string;
}

export type InstrumentPlan =
  | {
      ok: true;
      functionName: string;
      layers: string[];
      variables: Record<string, string>;
      changes: Change[];
      revisionId?: string;
    }
  | { ok: false; functionName: string; reason: string };

const LAYER_ARN = /^(arn:[\w-]+:lambda:[\w-]+:\d{12}:layer:[\w-]+)(?::(\d+))?$/;

/** A layer version's ARN (or a layer's) without its version: the layer itself. */
export function layerOf(arn: string): string | undefined {
  return LAYER_ARN.exec(arn)?.[1];
}

function isLayerVersion(arn: string): boolean {
  return LAYER_ARN.exec(arn)?.[2] !== undefined;
}

export function environmentBytes(variables: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(variables)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

export function instrumentPlan(config: FunctionConfig, o: InstrumentOptions): InstrumentPlan {
  const functionName = config.FunctionName ?? config.FunctionArn ?? '(unnamed)';
  const refuse = (reason: string): InstrumentPlan => ({ ok: false, functionName, reason });
  const wardenLayer = layerOf(o.layerArn);
  if (!wardenLayer || (!o.remove && !isLayerVersion(o.layerArn)))
    return refuse(
      `${o.layerArn} is not a layer version ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)`,
    );
  if (config.PackageType === 'Image')
    return refuse('a container image function takes no layers: add the Warden layer to the image instead');
  if (!o.remove && !/^nodejs\d+\.x$/.test(config.Runtime ?? ''))
    return refuse(`runtime ${config.Runtime ?? '(none)'} is not a Lambda Node.js runtime`);

  const before = (config.Layers ?? []).map((l) => l.Arn ?? '').filter(Boolean);
  const others = before.filter((arn) => layerOf(arn) !== wardenLayer);
  const layers = o.remove ? others : [...others, o.layerArn];
  if (layers.length > MAX_LAYERS)
    return refuse(`it would have ${layers.length} layers; Lambda allows ${MAX_LAYERS}`);

  const env = { ...(config.Environment?.Variables ?? {}) };
  const variables = { ...env };
  if (o.remove) {
    const chained = env.WARDEN_NEXT_WRAPPER;
    if (env.AWS_LAMBDA_EXEC_WRAPPER === WARDEN_WRAPPER) {
      if (chained) variables.AWS_LAMBDA_EXEC_WRAPPER = chained;
      else delete variables.AWS_LAMBDA_EXEC_WRAPPER;
    }
    // Every Warden setting means nothing without Warden.
    for (const name of Object.keys(variables)) if (name.startsWith('WARDEN_')) delete variables[name];
  } else {
    const current = env.AWS_LAMBDA_EXEC_WRAPPER;
    if (current && current !== WARDEN_WRAPPER) {
      if (env.WARDEN_NEXT_WRAPPER && env.WARDEN_NEXT_WRAPPER !== current)
        return refuse(
          `AWS_LAMBDA_EXEC_WRAPPER is ${current} and WARDEN_NEXT_WRAPPER already chains ${env.WARDEN_NEXT_WRAPPER}: one wrapper can be chained`,
        );
      variables.WARDEN_NEXT_WRAPPER = current;
    }
    variables.AWS_LAMBDA_EXEC_WRAPPER = WARDEN_WRAPPER;
    if (o.mode) variables.WARDEN_MODE = o.mode;
    if (o.policy) variables.WARDEN_POLICY = o.policy;
  }
  const size = environmentBytes(variables);
  if (size > MAX_ENVIRONMENT_BYTES)
    return refuse(
      `its environment variables would take ${size} bytes; Lambda allows ${MAX_ENVIRONMENT_BYTES}`,
    );

  const changes: Change[] = [];
  for (const arn of before) if (!layers.includes(arn)) changes.push({ what: 'layer', name: arn, from: arn });
  for (const arn of layers) if (!before.includes(arn)) changes.push({ what: 'layer', name: arn, to: arn });
  for (const name of [...new Set([...Object.keys(env), ...Object.keys(variables)])].sort())
    if (env[name] !== variables[name])
      changes.push({
        what: 'env',
        name,
        ...(env[name] !== undefined ? { from: env[name] } : {}),
        ...(variables[name] !== undefined ? { to: variables[name] } : {}),
      });
  return {
    ok: true,
    functionName,
    layers,
    variables,
    changes,
    ...(config.RevisionId ? { revisionId: config.RevisionId } : {}),
  };
}

/** The plan as the dry run prints it: one line per change. */
export function formatPlan(plan: InstrumentPlan): string {
  if (!plan.ok) return `${plan.functionName}: not changed: ${plan.reason}\n`;
  if (plan.changes.length === 0) return `${plan.functionName}: nothing to change\n`;
  const lines = plan.changes.map((c) => {
    if (c.what === 'layer') return `  layer ${c.to ? '+' : '-'} ${c.name}`;
    const show = (v: string | undefined) => (v === undefined ? '(unset)' : JSON.stringify(v));
    return `  env   ${c.name}: ${show(c.from)} -> ${show(c.to)}`;
  });
  return `${plan.functionName}:\n${lines.join('\n')}\n`;
}
