/**
 * Legacy message sets: magic 0 (Kafka 0.8-0.9) and magic 1 (0.10, KIP-32 timestamps).
 *
 * A message set is a sequence of entries, each:
 *
 * | offset | field       | type   | notes                                               |
 * |-------:|-------------|--------|-----------------------------------------------------|
 * |      0 | offset      | int64  |                                                     |
 * |      8 | messageSize | int32  | bytes after this field                              |
 * |     12 | crc         | uint32 | CRC32 (IEEE) of bytes 16..end                       |
 * |     16 | magic       | int8   | 0 or 1                                              |
 * |     17 | attributes  | int8   | bits 0-2 codec; bit 3 timestamp type (magic 1 only) |
 * |     18 | timestamp   | int64  | magic 1 only                                        |
 * |        | key         | bytes  | int32 length (-1 = null) then bytes                 |
 * |        | value       | bytes  | int32 length (-1 = null) then bytes                 |
 *
 * A compressed message ("wrapper") has a null key and a value holding a compressed inner message set
 * of uncompressed messages of the same magic. Inner offsets: absolute under magic 0; under magic 1
 * relative (0, 1, ...) with the wrapper carrying the absolute offset of the last inner message
 * (KIP-31). Under LogAppendTime the wrapper's timestamp applies to every inner message. zstd does not
 * exist before magic 2. LZ4 wrappers written by magic 0 clients carry the KIP-57 broken frame header
 * checksum; the LZ4 reader accepts both checksums and the writer produces the broken one for magic 0.
 *
 * Conversions: legacyToRecordBatch (a legacy set as one v2 batch, for tools and tests; produce from
 * old clients converts in the log validator's convertLegacy, which checks each message on the way)
 * and downConvert (v2 batches to magic 0/1 for old Fetch versions).
 */
import { ProtocolDecodeError } from '../decode-error.js';
import { buildRecordBatch, toBytes, type BytesInput, type RecordBatchOptions, type RecordInput } from './batch-builder.js';
import { CompressionCodec, compress, decompress } from './compression/index.js';
import { lz4Compress } from './compression/lz4.js';
import { crc32 } from './crc32.js';
import {
  DEFAULT_MAX_RECORDS_BYTES,
  forEachBatch,
  LOG_OVERHEAD,
  NO_TIMESTAMP,
  RecordBatchView,
  TIMESTAMP_TYPE_MASK,
  TimestampType,
} from './record-batch.js';

export type LegacyMagic = 0 | 1;

const CRC_OFFSET = 12;
const MAGIC_OFFSET = 16;
const ATTRIBUTES_OFFSET = 17;
const CODEC_MASK = 0x07;

/** Bytes of a message before its key: log overhead + crc + magic + attributes [+ timestamp]. */
function headerSize(magic: LegacyMagic): number {
  return magic === 0 ? 18 : 26;
}

/** One message, after unwrapping compressed wrappers. */
export interface LegacyMessage {
  /** Absolute offset. */
  offset: bigint;
  magic: LegacyMagic;
  /** The message's own attributes (an inner message's, for compressed sets). */
  attributes: number;
  /** Magic 1: from the wrapper when there is one, else from the message. Magic 0: CreateTime. */
  timestampType: TimestampType;
  /** Magic 1 timestamp (the wrapper's under LogAppendTime); NO_TIMESTAMP (-1n) for magic 0. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  /** Codec of the wrapper this message was inside; 0 when it was not compressed. */
  compression: number;
}

export interface ReadLegacyOptions {
  start?: number | undefined;
  end?: number | undefined;
  /** Bound on all decompressed inner message sets together (default DEFAULT_MAX_RECORDS_BYTES). */
  maxBytes?: number | undefined;
  /** Check every message's CRC32 (default true); a mismatch throws ProtocolDecodeError. */
  verifyCrc?: boolean | undefined;
  /** Stop at an incomplete trailing message instead of throwing (Fetch responses may end in one). */
  allowPartialTail?: boolean;
}

interface RawMessage {
  offset: bigint;
  magic: LegacyMagic;
  attributes: number;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

/** Parses the message occupying buffer[start, end) (an entry found by forEachBatch). */
function parseMessage(buffer: Buffer, start: number, end: number, magic: number, verifyCrc: boolean): RawMessage {
  if (magic !== 0 && magic !== 1) throw new ProtocolDecodeError(`magic ${magic} entry inside a legacy message set`);
  if (verifyCrc) {
    const stored = buffer.readUInt32BE(start + CRC_OFFSET);
    const actual = crc32(buffer, start + MAGIC_OFFSET, end);
    if (stored !== actual) {
      throw new ProtocolDecodeError(`message CRC mismatch: stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)}`);
    }
  }
  const attributes = buffer.readInt8(start + ATTRIBUTES_OFFSET);
  let pos = start + ATTRIBUTES_OFFSET + 1;
  let timestamp = NO_TIMESTAMP;
  if (magic === 1) {
    timestamp = buffer.readBigInt64BE(pos);
    pos += 8;
  }
  const key = readBytes(buffer, pos, end, 'key');
  pos = bytesEnd;
  const value = readBytes(buffer, pos, end, 'value');
  pos = bytesEnd;
  if (pos !== end) throw new ProtocolDecodeError(`message has ${end - pos} bytes past its value`);
  return { offset: buffer.readBigInt64BE(start), magic, attributes, timestamp, key, value };
}

let bytesEnd = 0;

function readBytes(buffer: Buffer, pos: number, end: number, what: string): Buffer | null {
  if (end - pos < 4) throw new ProtocolDecodeError(`message ${what} length runs past the end of the message`);
  const len = buffer.readInt32BE(pos);
  pos += 4;
  if (len < 0) {
    if (len !== -1) throw new ProtocolDecodeError(`invalid message ${what} length ${len}`);
    bytesEnd = pos;
    return null;
  }
  if (len > end - pos) throw new ProtocolDecodeError(`message ${what} of ${len} bytes runs past the end of the message`);
  bytesEnd = pos + len;
  return buffer.subarray(pos, pos + len);
}

/**
 * Iterates every message of a legacy message set, unwrapping compressed wrappers (decompressing at
 * most `maxBytes` in total) and resolving inner offsets to absolute ones. Throws
 * ProtocolDecodeError for malformed input: bad lengths, CRC mismatch, a v2 batch or a nested
 * compressed message inside the set, inner magic differing from the wrapper's, zstd before magic 2.
 */
export function* readLegacyMessages(buffer: Buffer, options: ReadLegacyOptions = {}): Generator<LegacyMessage, void, undefined> {
  const verifyCrc = options.verifyCrc !== false;
  let budget = options.maxBytes ?? DEFAULT_MAX_RECORDS_BYTES;
  const entries: [number, number, number][] = [];
  forEachBatch(buffer, (s, e, m) => entries.push([s, e, m]), options);

  for (const [start, end, magic] of entries) {
    const msg = parseMessage(buffer, start, end, magic, verifyCrc);
    const codec = msg.attributes & CODEC_MASK;
    const timestampType =
      msg.magic === 1 && (msg.attributes & TIMESTAMP_TYPE_MASK) !== 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;
    if (codec === CompressionCodec.None) {
      yield { ...msg, timestampType, compression: 0 };
      continue;
    }
    if (codec === CompressionCodec.Zstd || codec > CompressionCodec.Zstd) {
      throw new ProtocolDecodeError(`compression codec ${codec} is not valid for magic ${msg.magic}`);
    }
    if (msg.value === null) throw new ProtocolDecodeError('compressed message has a null value');
    const inner = decompress(codec, msg.value, budget);
    budget -= inner.length;
    const innerMessages: RawMessage[] = [];
    forEachBatch(inner, (s, e, m) => {
      const im = parseMessage(inner, s, e, m, verifyCrc);
      if (im.magic !== msg.magic) {
        throw new ProtocolDecodeError(`inner message magic ${im.magic} differs from its wrapper's ${msg.magic}`);
      }
      if ((im.attributes & CODEC_MASK) !== 0) throw new ProtocolDecodeError('compressed message nested in a compressed message');
      innerMessages.push(im);
    });
    if (innerMessages.length === 0) continue;
    // Magic 1: inner offsets are relative; the wrapper holds the last message's absolute offset.
    const base = msg.magic === 1 ? msg.offset - innerMessages[innerMessages.length - 1].offset : 0n;
    for (const im of innerMessages) {
      yield {
        offset: base + im.offset,
        magic: im.magic,
        attributes: im.attributes,
        timestampType,
        timestamp: timestampType === TimestampType.LogAppendTime ? msg.timestamp : im.timestamp,
        key: im.key,
        value: im.value,
        compression: codec,
      };
    }
  }
}

export interface LegacyRecordInput {
  key?: BytesInput;
  value?: BytesInput;
  /** Magic 1 only; defaults to `now`. */
  timestamp?: bigint | number;
  /** Absolute offset; defaults to baseOffset + index. */
  offset?: bigint | number;
}

export interface LegacyMessageSetOptions {
  magic: LegacyMagic;
  /** none, gzip, snappy or lz4 (zstd needs magic 2). */
  compression?: CompressionCodec;
  baseOffset?: bigint | number;
  /** Magic 1 only. Under LogAppendTime every timestamp becomes `logAppendTime`. */
  timestampType?: TimestampType;
  logAppendTime?: bigint | number;
  now?: bigint | number;
}

interface PreparedMessage {
  offset: bigint;
  attributes: number;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

function messageSize(magic: LegacyMagic, key: Buffer | null, value: Buffer | null): number {
  return headerSize(magic) + 4 + (key?.length ?? 0) + 4 + (value?.length ?? 0);
}

function writeMessage(out: Buffer, pos: number, magic: LegacyMagic, m: PreparedMessage): number {
  const start = pos;
  const size = messageSize(magic, m.key, m.value);
  out.writeBigInt64BE(m.offset, pos);
  out.writeInt32BE(size - LOG_OVERHEAD, pos + 8);
  out.writeInt8(magic, pos + MAGIC_OFFSET);
  out.writeInt8(m.attributes, pos + ATTRIBUTES_OFFSET);
  pos += ATTRIBUTES_OFFSET + 1;
  if (magic === 1) {
    out.writeBigInt64BE(m.timestamp, pos);
    pos += 8;
  }
  for (const b of [m.key, m.value]) {
    if (b === null) {
      out.writeInt32BE(-1, pos);
      pos += 4;
    } else {
      out.writeInt32BE(b.length, pos);
      b.copy(out, pos + 4);
      pos += 4 + b.length;
    }
  }
  out.writeUInt32BE(crc32(out, start + MAGIC_OFFSET, pos), start + CRC_OFFSET);
  return pos;
}

function writeMessages(magic: LegacyMagic, messages: readonly PreparedMessage[]): Buffer {
  let total = 0;
  for (const m of messages) total += messageSize(magic, m.key, m.value);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const m of messages) pos = writeMessage(out, pos, magic, m);
  return out;
}

/**
 * Builds a legacy message set: plain messages, or (with a codec) one wrapper message holding the
 * compressed inner set, with inner offsets as the magic requires.
 */
export function buildLegacyMessageSet(records: readonly LegacyRecordInput[], options: LegacyMessageSetOptions): Buffer {
  const { magic } = options;
  // The options may come from JavaScript, which the type does not bind.
  if (![0, 1].includes(magic)) throw new RangeError(`legacy magic must be 0 or 1, not ${String(magic)}`);
  const codec = options.compression ?? CompressionCodec.None;
  if (codec !== CompressionCodec.None && codec !== CompressionCodec.Gzip && codec !== CompressionCodec.Snappy && codec !== CompressionCodec.Lz4) {
    throw new RangeError(`compression codec ${codec} is not available before magic 2`);
  }
  const now = BigInt(options.now ?? Date.now());
  const logAppend = magic === 1 && options.timestampType === TimestampType.LogAppendTime;
  const logAppendTime = BigInt(options.logAppendTime ?? now);
  const typeBit = logAppend ? TIMESTAMP_TYPE_MASK : 0;
  const baseOffset = BigInt(options.baseOffset ?? 0);

  const messages: PreparedMessage[] = records.map((r, i) => ({
    offset: r.offset === undefined ? baseOffset + BigInt(i) : BigInt(r.offset),
    attributes: typeBit,
    timestamp: magic === 0 ? NO_TIMESTAMP : logAppend ? logAppendTime : r.timestamp === undefined ? now : BigInt(r.timestamp),
    key: toBytes(r.key),
    value: toBytes(r.value),
  }));
  if (codec === CompressionCodec.None || messages.length === 0) return writeMessages(magic, messages);

  const first = messages[0].offset;
  const last = messages[messages.length - 1].offset;
  let maxTimestamp = NO_TIMESTAMP;
  for (const m of messages) if (m.timestamp > maxTimestamp) maxTimestamp = m.timestamp;
  // Magic 1: offsets relative to the first message; magic 0: absolute.
  const inner = writeMessages(
    magic,
    magic === 1 ? messages.map((m) => ({ ...m, offset: m.offset - first })) : messages,
  );
  const value = codec === CompressionCodec.Lz4 && magic === 0 ? lz4Compress(inner, { legacyHeaderChecksum: true }) : compress(codec, inner);
  return writeMessages(magic, [{ offset: last, attributes: codec | typeBit, timestamp: maxTimestamp, key: null, value }]);
}

export interface LegacyToBatchOptions extends Omit<RecordBatchOptions, 'compression' | 'timestampType' | 'logAppendTime'> {
  /** Codec of the new batch; defaults to the codec the legacy set was compressed with (none if mixed). */
  compression?: CompressionCodec;
  start?: number;
  end?: number;
  /** Bound on decompressed inner message sets. */
  maxBytes?: number;
  verifyCrc?: boolean;
}

/**
 * Converts a legacy message set (magic 0/1, compressed or not) into one v2 record batch with offset
 * deltas 0..n-1, keeping keys, values and magic 1 timestamps (magic 0 messages get NO_TIMESTAMP).
 * The timestamp type is LogAppendTime only if every message had it. Returns null for an empty set.
 */
export function legacyToRecordBatch(buffer: Buffer, options: LegacyToBatchOptions = {}): Buffer | null {
  const { compression, start, end, maxBytes, verifyCrc, ...batchOptions } = options;
  const read: ReadLegacyOptions = { start, end, maxBytes, verifyCrc };
  const records: RecordInput[] = [];
  let codec: number | undefined;
  let allLogAppend = true;
  let maxTimestamp = NO_TIMESTAMP;
  for (const m of readLegacyMessages(buffer, read)) {
    records.push({ key: m.key, value: m.value, timestamp: m.timestamp });
    codec = codec === undefined || codec === m.compression ? m.compression : CompressionCodec.None;
    if (m.timestampType !== TimestampType.LogAppendTime) allLogAppend = false;
    if (m.timestamp > maxTimestamp) maxTimestamp = m.timestamp;
  }
  if (records.length === 0) return null;
  const out: RecordBatchOptions = {
    ...batchOptions,
    compression: compression ?? ((codec ?? CompressionCodec.None) as CompressionCodec),
  };
  if (allLogAppend) {
    out.timestampType = TimestampType.LogAppendTime;
    out.logAppendTime = maxTimestamp;
  }
  return buildRecordBatch(records, out);
}

/** Thrown by downConvert when a batch cannot be expressed in the target magic (zstd). */
export class UnsupportedCompressionError extends Error {
  override readonly name = 'UnsupportedCompressionError';
}

export interface DownConvertOptions {
  start?: number;
  end?: number;
  /** Codec for the converted sets; defaults to each batch's own codec. */
  compression?: CompressionCodec;
  /** Bound on each batch's decompressed records. */
  maxBytes?: number;
  /** Drop an incomplete trailing batch instead of throwing (Fetch data may end in one). */
  allowPartialTail?: boolean;
}

/**
 * Down-converts concatenated entries to a legacy message set of magic `toMagic`, for Fetch versions
 * older than record batches: each v2 batch becomes plain messages or one compressed wrapper (with the
 * batch's codec), keeping absolute offsets; headers are dropped; magic 0 drops timestamps. Control
 * batches and empty batches are skipped. Entries already at or below `toMagic` are copied as they are;
 * magic 1 entries are rewritten for toMagic 0. A zstd batch (or a zstd `compression`) throws
 * UnsupportedCompressionError: the Fetch handler answers UNSUPPORTED_COMPRESSION_TYPE.
 */
export function downConvert(buffer: Buffer, toMagic: LegacyMagic, options: DownConvertOptions = {}): Buffer {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_RECORDS_BYTES;
  const parts: Buffer[] = [];
  let total = 0;
  const entries: [number, number, number][] = [];
  forEachBatch(buffer, (s, e, m) => entries.push([s, e, m]), options);

  for (const [start, end, magic] of entries) {
    let part: Buffer | null;
    if (magic <= toMagic && options.compression === undefined) {
      part = buffer.subarray(start, end);
    } else if (magic === 2) {
      const view = new RecordBatchView(buffer, start, end);
      if (view.isControl || view.recordCount === 0) continue;
      const codec = (options.compression ?? view.compression) as CompressionCodec;
      if (codec === CompressionCodec.Zstd) {
        throw new UnsupportedCompressionError(`zstd batches cannot be down-converted to magic ${toMagic}`);
      }
      const records: LegacyRecordInput[] = [];
      for (const r of view.records(maxBytes)) {
        records.push({ key: r.key, value: r.value, timestamp: r.timestamp, offset: r.offset });
      }
      part = buildLegacyMessageSet(records, {
        magic: toMagic,
        compression: codec,
        timestampType: view.timestampType,
        logAppendTime: view.maxTimestamp,
      });
    } else {
      // A legacy entry (possibly a wrapper) converted to another magic or codec.
      const records: LegacyRecordInput[] = [];
      let codec: number = CompressionCodec.None;
      let type: TimestampType = TimestampType.CreateTime;
      let logAppendTime = NO_TIMESTAMP;
      for (const m of readLegacyMessages(buffer, { start, end, maxBytes })) {
        records.push({ key: m.key, value: m.value, timestamp: m.timestamp, offset: m.offset });
        codec = m.compression;
        type = m.timestampType;
        logAppendTime = m.timestamp;
      }
      const target = (options.compression ?? codec) as CompressionCodec;
      if (target === CompressionCodec.Zstd) {
        throw new UnsupportedCompressionError(`zstd cannot be used with magic ${toMagic}`);
      }
      part = buildLegacyMessageSet(records, { magic: toMagic, compression: target, timestampType: type, logAppendTime });
    }
    parts.push(part);
    total += part.length;
  }
  return Buffer.concat(parts, total);
}
