/**
 * The sensor → extension channel: a Unix socket in the abstract namespace (no file in /tmp for
 * function code to delete or replace), newline-delimited JSON. A line is either a finding (an
 * OCSF object) or a control message:
 *   {"t":"hello","pid":…,"root":true|false,"version":…}  first line of each connection
 *   {"t":"start","id":"<request id>","at":<ms>,"arn":…} the root sensor starts an invocation
 *   {"t":"end","id":"<request id>"}                     the root sensor finished an invocation
 * The extension answers `end` with {"t":"ack","id":…}, so the sensor can tell it is alive.
 *
 * Read at the extension's own pace once `readNow()` has been called (the watcher calls it at
 * every tick): the event loop does not read the peers' sockets, so a message does not wake the
 * extension in the middle of an invocation to compete with the function for the CPU; it waits in
 * the kernel's buffer and is read, without blocking, at the next tick. `flow()` reads
 * continuously again (the last look at shutdown).
 */
import * as net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { readWaiting, startReading, stopReading } from '../net/socket-reading';

/** The channel address both sides derive from the sandbox's Runtime API address. */
export function channelAddress(runtimeApi: string | undefined): string {
  return `\0warden/${(runtimeApi ?? 'local').replace(/[^\w.:-]/g, '_')}`;
}

/** `@name` (how abstract socket names are usually written) or a path, to a listen/connect address. */
export function parseChannel(value: string): string {
  return value.startsWith('@') ? `\0${value.slice(1)}` : value;
}

export interface ChannelHandlers {
  finding(f: Record<string, unknown>, peer: Peer): void;
  end(requestId: string, peer: Peer): void;
  start(requestId: string, at: number, peer: Peer, arn?: string): void;
  hello(peer: Peer): void;
  closed(peer: Peer): void;
}

export interface Peer {
  pid?: number;
  root: boolean;
  version?: string;
  connectedAt: number;
}

const MAX_LINE = 1024 * 1024;
const MAX_PEERS = 256;

export class ChannelServer {
  private server: net.Server | undefined;
  /** Each peer's socket and what takes its bytes. */
  private readonly peers = new Map<net.Socket, (chunk: Buffer) => void>();
  /**
   * How the peers are read: as data arrives until the first `readNow()`, then only at
   * `readNow()` calls, and as data arrives again for good once `flow()` is called.
   */
  private reading: 'as-it-arrives' | 'paced' | 'flowing' = 'as-it-arrives';
  readonly stats = { connections: 0, lines: 0, malformed: 0, refused: 0 };

  constructor(private readonly handlers: ChannelHandlers) {}

  listen(address: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.accept(socket));
      server.once('error', reject);
      server.listen(address, () => {
        server.off('error', reject);
        server.on('error', () => {});
        server.unref();
        this.server = server;
        resolve();
      });
    });
  }

  /** Reads, now, what every peer has sent since the last call (the first call starts pacing). */
  readNow(): void {
    if (this.reading === 'flowing') return;
    if (this.reading === 'as-it-arrives') {
      this.reading = 'paced';
      for (const [s, onData] of this.peers) {
        s.off('data', onData);
        stopReading(s);
      }
    }
    this.readWaitingPeers();
  }

  /** Reads continuously from now on (the last look at shutdown). */
  flow(): void {
    const was = this.reading;
    this.reading = 'flowing';
    if (was !== 'paced') return;
    this.readWaitingPeers();
    for (const [s, onData] of this.peers) {
      s.on('data', onData);
      startReading(s);
    }
  }

  /** What each stopped peer's socket holds now; a peer that closed its end is let go. */
  private readWaitingPeers(): void {
    for (const [s, onData] of this.peers) {
      const { data, closed } = readWaiting(s);
      if (data) onData(data);
      if (closed) s.destroy();
    }
  }

  close(): void {
    this.server?.close();
    for (const s of this.peers.keys()) s.destroy();
  }

  private accept(socket: net.Socket): void {
    if (this.peers.size >= MAX_PEERS) {
      this.stats.refused++;
      socket.destroy();
      return;
    }
    this.stats.connections++;
    socket.unref();
    const peer: Peer = { root: false, connectedAt: Date.now() };
    let greeted = false;
    let pending = '';
    const onText = (chunk: string): void => {
      pending += chunk;
      if (pending.length > MAX_LINE && !pending.includes('\n')) {
        this.stats.malformed++;
        socket.destroy();
        return;
      }
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
        if (!line) continue;
        this.stats.lines++;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          this.stats.malformed++;
          continue;
        }
        if (msg === null || typeof msg !== 'object') {
          this.stats.malformed++;
          continue;
        }
        if (msg.t === 'hello' && !greeted) {
          greeted = true;
          peer.pid = typeof msg.pid === 'number' ? msg.pid : undefined;
          peer.root = msg.root === true;
          peer.version = typeof msg.version === 'string' ? msg.version : undefined;
          this.handlers.hello(peer);
        } else if (msg.t === 'start' && typeof msg.id === 'string' && typeof msg.at === 'number') {
          this.handlers.start(msg.id, msg.at, peer, typeof msg.arn === 'string' ? msg.arn : undefined);
        } else if (msg.t === 'end' && typeof msg.id === 'string') {
          this.handlers.end(msg.id, peer);
          socket.write(`${JSON.stringify({ t: 'ack', id: msg.id })}\n`);
        } else if (msg.class_uid === 2004) {
          this.handlers.finding(msg, peer);
        } else {
          this.stats.malformed++;
        }
      }
    };
    const decoder = new StringDecoder('utf8');
    const onData = (chunk: Buffer) => onText(decoder.write(chunk));
    this.peers.set(socket, onData);
    if (this.reading === 'paced') stopReading(socket);
    else socket.on('data', onData);
    socket.on('error', () => {});
    socket.on('close', () => {
      this.peers.delete(socket);
      this.handlers.closed(peer);
    });
  }
}
