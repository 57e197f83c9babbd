/**
 * `lambda-warden/cdk`: Warden in an AWS CDK app. `WardenLayer` is the layer from this package (an
 * asset built at synth time); `Warden.protect(fn)` adds it to one function, `new WardenAspect()`
 * to every Node.js function of a scope, each with the exec wrapper set (another one already set
 * is chained through WARDEN_NEXT_WRAPPER) and the settings asked for. aws-cdk-lib and constructs
 * are the app's own (peer dependencies): nothing of them is bundled here.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { IAspect } from 'aws-cdk-lib';
import { Annotations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct, IConstruct } from 'constructs';
import { WARDEN_WRAPPER } from '../deploy/instrument-plan';
import { buildLayerDir } from '../layer/build';
import { compiledJson } from '../policy/compiled';
import { formatPolicyError, parsePolicy } from '../policy/load';

declare const __WARDEN_VERSION__: string;
const VERSION = typeof __WARDEN_VERSION__ === 'string' ? __WARDEN_VERSION__ : '0.0.0-dev';

export interface WardenLayerProps {
  /** A policy file (YAML or JSON) compiled into the layer, for every function that uses it. */
  policyFile?: string;
  /** Include the external extension (the watcher outside the runtime, telemetry, shipping). */
  extension?: boolean;
  /** The layer's name (default: CloudFormation's). */
  layerVersionName?: string;
}

/** The Warden layer, built from the installed package at synth time. */
export class WardenLayer extends lambda.LayerVersion {
  constructor(scope: Construct, id: string, props: WardenLayerProps = {}) {
    const dir = mkdtempSync(path.join(tmpdir(), 'warden-cdk-layer-'));
    // Synthesis copies the asset into the cloud assembly (before exit: the app synthesizes at
    // beforeExit, or when told): the built tree is not left behind.
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    let policy: ReturnType<typeof parsePolicy> | undefined;
    if (props.policyFile) {
      policy = parsePolicy(props.policyFile, readFileSync(props.policyFile, 'utf8'));
      if (!policy.ok) throw new Error(`WardenLayer: invalid policy: ${formatPolicyError(policy.error)}`);
    }
    buildLayerDir(path.join(__dirname, '..'), dir, {
      ...(policy?.ok ? { policy: policy.policy, policyJson: compiledJson(policy.policy) } : {}),
      extension: props.extension === true,
    });
    super(scope, id, {
      code: lambda.Code.fromAsset(dir),
      compatibleRuntimes: [lambda.Runtime.NODEJS_22_X, lambda.Runtime.NODEJS_24_X],
      compatibleArchitectures: [lambda.Architecture.X86_64, lambda.Architecture.ARM_64],
      description: `Warden ${VERSION}: ${props.policyFile ? `policy ${path.basename(props.policyFile)}` : "no policy (each function's own)"}${props.extension ? ', extension' : ''}`,
      license: 'Apache-2.0',
      ...(props.layerVersionName ? { layerVersionName: props.layerVersionName } : {}),
    });
  }
}

export interface WardenProps {
  /** The Warden layer: a `WardenLayer`, or a published version (`LayerVersion.fromLayerVersionArn`). */
  layer: lambda.ILayerVersion;
  /** WARDEN_MODE (default: the policy's own mode). */
  mode?: 'monitor' | 'enforce';
  /** WARDEN_POLICY: a path in the function's package (default: its warden-policy.*, else the layer's). */
  policy?: string;
  /** Further WARDEN_* settings (WARDEN_COLLECTOR_URL, WARDEN_LOG_LEVEL, …). */
  settings?: Record<string, string>;
}

export interface WardenAspectProps extends WardenProps {
  /** Functions to leave alone (default: none; every Node.js function of the scope is protected). */
  exclude?: (fn: lambda.Function) => boolean;
}

/**
 * An environment variable the L2 Function holds until synthesis. aws-cdk-lib has no public
 * getter: its field is read through its entries (a Map in current releases) or as a record (older ones).
 */
function environmentValue(fn: lambda.Function, name: string): string | undefined {
  const env = (fn as unknown as { environment?: unknown }).environment;
  if (env === null || typeof env !== 'object') return undefined;
  let entry: unknown;
  if (typeof (env as { entries?: unknown }).entries === 'function') {
    for (const [k, v] of (env as { entries(): Iterable<[string, unknown]> }).entries())
      if (k === name) entry = v;
  } else entry = (env as Record<string, unknown>)[name];
  const value = (entry as { value?: unknown } | undefined)?.value;
  return typeof value === 'string' ? value : undefined;
}

const PROTECTED = Symbol.for('lambda-warden.cdk.protected');

export const Warden = {
  /**
   * Adds Warden to one function: the layer, AWS_LAMBDA_EXEC_WRAPPER (a wrapper already set is
   * moved to WARDEN_NEXT_WRAPPER) and the settings. Returns false, with a warning on the function,
   * for a function that is not on a Node.js runtime. Protecting twice changes nothing.
   */
  protect(fn: lambda.Function, props: WardenProps): boolean {
    if (fn.runtime.family !== lambda.RuntimeFamily.NODEJS) {
      Annotations.of(fn).addWarningV2(
        'lambda-warden:not-nodejs',
        `Warden protects Node.js functions; ${fn.node.path} runs ${fn.runtime.name}`,
      );
      return false;
    }
    const marked = fn as unknown as Record<symbol, boolean>;
    if (marked[PROTECTED]) return true;
    marked[PROTECTED] = true;
    fn.addLayers(props.layer);
    const current = environmentValue(fn, 'AWS_LAMBDA_EXEC_WRAPPER');
    if (current && current !== WARDEN_WRAPPER) fn.addEnvironment('WARDEN_NEXT_WRAPPER', current);
    fn.addEnvironment('AWS_LAMBDA_EXEC_WRAPPER', WARDEN_WRAPPER);
    if (props.mode) fn.addEnvironment('WARDEN_MODE', props.mode);
    if (props.policy) fn.addEnvironment('WARDEN_POLICY', props.policy);
    for (const [k, v] of Object.entries(props.settings ?? {})) {
      if (!k.startsWith('WARDEN_')) throw new Error(`Warden settings are WARDEN_* variables, not ${k}`);
      fn.addEnvironment(k, v);
    }
    return true;
  },
};

/** Protects every Node.js function in the scope it is added to (`Aspects.of(stack).add(…)`). */
export class WardenAspect implements IAspect {
  constructor(private readonly props: WardenAspectProps) {}

  visit(node: IConstruct): void {
    if (!(node instanceof lambda.Function)) return;
    if (node.runtime.family !== lambda.RuntimeFamily.NODEJS) return;
    if (this.props.exclude?.(node)) return;
    Warden.protect(node, this.props);
  }
}
