/**
 * The environment. Warden's own settings (WARDEN_*) cannot be changed or removed through
 * `process.env` (workers and children inherit it: a function must not be able to hand them a
 * weaker mode); an attempt is refused and reported. Secrets: `process.env` becomes a Proxy over the real one that judges
 * reads of the credential variables (`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
 * `AWS_ACCESS_KEY_ID` and the policy's `secrets.names`), by value read or by descriptor, and
 * attributes them to the reading package. A denied read in enforce mode sees the variable as
 * unset. Assigning a new object to `process.env` wraps that object too.
 */

import { ATTACKS } from '../../events/mitre';
import { innermostCaller } from '../attribution';
import { BLOCKED_CODE, issue } from '../errors';
import { bypass, inBypass } from '../guard';
import { check, getState, reportNotice } from '../report';

/** Whether reads of the secret variables are judged at all (policy, packages or rules). */
function secretsJudged(): boolean {
  const state = getState();
  return (
    !!state &&
    (!(state.policy.secrets.allowsAll && !state.policy.restrictsPackages) ||
      state.engine?.watchesSecrets === true)
  );
}

/** The error a refused secrets read fails with (ERR_WARDEN_BLOCKED). */
function secretsRefusal(what: string): Error {
  const err = new Error(`Warden blocked secrets read: ${what}`) as Error & { code: string };
  err.code = BLOCKED_CODE;
  return issue(err);
}

/**
 * An API that hands out an image of the whole environment (a heap snapshot, a diagnostic
 * report): judged as a read of every secret variable the process holds. Returns the error to fail
 * with (enforce mode), naming what the API would have exposed.
 */
export function judgeEnvironmentCopy(api: string): Error | undefined {
  const state = getState();
  if (!state || inBypass() || !secretsJudged()) return undefined;
  for (const name of state.policy.secretNames) {
    if (!bypass(() => Object.hasOwn(process.env, name))) continue;
    if (check({ surface: 'secrets', op: 'read', api, name }) === undefined) continue;
    return secretsRefusal(`${api} would expose ${name}`);
  }
  return undefined;
}

/**
 * Tells a copy of the whole environment from a read of one variable. A copy (`{ ...process.env }`,
 * `Object.assign`, `Object.entries`, `JSON.stringify`, child_process copying the env for a child)
 * first lists the keys, then visits them in that order, each once or twice (descriptor, then
 * value), in one or two passes. A read of a variable picked by name does not follow the list.
 * A copy is an `enumerate` event: judged by the policy like a read (a denied variable is absent
 * from the copy too), but it does not make the package a credential reader (what it does with the
 * copy is judged where the data goes: the outbound credential scan).
 */
function keyWalk(): { started(keys: readonly (string | symbol)[]): void; inOrder(key: string): boolean } {
  let keys: readonly (string | symbol)[] = [];
  let at = -1;
  return {
    started(k) {
      keys = k;
      at = -1;
    },
    inOrder(key) {
      if (keys.length === 0) return false;
      if (at >= 0 && keys[at] === key) return true; // the value after the descriptor
      if (keys[at + 1] === key) {
        at++;
        return true;
      }
      if (keys[0] === key) {
        at = 0; // a second pass (JSON.stringify, spawn's env copy after Object.keys)
        return true;
      }
      return false;
    },
  };
}

/**
 * Variables handed to code that runs outside the guard (a WASI instance): each credential among
 * them, with the process's own value, is judged as a read of it.
 */
export function judgeSecretsIn(vars: Record<string, unknown>, api: string): Error | undefined {
  const state = getState();
  if (!state || inBypass() || !secretsJudged()) return undefined;
  for (const name of state.policy.secretNames) {
    // Read without the guard's traps (vars may be process.env itself): this judgement is the read.
    if (!bypass(() => Object.hasOwn(vars, name) && vars[name] === process.env[name])) continue;
    if (check({ surface: 'secrets', op: 'read', api, name }) === undefined) continue;
    return secretsRefusal(`${api} would hand over ${name}`);
  }
  return undefined;
}

/** The shadow of the current environment, refreshed after Node changes it in C++. */
let currentShadow: { sync(): void } | undefined;

/** After an API that sets variables in C++ (`process.loadEnvFile`): the shadow catches up. */
export function refreshEnvShadow(): void {
  const shadow = currentShadow;
  if (shadow) bypass(() => shadow.sync());
}

/** V8's own functions that ask for a property's descriptor and hand out no value: its names, whether it is there. */
const VALUE_BLIND_BUILTINS = new Set(['keys', 'hasOwn', 'hasOwnProperty', 'propertyIsEnumerable']);

/**
 * Whether a descriptor asked for now reaches no one's hands with its value: `Object.keys`
 * (the names: the `debug` package lists the environment so), `Object.hasOwn`, or a language
 * operation in script code (`for…in` lists names; a spread or a rest element reads each value
 * through `get`, judged there). `Object.getOwnPropertyDescriptor(s)` and
 * `Reflect.getOwnPropertyDescriptor` hand the value out: judged as the read. A stack that cannot
 * be read counts as handing it out.
 */
function valueBlind(): boolean {
  const caller = innermostCaller();
  if (!caller) return false;
  return 'code' in caller || VALUE_BLIND_BUILTINS.has(caller.builtin);
}

/**
 * Whether a value asked for now goes to a child process's environment, not to the function:
 * Node's child_process copying `process.env` for a spawn given no `env` of its own. The child
 * inherits the variable as Lambda's runtime would give it; what the child does is judged (the
 * spawn itself, its commands, its connections).
 */
function handedToChild(): boolean {
  const caller = innermostCaller();
  return (
    !!caller && 'file' in caller && (caller.file === 'node:child_process' || caller.file === 'child_process')
  );
}

export function installEnvHooks(): void {
  const state = getState();
  if (!state) return;
  const names = state.policy.secretNames;
  const judgeSecrets = secretsJudged();
  const tamper = (key: string, api: string): boolean => {
    if (!key.startsWith('WARDEN_') || inBypass()) return false;
    reportNotice(
      {
        surface: 'sensor',
        op: 'fault',
        api,
        message: `attempt to change ${key} through process.env (refused)`,
      },
      {
        action: 'alert',
        ruleId: 'warden.sensor.tamper',
        title: "Attempt to change Warden's configuration",
        severity: 4,
        attacks: [ATTACKS.impairDefenses],
        reason: `${api} ${key}: Warden's settings are fixed at start-up`,
      },
    );
    return true;
  };

  const judge = (key: string | symbol, api: string, op: 'read' | 'enumerate' = 'read'): boolean => {
    if (typeof key !== 'string' || !names.has(key) || inBypass()) return true;
    return check({ surface: 'secrets', op, api, name: key }) === undefined;
  };
  /**
   * The Proxy's own target is a shadow of the environment, never the environment itself:
   * `util.inspect` (and so `console.log`) prints a Proxy's target without running a trap, and
   * would print every credential. In the shadow, each secret variable is an accessor that reads
   * it through the same judgement (inspect shows `[Getter]`; `getters: true` calls it); every
   * other variable is a copy kept in step by the traps. Every trap works on the real environment.
   */
  const shadowOf = (real: Record<string, string | undefined>) => {
    const shadow: Record<string, unknown> = {};
    const mirror = (key: string): void => {
      if (!judgeSecrets || !names.has(key)) {
        const desc = Reflect.getOwnPropertyDescriptor(real, key);
        if (desc) Reflect.defineProperty(shadow, key, { ...desc, configurable: true });
        else Reflect.deleteProperty(shadow, key);
        return;
      }
      if (!Reflect.has(real, key)) {
        Reflect.deleteProperty(shadow, key);
        return;
      }
      Reflect.defineProperty(shadow, key, {
        configurable: true,
        enumerable: true,
        get: () => (judge(key, 'util.inspect(process.env)') ? Reflect.get(real, key) : undefined),
      });
    };
    return {
      shadow,
      mirror,
      sync(): void {
        for (const key of Reflect.ownKeys(shadow))
          if (!Reflect.has(real, key)) Reflect.deleteProperty(shadow, key);
        for (const key of Reflect.ownKeys(real)) if (typeof key === 'string') mirror(key);
      },
    };
  };
  const wrap = (real: Record<string, string | undefined>): Record<string, string | undefined> => {
    const walk = keyWalk();
    const view = bypass(() => shadowOf(real));
    bypass(() => view.sync());
    currentShadow = view;
    const proxy: Record<string, string | undefined> = new Proxy(
      view.shadow as Record<string, string | undefined>,
      {
        get(_t, key, receiver) {
          if (judgeSecrets && typeof key === 'string') {
            // Every key moves the walk along, a secret's or not (see keyWalk).
            const copying = walk.inOrder(key);
            if (
              names.has(key) &&
              !(copying && handedToChild()) &&
              !judge(key, 'process.env', copying ? 'enumerate' : 'read')
            )
              return undefined;
          }
          return Reflect.get(real, key, receiver === proxy ? real : receiver);
        },
        has(_t, key) {
          return Reflect.has(real, key);
        },
        ownKeys() {
          const keys = Reflect.ownKeys(real);
          walk.started(keys);
          return keys;
        },
        set(_t, key, value, receiver) {
          if (typeof key === 'string' && tamper(key, 'process.env set')) return true;
          // The real environment as receiver: process.env's interceptor takes a plain set, but
          // refuses the partial descriptor that an ordinary [[Set]] through the proxy would define.
          const done =
            receiver === proxy ? Reflect.set(real, key, value) : Reflect.set(real, key, value, receiver);
          if (typeof key === 'string') bypass(() => view.mirror(key));
          return done;
        },
        defineProperty(_t, key, desc) {
          if (typeof key === 'string' && tamper(key, 'process.env defineProperty')) return true;
          const done = Reflect.defineProperty(real, key, desc);
          if (typeof key === 'string') bypass(() => view.mirror(key));
          return done;
        },
        deleteProperty(_t, key) {
          if (typeof key === 'string' && tamper(key, 'process.env delete')) return true;
          const done = Reflect.deleteProperty(real, key);
          if (typeof key === 'string') bypass(() => view.mirror(key));
          return done;
        },
        getOwnPropertyDescriptor(_t, key) {
          const real_ = Reflect.getOwnPropertyDescriptor(real, key);
          // Reported configurable (as the environment's own are): the shadow holds no fixed property.
          const desc = real_ && { ...real_, configurable: true };
          if (!desc || !judgeSecrets || typeof key !== 'string') return desc;
          const copying = walk.inOrder(key);
          if (
            names.has(key) &&
            !valueBlind() &&
            !judge(key, 'Object.getOwnPropertyDescriptor(process.env)', copying ? 'enumerate' : 'read')
          ) {
            return { ...desc, value: undefined };
          }
          return desc;
        },
        getPrototypeOf() {
          return Reflect.getPrototypeOf(real);
        },
        // The shadow must stay extensible (the traps report the environment's keys, not its own).
        preventExtensions() {
          return false;
        },
      },
    );
    return proxy;
  };
  let current = wrap(process.env);
  try {
    Object.defineProperty(process, 'env', {
      configurable: false,
      enumerable: true,
      get: () => current,
      set: (v: Record<string, string | undefined>) => {
        // Whatever Node would have done with a non-object, do the same (no Proxy to wrap it in).
        current = v !== null && typeof v === 'object' ? wrap(v) : v;
      },
    });
  } catch {
    // process.env not redefinable here (another agent locked it): secrets stay unobserved.
  }
}
