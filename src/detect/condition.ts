/**
 * The typed matcher: a condition tree (all / any / not / field tests, in the style of
 * Tetragon's selectors) checked against the field table and compiled once into a predicate.
 * A field test on a list field (`process.argv`) holds when any element passes. Compiling
 * throws a `ConditionError` naming the condition's path, which the loader turns into a line.
 */
import { ipaddr, picomatch } from '../lazy';
import { type Ipv4Net, inIpv4Net, ipv4Int, ipv4Net, normalizeIp } from '../net/address';
import { FIELDS } from './fields';
import type { Condition, FieldSource, FieldTest, FieldValue } from './types';

export class ConditionError extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

type Pred = (read: FieldSource) => boolean;
type Scalar = string | number | boolean;
type Test = (v: Scalar) => boolean;

const OPERATORS = [
  'equals',
  'in',
  'prefix',
  'suffix',
  'contains',
  'glob',
  'regex',
  'cidr',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
] as const;
const STRING_OPS = new Set(['prefix', 'suffix', 'contains', 'glob', 'regex', 'cidr']);
const NUMBER_OPS = new Set(['gt', 'gte', 'lt', 'lte']);

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

function scalarTest(op: string, arg: unknown, path: (string | number)[]): Test {
  const fail = (msg: string): never => {
    throw new ConditionError([...path, op], msg);
  };
  switch (op) {
    case 'equals':
      if (!['string', 'number', 'boolean'].includes(typeof arg)) fail('must be a string, number or boolean');
      return (v) => v === arg;
    case 'in': {
      if (!Array.isArray(arg) || arg.length === 0) fail('must be a non-empty list');
      const set = new Set(arg as Scalar[]);
      return (v) => set.has(v);
    }
    case 'prefix': {
      const ps = list(arg as string);
      return (v) => typeof v === 'string' && ps.some((p) => v.startsWith(p));
    }
    case 'suffix': {
      const ps = list(arg as string);
      return (v) => typeof v === 'string' && ps.some((p) => v.endsWith(p));
    }
    case 'contains': {
      const ps = list(arg as string);
      return (v) => typeof v === 'string' && ps.some((p) => v.includes(p));
    }
    case 'glob': {
      // Compiled to regular expressions once: a picomatch matcher per call costs microseconds.
      let res: RegExp[] = [];
      try {
        res = list(arg as string).map((g) => picomatch().makeRe(g, { dot: true, bash: true }));
      } catch (e) {
        fail(`bad glob: ${(e as Error).message}`);
      }
      return (v) => {
        if (typeof v !== 'string') return false;
        for (const re of res) if (re.test(v)) return true;
        return false;
      };
    }
    case 'regex': {
      if (typeof arg !== 'string') fail('must be a string');
      let re: RegExp | undefined;
      try {
        re = new RegExp(arg as string, 'u');
      } catch (e) {
        fail(`bad regular expression: ${(e as Error).message}`);
      }
      return (v) => typeof v === 'string' && re!.test(v);
    }
    case 'cidr': {
      const nets = list(arg as string).map((c) => {
        try {
          return ipaddr().parseCIDR(c);
        } catch {
          return fail(`not a CIDR: ${JSON.stringify(c)}`);
        }
      });
      // IPv4 networks as integers: a dotted address (what events carry) is tested without parsing.
      const v4 = nets
        .filter(([net]) => net.kind() === 'ipv4')
        .map(([net, bits]) => ipv4Net(net.toString(), bits) as Ipv4Net);
      return (v) => {
        if (typeof v !== 'string') return false;
        const n = ipv4Int(v);
        if (n !== undefined) return v4.some((net) => inIpv4Net(n, net));
        const ip = normalizeIp(v);
        if (!ip) return false;
        const addr = ipaddr().parse(ip);
        return nets.some(([net, bits]) => addr.kind() === net.kind() && addr.match(net, bits));
      };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (typeof arg !== 'number') fail('must be a number');
      const n = arg as number;
      return op === 'gt'
        ? (v) => typeof v === 'number' && v > n
        : op === 'gte'
          ? (v) => typeof v === 'number' && v >= n
          : op === 'lt'
            ? (v) => typeof v === 'number' && v < n
            : (v) => typeof v === 'number' && v <= n;
    }
  }
  return fail(`unknown operator "${op}"`);
}

function fieldTest(t: FieldTest, path: (string | number)[]): Pred {
  const def = FIELDS[t.field];
  if (!def)
    throw new ConditionError([...path, 'field'], `unknown field "${t.field}" (see \`warden rules fields\`)`);
  const ops = Object.keys(t).filter((k) => k !== 'field');
  const unknown = ops.find((k) => !(OPERATORS as readonly string[]).includes(k));
  if (unknown)
    throw new ConditionError(
      [...path, unknown],
      `unknown operator "${unknown}" (one of ${OPERATORS.join(', ')})`,
    );
  if (ops.length !== 1)
    throw new ConditionError(
      path,
      `a field test has exactly one operator (found ${ops.length ? ops.join(', ') : 'none'})`,
    );
  const op = ops[0]!;
  const name = t.field;
  if (op === 'exists') {
    const want = t.exists;
    if (typeof want !== 'boolean') throw new ConditionError([...path, op], 'must be true or false');
    return (read) => (read(name) !== undefined) === want;
  }
  const elem = def.type === 'string[]' ? 'string' : def.type;
  if (STRING_OPS.has(op) && elem !== 'string')
    throw new ConditionError([...path, op], `"${op}" needs a text field; ${name} is a ${def.type}`);
  if (NUMBER_OPS.has(op) && elem !== 'number')
    throw new ConditionError([...path, op], `"${op}" needs a number field; ${name} is a ${def.type}`);
  const arg = (t as unknown as Record<string, unknown>)[op];
  if (op === 'equals' && typeof arg !== elem)
    throw new ConditionError([...path, op], `${name} is a ${def.type}: compare it with a ${elem}`);
  const test = scalarTest(op, arg, path);
  if (def.type === 'string[]')
    return (read) => {
      const v = read(name) as string[] | undefined;
      if (!v) return false;
      for (const x of v) if (test(x)) return true;
      return false;
    };
  return (read) => {
    const v: FieldValue = read(name);
    return v !== undefined && test(v as Scalar);
  };
}

/** Compiles a condition (throws ConditionError with the path inside it). */
export function compileCondition(c: Condition, path: (string | number)[] = []): Pred {
  if (c === null || typeof c !== 'object' || Array.isArray(c))
    throw new ConditionError(
      path,
      'a condition is an object: {all: […]}, {any: […]}, {not: …} or {field: …, <operator>: …}',
    );
  const keys = Object.keys(c);
  if ('all' in c || 'any' in c) {
    const kind = 'all' in c ? 'all' : 'any';
    if (keys.length !== 1) throw new ConditionError(path, `"${kind}" stands alone in its object`);
    const items = (c as Record<string, unknown>)[kind];
    if (!Array.isArray(items) || items.length === 0)
      throw new ConditionError([...path, kind], 'must be a non-empty list of conditions');
    const preds = items.map((x, i) => compileCondition(x as Condition, [...path, kind, i]));
    return kind === 'all' ? (r) => preds.every((p) => p(r)) : (r) => preds.some((p) => p(r));
  }
  if ('not' in c) {
    if (keys.length !== 1) throw new ConditionError(path, '"not" stands alone in its object');
    const p = compileCondition(c.not, [...path, 'not']);
    return (r) => !p(r);
  }
  if (!('field' in c)) throw new ConditionError(path, 'expected "all", "any", "not" or "field"');
  return fieldTest(c as FieldTest, path);
}

export { fieldsOf } from './condition-fields';
