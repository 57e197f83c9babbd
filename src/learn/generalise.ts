/**
 * The generalisation rules of `warden learn` (docs/learning.md explains them with examples).
 * Pure functions from observed values to the globs a policy allows. Each rule widens only as
 * far as the observations justify:
 *
 *  G0  A directory `mkdtemp(prefix)` made: the six characters it appended become `*`.
 *  G1  A token that is data, not a name (a number, hex or base-36 id, UUID, date, timestamp,
 *      random-looking string), becomes `*` inside its path segment or argument; the literal
 *      parts around it stay (`/tmp/extract-1f3a9c/` → `/tmp/extract-*`, `report-2026-11-26.txt`
 *      → `report-*.txt`).
 *  G1b A directory whose name differed between otherwise equal paths keeps the stem the names
 *      shared, at least two characters (`/tmp/job-aBcDeF/out.csv`, `/tmp/job-QwErTy/out.csv` →
 *      `/tmp/job-*\/out.csv`), wherever that name appears under the same parent.
 *  G2  Sibling files: two or more different names with one extension in one directory become
 *      `dir/*.ext`; different names without a shared extension stay as they are.
 *  G3  Subtrees: files in two or more different directories or depths under a directory whose
 *      name G1 generalised (a directory made per request) become `dir/**`. Nothing else ever
 *      becomes a whole tree.
 *  G4  Arguments keep their shape: flags stay literal, `--k=v` keeps `--k=`, numbers match
 *      numbers (also stuck to a short flag: `-n5` → `-n+([0-9])`), values that were the same in every observation stay literal (G1 applied),
 *      values that varied become `*` with the directory or extension they shared; a wildcard
 *      argument never matches one that starts with `-` (a new flag is a new capability:
 *      `tar --to-command=sh`).
 *  G4b Values that varied and are each a word, or a list of words joined by one separator
 *      (`svc1|svc2`, `api|db|cache`), match any word, or any list of words with that separator.
 *  G5  AWS endpoints: the region label of `<service>.<region>.amazonaws.com` becomes `*`;
 *      every other host name stays literal.
 *  G5b Hosts and IPs inside values stay literal: a URL's scheme, host and port, an IPv4
 *      address anywhere in an argument or path.
 *  G6  Never generalised: /proc, /sys and /dev paths, and anything under /etc.
 */

import { entryOf } from '../map-entry';
import { TASK_ROOT_VAR } from '../policy/compile';

const DATA_TOKEN = [
  /^\d+$/, // numbers, timestamps
  /^[0-9a-f]{8,}$/i, // hex ids, hashes
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, // UUIDs
  /^\d{4}-\d{2}-\d{2}(t[\d:.]+z?)?$/i, // dates
];

/** True when a token (a run between `-`, `_`, `.`) is data rather than a name. */
export function isDataToken(token: string): boolean {
  if (token.length === 0) return false;
  if (DATA_TOKEN.some((re) => re.test(token))) return true;
  // Random-looking: long, with digits and letters mixed (tmp names, request ids, base-36).
  if (token.length >= 6 && /\d/.test(token) && /[a-z]/i.test(token) && /^[a-z0-9]+$/i.test(token)) {
    const digits = token.replace(/\D/g, '').length;
    return digits >= 2;
  }
  return token.length >= 16 && /^[A-Za-z0-9+/=_-]+$/.test(token) && /[A-Z]/.test(token) && /\d/.test(token);
}

/** IPv4 addresses inside a word (`10.0.0.1`, `127.0.0.1:4566`): names, never data (G5b). */
const IPV4_IN_TEXT = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])/g;

/** G1 on one segment or word: data tokens become `*`, neighbouring stars merge. */
export function generaliseToken(text: string): string {
  return markData(text).replace(/\uE000/g, '*');
}

/** G1 with each data token marked `\uE000` (a literal `*` in the text stays a literal). */
function markData(text: string): string {
  // An IP address stays as it is: kept aside, put back after.
  const kept: string[] = [];
  const masked = text.replace(IPV4_IN_TEXT, (ip) => `\uE001${kept.push(ip) - 1}\uE002`);
  if (kept.length > 0)
    return markData(masked.replace(/\uE001\d+\uE002/g, '\uE003'))
      .split('\uE003')
      .reduce((acc, part, i) => (i === 0 ? part : `${acc}${kept[i - 1]}${part}`), '');
  // A UUID or a date spans separators: replace those whole first.
  let s = text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '\uE000')
    .replace(/\d{4}-\d{2}-\d{2}(?:[tT][\d:.]+[zZ]?)?/g, '\uE000');
  s = s
    .split(/([-_.])/)
    .map((part) =>
      part === '-' || part === '_' || part === '.' ? part : isDataToken(part) ? '\uE000' : part,
    )
    .join('');
  // Stars separated only by separators are one star (`*-*-*` → `*`), an extension stays.
  return s.replace(/\uE000(?:[-_]\uE000)+/g, '\uE000').replace(/\uE000(?:\.\uE000)+(?=$|\.)/g, '\uE000');
}

const NEVER = /^\/(proc|sys|dev|etc)(\/|$)/;

/** G1 as a glob: the stars it made, every literal character escaped. */
function tokenGlob(text: string): string {
  return markData(text).split('\uE000').map(escapeGlob).join('*');
}

/** G1 on a path, as a glob (literal parts escaped); G6 paths stay literal. */
export function generalisePath(p: string): string {
  // The function's directory placeholder is the compiler's, not a glob.
  if (p.startsWith(TASK_ROOT_VAR)) return `${TASK_ROOT_VAR}${generalisePath(p.slice(TASK_ROOT_VAR.length))}`;
  if (NEVER.test(p)) return escapeGlob(p);
  return p.split('/').map(tokenGlob).join('/');
}

/** `scheme://authority`, the start of a URL. */
const URL_START = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/**
 * A value as a glob: a URL keeps its scheme, host and port literal (G5b) and generalises its
 * path; a path by segments; anything else as one token.
 */
function valueGlob(v: string): string {
  const url = URL_START.exec(v);
  if (url)
    return `${escapeGlob(url[0])}${v.length > url[0].length ? generalisePath(v.slice(url[0].length)) : ''}`;
  return v.includes('/') ? generalisePath(v) : tokenGlob(v);
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

export interface PathGroup {
  /** The glob the policy gets. */
  pattern: string;
  /** The observed paths it stands for. */
  paths: string[];
}

/**
 * G1–G3 over one list of observed paths (read, write or exec). Returns globs, each with the
 * paths it came from, sorted by pattern.
 */
export function generalisePaths(paths: readonly string[], tempPrefixes: readonly string[] = []): PathGroup[] {
  const groups = new Map<string, Set<string>>();
  const add = (pattern: string, from: Iterable<string>) => {
    const g = entryOf(groups, pattern, () => new Set<string>());
    for (const p of from) g.add(p);
  };
  // G1 (and G0: the name mkdtemp made).
  const g1 = new Map<string, Set<string>>();
  for (const p of new Set(paths)) {
    entryOf(g1, tempDirShape(p, tempPrefixes) ?? generalisePath(p), () => new Set<string>()).add(p);
  }
  const byShape = mergeVaryingDirectories(g1);
  // G3: directories G1 generalised, holding things at two or more different places.
  const treeRoots = new Map<string, Set<string>>();
  for (const shape of byShape.keys()) {
    if (NEVER.test(shape)) continue;
    const segs = shape.split('/');
    for (let i = 1; i < segs.length - 1; i++) {
      if (!hasStar(segs[i]!)) continue;
      const root = segs.slice(0, i + 1).join('/');
      entryOf(treeRoots, root, () => new Set<string>()).add(segs.slice(i + 1).join('/'));
      break;
    }
  }
  // Files at two or more depths or directories under it; siblings in one directory are G2's.
  const dirsOf = (inner: Set<string>) =>
    new Set([...inner].map((rel) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '')));
  const trees = [...treeRoots].filter(([, inner]) => dirsOf(inner).size >= 2).map(([root]) => root);
  const inTree = (shape: string) => trees.find((t) => shape.startsWith(`${t}/`));
  // G2: siblings with one extension.
  const byDirExt = new Map<string, string[]>();
  for (const shape of byShape.keys()) {
    if (inTree(shape) || NEVER.test(shape)) continue;
    const slash = shape.lastIndexOf('/');
    const name = shape.slice(slash + 1);
    const ext = extensionOf(name);
    if (!ext || hasStar(name)) continue;
    const key = `${shape.slice(0, slash)}\uE000${ext}`;
    entryOf(byDirExt, key, () => [] as string[]).push(shape);
  }
  const siblingOf = new Map<string, string>();
  for (const [key, shapes] of byDirExt) {
    if (shapes.length < 2) continue;
    const [dir, ext] = key.split('\uE000') as [string, string];
    for (const s of shapes) siblingOf.set(s, `${dir}/*${ext}`);
  }
  for (const [shape, observed] of byShape) {
    const tree = inTree(shape);
    if (tree) add(`${tree}/**`, observed);
    else add(siblingOf.get(shape) ?? shape, observed);
  }
  // A tree's own directory (created, listed, removed) keeps its own entry: `dir/**` is inside it.
  return [...groups]
    .map(([pattern, ps]) => ({ pattern, paths: [...ps].sort() }))
    .sort((a, b) => (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0));
}

/**
 * G0: a path in a directory `mkdtemp(prefix)` made: the six characters it appended are data,
 * whatever they spell (`/tmp/job-QowZk7/a.txt` → `/tmp/job-*\/a.txt`).
 */
function tempDirShape(p: string, prefixes: readonly string[]): string | undefined {
  for (const prefix of prefixes) {
    if (!p.startsWith(prefix)) continue;
    const rest = p.slice(prefix.length);
    if (!/^[A-Za-z0-9]{6}(\/|$)/.test(rest)) continue;
    return `${generalisePath(prefix)}*${rest.length > 6 ? generalisePath(rest.slice(6)) : ''}`;
  }
  return undefined;
}

function commonPrefix(values: string[]): string {
  let p = values[0] ?? '';
  for (const v of values) while (!v.startsWith(p)) p = p.slice(0, -1);
  return p;
}

function commonSuffix(values: string[]): string {
  let s = values[0] ?? '';
  for (const v of values) while (!v.endsWith(s)) s = s.slice(1);
  return s;
}

/**
 * G1b: a directory whose name differed between observations that are otherwise the same path
 * (`/tmp/job-aBcDeF/out.csv`, `/tmp/job-QwErTy/out.csv`: a random name G1 could not tell from a
 * word) keeps what the names shared: `/tmp/job-*`. Only directories, only when two or more
 * names were seen, never under G6 paths.
 */
function mergeVaryingDirectories(shapes: Map<string, Set<string>>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const groups = new Map<string, { index: number; names: Set<string> }>();
  const split = [...shapes.keys()].map((shape) => shape.split('/'));
  for (const segs of split) {
    if (NEVER.test(segs.join('/'))) continue;
    for (let i = 1; i < segs.length - 1; i++) {
      if (hasStar(segs[i]!)) continue;
      const key = `${i}\u0000${segs.slice(0, i).join('/')}\u0000${segs.slice(i + 1).join('/')}`;
      entryOf(groups, key, () => ({ index: i, names: new Set<string>() })).names.add(segs[i]!);
    }
  }
  // Each name of a directory that varied, wherever it appears under the same parent.
  const renames = new Map<string, string>();
  for (const [key, g] of groups) {
    if (g.names.size < 2) continue;
    // The names are globs already (literal characters escaped): compare them as text.
    const names = [...g.names].map(unescapeGlob);
    const prefix = commonPrefix(names);
    const suffix = commonSuffix(names.map((n) => n.slice(prefix.length)));
    // Generated names share a stem (`job-`, `.tmp`); two unrelated directories do not merge.
    if (prefix.length + suffix.length < 2) continue;
    const glob = `${escapeGlob(prefix)}*${escapeGlob(suffix)}`;
    const parent = key.split('\u0000')[1]!;
    for (const name of g.names) renames.set(`${g.index}\u0000${parent}\u0000${name}`, glob);
  }
  for (const [shape, observed] of shapes) {
    const segs = shape.split('/');
    const original = [...segs];
    for (let i = 1; i < segs.length - 1; i++) {
      const glob = renames.get(`${i}\u0000${original.slice(0, i).join('/')}\u0000${original[i]}`);
      if (glob) segs[i] = glob;
    }
    const target = entryOf(out, segs.join('/'), () => new Set<string>());
    for (const p of observed) target.add(p);
  }
  return out;
}

/** G4: the glob for one argument position, from every value it had. */
export function argumentShape(values: readonly string[]): string {
  const distinct = [...new Set(values)];
  // A short flag with a number stuck to it (`-n5`, `-j4`): the flag, then any number.
  const numbered = distinct.map((v) => /^(-[A-Za-z])(\d+)$/.exec(v)?.[1]);
  if (numbered[0] && numbered.every((f) => f === numbered[0])) return `${escapeGlob(numbered[0])}+([0-9])`;
  if (distinct.length === 1) {
    const v = distinct[0]!;
    if (v.startsWith('-')) {
      const eq = v.indexOf('=');
      return eq > 0 ? `${escapeGlob(v.slice(0, eq + 1))}${globOfToken(v.slice(eq + 1))}` : escapeGlob(v);
    }
    return globOfToken(v);
  }
  // Values that varied: a flag with values (`--out=a`, `--out=b`) keeps its name.
  const flags = distinct.map((v) => (v.startsWith('-') ? v.split('=')[0] : undefined));
  if (flags[0] && flags.every((f) => f === flags[0]) && distinct.every((v) => v.includes('=')))
    return `${escapeGlob(flags[0])}=${variedShape(distinct.map((v) => v.slice(v.indexOf('=') + 1)))}`;
  if (distinct.some((v) => v.startsWith('-'))) return `{${distinct.map(escapeGlob).sort().join(',')}}`;
  return variedShape(distinct);
}

/** A star never starts an argument: `[^-]` first (a new flag is not the same shape). */
function noFlag(glob: string): string {
  return glob.startsWith('*') ? `[^-]${glob}` : glob;
}

/** A value seen once: literal, with G1 for path segments and data tokens; a number stays one. */
function globOfToken(v: string): string {
  if (/^\d+$/.test(v)) return '+([0-9])';
  return noFlag(valueGlob(v));
}

function variedShape(values: string[]): string {
  if (values.every((v) => /^\d+$/.test(v))) return '+([0-9])';
  const shapes = new Set(values.map(valueGlob));
  if (shapes.size === 1) {
    const [shape] = shapes as Set<string>;
    if (hasStar(shape)) return noFlag(shape);
  }
  const paths = variedPathShape(values);
  if (paths) return paths;
  // Paths in one directory keep the directory; anything else keeps only a shared extension.
  const dirs = new Set(values.map((v) => (v.includes('/') ? v.slice(0, v.lastIndexOf('/') + 1) : '')));
  const dir = dirs.size === 1 ? [...dirs][0]! : '';
  const exts = new Set(values.map((v) => extensionOf(v.slice(v.lastIndexOf('/') + 1))));
  const ext = exts.size === 1 ? [...exts][0]! : '';
  if (!dir && !ext) {
    const list = wordListShape(values);
    if (list) return list;
  }
  const dirGlob = dir ? valueGlob(dir) : '';
  return `${dirGlob}${dir ? '' : '[^-]'}*${escapeGlob(ext)}`;
}

/**
 * G1b for arguments: absolute paths of one depth that differ in some segments (a directory
 * `mkdtemp` named: `/tmp/doc-QowZk7/document.bin`, `/tmp/doc-aBcDeF/document.bin`): equal
 * segments stay, a segment that differed keeps the stem its values shared, at least two
 * characters (`/tmp/doc-*\/document.bin`). Undefined when a segment shares less, or under G6.
 */
function variedPathShape(values: readonly string[]): string | undefined {
  if (!values.every((v) => v.startsWith('/') && !NEVER.test(v))) return undefined;
  const split = values.map((v) => v.split('/'));
  const depth = split[0]!.length;
  if (!split.every((segs) => segs.length === depth)) return undefined;
  const out: string[] = [];
  for (let i = 0; i < depth; i++) {
    const segs = [...new Set(split.map((s) => s[i]!))];
    const shapes = new Set(segs.map(tokenGlob));
    if (shapes.size === 1) {
      out.push([...shapes][0]!);
      continue;
    }
    const prefix = commonPrefix(segs);
    const suffix = commonSuffix(segs.map((x) => x.slice(prefix.length)));
    if (prefix.length + suffix.length < 2) return undefined;
    out.push(`${escapeGlob(prefix)}*${escapeGlob(suffix)}`);
  }
  return out.join('/');
}

/** A word of a value assembled from input: letters, digits, `_ . @ -` (not first: a flag). */
const WORD = '[A-Za-z0-9_.@-]';
const FIRST = '[A-Za-z0-9_.@]';
/** Separators a list of words is joined with (`svc1|svc2`, `a,b,c`, `x y`, `k:v`, `a+b`). */
const LIST_SEPARATORS = ['|', ',', ' ', ':', '+'];

/**
 * G4b: values that varied and are each one word, or each a list of words joined by the same
 * separator (a command assembled from the request: `egrep "orders|users"`), become "any word" or
 * "any list of words joined by that separator", however many: unseen names of the same shape
 * pass; another separator, a quote, a shell metacharacter, a space where none was, or a leading
 * `-` do not.
 */
export function wordListShape(values: readonly string[]): string | undefined {
  const word = new RegExp(`^${FIRST}${WORD}*$`);
  const later = new RegExp(`^${WORD}+$`);
  if (values.every((v) => word.test(v))) return `${FIRST}*(${WORD})`;
  for (const sep of LIST_SEPARATORS) {
    if (!values.some((v) => v.includes(sep))) continue;
    const lists = values.map((v) => v.split(sep));
    if (lists.every(([first, ...rest]) => word.test(first!) && rest.every((w) => later.test(w))))
      return `${FIRST}*(${WORD})*(${escapeGlob(sep)}+(${WORD}))`;
  }
  return undefined;
}

/** Characters that are glob syntax (`@`, `!` only before `(`, `!` also first). */
const GLOB_SPECIAL = /[*?[\]{}()\\"|+$^]|[!@](?=\()|^!/g;

/**
 * A literal as a glob that matches only it (readable: `@scope/pkg` stays as it is). A backslash
 * is a class of its own, `[\\]`: picomatch loses an escaped backslash at a glob's start.
 */
export function escapeGlob(s: string): string {
  return s.replace(GLOB_SPECIAL, (c) => (c === '\\' ? '[\\\\]' : `\\${c}`));
}

/** A glob with a star of its own (not an escaped literal `*`). */
function hasStar(glob: string): boolean {
  return /(^|[^\\])\*/.test(glob);
}

function unescapeGlob(s: string): string {
  return s.replace(/\[\\\\\]|\\([*?[\]{}()!+@"|$^])/g, (_m, c) => c ?? '\\');
}

const AWS_HOST = /^(.+)\.([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d)\.amazonaws\.com(\.cn)?$/;

/**
 * G5: the host glob for a named destination: the host itself, except the region of an AWS
 * service endpoint. Never a suffix wildcard: `*.execute-api.….amazonaws.com` would admit an API
 * anyone can create, `*.example.com` any name someone under it can point anywhere.
 */
export function hostPattern(host: string): string {
  const h = host.toLowerCase();
  const aws = AWS_HOST.exec(h);
  if (aws) return `${escapeGlob(aws[1]!)}.*.amazonaws.com${aws[3] ?? ''}`;
  return escapeGlob(h);
}
