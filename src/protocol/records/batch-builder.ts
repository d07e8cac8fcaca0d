/**
 * Builds v2 record batches (layout in record-batch.ts): sizes every record first, writes them into
 * one exactly-sized buffer, compresses the records section when asked, then fills the header and the
 * CRC32C. Used by tests, the broker's internal logs (coordinator records, transaction markers) and
 * legacy conversions.
 */
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../varint.js';
import { compress, CompressionCodec, isCompressionCodec } from './compression/index.js';
import { crc32c } from './crc32c.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CONTROL_FLAG,
  ControlRecordType,
  CRC_OFFSET,
  DELETE_HORIZON_FLAG,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  NO_TIMESTAMP,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_HEADER_SIZE,
  RECORDS_COUNT_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TimestampType,
  TRANSACTIONAL_FLAG,
} from './record-batch.js';

export type BytesInput = Buffer | Uint8Array | string | null | undefined;

export interface RecordHeaderInput {
  key: string;
  value: BytesInput;
}

export interface RecordInput {
  key?: BytesInput;
  value?: BytesInput;
  headers?: readonly RecordHeaderInput[];
  /** Milliseconds since the epoch; defaults to the batch's `now`. */
  timestamp?: bigint | number;
  /** Defaults to the record's index (set it to leave gaps, as compaction does). */
  offsetDelta?: number;
}

export interface RecordBatchOptions {
  baseOffset?: bigint | number;
  /** Codec code (CompressionCodec); default none. */
  compression?: CompressionCodec;
  producerId?: bigint | number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  timestampType?: TimestampType;
  /** maxTimestamp under LogAppendTime; defaults to `now`. */
  logAppendTime?: bigint | number;
  partitionLeaderEpoch?: number;
  /** Sets the delete-horizon attribute (KIP-534) and stores it as baseTimestamp. */
  deleteHorizonMs?: bigint | number;
  /** Overrides lastOffsetDelta (for an empty batch that keeps its offset range, as compaction leaves). */
  lastOffsetDelta?: number;
  /** Clock for records without a timestamp and for LogAppendTime; defaults to Date.now(). */
  now?: bigint | number;
}

/** Views share the caller's memory: a record's key or value is copied once, into the batch. */
export function toBytes(input: BytesInput): Buffer | null {
  if (input === null || input === undefined) return null;
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  if (Buffer.isBuffer(input)) return input;
  return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

function sizeOfBytes(b: Buffer | null): number {
  return b === null ? 1 : sizeOfVarint(b.length) + b.length;
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  b.copy(buf, pos);
  return pos + b.length;
}

interface PreparedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headerKeys: Buffer[];
  headerValues: (Buffer | null)[];
  timestampDelta: bigint;
  offsetDelta: number;
  bodySize: number;
}

/**
 * Encodes the records section (uncompressed) of a batch. Exported for down-conversion and tests;
 * most callers want buildRecordBatch.
 */
export function encodeRecords(
  records: readonly RecordInput[],
  baseTimestamp: bigint,
  now: bigint,
): { bytes: Buffer; maxTimestamp: bigint; lastOffsetDelta: number } {
  const prepared = new Array<PreparedRecord>(records.length);
  let total = 0;
  let maxTimestamp = NO_TIMESTAMP;
  let lastOffsetDelta = -1;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const ts = r.timestamp === undefined ? now : BigInt(r.timestamp);
    if (ts > maxTimestamp) maxTimestamp = ts;
    const offsetDelta = r.offsetDelta ?? i;
    if (!Number.isInteger(offsetDelta) || offsetDelta < 0 || offsetDelta > INT32_MAX) {
      throw new RangeError(`offsetDelta ${offsetDelta} is not a non-negative int32`);
    }
    lastOffsetDelta = offsetDelta;
    const key = toBytes(r.key);
    const value = toBytes(r.value);
    const headers = r.headers ?? [];
    const headerKeys = new Array<Buffer>(headers.length);
    const headerValues = new Array<Buffer | null>(headers.length);
    let headersSize = sizeOfVarint(headers.length);
    for (let h = 0; h < headers.length; h++) {
      const hk = Buffer.from(headers[h].key, 'utf8');
      const hv = toBytes(headers[h].value);
      headerKeys[h] = hk;
      headerValues[h] = hv;
      headersSize += sizeOfVarint(hk.length) + hk.length + sizeOfBytes(hv);
    }
    const timestampDelta = ts - baseTimestamp;
    const bodySize =
      1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta) + sizeOfBytes(key) + sizeOfBytes(value) + headersSize;
    prepared[i] = { key, value, headerKeys, headerValues, timestampDelta, offsetDelta, bodySize };
    total += sizeOfVarint(bodySize) + bodySize;
  }
  const bytes = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const p of prepared) {
    pos = writeVarint(bytes, pos, p.bodySize);
    bytes[pos++] = 0; // record attributes: unused
    const d = p.timestampDelta;
    pos = d >= INT32_MIN && d <= INT32_MAX ? writeVarint(bytes, pos, Number(d)) : writeVarlong(bytes, pos, d);
    pos = writeVarint(bytes, pos, p.offsetDelta);
    pos = writeBytes(bytes, pos, p.key);
    pos = writeBytes(bytes, pos, p.value);
    pos = writeVarint(bytes, pos, p.headerKeys.length);
    for (let h = 0; h < p.headerKeys.length; h++) {
      pos = writeBytes(bytes, pos, p.headerKeys[h]);
      pos = writeBytes(bytes, pos, p.headerValues[h]);
    }
  }
  return { bytes, maxTimestamp, lastOffsetDelta };
}

/** Builds one v2 record batch holding `records`. */
export function buildRecordBatch(records: readonly RecordInput[], options: RecordBatchOptions = {}): Buffer {
  const codec = options.compression ?? CompressionCodec.None;
  if (!isCompressionCodec(codec)) throw new RangeError(`unknown compression codec ${String(codec)}`);
  const now = BigInt(options.now ?? Date.now());
  const timestampType = options.timestampType ?? TimestampType.CreateTime;
  const deleteHorizon = options.deleteHorizonMs === undefined ? null : BigInt(options.deleteHorizonMs);

  let baseTimestamp: bigint;
  if (deleteHorizon !== null) baseTimestamp = deleteHorizon;
  else if (records.length === 0) baseTimestamp = NO_TIMESTAMP;
  else baseTimestamp = records[0].timestamp === undefined ? now : BigInt(records[0].timestamp);

  const encoded = encodeRecords(records, baseTimestamp, now);
  let maxTimestamp = encoded.maxTimestamp;
  if (timestampType === TimestampType.LogAppendTime) maxTimestamp = BigInt(options.logAppendTime ?? now);
  const lastOffsetDelta = options.lastOffsetDelta ?? Math.max(encoded.lastOffsetDelta, 0);

  const body = codec === CompressionCodec.None ? encoded.bytes : compress(codec, encoded.bytes);
  const size = RECORD_BATCH_HEADER_SIZE + body.length;
  const out = Buffer.allocUnsafe(size);
  let attributes = codec;
  if (timestampType === TimestampType.LogAppendTime) attributes |= TIMESTAMP_TYPE_MASK;
  if (options.transactional) attributes |= TRANSACTIONAL_FLAG;
  if (options.control) attributes |= CONTROL_FLAG;
  if (deleteHorizon !== null) attributes |= DELETE_HORIZON_FLAG;

  out.writeBigInt64BE(BigInt(options.baseOffset ?? 0), BASE_OFFSET_OFFSET);
  out.writeInt32BE(size - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  out.writeInt32BE(options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH_OFFSET);
  out.writeInt8(2, MAGIC_OFFSET);
  out.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  out.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
  out.writeBigInt64BE(baseTimestamp, BASE_TIMESTAMP_OFFSET);
  out.writeBigInt64BE(maxTimestamp, MAX_TIMESTAMP_OFFSET);
  out.writeBigInt64BE(BigInt(options.producerId ?? NO_PRODUCER_ID), PRODUCER_ID_OFFSET);
  out.writeInt16BE(options.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH_OFFSET);
  out.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE_OFFSET);
  out.writeInt32BE(records.length, RECORDS_COUNT_OFFSET);
  body.copy(out, RECORD_BATCH_HEADER_SIZE);
  out.writeUInt32BE(crc32c(out, ATTRIBUTES_OFFSET, size), CRC_OFFSET);
  return out;
}

export interface EndTxnMarkerOptions {
  /** true for COMMIT, false for ABORT. */
  commit: boolean;
  coordinatorEpoch: number;
  producerId: bigint | number;
  producerEpoch: number;
  baseOffset?: bigint | number;
  partitionLeaderEpoch?: number;
  timestamp?: bigint | number;
}

/**
 * The control batch ending a transaction: transactional + control attributes, one record whose key is
 * (version 0, type ABORT/COMMIT) and whose value is (version 0, coordinatorEpoch), no sequence.
 */
export function buildEndTxnMarkerBatch(options: EndTxnMarkerOptions): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(options.commit ? ControlRecordType.Commit : ControlRecordType.Abort, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(options.coordinatorEpoch, 2);
  const batchOptions: RecordBatchOptions = {
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    baseSequence: NO_SEQUENCE,
    transactional: true,
    control: true,
  };
  if (options.baseOffset !== undefined) batchOptions.baseOffset = options.baseOffset;
  if (options.partitionLeaderEpoch !== undefined) batchOptions.partitionLeaderEpoch = options.partitionLeaderEpoch;
  if (options.timestamp !== undefined) batchOptions.now = options.timestamp;
  return buildRecordBatch([{ key, value }], batchOptions);
}
