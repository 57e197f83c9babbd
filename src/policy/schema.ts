/** The published JSON Schema of policy v1 (written to schema/policy.schema.json by the build). */

const action = { type: 'string', enum: ['allow', 'alert', 'deny'] } as const;
const id = { type: 'string', minLength: 1 } as const;

function ruleList(entry: object, description: string) {
  return {
    type: 'object',
    description,
    additionalProperties: false,
    properties: {
      default: { ...action, description: 'Action when no entry matches.' },
      allow: { type: 'array', items: entry },
      alert: { type: 'array', items: entry },
      deny: { type: 'array', items: entry },
    },
  };
}

const pathEntry = {
  oneOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: { id, path: { type: 'string', minLength: 1 } },
    },
  ],
};

const processEntry = {
  oneOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { id, exe: { type: 'string', minLength: 1 }, args: { type: 'string' } },
    },
  ],
};

const port = {
  oneOf: [
    { type: 'integer', minimum: 0, maximum: 65535 },
    { type: 'array', items: { type: 'integer', minimum: 0, maximum: 65535 }, minItems: 1 },
    { type: 'string', pattern: '^[0-9]{1,5}-[0-9]{1,5}$' },
  ],
};

const networkEntry = {
  oneOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        id,
        host: { type: 'string', minLength: 1 },
        cidr: { type: 'string', minLength: 1 },
        port,
        protocol: { type: 'string', enum: ['tcp', 'udp', 'dns'] },
      },
    },
  ],
};

const capability = {
  type: 'string',
  enum: ['process', 'network', 'fs', 'fs-read', 'fs-write', 'code', 'native', 'workers', 'secrets'],
};

export const policySchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://warden.dev/schema/policy.schema.json',
  title: 'Warden policy v1',
  type: 'object',
  additionalProperties: false,
  required: ['version'],
  properties: {
    version: { const: 1 },
    mode: { type: 'string', enum: ['monitor', 'enforce'] },
    failClosed: { type: 'boolean' },
    onPolicyError: { type: 'string', enum: ['default-monitor', 'default-enforce', 'deny-all'] },
    process: {
      ...ruleList(processEntry, 'Process spawns (child_process, raw bindings).'),
      properties: {
        ...ruleList(processEntry, '').properties,
        kill: { ...action, description: 'process.kill of a process that is not this one or its child.' },
      },
    },
    network: {
      ...ruleList(networkEntry, 'Outbound connections, datagrams and DNS queries.'),
      properties: {
        ...ruleList(networkEntry, '').properties,
        runtimeApi: { ...action, description: 'Function code connecting to AWS_LAMBDA_RUNTIME_API.' },
      },
    },
    files: {
      type: 'object',
      additionalProperties: false,
      properties: {
        read: ruleList(pathEntry, 'Opening or listing a path for reading.'),
        write: ruleList(pathEntry, 'Creating, writing, deleting, renaming, linking or chmod-ing a path.'),
        exec: ruleList(pathEntry, 'Executing a path (spawned executables).'),
      },
    },
    code: {
      type: 'object',
      additionalProperties: false,
      properties: {
        eval: { ...action, description: 'eval, Function constructors and vm compilation.' },
        wasm: action,
        workers: action,
        nativeAddons: ruleList(pathEntry, 'Native addons (process.dlopen), by path.'),
        modules: ruleList(
          {
            oneOf: [
              { type: 'string', minLength: 1 },
              {
                type: 'object',
                additionalProperties: false,
                required: ['name'],
                properties: { id, name: { type: 'string', minLength: 1 } },
              },
            ],
          },
          'Module loads (require / import), by module name (builtin or package).',
        ),
      },
    },
    secrets: {
      type: 'object',
      description: 'Reads of credential environment variables; entries are package names or globs.',
      additionalProperties: false,
      properties: {
        default: action,
        allow: { type: 'array', items: { type: 'string', minLength: 1 } },
        alert: { type: 'array', items: { type: 'string', minLength: 1 } },
        deny: { type: 'array', items: { type: 'string', minLength: 1 } },
        names: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } },
      },
    },
    packages: {
      type: 'object',
      description: 'Per-package capabilities; keys are package names or globs (`@aws-sdk/*`).',
      additionalProperties: { type: 'array', items: capability, uniqueItems: true },
    },
  },
} as const;
