/**
 * The log rules the disk and in-memory partition logs share, so both stamp, split and roll at the
 * same batches and answer the same offsets: Kafka's per-segment index accounting, the roll
 * decision (LogSegment.shouldRoll), stamping a batch being appended (base offset, leader epoch,
 * LogAppendTime with its CRC32C), checking an append is whole v2 batches, finding the segment that
 * holds an offset, and locating a record inside a stored batch by timestamp.
 *
 * Nothing here touches a file: the batches are the on-disk v2 record batches (record-batch.ts)
 * held in buffers, modified in place only by stampBatch, before they are written. Pure functions
 * apart from IndexAccounting, which belongs to one segment and is used by its one writer.
 */
import {
  BASE_OFFSET_OFFSET,
  CRC_OFFSET,
  ATTRIBUTES_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_HEADER_SIZE,
  PARTITION_LEADER_EPOCH_OFFSET,
  RecordBatchView,
  TIMESTAMP_TYPE_MASK,
  crc32c,
  forEachBatch,
  readControlRecordKey,
} from '../protocol/records/index.js';
import { ProtocolDecodeError } from '../protocol/decode-error.js';
import { offsetRangeProblem } from './log-validator.js';
import { StorageError, UnexpectedAppendOffsetError } from './types.js';
import type { BatchInfo, LogConfig, TimestampOffset } from './types.js';

const INT32_MAX = 0x7fffffffn;
const MAX_SEGMENT_BYTES = 0x7fffffff;

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
 * boundaries, the number of offsets they take (each batch lastOffsetDelta + 1) and where the last
 * ends. Throws ProtocolDecodeError otherwise (the produce path validated them already: this guards
 * the log). With `allowPartialTail` (a fetch response), an incomplete batch at the end, or
 * nothing at all, is allowed: the batches before it are returned.
 */
export function splitForAppend(batches: Buffer, allowPartialTail = false): { starts: number[]; ends: number[]; span: bigint; end: number } {
  const starts: number[] = [];
  const ends: number[] = [];
  let span = 0n;
  if (batches.length === 0 && !allowPartialTail) throw new ProtocolDecodeError('no record batch to append');
  const end = forEachBatch(batches, (start, end, magic) => {
    if (magic !== 2 || end - start < RECORD_BATCH_HEADER_SIZE) throw new ProtocolDecodeError(`cannot store a magic ${magic} entry; record batches v2 only`);
    const delta = batches.readInt32BE(start + LAST_OFFSET_DELTA_OFFSET);
    if (delta < 0) throw new ProtocolDecodeError(`negative lastOffsetDelta ${delta}`);
    starts.push(start);
    ends.push(end);
    span += BigInt(delta) + 1n;
  }, { allowPartialTail });
  return { starts, ends, span, end };
}

/** A follower append split into its batches, with the offsets the leader gave them. */
export interface FollowerAppend {
  /** The whole batches (an incomplete one at the end of a fetch response left out). */
  bytes: Buffer;
  starts: number[];
  ends: number[];
  /** Records in the batches (each batch lastOffsetDelta + 1). */
  span: bigint;
  baseOffsets: bigint[];
  lastOffsets: bigint[];
}

/**
 * Checks batches a leader sent to a follower (Kafka's analyzeAndValidateRecords without offset
 * assignment): v2 batches, each with a CRC32C matching its bytes and a record count matching its
 * offset range, offsets increasing from batch to batch. Reads headers only. As Kafka, an incomplete
 * batch at the end (a fetch response may end in one) is left out, and nothing to append is not an
 * error. Throws StorageError for a damaged batch, UnexpectedAppendOffsetError for offsets that go
 * backwards. Whether they continue the log is for the log to check, against its end when their
 * turn comes.
 */
export function splitForFollowerAppend(batches: Buffer): FollowerAppend {
  let split: { starts: number[]; ends: number[]; span: bigint; end: number };
  try {
    split = splitForAppend(batches, true);
  } catch (e) {
    throw new StorageError(`invalid record batches from the leader: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  const { starts, ends } = split;
  const baseOffsets: bigint[] = [];
  const lastOffsets: bigint[] = [];
  for (let i = 0; i < starts.length; i++) {
    const view = new RecordBatchView(batches, starts[i], ends[i]);
    const base = view.baseOffset;
    if (!view.verifyCrc()) throw new StorageError(`record batch at offset ${base} from the leader is corrupt (stored crc = ${view.crc})`);
    const problem = offsetRangeProblem(view.lastOffsetDelta, view.recordCount);
    if (problem !== null) throw new StorageError(`record batch at offset ${base} from the leader: ${problem}`);
    const last = view.lastOffset;
    const previous = lastOffsets.at(-1);
    if (base < 0n || (previous !== undefined && base <= previous)) {
      throw new UnexpectedAppendOffsetError(
        `out of order offsets in a follower append: batch at ${base} after one ending at ${previous ?? -1n}`,
        baseOffsets.at(0) ?? base,
        lastOffsets.at(0) ?? last,
        -1n,
      );
    }
    baseOffsets.push(base);
    lastOffsets.push(last);
  }
  const bytes = split.end === batches.length ? batches : batches.subarray(0, split.end);
  return { bytes, starts, ends, span: split.span, baseOffsets, lastOffsets };
}

/**
 * Rejects a follower append that does not start at or after the log end offset (Kafka's
 * UnexpectedAppendOffsetException): it overlaps what the log holds.
 */
export function checkFollowerAppendStart(append: FollowerAppend, logEndOffset: bigint): void {
  const first = append.baseOffsets.at(0);
  if (first === undefined || first >= logEndOffset) return;
  throw new UnexpectedAppendOffsetError(
    `follower append starts at offset ${first}, below the log end offset ${logEndOffset}`,
    first,
    append.lastOffsets[0],
    logEndOffset,
  );
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
    controlType: v.isControl ? controlTypeOf(v) : -1,
    partitionLeaderEpoch: v.partitionLeaderEpoch,
  };
}

/**
 * The type of a control batch's control record (its first record's key: version int16, type
 * int16; 0 ABORT, 1 COMMIT, as Kafka's ControlRecordType). -1 when the batch has no record or its
 * key cannot be read: nothing then treats it as a transaction marker.
 */
export function controlTypeOf(v: RecordBatchView): number {
  try {
    for (const r of v.records()) {
      const { version, type } = readControlRecordKey(r.key);
      return version < 0 ? -1 : type;
    }
  } catch {
    // Undecodable records: not a marker anyone can act on.
  }
  return -1;
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

