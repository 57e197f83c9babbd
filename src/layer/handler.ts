/**
 * The layer's handler swap (`/opt/warden/handler.cjs`). The exec wrapper points `_HANDLER` at
 * `<layer>/warden/handler.handler` and keeps the function's own in `WARDEN_HANDLER`; the
 * runtime imports `handler.mjs`, whose top-level `await loadHandler()` loads the user's handler
 * during the init phase, exactly when the runtime would have (so a missing module is an init
 * error with the runtime's error type). Each invocation then runs inside the sensor's invocation
 * context (request id, invoked ARN, the event, start time).
 *
 * The wrapper keeps what the runtime reads off a handler: its arity (callback-style handlers
 * stay callback-style, and the Node 24 runtime rejects them as it would without Warden), and the
 * response-streaming marks.
 */
import { isThenable } from '../thenable';
import { HIGH_WATER_MARK, loadUserHandler, RuntimeError, STREAMING, type UserHandler } from './user-handler';

interface SensorApi {
  runInInvocation<T>(
    ctx: { requestId?: string; functionArn?: string; event?: unknown; startTime?: number },
    fn: () => T,
  ): T;
}

interface LambdaContext {
  awsRequestId?: string;
  invokedFunctionArn?: string;
}

function sensorApi(): SensorApi | undefined {
  return (globalThis as Record<symbol, SensorApi | undefined>)[Symbol.for('warden.sensor')];
}

export function wrapHandler(user: UserHandler, streaming: boolean): UserHandler {
  const callbackStyle = !streaming && user.length >= 3;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const sensor = sensorApi();
    if (!sensor) return Reflect.apply(user, this, args);
    const event = args[0];
    const context = (streaming ? args[2] : args[1]) as LambdaContext | undefined;
    const ctx = {
      requestId: context?.awsRequestId,
      functionArn: context?.invokedFunctionArn,
      event,
      startTime: Date.now(),
    };
    let ret: unknown;
    if (callbackStyle && typeof args[2] === 'function') {
      // The invocation ends when the callback is called (or a returned promise settles); the
      // value handed back to the runtime is the handler's own, untouched.
      const callback = args[2] as (...a: unknown[]) => unknown;
      let finished!: () => void;
      const done = new Promise<void>((resolve) => {
        finished = resolve;
      });
      args[2] = (...cbArgs: unknown[]) => {
        finished();
        return callback(...cbArgs);
      };
      sensor.runInInvocation(ctx, () => {
        ret = Reflect.apply(user, this, args);
        return isThenable(ret) ? Promise.race([Promise.resolve(ret).then(finished, finished), done]) : done;
      });
      return ret;
    }
    return sensor.runInInvocation(ctx, () => Reflect.apply(user, this, args));
  };
  Object.defineProperty(wrapped, 'length', { value: user.length });
  Object.defineProperty(wrapped, 'name', { value: user.name || 'handler' });
  const marks = user as unknown as Record<symbol, unknown>;
  for (const sym of [STREAMING, HIGH_WATER_MARK])
    if (marks[sym] !== undefined) (wrapped as unknown as Record<symbol, unknown>)[sym] = marks[sym];
  return wrapped;
}

let warned = false;

/** Loads `WARDEN_HANDLER` from `LAMBDA_TASK_ROOT` and wraps it. */
export async function loadHandler(env: NodeJS.ProcessEnv = process.env): Promise<UserHandler> {
  const original = env.WARDEN_HANDLER;
  if (!original)
    throw new RuntimeError(
      'Runtime.MalformedHandlerName',
      'WARDEN_HANDLER is not set: set AWS_LAMBDA_EXEC_WRAPPER to the Warden layer wrapper instead of pointing _HANDLER at it',
    );
  const loaded = await loadUserHandler(env.LAMBDA_TASK_ROOT || process.cwd(), original);
  if (!sensorApi() && !warned) {
    warned = true;
    process.stderr.write(
      'warden: the sensor is not loaded (NODE_OPTIONS changed?); the function runs unguarded\n',
    );
  }
  return wrapHandler(loaded.handler, loaded.streaming);
}
