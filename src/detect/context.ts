/**
 * What the engine knows besides the event: the attributed package (asked lazily: a stack
 * capture), the compiled policy's facts (Runtime API, task root), the invocation (its event,
 * for the detectors), and a little per-process memory (which packages read credentials, which
 * files the function wrote) for the rules that follow a sequence.
 */
import type { SensorEvent } from '../events/types';
import type { CompiledPolicy } from '../policy/compile';
import type { JoinEscape } from './detectors/path-traversal';
import type { TaintedInputs } from './input';

export interface DetectState {
  /** Packages that read a credential variable in this process. */
  credentialReaders: Set<string>;
  /** Files written in this process (bounded), for drop-and-execute. */
  written: Set<string>;
}

export function newDetectState(): DetectState {
  return { credentialReaders: new Set(), written: new Set() };
}

const MAX_WRITTEN = 4096;

/** Remembers what later rules need from this event (a credential read, a file written). */
export function remember(state: DetectState, ev: SensorEvent, packageOf: () => string): void {
  if (ev.surface === 'secrets' && ev.op === 'read') {
    const pkg = packageOf();
    if (pkg !== '<runtime>') state.credentialReaders.add(pkg);
  } else if (ev.surface === 'files' && ev.op === 'write' && state.written.size < MAX_WRITTEN) {
    state.written.add(ev.path);
  }
}

export interface DetectContext {
  packageOf: () => string;
  policy: CompiledPolicy;
  state: DetectState;
  /** Which layer judges: the sensor sees calls, the watcher (in-process thread) and the extension see /proc. */
  layer: 'sensor' | 'watcher' | 'extension';
  /** The attacker-controllable strings of the invocation's event (extracted once per invocation). */
  inputs?: () => TaintedInputs | undefined;
  /** Node's module loader made this file read (asked lazily: it needs the stack). */
  loaderRead?: () => boolean;
  /** Full source of generated code (the event carries an excerpt). */
  codeSource?: string;
  /** Paths that `path.join` / `path.resolve` led out of their base with input (this invocation). */
  joins?: ReadonlyMap<string, JoinEscape>;
}
