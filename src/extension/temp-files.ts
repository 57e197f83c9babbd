/**
 * New executable files in the temp dirs (/tmp, /dev/shm): noted with size, SHA-256 and the
 * process that had them open, so a later exec of one is recognised as drop-and-execute with
 * the evidence attached. inotify (fs.watch) on each dir, and on every subdirectory created
 * during the sandbox's life (bounded), so a payload unpacked into `/tmp/x/y/` is seen too.
 */
import { createReadStream, type FSWatcher, lstatSync, readFileSync, watch } from 'node:fs';
import * as path from 'node:path';
import type { DroppedFile } from '../events/types';

export interface TempWatchOptions {
  dirs: string[];
  /** Who holds this path open (`pid cmdline`), when a process of the sandbox does. */
  writerOf(file: string): string | undefined;
  maxWatches?: number;
  maxNoted?: number;
  /** Files larger than this are noted without a hash. */
  maxHashBytes?: number;
}

export class TempFileWatch {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly noted = new Map<string, DroppedFile & { ino: number }>();
  private readonly maxWatches: number;
  private readonly maxNoted: number;
  private readonly maxHashBytes: number;
  /** Watch events that could not be followed (limits reached). */
  overflow = 0;

  constructor(private readonly o: TempWatchOptions) {
    this.maxWatches = o.maxWatches ?? 128;
    this.maxNoted = o.maxNoted ?? 2048;
    this.maxHashBytes = o.maxHashBytes ?? 64 * 1024 * 1024;
  }

  start(): void {
    for (const dir of this.o.dirs) this.watchDir(dir, 0);
  }

  stop(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** The note on an executable file at this path, when it is still the same file. */
  lookup(file: string): DroppedFile | undefined {
    const n = this.noted.get(file);
    if (!n) return undefined;
    try {
      if (lstatSync(file).ino !== n.ino) return undefined;
    } catch {
      // deleted since: the note still says what was there
    }
    const { ino: _ino, ...note } = n;
    return note;
  }

  /** SHA-256 of a file read now (files up to the hash bound), for evidence. */
  hashNow(file: string): { sha256: string; size: number } | undefined {
    try {
      const st = lstatSync(file);
      if (!st.isFile() || st.size > this.maxHashBytes) return undefined;
      const { createHash } = require('node:crypto') as typeof import('node:crypto');
      return { sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), size: st.size };
    } catch {
      return undefined;
    }
  }

  get count(): number {
    return this.noted.size;
  }

  private watchDir(dir: string, depth: number): void {
    if (this.watchers.has(dir)) return;
    if (this.watchers.size >= this.maxWatches) {
      this.overflow++;
      return;
    }
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: false }, (_event, name) => {
        if (name) this.onChange(path.join(dir, name.toString()), depth);
      });
    } catch {
      return;
    }
    w.on('error', () => {
      w.close();
      this.watchers.delete(dir);
    });
    w.unref();
    this.watchers.set(dir, w);
  }

  private onChange(file: string, depth: number): void {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(file);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      if (depth < 4) this.watchDir(file, depth + 1);
      return;
    }
    if (!st.isFile() || (st.mode & 0o111) === 0) return;
    const prior = this.noted.get(file);
    if (prior && prior.ino === st.ino && prior.size === st.size) return;
    if (!prior && this.noted.size >= this.maxNoted) {
      this.overflow++;
      return;
    }
    const note: DroppedFile & { ino: number } = {
      path: file,
      size: st.size,
      noticedAt: Date.now(),
      ino: st.ino,
    };
    const writer = this.o.writerOf(file);
    if (writer) note.writer = writer;
    this.noted.set(file, note);
    if (st.size <= this.maxHashBytes) this.hash(note);
  }

  private hash(note: DroppedFile & { ino: number }): void {
    const { createHash } = require('node:crypto') as typeof import('node:crypto');
    const h = createHash('sha256');
    const stream = createReadStream(note.path);
    stream.on('data', (chunk) => h.update(chunk));
    stream.on('error', () => {});
    stream.on('end', () => {
      if (this.noted.get(note.path) === note) note.sha256 = h.digest('hex');
    });
  }
}
