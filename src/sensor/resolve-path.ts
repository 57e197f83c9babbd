/**
 * The path a file call will act on, as the kernel resolves it: what the file hooks judge.
 */
import path = require('node:path');

import { realpathOf } from './guard';

/**
 * The path the kernel will act on. `follow`: the last component's symlink is followed (open,
 * chmod…) or not (unlink, rename, lchown…). Components that do not exist yet are appended
 * lexically to the deepest existing ancestor, resolved. `realpath` is realpath(3), or undefined
 * for a path that does not resolve (injectable for tests). Never throws, whatever the input.
 */
export function resolveForCheck(
  requested: string,
  follow: boolean,
  cwd: string,
  realpath: (p: string) => string | undefined = realpathOf,
): string {
  const raw = requested.startsWith('/') ? requested : `${cwd}/${requested}`;
  if (follow) {
    const real = realpath(raw);
    if (real) return real;
  }
  // Resolve the parent as the kernel would (no lexical `..` folding before symlinks).
  const trimmed = raw.replace(/\/+$/, '') || '/';
  const slash = trimmed.lastIndexOf('/');
  const base = trimmed.slice(slash + 1);
  let dir = trimmed.slice(0, slash) || '/';
  const tail: string[] = [base];
  for (let guard = 0; guard < 64; guard++) {
    const real = realpath(dir);
    if (real) return path.posix.normalize(path.posix.join(real, ...tail));
    const s = dir.lastIndexOf('/');
    tail.unshift(dir.slice(s + 1));
    dir = dir.slice(0, s) || '/';
  }
  return path.posix.resolve(raw);
}
