/**
 * `lambda-warden/serverless`: a Serverless Framework (v3) plugin. Before packaging (`package`,
 * `deploy`, `deploy function`), every Node.js function of the service gets the Warden layer
 * (`custom.warden.layerArn`; an older version of the same layer replaced), the exec wrapper (one
 * already set on the function or the provider is chained through WARDEN_NEXT_WRAPPER) and the
 * settings asked for.
 *
 *   plugins: [lambda-warden/serverless]
 *   custom:
 *     warden: { layerArn: arn:aws:lambda:…:layer:warden:3, mode: monitor, exclude: [legacy] }
 */
import { layerOf, MAX_LAYERS, WARDEN_WRAPPER } from '../deploy/instrument-plan';

interface WardenConfig {
  layerArn: unknown;
  mode?: 'monitor' | 'enforce';
  policy?: string;
  settings?: Record<string, string>;
  exclude?: string[];
}

interface SlsFunction {
  runtime?: string;
  image?: unknown;
  layers?: unknown[];
  environment?: Record<string, unknown>;
}

interface Serverless {
  service: {
    custom?: { warden?: WardenConfig };
    provider: { runtime?: string; layers?: unknown[]; environment?: Record<string, unknown> };
    getAllFunctions(): string[];
    getFunction(name: string): SlsFunction;
  };
  configSchemaHandler?: { defineCustomProperties(schema: object): void };
  classes: { Error: new (message: string) => Error };
}

interface PluginUtils {
  log?: { notice?(m: string): void; warning?(m: string): void };
}

const CONFIG_SCHEMA = {
  type: 'object',
  properties: {
    warden: {
      type: 'object',
      properties: {
        layerArn: {},
        mode: { enum: ['monitor', 'enforce'] },
        policy: { type: 'string' },
        settings: { type: 'object', additionalProperties: { type: 'string' } },
        exclude: { type: 'array', items: { type: 'string' } },
      },
      required: ['layerArn'],
      additionalProperties: false,
    },
  },
};

class WardenServerlessPlugin {
  readonly hooks: Record<string, () => void>;

  constructor(
    private readonly serverless: Serverless,
    _options: unknown,
    private readonly utils: PluginUtils = {},
  ) {
    serverless.configSchemaHandler?.defineCustomProperties(CONFIG_SCHEMA);
    this.hooks = {
      'before:package:initialize': () => this.protect(),
      'before:deploy:function:initialize': () => this.protect(),
    };
  }

  protect(): void {
    const { service } = this.serverless;
    const config = service.custom?.warden;
    const fail = (message: string): never => {
      throw new this.serverless.classes.Error(`lambda-warden: ${message}`);
    };
    if (!config?.layerArn) {
      fail('custom.warden.layerArn is required (the Warden layer version to add)');
      return;
    }
    const wardenLayer = typeof config.layerArn === 'string' ? layerOf(config.layerArn) : undefined;
    for (const [k] of Object.entries(config.settings ?? {}))
      if (!k.startsWith('WARDEN_')) fail(`custom.warden.settings: ${k} is not a WARDEN_* setting`);
    const provider = service.provider;
    const protectedNames: string[] = [];
    for (const name of service.getAllFunctions()) {
      if (config.exclude?.includes(name)) continue;
      const fn = service.getFunction(name);
      // The framework's default runtime is a Node.js one.
      const runtime = fn.runtime ?? provider.runtime ?? 'nodejs';
      if (fn.image || !runtime.startsWith('nodejs')) {
        this.utils.log?.warning?.(`lambda-warden: ${name} is not a Node.js function; left alone`);
        continue;
      }
      const layers = (fn.layers ?? provider.layers ?? []).filter(
        (l) => !(wardenLayer && typeof l === 'string' && layerOf(l) === wardenLayer),
      );
      layers.push(config.layerArn);
      if (layers.length > MAX_LAYERS)
        fail(`${name} would have ${layers.length} layers; Lambda allows ${MAX_LAYERS}`);
      fn.layers = layers;
      const env = { ...(fn.environment ?? {}) };
      const current = env.AWS_LAMBDA_EXEC_WRAPPER ?? provider.environment?.AWS_LAMBDA_EXEC_WRAPPER;
      if (current !== undefined && current !== WARDEN_WRAPPER) env.WARDEN_NEXT_WRAPPER = current;
      env.AWS_LAMBDA_EXEC_WRAPPER = WARDEN_WRAPPER;
      if (config.mode) env.WARDEN_MODE = config.mode;
      if (config.policy) env.WARDEN_POLICY = config.policy;
      Object.assign(env, config.settings ?? {});
      fn.environment = env;
      protectedNames.push(name);
    }
    this.utils.log?.notice?.(`lambda-warden: protecting ${protectedNames.join(', ') || 'no function'}`);
  }
}

export = WardenServerlessPlugin;
