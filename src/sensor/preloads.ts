/**
 * What a child process or a worker will load before its own code: the `--require` / `--import`
 * / `--loader` options of its NODE_OPTIONS or execArgv, read as Node reads them (not by looking
 * for the sensor's path in the text: `--conditions=<sensor path>` names it and loads nothing).
 * The sensor counts as loaded only where Warden puts it, first: no option before it can change
 * what it sees. Any other preload is judged before the start: a `data:` URL as code from a string,
 * a file as a module load.
 */
import type { CodeEvent } from '../events/types';
import type { WardenBlockedError } from './errors';
import { check } from './report';

/** NODE_OPTIONS split as Node splits it: spaces, double quotes, backslash escapes inside quotes. */
export function nodeOptionsArgs(text: string): string[] {
  const out: string[] = [];
  let current: string | undefined;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    let c = text[i]!;
    if (c === '\\' && quoted && i + 1 < text.length) c = text[++i]!;
    else if (c === ' ' && !quoted) {
      if (current !== undefined) out.push(current);
      current = undefined;
      continue;
    } else if (c === '"') {
      quoted = !quoted;
      current ??= '';
      continue;
    }
    current = (current ?? '') + c;
  }
  if (current !== undefined) out.push(current);
  return out;
}

/** Whether these options load the sensor before anything else (`--require <sensor>` first). */
export function loadsSensorFirst(args: readonly string[], sensorFile: string): boolean {
  return (
    ((args[0] === '--require' || args[0] === '-r') && args[1] === sensorFile) ||
    args[0] === `--require=${sensorFile}`
  );
}

const PRELOAD_FLAGS = new Set(['--require', '-r', '--import', '--loader', '--experimental-loader']);

/** The modules these options preload, each with the option that names it. */
export function preloadsOf(args: readonly string[]): { flag: string; value: string }[] {
  const out: { flag: string; value: string }[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (!PRELOAD_FLAGS.has(flag)) continue;
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value !== undefined) out.push({ flag, value });
  }
  return out;
}

/** The source a `data:` module URL carries (what `import('data:text/javascript,…')` compiles). */
export function dataUrlSource(url: string): string {
  const comma = url.indexOf(',');
  const meta = url.slice(5, comma);
  const body = url.slice(comma + 1);
  try {
    return meta.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
  } catch {
    return body;
  }
}

/** The options that open the inspector in the process they start (`--inspect`, `-brk`, `-wait`, a port). */
const INSPECT = /^--(inspect|inspect-brk|inspect-wait|inspect-port|debug-port)(=|$)/;

/**
 * Judges what a child or worker would preload besides the sensor (`where`: `NODE_OPTIONS` or
 * `execArgv`). Returns the error to refuse its start with.
 */
export function judgePreloads(
  args: readonly string[],
  sensorFile: string,
  where: string,
): WardenBlockedError | undefined {
  // The inspector opens before any preload (the sensor's too): judged as the capability it is.
  const inspect = args.find((a) => INSPECT.test(a));
  if (inspect) {
    const err = check({
      surface: 'code',
      op: 'inspector',
      api: `${where} ${inspect.split('=')[0]}`,
      target: inspect,
    });
    if (err) return err;
  }
  for (const { flag, value } of preloadsOf(args)) {
    if (value === sensorFile) continue;
    const api = `${where} ${flag}`;
    const ev: CodeEvent = value.startsWith('data:')
      ? { surface: 'code', op: 'eval', api, target: dataUrlSource(value).slice(0, 200) }
      : { surface: 'code', op: 'module', api, target: value };
    const err = check(ev);
    if (err) return err;
  }
  return undefined;
}
