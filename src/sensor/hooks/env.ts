/**
 * Secrets in the environment: `process.env` becomes a Proxy over the real one that judges
 * reads of the credential variables (`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
 * `AWS_ACCESS_KEY_ID` and the policy's `secrets.names`), by value read or by descriptor, and
 * attributes them to the reading package. A denied read in enforce mode sees the variable as
 * unset. Assigning a new object to `process.env` wraps that object too.
 */
import { inBypass } from '../guard';
import { check, getState } from '../report';

export function installEnvHooks(): void {
  const state = getState();
  if (!state) return;
  const names = state.policy.secretNames;
  if (state.policy.secrets.allowsAll && !state.policy.restrictsPackages) return;

  const judge = (key: string | symbol, api: string): boolean => {
    if (typeof key !== 'string' || !names.has(key) || inBypass()) return true;
    return check({ surface: 'secrets', op: 'read', api, name: key }) === undefined;
  };
  const wrap = (target: Record<string, string | undefined>) =>
    new Proxy(target, {
      get(t, key, receiver) {
        if (typeof key === 'string' && names.has(key) && !judge(key, 'process.env')) return undefined;
        return Reflect.get(t, key, receiver);
      },
      getOwnPropertyDescriptor(t, key) {
        const desc = Reflect.getOwnPropertyDescriptor(t, key);
        if (
          desc &&
          typeof key === 'string' &&
          names.has(key) &&
          !judge(key, 'Object.getOwnPropertyDescriptor(process.env)')
        ) {
          return { ...desc, value: undefined };
        }
        return desc;
      },
    });
  let current = wrap(process.env);
  try {
    Object.defineProperty(process, 'env', {
      configurable: false,
      enumerable: true,
      get: () => current,
      set: (v: Record<string, string | undefined>) => {
        current = wrap(v);
      },
    });
  } catch {
    // process.env not redefinable here (another agent locked it): secrets stay unobserved.
  }
}
