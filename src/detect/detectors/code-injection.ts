/**
 * Code injection and deserialization: code compiled from a string (eval, Function, vm) that
 * carries the invocation's input, where the input is not data:
 * - it breaks out of the string literal the code put it in (a quote of that literal), or
 * - it sits in code position (or is the whole code) and reaches for what an exploit needs:
 *   `require`, `process`, `constructor`, `__proto__`, `child_process`, `Function`, `import(` …
 *   (JavaScript escapes decoded first, so `\u0072equire` is `require`).
 * A math expression or JSON from the payload compiled by an evaluator does not fire.
 * Deserialization: input carrying a serialized-function marker (node-serialize's
 * `_$$ND_FUNC$$_`, js-yaml's `!!js/function`, funcster's `__js_function` …) whose function body
 * then gets compiled.
 */
import type { SensorEvent } from '../../events/types';
import type { DetectContext } from '../context';
import { type Detector, type DetectorHit, evidence, excerpt } from './types';

const DANGEROUS =
  /\b(require|process|constructor|__proto__|prototype|mainModule|child_process|globalThis|global|Function|eval|import|module|Reflect|Proxy|execSync|spawnSync|fromCharCode|__defineGetter__|__lookupGetter__|binding|dlopen)\b/;

/** Decodes the escapes JavaScript allows in identifiers and strings (\uXXXX, \u{…}, \xXX). */
export function decodeJsEscapes(s: string): string {
  return s
    .replace(/\\u\{([0-9a-fA-F]{1,6})\}/g, (_, h: string) => String.fromCodePoint(Number.parseInt(h, 16)))
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
    .replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/**
 * What reaches for those without naming them: a member name assembled from strings
 * (`x['constr' + 'uctor']`), computed access on `this`, decoders of hidden code.
 */
const EVASIVE = /(\[\s*(['"`])[^'"`]*\2\s*\+)|(\bthis\s*\[)|(\b(?:atob|unescape|decodeURIComponent)\s*\()/;

export function dangerousWord(code: string): string | undefined {
  const decoded = decodeJsEscapes(code);
  const word = DANGEROUS.exec(decoded)?.[1];
  if (word) return word;
  const m = EVASIVE.exec(decoded);
  return m ? m[0].trim() : undefined;
}

/** The string quote open at `at` in JavaScript source (`'`, `"`, `` ` ``), or undefined in code. */
export function quoteAt(src: string, at: number): string | undefined {
  let q: string | undefined;
  for (let i = 0; i < at && i < src.length; i++) {
    const c = src[i]!;
    if (q) {
      if (c === '\\') i++;
      else if (c === q) q = undefined;
      else if (q === '`' && c === '$' && src[i + 1] === '{') {
        // inside a template's ${…}: code again, until the matching brace (not nested further)
        const end = src.indexOf('}', i);
        if (end < 0 || end >= at) return undefined;
        i = end;
      }
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      const nl = src.indexOf('\n', i);
      if (nl < 0 || nl >= at) return undefined;
      i = nl;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0 || end >= at) return undefined;
      i = end + 1;
    } else if (c === "'" || c === '"' || c === '`') q = c;
  }
  return q;
}

/** A string literal's escapes undone (`\\'` → `'`): input that carried code inside a quoted string. */
function unquote(s: string): string {
  return s.replace(/\\(['"`\\])/g, '$1');
}

/** Has an unescaped `quote` (it would end the literal it was put in). */
function breaksOut(value: string, quote: string): boolean {
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\') i++;
    else if (value[i] === quote || (quote === '`' && value[i] === '$' && value[i + 1] === '{')) return true;
  }
  return false;
}

export const codeInjection: Detector = (ev: SensorEvent, ctx: DetectContext): DetectorHit | null => {
  if (ev.surface !== 'code' || (ev.op !== 'eval' && ev.op !== 'function' && ev.op !== 'vm')) return null;
  const inputs = ctx.inputs?.();
  if (!inputs || inputs.values.length === 0) return null;
  const src = ctx.codeSource ?? ev.target;
  for (const t of inputs.values) {
    const v = t.value;
    if (v.length < 4) continue;
    const at = src.indexOf(v);
    if (at >= 0) {
      const q = quoteAt(src, at);
      if (q !== undefined) {
        if (breaksOut(v, q) && dangerousWord(v))
          return {
            reason: `input from ${t.source} breaks out of a ${q}-quoted string in code compiled by ${ev.api}: ${excerpt(v)}`,
            input: evidence(inputs.trigger, t.source, v, `broke out of a string literal in ${ev.api}`),
          };
        continue;
      }
      const word = dangerousWord(v);
      if (word)
        return {
          reason: `input from ${t.source} is compiled as code by ${ev.api} and uses \`${word}\`: ${excerpt(v)}`,
          input: evidence(inputs.trigger, t.source, v, `compiled as code by ${ev.api}`),
        };
    } else if (src.length >= 8 && (v.includes(src.trim()) || unquote(v).includes(src.trim()))) {
      const word = dangerousWord(src);
      if (word)
        return {
          reason: `code compiled by ${ev.api} comes from input (${t.source}) and uses \`${word}\`: ${excerpt(src)}`,
          input: evidence(inputs.trigger, t.source, v, `became code compiled by ${ev.api}`),
        };
    }
  }
  return null;
};

/** Serialized-function markers of the deserializers that revive functions. */
export const MARKERS = [
  '_$$ND_FUNC$$_',
  '_$$ND_CC$$_',
  '!!js/function',
  'tag:yaml.org,2002:js/function',
  '__js_function',
  '$$__function__$$',
  '__crYo__function',
];

export const deserialization: Detector = (ev: SensorEvent, ctx: DetectContext): DetectorHit | null => {
  if (ev.surface !== 'code' || (ev.op !== 'eval' && ev.op !== 'function' && ev.op !== 'vm')) return null;
  const inputs = ctx.inputs?.();
  if (!inputs) return null;
  const src = ctx.codeSource ?? ev.target;
  for (const t of inputs.values) {
    for (const m of MARKERS) {
      let at = t.value.indexOf(m);
      while (at >= 0) {
        // The function text after the marker (up to the end of its JSON string, if any).
        const body = t.value
          .slice(at + m.length)
          .split(/(?<!\\)"/)[0]!
          .replace(/^['"\s]+/, '')
          .trim();
        const probe = body.slice(0, 48).replace(/\\"/g, '"');
        if (probe.length >= 12 && src.includes(probe))
          return {
            reason: `a serialized function (${m}) from ${t.source} was turned into code by ${ev.api}: ${excerpt(body)}`,
            input: evidence(inputs.trigger, t.source, t.value, `deserialized into a function (${m})`),
          };
        at = t.value.indexOf(m, at + m.length);
      }
    }
  }
  return null;
};

/** The invocation's input looks like code or a serialized function: worth watching eval for. */
export function codeLooksLikeInput(values: readonly { value: string }[]): boolean {
  return values.some((t) => MARKERS.some((m) => t.value.includes(m)) || dangerousWord(t.value) !== undefined);
}
