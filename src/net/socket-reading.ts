/**
 * A socket read at the reader's own moments instead of whenever data arrives. `socket.pause()`
 * does not do it: Node keeps reading into the stream's buffer (waking the process) until the
 * buffer is full. Here the handle stops reading; libuv then drops the descriptor from its epoll
 * set at the next arrival (one wake-up, then none), and the reader takes what waits in the
 * kernel's socket buffer with non-blocking reads when it chooses (`readWaiting`).
 */
import { readSync } from 'node:fs';
import type { Socket } from 'node:net';

interface SocketHandle {
  fd?: number;
  reading?: boolean;
  readStop?(): number;
  readStart?(): number;
}

const handleOf = (socket: Socket) => (socket as unknown as { _handle?: SocketHandle | null })._handle;

/** Stops the event loop reading from the socket (until `startReading`). */
export function stopReading(socket: Socket): void {
  socket.pause();
  const handle = handleOf(socket);
  if (handle?.reading && typeof handle.readStop === 'function') {
    handle.reading = false;
    handle.readStop();
  }
}

/** The event loop reads the socket again (what waited arrives in the next poll phase). */
export function startReading(socket: Socket): void {
  // Started here: the stream still counts the read it asked for before the stop as pending, so
  // resume() alone would not ask the handle again.
  const handle = handleOf(socket);
  if (handle && !handle.reading && typeof handle.readStart === 'function') {
    handle.reading = true;
    handle.readStart();
  }
  socket.resume();
}

const buffer = Buffer.alloc(16 * 1024);

/**
 * What waits in a stopped socket's kernel buffer, read now without blocking (one read(2) that
 * fails with EAGAIN when nothing waits), as bytes (a character may be split between two calls:
 * decode with a StringDecoder). `closed`: the peer closed its end, or the socket is gone.
 */
export function readWaiting(socket: Socket): { data?: Buffer; closed: boolean } {
  const fd = handleOf(socket)?.fd;
  if (socket.destroyed || typeof fd !== 'number' || fd < 0) return { closed: socket.destroyed };
  const chunks: Buffer[] = [];
  const result = (closed: boolean) => ({
    data: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    closed,
  });
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return result(code !== 'EAGAIN' && code !== 'EWOULDBLOCK' && code !== 'EINTR');
    }
    if (n === 0) return result(true);
    chunks.push(Buffer.from(buffer.subarray(0, n)));
    if (n < buffer.length) return result(false);
  }
}
