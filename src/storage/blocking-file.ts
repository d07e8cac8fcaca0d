/**
 * Files read with synchronous calls, for loading partitions at start only.
 *
 * Why: loading a partition after a clean shutdown is a dozen small file operations (list the
 * folder, stat the log, read two index files and the tail of the log). Through libuv's thread pool
 * each costs about 15 us of the event loop's time on a busy 2-core machine (a promise, a hand-off to
 * a pool thread and back); on the calling thread about 3 us. With 10,000 partitions that is most of
 * the start. Kafka loads logs on a pool of threads for the same reason; Node's equivalent of a
 * cheap call is a synchronous one.
 *
 * The cost: the event loop does nothing else while a call runs. Loading happens before the broker
 * listens, so no client waits; for a broker embedded in another program, the files yield to the
 * event loop every YIELD_EVERY_MS, so its timers and sockets wait at most that long plus one read
 * (a cold read from disk, or a 4 MiB chunk of a segment recovered after a crash). After loading,
 * each segment goes back to the log's ordinary, asynchronous files.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, writeSync, writevSync } from 'node:fs';
import type { OpenFile, ReadText, StorageFile } from './segment-files.js';

/** The longest stretch of synchronous file work between two turns of the event loop. */
const YIELD_EVERY_MS = 10;

/** Runs `fn` now, as a settled promise: a thrown error becomes a rejection, as the async call's would. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

class BlockingFile implements StorageFile {
  private closed = false;
  constructor(
    private readonly fd: number,
    private readonly pace: () => Promise<void> | undefined,
  ) {}
  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    // Reads are where a recovery spends its time: a long scan yields too.
    await this.pace();
    return { bytesRead: readSync(this.fd, buffer, offset, length, position) };
  }
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    return settle(() => ({ bytesWritten: writeSync(this.fd, buffer, offset, length, position) }));
  }
  writev(buffers: Buffer[], position: number): Promise<{ bytesWritten: number }> {
    return settle(() => ({ bytesWritten: writevSync(this.fd, buffers, position) }));
  }
  writevSync(buffers: Buffer[], position: number): number {
    return writevSync(this.fd, buffers, position);
  }
  truncate(length: number): Promise<void> {
    return settle(() => { ftruncateSync(this.fd, length); });
  }
  sync(): Promise<void> {
    return settle(() => { fsyncSync(this.fd); });
  }
  stat(): Promise<{ size: number; mtimeMs: number }> {
    return settle(() => fstatSync(this.fd));
  }
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return settle(() => { closeSync(this.fd); });
  }
}

/**
 * An OpenFile whose files use synchronous calls, yielding to the event loop when YIELD_EVERY_MS
 * have passed since the last yield (checked at each open and read). One for a whole load, shared
 * by every partition it opens, so that the pace holds across them.
 */
export function blockingOpener(): OpenFile {
  let since = performance.now();
  const pace = (): Promise<void> | undefined => {
    if (performance.now() - since < YIELD_EVERY_MS) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        since = performance.now();
        resolve();
      }),
    );
  };
  return async (path, flags) => {
    await pace();
    return new BlockingFile(openSync(path, flags), pace);
  };
}

/** Reads a small text file (partition.metadata, log-start-offset) with one synchronous call. */
export const blockingReadText: ReadText = (file) => settle(() => readFileSync(file, 'utf8'));
