/**
 * Where finding lines go: the WARDEN_FINDINGS file (appended) or stdout. Writes are
 * synchronous on a raw fd so a finding is out before a crash, a freeze or `process.exit`,
 * and no user patch of `process.stdout` or `console` can swallow it. When the file cannot be
 * opened or written, lines fall back to stdout (CloudWatch): findings are never lost silently.
 */
import fs = require('node:fs');

export interface Sink {
  write(line: string): void;
  /** Lines that could not be written anywhere (counted, reported in stats). */
  readonly failures: number;
  /** The sink's own descriptor (function code may not close it), when it has one. */
  readonly fd: number | undefined;
}

/** A write that failed after `written` bytes of the line had gone out. */
class PartialWrite extends Error {
  constructor(
    readonly written: number,
    reason: unknown,
  ) {
    super(`partial write: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

function writeAll(fd: number, text: string): void {
  // The whole line as a string first: Node encodes it without a Buffer on the JS heap (a finding
  // flood would otherwise make one per line). A short write or a full pipe goes on from a Buffer.
  let off = 0;
  let spins = 0;
  const length = Buffer.byteLength(text, 'utf8');
  for (;;) {
    try {
      off = fs.writeSync(fd, text);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN' && spins++ < 1000) continue;
      throw e;
    }
  }
  if (off >= length) return;
  const buf = Buffer.from(text, 'utf8');
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      // A non-blocking stdout pipe that is full: retry briefly, then give up on this line.
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN' && spins++ < 1000) continue;
      throw off > 0 ? new PartialWrite(off, e) : e;
    }
  }
}

/** The size of a regular file open at `fd`, or undefined (a pipe, a socket, a tty). */
function regularFileSize(fd: number): number | undefined {
  try {
    const st = fs.fstatSync(fd);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes one line to a findings file, whole or not at all: when the disk fills (ENOSPC, EFBIG)
 * in the middle of a line, the file is cut back to where the line began, so the file never
 * keeps a torn line that the next append would be glued to. (Only when nothing else appended
 * meanwhile: children of the function share the file.)
 */
function appendLine(fd: number, text: string): void {
  const before = regularFileSize(fd);
  try {
    writeAll(fd, text);
  } catch (e) {
    if (e instanceof PartialWrite && before !== undefined && regularFileSize(fd) === before + e.written) {
      try {
        fs.ftruncateSync(fd, before);
      } catch {
        // cannot cut it back: the line below ends the torn one, so the next is whole
        try {
          fs.writeSync(fd, '\n');
        } catch {
          // nothing more to do
        }
      }
    }
    throw e;
  }
}

export function createSink(
  findingsPath: string | undefined,
  bypass: <T>(fn: () => T) => T,
  stdoutPath?: string,
): Sink {
  let fd: number | undefined;
  let failures = 0;
  if (!findingsPath && stdoutPath) {
    // A descriptor of our own on stdout (this process's, or for a child its root's: a child's
    // own may be a pipe its parent reads), so function code that closes or redirects fd 1 does
    // not silence findings. A socket cannot be reopened: then fd 1 it is.
    try {
      fd = bypass(() => fs.openSync(stdoutPath, 'a'));
    } catch {
      fd = undefined;
    }
  } else if (findingsPath) {
    try {
      fd = bypass(() => fs.openSync(findingsPath, 'a', 0o600));
    } catch (e) {
      writeAll(
        2,
        `warden: cannot open WARDEN_FINDINGS ${findingsPath}: ${(e as Error).message}; findings go to stdout\n`,
      );
    }
  }
  return {
    get failures() {
      return failures;
    },
    get fd() {
      return fd;
    },
    write(line) {
      const text = `${line}\n`;
      if (fd !== undefined) {
        try {
          if (findingsPath) appendLine(fd, text);
          else writeAll(fd, text);
          return;
        } catch {
          fd = undefined;
        }
      }
      try {
        writeAll(1, text);
      } catch {
        failures++;
      }
    },
  };
}
