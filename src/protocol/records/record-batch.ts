/**
 * Record batch v2 (magic 2, KIP-98), read in place.
 *
 * A batch is a 61-byte header followed by the records section (compressed as a whole when the
 * attributes name a codec):
 *
 * | offset | field                 | type    | notes                                               |
 * |-------:|-----------------------|---------|-----------------------------------------------------|
 * |      0 | baseOffset            | int64   | written by the broker on append                     |
 * |      8 | batchLength           | int32   | bytes after this field: total size = 12 + length    |
 * |     12 | partitionLeaderEpoch  | int32   | written by the broker; outside the CRC              |
 * |     16 | magic                 | int8    | 2 (magic sits at byte 16 for v0/v1 messages too)    |
 * |     17 | crc                   | uint32  | CRC32C of bytes 21..end                             |
 * |     21 | attributes            | int16   | bits 0-2 codec, 3 timestamp type, 4 transactional,  |
 * |        |                       |         | 5 control, 6 delete horizon (KIP-534)               |
 * |     23 | lastOffsetDelta       | int32   |                                                     |
 * |     27 | baseTimestamp         | int64   | the delete horizon when bit 6 is set                |
 * |     35 | maxTimestamp          | int64   | the log append time under LogAppendTime             |
 * |     43 | producerId            | int64   | -1 without idempotence                              |
 * |     51 | producerEpoch         | int16   |                                                     |
 * |     53 | baseSequence          | int32   |                                                     |
 * |     57 | recordCount           | int32   |                                                     |
 * |     61 | records               |         |                                                     |
 *
 * Each record: length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 * key (varint length, -1 = null, then bytes) | value (same) | header count varint |
 * headers (key: varint length + UTF-8, never null; value: varint length, -1 = null, then bytes).
 *
 * The broker keeps batches as bytes: it reads header fields through a RecordBatchView, writes the
 * base offset, leader epoch and (for LogAppendTime) max timestamp in place, and only iterates records
 * when it must. splitBatches/forEachBatch walk a buffer of concatenated batches (magic 0/1 message
 * entries included) by their length fields.
 */
import { ProtocolDecodeError } from '../decode-error.js';
import { cursor, readVarint, readVarlong } from '../varint.js';
import { decompress } from './compression/index.js';
import { crc32c } from './crc32c.js';

/** baseOffset + batchLength (the "log overhead" every entry, of every magic, starts with). */
export const LOG_OVERHEAD = 12;
/** Size of the v2 batch header, up to and including the record count. */
export const RECORD_BATCH_HEADER_SIZE = 61;

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;

export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_FLAG = 0x10;
export const CONTROL_FLAG = 0x20;
export const DELETE_HORIZON_FLAG = 0x40;

export const TimestampType = {
  CreateTime: 0,
  LogAppendTime: 1,
} as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

/** Kafka's "no timestamp" value (v0 messages, empty batches). */
export const NO_TIMESTAMP = -1n;
/** Producer id, epoch and sequence of a batch written without idempotence. */
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

/**
 * Decompressed records of one batch are bounded by this unless the caller passes its own bound.
 * A record batch read from the wire is at most message.max.bytes compressed; this caps what it may
 * inflate to.
 */
export const DEFAULT_MAX_RECORDS_BYTES = 64 * 1024 * 1024;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** One record of a batch. key, value and header values are views into the batch (or its decompressed records). */
export interface BatchRecord {
  offsetDelta: number;
  timestampDelta: bigint;
  /** baseOffset + offsetDelta. */
  offset: bigint;
  /** baseTimestamp + timestampDelta; under LogAppendTime the batch's maxTimestamp. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Control record types (the key of a control record: int16 version, int16 type). */
export const ControlRecordType = {
  Abort: 0,
  Commit: 1,
} as const;

/** Decodes a control record's key: { version, type }. */
export function readControlRecordKey(key: Buffer | null): { version: number; type: number } {
  if (key === null || key.length < 4) throw new ProtocolDecodeError('control record key is shorter than 4 bytes');
  return { version: key.readInt16BE(0), type: key.readInt16BE(2) };
}

/** Decodes an end-transaction marker's value: { version, coordinatorEpoch }. */
export function readEndTxnMarkerValue(value: Buffer | null): { version: number; coordinatorEpoch: number } {
  if (value === null || value.length < 6) throw new ProtocolDecodeError('end transaction marker is shorter than 6 bytes');
  return { version: value.readInt16BE(0), coordinatorEpoch: value.readInt32BE(2) };
}

/**
 * A v2 record batch over `buffer[start, end)`, read and written in place. The constructor checks the
 * size, the magic and that batchLength matches the slice; it does not check the CRC (verifyCrc).
 */
export class RecordBatchView {
  readonly buffer: Buffer;
  readonly start: number;
  readonly end: number;

  constructor(buffer: Buffer, start = 0, end = buffer.length) {
    if (start < 0 || end > buffer.length || start > end) {
      throw new RangeError(`batch range [${start}, ${end}) is outside a buffer of ${buffer.length} bytes`);
    }
    const size = end - start;
    if (size < RECORD_BATCH_HEADER_SIZE) {
      throw new ProtocolDecodeError(`record batch of ${size} bytes is shorter than its ${RECORD_BATCH_HEADER_SIZE}-byte header`);
    }
    const magic = buffer.readInt8(start + MAGIC_OFFSET);
    if (magic !== 2) throw new ProtocolDecodeError(`record batch magic ${magic} is not 2`);
    const length = buffer.readInt32BE(start + BATCH_LENGTH_OFFSET);
    if (length !== size - LOG_OVERHEAD) {
      throw new ProtocolDecodeError(`record batch length ${length} does not match its ${size - LOG_OVERHEAD} bytes`);
    }
    this.buffer = buffer;
    this.start = start;
    this.end = end;
  }

  /** The batch starting at `start`, its end taken from its batchLength field. */
  static at(buffer: Buffer, start = 0): RecordBatchView {
    if (buffer.length - start < LOG_OVERHEAD) throw new ProtocolDecodeError('truncated record batch');
    const length = buffer.readInt32BE(start + BATCH_LENGTH_OFFSET);
    if (length < 0 || length > buffer.length - start - LOG_OVERHEAD) {
      throw new ProtocolDecodeError(`record batch length ${length} runs past the end of the buffer`);
    }
    return new RecordBatchView(buffer, start, start + LOG_OVERHEAD + length);
  }

  /** Total size in bytes (12 + batchLength). */
  get sizeInBytes(): number {
    return this.end - this.start;
  }
  /** The batch's bytes (a view, no copy). */
  get bytes(): Buffer {
    return this.buffer.subarray(this.start, this.end);
  }

  get baseOffset(): bigint {
    return this.buffer.readBigInt64BE(this.start + BASE_OFFSET_OFFSET);
  }
  get batchLength(): number {
    return this.buffer.readInt32BE(this.start + BATCH_LENGTH_OFFSET);
  }
  get partitionLeaderEpoch(): number {
    return this.buffer.readInt32BE(this.start + PARTITION_LEADER_EPOCH_OFFSET);
  }
  get magic(): number {
    return this.buffer.readInt8(this.start + MAGIC_OFFSET);
  }
  get crc(): number {
    return this.buffer.readUInt32BE(this.start + CRC_OFFSET);
  }
  get attributes(): number {
    return this.buffer.readInt16BE(this.start + ATTRIBUTES_OFFSET);
  }
  /** Compression codec code (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd; 5-7 are invalid). */
  get compression(): number {
    return this.attributes & COMPRESSION_CODEC_MASK;
  }
  get timestampType(): TimestampType {
    return (this.attributes & TIMESTAMP_TYPE_MASK) !== 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;
  }
  get isTransactional(): boolean {
    return (this.attributes & TRANSACTIONAL_FLAG) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & CONTROL_FLAG) !== 0;
  }
  get hasDeleteHorizon(): boolean {
    return (this.attributes & DELETE_HORIZON_FLAG) !== 0;
  }
  get lastOffsetDelta(): number {
    return this.buffer.readInt32BE(this.start + LAST_OFFSET_DELTA_OFFSET);
  }
  get baseTimestamp(): bigint {
    return this.buffer.readBigInt64BE(this.start + BASE_TIMESTAMP_OFFSET);
  }
  /** The delete horizon (KIP-534) when hasDeleteHorizon, else null. */
  get deleteHorizonMs(): bigint | null {
    return this.hasDeleteHorizon ? this.baseTimestamp : null;
  }
  get maxTimestamp(): bigint {
    return this.buffer.readBigInt64BE(this.start + MAX_TIMESTAMP_OFFSET);
  }
  get producerId(): bigint {
    return this.buffer.readBigInt64BE(this.start + PRODUCER_ID_OFFSET);
  }
  get producerEpoch(): number {
    return this.buffer.readInt16BE(this.start + PRODUCER_EPOCH_OFFSET);
  }
  get baseSequence(): number {
    return this.buffer.readInt32BE(this.start + BASE_SEQUENCE_OFFSET);
  }
  get recordCount(): number {
    return this.buffer.readInt32BE(this.start + RECORDS_COUNT_OFFSET);
  }
  /** baseOffset + lastOffsetDelta. */
  get lastOffset(): bigint {
    return this.baseOffset + BigInt(this.lastOffsetDelta);
  }
  /** lastOffset + 1: the offset the next batch starts at. */
  get nextOffset(): bigint {
    return this.lastOffset + 1n;
  }
  /** The sequence of the last record, wrapping at int32 as Kafka does; -1 without a producer. */
  get lastSequence(): number {
    const base = this.baseSequence;
    if (base === NO_SEQUENCE) return NO_SEQUENCE;
    return (base + this.lastOffsetDelta) & 0x7fffffff;
  }
  get hasProducerId(): boolean {
    return this.producerId >= 0n;
  }

  /** Writes the base offset (outside the CRC: no recomputation needed). */
  setBaseOffset(offset: bigint): void {
    this.buffer.writeBigInt64BE(offset, this.start + BASE_OFFSET_OFFSET);
  }

  /** Writes the partition leader epoch (outside the CRC: no recomputation needed). */
  setPartitionLeaderEpoch(epoch: number): void {
    this.buffer.writeInt32BE(epoch, this.start + PARTITION_LEADER_EPOCH_OFFSET);
  }

  /**
   * Writes the timestamp type bit and maxTimestamp, then recomputes the CRC (both are inside it).
   * The broker calls this with LogAppendTime and its clock when the topic's
   * message.timestamp.type is LogAppendTime. Nothing is written when both already match.
   */
  setMaxTimestamp(timestampType: TimestampType, maxTimestamp: bigint): void {
    if (this.timestampType === timestampType && this.maxTimestamp === maxTimestamp) return;
    const attrs = this.attributes;
    const next = timestampType === TimestampType.LogAppendTime ? attrs | TIMESTAMP_TYPE_MASK : attrs & ~TIMESTAMP_TYPE_MASK;
    this.buffer.writeInt16BE(next, this.start + ATTRIBUTES_OFFSET);
    this.buffer.writeBigInt64BE(maxTimestamp, this.start + MAX_TIMESTAMP_OFFSET);
    this.recomputeCrc();
  }

  /** CRC32C over attributes..end, as it should be stored. */
  computeCrc(): number {
    return crc32c(this.buffer, this.start + ATTRIBUTES_OFFSET, this.end);
  }

  /** True when the stored CRC matches the bytes. */
  verifyCrc(): boolean {
    return this.computeCrc() === this.crc;
  }

  /** Recomputes and stores the CRC after an in-place change. */
  recomputeCrc(): void {
    this.buffer.writeUInt32BE(this.computeCrc(), this.start + CRC_OFFSET);
  }

  /**
   * The records section, decompressed when the batch is compressed: `{ buffer, start, end }`.
   * Uncompressed batches return a range of the batch's own buffer. Throws ProtocolDecodeError for a
   * bad codec, corrupt data, or more than `maxBytes` of decompressed records.
   */
  recordsSection(maxBytes = DEFAULT_MAX_RECORDS_BYTES): { buffer: Buffer; start: number; end: number } {
    const codec = this.compression;
    const from = this.start + RECORDS_OFFSET;
    if (codec === 0) return { buffer: this.buffer, start: from, end: this.end };
    const plain = decompress(codec, this.buffer.subarray(from, this.end), maxBytes);
    return { buffer: plain, start: 0, end: plain.length };
  }

  /**
   * Iterates the records, decompressing first when needed (at most `maxBytes` decompressed).
   * Throws ProtocolDecodeError for malformed records, a record count that does not match the
   * records section, or trailing bytes.
   */
  *records(maxBytes = DEFAULT_MAX_RECORDS_BYTES): Generator<BatchRecord, void, undefined> {
    const count = this.recordCount;
    if (count < 0) throw new ProtocolDecodeError(`negative record count ${count}`);
    const { buffer, start, end } = this.recordsSection(maxBytes);
    const baseOffset = this.baseOffset;
    const baseTimestamp = this.baseTimestamp;
    const logAppendTime = this.timestampType === TimestampType.LogAppendTime ? this.maxTimestamp : null;
    let pos = start;
    for (let i = 0; i < count; i++) {
      if (pos >= end) throw new ProtocolDecodeError(`record batch holds fewer than its ${count} records`);
      const record = readRecord(buffer, pos, end, baseOffset, baseTimestamp, logAppendTime);
      pos = recordEnd;
      yield record;
    }
    if (pos !== end) throw new ProtocolDecodeError(`record batch has ${end - pos} bytes after its ${count} records`);
  }

  /** All records as an array (see records()). */
  readRecords(maxBytes = DEFAULT_MAX_RECORDS_BYTES): BatchRecord[] {
    return Array.from(this.records(maxBytes));
  }

  /**
   * The largest record timestamp of an uncompressed batch (CreateTime), from the records
   * themselves rather than the header (see maxRecordTimestamp). Throws for a compressed batch.
   */
  maxRecordTimestamp(): bigint {
    if (this.compression !== 0) throw new Error('maxRecordTimestamp needs the decompressed records');
    return maxRecordTimestamp(this.buffer, this.start + RECORDS_OFFSET, this.end, this.recordCount, this.baseTimestamp);
  }
}

/** 2^49: a varlong of up to 7 bytes stays exact in a double. */
const SMALL_VARLONG_BYTES = 7;

/**
 * The largest record timestamp (baseTimestamp + the largest timestampDelta; NO_TIMESTAMP for no
 * records) of the `count` uncompressed records in `buf[start, end)`. Reads only each record's
 * length and timestamp delta and skips the rest, so it costs a few bytes per record, not a decode.
 * Throws ProtocolDecodeError when the lengths do not walk exactly `count` records to `end`.
 */
export function maxRecordTimestamp(buf: Buffer, start: number, end: number, count: number, baseTimestamp: bigint): bigint {
  if (count < 0) throw new ProtocolDecodeError(`negative record count ${count}`);
  if (count === 0) return NO_TIMESTAMP;
  let maxDelta = -Infinity;
  let bigMax: bigint | null = null;
  let pos = start;
  for (let i = 0; i < count; i++) {
    if (pos >= end) throw new ProtocolDecodeError(`record batch holds fewer than its ${count} records`);
    const length = readVarint(buf, pos, end);
    pos = cursor.pos;
    if (length < 1 || length > end - pos) throw new ProtocolDecodeError(`record length ${length} runs past the end of the records`);
    const recEnd = pos + length;
    // The timestamp delta follows the attributes byte: zigzag varlong, in doubles while exact.
    let p = pos + 1;
    let raw = 0;
    let scale = 1;
    let small = false;
    for (let k = 0; k < SMALL_VARLONG_BYTES && p < recEnd; k++) {
      const b = buf[p++];
      raw += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) {
        small = true;
        break;
      }
    }
    if (small) {
      const delta = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      if (delta > maxDelta) maxDelta = delta;
    } else {
      const delta = readVarlong(buf, pos + 1, recEnd);
      if (bigMax === null || delta > bigMax) bigMax = delta;
    }
    pos = recEnd;
  }
  if (pos !== end) throw new ProtocolDecodeError(`record batch has ${end - pos} bytes after its ${count} records`);
  let max = maxDelta === -Infinity ? null : BigInt(maxDelta);
  if (bigMax !== null && (max === null || bigMax > max)) max = bigMax;
  // count > 0 records walked to `end`, and each set one of the two.
  return max === null ? NO_TIMESTAMP : baseTimestamp + max;
}

/** Position after the record last read by readRecord. */
let recordEnd = 0;

function readBytes(buf: Buffer, pos: number, end: number, what: string): Buffer | null {
  const len = readVarint(buf, pos, end);
  pos = cursor.pos;
  if (len < 0) {
    if (len !== -1) throw new ProtocolDecodeError(`invalid ${what} length ${len}`);
    recordEnd = pos;
    return null;
  }
  if (len > end - pos) throw new ProtocolDecodeError(`${what} of ${len} bytes runs past the end of its record`);
  recordEnd = pos + len;
  return buf.subarray(pos, pos + len);
}

/**
 * Reads one record at `pos` (bounded by `end`); the next position is left in `recordEnd`.
 */
function readRecord(
  buf: Buffer,
  pos: number,
  end: number,
  baseOffset: bigint,
  baseTimestamp: bigint,
  logAppendTime: bigint | null,
): BatchRecord {
  const length = readVarint(buf, pos, end);
  pos = cursor.pos;
  if (length < 0 || length > end - pos) {
    throw new ProtocolDecodeError(`record length ${length} runs past the end of the records`);
  }
  const recEnd = pos + length;
  if (length < 1) throw new ProtocolDecodeError('empty record');
  pos++; // attributes: unused
  const timestampDelta = readVarlong(buf, pos, recEnd);
  pos = cursor.pos;
  const offsetDelta = readVarint(buf, pos, recEnd);
  pos = cursor.pos;
  const key = readBytes(buf, pos, recEnd, 'record key');
  pos = recordEnd;
  const value = readBytes(buf, pos, recEnd, 'record value');
  pos = recordEnd;
  const headerCount = readVarint(buf, pos, recEnd);
  pos = cursor.pos;
  if (headerCount < 0) throw new ProtocolDecodeError(`negative header count ${headerCount}`);
  // Each header needs at least 2 bytes: reject impossible counts before allocating.
  if (headerCount > (recEnd - pos) >>> 1) throw new ProtocolDecodeError(`header count ${headerCount} exceeds the record`);
  const headers = new Array<RecordHeader>(headerCount);
  for (let i = 0; i < headerCount; i++) {
    const keyLen = readVarint(buf, pos, recEnd);
    pos = cursor.pos;
    if (keyLen < 0) throw new ProtocolDecodeError(`invalid header key length ${keyLen}`);
    if (keyLen > recEnd - pos) throw new ProtocolDecodeError('header key runs past the end of its record');
    const hkey = buf.toString('utf8', pos, pos + keyLen);
    pos += keyLen;
    const hvalue = readBytes(buf, pos, recEnd, 'header value');
    pos = recordEnd;
    headers[i] = { key: hkey, value: hvalue };
  }
  if (pos !== recEnd) throw new ProtocolDecodeError(`record has ${recEnd - pos} bytes past its fields`);
  recordEnd = recEnd;
  return {
    offsetDelta,
    timestampDelta,
    offset: baseOffset + BigInt(offsetDelta),
    timestamp: logAppendTime ?? baseTimestamp + timestampDelta,
    key,
    value,
    headers,
  };
}

/** One entry of a buffer of concatenated batches / legacy messages. */
export interface BatchEntry {
  /** Position of the entry's first byte (its base offset field). */
  start: number;
  /** Position just after the entry (start + 12 + length). */
  end: number;
  /** 0 or 1 for a legacy message (possibly a compressed wrapper), 2 for a record batch. */
  magic: number;
  /** baseOffset for v2; the message offset for v0/v1 (the last inner offset for a v1 wrapper). */
  baseOffset: bigint;
}

export interface SplitBatchesOptions {
  start?: number | undefined;
  end?: number | undefined;
  /**
   * When true, an incomplete entry at the end (as a Fetch response may carry) ends the walk instead of
   * throwing. The returned entries then stop before it. Defaults to false (the produce path).
   */
  allowPartialTail?: boolean;
}

/** Smallest valid `length` field per magic: v0 message 14, v1 message 22, v2 batch 49. */
const MIN_LENGTH = [14, 22, RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD];

/**
 * Walks concatenated entries (v2 batches and v0/v1 messages), checking every length field against
 * the buffer and the magic's minimum size, and calls `visit(start, end, magic)` for each. Returns the
 * position after the last complete entry. Throws ProtocolDecodeError for a negative or too small
 * length, an unknown magic, or (unless allowPartialTail) an entry running past the end.
 */
export function forEachBatch(
  buffer: Buffer,
  visit: (start: number, end: number, magic: number) => void,
  options: SplitBatchesOptions = {},
): number {
  const end = options.end ?? buffer.length;
  let pos = options.start ?? 0;
  if (pos < 0 || end > buffer.length || pos > end) {
    throw new RangeError(`range [${pos}, ${end}) is outside a buffer of ${buffer.length} bytes`);
  }
  const partial = options.allowPartialTail === true;
  while (pos < end) {
    const remaining = end - pos;
    if (remaining < LOG_OVERHEAD) {
      if (partial) return pos;
      throw new ProtocolDecodeError(`truncated batch: ${remaining} trailing bytes`);
    }
    const length = buffer.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    if (length < 0) throw new ProtocolDecodeError(`negative batch length ${length}`);
    if (remaining < LOG_OVERHEAD + 5) {
      if (partial) return pos;
      throw new ProtocolDecodeError(`truncated batch: ${remaining} trailing bytes`);
    }
    const magic = buffer.readInt8(pos + MAGIC_OFFSET);
    if (magic < 0 || magic > 2) throw new ProtocolDecodeError(`unknown magic ${magic}`);
    if (length < MIN_LENGTH[magic]) {
      throw new ProtocolDecodeError(`magic ${magic} entry length ${length} is below the minimum ${MIN_LENGTH[magic]}`);
    }
    if (length > remaining - LOG_OVERHEAD) {
      if (partial) return pos;
      throw new ProtocolDecodeError(`batch of ${LOG_OVERHEAD + length} bytes runs past the end (${remaining} left)`);
    }
    const next = pos + LOG_OVERHEAD + length;
    visit(pos, next, magic);
    pos = next;
  }
  return pos;
}

/** The entries of a buffer of concatenated batches (see forEachBatch). */
export function splitBatches(buffer: Buffer, options: SplitBatchesOptions = {}): BatchEntry[] {
  const entries: BatchEntry[] = [];
  forEachBatch(
    buffer,
    (start, end, magic) => {
      entries.push({ start, end, magic, baseOffset: buffer.readBigInt64BE(start) });
    },
    options,
  );
  return entries;
}
