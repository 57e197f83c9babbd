/**
 * Loads a function's handler from a handler string (`src/app.handler`, `index.nested.fn`) with
 * the rules of Lambda's Node.js runtime (aws-lambda-ric): the module is `<task root>/<dir>/<name>`
 * tried as is, then with `.js`, `.mjs`, `.cjs` (each through `import()`, so CommonJS, ES modules
 * and `"type": "module"` packages load as the runtime loads them), then through `require.resolve`
 * from the task root; the export is a dotted path, looked up on the module and then on its
 * `default`. Failures carry the runtime's error types (`Runtime.ImportModuleError`, …) so a
 * missing handler fails exactly as it would without Warden.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
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

async function importModule(appRoot: string, parsed: ParsedHandler): Promise<unknown> {
  const base = path.resolve(appRoot, parsed.moduleRoot, parsed.moduleName);
  try {
    for (const ext of ['', '.js', '.mjs', '.cjs']) {
      const file = base + ext;
      // A directory named like the module is not the module (the runtime's existsSync test
      // would import it and fail; it only ever names files in practice).
      if (existsSync(file) && !isDirectory(file)) return await import(pathToFileURL(file).href);
    }
    const req = createRequire(path.join(appRoot, 'index.js'));
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
