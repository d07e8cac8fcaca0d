/**
 * The cleaner's judgement of one stored batch (Kafka's Cleaner.cleanInto filter with
 * MemoryRecords.filterTo): which of its records stay, and the bytes that replace it.
 *
 * - A record stays when it is the latest of its key in the offset map (or beyond what the map
 *   covers); a tombstone (null value) stays until the batch's delete horizon has passed. Keyless
 *   records go (a compacted topic refuses them; old data may hold some).
 * - Offsets never change: a rewritten batch keeps its base offset and its lastOffsetDelta (so the
 *   producer's last sequence survives), each record keeps its offset delta and timestamp. Holes are
 *   left for consumers to skip.
 * - KIP-534: the first clean that keeps a tombstone or a removable transaction marker stamps the
 *   batch with a delete horizon (now + delete.retention.ms) in its base timestamp and the
 *   delete-horizon attribute bit; a clean after the horizon removes them.
 * - Batches of aborted transactions go; COMMIT/ABORT markers go once their transaction has no batch
 *   left and their horizon has passed (cleaned-txn-state.ts).
 * - A batch holding a producer's last data (or its last marker) stays, emptied if need be, as an
 *   empty batch header: the producer's sequence and epoch must survive (Kafka's RETAIN_EMPTY); so
 *   does the last batch of the cleaning round, so that the log end offset survives a restart.
 * - A batch whose records all stay is copied as it is; otherwise it is rebuilt with the same codec,
 *   producer fields, leader epoch and timestamp type.
 */
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  CRC_OFFSET,
  DELETE_HORIZON_FLAG,
  LOG_OVERHEAD,
  NO_TIMESTAMP,
  RECORD_BATCH_HEADER_SIZE,
  RECORDS_COUNT_OFFSET,
  RecordBatchView,
  TimestampType,
  buildRecordBatch,
  type CompressionCodec,
  crc32c,
  type BatchRecord,
  type RecordBatchOptions,
  type RecordInput,
} from '../protocol/records/index.js';
import type { CleanedTxnState } from './cleaned-txn-state.js';
import type { OffsetMap } from './offset-map.js';
import { baseOffsetOf, walkRecordKeys, type RecordKeyVisitor } from './record-keys.js';

/** What the cleaner knows of an active producer (Kafka's LastRecord). */
export interface ProducerLastRecord {
  /** Last offset of the producer's last data batch; null when it has none (only markers). */
  lastDataOffset: bigint | null;
  producerEpoch: number;
}

export interface CleanContext {
  map: OffsetMap;
  nowMs: number;
  deleteRetentionMs: number;
  txns: CleanedTxnState;
  producers: ReadonlyMap<bigint, ProducerLastRecord>;
  /** The first offset this round does not clean: the batch ending just before it stays. */
  upperBoundOffset: bigint;
  /** Decompressed bytes allowed per batch. */
  maxRecordsBytes: number;
}

export interface CleanStats {
  batchesRead: number;
  recordsRead: number;
  bytesRead: number;
  recordsRetained: number;
  bytesRetained: number;
}

export function newCleanStats(): CleanStats {
  return { batchesRead: 0, recordsRead: 0, bytesRead: 0, recordsRetained: 0, bytesRetained: 0 };
}

function isLastOfProducer(view: RecordBatchView, producers: ReadonlyMap<bigint, ProducerLastRecord>): boolean {
  const last = producers.get(view.producerId);
  if (last === undefined) return false;
  if (last.lastDataOffset !== null) return view.lastOffset === last.lastDataOffset;
  return view.isControl && view.producerEpoch === last.producerEpoch;
}

/** The empty header Kafka writes for a batch kept only for its producer fields and offsets. */
export function emptyBatchHeader(view: RecordBatchView): Buffer {
  const out = Buffer.from(view.buffer.subarray(view.start, view.start + RECORD_BATCH_HEADER_SIZE));
  out.writeInt32BE(RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  const attrs = view.attributes & ~COMPRESSION_CODEC_MASK & ~DELETE_HORIZON_FLAG;
  out.writeInt16BE(attrs, ATTRIBUTES_OFFSET);
  out.writeBigInt64BE(NO_TIMESTAMP, BASE_TIMESTAMP_OFFSET);
  out.writeInt32BE(0, RECORDS_COUNT_OFFSET);
  out.writeUInt32BE(crc32c(out, ATTRIBUTES_OFFSET, out.length), CRC_OFFSET);
  return out;
}

function rebuild(view: RecordBatchView, records: readonly BatchRecord[], deleteHorizonMs: bigint | null): Buffer {
  const baseTimestamp = view.baseTimestamp;
  const inputs: RecordInput[] = records.map((r) => ({
    key: r.key,
    value: r.value,
    headers: r.headers,
    timestamp: baseTimestamp + r.timestampDelta,
    offsetDelta: r.offsetDelta,
  }));
  const options: RecordBatchOptions = {
    baseOffset: view.baseOffset,
    compression: view.compression as CompressionCodec,
    producerId: view.producerId,
    producerEpoch: view.producerEpoch,
    baseSequence: view.baseSequence,
    transactional: view.isTransactional,
    control: view.isControl,
    timestampType: view.timestampType,
    partitionLeaderEpoch: view.partitionLeaderEpoch,
    lastOffsetDelta: view.lastOffsetDelta,
  };
  if (view.timestampType === TimestampType.LogAppendTime) options.logAppendTime = view.maxTimestamp;
  if (deleteHorizonMs !== null) options.deleteHorizonMs = deleteHorizonMs;
  return buildRecordBatch(inputs, options);
}

/**
 * Judges the records of one batch against the key map: which stay (`keep`), how many, whether a
 * tombstone is among them. One per key map, reused for every batch (a walk is synchronous), so that
 * a batch allocates no closure, flags or counters.
 */
class RecordJudge implements RecordKeyVisitor {
  base = 0;
  latest = -1;
  isControl = false;
  retainDeletes = true;
  index = 0;
  retained = 0;
  tombstones = false;
  keep = new Uint8Array(64);

  constructor(private readonly map: OffsetMap) {}

  reset(count: number): void {
    if (this.keep.length < count) this.keep = new Uint8Array(Math.max(count, this.keep.length * 2));
    else this.keep.fill(0, 0, count);
    this.index = 0;
    this.retained = 0;
    this.tombstones = false;
  }

  record(delta: number, buf: Buffer, keyStart: number, keyLength: number, valueIsNull: boolean): boolean {
    const offset = this.base + delta;
    let kept: boolean;
    if (this.isControl || offset > this.latest) kept = true;
    else if (keyLength < 0) kept = false;
    else kept = offset >= this.map.get(buf, keyStart, keyLength) && (!valueIsNull || this.retainDeletes);
    if (kept) {
      this.keep[this.index] = 1;
      this.retained++;
      if (valueIsNull) this.tombstones = true;
    }
    this.index++;
    return true;
  }
}

const judges = new WeakMap<OffsetMap, RecordJudge>();

function judgeOf(map: OffsetMap): RecordJudge {
  let judge = judges.get(map);
  if (judge === undefined) judges.set(map, (judge = new RecordJudge(map)));
  return judge;
}

/**
 * Cleans one batch (`view`, in offset order within the round): the bytes to write in its place, or
 * null when nothing of it stays.
 */
export function cleanBatch(view: RecordBatchView, ctx: CleanContext, stats: CleanStats): Buffer | null {
  stats.batchesRead++;
  stats.bytesRead += view.sizeInBytes;
  const isControl = view.isControl;
  const canDiscardBatch = isControl ? ctx.txns.onControlBatch(view) : ctx.txns.onBatch(view);
  const horizon = view.deleteHorizonMs;
  const discardRecords = isControl ? canDiscardBatch && horizon !== null && horizon <= BigInt(ctx.nowMs) : canDiscardBatch;
  const base = baseOffsetOf(view);
  const retainEmpty =
    (ctx.producers.size > 0 && view.hasProducerId && isLastOfProducer(view, ctx.producers)) ||
    base + view.lastOffsetDelta + 1 === Number(ctx.upperBoundOffset);
  const markerForEmptyTxn = canDiscardBatch && isControl;

  // Judged from the record bytes; records are decoded into objects only when the batch is rebuilt.
  const count = Math.max(0, view.recordCount);
  const judge = judgeOf(ctx.map);
  judge.reset(count);
  if (!discardRecords) {
    judge.base = base;
    judge.latest = ctx.map.latestOffsetNumber;
    judge.isControl = isControl;
    judge.retainDeletes = horizon === null || BigInt(ctx.nowMs) < horizon;
    walkRecordKeys(view, ctx.maxRecordsBytes, judge);
  }
  stats.recordsRead += count;
  const retained = judge.retained;

  if (retained > 0) {
    const needHorizon = (judge.tombstones || markerForEmptyTxn) && horizon === null;
    let out: Buffer;
    if (retained === count && !needHorizon) out = view.buffer.subarray(view.start, view.end);
    else {
      const keep = judge.keep;
      const records = view.readRecords(ctx.maxRecordsBytes).filter((_, i) => keep[i] === 1);
      out = rebuild(view, records, needHorizon ? BigInt(ctx.nowMs) + BigInt(ctx.deleteRetentionMs) : horizon);
    }
    stats.recordsRetained += retained;
    stats.bytesRetained += out.length;
    return out;
  }
  if (retainEmpty) {
    const out = emptyBatchHeader(view);
    stats.bytesRetained += out.length;
    return out;
  }
  return null;
}
