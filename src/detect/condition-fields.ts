import type { Condition } from './types';

/** The fields a condition reads, for indexing rules by surface. */
export function fieldsOf(c: Condition): string[] {
  if ('all' in c) return c.all.flatMap(fieldsOf);
  if ('any' in c) return c.any.flatMap(fieldsOf);
  if ('not' in c) return fieldsOf(c.not);
  return [c.field];
}
