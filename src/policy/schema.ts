/**
 * The published JSON Schema of policy v1 (written to schema/policy.schema.json by the build).
 * Repeated shapes are `definitions` referenced with `$ref`, so the generated validator (ajv
 * standalone, `inlineRefs: false`) has one small function per shape instead of one huge one:
 * it is compiled at cold start whenever a policy file is given.
 */

const ref = (name: string) => ({ $ref: `#/definitions/${name}` });

function ruleList(entry: string, description: string, extra: Record<string, object> = {}) {
  return {
    type: 'object',
    description,
    additionalProperties: false,
    properties: {
      default: { ...ref('action'), description: 'Action when no entry matches.' },
      allow: { type: 'array', items: ref(entry) },
      alert: { type: 'array', items: ref(entry) },
      deny: { type: 'array', items: ref(entry) },
      ...extra,
    },
  };
}

const id = { type: 'string', minLength: 1 };

/** An entry written as a bare string, or as `{ id?, <field> }`. */
function namedEntry(field: string) {
  return {
    oneOf: [
      { type: 'string', minLength: 1 },
      {
        type: 'object',
        additionalProperties: false,
        required: [field],
        properties: { id, [field]: { type: 'string', minLength: 1 } },
      },
    ],
  };
}

export const policySchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://warden.dev/schema/policy.schema.json',
  title: 'Warden policy v1',
  type: 'object',
  additionalProperties: false,
  required: ['version'],
  definitions: {
    action: { type: 'string', enum: ['allow', 'alert', 'deny'] },
    pathEntry: namedEntry('path'),
    processEntry: {
      oneOf: [
        { type: 'string', minLength: 1 },
        {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            id,
            exe: { type: 'string', minLength: 1 },
            args: { type: 'string' },
            argv: {
              type: 'array',
              items: { type: 'string' },
              description:
                'One glob per argument after argv[0], exactly that many; `*` matches any characters of one argument.',
            },
            parent: {
              type: 'string',
              minLength: 1,
              description: 'Glob on the executable of the process that started it (bare name: basename).',
            },
          },
        },
      ],
    },
    port: {
      oneOf: [
        { type: 'integer', minimum: 0, maximum: 65535 },
        { type: 'array', items: { type: 'integer', minimum: 0, maximum: 65535 }, minItems: 1 },
        { type: 'string', pattern: '^[0-9]{1,5}-[0-9]{1,5}$' },
      ],
    },
    networkEntry: {
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
            port: ref('port'),
            protocol: { type: 'string', enum: ['tcp', 'udp', 'dns'] },
          },
        },
      ],
    },
    moduleEntry: namedEntry('name'),
    packageGlob: { type: 'string', minLength: 1 },
    pathList: ruleList('pathEntry', 'Paths, by glob.'),
    capability: {
      type: 'string',
      enum: ['process', 'network', 'fs', 'fs-read', 'fs-write', 'code', 'native', 'workers', 'secrets'],
    },
  },
  properties: {
    version: { const: 1 },
    mode: { type: 'string', enum: ['monitor', 'enforce'] },
    failClosed: { type: 'boolean' },
    nodePermissions: {
      enum: [true, false, 'auto'],
      description:
        "Also run the function under Node's permission model, as a C++-level backstop of the policy's hard denials (flags computed by `warden layer build`): `auto` (default) in enforce mode on Node 22 and 24 when the policy hard-denies something Node can express; `true` on every runtime; `false` never.",
    },
    onPolicyError: { type: 'string', enum: ['default-monitor', 'default-enforce', 'deny-all'] },
    process: ruleList('processEntry', 'Process spawns (child_process, raw bindings).', {
      kill: { ...ref('action'), description: 'process.kill of a process that is not this one or its child.' },
    }),
    network: ruleList('networkEntry', 'Outbound connections, datagrams and DNS queries.', {
      runtimeApi: { ...ref('action'), description: 'Function code connecting to AWS_LAMBDA_RUNTIME_API.' },
      listen: {
        ...ref('action'),
        description:
          'Listening for inbound TCP connections (net.Server.listen, a bind shell). A Unix socket server is a write of its socket file (files.write).',
      },
    }),
    files: {
      type: 'object',
      additionalProperties: false,
      properties: {
        read: { ...ref('pathList'), description: 'Opening or listing a path for reading.' },
        write: {
          ...ref('pathList'),
          description: 'Creating, writing, deleting, renaming, linking or chmod-ing a path.',
        },
        exec: { ...ref('pathList'), description: 'Executing a path (spawned executables).' },
      },
    },
    code: {
      type: 'object',
      additionalProperties: false,
      properties: {
        eval: { ...ref('action'), description: 'eval, Function constructors and vm compilation.' },
        wasm: ref('action'),
        workers: ref('action'),
        inspector: {
          ...ref('action'),
          description:
            "The inspector (node:inspector sessions, inspector.open, SIGUSR1 to itself): it runs code and reads any object, Warden's own included.",
        },
        nativeAddons: { ...ref('pathList'), description: 'Native addons (process.dlopen), by path.' },
        modules: ruleList(
          'moduleEntry',
          'Module loads (require / import), by module name (builtin or package).',
        ),
      },
    },
    secrets: ruleList(
      'packageGlob',
      'Reads of credential environment variables; entries are package names or globs.',
      {
        names: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } },
      },
    ),
    packages: {
      type: 'object',
      description: 'Per-package capabilities; keys are package names or globs (`@aws-sdk/*`).',
      additionalProperties: { type: 'array', items: ref('capability'), uniqueItems: true },
    },
    learned: {
      type: 'object',
      description:
        'Written by `warden learn`: the policy is a baseline, and what it does not allow is reported as a deviation.',
      additionalProperties: false,
      required: ['invocations', 'observations'],
      properties: {
        invocations: { type: 'integer', minimum: 0 },
        observations: { type: 'integer', minimum: 0 },
      },
    },
  },
} as const;
