import { dangerousWord, MARKERS } from './code-injection';

/** The invocation's input looks like code or a serialized function: worth watching eval for. */
export function codeLooksLikeInput(values: readonly { value: string }[]): boolean {
  return values.some((t) => MARKERS.some((m) => t.value.includes(m)) || dangerousWord(t.value) !== undefined);
}
