/**
 * One request to a Lambda API endpoint (`AWS_LAMBDA_RUNTIME_API`: the Runtime, Extensions and
 * Telemetry APIs), answered as {status, headers, body}. Used by the sandbox's built-in runtime
 * client and by the extension.
 */
import * as http from 'node:http';

export interface ApiReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function apiCall(
  api: string,
  agent: http.Agent,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<ApiReply> {
  const colon = api.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: api.slice(0, colon).replace(/^\[|\]$/g, ''),
        port: Number(api.slice(colon + 1)),
        path,
        method,
        agent,
        headers:
          body === undefined
            ? headers
            : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          data += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
