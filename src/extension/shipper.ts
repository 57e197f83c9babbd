/**
 * Ships findings to the collector (WARDEN_COLLECTOR_URL): gzip'd NDJSON batches, one request
 * in flight, retry with exponential backoff and jitter (Retry-After honoured), a bounded buffer
 * that drops and counts rather than grow or block, and a last flush bounded by a deadline.
 * Nothing here ever waits on the function: the extension calls it from its own event loop.
 */
import type * as httpTypes from 'node:http';

// Loaded on first use (the extension's start-up is init time): https only for an https collector.
const httpModule = (tls: boolean): typeof httpTypes =>
  (tls ? require('node:https') : require('node:http')) as typeof httpTypes;

export interface ShipperOptions {
  url: string;
  token?: string;
  /** Findings held at most (beyond it, new ones are dropped and counted). */
  maxBuffered?: number;
  batchSize?: number;
  /** Wait this long after the first buffered finding before sending a partial batch. */
  lingerMs?: number;
  requestTimeoutMs?: number;
  maxAttempts?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  userAgent?: string;
  /** Called when the buffer overflows (the count so far). */
  onDrop?(total: number): void;
}

export interface ShipperStats {
  buffered: number;
  shipped: number;
  batches: number;
  retries: number;
  /** Findings dropped: buffer full, a batch out of attempts, or rejected by the collector. */
  dropped: number;
  rejected: number;
  lastError?: string;
}

type Outcome = { ok: true } | { ok: false; retry: boolean; afterMs?: number; error: string };

export class Shipper {
  /** Held as objects, serialized when sent: a finding may still be updated while it waits. */
  private readonly buffer: (object | string)[] = [];
  private readonly o: Required<Omit<ShipperOptions, 'token' | 'onDrop'>> &
    Pick<ShipperOptions, 'token' | 'onDrop'>;
  private readonly target: URL;
  private sending = false;
  private timer: NodeJS.Timeout | undefined;
  private stopRetryingAt = Number.POSITIVE_INFINITY;
  readonly stats: ShipperStats = { buffered: 0, shipped: 0, batches: 0, retries: 0, dropped: 0, rejected: 0 };

  constructor(options: ShipperOptions) {
    this.target = new URL(options.url);
    if (this.target.protocol !== 'http:' && this.target.protocol !== 'https:')
      throw new Error(`WARDEN_COLLECTOR_URL must be http(s): ${options.url}`);
    this.o = {
      maxBuffered: 2000,
      batchSize: 200,
      lingerMs: 200,
      requestTimeoutMs: 3000,
      maxAttempts: 6,
      baseBackoffMs: 100,
      maxBackoffMs: 5000,
      userAgent: 'warden-extension',
      ...options,
    };
  }

  add(item: object | string): void {
    if (this.buffer.length >= this.o.maxBuffered) {
      this.stats.dropped++;
      this.o.onDrop?.(this.stats.dropped);
      return;
    }
    this.buffer.push(item);
    this.stats.buffered = this.buffer.length;
    if (this.buffer.length >= this.o.batchSize) this.kick(0);
    else this.kick(this.o.lingerMs);
  }

  /** Sends everything buffered, retrying until `deadline` (ms since the epoch). */
  async flush(deadline: number): Promise<void> {
    this.stopRetryingAt = deadline;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.sending && Date.now() < deadline) await sleep(Math.min(10, deadline - Date.now()), true);
    while (this.buffer.length > 0 && Date.now() < deadline) {
      if (!(await this.sendOne(deadline, true))) break;
    }
  }

  private kick(delayMs: number): void {
    if (this.sending) return;
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, delayMs);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    while (this.buffer.length > 0) {
      if (!(await this.sendOne(this.stopRetryingAt, false))) return;
    }
  }

  /**
   * One batch, with its retries. False when it had to give up (the caller stops for now).
   * `hold` keeps the process alive through backoff waits: only for the last flush, which its
   * deadline bounds; otherwise every wait is unref'd.
   */
  private async sendOne(deadline: number, hold: boolean): Promise<boolean> {
    if (this.sending) return false;
    this.sending = true;
    const batch = this.buffer.slice(0, this.o.batchSize);
    try {
      const text = batch.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n');
      const body = await gzipAsync(Buffer.from(`${text}\n`));
      for (let attempt = 1; ; attempt++) {
        const remaining = deadline - Date.now();
        const outcome = await this.post(
          body,
          Math.max(1, Math.min(this.o.requestTimeoutMs, remaining)),
          hold,
        );
        if (outcome.ok) {
          this.buffer.splice(0, batch.length);
          this.stats.shipped += batch.length;
          this.stats.batches++;
          this.stats.buffered = this.buffer.length;
          return true;
        }
        this.stats.lastError = outcome.error;
        const backoff = outcome.afterMs ?? this.backoff(attempt);
        if (!outcome.retry || attempt >= this.o.maxAttempts || Date.now() + backoff >= deadline) {
          if (!outcome.retry || attempt >= this.o.maxAttempts) {
            // Out of attempts or refused for good: the batch is dropped (counted) so later
            // findings still get their chance.
            this.buffer.splice(0, batch.length);
            this.stats.buffered = this.buffer.length;
            this.stats.dropped += batch.length;
            if (!outcome.retry) this.stats.rejected += batch.length;
            this.o.onDrop?.(this.stats.dropped);
            return true;
          }
          return false;
        }
        this.stats.retries++;
        await sleep(backoff, hold);
      }
    } finally {
      this.sending = false;
    }
  }

  private backoff(attempt: number): number {
    const cap = Math.min(this.o.maxBackoffMs, this.o.baseBackoffMs * 2 ** (attempt - 1));
    return Math.round(cap / 2 + Math.random() * (cap / 2));
  }

  private post(body: Buffer, timeoutMs: number, hold: boolean): Promise<Outcome> {
    const mod = httpModule(this.target.protocol === 'https:');
    return new Promise((resolve) => {
      let settled = false;
      const done = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      const req = mod.request(
        this.target,
        {
          method: 'POST',
          agent: false,
          headers: {
            'content-type': 'application/x-ndjson',
            'content-encoding': 'gzip',
            'content-length': body.length,
            'user-agent': this.o.userAgent,
            ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}),
          },
        },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          res.on('end', () => {
            if (status >= 200 && status < 300) return done({ ok: true });
            const retryAfter = Number(res.headers['retry-after']);
            const retry = status === 408 || status === 429 || status >= 500;
            done({
              ok: false,
              retry,
              afterMs:
                Number.isFinite(retryAfter) && retryAfter >= 0
                  ? Math.min(retryAfter * 1000, 30_000)
                  : undefined,
              error: `HTTP ${status}`,
            });
          });
          res.on('error', (e) => done({ ok: false, retry: true, error: e.message }));
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!hold) timer.unref();
      req.on('error', (e) => done({ ok: false, retry: true, error: e.message }));
      req.end(body);
    });
  }
}

function gzipAsync(data: Buffer): Promise<Buffer> {
  const { gzip } = require('node:zlib') as typeof import('node:zlib');
  return new Promise((resolve, reject) => gzip(data, (e, out) => (e ? reject(e) : resolve(out))));
}

function sleep(ms: number, hold = false): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(r, Math.max(0, ms));
    if (!hold) t.unref();
  });
}
