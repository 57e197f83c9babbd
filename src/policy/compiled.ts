/**
 * Documents `warden layer build` compiled (the layer's policy.json and rules.json): written with
 * a digest of their content, so a start-up takes them as they are — validated and normalized at
 * build time — instead of compiling the validator (the policy loader: ~10 ms of a cold start,
 * measured). A file edited since no longer matches its digest and is validated like any other,
 * so a mistake still gets its clear error. The digest tells an edited file from the compiled one;
 * it is no security boundary (whoever can write the layer can write the sensor).
 */

/** The key that carries the digest, first in the document. */
export const COMPILED_KEY = '$compiled';

/** FNV-1a, 32 bits, over the UTF-16 code units: cheap, and enough to notice an edit. */
function digestOf(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `fnv1a32:${(h >>> 0).toString(16).padStart(8, '0')}`;
}

/** The document as a compiled file: its digest first, then its content (pretty-printed). */
export function compiledJson(doc: object): string {
  return `${JSON.stringify({ [COMPILED_KEY]: digestOf(JSON.stringify(doc)), ...doc }, null, 2)}\n`;
}

/** The content of a compiled file whose digest matches, else undefined (validate it instead). */
export function readCompiled(text: string): Record<string, unknown> | undefined {
  if (!text.includes(COMPILED_KEY)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { [COMPILED_KEY]: digest, ...doc } = value as Record<string, unknown>;
  return typeof digest === 'string' && digest === digestOf(JSON.stringify(doc)) ? doc : undefined;
}

/** A parsed document without its digest (an edited compiled file is validated as the user wrote it). */
export function withoutDigest(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !(COMPILED_KEY in value))
    return value;
  const { [COMPILED_KEY]: _digest, ...doc } = value as Record<string, unknown>;
  return doc;
}
