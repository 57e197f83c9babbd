/**
 * `warden demo --serve`: the demo's findings in the console. `warden serve` runs as a child on a
 * Node that has node:sqlite (this one from 22.13, else the Node 24 or 22 the sandbox fetched),
 * with a fresh token and a temporary database; the findings are posted to it as the extension's
 * shipper would, and the sign-in address printed. Ctrl-C stops it and removes the database.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { findNode } from '../sandbox/runtimes';

/** Whether a Node of this version (`v22.13.0` or `22.13.0`) has node:sqlite. */
export function hasSqlite(version: string): boolean {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number) as [number, number];
  return major > 22 || (major === 22 && minor >= 13);
}

/** A Node that can run the embedded store, or undefined. */
export function consoleNode(): string | undefined {
  if (hasSqlite(process.version)) return process.execPath;
  return findNode('nodejs24.x') ?? findNode('nodejs22.x');
}

/** One request to the console with its token; resolves with the HTTP status. */
function send(
  url: string,
  token: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer | string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The demo function's policy, kept in the console (its page shows it; incidents promote into it). */
export interface DemoPolicy {
  functionArn: string;
  text: string;
}

export async function serveDemoFindings(
  findings: readonly unknown[],
  port: number,
  policy?: DemoPolicy,
): Promise<void> {
  const node = consoleNode();
  if (!node)
    throw new Error('the console needs Node 22.13 or later (node:sqlite), and none is installed here');
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-demo-console-'));
  const token = randomBytes(16).toString('hex');
  const child: ChildProcess = spawn(
    node,
    [
      path.join(__dirname, 'cli.cjs'),
      'serve',
      '--db',
      path.join(dir, 'console.sqlite'),
      '--port',
      String(port),
      '--token',
      token,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const stop = () => {
    child.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/\S+) /.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`warden serve exited (${code})`)));
  });
  const status = await send(
    `${url}/v1/findings`,
    token,
    'POST',
    { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
    gzipSync(findings.map((f) => JSON.stringify(f)).join('\n')),
  );
  if (status !== 200) {
    stop();
    throw new Error(`the console refused the demo's findings (HTTP ${status})`);
  }
  if (policy) {
    const kept = await send(
      `${url}/api/functions/${encodeURIComponent(policy.functionArn)}/policy`,
      token,
      'PUT',
      { 'content-type': 'text/yaml', 'x-warden-author': 'warden demo' },
      policy.text,
    );
    if (kept !== 201) {
      stop();
      throw new Error(`the console refused the demo function's policy (HTTP ${kept})`);
    }
  }
  process.stdout.write(
    `\nThe console, with these findings: ${url}/login?token=${token}\n(Ctrl-C stops it; its database is removed.)\n`,
  );
  await new Promise((resolve) => child.once('exit', resolve));
}
