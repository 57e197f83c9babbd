/**
 * The inspector, judged as the capability it is (`code.inspector`, denied by default): a session
 * runs `Runtime.evaluate` and reads any object's internals — a Proxy's target, so the original
 * bindings under every hook and the real environment under the secrets guard — and opening it
 * lets a debugger in from outside. Judged when a session connects (`inspector.Session#connect`,
 * `#connectToMainThread`, the promises API's Session inherits them), when it is opened
 * (`inspector.open`), and when the process signals itself to open it (`SIGUSR1` to its own pid,
 * `process._debugProcess`). Hooked on the module's first load (builtin-watch.ts).
 */
import type { CodeEvent } from '../../events/types';
import { whenBuiltinLoaded } from '../builtin-watch';
import { hookMethod, inBypass } from '../guard';
import { check } from '../report';

export function inspectorEvent(api: string, target: string): CodeEvent {
  return { surface: 'code', op: 'inspector', api, target };
}

/** Judges one use; throws the refusal (every inspector entry point is synchronous). */
export function judgeInspector(api: string, target: string): void {
  if (inBypass()) return;
  const err = check(inspectorEvent(api, target));
  if (err) throw err;
}

let hooked = false;

function hookInspectorModule(inspector: Record<string, unknown>): void {
  if (hooked) return;
  hooked = true;
  const session = (inspector.Session as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  if (session) {
    for (const method of ['connect', 'connectToMainThread']) {
      hookMethod(
        session,
        method,
        (fn, self, args) => {
          judgeInspector(
            `inspector.Session#${method}`,
            method === 'connect' ? 'this thread' : 'the main thread',
          );
          return fn.apply(self, args);
        },
        { surface: 'code', op: 'inspector', api: `inspector.Session#${method}` },
      );
    }
  }
  hookMethod(
    inspector,
    'open',
    (fn, self, args) => {
      judgeInspector('inspector.open', `${String(args[1] ?? '127.0.0.1')}:${String(args[0] ?? 9229)}`);
      return fn.apply(self, args);
    },
    { surface: 'code', op: 'inspector', api: 'inspector.open' },
  );
}

/** `process._debugProcess(pid)`: signals a process to open its inspector. */
function hookDebugProcess(): void {
  hookMethod(
    process,
    '_debugProcess',
    (fn, self, args) => {
      judgeInspector('process._debugProcess', `pid ${String(args[0])}`);
      return fn.apply(self, args);
    },
    { surface: 'code', op: 'inspector', api: 'process._debugProcess' },
  );
}

/** Whether a signal sent to this process opens its inspector (SIGUSR1, by name or number). */
export function opensInspector(signal: unknown): boolean {
  return signal === 'SIGUSR1' || signal === 10;
}

export function installInspectorHooks(): void {
  whenBuiltinLoaded('inspector', hookInspectorModule);
  // The promises API loads the base module from inside Node (no require of ours sees it).
  whenBuiltinLoaded('inspector/promises', () => hookInspectorModule(require('node:inspector')));
  hookDebugProcess();
}
