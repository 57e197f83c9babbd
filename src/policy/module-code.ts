/**
 * Which reads are the module loader loading code: pure path tests, shared by the judgement
 * (decide) and the sensor's fs hook, which skips judging them without compiling the judge chunk.
 */
import type { FileEvent } from '../events/types';

/**
 * The module loader reading code (`.js`, `.json`, `.node` …) for require / import: how a
 * function runs, not a file access of its own. Not from writable temp dirs: a module dropped
 * there and loaded is judged like any read.
 */
export function isModuleCode(ev: FileEvent, taskRoot?: string): boolean {
  if (ev.loader !== true || !/\.(c|m)?js$|\.json$|\.node$/.test(ev.path)) return false;
  if (!/^\/(tmp|dev\/shm)(\/|$)/.test(ev.path)) return true;
  // A function checked out under /tmp (a local run): its own code, and the node_modules Node
  // resolves its packages from (in its directory or any directory above it).
  return taskRoot !== undefined && isFunctionCode(ev.path, taskRoot);
}

/** A path in the function's directory, or in a node_modules directory its requires resolve from. */
export function isFunctionCode(p: string, taskRoot: string): boolean {
  const root = taskRoot.replace(/\/+$/, '');
  if (p.startsWith(`${root}/`)) return true;
  const at = p.indexOf('/node_modules/');
  if (at < 0) return false;
  const base = p.slice(0, at);
  return root === base || root.startsWith(`${base}/`) || base === '';
}
