/**
 * Warden's small runtime interface client, for machines where aws-lambda-ric's native build is
 * unavailable (`warden invoke --client builtin`). It speaks the Runtime API as aws-lambda-ric
 * does: load the handler at init (init errors go to /init/error), then loop on /next; async,
 * callback-style and response-streaming handlers; the `awslambda` global; the context object.
 * Callback handlers are refused on nodejs24.x, as Lambda's Node 24 runtime refuses them.
 */
import * as http from 'node:http';
import { format } from 'node:util';
import { loadUserHandler, RuntimeError, type UserHandler } from '../layer/user-handler';
import { type ApiReply, apiCall } from '../net/api-call';
import { isThenable } from '../thenable';

const api = process.env.AWS_LAMBDA_RUNTIME_API ?? '';
const [host, portText] = api.split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<ApiReply> {
  return apiCall(api, agent, method, path, headers, body);
}

function errorBody(e: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    errorType: err.name || 'Error',
    errorMessage: err.message,
    trace: (err.stack ?? '').split('\n'),
  };
}

function postError(path: string, e: unknown): Promise<ApiReply> {
  const body = errorBody(e);
  return request('POST', path, JSON.stringify(body), {
    'Lambda-Runtime-Function-Error-Type': body.errorType,
  });
}

const RT = '/2018-06-01/runtime';

/** A writable response stream for streaming handlers: chunked POST, errors in trailers. */
function responseStream(requestId: string): { stream: http.ClientRequest; done: Promise<void> } {
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const stream = http.request({
    host,
    port: Number(portText),
    path: `${RT}/invocation/${encodeURIComponent(requestId)}/response`,
    method: 'POST',
    agent,
    headers: {
      'Lambda-Runtime-Function-Response-Mode': 'streaming',
      'Transfer-Encoding': 'chunked',
      'Content-Type': 'application/octet-stream',
      Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
    },
  });
  stream.on('response', (res) => {
    res.resume();
    res.on('end', resolveDone);
  });
  stream.on('error', () => resolveDone());
  const s = stream as http.ClientRequest & { setContentType(t: string): void };
  s.setContentType = (t: string) => stream.setHeader('Content-Type', t);
  return { stream, done };
}

function installGlobals(): void {
  const HTTP_INTEGRATION = 'application/vnd.awslambda.http-integration-response';
  const g = globalThis as unknown as { awslambda?: Record<string, unknown> };
  g.awslambda = {
    ...(g.awslambda ?? {}),
    streamifyResponse(handler: UserHandler, options?: { highWaterMark?: number }) {
      const h = handler as unknown as Record<symbol, unknown>;
      h[Symbol.for('aws.lambda.runtime.handler.streaming')] = 'response';
      if (options?.highWaterMark)
        h[Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark')] = options.highWaterMark;
      return handler;
    },
    HttpResponseStream: {
      from(stream: http.ClientRequest & { setContentType?(t: string): void }, prelude: unknown) {
        stream.setContentType?.(HTTP_INTEGRATION);
        stream.write(JSON.stringify(prelude));
        stream.write(Buffer.alloc(8));
        return stream;
      },
    },
  };
}

function context(headers: http.IncomingHttpHeaders, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const h = (n: string) => headers[n.toLowerCase()] as string | undefined;
  const deadline = Number(h('Lambda-Runtime-Deadline-Ms'));
  const parse = (v?: string) => {
    try {
      return v ? JSON.parse(v) : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: h('Lambda-Runtime-Invoked-Function-Arn'),
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: h('Lambda-Runtime-Aws-Request-Id'),
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parse(h('Lambda-Runtime-Client-Context')),
    identity: parse(h('Lambda-Runtime-Cognito-Identity')),
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

async function invokeOnce(handler: UserHandler, streaming: boolean): Promise<void> {
  const next = await request('GET', `${RT}/invocation/next`);
  const requestId = String(next.headers['lambda-runtime-aws-request-id']);
  currentRequestId = requestId;
  const trace = next.headers['lambda-runtime-trace-id'];
  if (typeof trace === 'string') process.env._X_AMZN_TRACE_ID = trace;
  let event: unknown;
  try {
    event = JSON.parse(next.body);
  } catch {
    event = next.body;
  }
  const ctx = context(next.headers, process.env);
  const base = `${RT}/invocation/${encodeURIComponent(requestId)}`;
  if (streaming) {
    const { stream, done } = responseStream(requestId);
    try {
      await handler(event, stream, ctx);
      if (!stream.writableEnded) stream.end();
    } catch (e) {
      const body = errorBody(e);
      stream.addTrailers({
        'Lambda-Runtime-Function-Error-Type': body.errorType,
        'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(body)).toString('base64'),
      });
      stream.end();
    }
    await done;
    return;
  }
  const outcome = await new Promise<{ ok: boolean; value: unknown }>((resolve) => {
    let settled = false;
    const settle = (ok: boolean, value: unknown) => {
      if (!settled) {
        settled = true;
        resolve({ ok, value });
      }
    };
    const callback = (err: unknown, value: unknown) => (err ? settle(false, err) : settle(true, value));
    try {
      const ret = handler(event, ctx, callback);
      if (isThenable(ret))
        ret.then(
          (v) => settle(true, v),
          (e) => settle(false, e),
        );
      else if (handler.length < 3) settle(true, ret);
    } catch (e) {
      settle(false, e);
    }
  });
  if (outcome.ok) {
    let body: string;
    try {
      body = JSON.stringify(outcome.value === undefined ? null : outcome.value);
    } catch (e) {
      await postError(
        `${base}/error`,
        new RuntimeError(
          'Runtime.JSONStringifyError',
          `Unable to stringify response body: ${(e as Error).message}`,
        ),
      );
      return;
    }
    await request('POST', `${base}/response`, body);
  } else {
    await postError(`${base}/error`, outcome.value);
  }
}

let currentRequestId: string | undefined;

/**
 * console as aws-lambda-ric formats it: TEXT lines `time\trequestId\tLEVEL\tmessage`, or with
 * AWS_LAMBDA_LOG_FORMAT=JSON one object per line, filtered by AWS_LAMBDA_LOG_LEVEL.
 */
function patchConsole(): void {
  const json = (process.env.AWS_LAMBDA_LOG_FORMAT ?? '').toUpperCase() === 'JSON';
  const order = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
  const min = json
    ? Math.max(0, order.indexOf((process.env.AWS_LAMBDA_LOG_LEVEL ?? 'INFO').toUpperCase()))
    : 0;
  const levels: [keyof Console, string][] = [
    ['log', 'INFO'],
    ['info', 'INFO'],
    ['warn', 'WARN'],
    ['error', 'ERROR'],
    ['debug', 'DEBUG'],
    ['trace', 'TRACE'],
    ['fatal' as keyof Console, 'FATAL'],
  ];
  for (const [method, level] of levels) {
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      if (order.indexOf(level) < min) return;
      const message = format(...args);
      const time = new Date().toISOString();
      const line = json
        ? JSON.stringify({ timestamp: time, level, requestId: currentRequestId, message })
        : `${time}\t${currentRequestId}\t${level}\t${message.replace(/\n/g, '\r')}`;
      process.stdout.write(`${line}\n`);
    };
  }
}

async function main(): Promise<void> {
  installGlobals();
  patchConsole();
  let loaded: Awaited<ReturnType<typeof loadUserHandler>>;
  try {
    loaded = await loadUserHandler(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), process.env._HANDLER ?? '');
    if (
      !loaded.streaming &&
      loaded.handler.length >= 3 &&
      process.env.AWS_EXECUTION_ENV === 'AWS_Lambda_nodejs24.x'
    )
      throw new RuntimeError(
        'Runtime.CallbackHandlerDeprecated',
        'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later.',
      );
  } catch (e) {
    process.stderr.write(`Init Error: ${(e as Error).stack ?? e}\n`);
    await postError(`${RT}/init/error`, e);
    process.exit(1);
  }
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`Unhandled Promise Rejection: ${(reason as Error)?.stack ?? reason}\n`);
    process.exit(128);
  });
  for (;;) await invokeOnce(loaded.handler, loaded.streaming);
}

void main();
