/**
 * The function's directory, as the extension needs it for the function's own policy (a relative
 * WARDEN_POLICY, or `warden-policy.*` in the function's package). Lambda does not tell external
 * extensions LAMBDA_TASK_ROOT; there it is always /var/task, readable from the start. The local
 * sandbox, which cannot make a /var/task, says where its stands (WARDEN_SANDBOX_TASK_ROOT), as it
 * puts the layers where /opt would be.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const LAMBDA_TASK_ROOT = '/var/task';

export function functionDirForPolicy(
  env: Readonly<Record<string, string | undefined>>,
  exists: (dir: string) => boolean = existsSync,
): string | undefined {
  if (env.WARDEN_POLICY && path.isAbsolute(env.WARDEN_POLICY)) return undefined;
  if (exists(LAMBDA_TASK_ROOT)) return LAMBDA_TASK_ROOT;
  return env.WARDEN_SANDBOX_TASK_ROOT || undefined;
}
