// Starting `warden serve` and talking to it, for the console's tests and its bench: a free
// loopback port, the URL it prints, JSON calls with the bearer token, gzip'd NDJSON batches.
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.cjs');

/** `warden serve --db db --port 0 --token token …`; resolves once it listens. */
export async function startServe({ db, token, args = [], node = process.execPath, nodeArgs = [] }) {
  const child = spawn(
    node,
    [...nodeArgs, CLI, 'serve', '--db', db, '--port', '0', '--token', token, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[^ ]+) /.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  return { url, stop, stderr: () => stderr };
}

/** A request; resolves with the status, the body (JSON when it parses) and the time it took. */
export function call(url, method, path, { body, headers = {}, token } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      `${url}${path}`,
      {
        method,
        agent: false,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => {
          let parsed;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode, body: parsed, ms: performance.now() - started });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Findings (objects, or lines as they are) as the shipper sends them: one gzip'd NDJSON batch. */
export const batchOf = (findings) =>
  gzipSync(findings.map((f) => (typeof f === 'string' ? f : JSON.stringify(f))).join('\n'));

export const postBatch = (url, findings, { token, body } = {}) =>
  call(url, 'POST', '/v1/findings', {
    token,
    body: body ?? batchOf(findings),
    headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
  });

/** A loopback HTTP receiver recording each request (JSON bodies); /pd answers 202 as PagerDuty does. */
export async function receivers() {
  const got = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      got.push({ path: req.url, headers: req.headers, body: JSON.parse(body), raw: body });
      res.writeHead(req.url === '/pd' ? 202 : 200, { 'content-type': 'application/json' });
      res.end('{"status":"success"}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    got,
    close: () => new Promise((r) => server.close(r)),
  };
}
