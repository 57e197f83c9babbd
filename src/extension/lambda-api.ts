/**
 * The extension's side of Lambda's Extensions API (2020-01-01) and Telemetry API (2022-07-01):
 * register, long-poll for the next event, report errors, and subscribe a local HTTP listener
 * to the platform, function and extension streams.
 */

import * as http from 'node:http';
import * as net from 'node:net';
import { apiCall } from '../net/api-call';

export interface InvokeEvent {
  eventType: 'INVOKE';
  requestId: string;
  deadlineMs: number;
  invokedFunctionArn?: string;
}

export interface ShutdownEvent {
  eventType: 'SHUTDOWN';
  shutdownReason: string;
  deadlineMs: number;
}

export type LifecycleEvent = InvokeEvent | ShutdownEvent;

export interface TelemetryEvent {
  time: string;
  type: string;
  record: unknown;
}

/** One keep-alive agent: the long poll and the calls around it reuse their sockets. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function call(api: string, method: string, path: string, headers: Record<string, string>, body?: string) {
  return apiCall(api, agent, method, path, headers, body);
}

export class ExtensionsClient {
  id = '';

  constructor(
    private readonly api: string,
    private readonly name: string,
  ) {}

  async register(
    events: ('INVOKE' | 'SHUTDOWN')[],
  ): Promise<{ functionName?: string; functionVersion?: string }> {
    const r = await call(
      this.api,
      'POST',
      '/2020-01-01/extension/register',
      { 'Lambda-Extension-Name': this.name, 'Lambda-Extension-Accept-Feature': 'accountId' },
      JSON.stringify({ events }),
    );
    if (r.status !== 200) throw new Error(`register failed: HTTP ${r.status} ${r.body}`);
    this.id = String(r.headers['lambda-extension-identifier'] ?? '');
    if (!this.id) throw new Error('register: no Lambda-Extension-Identifier in the answer');
    try {
      return JSON.parse(r.body) as { functionName?: string; functionVersion?: string };
    } catch {
      return {};
    }
  }

  async next(): Promise<LifecycleEvent> {
    const r = await call(this.api, 'GET', '/2020-01-01/extension/event/next', {
      'Lambda-Extension-Identifier': this.id,
    });
    if (r.status !== 200) throw new Error(`event/next failed: HTTP ${r.status} ${r.body}`);
    return JSON.parse(r.body) as LifecycleEvent;
  }

  async reportError(phase: 'init' | 'exit', errorType: string, message: string): Promise<void> {
    try {
      await call(
        this.api,
        'POST',
        `/2020-01-01/extension/${phase}/error`,
        { 'Lambda-Extension-Identifier': this.id, 'Lambda-Extension-Function-Error-Type': errorType },
        JSON.stringify({ errorMessage: message, errorType }),
      );
    } catch {
      // the sandbox is going away anyway
    }
  }

  async subscribeTelemetry(uri: string, types: string[]): Promise<void> {
    const r = await call(
      this.api,
      'PUT',
      '/2022-07-01/telemetry',
      { 'Lambda-Extension-Identifier': this.id },
      JSON.stringify({
        schemaVersion: '2022-12-13',
        types,
        // Lambda's default batching (a batch a second at most, unless it fills): nothing the
        // extension takes from telemetry is urgent (the sensor's channel is), and each batch
        // wakes it while the function may be running.
        buffering: { maxItems: 1000, maxBytes: 262144, timeoutMs: 1000 },
        destination: { protocol: 'TCP', URI: uri },
      }),
    );
    if (r.status !== 200) throw new Error(`telemetry subscribe failed: HTTP ${r.status} ${r.body}`);
  }
}

/** A TCP telemetry stream carries one JSON event per line; more than this unread is dropped. */
const MAX_PENDING_TELEMETRY = 16 * 1024 * 1024;

/**
 * The listener Lambda delivers telemetry to: the TCP protocol (one persistent connection,
 * newline-delimited JSON events), not HTTP, because a batch can arrive while the function runs
 * and a request per batch (connection, headers, a response) is work on the function's CPU. It
 * listens on `sandbox.localdomain` (the sandbox's own name) as Lambda requires, or loopback
 * where that name does not resolve.
 */
export async function listenTelemetry(
  onBatch: (events: TelemetryEvent[]) => void,
): Promise<{ uri: string; server: net.Server }> {
  let host = 'sandbox.localdomain';
  let address: string;
  try {
    const { lookup } = require('node:dns/promises') as typeof import('node:dns/promises');
    address = (await lookup(host, { family: 4 })).address;
  } catch {
    host = '127.0.0.1';
    address = host;
  }
  const server = net.createServer((socket) => {
    socket.setEncoding('utf8');
    let pending = '';
    socket.on('data', (chunk: string) => {
      pending += chunk;
      const events: TelemetryEvent[] = [];
      let nl = pending.indexOf('\n');
      let from = 0;
      while (nl >= 0) {
        const line = pending.slice(from, nl);
        from = nl + 1;
        nl = pending.indexOf('\n', from);
        if (!line) continue;
        try {
          const parsed = JSON.parse(line) as unknown;
          if (Array.isArray(parsed)) events.push(...(parsed as TelemetryEvent[]));
          else if (parsed && typeof parsed === 'object') events.push(parsed as TelemetryEvent);
        } catch {
          // not an event: skipped
        }
      }
      pending = pending.slice(from);
      if (pending.length > MAX_PENDING_TELEMETRY) pending = '';
      if (events.length > 0) onBatch(events);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  server.unref();
  const port = (server.address() as net.AddressInfo).port;
  return { uri: `tcp://${host}:${port}`, server };
}
