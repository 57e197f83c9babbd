import type { Surface } from '../events/types';
import type { Policy, RuleList } from './types';

/**
 * Whether the policy can deny some event of this surface and operation: its default for it is
 * deny, it lists a deny entry for it, or it restricts packages (any event may be a package's
 * that lacks the capability). A fault while judging such an event blocks it in enforce mode, so
 * a fault the caller provokes (stack depth, exotic input) never turns a denied call into an
 * allow; on a surface the policy only allows or alerts, the call goes through (see
 * docs/faults.md).
 */
export function couldDeny(policy: Policy, surface: Surface, op: string): boolean {
  if (Object.keys(policy.packages).length > 0) return true;
  const denies = (list: RuleList<unknown>) => list.default === 'deny' || list.deny.length > 0;
  switch (surface) {
    case 'process':
      return op === 'kill' ? policy.process.kill === 'deny' : denies(policy.process);
    case 'network':
      return (
        denies(policy.network) || policy.network.runtimeApi === 'deny' || policy.network.listen === 'deny'
      );
    case 'files':
      if (op === 'read' || op === 'write' || op === 'exec') return denies(policy.files[op]);
      return denies(policy.files.read) || denies(policy.files.write) || denies(policy.files.exec);
    case 'code':
      switch (op) {
        case 'eval':
        case 'function':
        case 'vm':
          return policy.code.eval === 'deny';
        case 'wasm':
          return policy.code.wasm === 'deny';
        case 'worker':
          return policy.code.workers === 'deny';
        case 'inspector':
          return policy.code.inspector === 'deny';
        case 'native':
          return denies(policy.code.nativeAddons);
        case 'module':
          return denies(policy.code.modules);
        default:
          return policy.code.eval === 'deny' || policy.code.wasm === 'deny' || policy.code.workers === 'deny';
      }
    case 'secrets':
      return denies(policy.secrets);
    case 'sensor':
      return false;
  }
}
