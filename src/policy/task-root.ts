/**
 * The function's own directory (LAMBDA_TASK_ROOT) and what lies in it. Kept out of the lazily
 * compiled judgement chunk: the file hooks ask it for every read during init, and asking must
 * not compile the whole judge.
 */

/** An absolute path in the function's directory (LAMBDA_TASK_ROOT), outside its node_modules. */
export function inFunctionDir(p: string, taskRoot: string | undefined): boolean {
  if (!taskRoot) return false;
  const r = taskRoot.replace(/\/+$/, '');
  return p.startsWith(`${r}/`) && !p.slice(r.length).includes('/node_modules/');
}
