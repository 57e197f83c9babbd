/**
 * Where the local sandbox keeps its sandboxes and runtime clients (under XDG_CACHE_HOME or
 * ~/.cache): code there is the platform's, as /var/runtime and /opt are in Lambda.
 */
import { homedir } from 'node:os';
import * as path from 'node:path';

const cacheHome = (env: NodeJS.ProcessEnv) => env.XDG_CACHE_HOME || path.join(homedir(), '.cache');

export function sandboxHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheHome(env), 'warden', 'sandboxes');
}

export function runtimesHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheHome(env), 'warden', 'runtimes');
}
