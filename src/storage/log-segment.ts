/**
 * One segment of a partition log: `<base offset>.log` with its `.index` and `.timeindex`, and a
 * `.txnindex` once a transaction was aborted in it (Kafka's LogSegment).
 *
 * On disk the `.log` file is the record batches (v2, magic 2) exactly as stored, back to back, with
 * their base offsets assigned: no file header, no padding, nothing between batches. Each batch is
 * `baseOffset int64 | batchLength int32 | ...` (record-batch.ts), so the file can be walked by its
 * length fields alone and every batch checked by its CRC32C. The base offset in the file name is the
 * offset of the segment's first record (or the offset the segment was created at, while empty); a
 * segment holds offsets [base, next segment's base). The indexes are described in offset-index.ts,
 * time-index.ts and transaction-index.ts.
 *
 * Writes are positional (`pwrite` at the segment's logical end, `size`), so a failed or torn write
 * is undone by truncating the file back to `size`. Two sizes are kept: `writePosition` (bytes
 * handed to the OS, including an append in flight) and `size` (bytes whose write completed: the
 * only bytes readers look at). The index entries of an append in flight may already be in the
 * in-memory indexes; they always name offsets at or beyond the published log end offset, which no
 * lookup asks for.
 *
 * Indexes are memory-resident: the active segment's are built as batches are appended and written
 * to their files (preallocated to segment.index.bytes while active) when the segment is rolled,
 * flushed at close, or rebuilt; a sealed segment's are read from their files on first use
 * (Kafka's LazyIndex). The log file handle of a sealed segment is also opened on first use.
 *
 * Concurrency: one append, roll, truncation or recovery at a time (the partition serializes them);
 * any number of reads alongside. A deleted segment is renamed to `.deleted` and its handle closed
 * once file.delete.delay.ms has passed and no read is using it.
 *
 * Walking a file's batches and judging damaged headers is batch-scanner.ts; the append and roll
 * rules shared with the in-memory log are log-rules.ts.
 */
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BASE_OFFSET_OFFSET,
  BATCH_LENGTH_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_HEADER_SIZE,
} from '../protocol/records/index.js';
import { BatchScanner, droppedOffsets, headerDamage } from './batch-scanner.js';
import type { ScanStop } from './batch-scanner.js';
import { IndexAccounting } from './log-rules.js';
import type { RollState } from './log-rules.js';
import { OffsetIndex } from './offset-index.js';
import { DELETED_SUFFIX, readFully, segmentFileName, writeFully, writeFullySync } from './segment-files.js';
import type { SyncWritePolicy } from './sync-write-policy.js';
import type { OpenFile, StorageFile } from './segment-files.js';
import { TimeIndex } from './time-index.js';
import { TransactionIndex } from './transaction-index.js';
import { CorruptRecordError } from './types.js';
import type { LogConfig, ReadBufferSource } from './types.js';

const INT32_MAX = 0x7fffffffn;
/** A fetch reads at most this much in one go (more takes several reads). */
const MAX_READ_CHUNK = 16 * 1024 * 1024;

export interface SegmentReadResult {
  batches: Buffer[];
  bytes: number;
  /** Offset after the last batch returned (the requested offset when none was). */
  nextOffset: bigint;
  /** File position after the last batch returned. */
  position: number;
  /** True when a limit (maxBytes, maxOffset) ended the read: do not continue into the next segment. */
  limited: boolean;
}

export interface RecoveryResult {
  /** Valid bytes kept. */
  validBytes: number;
  /** Bytes cut off the end of the file (a torn or corrupt tail). */
  truncatedBytes: number;
  /** Why the scan stopped ('end' when the whole file was valid). */
  stop: ScanStop;
  /** The offset after the last valid batch. */
  nextOffset: bigint;
  /**
   * The offsets the cut-off bytes held, as far as their batch headers still tell (a CRC failure
   * leaves the header readable; garbage over a header hides everything after it); null when none.
   */
  droppedOffsets: { first: bigint; last: bigint } | null;
}

export class LogSegment {
  readonly baseOffset: bigint;
  readonly dir: string;
  readonly maxIndexBytes: number;
  /** Bytes readers may see: every write up to here completed. */
  size: number;
  /** Bytes handed to the OS, appends in flight included. */
  writePosition: number;
  /** Offset after the last batch (valid for the active segment and after recovery). */
  nextOffset: bigint;
  offsetIndex: OffsetIndex | null = null;
  timeIndex: TimeIndex | null = null;
  /** Aborted transactions whose marker is in this segment (loaded with the log, see recovery.ts). */
  txnIndex: TransactionIndex;
  /** Working bookkeeping of the active segment (appends in flight included). */
  readonly accounting = new IndexAccounting();
  /** Largest max timestamp of published batches (-1 none) and the last offset of the first batch with it. */
  maxTimestamp = -1n;
  offsetOfMaxTimestamp = -1n;
  /** Max timestamp of the first batch (-1: none or empty). */
  firstBatchTimestamp = -1n;
  createdMs: number;

  /** The offset index, for callers that ran ensureIndexes (or hold the active segment): a bug otherwise. */
  get loadedOffsetIndex(): OffsetIndex {
    if (this.offsetIndex === null) throw new Error(`internal error: ${this.logPath} has no loaded offset index`);
    return this.offsetIndex;
  }

  /** The time index, on the same terms as loadedOffsetIndex. */
  get loadedTimeIndex(): TimeIndex {
    if (this.timeIndex === null) throw new Error(`internal error: ${this.logPath} has no loaded time index`);
    return this.timeIndex;
  }
  mtimeMs: number;
  /** Reads in progress (a deleted segment's handle is closed when this drops to 0). */
  readers = 0;
  deleted = false;
  private handle: Promise<StorageFile> | null = null;
  /** The log file once `handle` has settled with it (synchronous writes need it in hand). */
  private openHandle: StorageFile | null = null;
  private loading: Promise<void> | null = null;
  private closeWhenIdle = false;
  private openFile: OpenFile;
  /** Positions of damage reads have met (each is reported once). */
  private readonly reportedDamage = new Set<number>();

  private constructor(dir: string, baseOffset: bigint, size: number, maxIndexBytes: number, openFile: OpenFile, nowMs: number, mtimeMs: number) {
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.size = size;
    this.writePosition = size;
    this.nextOffset = baseOffset;
    this.maxIndexBytes = maxIndexBytes;
    this.openFile = openFile;
    this.createdMs = nowMs;
    this.mtimeMs = mtimeMs;
    this.txnIndex = new TransactionIndex(this.txnIndexPath, baseOffset);
  }

  get logPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, 'log'));
  }
  get indexPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, 'index'));
  }
  get timeIndexPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, 'timeindex'));
  }
  get txnIndexPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, 'txnindex'));
  }
  /** Every file of the segment (the .txnindex may not exist). */
  private get paths(): string[] {
    return [this.logPath, this.indexPath, this.timeIndexPath, this.txnIndexPath];
  }
  /** The opener the segment's files are opened with. */
  get opener(): OpenFile {
    return this.openFile;
  }

  /** Creates an empty segment (the new active one): a fresh log file and preallocated indexes. */
  static async create(dir: string, baseOffset: bigint, maxIndexBytes: number, openFile: OpenFile, nowMs: number): Promise<LogSegment> {
    const seg = new LogSegment(dir, baseOffset, 0, maxIndexBytes, openFile, nowMs, nowMs);
    seg.offsetIndex = new OffsetIndex(baseOffset, maxIndexBytes);
    seg.timeIndex = new TimeIndex(baseOffset, maxIndexBytes);
    const fh = await openFile(seg.logPath, 'w+');
    seg.handle = Promise.resolve(fh);
    seg.openHandle = fh;
    try {
      await seg.writeIndexes(true, false);
    } catch (e) {
      await fh.close().catch(() => undefined);
      await Promise.all([seg.logPath, seg.indexPath, seg.timeIndexPath].map((p) => unlink(p).catch(() => undefined)));
      throw e;
    }
    return seg;
  }

  /** A segment found on disk; files and indexes are opened on first use. */
  static existing(dir: string, baseOffset: bigint, size: number, mtimeMs: number, maxIndexBytes: number, openFile: OpenFile, nowMs: number): LogSegment {
    return new LogSegment(dir, baseOffset, size, maxIndexBytes, openFile, nowMs, mtimeMs);
  }

  /** Opens its files with `openFile` from now on (loading reads with its own opener, then hands the segment the log's). */
  useOpener(openFile: OpenFile): void {
    this.openFile = openFile;
  }

  /** The log file handle (opened on first use). */
  file(): Promise<StorageFile> {
    if (this.handle === null) {
      const p = this.openFile(this.logPath, 'r+');
      this.handle = p;
      p.then(
        (f) => {
          if (this.handle === p) this.openHandle = f;
        },
        () => {
          if (this.handle === p) this.handle = null;
        },
      );
    }
    return this.handle;
  }

  /** The roll-relevant state, appends in flight included. */
  rollState(): RollState {
    return {
      baseOffset: this.baseOffset,
      size: this.writePosition,
      offsetIndexEntries: this.offsetIndex?.entries ?? 0,
      offsetIndexMaxEntries: this.offsetIndex?.maxEntries ?? 0,
      timeIndexEntries: this.timeIndex?.entries ?? 0,
      timeIndexMaxEntries: this.timeIndex?.maxEntries ?? 0,
      firstBatchTimestamp: this.firstBatchTimestamp,
      createdMs: this.createdMs,
    };
  }

  /** The largest timestamp for retention.ms: the newest batch's, or the file's mtime when no batch has one. */
  largestTimestampForRetention(): number {
    return this.maxTimestamp >= 0n ? Number(this.maxTimestamp) : this.mtimeMs;
  }

  /**
   * Loads a sealed segment's indexes (once). A missing or corrupt index (bad length, entries out of
   * order, an entry past the end of the log, a time entry past `lastOffset`) is rebuilt from the log
   * and written back.
   */
  ensureIndexes(config: LogConfig, lastOffset: bigint | null): Promise<void> {
    if (this.offsetIndex !== null && this.timeIndex !== null) return Promise.resolve();
    if (this.loading === null) {
      this.loading = this.loadIndexes(config, lastOffset).finally(() => {
        this.loading = null;
      });
    }
    return this.loading;
  }

  private async loadIndexes(config: LogConfig, lastOffset: bigint | null): Promise<void> {
    const [offsetIndex, timeIndex] = await Promise.all([
      this.loadIndexFile(this.indexPath, (f) => OffsetIndex.load(f, this.baseOffset, this.maxIndexBytes)),
      this.loadIndexFile(this.timeIndexPath, (f) => TimeIndex.load(f, this.baseOffset, this.maxIndexBytes)),
    ]);
    if (offsetIndex !== null && timeIndex !== null && offsetIndex.isValid(this.size) && timeIndex.isValid(lastOffset)) {
      this.offsetIndex = offsetIndex;
      this.timeIndex = timeIndex;
      const last = timeIndex.lastEntry();
      if (last !== null && last.timestamp > this.maxTimestamp) {
        this.maxTimestamp = last.timestamp;
        this.offsetOfMaxTimestamp = last.offset;
      }
      return;
    }
    await this.rebuildIndexes(config, false);
    await this.writeIndexes(false, true);
  }

  private async loadIndexFile<T>(path: string, load: (f: StorageFile) => Promise<T | null>): Promise<T | null> {
    let fh: StorageFile;
    try {
      fh = await this.openFile(path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    try {
      return await load(fh);
    } finally {
      await fh.close();
    }
  }

  /**
   * Scans the whole log, rebuilding both indexes, the timestamps and the append bookkeeping. With
   * `verifyCrc` (recovery of the active segment) the scan stops at the first torn or corrupt batch
   * and the file is cut there; without it (rebuilding a sealed segment's index) it stops at the
   * first malformed batch, leaves the file alone, and ends the time index with the segment's
   * largest timestamp as seal() does. `visit` sees each batch kept (the transaction index rebuild
   * collects its transactional batches).
   */
  async rebuildIndexes(config: LogConfig, verifyCrc: boolean, visit?: (s: BatchScanner) => void): Promise<RecoveryResult> {
    const file = await this.file();
    const { size: fileSize } = await file.stat();
    const offsetIndex = new OffsetIndex(this.baseOffset, this.maxIndexBytes);
    const timeIndex = new TimeIndex(this.baseOffset, this.maxIndexBytes);
    const acct = new IndexAccounting();
    // Prefetching allocates two chunks up front: worth it only for a file of more than one chunk,
    // and thousands of small active segments recovered after a crash would each pay 4 MiB.
    const scanner = new BatchScanner(file, 0, fileSize, 4 << 20, verifyCrc, fileSize > 4 << 20);
    let next = this.baseOffset;
    let first = -1n;
    let bad = false;
    try {
      while (!bad && (await scanner.fill())) {
        while (scanner.next()) {
          const base = scanner.baseOffset;
          const last = scanner.lastOffset;
          // Offsets must be in order and inside the segment: anything else is garbage.
          if (base < next || last < base || last - this.baseOffset > INT32_MAX) {
            bad = true;
            scanner.position = scanner.batchPosition;
            break;
          }
          const ts = scanner.maxTimestamp;
          if (scanner.batchPosition === 0) first = ts;
          visit?.(scanner);
          if (acct.add(scanner.size, last, ts, config.indexIntervalBytes)) {
            if (!offsetIndex.isFull) offsetIndex.append(last, scanner.batchPosition);
            if (!timeIndex.isFull) timeIndex.maybeAppend(acct.maxTimestamp, acct.offsetOfMaxTimestamp);
          }
          next = last + 1n;
        }
        if (scanner.stop !== null) break;
      }
    } finally {
      await scanner.settle();
    }
    const validBytes = scanner.position;
    const stop: ScanStop = bad ? 'bad offset' : (scanner.stop ?? 'end');
    if (!verifyCrc && acct.maxTimestamp >= 0n) timeIndex.maybeAppend(acct.maxTimestamp, acct.offsetOfMaxTimestamp, true);
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    this.accounting.copyFrom(acct);
    this.maxTimestamp = acct.maxTimestamp;
    this.offsetOfMaxTimestamp = acct.offsetOfMaxTimestamp;
    this.firstBatchTimestamp = first;
    this.nextOffset = next;
    let truncatedBytes = 0;
    let dropped: RecoveryResult['droppedOffsets'] = null;
    if (verifyCrc) {
      truncatedBytes = fileSize - validBytes;
      if (truncatedBytes > 0) {
        dropped = await droppedOffsets(file, validBytes, fileSize, next);
        await file.truncate(validBytes);
      }
      this.size = validBytes;
      this.writePosition = validBytes;
    }
    return { validBytes, truncatedBytes, stop, nextOffset: next, droppedOffsets: dropped };
  }

  /**
   * Opens the active segment after a clean shutdown without scanning it: loads the indexes and
   * walks only the batches after the last offset index entry (at most about index.interval.bytes),
   * checking their CRCs. Returns false when that is not possible (an index missing or corrupt, a
   * bad batch in the tail): the caller then recovers the segment.
   */
  async openActive(): Promise<boolean> {
    const [offsetIndex, timeIndex] = await Promise.all([
      this.loadIndexFile(this.indexPath, (f) => OffsetIndex.load(f, this.baseOffset, this.maxIndexBytes)),
      this.loadIndexFile(this.timeIndexPath, (f) => TimeIndex.load(f, this.baseOffset, this.maxIndexBytes)),
    ]);
    if (offsetIndex === null || timeIndex === null || !offsetIndex.isValid(this.size) || !timeIndex.isValid(null)) return false;
    const file = await this.file();
    const { size: fileSize } = await file.stat();
    if (fileSize !== this.size) return false;
    const lastEntry = offsetIndex.lastEntry();
    const from = lastEntry?.position ?? 0;
    const acct = new IndexAccounting();
    const lastTime = timeIndex.lastEntry();
    if (lastTime !== null) {
      acct.maxTimestamp = lastTime.timestamp;
      acct.offsetOfMaxTimestamp = lastTime.offset;
    }
    const scanner = new BatchScanner(file, from, this.size, 1 << 20, true);
    let next = lastEntry === null ? this.baseOffset : lastEntry.offset + 1n;
    let first = true;
    while (await scanner.fill()) {
      while (scanner.next()) {
        const last = scanner.lastOffset;
        if (first && lastEntry !== null) {
          // The indexed batch itself: its bytes were counted when its entry was made.
          if (last !== lastEntry.offset) return false;
          acct.bytesSinceLastIndexEntry = scanner.size;
          const ts = scanner.maxTimestamp;
          if (ts > acct.maxTimestamp) {
            acct.maxTimestamp = ts;
            acct.offsetOfMaxTimestamp = last;
          }
        } else {
          if (scanner.baseOffset < next || last < scanner.baseOffset) return false;
          acct.add(scanner.size, last, scanner.maxTimestamp, Number.MAX_SAFE_INTEGER);
        }
        first = false;
        next = last + 1n;
      }
      if (scanner.stop !== null) break;
    }
    if (scanner.stop !== 'end' || scanner.position !== this.size) return false;
    const lastTimeEntry = timeIndex.lastEntry();
    if (lastTimeEntry !== null && lastTimeEntry.offset >= next) return false;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    this.accounting.copyFrom(acct);
    this.maxTimestamp = acct.maxTimestamp;
    this.offsetOfMaxTimestamp = acct.offsetOfMaxTimestamp;
    this.nextOffset = next;
    this.firstBatchTimestamp = await this.readFirstBatchTimestamp();
    return true;
  }

  private async readFirstBatchTimestamp(): Promise<bigint> {
    if (this.size < RECORD_BATCH_HEADER_SIZE) return -1n;
    const head = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE);
    const n = await readFully(await this.file(), head, 0, RECORD_BATCH_HEADER_SIZE, 0);
    return n === RECORD_BATCH_HEADER_SIZE ? head.readBigInt64BE(MAX_TIMESTAMP_OFFSET) : -1n;
  }

  /**
   * Writes both index files: `preallocate` sizes them to segment.index.bytes (the active segment),
   * otherwise they are trimmed to their entries; `sync` fsyncs them.
   */
  async writeIndexes(preallocate: boolean, sync: boolean): Promise<void> {
    const oi = this.offsetIndex;
    const ti = this.timeIndex;
    if (oi === null || ti === null) return;
    const write = async (path: string, index: OffsetIndex | TimeIndex): Promise<void> => {
      const fh = await this.openFile(path, 'w');
      try {
        await index.writeTo(fh, preallocate);
        if (sync) await fh.sync();
      } finally {
        await fh.close();
      }
    };
    // One after the other: a close that has just given back the log's descriptor needs only one more.
    await write(this.indexPath, oi);
    await write(this.timeIndexPath, ti);
  }

  /** Writes `buffers` at `writePosition` (which the caller has already advanced past them). */
  async write(buffers: Buffer[], position: number): Promise<void> {
    await writeFully(await this.file(), buffers, position);
  }

  /**
   * `write` done on the calling thread, when the log file is open, can do it, and `policy` allows
   * `bytes` now; returns false, having written nothing, otherwise. Throws as `write` rejects.
   */
  writeSync(buffers: Buffer[], position: number, bytes: number, policy: SyncWritePolicy): boolean {
    const file = this.openHandle;
    if (file === null || file.writevSync === undefined || !policy.allows(bytes)) return false;
    policy.run(() => { writeFullySync(file as Required<StorageFile>, buffers, position); });
    return true;
  }

  /** fsync of the log file. */
  async sync(): Promise<void> {
    if (this.handle === null) return;
    await (await this.handle).sync();
  }

  /**
   * Seals the segment when it stops being active: records its final largest timestamp in the time
   * index, writes both indexes trimmed, and fsyncs everything (recovery after a crash only scans
   * the active segment, so a sealed one must be on disk).
   */
  async seal(): Promise<void> {
    if (this.timeIndex !== null && this.maxTimestamp >= 0n) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
    await this.sync();
    await this.writeIndexes(false, true);
    await this.txnIndex.flush(this.openFile);
  }

  /**
   * Reads whole batches from the batch holding `fromOffset`, starting the search at `startPosition`
   * (an index entry at or before it, or its exact position), within `end` bytes of the file: at most
   * `maxBytes`, except that with `minOne` the first batch is returned whole whatever its size.
   * Batches whose last offset is >= `maxOffset` are not returned. One read covers the common case;
   * the returned buffers are slices of it. A batch header that cannot be right (headerDamage) ends
   * the read: the batches before it are returned (`limited`), and a read that would return nothing
   * else throws CorruptRecordError, its `firstReport` set only the first time that position is met.
   * Reads go into buffers from `buffers` when given (the returned batches are views of them).
   */
  async read(
    fromOffset: bigint,
    startPosition: number,
    end: number,
    maxBytes: number,
    minOne: boolean,
    maxOffset: bigint | undefined,
    slack: number,
    buffers?: ReadBufferSource,
  ): Promise<SegmentReadResult> {
    const file = await this.file();
    const out: Buffer[] = [];
    let total = 0;
    let pos = startPosition;
    let chunk: Buffer = Buffer.alloc(0);
    let chunkPos = pos;
    let next = fromOffset;
    let limited = false;
    const load = async (at: number, want: number, need: number): Promise<void> => {
      want = Math.min(Math.max(Math.min(want, MAX_READ_CHUNK), need), end - at);
      const buf = buffers === undefined ? Buffer.allocUnsafe(want) : buffers.allocate(want);
      const n = await readFully(file, buf, 0, want, at);
      chunk = n < want ? buf.subarray(0, n) : buf;
      chunkPos = at;
    };
    let prevNext = -1n;
    while (pos < end) {
      let off = pos - chunkPos;
      if (off < 0 || off + RECORD_BATCH_HEADER_SIZE > chunk.length) {
        await load(pos, Math.max(maxBytes - total, 0) + slack + RECORD_BATCH_HEADER_SIZE, RECORD_BATCH_HEADER_SIZE);
        off = 0;
        if (chunk.length < RECORD_BATCH_HEADER_SIZE) {
          if (pos + chunk.length < end) throw new Error(`segment ${this.baseOffset} ends at ${pos + chunk.length}, before its size ${end}`);
          // Fewer bytes than a batch header left before the end: a batch cut short.
        }
      }
      // Structural checks only (the header fields the walk relies on): they cost nothing here,
      // unlike a CRC over every byte served, which Kafka does not do on fetch either.
      const base = chunk.length - off >= RECORD_BATCH_HEADER_SIZE ? chunk.readBigInt64BE(off + BASE_OFFSET_OFFSET) : -1n;
      const damage = headerDamage(chunk, off, pos, end, base, prevNext);
      if (damage !== null) {
        if (out.length > 0) {
          // Serve the intact batches before it; the next fetch, from here, gets the error.
          limited = true;
          break;
        }
        throw this.damaged(pos, damage);
      }
      const size = LOG_OVERHEAD + chunk.readInt32BE(off + BATCH_LENGTH_OFFSET);
      const lastOffset = base + BigInt(chunk.readInt32BE(off + LAST_OFFSET_DELTA_OFFSET));
      prevNext = lastOffset + 1n;
      if (lastOffset < fromOffset) {
        pos += size;
        continue;
      }
      if (maxOffset !== undefined && lastOffset >= maxOffset) {
        limited = true;
        break;
      }
      if ((out.length > 0 || !minOne) && total + size > maxBytes) {
        limited = true;
        break;
      }
      if (off + size > chunk.length) {
        await load(pos, Math.max(size, maxBytes - total), size);
        off = 0;
        if (chunk.length < size) throw new Error(`segment ${this.baseOffset} ends inside the batch at position ${pos}`);
      }
      out.push(chunk.subarray(off, off + size));
      total += size;
      pos += size;
      next = lastOffset + 1n;
      slack = 0;
    }
    return { batches: out, bytes: total, nextOffset: next, position: pos, limited };
  }

  /** The error for damage at `position`; remembers it so that it is reported (logged) once. */
  private damaged(position: number, reason: string): CorruptRecordError {
    const first = !this.reportedDamage.has(position);
    if (first) this.reportedDamage.add(position);
    return new CorruptRecordError(this.logPath, position, reason, first);
  }

  /**
   * Finds the position of the batch holding `offset` (the first batch whose last offset is >= it),
   * scanning from `from`; `end` when there is none. Also returns the bookkeeping of the batches
   * between `from` and that position, for truncation.
   */
  private async locate(offset: bigint, from: number, end: number): Promise<{ position: number; nextOffset: bigint | null; acct: IndexAccounting; first: bigint }> {
    const file = await this.file();
    const scanner = new BatchScanner(file, from, end, 256 * 1024, false);
    const acct = new IndexAccounting();
    let first = -1n;
    let next: bigint | null = null;
    while (await scanner.fill()) {
      while (scanner.next()) {
        if (scanner.lastOffset >= offset) return { position: scanner.batchPosition, nextOffset: scanner.baseOffset, acct, first };
        if (scanner.batchPosition === 0) first = scanner.maxTimestamp;
        acct.add(scanner.size, scanner.lastOffset, scanner.maxTimestamp, Number.MAX_SAFE_INTEGER);
        next = scanner.lastOffset + 1n;
      }
      if (scanner.stop !== null) break;
    }
    return { position: scanner.position, nextOffset: next, acct, first };
  }

  /**
   * Removes every batch from the one holding `offset` on (Kafka truncates at batch boundaries, so
   * the new end may be below `offset`). Returns the new next offset. The indexes must be loaded.
   */
  async truncateTo(offset: bigint): Promise<bigint> {
    const oi = this.offsetIndex;
    const ti = this.timeIndex;
    if (!oi || !ti) throw new Error(`internal error: segment ${this.baseOffset} truncated before its indexes were loaded`);
    oi.truncateTo(offset);
    ti.truncateTo(offset);
    const lastEntry = oi.lastEntry();
    const from = lastEntry?.position ?? 0;
    const found = await this.locate(offset, from, this.size);
    const newSize = found.position;
    const newNext = found.nextOffset ?? (from === 0 || lastEntry === null ? this.baseOffset : lastEntry.offset + 1n);
    // Largest timestamp of what remains: the last time entry, or a batch after the last offset entry.
    const lastTime = ti.lastEntry();
    let maxTs = lastTime?.timestamp ?? -1n;
    let offOfMax = lastTime?.offset ?? -1n;
    if (found.acct.maxTimestamp > maxTs) {
      maxTs = found.acct.maxTimestamp;
      offOfMax = found.acct.offsetOfMaxTimestamp;
    }
    const file = await this.file();
    await file.truncate(newSize);
    await this.txnIndex.truncateTo(newNext, this.openFile);
    this.size = newSize;
    this.writePosition = newSize;
    this.nextOffset = newNext;
    this.maxTimestamp = maxTs;
    this.offsetOfMaxTimestamp = offOfMax;
    this.accounting.maxTimestamp = maxTs;
    this.accounting.offsetOfMaxTimestamp = offOfMax;
    this.accounting.bytesSinceLastIndexEntry = newSize - from;
    if (newSize === 0) this.firstBatchTimestamp = -1n;
    else if (from === 0 && found.first >= 0n) this.firstBatchTimestamp = found.first;
    else this.firstBatchTimestamp = await this.readFirstBatchTimestamp();
    return newNext;
  }

  /** Renames the files to `.deleted`; the caller removes them later with destroy(). */
  async markDeleted(): Promise<void> {
    this.deleted = true;
    await Promise.all(
      this.paths.map((p) =>
        rename(p, p + DELETED_SUFFIX).catch((e: unknown) => {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }),
      ),
    );
  }

  /** Closes the handle (now, or when the last read finishes) and removes the `.deleted` files. */
  async destroy(): Promise<void> {
    await Promise.all(this.paths.map((p) => unlink(p + DELETED_SUFFIX).catch(() => undefined)));
    if (this.readers > 0) this.closeWhenIdle = true;
    else await this.closeHandle();
  }

  /** Called by readers when they finish. */
  release(): void {
    this.readers--;
    if (this.readers === 0 && this.closeWhenIdle) void this.closeHandle().catch(() => undefined);
  }

  /** Closes the log file handle. */
  async closeHandle(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    this.openHandle = null;
    this.closeWhenIdle = false;
    if (h !== null) await (await h.catch(() => null))?.close();
  }
}
