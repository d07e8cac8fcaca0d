/**
 * A partition log held in memory, with the disk log's semantics (the same behavioural suite runs
 * against both): offsets, LogAppendTime stamping, reads of whole batches from the batch holding
 * the offset, time lookups at record precision, truncation at batch boundaries, DeleteRecords,
 * retention and rolls. Segments are simulated as groups of batches that roll by the same rules
 * (rollReason and IndexAccounting from log-rules.ts: segment.bytes, segment.ms, index entries
 * counted as the disk indexes would take them), so retention deletes the same groups.
 *
 * Nothing is persisted: close() drops the data. Used by unit tests and the in-process broker's
 * `storage: 'memory'`. Every operation completes synchronously when called (its promise is already
 * settled), which serializes them in call order; stored batches are copies of what was appended.
 */
import { MAX_TIMESTAMP_OFFSET, PARTITION_LEADER_EPOCH_OFFSET, RecordBatchView } from '../protocol/records/index.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { checkAbortedTxn, collectAbortedTxns } from './transaction-index.js';
import {
  IndexAccounting,
  appendShape,
  batchInfoOf,
  checkFollowerAppendStart,
  firstRecordAtOrAfter,
  floorSegment,
  recordWithTimestamp,
  rollReason,
  splitForAppend,
  splitForFollowerAppend,
  stampBatch,
} from './log-rules.js';
import type { RollState } from './log-rules.js';
import type { CleanableLog, CleanedSegmentWriter, CleanerSegment, CleanerView } from './cleanable-log.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
import { OffsetOutOfRangeError, StorageError } from './types.js';
import type {
  AbortedTxn,
  AppendOptions,
  AppendResult,
  BatchInfo,
  LogConfig,
  PartitionLog,
  ReadOptions,
  ReadResult,
  TimestampOffset,
} from './types.js';

interface StoredBatch {
  bytes: Buffer;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
}

/** One simulated segment. */
class MemorySegment {
  readonly baseOffset: bigint;
  batches: StoredBatch[] = [];
  size = 0;
  createdMs: number;
  /** Clock time of the last append (stands in for the file's mtime). */
  mtimeMs: number;
  firstBatchTimestamp = -1n;
  acct = new IndexAccounting();
  offsetEntries = 0;
  timeEntries = 0;
  lastTimeEntry = -1n;
  readonly offsetIndexMax: number;
  readonly timeIndexMax: number;

  constructor(baseOffset: bigint, config: LogConfig, nowMs: number) {
    this.baseOffset = baseOffset;
    this.createdMs = nowMs;
    this.mtimeMs = nowMs;
    this.offsetIndexMax = Math.max(0, Math.floor(config.segmentIndexBytes / OffsetIndex.ENTRY_SIZE));
    this.timeIndexMax = Math.max(0, Math.floor(config.segmentIndexBytes / TimeIndex.ENTRY_SIZE));
  }

  /** Accounts one batch as the disk segment's indexes would. */
  account(b: StoredBatch, intervalBytes: number): void {
    if (this.batches.length === 0) this.firstBatchTimestamp = b.maxTimestamp;
    if (this.acct.add(b.bytes.length, b.lastOffset, b.maxTimestamp, intervalBytes)) {
      if (this.offsetEntries < this.offsetIndexMax) this.offsetEntries++;
      if (this.timeEntries < this.timeIndexMax && this.acct.maxTimestamp > this.lastTimeEntry) {
        this.timeEntries++;
        this.lastTimeEntry = this.acct.maxTimestamp;
      }
    }
    this.batches.push(b);
    this.size += b.bytes.length;
  }

  /** Index of the first batch whose last offset is >= `offset` (batches.length when none). */
  seek(offset: bigint): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid].lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get maxTimestamp(): bigint {
    return this.acct.maxTimestamp;
  }
}

/** A segment as the cleaner sees it, tied to the simulated segment it was taken from. */
class MemoryCleanerSegment implements CleanerSegment {
  readonly baseOffset: bigint;
  readonly size: number;
  readonly offsetIndexBytes: number;
  readonly timeIndexBytes: number;
  readonly largestTimestamp: number;
  readonly firstBatchTimestamp: bigint;
  readonly lastModifiedMs: number;
  constructor(readonly seg: MemorySegment) {
    this.baseOffset = seg.baseOffset;
    this.size = seg.size;
    this.offsetIndexBytes = seg.offsetEntries * OffsetIndex.ENTRY_SIZE;
    this.timeIndexBytes = seg.timeEntries * TimeIndex.ENTRY_SIZE;
    this.largestTimestamp = seg.maxTimestamp >= 0n ? Number(seg.maxTimestamp) : seg.mtimeMs;
    this.firstBatchTimestamp = seg.firstBatchTimestamp;
    this.lastModifiedMs = seg.mtimeMs;
  }
}

/** A cleaned segment collected in memory. */
class MemoryCleanedSegment implements CleanedSegmentWriter {
  readonly batches: StoredBatch[] = [];
  size = 0;
  abortedTxns: AbortedTxn[] = [];
  constructor(readonly baseOffset: bigint) {}
  setAbortedTxns(txns: readonly AbortedTxn[]): void {
    this.abortedTxns = txns.map((t) => ({ ...t }));
  }
  append(batches: readonly Buffer[]): Promise<void> {
    for (const bytes of batches) {
      const view = new RecordBatchView(bytes);
      this.batches.push({ bytes, baseOffset: view.baseOffset, lastOffset: view.lastOffset, maxTimestamp: view.maxTimestamp });
      this.size += bytes.length;
    }
    return Promise.resolve();
  }
  abort(): Promise<void> {
    this.batches.length = 0;
    return Promise.resolve();
  }
}

export class MemoryPartitionLog implements PartitionLog, CleanableLog {
  readonly topic: string;
  readonly partition: number;
  private cfg: LogConfig;
  private readonly clock: () => number;
  private segments: MemorySegment[];
  private startOffset = 0n;
  private endOffset = 0n;
  private closed = false;
  private truncations = 0;
  /**
   * Aborted transactions by marker offset, oldest first: the segments' .txnindex entries in one
   * array (an entry belongs to the segment holding its lastOffset and goes with it).
   */
  private aborted: AbortedTxn[] = [];
  /** In memory only, as the rest of the log. */
  readonly leaderEpochs = new LeaderEpochCache();

  constructor(topic: string, partition: number, config: LogConfig, clock: () => number = Date.now) {
    this.topic = topic;
    this.partition = partition;
    this.cfg = config;
    this.clock = clock;
    this.segments = [new MemorySegment(0n, config, clock())];
  }

  get config(): LogConfig {
    return this.cfg;
  }
  get logStartOffset(): bigint {
    return this.startOffset;
  }
  get logEndOffset(): bigint {
    return this.endOffset;
  }
  get size(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }
  get segmentCount(): number {
    return this.segments.length;
  }
  segmentBaseOffsets(): bigint[] {
    return this.segments.map((s) => s.baseOffset);
  }

  private get active(): MemorySegment {
    return this.segments[this.segments.length - 1];
  }

  updateConfig(config: LogConfig): void {
    this.cfg = config;
  }

  private check(): void {
    if (this.closed) throw new StorageError(`partition ${this.topic}-${this.partition} is closed`);
  }

  /** Runs `fn` now and returns its outcome as a settled promise. */
  private now<T>(fn: () => T): Promise<T> {
    try {
      this.check();
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  append(batches: Buffer, options: AppendOptions): Promise<AppendResult> {
    return this.now(() => {
      const { starts, ends, span } = splitForAppend(batches);
      const lat = options.logAppendTimeMs;
      const first = this.endOffset;
      const shape = appendShape(batches, starts, span, first, lat);
      const nowMs = this.clock();
      const a = this.active;
      if (rollReason(this.rollStateOf(a), this.cfg, shape, nowMs) !== null) this.rollNow();
      const seg = this.active;
      const copy = Buffer.from(batches);
      let offset = first;
      for (let i = 0; i < starts.length; i++) {
        const last = stampBatch(copy, starts[i], ends[i], offset, options.leaderEpoch, lat);
        const bytes = copy.subarray(starts[i], ends[i]);
        seg.account({ bytes, baseOffset: offset, lastOffset: last, maxTimestamp: bytes.readBigInt64BE(MAX_TIMESTAMP_OFFSET) }, this.cfg.indexIntervalBytes);
        offset = last + 1n;
      }
      seg.mtimeMs = nowMs;
      this.assignEpoch(options.leaderEpoch, first);
      this.endOffset = offset;
      return { baseOffset: first, lastOffset: offset - 1n, logAppendTimeMs: lat ?? -1n, logStartOffset: this.startOffset };
    });
  }

  appendAsFollower(batches: Buffer): Promise<AppendResult> {
    return this.now(() => {
      const split = splitForFollowerAppend(batches);
      checkFollowerAppendStart(split, this.endOffset);
      const { bytes: whole, starts, ends, baseOffsets, lastOffsets } = split;
      const last = lastOffsets.at(-1);
      if (last === undefined) return { baseOffset: this.endOffset, lastOffset: this.endOffset - 1n, logAppendTimeMs: -1n, logStartOffset: this.startOffset };
      const shape = appendShape(whole, starts, last + 1n - this.endOffset, this.endOffset, undefined);
      const nowMs = this.clock();
      if (rollReason(this.rollStateOf(this.active), this.cfg, shape, nowMs) !== null) this.rollNow();
      const seg = this.active;
      const copy = Buffer.from(whole);
      for (let i = 0; i < starts.length; i++) {
        const bytes = copy.subarray(starts[i], ends[i]);
        seg.account({ bytes, baseOffset: baseOffsets[i], lastOffset: lastOffsets[i], maxTimestamp: bytes.readBigInt64BE(MAX_TIMESTAMP_OFFSET) }, this.cfg.indexIntervalBytes);
        this.assignEpoch(bytes.readInt32BE(PARTITION_LEADER_EPOCH_OFFSET), baseOffsets[i]);
      }
      seg.mtimeMs = nowMs;
      this.endOffset = last + 1n;
      return { baseOffset: baseOffsets[0], lastOffset: last, logAppendTimeMs: -1n, logStartOffset: this.startOffset };
    });
  }

  /** Records a batch's epoch when it is a new one (Kafka: only batches stamped with an epoch count). */
  private assignEpoch(epoch: number, baseOffset: bigint): void {
    if (epoch > this.leaderEpochs.latestEpoch()) void this.leaderEpochs.assign(epoch, baseOffset);
  }

  private rollStateOf(s: MemorySegment): RollState {
    return {
      baseOffset: s.baseOffset,
      size: s.size,
      offsetIndexEntries: s.offsetEntries,
      offsetIndexMaxEntries: s.offsetIndexMax,
      timeIndexEntries: s.timeEntries,
      timeIndexMaxEntries: s.timeIndexMax,
      firstBatchTimestamp: s.firstBatchTimestamp,
      createdMs: s.createdMs,
    };
  }

  read(offset: bigint, options: ReadOptions): Promise<ReadResult> {
    return this.now(() => {
      const start = this.startOffset;
      const end = this.endOffset;
      if (offset < start || offset > end) throw new OffsetOutOfRangeError(offset, start, end);
      const maxBytes = Math.max(0, options.maxBytes);
      const maxOffset = options.maxOffset;
      const records: Buffer[] = [];
      let size = 0;
      outer: for (let i = floorSegment(this.segments, offset); i < this.segments.length; i++) {
        const seg = this.segments[i];
        for (let j = seg.seek(offset); j < seg.batches.length; j++) {
          const b = seg.batches[j];
          if (maxOffset !== undefined && b.lastOffset >= maxOffset) break outer;
          if (records.length > 0 && size + b.bytes.length > maxBytes) break outer;
          records.push(b.bytes);
          size += b.bytes.length;
        }
      }
      return { records, size, logStartOffset: start, logEndOffset: end };
    });
  }

  offsetForTimestamp(timestamp: bigint): Promise<TimestampOffset | null> {
    return this.now(() => {
      const start = this.startOffset;
      for (let i = floorSegment(this.segments, start); i < this.segments.length; i++) {
        const seg = this.segments[i];
        if (seg.maxTimestamp < timestamp) continue;
        for (let j = seg.seek(start); j < seg.batches.length; j++) {
          const b = seg.batches[j];
          if (b.maxTimestamp < timestamp) continue;
          const found = firstRecordAtOrAfter(new RecordBatchView(b.bytes), timestamp, start);
          if (found !== null) return found;
        }
      }
      return null;
    });
  }

  maxTimestamp(): Promise<TimestampOffset | null> {
    return this.now(() => {
      let best: MemorySegment | null = null;
      for (const seg of this.segments) if (seg.maxTimestamp >= 0n && (best === null || seg.maxTimestamp > best.maxTimestamp)) best = seg;
      if (best === null) return null;
      const ts = best.maxTimestamp;
      const off = best.acct.offsetOfMaxTimestamp;
      for (let j = best.seek(off); j < best.batches.length; j++) {
        const b = best.batches[j];
        if (b.maxTimestamp === ts) return recordWithTimestamp(new RecordBatchView(b.bytes), ts);
      }
      return { offset: off, timestamp: ts };
    });
  }

  async *batches(fromOffset: bigint): AsyncIterable<BatchInfo> {
    this.check();
    const from = fromOffset > this.startOffset ? fromOffset : this.startOffset;
    const segments = this.segments;
    for (let i = floorSegment(segments, from); i < segments.length; i++) {
      const seg = segments[i];
      for (let j = seg.seek(from); j < seg.batches.length; j++) {
        yield batchInfoOf(new RecordBatchView(seg.batches[j].bytes));
      }
    }
  }

  appendAbortedTxn(txn: AbortedTxn): Promise<void> {
    return this.now(() => {
      checkAbortedTxn(txn, this.aborted.at(-1), this.endOffset);
      // The marker's segment is already gone (retention or DeleteRecords overtook the caller).
      if (txn.lastOffset < this.segments[0].baseOffset) return;
      this.aborted.push({ ...txn });
    });
  }

  abortedTxns(fromOffset: bigint, upperBoundOffset: bigint): Promise<AbortedTxn[]> {
    return this.now(() => {
      // The search starts at the first entry of the segment holding fromOffset, as Kafka's does.
      const segmentBase = this.segments[floorSegment(this.segments, fromOffset)].baseOffset;
      const entries = this.aborted.filter((t) => t.lastOffset >= segmentBase);
      return collectAbortedTxns(entries, fromOffset, upperBoundOffset).txns;
    });
  }

  /** Drops the aborted-transaction entries of segments that no longer exist. */
  private dropAbortedBelowFirstSegment(): void {
    const base = this.segments[0].baseOffset;
    if (this.aborted.length > 0 && this.aborted[0].lastOffset < base) this.aborted = this.aborted.filter((t) => t.lastOffset >= base);
  }

  truncateTo(offset: bigint): Promise<void> {
    return this.now(() => {
      // As Kafka: an epoch assigned at the end with nothing appended in it goes even so.
      if (offset >= this.endOffset) {
        void this.leaderEpochs.truncateFromEnd(this.endOffset);
        return;
      }
      this.truncations++;
      if (offset < this.segments[0].baseOffset) {
        this.startAfresh(offset);
        return;
      }
      this.segments = this.segments.filter((s) => s.baseOffset <= offset);
      const old = this.active;
      const kept = old.batches.slice(0, old.seek(offset));
      // Rebuild the segment's bookkeeping from the batches that remain.
      const seg = new MemorySegment(old.baseOffset, this.cfg, kept.length === 0 ? this.clock() : old.createdMs);
      for (const b of kept) seg.account(b, this.cfg.indexIntervalBytes);
      seg.mtimeMs = old.mtimeMs;
      this.segments[this.segments.length - 1] = seg;
      this.endOffset = kept.length === 0 ? seg.baseOffset : kept[kept.length - 1].lastOffset + 1n;
      const end = this.endOffset;
      this.aborted = this.aborted.filter((t) => t.lastOffset < end);
      void this.leaderEpochs.truncateFromEnd(end);
      if (this.startOffset > this.endOffset) this.startOffset = this.endOffset;
    });
  }

  truncateFullyAndStartAt(offset: bigint): Promise<void> {
    return this.now(() => {
      this.truncations++;
      this.startAfresh(offset);
    });
  }

  private startAfresh(offset: bigint): void {
    this.segments = [new MemorySegment(offset, this.cfg, this.clock())];
    this.startOffset = offset;
    this.endOffset = offset;
    this.aborted = [];
    void this.leaderEpochs.clear();
  }

  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return this.now(() => {
      const target = offset > this.endOffset ? this.endOffset : offset;
      if (target <= this.startOffset) return this.startOffset;
      this.startOffset = target;
      let n = 0;
      while (n < this.segments.length - 1 && this.segments[n + 1].baseOffset <= target) n++;
      this.segments = this.segments.slice(n);
      this.dropAbortedBelowFirstSegment();
      void this.leaderEpochs.truncateFromStart(target);
      return target;
    });
  }

  roll(): Promise<void> {
    return this.now(() => { this.rollNow(); });
  }

  private rollNow(): void {
    if (this.active.size === 0) return;
    this.segments = [...this.segments, new MemorySegment(this.endOffset, this.cfg, this.clock())];
  }

  applyRetention(nowMs: number): Promise<number> {
    return this.now(() => {
      const segments = this.segments;
      const last = segments.length - 1;
      let n = 0;
      while (n < last && segments[n + 1].baseOffset <= this.startOffset) n++;
      // A compact-only log keeps its segments whatever their age or size (Kafka: only cleanup.policy=delete retains by time and size).
      const byTimeAndSize = this.cfg.compaction === undefined || this.cfg.compaction.delete;
      if (byTimeAndSize && this.cfg.retentionMs >= 0) {
        while (n < last) {
          const seg = segments[n];
          const largest = seg.maxTimestamp >= 0n ? Number(seg.maxTimestamp) : seg.mtimeMs;
          if (nowMs - largest > this.cfg.retentionMs) n++;
          else break;
        }
      }
      if (byTimeAndSize && this.cfg.retentionBytes >= 0) {
        let diff = this.size - this.cfg.retentionBytes;
        for (let i = 0; i < n; i++) diff -= segments[i].size;
        while (n < last && diff - segments[n].size >= 0) {
          diff -= segments[n].size;
          n++;
        }
      }
      if (n === 0) return 0;
      this.segments = segments.slice(n);
      this.dropAbortedBelowFirstSegment();
      const newStart = this.segments[0].baseOffset;
      if (newStart > this.startOffset) {
        this.startOffset = newStart;
        void this.leaderEpochs.truncateFromStart(newStart);
      }
      return n;
    });
  }

  cleanerView(): Promise<CleanerView> {
    return this.now(() => ({
      segments: this.segments.map((s) => new MemoryCleanerSegment(s)),
      logStartOffset: this.startOffset,
      logEndOffset: this.endOffset,
      generation: this.truncations,
    }));
  }

  async *segmentBatches(segment: CleanerSegment): AsyncIterable<Buffer[]> {
    if (!(segment instanceof MemoryCleanerSegment)) throw new Error('internal error: not a segment of a memory log');
    const batches = segment.seg.batches;
    // Slices of about a megabyte, as the disk log reads them, so the cleaner yields as often.
    let chunk: Buffer[] = [];
    let bytes = 0;
    for (const b of batches) {
      chunk.push(b.bytes);
      bytes += b.bytes.length;
      if (bytes >= 1 << 20) {
        yield chunk;
        chunk = [];
        bytes = 0;
      }
    }
    if (chunk.length > 0) yield chunk;
  }

  newCleanedSegment(baseOffset: bigint): Promise<CleanedSegmentWriter> {
    return this.now(() => new MemoryCleanedSegment(baseOffset));
  }

  replaceSegments(view: CleanerView, group: readonly CleanerSegment[], cleaned: CleanedSegmentWriter): Promise<boolean> {
    return this.now(() => {
      if (!(cleaned instanceof MemoryCleanedSegment)) throw new Error('internal error: not a cleaned segment of a memory log');
      const olds = group.map((g) => {
        if (!(g instanceof MemoryCleanerSegment)) throw new Error('internal error: not a segment of a memory log');
        return g.seg;
      });
      const segments = this.segments;
      const at = olds.length === 0 ? -1 : segments.indexOf(olds[0]);
      if (view.generation !== this.truncations || at < 0 || at + olds.length >= segments.length) return false;
      for (let i = 0; i < olds.length; i++) if (segments[at + i] !== olds[i] || olds[i].size !== group[i].size) return false;
      const last = olds[olds.length - 1];
      const seg = new MemorySegment(cleaned.baseOffset, this.cfg, last.createdMs);
      for (const b of cleaned.batches) seg.account(b, this.cfg.indexIntervalBytes);
      seg.mtimeMs = last.mtimeMs;
      // The replaced segments' index entries give way to the cleaned segment's (markers kept).
      const end = segments[at + olds.length].baseOffset;
      const inside = (t: AbortedTxn): boolean => t.lastOffset >= cleaned.baseOffset && t.lastOffset < end;
      const before = this.aborted.filter((t) => t.lastOffset < cleaned.baseOffset);
      const after = this.aborted.filter((t) => !inside(t) && t.lastOffset >= end);
      this.aborted = [...before, ...cleaned.abortedTxns, ...after];
      this.segments = [...segments.slice(0, at), seg, ...segments.slice(at + olds.length)];
      return true;
    });
  }

  flush(): Promise<void> {
    return this.now(() => undefined);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.segments = [new MemorySegment(this.endOffset, this.cfg, this.clock())];
    this.aborted = [];
    return Promise.resolve();
  }
}
