/**
 * One segment of a partition log: `<base offset>.log` with its `.index` and `.timeindex`
 * (Kafka's LogSegment).
 *
 * On disk the `.log` file is the record batches (v2, magic 2) exactly as stored, back to back, with
 * their base offsets assigned: no file header, no padding, nothing between batches. Each batch is
 * `baseOffset int64 | batchLength int32 | ...` (record-batch.ts), so the file can be walked by its
 * length fields alone and every batch checked by its CRC32C. The base offset in the file name is the
 * offset of the segment's first record (or the offset the segment was created at, while empty); a
 * segment holds offsets [base, next segment's base). The indexes are described in offset-index.ts
 * and time-index.ts.
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
 */
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BASE_OFFSET_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  ATTRIBUTES_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_HEADER_SIZE,
  PARTITION_LEADER_EPOCH_OFFSET,
  RecordBatchView,
  TIMESTAMP_TYPE_MASK,
  crc32c,
  forEachBatch,
} from '../protocol/records/index.js';
import { ProtocolDecodeError } from '../protocol/decode-error.js';
import { OffsetIndex } from './offset-index.js';
import { DELETED_SUFFIX, readFully, segmentFileName, writeFully, writeFullySync } from './segment-files.js';
import type { SyncWritePolicy } from './sync-write-policy.js';
import type { OpenFile, StorageFile } from './segment-files.js';
import { TimeIndex } from './time-index.js';
import { CorruptRecordError } from './types.js';
import type { BatchInfo, LogConfig, ReadBufferSource, TimestampOffset } from './types.js';

/** Smallest valid batchLength of a v2 batch (61-byte header minus the 12-byte log overhead). */
const MIN_BATCH_LENGTH = RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD;
const INT32_MAX = 0x7fffffffn;
const MAX_SEGMENT_BYTES = 0x7fffffff;
/** A fetch reads at most this much in one go (more takes several reads). */
const MAX_READ_CHUNK = 16 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Index accounting and roll rules: shared with the in-memory log so both roll at the same batches.
// ---------------------------------------------------------------------------------------------

/**
 * Kafka's per-segment append bookkeeping: the largest timestamp so far (and the last offset of the
 * first batch that reached it) and the bytes appended since the last index entry.
 */
export class IndexAccounting {
  bytesSinceLastIndexEntry = 0;
  maxTimestamp = -1n;
  offsetOfMaxTimestamp = -1n;

  /**
   * Accounts for one batch (in append order). Returns true when the batch is due an index entry:
   * more than index.interval.bytes were appended since the last one (so a segment's first batch
   * never gets one).
   */
  add(size: number, lastOffset: bigint, maxTimestamp: bigint, intervalBytes: number): boolean {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    const due = this.bytesSinceLastIndexEntry > intervalBytes;
    if (due) this.bytesSinceLastIndexEntry = 0;
    this.bytesSinceLastIndexEntry += size;
    return due;
  }

  copyFrom(o: IndexAccounting): void {
    this.bytesSinceLastIndexEntry = o.bytesSinceLastIndexEntry;
    this.maxTimestamp = o.maxTimestamp;
    this.offsetOfMaxTimestamp = o.offsetOfMaxTimestamp;
  }

  clone(): IndexAccounting {
    const c = new IndexAccounting();
    c.copyFrom(this);
    return c;
  }
}

/** What roll decisions look at in the active segment. */
export interface RollState {
  baseOffset: bigint;
  /** Bytes in the segment, appends in flight included. */
  size: number;
  offsetIndexEntries: number;
  offsetIndexMaxEntries: number;
  timeIndexEntries: number;
  timeIndexMaxEntries: number;
  /** Max timestamp of the segment's first batch; -1 when none. */
  firstBatchTimestamp: bigint;
  /** Clock time the segment was created or opened. */
  createdMs: number;
}

export interface AppendShape {
  bytes: number;
  batches: number;
  lastOffset: bigint;
  /** Largest max timestamp among the appended batches (after LogAppendTime stamping); -1 if none. */
  maxTimestamp: bigint;
}

export type RollReason = 'segment.bytes' | 'segment.ms' | 'index full' | 'offset overflow';

/**
 * Kafka's LogSegment.shouldRoll, for an append about to go to the active segment. An empty segment
 * never rolls (it takes a batch larger than segment.bytes rather than loop). segment.ms compares
 * the incoming batches' timestamp with the segment's first batch (clock time since creation when
 * either has none). The index check reserves one entry per incoming batch, so an append never
 * finds its segment's indexes full.
 */
export function rollReason(seg: RollState, config: LogConfig, append: AppendShape, nowMs: number): RollReason | null {
  if (seg.size === 0) return null;
  // File positions are int32 in the offset index: a segment never grows past 2 GiB.
  if (seg.size > Math.min(config.segmentBytes, MAX_SEGMENT_BYTES) - append.bytes) return 'segment.bytes';
  const waited =
    seg.firstBatchTimestamp >= 0n && append.maxTimestamp >= 0n ? Number(append.maxTimestamp - seg.firstBatchTimestamp) : nowMs - seg.createdMs;
  if (waited > config.segmentMs) return 'segment.ms';
  if (seg.offsetIndexEntries + append.batches > seg.offsetIndexMaxEntries || seg.timeIndexEntries + append.batches > seg.timeIndexMaxEntries) {
    return 'index full';
  }
  if (append.lastOffset - seg.baseOffset > INT32_MAX) return 'offset overflow';
  return null;
}

/**
 * Stamps a batch being appended, in place: its base offset and partition leader epoch (both outside
 * the CRC) and, when `logAppendTimeMs` is given, the LogAppendTime attribute and maxTimestamp, which
 * are inside the CRC, so the CRC32C is recomputed (only then). Returns the batch's last offset.
 */
export function stampBatch(buf: Buffer, start: number, end: number, baseOffset: bigint, leaderEpoch: number, logAppendTimeMs: bigint | undefined): bigint {
  buf.writeBigInt64BE(baseOffset, start + BASE_OFFSET_OFFSET);
  buf.writeInt32BE(leaderEpoch, start + PARTITION_LEADER_EPOCH_OFFSET);
  if (logAppendTimeMs !== undefined) {
    const attrs = buf.readInt16BE(start + ATTRIBUTES_OFFSET);
    if ((attrs & TIMESTAMP_TYPE_MASK) === 0 || buf.readBigInt64BE(start + MAX_TIMESTAMP_OFFSET) !== logAppendTimeMs) {
      buf.writeInt16BE(attrs | TIMESTAMP_TYPE_MASK, start + ATTRIBUTES_OFFSET);
      buf.writeBigInt64BE(logAppendTimeMs, start + MAX_TIMESTAMP_OFFSET);
      buf.writeUInt32BE(crc32c(buf, start + ATTRIBUTES_OFFSET, end), start + CRC_OFFSET);
    }
  }
  return baseOffset + BigInt(buf.readInt32BE(start + LAST_OFFSET_DELTA_OFFSET));
}

/**
 * Checks that `batches` is one or more whole v2 record batches, back to back, and returns their
 * boundaries and the number of offsets they take (each batch lastOffsetDelta + 1). Throws
 * ProtocolDecodeError otherwise (the produce path validated them already: this guards the log).
 */
export function splitForAppend(batches: Buffer): { starts: number[]; ends: number[]; span: bigint } {
  const starts: number[] = [];
  const ends: number[] = [];
  let span = 0n;
  if (batches.length === 0) throw new ProtocolDecodeError('no record batch to append');
  forEachBatch(batches, (start, end, magic) => {
    if (magic !== 2 || end - start < RECORD_BATCH_HEADER_SIZE) throw new ProtocolDecodeError(`cannot store a magic ${magic} entry; record batches v2 only`);
    const delta = batches.readInt32BE(start + LAST_OFFSET_DELTA_OFFSET);
    if (delta < 0) throw new ProtocolDecodeError(`negative lastOffsetDelta ${delta}`);
    starts.push(start);
    ends.push(end);
    span += BigInt(delta) + 1n;
  });
  return { starts, ends, span };
}

/**
 * The shape `rollReason` judges for an append of the batches at `starts` in `buffer` taking `span`
 * offsets from `nextOffset`: under LogAppendTime every batch will carry that time.
 */
export function appendShape(buffer: Buffer, starts: readonly number[], span: bigint, nextOffset: bigint, logAppendTimeMs: bigint | undefined): AppendShape {
  let maxTimestamp = -1n;
  if (logAppendTimeMs !== undefined) maxTimestamp = logAppendTimeMs;
  else {
    for (const s of starts) {
      const ts = buffer.readBigInt64BE(s + MAX_TIMESTAMP_OFFSET);
      if (ts > maxTimestamp) maxTimestamp = ts;
    }
  }
  return { bytes: buffer.length, batches: starts.length, lastOffset: nextOffset + span - 1n, maxTimestamp };
}

/** Index of the segment holding `offset`: the last one whose base offset is <= it (0 when none is). */
export function floorSegment(segments: readonly { baseOffset: bigint }[], offset: bigint): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid].baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The header fields `PartitionLog.batches` reports for a stored batch. */
export function batchInfoOf(v: RecordBatchView): BatchInfo {
  return {
    baseOffset: v.baseOffset,
    lastOffset: v.lastOffset,
    maxTimestamp: v.maxTimestamp,
    producerId: v.producerId,
    producerEpoch: v.producerEpoch,
    baseSequence: v.baseSequence,
    isTransactional: v.isTransactional,
    isControl: v.isControl,
  };
}

// ---------------------------------------------------------------------------------------------
// Walking batches in a file.
// ---------------------------------------------------------------------------------------------

export type ScanStop = 'end' | 'truncated' | 'bad length' | 'bad magic' | 'bad crc' | 'bad offset';

/**
 * Walks the batches of `file[from, to)` chunk by chunk: `fill()` reads the next chunk, `next()`
 * moves to the next whole batch in what was read (synchronously). The current batch is
 * `buffer[start, end)` at file position `batchPosition`; the view is valid until the next fill().
 * The walk stops (`stop`) at the end, at a batch that runs past `to` or the end of the file, at an
 * impossible length, at a magic other than 2, or (with verifyCrc) at a CRC mismatch; `position` is
 * then where the valid batches end.
 *
 * The file is read once, front to back, in `chunkSize` reads: the unparsed end of a chunk (part of
 * a batch) is carried to the front of the next one. With `prefetch` (recovery of a whole segment)
 * the next chunk is read while the current one is checked, so reading and CRC32C overlap.
 *
 * ```
 * while (await s.fill()) { while (s.next()) visit(s); if (s.stop) break; }
 * ```
 */
export class BatchScanner {
  buffer: Buffer = Buffer.alloc(0);
  start = 0;
  end = 0;
  batchPosition = 0;
  /** File position of the next batch (after the walk: the end of the valid batches). */
  position: number;
  stop: ScanStop | null = null;
  /** File position of buffer[bufStart]. */
  private bufPos: number;
  private bufStart = 0;
  private bufLen = 0;
  /** File position up to which the file was read (or is being read ahead). */
  private readPos: number;
  private to: number;
  private short = false;
  /** Two read buffers (with room in front for a carried partial batch) when prefetching. */
  private readonly spare: Buffer[] = [];
  private ahead: Promise<{ buf: Buffer; n: number; want: number }> | null = null;

  constructor(
    private readonly file: StorageFile,
    from: number,
    to: number,
    private readonly chunkSize = 1 << 20,
    private readonly verifyCrc = false,
    private readonly prefetch = false,
  ) {
    this.position = from;
    this.bufPos = from;
    this.readPos = from;
    this.to = to;
  }

  /** Room kept in front of a prefetched chunk for the partial batch carried over. */
  private static readonly HEADROOM = 256 * 1024;

  private readAhead(into: Buffer | undefined): Promise<{ buf: Buffer; n: number; want: number }> {
    const want = Math.min(this.chunkSize, this.to - this.readPos);
    const buf = into ?? Buffer.allocUnsafe(BatchScanner.HEADROOM + this.chunkSize);
    const at = this.readPos;
    return readFully(this.file, buf, BatchScanner.HEADROOM, want, at).then((n) => ({ buf, n, want }));
  }

  /** Reads the next chunk; false when the walk is over. */
  async fill(): Promise<boolean> {
    if (this.stop !== null) return false;
    const carryStart = this.bufStart + (this.position - this.bufPos);
    const carryLen = this.bufLen - (this.position - this.bufPos);
    if (this.readPos >= this.to) {
      // Nothing more to read: what is left cannot be a whole batch (next() would have taken it).
      this.stop = this.position >= this.to ? (this.short ? 'truncated' : 'end') : 'truncated';
      return false;
    }
    if (this.prefetch) {
      const got = await (this.ahead ?? this.readAhead(this.spare.pop()));
      this.ahead = null;
      const old = this.buffer;
      this.readPos += got.n;
      if (got.n < got.want) {
        this.to = this.readPos;
        this.short = true;
      }
      if (carryLen <= BatchScanner.HEADROOM) {
        old.copy(got.buf, BatchScanner.HEADROOM - carryLen, carryStart, carryStart + carryLen);
        this.buffer = got.buf;
        this.bufStart = BatchScanner.HEADROOM - carryLen;
      } else {
        const joined = Buffer.allocUnsafe(carryLen + got.n);
        old.copy(joined, 0, carryStart, carryStart + carryLen);
        got.buf.copy(joined, carryLen, BatchScanner.HEADROOM, BatchScanner.HEADROOM + got.n);
        this.buffer = joined;
        this.bufStart = 0;
        this.spare.push(got.buf);
      }
      if (old.length === BatchScanner.HEADROOM + this.chunkSize && this.spare.length < 2) this.spare.push(old);
      this.bufPos = this.position;
      this.bufLen = carryLen + got.n;
      if (this.readPos < this.to) this.ahead = this.readAhead(this.spare.pop());
      return true;
    }
    const want = Math.min(this.chunkSize, this.to - this.readPos);
    let buf = this.buffer;
    if (buf.length < carryLen + want) {
      buf = Buffer.allocUnsafe(carryLen + want);
      this.buffer.copy(buf, 0, carryStart, carryStart + carryLen);
    } else if (carryLen > 0) {
      buf.copyWithin(0, carryStart, carryStart + carryLen);
    }
    const n = await readFully(this.file, buf, carryLen, want, this.readPos);
    this.readPos += n;
    if (n < want) {
      // The file is shorter than expected: its tail is torn.
      this.to = this.readPos;
      this.short = true;
    }
    this.buffer = buf;
    this.bufStart = 0;
    this.bufPos = this.position;
    this.bufLen = carryLen + n;
    return true;
  }

  /** Moves to the next whole batch of what was read; false when more must be read or the walk stopped. */
  next(): boolean {
    if (this.stop !== null) return false;
    const pos = this.position;
    if (pos >= this.to) {
      this.stop = this.short ? 'truncated' : 'end';
      return false;
    }
    const buf = this.buffer;
    const off = this.bufStart + (pos - this.bufPos);
    const avail = this.bufLen - (pos - this.bufPos);
    if (avail < LOG_OVERHEAD + 5) {
      if (this.to - pos < LOG_OVERHEAD + 5) this.stop = 'truncated';
      return false;
    }
    const length = buf.readInt32BE(off + BATCH_LENGTH_OFFSET);
    if (length < MIN_BATCH_LENGTH) {
      this.stop = 'bad length';
      return false;
    }
    if (buf[off + MAGIC_OFFSET] !== 2) {
      this.stop = 'bad magic';
      return false;
    }
    const size = LOG_OVERHEAD + length;
    if (size > this.to - pos) {
      this.stop = 'truncated';
      return false;
    }
    if (size > avail) return false;
    if (this.verifyCrc && crc32c(buf, off + ATTRIBUTES_OFFSET, off + size) !== buf.readUInt32BE(off + CRC_OFFSET)) {
      this.stop = 'bad crc';
      return false;
    }
    this.start = off;
    this.end = off + size;
    this.batchPosition = pos;
    this.position = pos + size;
    return true;
  }

  /** Waits for a read still in flight (call when abandoning a prefetching walk early). */
  async settle(): Promise<void> {
    if (this.ahead !== null) await this.ahead.catch(() => undefined);
    this.ahead = null;
  }

  get baseOffset(): bigint {
    return this.buffer.readBigInt64BE(this.start + BASE_OFFSET_OFFSET);
  }
  get lastOffset(): bigint {
    return this.baseOffset + BigInt(this.buffer.readInt32BE(this.start + LAST_OFFSET_DELTA_OFFSET));
  }
  get maxTimestamp(): bigint {
    return this.buffer.readBigInt64BE(this.start + MAX_TIMESTAMP_OFFSET);
  }
  get size(): number {
    return this.end - this.start;
  }
  view(): RecordBatchView {
    return new RecordBatchView(this.buffer, this.start, this.end);
  }
}

/**
 * What is wrong with the batch header at `chunk[off]` (file position `pos`, the readable bytes
 * ending at `end`), or null when the walk can trust it: a whole header, a length that fits, magic
 * 2, and a base offset `base` that follows `prevNext` (the offset after the previous batch; -1 for
 * none).
 */
function headerDamage(chunk: Buffer, off: number, pos: number, end: number, base: bigint, prevNext: bigint): string | null {
  if (chunk.length - off < RECORD_BATCH_HEADER_SIZE) return `${end - pos} bytes left, less than a batch header`;
  const length = chunk.readInt32BE(off + BATCH_LENGTH_OFFSET);
  if (length < MIN_BATCH_LENGTH) return `impossible batch length ${length}`;
  if (pos + LOG_OVERHEAD + length > end) return `a batch of ${LOG_OVERHEAD + length} bytes runs past the end of the segment (${end})`;
  const magic = chunk[off + MAGIC_OFFSET];
  if (magic !== 2) return `magic ${magic}, not 2`;
  const delta = chunk.readInt32BE(off + LAST_OFFSET_DELTA_OFFSET);
  if (delta < 0) return `negative last offset delta ${delta}`;
  if (prevNext >= 0n && base < prevNext) return `base offset ${base} after a batch ending at ${prevNext - 1n}`;
  return null;
}

/**
 * The first record of a stored batch with timestamp >= `timestamp` and offset >= `minOffset`
 * (Kafka decodes the one batch it lands on, so ListOffsets answers with a record's offset). Falls
 * back to the batch itself if its records cannot be decoded.
 */
export function firstRecordAtOrAfter(view: RecordBatchView, timestamp: bigint, minOffset: bigint): TimestampOffset | null {
  try {
    for (const r of view.records()) {
      if (r.timestamp >= timestamp && r.offset >= minOffset) return { offset: r.offset, timestamp: r.timestamp };
    }
    return null;
  } catch {
    const base = view.baseOffset;
    return { offset: base > minOffset ? base : minOffset, timestamp: view.maxTimestamp };
  }
}

/** The first record of a batch carrying exactly `timestamp` (ListOffsets MAX_TIMESTAMP). */
export function recordWithTimestamp(view: RecordBatchView, timestamp: bigint): TimestampOffset {
  try {
    for (const r of view.records()) if (r.timestamp === timestamp) return { offset: r.offset, timestamp };
  } catch {
    // fall through: undecodable records, answer with the batch
  }
  return { offset: view.lastOffset, timestamp };
}

// ---------------------------------------------------------------------------------------------
// The segment.
// ---------------------------------------------------------------------------------------------

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

/**
 * The offsets named by the batch headers that can still be walked in `file[from, to)`, from
 * `next` on and in sequence (recovery reports what it is about to cut): whole batches, then the
 * header of a batch cut short. Reads only the bytes being dropped.
 */
async function droppedOffsets(file: StorageFile, from: number, to: number, next: bigint): Promise<{ first: bigint; last: bigint } | null> {
  const scanner = new BatchScanner(file, from, to, 1 << 20, false);
  let first: bigint | null = null;
  let last = next - 1n;
  try {
    walk: while (await scanner.fill()) {
      while (scanner.next()) {
        const base = scanner.baseOffset;
        const lastOffset = scanner.lastOffset;
        if (base !== last + 1n || lastOffset < base) break walk;
        first ??= base;
        last = lastOffset;
      }
      if (scanner.stop !== null) break;
    }
    await scanner.settle();
    // A batch cut short still names its offsets in its header.
    if (to - scanner.position >= RECORD_BATCH_HEADER_SIZE) {
      const head = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE);
      if ((await readFully(file, head, 0, RECORD_BATCH_HEADER_SIZE, scanner.position)) === RECORD_BATCH_HEADER_SIZE && head[MAGIC_OFFSET] === 2) {
        const base = head.readBigInt64BE(BASE_OFFSET_OFFSET);
        const delta = head.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
        if (base === last + 1n && delta >= 0) {
          first ??= base;
          last = base + BigInt(delta);
        }
      }
    }
  } catch {
    // Best effort: the damage may be unreadable too; what was found so far stands.
  }
  return first === null ? null : { first, last };
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
   * largest timestamp as seal() does.
   */
  async rebuildIndexes(config: LogConfig, verifyCrc: boolean): Promise<RecoveryResult> {
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
      [this.logPath, this.indexPath, this.timeIndexPath].map((p) =>
        rename(p, p + DELETED_SUFFIX).catch((e: unknown) => {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }),
      ),
    );
  }

  /** Closes the handle (now, or when the last read finishes) and removes the `.deleted` files. */
  async destroy(): Promise<void> {
    await Promise.all([this.logPath, this.indexPath, this.timeIndexPath].map((p) => unlink(p + DELETED_SUFFIX).catch(() => undefined)));
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
