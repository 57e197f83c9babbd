/**
 * The one HTTP endpoint Lambda exposes inside a sandbox (`AWS_LAMBDA_RUNTIME_API`): the Runtime,
 * Extensions and Telemetry APIs share a host and port and differ by their versioned path prefix.
 * Small helpers for replying the way Lambda replies (JSON bodies, `{errorType, errorMessage}`).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  params: string[],
) => void | Promise<void>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];
  constructor(private readonly onFault?: (e: unknown) => void) {}
  add(method: string, pattern: RegExp, handler: Handler): this {
    this.routes.push({ method, pattern, handler });
    return this;
  }
  dispatch(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = (req.url ?? '/').split('?')[0] as string;
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.pattern.exec(url);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== req.method) continue;
      // A fault in a handler answers 500 (Lambda's ServiceException), never crashes the sandbox.
      const fail = (e: unknown) => {
        this.onFault?.(e);
        sendError(res, 500, 'ServiceException', 'the sandbox failed to handle this request');
      };
      try {
        const done = r.handler(
          req,
          res,
          m.slice(1).map((p) => decodeURIComponent(p)),
        );
        if (done) done.catch(fail);
      } catch (e) {
        fail(e);
      }
      return;
    }
    req.resume();
    if (pathMatched) sendError(res, 405, 'MethodNotAllowed', `${req.method} is not allowed on ${url}`);
    else sendError(res, 404, 'NotFound', `no such API: ${req.method} ${url}`);
  }
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(
  res: http.ServerResponse,
  status: number,
  errorType: string,
  errorMessage: string,
): void {
  sendJson(res, status, { errorMessage, errorType });
}

export const ACCEPTED = { status: 'OK' };

/** Reads a request body up to `limit` bytes; resolves `undefined` when it was larger. */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export async function listen(router: Router): Promise<{ server: http.Server; address: string }> {
  const server = http.createServer(
    { keepAliveTimeout: 0, requestTimeout: 0, headersTimeout: 0 },
    (req, res) => router.dispatch(req, res),
  );
  // Long polls (/next) stay open as long as the sandbox idles.
  server.timeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, address: `127.0.0.1:${port}` };
}
