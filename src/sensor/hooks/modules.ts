/**
 * Module loads: CommonJS through `Module._load` (what `require`, `module.require` and
 * `createRequire` all reach), ES modules through `module.registerHooks` where Node has it
 * (22.15+, 24), in the loading thread. The event names the builtin (`child_process`) or the
 * package (`lodash`) or the path, and the package that asked for it.
 */
import { builtinModules } from 'node:module';
import { packageOfFile } from '../attribution';
import { inBypass, lock, wrapCall } from '../guard';
import { check, getState } from '../report';

const builtins = new Set(builtinModules);

/** The module name a policy sees: `fs` for `node:fs`, `@scope/pkg` for `@scope/pkg/sub`. */
export function moduleName(request: string): string {
  const bare = request.startsWith('node:') ? request.slice(5) : request;
  if (builtins.has(bare) || builtins.has(bare.split('/')[0]!)) return bare;
  if (bare.startsWith('.') || bare.startsWith('/') || bare.startsWith('file:')) {
    return packageOfFile(bare) ?? bare;
  }
  const parts = bare.split('/');
  return parts[0]!.startsWith('@') && parts[1] ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

export function installModuleHooks(): void {
  const state = getState();
  if (!state) return;
  const Module = require('node:module') as unknown as Record<string, unknown> & {
    registerHooks?: (hooks: { resolve?: Function }) => unknown;
  };
  // With nothing to judge, a module hook would be pure cost on every require.
  if (state.policy.modules.allowsAll) return;
  const load = Module._load as Function;
  lock(
    Module,
    '_load',
    wrapCall(load, (fn, self, args) => {
      if (!inBypass() && typeof args[0] === 'string') {
        const err = check({ surface: 'code', op: 'module', api: 'require', target: moduleName(args[0]) });
        if (err) throw err;
      }
      return fn.apply(self, args);
    }),
  );
  if (typeof Module.registerHooks === 'function') {
    Module.registerHooks({
      resolve(specifier: string, context: unknown, next: (s: string, c: unknown) => unknown) {
        if (!inBypass() && typeof specifier === 'string') {
          const err = check({ surface: 'code', op: 'module', api: 'import', target: moduleName(specifier) });
          if (err) throw err;
        }
        return next(specifier, context);
      },
    });
  }
}
