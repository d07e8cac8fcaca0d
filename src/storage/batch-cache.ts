/**
 * Recently appended batches kept in memory, so that consumers at the tail of a partition (the
 * common case: a consumer reading what was just produced) are answered without a disk read and
 * without a trip through libuv's thread pool (redpanda's batch_cache plays the same role).
 *
 * One BatchCache is a byte budget shared by many partitions. Each partition log owns a TailWindow:
 * the batches of its last appends, a contiguous run of offsets ending at the log end offset. When
 * the budget is exceeded the oldest appends, across all windows, are dropped first (appends to
 * different partitions from one produce request sit together in that order, so they leave
 * together). A window is cleared when its log is truncated or closed. Nothing here touches the disk.
 *
 * By default the cache keeps the appended buffers themselves, not copies: append() takes ownership
 * of its buffer (it already stamps offsets into it in place), as the produce path gives it a view
 * of a request frame nobody writes again. Copying would cost a fresh allocation per append (page
 * faults on new memory: 5-10 us per 16 KiB on the benchmark machine, a third of an append). As a
 * guard against a caller that reuses its buffer anyway, every cache hit checks each batch's base
 * offset and CRC field against what was appended and falls back to the disk on a mismatch. A cache
 * made with `{ copy: true }` copies instead.
 */

interface Insertion {
  window: TailWindow;
  generation: number;
  batches: number;
  bytes: number;
}

export interface BatchCacheOptions {
  /** Copy appended batches instead of keeping the caller's buffers (default false). */
  copy?: boolean;
}

export class BatchCache {
  readonly maxBytes: number;
  readonly copy: boolean;
  private used = 0;
  private readonly fifo: (Insertion | undefined)[] = [];
  private head = 0;

  constructor(maxBytes: number, options: BatchCacheOptions = {}) {
    this.maxBytes = Math.max(0, maxBytes);
    this.copy = options.copy === true;
  }

  /** Bytes currently held. */
  get size(): number {
    return this.used;
  }

  window(): TailWindow {
    return new TailWindow(this);
  }

  /** @internal */
  record(ins: Insertion): void {
    this.fifo.push(ins);
    this.used += ins.bytes;
    while (this.used > this.maxBytes && this.head < this.fifo.length) {
      const old = this.fifo[this.head]!;
      this.fifo[this.head] = undefined;
      this.head++;
      if (old.window.generation === old.generation) {
        this.used -= old.bytes;
        old.window.dropFront(old.batches, old.bytes);
      }
    }
    if (this.head > 1024 && this.head * 2 > this.fifo.length) {
      this.fifo.splice(0, this.head);
      this.head = 0;
    }
  }

  /** @internal A window gave back `bytes` (cleared). */
  released(bytes: number): void {
    this.used -= bytes;
  }
}

/** The cached tail of one partition: batches in offset order, contiguous up to the log end. */
export class TailWindow {
  /** Bumped on clear(), so that stale insertions in the shared FIFO are ignored. */
  generation = 0;
  private readonly cache: BatchCache;
  private baseOffsets: bigint[] = [];
  private lastOffsets: bigint[] = [];
  private buffers: Buffer[] = [];
  /** Each batch's CRC field when it was added (the reuse guard). */
  private crcs: number[] = [];
  private head = 0;
  private bytes = 0;

  constructor(cache: BatchCache) {
    this.cache = cache;
  }

  /** First offset held, or null when empty. */
  get firstOffset(): bigint | null {
    return this.head < this.baseOffsets.length ? this.baseOffsets[this.head]! : null;
  }

  /**
   * Adds the batches of one append: `source[starts[i], ends[i])` holds offsets
   * [baseOffsets[i], lastOffsets[i]] (kept by reference, or copied when the cache copies). When
   * they do not follow the window's last batch the window restarts with them.
   */
  add(source: Buffer, starts: readonly number[], ends: readonly number[], baseOffsets: readonly bigint[], lastOffsets: readonly bigint[]): void {
    const count = starts.length;
    if (this.cache.maxBytes === 0 || count === 0) return;
    const total = source.length;
    const n = this.baseOffsets.length;
    if (total > this.cache.maxBytes || (n > this.head && this.lastOffsets[n - 1]! + 1n !== baseOffsets[0])) this.clear();
    if (total > this.cache.maxBytes) return;
    let kept = source;
    if (this.cache.copy) {
      kept = Buffer.allocUnsafeSlow(total);
      source.copy(kept, 0);
    }
    for (let i = 0; i < count; i++) {
      const b = kept.subarray(starts[i]!, ends[i]!);
      this.baseOffsets.push(baseOffsets[i]!);
      this.lastOffsets.push(lastOffsets[i]!);
      this.buffers.push(b);
      this.crcs.push(b.readUInt32BE(CRC_FIELD));
    }
    this.bytes += total;
    this.cache.record({ window: this, generation: this.generation, batches: count, bytes: total });
  }

  /** @internal Drops the oldest `batches` (evicted by the shared budget). */
  dropFront(batches: number, bytes: number): void {
    for (let i = 0; i < batches && this.head < this.buffers.length; i++) {
      this.buffers[this.head] = EMPTY;
      this.head++;
    }
    this.bytes -= bytes;
    if (this.head === this.buffers.length) {
      this.baseOffsets = [];
      this.lastOffsets = [];
      this.buffers = [];
      this.crcs = [];
      this.head = 0;
    } else if (this.head > 256 && this.head * 2 > this.buffers.length) {
      this.baseOffsets = this.baseOffsets.slice(this.head);
      this.lastOffsets = this.lastOffsets.slice(this.head);
      this.buffers = this.buffers.slice(this.head);
      this.crcs = this.crcs.slice(this.head);
      this.head = 0;
    }
  }

  /** Forgets everything (truncation, close). */
  clear(): void {
    this.generation++;
    this.cache.released(this.bytes);
    this.bytes = 0;
    this.baseOffsets = [];
    this.lastOffsets = [];
    this.buffers = [];
    this.crcs = [];
    this.head = 0;
  }

  /**
   * The batches from the one holding `offset`, up to `maxBytes` (the first one whole whatever its
   * size), stopping before a batch whose last offset is >= `maxOffset`. Null when the window does
   * not reach back to `offset`, or when a kept buffer was changed since it was appended (the window
   * is then dropped).
   */
  read(offset: bigint, maxBytes: number, maxOffset: bigint | undefined): { batches: Buffer[]; bytes: number } | null {
    const n = this.baseOffsets.length;
    if (this.head >= n || offset < this.baseOffsets[this.head]!) return null;
    let lo = this.head;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lastOffsets[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    if (this.lastOffsets[lo]! < offset) return null;
    const batches: Buffer[] = [];
    let bytes = 0;
    for (let i = lo; i < n; i++) {
      if (maxOffset !== undefined && this.lastOffsets[i]! >= maxOffset) break;
      const b = this.buffers[i]!;
      if (batches.length > 0 && bytes + b.length > maxBytes) break;
      if (b.readBigInt64BE(0) !== this.baseOffsets[i] || b.readUInt32BE(CRC_FIELD) !== this.crcs[i]) {
        this.clear();
        return null;
      }
      batches.push(b);
      bytes += b.length;
    }
    return { batches, bytes };
  }
}

const EMPTY = Buffer.alloc(0);
/** Position of a v2 batch's CRC field. */
const CRC_FIELD = 17;
