/**
 * Builds the ProcessEvent for an exec: the executable resolved against PATH, symlinks resolved,
 * and the commands a shell string or a wrapper (`timeout`, `env`, `xargs` …) would run. Shared by
 * the sensor (a spawn about to happen) and the extension (a process seen in /proc), so both
 * layers judge the same process the same way.
 */
import path = require('node:path');

import { isShell } from '../policy/decide';
import { commandsOfArgv, parseShellCommands, shellScriptIndex } from '../shell/parse';
import type { ProcessEvent } from './types';

export interface ExecProbe {
  isExecutable(file: string): boolean;
  realpath(file: string): string | undefined;
}

export interface ExecFacts {
  api: string;
  /** The file as given to exec (argv[0] for a process seen in /proc). */
  file: string;
  argv: string[];
  cwd?: string;
  /** PATH for resolving names, and the names inside a shell string. */
  pathVar?: string;
}

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

export function resolveExecutable(
  file: string,
  cwd: string | undefined,
  pathVar: string | undefined,
  probe: ExecProbe,
): string {
  const base = cwd ?? process.cwd();
  if (file.includes('/')) return path.resolve(base, file);
  for (const dir of (pathVar ?? DEFAULT_PATH).split(':')) {
    if (!dir) continue;
    const candidate = path.resolve(base, dir, file);
    if (probe.isExecutable(candidate)) return candidate;
  }
  return file;
}

export function processEvent(facts: ExecFacts, probe: ExecProbe): ProcessEvent {
  const exe = resolveExecutable(facts.file, facts.cwd, facts.pathVar, probe);
  const ev: ProcessEvent = {
    surface: 'process',
    op: 'spawn',
    api: facts.api,
    file: facts.file,
    exe,
    argv: facts.argv,
    ...(facts.cwd !== undefined ? { cwd: facts.cwd } : {}),
  };
  const resolved = exe.startsWith('/') ? probe.realpath(exe) : undefined;
  if (resolved && resolved !== exe) ev.realExe = resolved;
  addInnerCommands(ev, facts, probe);
  return ev;
}

/** Fills `shellCommands` (and `shellScript`) for a shell `-c` string or a command wrapper. */
export function addInnerCommands(ev: ProcessEvent, facts: ExecFacts, probe: ExecProbe): void {
  const resolve = (c: { name: string; dynamic: boolean; argv: string[] }) => {
    const found = c.dynamic ? undefined : resolveExecutable(c.name, facts.cwd, facts.pathVar, probe);
    return found && found !== c.name
      ? { name: c.name, exe: found, argv: c.argv }
      : { name: c.name, argv: c.argv };
  };
  try {
    if (isShell(ev.exe) || (ev.realExe && isShell(ev.realExe))) {
      const idx = shellScriptIndex(ev.argv);
      if (idx > 0) {
        ev.shellScript = ev.argv[idx]!;
        ev.shellCommands = parseShellCommands(ev.shellScript).map(resolve);
      }
      return;
    }
    // A wrapper (`timeout 5 sh -c …`, `env X=1 curl`, `xargs …`) runs more than itself: every
    // command it would run is judged like a shell's.
    const inner = commandsOfArgv([ev.exe, ...ev.argv.slice(1)]).slice(1);
    if (inner.length > 0) ev.shellCommands = inner.map(resolve);
  } catch (e) {
    // What cannot be read cannot be allowed: judged on the policy's default (decide.ts).
    delete ev.shellCommands;
    ev.unparsed = e instanceof Error ? e.message : String(e);
  }
}
