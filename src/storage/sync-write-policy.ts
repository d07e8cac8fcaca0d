/**
 * When a log append is written on the event loop's own thread and when through libuv's thread pool.
 *
 * A write into the page cache is a memory copy: done synchronously it costs about 2 us of CPU for
 * 1 KiB and 260 us for 1 MiB, against 22 us and 330 us through the thread pool, whose hand-off
 * (queue, wake a worker, wake the loop, settle a promise) dominates small appends. That hand-off
 * was the largest single cost of a produce at low batch sizes, and Kafka itself writes on its
 * request handler threads. What the pool buys is isolation: a write the kernel throttles (dirty
 * page limits, a saturated device) blocks only a worker, not every connection.
 *
 * So appends up to `maxBytes` are written synchronously while writes stay fast; one that takes
 * longer than `slowMs` sends every write through the pool for the next `backoffMs`, after which
 * synchronous writes are tried again. The worst stall of the event loop is then one slow write
 * per back-off period. One policy serves every log of a broker (its log manager owns it), so a
 * slow write on one partition moves all of that broker's partitions to the pool. It is per broker,
 * not per process, so that brokers sharing a process (tests, embedders) stay independent; their
 * stalls still share the one event loop.
 */
export interface SyncWritePolicyOptions {
  /** Largest write done synchronously (1 MiB). */
  maxBytes?: number;
  /** A synchronous write slower than this suspends synchronous writes (10 ms). */
  slowMs?: number;
  /** For how long (5 s). */
  backoffMs?: number;
  /** Milliseconds clock with sub-millisecond resolution (performance.now). */
  now?: () => number;
}

export class SyncWritePolicy {
  readonly maxBytes: number;
  readonly slowMs: number;
  readonly backoffMs: number;
  private readonly now: () => number;
  private asyncUntil = -Infinity;
  /** Synchronous writes found slow so far (logs, tests). */
  slowWrites = 0;

  constructor(options: SyncWritePolicyOptions = {}) {
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
    this.slowMs = options.slowMs ?? 10;
    this.backoffMs = options.backoffMs ?? 5000;
    this.now = options.now ?? (() => performance.now());
  }

  /** True when a write of `bytes` should be done synchronously now. */
  allows(bytes: number): boolean {
    return bytes <= this.maxBytes && this.now() >= this.asyncUntil;
  }

  /**
   * Runs a synchronous write and times it. The time is taken whether it succeeds or throws: a
   * failing device can be slow too.
   */
  run<T>(write: () => T): T {
    const start = this.now();
    try {
      return write();
    } finally {
      const end = this.now();
      if (end - start > this.slowMs) {
        this.slowWrites++;
        this.asyncUntil = end + this.backoffMs;
      }
    }
  }
}

/** Never writes synchronously (tests of the thread-pool path, embedders who want full isolation). */
export const THREAD_POOL_ONLY = new SyncWritePolicy({ maxBytes: -1 });
