/**
 * `warden layer build`: the Lambda layer that deploys Warden with one environment variable
 * (`AWS_LAMBDA_EXEC_WRAPPER=/opt/warden/wrapper`). Lambda unpacks a layer at /opt, so the tree is:
 *
 *   warden/wrapper            the exec wrapper (POSIX sh, relocatable)
 *   warden/handler.mjs        the handler swap's entry (top-level await loads the user's handler)
 *   warden/handler.cjs        its logic (bundled)
 *   warden/sensor.cjs         the in-process sensor (one bundled file)
 *   warden/extension.cjs      the external extension's entry, run by extensions/warden: registers first
 *   warden/extension-main.cjs the external extension's code (bundled), loaded once it has registered
 *   warden/policy-loader.cjs  its policy-file loader (YAML, schema), loaded only with a policy file
 *   warden/policy.json        the compiled policy, when one is given (JSON: no YAML parser at cold start)
 *   warden/rules.json         the user's detection rules, when given (merged over the defaults)
 *   warden/default-policy.json the sensor's built-in default, for review and as a starting point
 *                             (not loaded: the sensor carries it, so no policy file costs no parse)
 *   warden/permission-flags   Node permission-model flags per Node major where the policy's
 *                             `nodePermissions` applies (`auto`: enforce mode, Node 22 and 24)
 *   extensions/warden         the external extension's launcher (runs extension.cjs with the runtime's node)
 *   extensions/*              any other external extensions the package ships
 */
import {
  chmodSync,
  closeSync,
  copyFileSync,
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { defaultPolicy } from '../policy/default-policy';
import { LAMBDA_NODE_MAJORS, lambdaNodeFeatures, permissionModelApplies } from '../policy/permission-flags';
import type { Policy } from '../policy/types';

export interface LayerSources {
  /** The package root (holds `layer/` and `dist/`). */
  root: string;
}

export interface LayerBuildOptions {
  policy?: Policy;
  /** The normalized policy document to write as policy.json. */
  policyJson?: string;
  /** The user's detection rules to write as rules.json (merged over the defaults at start). */
  rulesJson?: string;
  /**
   * Include the external extension (extensions/warden): defence in depth from outside the runtime,
   * the Telemetry API, shipping to a collector. Default: left out (the in-process sensor and its
   * watcher thread guard the function alone, at no extension's cold start or memory).
   */
  extension?: boolean;
}

export function layerSources(root: string): {
  wrapper: string;
  handlerMjs: string;
  handlerCjs: string;
  sensor: string;
  extension: string;
  extensionMain: string;
  policyLoader: string;
  extensionDirs: string[];
} {
  return {
    wrapper: path.join(root, 'layer', 'warden', 'wrapper'),
    handlerMjs: path.join(root, 'layer', 'warden', 'handler.mjs'),
    handlerCjs: path.join(root, 'dist', 'layer', 'handler.cjs'),
    sensor: path.join(root, 'dist', 'sensor.cjs'),
    extension: path.join(root, 'dist', 'layer', 'extension.cjs'),
    extensionMain: path.join(root, 'dist', 'layer', 'extension-main.cjs'),
    policyLoader: path.join(root, 'dist', 'layer', 'policy-loader.cjs'),
    extensionDirs: [path.join(root, 'layer', 'extensions'), path.join(root, 'dist', 'layer', 'extensions')],
  };
}

/** Writes the layer tree into `out` (emptied first). Returns the files written, relative. */
export function buildLayerDir(root: string, out: string, opts: LayerBuildOptions = {}): string[] {
  const src = layerSources(root);
  for (const f of [src.wrapper, src.handlerMjs, src.handlerCjs, src.sensor, src.extension, src.extensionMain])
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
  rmSync(out, { recursive: true, force: true });
  const warden = path.join(out, 'warden');
  mkdirSync(warden, { recursive: true });
  copyFileSync(src.wrapper, path.join(warden, 'wrapper'));
  chmodSync(path.join(warden, 'wrapper'), 0o755);
  copyFileSync(src.handlerMjs, path.join(warden, 'handler.mjs'));
  copyFileSync(src.handlerCjs, path.join(warden, 'handler.cjs'));
  copyFileSync(src.sensor, path.join(warden, 'sensor.cjs'));
  if (opts.extension) {
    copyFileSync(src.extension, path.join(warden, 'extension.cjs'));
    copyFileSync(src.extensionMain, path.join(warden, 'extension-main.cjs'));
    copyFileSync(src.policyLoader, path.join(warden, 'policy-loader.cjs'));
  }
  if (opts.policyJson) writeFileSync(path.join(warden, 'policy.json'), opts.policyJson);
  if (opts.rulesJson) writeFileSync(path.join(warden, 'rules.json'), opts.rulesJson);
  writeFileSync(path.join(warden, 'default-policy.json'), `${JSON.stringify(defaultPolicy(), null, 2)}\n`);
  const flags = opts.policy ? permissionFlagsText(opts.policy) : undefined;
  if (flags) writeFileSync(path.join(warden, 'permission-flags'), flags);
  const extensions = path.join(out, 'extensions');
  mkdirSync(extensions, { recursive: true });
  for (const dir of src.extensionDirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (name.startsWith('.') || (!opts.extension && name === 'warden')) continue;
      cpSync(path.join(dir, name), path.join(extensions, name), { recursive: true });
    }
  }
  return listFiles(out);
}

/**
 * The permission-flags file the wrapper reads for a compiled policy: one line per Lambda Node
 * major where the policy's `nodePermissions` applies (`<major> <flags…>`), after a `mode enforce`
 * line for `auto`, which holds in enforce mode only (WARDEN_MODE=monitor on the function turns
 * the flags off with it). Undefined: no runtime gets flags.
 */
export function permissionFlagsText(policy: Policy): string | undefined {
  const lines = LAMBDA_NODE_MAJORS.flatMap((major) => {
    const r = permissionModelApplies(policy, lambdaNodeFeatures(major));
    return r ? [`${major} ${r.flags.join(' ')}`] : [];
  });
  if (lines.length === 0) return undefined;
  if (policy.nodePermissions === 'auto') lines.unshift('mode enforce');
  return `${lines.join('\n')}\n`;
}

/** Lambda's instruction set architectures, with the ELF machine number of each. */
export const LAMBDA_ARCHITECTURES = { x86_64: 62, arm64: 183 } as const;
export type LambdaArchitecture = keyof typeof LAMBDA_ARCHITECTURES;

/**
 * The native files (ELF) in a layer tree and the architecture each is built for. Warden's own
 * layer has none (sh and JavaScript run on either), so it is built once for both; an extension
 * the package adds may bring some.
 */
export function nativeFiles(dir: string): { file: string; arch: LambdaArchitecture | 'other' }[] {
  const out: { file: string; arch: LambdaArchitecture | 'other' }[] = [];
  for (const rel of listFiles(dir)) {
    const head = Buffer.alloc(20);
    const fd = openSync(path.join(dir, rel), 'r');
    let n: number;
    try {
      n = readSync(fd, head, 0, 20, 0);
    } finally {
      closeSync(fd);
    }
    if (n < 20 || head.readUInt32BE(0) !== 0x7f454c46) continue;
    const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
    const arch = (Object.keys(LAMBDA_ARCHITECTURES) as LambdaArchitecture[]).find(
      (a) => LAMBDA_ARCHITECTURES[a] === machine,
    );
    out.push({ file: rel, arch: arch ?? 'other' });
  }
  return out;
}

/** Why a layer tree cannot run on `architectures` (its native files built for another), if so. */
export function architectureProblems(dir: string, architectures: readonly LambdaArchitecture[]): string[] {
  return nativeFiles(dir)
    .filter((f) => architectures.some((a) => a !== f.arch))
    .map((f) => `${f.file} is native code for ${f.arch}, not ${architectures.join(' and ')}`);
}

export function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(full).isDirectory()) out.push(...listFiles(full, rel));
    else out.push(rel);
  }
  return out;
}

/** Zips a layer tree as Lambda accepts it: paths relative to /opt, Unix modes kept. */
export async function zipLayer(dir: string, zipFile: string): Promise<void> {
  const yazl = (await import('yazl')).default;
  const zip = new yazl.ZipFile();
  const addDir = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const relName = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, relName);
      const st = statSync(full);
      if (st.isDirectory()) {
        zip.addEmptyDirectory(relName, { mode: 0o40755, mtime: new Date(0) });
        addDir(relName);
      } else
        zip.addFile(full, relName, {
          mode: st.mode & 0o777 ? 0o100000 | (st.mode & 0o777) : 0o100644,
          mtime: new Date(0),
        });
    }
  };
  addDir('');
  zip.end();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(zipFile);
    zip.outputStream.pipe(out).on('close', resolve).on('error', reject);
  });
}
