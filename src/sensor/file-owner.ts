/**
 * Who owns a file of code, proven rather than read from its path:
 *
 * - **the code V8 ran is the file's**: a stack frame names a script, and any code can be
 *   compiled under any name (`vm` filenames, `Module.prototype._compile`, a loader hook's
 *   source). V8 gives each frame its script's SHA-256 (`CallSite#getScriptHash`); a frame counts
 *   as its file's only when that hash is the hash of the file's content on disk. Code a loader transformed (a TypeScript file Node
 *   strips types from, a transpiling require hook) is not its file's: `<unknown>`.
 * - **the package is the one npm would have installed there**: a file under
 *   `…/node_modules/<name>/` belongs to `<name>` only when that folder's package.json is named
 *   `<name>` and the folder holding that `node_modules` is the function's (or a layer's) top
 *   level, pnpm's store, or a package that declares `<name>` as a dependency (or a package
 *   beside it there does: npm places a nested dependency's own dependencies beside it). A
 *   package's own folder named `node_modules/@aws-sdk/…` is that package's code. Nothing written
 *   to a writable directory (`/tmp`) since this process started is anyone's package (code
 *   dropped there at run time, `<unknown>`), unless it is in the function's directory.
 *
 * Reads go through the reader the sensor gives (its own, unjudged); results are cached per
 * file and per folder for the life of the process.
 */
export interface FileReader {
  read(file: string): Buffer | undefined;
  list(dir: string): string[];
  /** SHA-256, hex (the sensor loads `crypto` unjudged, on first use). */
  sha256(data: Uint8Array): string;
  /** When the file last changed (ms since the epoch: its ctime, which no one can set back). */
  changedAt(file: string): number | undefined;
}

/** Directories any code in the sandbox can write to: where code is dropped. */
export const WRITABLE = ['/tmp/', '/dev/shm/', '/var/tmp/'];
const NM = '/node_modules/';
const DEPENDENCY_FIELDS = [
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'devDependencies',
  'bundleDependencies',
  'bundledDependencies',
];

let reader: FileReader | undefined;
let taskRoot: string | undefined;
const hashes = new Map<string, ReadonlySet<string> | null>();
const manifests = new Map<string, Manifest | null>();
const owners = new Map<string, string>();
const besideDeclared = new Map<string, ReadonlySet<string>>();

interface Manifest {
  name?: string;
  declares: ReadonlySet<string>;
}

/** The sensor's own reader, and the function's directory (trusted even under /tmp in a sandbox). */
export function setFileReader(r: FileReader, root: string | undefined): void {
  reader = r;
  taskRoot = root ? (root.endsWith('/') ? root : `${root}/`) : undefined;
  hashes.clear();
  manifests.clear();
  owners.clear();
  besideDeclared.clear();
}

/** The hashes a genuine compile of `file` has, or null when it cannot be read. */
function hashesOf(file: string): ReadonlySet<string> | null {
  let known = hashes.get(file);
  if (known !== undefined) return known;
  const data = reader?.read(file);
  if (!data) {
    hashes.set(file, null);
    return null;
  }
  const r = reader!;
  // V8 hashes the source as the loader handed it over: a CommonJS file's bytes as they are,
  // an ES module's without its byte-order mark.
  const out = new Set([r.sha256(data)]);
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) out.add(r.sha256(data.subarray(3)));
  known = out;
  hashes.set(file, known);
  return known;
}

/**
 * True when the script V8 ran (its hash) is the content of `file`. Where V8 gives no hash, or
 * the sensor has no reader (outside the sensor), the name is all there is.
 */
export function ranFromFile(file: string, scriptHash: string | undefined): boolean {
  if (!reader || scriptHash === undefined) return true;
  return hashesOf(file)?.has(scriptHash) ?? false;
}

function manifestOf(dir: string): Manifest | null {
  let m = manifests.get(dir);
  if (m !== undefined) return m;
  m = null;
  const data = reader?.read(`${dir}/package.json`);
  if (data) {
    try {
      const json = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      const declares = new Set<string>();
      for (const field of DEPENDENCY_FIELDS) {
        const deps = json[field];
        if (Array.isArray(deps)) for (const d of deps) if (typeof d === 'string') declares.add(d);
        if (deps && typeof deps === 'object' && !Array.isArray(deps))
          for (const d of Object.keys(deps)) declares.add(d);
      }
      m = { ...(typeof json.name === 'string' ? { name: json.name } : {}), declares };
    } catch {
      m = null;
    }
  }
  manifests.set(dir, m);
  return m;
}

// When this process started (ms since the epoch).
const processStart = performance.timeOrigin;

/**
 * Code that may have been dropped at run time: in a writable directory (outside the function's),
 * and changed since this process started (or of unknown age). A checkout in /tmp made before is not.
 */
function dropped(path: string): boolean {
  if (taskRoot && path.startsWith(taskRoot)) return false;
  if (!WRITABLE.some((w) => path.startsWith(w))) return false;
  const changed = reader?.changedAt(path);
  return changed === undefined || changed >= processStart;
}

/** Names declared by the packages installed in `<holder>/node_modules` (npm's nested placement). */
function declaredBeside(holder: string): ReadonlySet<string> {
  let out = besideDeclared.get(holder);
  if (out) return out;
  const names = new Set<string>();
  const nm = `${holder}/node_modules`;
  for (const entry of reader?.list(nm) ?? []) {
    const dirs = entry.startsWith('@')
      ? (reader?.list(`${nm}/${entry}`) ?? []).map((e) => `${entry}/${e}`)
      : [entry];
    for (const d of dirs) for (const n of manifestOf(`${nm}/${d}`)?.declares ?? []) names.add(n);
  }
  out = names;
  besideDeclared.set(holder, out);
  return out;
}

/** True when npm could have put package `name` in `<holder>/node_modules/`. */
function installedBy(holder: string, name: string): boolean {
  if (!holder.includes(NM)) return !dropped(`${holder}${NM}${name}/package.json`);
  // pnpm's store: <top>/node_modules/.pnpm/<id>/node_modules/<name>
  const store = holder.lastIndexOf('/node_modules/.pnpm/');
  if (store >= 0 && !holder.slice(store + NM.length + 6).includes('/'))
    return !holder.slice(0, store).includes(NM) && !dropped(`${holder}${NM}${name}/package.json`);
  const holderOwner = packageDirOwner(holder);
  if (holderOwner === undefined) return false;
  return manifestOf(holder)?.declares.has(name) === true || declaredBeside(holder).has(name);
}

/** The package whose folder `dir` is (`…/node_modules/<name>`), if it proves to be one. */
function packageDirOwner(dir: string): string | undefined {
  const owner = ownerOfPath(`${dir}/package.json`);
  return owner.startsWith('<') ? undefined : owner;
}

/**
 * The owner of a file by where it is: a package name, `<function>`, or `<unknown>` for code in
 * a writable directory outside the function's. (Runtime and Warden paths are decided by the
 * caller before this.)
 */
export function ownerOfPath(file: string): string {
  let owner = owners.get(file);
  if (owner !== undefined) return owner;
  owner = computeOwner(file);
  owners.set(file, owner);
  return owner;
}

function computeOwner(file: string): string {
  const idx = file.lastIndexOf(NM);
  if (idx < 0) return dropped(file) ? '<unknown>' : '<function>';
  const rest = file.slice(idx + NM.length).split('/');
  const name = rest[0]?.startsWith('@') && rest[1] ? `${rest[0]}/${rest[1]}` : rest[0];
  const holder = file.slice(0, idx);
  if (!name || name.startsWith('.')) return ownerOfPath(`${holder}/`);
  const dir = `${holder}${NM}${name}`;
  if (!reader) return name;
  if (manifestOf(dir)?.name === name && installedBy(holder, name)) return name;
  // Not an installed package: the code belongs to whoever owns the folder it sits in.
  return ownerOfPath(`${holder}/`);
}

/** The npm package a file's path names (innermost node_modules segment): text only, no proof. */
export function packageOfFile(file: string): string | undefined {
  const idx = file.lastIndexOf(NM);
  if (idx < 0) return undefined;
  const rest = file.slice(idx + NM.length).split('/');
  if (rest[0]?.startsWith('@') && rest[1]) return `${rest[0]}/${rest[1]}`;
  return rest[0] || undefined;
}
