/**
 * The sensor's side of the channel to the Warden extension (see src/extension/channel.ts): a
 * Unix socket the extension listens on, named by WARDEN_CHANNEL. Every finding line goes there
 * as well as to stdout; the runtime's sensor (the root) says hello at start-up and reports the
 * end of each invocation, which the extension acknowledges. A channel that cannot be reached,
 * closes, or stops acknowledging is reported: the extension is gone or frozen. Nothing here can
 * hold the function up: the socket is unref'd, writes are asynchronous and bounded, and the
 * root's socket is never read by the event loop: what the extension sends (acknowledgements)
 * waits in the kernel's buffer and is read without blocking at an invocation's end, only once an
 * acknowledgement is overdue, instead of waking the function's event loop whenever it arrives
 * (in the middle of an invocation, competing with the function for its CPU).
 */
import type * as netTypes from 'node:net';
import { readWaiting, stopReading } from '../net/socket-reading';

export type ChannelTrouble = 'unreachable' | 'lost' | 'unresponsive';

export interface ChannelOptions {
  address: string;
  root: boolean;
  version: string;
  bypass: <T>(fn: () => T) => T;
  onTrouble(kind: ChannelTrouble, detail: string): void;
  /** How old the oldest unacknowledged end must also be to call the extension unresponsive. */
  unansweredMs?: number;
}

export interface SensorChannel {
  send(line: string): void;
  /** The root sensor's word that an invocation starts (the extension dates what it sees by it). */
  invocationStarted(requestId: string, at: number, arn?: string): void;
  invocationEnded(requestId: string): void;
  readonly dropped: number;
}

const MAX_QUEUED = 256;
const MAX_UNSENT_BYTES = 1024 * 1024;
const CONNECT_ATTEMPTS = 40;
const RETRY_MS = 50;
const UNANSWERED_LIMIT = 3;
/**
 * The extension reads the channel at its polling ticks, and only while the sandbox is thawed,
 * so with invocations in quick succession an ack can trail by several: a stopped extension is
 * one that has not answered for UNANSWERED_LIMIT invocations and this long.
 */
const UNANSWERED_MS = 2000;

export function openChannel(o: ChannelOptions): SensorChannel {
  const address = o.address.startsWith('@') ? `\0${o.address.slice(1)}` : o.address;
  let socket: netTypes.Socket | undefined;
  let state: 'idle' | 'connecting' | 'open' | 'closed' = 'idle';
  let attempts = 0;
  let dropped = 0;
  /** Lines waiting for the connection; `control`: the sensor's own word (hello, start, end). */
  const queue: { text: string; control: boolean }[] = [];
  /** Ends not yet acknowledged, oldest first. */
  const awaiting: { id: string; at: number }[] = [];
  const unansweredMs = o.unansweredMs ?? UNANSWERED_MS;
  let reportedUnresponsive = false;

  // The sensor's own lines: not the function's outbound data (the write hooks would scan each).
  const write = (s: netTypes.Socket, text: string) => o.bypass(() => s.write(text));
  const trouble = (kind: ChannelTrouble, detail: string) => {
    try {
      o.onTrouble(kind, detail);
    } catch {
      // reporting failed: the sensor's fault counter has it
    }
  };

  // What the extension sends: acknowledgements of ends.
  let pending = '';
  const received = (chunk: string) => {
    pending += chunk;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
      try {
        const msg = JSON.parse(line) as { t?: string; id?: string };
        if (msg.t === 'ack') {
          const at = awaiting.findIndex((a) => a.id === msg.id);
          if (at >= 0) awaiting.splice(0, at + 1);
        }
      } catch {
        // not ours to judge
      }
    }
    if (pending.length > 65536) pending = '';
  };
  // What waits in the root's socket, read now (see the file's comment); a closed end is reported
  // through the socket's 'close'.
  const drain = () => {
    const s = socket;
    if (!s || state !== 'open') return;
    const { data, closed } = o.bypass(() => readWaiting(s));
    if (data) received(data.toString('latin1')); // acknowledgements: ASCII
    if (closed) s.destroy();
  };

  const connect = () => {
    if (state === 'open' || state === 'closed') return;
    state = 'connecting';
    attempts++;
    // The sensor's own load and connection: neither judged nor learned as the function's.
    const s = o.bypass(() => (require('node:net') as typeof netTypes).createConnection({ path: address }));
    socket = s;
    s.unref();
    s.setEncoding('utf8');
    s.on('connect', () => {
      state = 'open';
      // Paused before Node starts the first read after connecting: the root's socket is drained.
      if (o.root) stopReading(s);
      write(s, `${JSON.stringify({ t: 'hello', pid: process.pid, root: o.root, version: o.version })}\n`);
      for (const line of queue.splice(0)) write(s, line.text);
    });
    if (!o.root) s.on('data', received);
    s.on('error', () => {});
    s.on('close', () => {
      if (state === 'open') {
        state = 'closed';
        trouble('lost', `the Warden extension closed the channel ${o.address}`);
        return;
      }
      if (state !== 'connecting') return;
      // Not up yet (the extension may still be starting): retry for a while, then say so.
      if (attempts < CONNECT_ATTEMPTS) {
        state = 'idle';
        setTimeout(connect, RETRY_MS).unref();
      } else {
        state = 'closed';
        dropped += queue.length;
        queue.length = 0;
        trouble('unreachable', `the Warden extension cannot be reached at ${o.address}`);
      }
    });
  };

  // Connected once start-up is over (the user's module loads first): `net` and the socket are
  // not the function's cold start.
  if (o.root) {
    state = 'connecting';
    setTimeout(connect, 0).unref();
  }

  /**
   * Finding lines are bounded (past MAX_UNSENT_BYTES unsent, or MAX_QUEUED before the connection,
   * a line is dropped and counted: every finding is on stdout anyway). Control lines (an
   * invocation's start and end) are never dropped: they go ahead whatever is unsent, and before
   * the connection one makes room by dropping the oldest finding line. A lost end would make the
   * extension report a silent sensor that was only busy.
   */
  const sendLine = (line: string, control: boolean) => {
    const text = `${line}\n`;
    if (state === 'open' && socket) {
      if (!control && socket.writableLength > MAX_UNSENT_BYTES) {
        dropped++;
        return;
      }
      write(socket, text);
      return;
    }
    if (state === 'closed') return;
    if (queue.length >= MAX_QUEUED) {
      if (!control) {
        dropped++;
        return;
      }
      const finding = queue.findIndex((q) => !q.control);
      if (finding >= 0) {
        queue.splice(finding, 1);
        dropped++;
      } else if (queue.length >= MAX_QUEUED * 4) {
        return; // nothing but control lines queued: bounded all the same
      }
    }
    queue.push({ text, control });
    if (state === 'idle' && attempts === 0) connect();
  };

  return {
    get dropped() {
      return dropped;
    },
    send(line) {
      sendLine(line, false);
    },
    invocationStarted(requestId, at, arn) {
      if (!o.root || state === 'closed') return;
      sendLine(JSON.stringify({ t: 'start', id: requestId, at, arn }), true);
    },
    invocationEnded(requestId) {
      if (!o.root || state === 'closed') return;
      const now = Date.now();
      // Acknowledgements are read only when one is overdue (even a read that finds nothing,
      // in the invocation's time, measurably slows a warm invoke); a closed channel is noticed
      // sooner, by the next write failing.
      const overdue = () =>
        awaiting.length >= UNANSWERED_LIMIT && now - (awaiting[0]?.at ?? now) >= unansweredMs;
      if (overdue()) drain();
      const oldest = awaiting[0];
      if (oldest && overdue() && state === 'open' && !reportedUnresponsive) {
        reportedUnresponsive = true;
        trouble(
          'unresponsive',
          `the Warden extension did not acknowledge the end of invocation ${oldest.id} (${awaiting.length} invocations and ${Math.round((now - oldest.at) / 1000)} s since: stopped or frozen?)`,
        );
      }
      // The oldest unanswered end is kept (it dates the silence); newer ones beyond the bound are
      // not tracked (an ack acknowledges every end before it too).
      if (awaiting.length < 64) awaiting.push({ id: requestId, at: now });
      // Written now, before the runtime posts the response: once it has, the sandbox may be
      // frozen before a deferred write runs, and the extension would find the sensor silent.
      sendLine(JSON.stringify({ t: 'end', id: requestId }), true);
    },
  };
}
