/**
 * The sensor's optional parts travel in its own file, after the code, as line comments:
 * `//@warden-chunk <name>` then the chunk's CommonJS source with every line `//`-prefixed
 * (scripts/build.mjs). The parser skips them at start-up; a chunk is read and compiled the first
 * time it is needed: `judge` (the policy decision, detectors, OCSF mapping: the first judged
 * event), `policy-loader` and `yaml` (only with a policy or rules file).
 *
 * What runs later must not be steerable by the code it guards: the file is opened now (a file
 * swapped under the same name later is not read), and the string and function primitives used
 * to cut the chunk out and compile it are captured now, before any user code can replace them.
 */
import fs = require('node:fs');

import { logLevelOf } from '../log-level';
import { flagOn } from '../settings';
import { bypass } from './guard';

const { apply } = Reflect;
const FunctionCtor = Function;
// Under `--disallow-code-generation-from-strings` (the permission-model flags of a policy that
// denies eval), `Function` throws: the chunks are compiled by vm then, taken before user code
// can touch it (vm does not count as code generation from strings). Asked of V8 itself: the
// flag holds for every thread of the process, and a worker (the watcher) has no execArgv of
// its own to read it from.
const noCodeFromStrings = (() => {
  try {
    FunctionCtor('');
    return false;
  } catch {
    return true;
  }
})();
const compileFunction = noCodeFromStrings
  ? (require('node:vm') as typeof import('node:vm')).compileFunction
  : undefined;
const indexOf = String.prototype.indexOf;
const slice = String.prototype.slice;
const bufferToString = Buffer.prototype.toString;
const readSync = fs.readSync;
const fstatSync = fs.fstatSync;
const allocUnsafe = Buffer.allocUnsafe;

let fd: number | undefined;
try {
  fd = fs.openSync(__filename, 'r');
} catch {
  fd = undefined;
}
/** The whole file, read for each chunk load (at most three) and not kept: it is 400 KB. */
function fileText(): string {
  if (fd === undefined) throw new Error('warden: the sensor file could not be opened to read its chunks');
  const size = fstatSync(fd).size;
  const buf = allocUnsafe(size);
  let done = 0;
  while (done < size) {
    const n = readSync(fd, buf, done, size - done, done);
    if (n <= 0) break;
    done += n;
  }
  return apply(bufferToString, buf, ['latin1', 0, done]) as string;
}

/** The source of one chunk (its lines without their `//`). */
export function chunkSource(name: string): string {
  const all = fileText();
  const at = apply(indexOf, all, [`\n//@warden-chunk ${name}\n`]) as number;
  if (at < 0) throw new Error(`warden: the sensor carries no ${name} chunk (not a built sensor?)`);
  let line = (apply(indexOf, all, ['\n', at + 1]) as number) + 1;
  let end = apply(indexOf, all, ['\n//@warden-chunk ', line]) as number;
  if (end < 0) end = all.length;
  let out = '';
  while (line < end) {
    let next = apply(indexOf, all, ['\n', line]) as number;
    if (next < 0 || next > end) next = end;
    out += `${apply(slice, all, [line + 2, next]) as string}\n`;
    line = next + 1;
  }
  return out;
}

/** Compiles one chunk as a CommonJS module with the given require. */
export function compileChunk<T>(name: string, req: (id: string) => unknown): T {
  if (traceLoad) fs.writeSync(2, `warden: ${name} chunk compiled\n`);
  const mod = { exports: {} as T };
  const source = chunkSource(name);
  const fn = (
    compileFunction
      ? compileFunction(source, ['module', 'exports', 'require'], { filename: __filename })
      : new FunctionCtor('module', 'exports', 'require', source)
  ) as (m: unknown, e: unknown, r: unknown) => void;
  fn(mod, mod.exports, req);
  return mod.exports;
}

const traceLoad =
  flagOn(process.env.WARDEN_TRACE_STARTUP) || logLevelOf(process.env.WARDEN_LOG_LEVEL) === 'debug';
let judgeChunk: Record<string, Record<string, unknown>> | undefined;

/** One module of the judge chunk (compiled on the first call; see the build's LAZY list). */
export function judge(key: string): Record<string, unknown> {
  if (!judgeChunk) {
    if (traceLoad) {
      // Who first needed it, as far back as the runtime's frames.
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 40;
      fs.writeSync(2, `warden: judge chunk loaded for ${key}\n${new Error('first needed').stack}\n`);
      Error.stackTraceLimit = limit;
    }
    // Its requires (builtins) must not be judged: judging is what is being loaded.
    judgeChunk = bypass(() => compileChunk<Record<string, Record<string, unknown>>>('judge', require));
  }
  const m = judgeChunk[key];
  if (!m) throw new Error(`warden: the judge chunk has no ${key}`);
  return m;
}
