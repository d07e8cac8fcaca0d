/**
 * Walking the record batches of a segment's `.log` file by their headers, and judging the damage a
 * header shows: used by recovery (how much of a file is valid, what a cut drops) and by reads (a
 * header that cannot be right ends a read instead of being trusted).
 *
 * The file format is the one in log-segment.ts: v2 record batches back to back, each
 * `baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 | ...`,
 * so the walk needs only the length fields; the CRC32C covers the bytes from the attributes on.
 *
 * Concurrency: a scanner reads a file through its own positional reads and never writes it; the
 * caller keeps the range it walks from being truncated meanwhile (the partition serializes
 * truncation and recovery with appends).
 */
import {
  BASE_OFFSET_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  ATTRIBUTES_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchView,
  crc32c,
} from '../protocol/records/index.js';
import { readFully } from './segment-files.js';
import type { StorageFile } from './segment-files.js';

/** Smallest valid batchLength of a v2 batch (61-byte header minus the 12-byte log overhead). */
const MIN_BATCH_LENGTH = RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD;

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
      // A walk that carries a partial batch over keeps carrying one: room for a carry of up to
      // HEADROOM lets every later chunk reuse this buffer instead of allocating a new megabyte
      // (the allocations drove old-space collections that paused the event loop).
      buf = Buffer.allocUnsafe(carryLen > 0 ? Math.max(carryLen + want, want + BatchScanner.HEADROOM) : want);
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
  get partitionLeaderEpoch(): number {
    return this.buffer.readInt32BE(this.start + PARTITION_LEADER_EPOCH_OFFSET);
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
export function headerDamage(chunk: Buffer, off: number, pos: number, end: number, base: bigint, prevNext: bigint): string | null {
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
 * The offsets named by the batch headers that can still be walked in `file[from, to)`, from
 * `next` on and in sequence (recovery reports what it is about to cut): whole batches, then the
 * header of a batch cut short. Reads only the bytes being dropped.
 */
export async function droppedOffsets(file: StorageFile, from: number, to: number, next: bigint): Promise<{ first: bigint; last: bigint } | null> {
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

