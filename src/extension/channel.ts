/**
 * The sensor → extension channel: a Unix socket in the abstract namespace (no file in /tmp for
 * function code to delete or replace), newline-delimited JSON. A line is either a finding (an
 * OCSF object) or a control message:
 *   {"t":"hello","pid":…,"root":true|false,"version":…}  first line of each connection
 *   {"t":"start","id":"<request id>","at":<ms>}         the root sensor starts an invocation
 *   {"t":"end","id":"<request id>"}                     the root sensor finished an invocation
 * The extension answers `end` with {"t":"ack","id":…}, so the sensor can tell it is alive.
 */
import * as net from 'node:net';

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
  start(requestId: string, at: number, peer: Peer): void;
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
  private readonly peers = new Set<net.Socket>();
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

  close(): void {
    this.server?.close();
    for (const s of this.peers) s.destroy();
  }

  private accept(socket: net.Socket): void {
    if (this.peers.size >= MAX_PEERS) {
      this.stats.refused++;
      socket.destroy();
      return;
    }
    this.stats.connections++;
    this.peers.add(socket);
    socket.unref();
    const peer: Peer = { root: false, connectedAt: Date.now() };
    let greeted = false;
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
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
          this.handlers.start(msg.id, msg.at, peer);
        } else if (msg.t === 'end' && typeof msg.id === 'string') {
          this.handlers.end(msg.id, peer);
          socket.write(`${JSON.stringify({ t: 'ack', id: msg.id })}\n`);
        } else if (msg.class_uid === 2004) {
          this.handlers.finding(msg, peer);
        } else {
          this.stats.malformed++;
        }
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.peers.delete(socket);
      this.handlers.closed(peer);
    });
  }
}
