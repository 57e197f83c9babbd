/**
 * Loads a function's handler from a handler string (`src/app.handler`, `index.nested.fn`) with
 * the rules of the Lambda Node.js runtime it runs under, so a function loads under Warden as it
 * loads without it (what a module sees of its loading, and what loading costs):
 * - nodejs24.x (aws-lambda-ric 4): the module is `<task root>/<dir>/<name>` tried as is, then
 *   with `.js`, `.mjs`, `.cjs`, each through `import()`;
 * - nodejs22.x and 20.x (aws-lambda-ric 3): the file as is and `.js` through `require` (unless
 *   the nearest package.json says `"type": "module"`), then `.js` (a module package) and `.mjs`
 *   through `import()`, `.cjs` through `require`. (`import()` of a CommonJS file runs Node 22's
 *   JavaScript export scanner over it: ~9 MB of RSS and milliseconds for a 7 KB file, measured.)
 * Then, for both, `require.resolve` from the task root; the export is a dotted path, looked up
 * on the module and then on its `default`. Failures carry the runtime's error types
 * (`Runtime.ImportModuleError`, …) so a missing handler fails exactly as it would without Warden.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';

import path = require('node:path');

import { pathToFileURL } from 'node:url';

export type UserHandler = (...args: unknown[]) => unknown;

/** An error whose `name` is the Lambda error type the runtime reports. */
export class RuntimeError extends Error {
  constructor(type: string, message: string, stack?: string) {
    super(message);
    this.name = type;
    if (stack) this.stack = stack;
  }
}

export const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
export const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');

export interface ParsedHandler {
  moduleRoot: string;
  moduleName: string;
  handlerName: string;
}

export function parseHandlerString(full: string): ParsedHandler {
  if (full.includes('..'))
    throw new RuntimeError(
      'Runtime.MalformedHandlerName',
      `'${full}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  const base = path.basename(full);
  const moduleRoot = full.slice(0, full.indexOf(base)).replace(/\/$/, '');
  const match = /^([^.]*)\.(.*)$/.exec(base);
  if (!match) throw new RuntimeError('Runtime.MalformedHandlerName', 'Bad handler');
  return { moduleRoot, moduleName: match[1] as string, handlerName: match[2] as string };
}

/** Which runtime's loading rules apply: aws-lambda-ric 4 (nodejs24.x) imports everything. */
export function importsEverything(nodeVersion: string = process.versions.node): boolean {
  return Number(nodeVersion.split('.')[0]) >= 24;
}

async function importModule(appRoot: string, parsed: ParsedHandler): Promise<unknown> {
  const base = path.resolve(appRoot, parsed.moduleRoot, parsed.moduleName);
  const req = createRequire(path.join(appRoot, 'index.js'));
  try {
    const found = importsEverything() ? await importAny(base) : await loadAsRic3(base, req);
    if (found !== undefined) return found;
    const resolved = req.resolve(parsed.moduleName, {
      paths: [appRoot, path.join(appRoot, parsed.moduleRoot)],
    });
    return req(resolved);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err instanceof SyntaxError)
      throw new RuntimeError('Runtime.UserCodeSyntaxError', String(err), err.stack);
    if (err?.code === 'MODULE_NOT_FOUND' || err?.code === 'ERR_MODULE_NOT_FOUND')
      throw new RuntimeError('Runtime.ImportModuleError', String(err));
    throw e;
  }
}

const importFile = (file: string): Promise<unknown> => import(pathToFileURL(file).href);

/** aws-lambda-ric 4: `import()` of the first of the file, `.js`, `.mjs`, `.cjs` that exists. */
async function importAny(base: string): Promise<unknown> {
  for (const ext of ['', '.js', '.mjs', '.cjs']) {
    const file = base + ext;
    // A directory named like the module is not the module (the runtime's existsSync test
    // would import it and fail; it only ever names files in practice).
    if (existsSync(file) && !isDirectory(file)) return await importFile(file);
  }
  return undefined;
}

/** aws-lambda-ric 3: CommonJS through `require`, ES modules through `import()`. */
async function loadAsRic3(base: string, req: NodeJS.Require): Promise<unknown> {
  const required = (file: string) => (existsSync(file) ? req(file) : undefined);
  const asIs = required(base);
  if (asIs) return asIs;
  const modulePackage = existsSync(`${base}.js`) && inModulePackage(path.dirname(`${base}.js`));
  if (!modulePackage) {
    const js = required(`${base}.js`);
    if (js) return js;
  }
  if (modulePackage) {
    const js = await importFile(`${base}.js`);
    if (js) return js;
  }
  if (existsSync(`${base}.mjs`)) {
    const mjs = await importFile(`${base}.mjs`);
    if (mjs) return mjs;
  }
  return required(`${base}.cjs`);
}

/** Whether the nearest package.json (not crossing a node_modules folder) says `"type": "module"`. */
function inModulePackage(folder: string): boolean {
  for (let dir = folder; ; dir = path.dirname(dir)) {
    if (dir.endsWith('/node_modules')) return false;
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        const pkg = JSON.parse(readFileSync(pj, 'utf8')) as { type?: unknown } | null;
        if (pkg) return pkg.type === 'module';
      } catch {
        return false; // the runtime warns and ignores an unreadable package.json
      }
    }
    if (dir === '/' || dir === path.dirname(dir)) return false;
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function findIn(dotted: string, mod: unknown): unknown {
  let cur: unknown = mod;
  for (const key of dotted.split('.')) {
    if (!cur || (typeof cur !== 'object' && typeof cur !== 'function')) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export function resolveHandler(mod: unknown, handlerName: string, full: string): UserHandler {
  let handler = findIn(handlerName, mod);
  if (!handler && mod && typeof mod === 'object' && 'default' in mod)
    handler = findIn(handlerName, (mod as { default: unknown }).default);
  if (!handler) throw new RuntimeError('Runtime.HandlerNotFound', `${full} is undefined or not exported`);
  if (typeof handler !== 'function')
    throw new RuntimeError('Runtime.HandlerNotFound', `${full} is not a function`);
  return handler as UserHandler;
}

export interface LoadedHandler {
  handler: UserHandler;
  streaming: boolean;
  highWaterMark?: number;
}

export async function loadUserHandler(appRoot: string, full: string): Promise<LoadedHandler> {
  const parsed = parseHandlerString(full);
  const handler = resolveHandler(await importModule(appRoot, parsed), parsed.handlerName, full);
  const mark = (handler as unknown as Record<symbol, unknown>)[STREAMING];
  if (mark && mark !== 'response')
    throw new RuntimeError('Runtime.MalformedStreamingHandler', 'Only response streaming is supported.');
  const hwm = Number((handler as unknown as Record<symbol, unknown>)[HIGH_WATER_MARK]);
  return {
    handler,
    streaming: mark === 'response',
    highWaterMark: Number.isNaN(hwm) || !hwm ? undefined : hwm,
  };
}
