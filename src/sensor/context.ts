import type { AsyncLocalStorage } from 'node:async_hooks';
import type { InvocationContext } from '../events/types';
import { isThenable } from '../thenable';

/**
 * The invocation context (request id, ARN, event): set by the handler wrapper through the
 * sensor API, carried across async work by AsyncLocalStorage, created on first use so a
 * process that never invokes pays nothing.
 */
let storage: AsyncLocalStorage<InvocationContext> | undefined;
let onEnd: ((ctx: InvocationContext) => void) | undefined;
let last: InvocationContext | undefined;

/** The invocation that started last (for reports made outside any invocation's async context). */
export function lastInvocation(): InvocationContext | undefined {
  return last;
}

export function onInvocationEnd(fn: (ctx: InvocationContext) => void): void {
  onEnd = fn;
}

export function currentInvocation(): InvocationContext | undefined {
  return storage?.getStore();
}

export function runInInvocation<T>(ctx: InvocationContext, fn: () => T): T {
  if (!storage) {
    const { AsyncLocalStorage: ALS } = require('node:async_hooks') as typeof import('node:async_hooks');
    storage = new ALS<InvocationContext>();
  }
  const frozen = Object.freeze({ ...ctx, startTime: ctx.startTime ?? Date.now() });
  last = frozen;
  const end = () => onEnd?.(frozen);
  let result: T;
  try {
    result = storage.run(frozen, fn);
  } catch (e) {
    end();
    throw e;
  }
  if (isThenable(result)) {
    result.then(end, end);
  } else {
    end();
  }
  return result;
}
