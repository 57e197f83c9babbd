import * as ipaddr from 'ipaddr.js';
import { defaultPolicy } from './default-policy';
import type { Capability, Policy } from './types';

import validatePolicy = require('./generated/validate-policy.cjs');

import { withoutDigest } from './compiled';

/** A policy that could not be loaded: where, and why, precisely enough to fix it. */
export interface PolicyError {
  file: string;
  line?: number;
  column?: number;
  /** JSON pointer-ish path of the offending field, e.g. `network.allow[0].port`. */
  field: string;
  message: string;
}

export type PolicyLoadResult = { ok: true; policy: Policy } | { ok: false; error: PolicyError };

export function formatPolicyError(e: PolicyError): string {
  const where = e.line ? `${e.file}:${e.line}${e.column ? `:${e.column}` : ''}` : e.file;
  return `${where}: ${e.field ? `${e.field}: ` : ''}${e.message}`;
}

type PathSeg = string | number;

export function fieldName(path: PathSeg[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out || '(root)';
}

function pointerToPath(pointer: string): PathSeg[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

interface Located {
  line?: number;
  column?: number;
}

/** Finds the line of `path` in the source text with the YAML parser (JSON is YAML too). */
export function locate(text: string, path: PathSeg[]): Located {
  const YAML = require('yaml') as typeof import('yaml');
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter });
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    const pair = n > 0 ? findPairKey(doc, path.slice(0, n)) : undefined;
    const offset = pair ?? node?.range?.[0];
    if (offset !== undefined) {
      const pos = lineCounter.linePos(offset);
      return { line: pos.line, column: pos.col };
    }
  }
  return {};
}

function findPairKey(doc: import('yaml').Document, path: PathSeg[]): number | undefined {
  const parent = doc.getIn(path.slice(0, -1), true) as { items?: unknown[] } | undefined;
  const key = path[path.length - 1];
  if (!parent?.items || typeof key !== 'string') return undefined;
  for (const item of parent.items as { key?: { value?: unknown; range?: [number, number, number] } }[]) {
    if (item?.key?.value === key) return item.key.range?.[0];
  }
  return undefined;
}

export function parseText(
  file: string,
  text: string,
): { ok: true; value: unknown } | { ok: false; error: PolicyError } {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      // A compiled file (the layer's) edited since its build: validated as written, digest aside.
      return { ok: true, value: withoutDigest(JSON.parse(text)) };
    } catch {
      // Fall through: the YAML parser reports the line.
    }
  }
  const YAML = require('yaml') as typeof import('yaml');
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const pos = lineCounter.linePos(err.pos[0]);
    return {
      ok: false,
      error: {
        file,
        line: pos.line,
        column: pos.col,
        field: '',
        message: `syntax error: ${err.message.split('\n')[0]}`,
      },
    };
  }
  return { ok: true, value: doc.toJS() };
}

function describeAjvError(e: { keyword: string; params: Record<string, unknown>; message?: string }): {
  extra?: string;
  message: string;
} {
  if (e.keyword === 'additionalProperties') {
    const prop = String(e.params.additionalProperty);
    return { extra: prop, message: `unknown field "${prop}"` };
  }
  if (e.keyword === 'enum') {
    return {
      message: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
    };
  }
  if (e.keyword === 'const') {
    return { message: `must be ${JSON.stringify(e.params.allowedValue)}` };
  }
  if (e.keyword === 'required') {
    return { message: `missing required field "${String(e.params.missingProperty)}"` };
  }
  return { message: e.message ?? e.keyword };
}

/** Checks that the schema cannot express: CIDRs, port ranges, globs. */
function semanticErrors(doc: Record<string, unknown>): { path: PathSeg[]; message: string } | undefined {
  const net = doc.network as Record<string, unknown> | undefined;
  for (const list of ['allow', 'alert', 'deny'] as const) {
    const entries = (net?.[list] as unknown[] | undefined) ?? [];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (!entry || typeof entry !== 'object') continue;
      const { cidr, port } = entry as { cidr?: string; port?: unknown };
      if (cidr !== undefined) {
        try {
          if (cidr.includes('/')) ipaddr.parseCIDR(cidr);
          else ipaddr.parse(cidr);
        } catch {
          return { path: ['network', list, i, 'cidr'], message: `not a valid CIDR or IP: "${cidr}"` };
        }
      }
      if (typeof port === 'string') {
        const [from, to] = port.split('-').map(Number);
        if (!(from! <= to!) || to! > 65535) {
          return { path: ['network', list, i, 'port'], message: `not a valid port range: "${port}"` };
        }
      }
    }
  }
  return undefined;
}

function pick<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

function asPath(e: string | { id?: string; path: string }) {
  return typeof e === 'string' ? { path: e } : e;
}

function mergeList<T, U>(
  base: { default: Policy['files']['read']['default']; allow: U[]; alert: U[]; deny: U[] },
  over: Record<string, unknown> | undefined,
  map: (e: T) => U,
) {
  return {
    default: pick(over?.default as typeof base.default | undefined, base.default),
    allow: over?.allow ? (over.allow as T[]).map(map) : base.allow,
    alert: over?.alert ? (over.alert as T[]).map(map) : base.alert,
    deny: over?.deny ? (over.deny as T[]).map(map) : base.deny,
  };
}

/** Builds the full policy: each field the document gives replaces the built-in default's. */
export function normalizePolicy(doc: Record<string, unknown>): Policy {
  const base = defaultPolicy();
  const sec = (k: string) => doc[k] as Record<string, unknown> | undefined;
  const files = sec('files');
  const code = sec('code');
  const proc = sec('process');
  const net = sec('network');
  const secrets = sec('secrets');
  const procEntry = (e: string | object) => (typeof e === 'string' ? { exe: e } : e);
  const netEntry = (e: string | object) => {
    if (typeof e !== 'string') return e;
    const ipish = /^[0-9.]+(\/\d+)?$|:/.test(e);
    return ipish ? { cidr: e } : { host: e };
  };
  return {
    version: 1,
    mode: pick(doc.mode as Policy['mode'] | undefined, base.mode),
    failClosed: pick(doc.failClosed as boolean | undefined, base.failClosed),
    nodePermissions: pick(doc.nodePermissions as Policy['nodePermissions'] | undefined, base.nodePermissions),
    onPolicyError: pick(doc.onPolicyError as Policy['onPolicyError'] | undefined, base.onPolicyError),
    process: {
      ...mergeList(base.process, proc, procEntry),
      kill: pick(proc?.kill as Policy['process']['kill'] | undefined, base.process.kill),
    },
    network: {
      ...mergeList(base.network, net, netEntry),
      runtimeApi: pick(
        net?.runtimeApi as Policy['network']['runtimeApi'] | undefined,
        base.network.runtimeApi,
      ),
      listen: pick(net?.listen as Policy['network']['listen'] | undefined, base.network.listen),
    },
    files: {
      read: mergeList(base.files.read, files?.read as Record<string, unknown>, asPath),
      write: mergeList(base.files.write, files?.write as Record<string, unknown>, asPath),
      exec: mergeList(base.files.exec, files?.exec as Record<string, unknown>, asPath),
    },
    code: {
      eval: pick(code?.eval as Policy['code']['eval'] | undefined, base.code.eval),
      wasm: pick(code?.wasm as Policy['code']['wasm'] | undefined, base.code.wasm),
      workers: pick(code?.workers as Policy['code']['workers'] | undefined, base.code.workers),
      inspector: pick(code?.inspector as Policy['code']['inspector'] | undefined, base.code.inspector),
      nativeAddons: mergeList(base.code.nativeAddons, code?.nativeAddons as Record<string, unknown>, asPath),
      modules: mergeList(base.code.modules, code?.modules as Record<string, unknown>, (e: string | object) =>
        typeof e === 'string' ? { name: e } : (e as { name: string }),
      ),
    },
    secrets: {
      ...mergeList(base.secrets, secrets, (e: string) => e),
      names: pick(secrets?.names as string[] | undefined, base.secrets.names),
    },
    packages: pick(doc.packages as Record<string, Capability[]> | undefined, base.packages),
    ...(doc.learned ? { learned: doc.learned as Policy['learned'] } : {}),
  };
}

/** Parses, validates and normalizes a policy text. Pure: the caller reads the file. */
export function parsePolicy(file: string, text: string): PolicyLoadResult {
  const parsed = parseText(file, text);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (!validatePolicy(value)) {
    const errors = validatePolicy.errors ?? [];
    // The most specific error: the deepest path, then a keyword that says what is wrong over
    // `type` / `oneOf` (which only say that one branch of a `string | object` entry failed).
    const vague = (k: string) => (k === 'oneOf' ? 2 : k === 'type' ? 1 : 0);
    const first = [...errors].sort(
      (a, b) => b.instancePath.length - a.instancePath.length || vague(a.keyword) - vague(b.keyword),
    )[0]!;
    const { extra, message } = describeAjvError(first);
    const path = pointerToPath(first.instancePath);
    if (extra) path.push(extra);
    return { ok: false, error: { file, ...locate(text, path), field: fieldName(path), message } };
  }
  const semantic = semanticErrors(value as Record<string, unknown>);
  if (semantic) {
    return {
      ok: false,
      error: {
        file,
        ...locate(text, semantic.path),
        field: fieldName(semantic.path),
        message: semantic.message,
      },
    };
  }
  return { ok: true, policy: normalizePolicy(value as Record<string, unknown>) };
}
