/**
 * Telemetry API 2022-07-01: subscriptions (schema versions 2022-07-01 and 2022-12-13, HTTP or TCP
 * destinations on `sandbox.localdomain`, buffering limits) and delivery in batches, as Lambda
 * does: a batch goes out when it holds `maxItems` events, `maxBytes` bytes, or is `timeoutMs`
 * old; nothing is delivered while the sandbox is frozen (it goes out at thaw). Destinations are
 * always loopback: `sandbox.localdomain` is the sandbox's own host name.
 */
import * as http from 'node:http';
import * as net from 'node:net';

export type TelemetryType = 'platform' | 'function' | 'extension';

export interface TelemetryEvent {
  time: string;
  type: string;
  record: unknown;
}

export interface Buffering {
  maxItems: number;
  maxBytes: number;
  timeoutMs: number;
}

export interface Subscription {
  extension: string;
  schemaVersion: '2022-07-01' | '2022-12-13';
  types: TelemetryType[];
  buffering: Buffering;
  protocol: 'HTTP' | 'TCP';
  host: string;
  port: number;
  path: string;
}

const SCHEMAS = ['2022-07-01', '2022-12-13'];
const TYPES = ['platform', 'function', 'extension'];
const LIMITS = {
  maxItems: [1000, 10000, 10000],
  maxBytes: [262144, 1048576, 262144],
  timeoutMs: [25, 30000, 1000],
};

export class SubscriptionError extends Error {}

/** Validates a subscribe request body the way the Telemetry API does (400 on any violation). */
export function parseSubscription(extension: string, body: unknown): Subscription {
  const b = body as Record<string, unknown> | null;
  if (!b || typeof b !== 'object') throw new SubscriptionError('request body must be a JSON object');
  if (!SCHEMAS.includes(b.schemaVersion as string))
    throw new SubscriptionError(`schemaVersion must be one of ${SCHEMAS.join(', ')}`);
  const types = b.types;
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => TYPES.includes(t as string)))
    throw new SubscriptionError(`types must be a non-empty array of ${TYPES.join(', ')}`);
  const dest = b.destination as Record<string, unknown> | undefined;
  if (!dest || (dest.protocol !== 'HTTP' && dest.protocol !== 'TCP'))
    throw new SubscriptionError('destination.protocol must be HTTP or TCP');
  let url: URL;
  try {
    url = new URL(String(dest.URI));
  } catch {
    throw new SubscriptionError('destination.URI is not a URI');
  }
  if (dest.protocol === 'HTTP' && url.protocol !== 'http:')
    throw new SubscriptionError('destination.URI must be http:// for the HTTP protocol');
  if (dest.protocol === 'TCP' && url.protocol !== 'tcp:')
    throw new SubscriptionError('destination.URI must be tcp:// for the TCP protocol');
  if (url.hostname !== 'sandbox.localdomain' && url.hostname !== 'sandbox' && !/^127\./.test(url.hostname))
    throw new SubscriptionError('destination host must be sandbox.localdomain');
  const port = Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new SubscriptionError('destination port is invalid');
  const given = (b.buffering ?? {}) as Record<string, unknown>;
  const buffering = {} as Buffering;
  for (const [key, [min, max, def]] of Object.entries(LIMITS) as [keyof Buffering, number[]][]) {
    const v = given[key] ?? def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < (min as number) || v > (max as number))
      throw new SubscriptionError(`buffering.${key} must be an integer from ${min} to ${max}`);
    buffering[key] = v;
  }
  return {
    extension,
    schemaVersion: b.schemaVersion as Subscription['schemaVersion'],
    types: [...new Set(types as TelemetryType[])],
    buffering,
    protocol: dest.protocol,
    host: /^127\./.test(url.hostname) ? url.hostname : '127.0.0.1',
    port,
    path: url.pathname + url.search,
  };
}

/** One subscriber's buffer and delivery. */
export class TelemetryStream {
  private queue: string[] = [];
  private bytes = 0;
  private timer?: NodeJS.Timeout;
  private sending = Promise.resolve();
  private tcp?: net.Socket;
  /** A batch fell due (timer or size) while the sandbox was frozen: it goes out at thaw. */
  private overdue = false;
  dropped = 0;
  delivered = 0;

  constructor(
    readonly sub: Subscription,
    private readonly isFrozen: () => boolean,
    private readonly log: (msg: string) => void,
  ) {}

  wants(type: string): boolean {
    const family = type.startsWith('platform.') ? 'platform' : type;
    return this.sub.types.includes(family as TelemetryType);
  }

  push(event: TelemetryEvent): void {
    const text = JSON.stringify(event);
    if (this.queue.length >= this.sub.buffering.maxItems * 10) {
      this.dropped++; // a subscriber that never keeps up: bounded memory
      return;
    }
    this.queue.push(text);
    this.bytes += Buffer.byteLength(text);
    if (this.queue.length >= this.sub.buffering.maxItems || this.bytes >= this.sub.buffering.maxBytes)
      this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.sub.buffering.timeoutMs);
    }
  }

  /** Sends what is buffered (unless frozen); resolves when it is delivered or failed. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queue.length === 0) return this.sending;
    if (this.isFrozen()) {
      this.overdue = true;
      return this.sending;
    }
    this.overdue = false;
    const batch = this.takeBatch();
    this.sending = this.sending.then(() => this.send(batch)).catch(() => undefined);
    if (this.queue.length) return this.flush();
    return this.sending;
  }

  /**
   * The sandbox thawed: what fell due while it was frozen goes out now; a batch whose timer has
   * not run out waits for it, as in Lambda (the buffer's age, not the thaw, sends it).
   */
  thawed(): Promise<void> {
    return this.overdue ? this.flush() : this.sending;
  }

  private takeBatch(): string[] {
    const batch: string[] = [];
    let size = 0;
    while (this.queue.length && batch.length < this.sub.buffering.maxItems) {
      const next = this.queue[0] as string;
      const len = Buffer.byteLength(next);
      if (batch.length && size + len > this.sub.buffering.maxBytes) break;
      batch.push(next);
      size += len;
      this.queue.shift();
      this.bytes -= len;
    }
    return batch;
  }

  private send(batch: string[]): Promise<void> {
    return this.sub.protocol === 'HTTP' ? this.sendHttp(batch) : this.sendTcp(batch);
  }

  private sendHttp(batch: string[]): Promise<void> {
    const body = `[${batch.join(',')}]`;
    return new Promise<void>((resolve) => {
      const req = http.request(
        {
          host: this.sub.host,
          port: this.sub.port,
          path: this.sub.path || '/',
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            this.delivered += batch.length;
            resolve();
          });
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
      req.on('error', (e) => {
        this.dropped += batch.length;
        this.log(`telemetry to ${this.sub.extension} failed: ${e.message}`);
        resolve();
      });
      req.end(body);
    });
  }

  private sendTcp(batch: string[]): Promise<void> {
    return new Promise<void>((resolve) => {
      const write = () => {
        this.tcp?.write(`${batch.join('\n')}\n`, () => {
          this.delivered += batch.length;
          resolve();
        });
      };
      if (this.tcp && !this.tcp.destroyed) return write();
      const sock = net.connect(this.sub.port, this.sub.host);
      sock.once('connect', () => {
        this.tcp = sock;
        write();
      });
      sock.on('error', (e) => {
        if (this.tcp !== sock) {
          this.dropped += batch.length;
          resolve();
        }
        this.log(`telemetry to ${this.sub.extension} failed: ${e.message}`);
        this.tcp = undefined;
      });
    });
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.tcp?.destroy();
  }
}
