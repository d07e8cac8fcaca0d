/**
 * The produce path's validation of what a Produce request carries for one partition (Kafka's
 * `ProduceRequest.validateRecords`, `UnifiedLog.analyzeAndValidateRecords` and `LogValidator`),
 * and its preparation for append. Every failure is answered with the error code Kafka gives.
 *
 * Records stay bytes. A v2 batch is checked from its 61-byte header: structure, base offset,
 * size, CRC32C, record count against lastOffsetDelta, producer fields, compression codec; an
 * uncompressed one also by a walk of its record lengths and timestamp deltas (the max timestamp,
 * below). The records themselves are decoded only when Kafka's answer depends on them or the bytes
 * must change:
 *
 * - the topic is compacted (every record needs a key);
 * - message.timestamp.before.max.ms / after.max.ms are set (CreateTime topics check each record's
 *   timestamp; left at their defaults they accept everything, so nothing is decoded);
 * - the topic's compression.type is not `producer` and differs from the batch's codec (the batch is
 *   rebuilt with the topic's codec: the one case records are re-encoded);
 * - a legacy message set (magic 0/1, Produce v0-2) is converted to one v2 batch.
 *
 * Order of the checks, as in Kafka:
 * 1. Produce v3+ (`validateRecords`): at least one batch (INVALID_RECORD), magic 2 (INVALID_RECORD),
 *    zstd only from v7 (UNSUPPORTED_COMPRESSION_TYPE), exactly one batch (INVALID_RECORD).
 *    Produce v0-2 is not checked this way: Kafka accepts any magic there ("clients which send the
 *    wrong magic version in the wrong version of the produce request").
 * 2. Every entry (`analyzeAndValidateRecords`): a v2 batch's baseOffset must be 0 (INVALID_RECORD);
 *    size at most max.message.bytes (MESSAGE_TOO_LARGE); CRC (CORRUPT_MESSAGE).
 * 3. `LogValidator`: one v2 batch (or one compressed legacy wrapper) per partition, all entries of
 *    the same magic (INVALID_RECORD); per v2 batch, a positive offset range equal to the record
 *    count (INVALID_RECORD), no control batch from a client (INVALID_RECORD), a sequence with a
 *    producer id (INVALID_RECORD); per record, a key on compacted topics (INVALID_RECORD) and the
 *    timestamp rules (INVALID_TIMESTAMP), reported as record errors (Produce v8+ recordErrors with
 *    each record's index in its batch and the response's errorMessage).
 * 4. After conversion or recompression: the new batch's size against max.message.bytes
 *    (MESSAGE_TOO_LARGE) and the appended bytes against segment.bytes (RECORD_LIST_TOO_LARGE).
 *
 * Deliberate differences from Kafka, where Kafka's answer is an accident of its code:
 * - A batch whose codec bits name no codec (5-7) gets CORRUPT_MESSAGE (Kafka fails the whole
 *   request with UNKNOWN_SERVER_ERROR from an IllegalArgumentException).
 * - Records that do not decode where they must be decoded (compacted topic, timestamp bounds,
 *   recompression, legacy conversion) get CORRUPT_MESSAGE (Kafka: INVALID_RECORD or CORRUPT_MESSAGE
 *   depending on which parser notices).
 * - The max timestamp (CreateTime) is the records' largest, as Kafka's LogValidator stores it: a
 *   header that differs (Sarama 1.22 writes -1) is rewritten and the CRC recomputed. Uncompressed
 *   batches get it from a walk of each record's length and timestamp delta (no decode); decoded
 *   batches from their records; a compressed batch that is not decoded anyway is decompressed
 *   only when its header's maxTimestamp is below its baseTimestamp (the first record's time), which
 *   no batch of a client that computes the max can have. Kafka decompresses every compressed
 *   batch for this; here that would cost 10-70 us per 16 KiB batch against under 1 us for its
 *   CRC, so a plausible compressed header is trusted.
 *
 * The duplicate, sequence and epoch checks of idempotent producers come after this, against the
 * partition's producer state (producer-state.ts).
 */
import { ErrorCode } from '../protocol/generated/errors.js';
import { buildRecordBatch, type RecordInput } from '../protocol/records/batch-builder.js';
import { codecFromName, CompressionCodec, compressAsync, decompressAsync } from '../protocol/records/compression/index.js';
import { crc32 } from '../protocol/records/crc32.js';
import { readLegacyMessages, type LegacyMessage } from '../protocol/records/legacy-message-set.js';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  DEFAULT_MAX_RECORDS_BYTES,
  forEachBatch,
  MAGIC_OFFSET,
  NO_TIMESTAMP,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchView,
  TimestampType,
  TRANSACTIONAL_FLAG,
  type BatchRecord,
} from '../protocol/records/record-batch.js';

/** The topic settings validation depends on (Kafka's topic config names, camelCased). */
export interface LogValidatorConfig {
  /** max.message.bytes: the largest batch accepted, after compression. */
  maxMessageBytes: number;
  /** segment.bytes: an append larger than a segment is RECORD_LIST_TOO_LARGE. */
  segmentBytes: number;
  /** compression.type: `producer` keeps the batch's codec; otherwise uncompressed, gzip, snappy, lz4 or zstd. */
  compressionType: string;
  /** message.timestamp.type. */
  timestampType: 'CreateTime' | 'LogAppendTime';
  /** message.timestamp.before.max.ms (effective); Number.MAX_SAFE_INTEGER or more means unbounded. */
  timestampBeforeMaxMs: number;
  /** message.timestamp.after.max.ms (effective); Number.MAX_SAFE_INTEGER or more means unbounded. */
  timestampAfterMaxMs: number;
  /** cleanup.policy contains compact: every record needs a key. */
  compact: boolean;
}

/** A record that made its batch fail (Produce v8+ recordErrors). */
export interface RecordError {
  /** The record's index in its batch. */
  batchIndex: number;
  message: string | null;
}

/** The header facts of the batch to append, for the producer-state checks. */
export interface ValidatedBatch {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** Sequence of the last record, wrapping at int32 (Kafka's incrementSequence). */
  lastSequence: number;
  lastOffsetDelta: number;
  recordCount: number;
  isTransactional: boolean;
  /** maxTimestamp from the header (before any LogAppendTime stamping). */
  maxTimestamp: bigint;
}

export interface ValidationFailure {
  ok: false;
  errorCode: number;
  /** Why, for logs and for errorMessage. */
  message: string;
  recordErrors: RecordError[];
  /** What Kafka puts in the response's errorMessage: its message for record-level failures, else null. */
  errorMessage: string | null;
}

export interface ValidationSuccess {
  ok: true;
  /**
   * Exactly one v2 batch ready to append: a view of the request's bytes, or a new buffer when the
   * batch was converted or recompressed. Null when a Produce v0-2 request carried no entries at all
   * (Kafka answers NONE with base offset -1 and appends nothing).
   */
  records: Buffer | null;
  batch: ValidatedBatch | null;
  /** The broker time to stamp as LogAppendTime, when the topic uses it. */
  logAppendTimeMs: bigint | undefined;
}

export type ValidationResult = ValidationSuccess | ValidationFailure;

export interface ValidateOptions {
  /** The Produce request version the records came in. */
  apiVersion: number;
  config: LogValidatorConfig;
  /** Broker time, ms since the epoch (timestamp bounds and LogAppendTime). */
  nowMs: number;
  /** Names the partition in error messages, e.g. "orders-0". */
  partitionName: string;
}

/** Kafka's own bound on what a decompressed batch may inflate to is far larger; this one keeps memory in check. */
const MAX_DECOMPRESSED_BYTES = DEFAULT_MAX_RECORDS_BYTES;

/** Kafka's `Long.MAX_VALUE` saturates to this in the effective topic config: no bound. */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

function fail(errorCode: number, message: string): ValidationFailure {
  return { ok: false, errorCode, message, recordErrors: [], errorMessage: null };
}

/** Kafka's RecordValidationException: record errors, and the summary Kafka sends as errorMessage. */
function recordFailure(errors: { code: number; error: RecordError }[]): ValidationFailure {
  const recordErrors = errors.map((e) => e.error);
  if (errors.some((e) => e.code === ErrorCode.InvalidTimestamp)) {
    const message = 'One or more records have been rejected due to invalid timestamp';
    return { ok: false, errorCode: ErrorCode.InvalidTimestamp, message, recordErrors, errorMessage: message };
  }
  const shown = recordErrors
    .slice(0, 3)
    .map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`)
    .join(', ');
  const message =
    `One or more records have been rejected due to ${recordErrors.length} record errors in total, ` +
    `and only showing the first three errors at most: [${shown}]`;
  return { ok: false, errorCode: ErrorCode.InvalidRecord, message, recordErrors, errorMessage: message };
}

/** True when any v2 batch in `records` has the transactional bit (Kafka's RequestUtils.hasTransactionalRecords). */
export function hasTransactionalBatch(records: Buffer | null): boolean {
  if (records === null || records.length === 0) return false;
  let found = false;
  try {
    forEachBatch(
      records,
      (start, _end, magic) => {
        if (magic === 2 && (records.readInt16BE(start + ATTRIBUTES_OFFSET) & TRANSACTIONAL_FLAG) !== 0) found = true;
      },
      { allowPartialTail: true },
    );
  } catch {
    // Malformed bytes are the validator's to report, per partition.
  }
  return found;
}

/** The codec a topic's compression.type asks for, or undefined for `producer`. */
function targetCodec(compressionType: string): CompressionCodec | undefined {
  return compressionType === 'producer' ? undefined : codecFromName(compressionType);
}

/**
 * Validates the records of one partition of a Produce request and prepares them for append.
 * Synchronous for the usual case (nothing to decode); a promise when records must be decoded,
 * converted or recompressed (gzip runs on the thread pool then). Never throws.
 */
export function validateRecords(records: Buffer | null, options: ValidateOptions): ValidationResult | Promise<ValidationResult> {
  try {
    return validate(records, options);
  } catch (err) {
    return fail(ErrorCode.CorruptMessage, `Record is corrupt in topic partition ${options.partitionName}: ${messageOf(err)}`);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface Entry {
  start: number;
  end: number;
  magic: number;
}

function validate(records: Buffer | null, options: ValidateOptions): ValidationResult | Promise<ValidationResult> {
  const { apiVersion, config, partitionName } = options;
  const buffer = records ?? Buffer.alloc(0);
  const entries: Entry[] = [];
  try {
    // Like Kafka's batch iterator: a bad length or magic is corrupt; a torn entry at the end is dropped.
    forEachBatch(buffer, (start, end, magic) => entries.push({ start, end, magic }), { allowPartialTail: true });
  } catch (err) {
    return fail(ErrorCode.CorruptMessage, `Record is corrupt in topic partition ${partitionName}: ${messageOf(err)}`);
  }

  // 1. ProduceRequest.validateRecords (v3+ only).
  if (apiVersion >= 3) {
    const first = entries.at(0);
    if (first === undefined) {
      return fail(ErrorCode.InvalidRecord, `Produce requests with version ${apiVersion} must have at least one record batch per partition`);
    }
    if (first.magic !== 2) {
      return fail(ErrorCode.InvalidRecord, `Produce requests with version ${apiVersion} are only allowed to contain record batches with magic version 2`);
    }
    if (first.end - first.start >= RECORD_BATCH_HEADER_SIZE) {
      const codec = buffer.readInt16BE(first.start + ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK;
      if (apiVersion < 7 && codec === CompressionCodec.Zstd) {
        return fail(ErrorCode.UnsupportedCompressionType, `Produce requests with version ${apiVersion} are not allowed to use ZStandard compression`);
      }
    }
    if (entries.length > 1) {
      return fail(ErrorCode.InvalidRecord, `Produce requests with version ${apiVersion} are only allowed to contain exactly one record batch per partition`);
    }
  }
  if (entries.length === 0) {
    // Produce v0-2 with nothing in it: Kafka appends nothing and answers NONE.
    return { ok: true, records: null, batch: null, logAppendTimeMs: undefined };
  }

  // 2. analyzeAndValidateRecords: per entry, base offset (v2), size, CRC.
  let sourceCodec: number = CompressionCodec.None;
  for (const e of entries) {
    const size = e.end - e.start;
    if (e.magic === 2) {
      if (size < RECORD_BATCH_HEADER_SIZE) {
        return fail(ErrorCode.CorruptMessage, `Record batch of ${size} bytes is shorter than its header in topic partition ${partitionName}.`);
      }
      const baseOffset = buffer.readBigInt64BE(e.start);
      if (baseOffset !== 0n) {
        return fail(ErrorCode.InvalidRecord, `The baseOffset of the record batch in the append to ${partitionName} should be 0, but it is ${baseOffset}`);
      }
    }
    if (size > config.maxMessageBytes) {
      return fail(
        ErrorCode.MessageTooLarge,
        `The record batch size in the append to ${partitionName} is ${size} bytes which exceeds the maximum configured value of ${config.maxMessageBytes}.`,
      );
    }
    if (e.magic === 2) {
      const view = new RecordBatchView(buffer, e.start, e.end);
      if (!view.verifyCrc()) {
        return fail(ErrorCode.CorruptMessage, `Record is corrupt (stored crc = ${view.crc}) in topic partition ${partitionName}.`);
      }
      const codec = view.compression;
      if (codec > CompressionCodec.Zstd) {
        return fail(ErrorCode.CorruptMessage, `Record batch names an unknown compression codec ${codec} in topic partition ${partitionName}.`);
      }
      if (codec !== CompressionCodec.None) sourceCodec = codec;
    } else {
      const stored = buffer.readUInt32BE(e.start + 12);
      if (stored !== crc32(buffer, e.start + MAGIC_OFFSET, e.end)) {
        return fail(ErrorCode.CorruptMessage, `Record is corrupt (stored crc = ${stored}) in topic partition ${partitionName}.`);
      }
      const codec = buffer.readInt8(e.start + 17) & COMPRESSION_CODEC_MASK;
      if (codec !== CompressionCodec.None) sourceCodec = codec;
    }
  }

  // 3. LogValidator: one v2 batch, or one compressed legacy wrapper; one magic throughout.
  const first = entries[0];
  if ((first.magic === 2 || sourceCodec !== CompressionCodec.None) && entries.length > 1) {
    return fail(ErrorCode.InvalidRecord, 'Compressed outer record has more than one batch');
  }
  for (const e of entries) {
    if (e.magic !== first.magic) {
      return fail(ErrorCode.InvalidRecord, `Batch magic ${e.magic} is not the same as the first batch's magic byte ${first.magic} in topic partition ${partitionName}`);
    }
  }
  if (first.magic !== 2) return convertLegacy(buffer, entries, sourceCodec, options);
  return validateBatch(new RecordBatchView(buffer, first.start, first.end), options);
}

// ---------------------------------------------------------------------------------------------
// Record batches v2

/**
 * Kafka's check of a v2 batch's offset range against its record count (LogValidator; a follower
 * append checks it too): what is wrong, or null.
 */
export function offsetRangeProblem(lastOffsetDelta: number, count: number): string | null {
  if (lastOffsetDelta + 1 <= 0) return `Batch has an invalid offset range: [0, ${lastOffsetDelta}]`;
  if (count <= 0) return `Invalid reported count for record batch: ${count}`;
  if (lastOffsetDelta + 1 !== count) return `Inconsistent batch offset range [0, ${lastOffsetDelta}] and count of records ${count}`;
  return null;
}

function validateBatch(view: RecordBatchView, options: ValidateOptions): ValidationResult | Promise<ValidationResult> {
  const { config, partitionName } = options;
  const count = view.recordCount;
  const rangeProblem = offsetRangeProblem(view.lastOffsetDelta, count);
  if (rangeProblem !== null) return fail(ErrorCode.InvalidRecord, `${rangeProblem} in topic partition ${partitionName}`);
  if (view.isControl) return fail(ErrorCode.InvalidRecord, `Clients are not allowed to write control records in topic partition ${partitionName}`);
  if (view.hasProducerId && view.baseSequence < 0) {
    return fail(
      ErrorCode.InvalidRecord,
      `Invalid sequence number ${view.baseSequence} in record batch with producerId ${view.producerId} in topic partition ${partitionName}`,
    );
  }

  const logAppendTime = config.timestampType === 'LogAppendTime';
  const target = targetCodec(config.compressionType);
  const recompress = target !== undefined && target !== view.compression;
  const checkTimestamps = !logAppendTime && (config.timestampBeforeMaxMs < UNBOUNDED || config.timestampAfterMaxMs < UNBOUNDED);
  const batchLat = view.timestampType === TimestampType.LogAppendTime;

  // A client batch flagged LogAppendTime: every record carries the batch's maxTimestamp, so the rules
  // can be applied from the header alone.
  // (On a compacted topic the records are decoded anyway, and the same rules run per record.)
  if (batchLat && !config.compact) {
    const ts = view.maxTimestamp;
    const wrongType = logAppendTime || ts === NO_TIMESTAMP;
    if (wrongType || timestampOutOfRange(ts, options)) {
      return recordFailure(
        Array.from({ length: count }, (_, i) => ({
          code: ErrorCode.InvalidTimestamp,
          error: { batchIndex: i, message: wrongType ? invalidTypeMessage(i) : outOfRangeMessage(ts, BigInt(i), options) },
        })),
      );
    }
  }

  const needRecords = config.compact || (checkTimestamps && !batchLat) || recompress;
  if (needRecords) return decodeAndFinish(view, target, recompress, options);
  if (logAppendTime || batchLat) return success(view, view.bytes, options);
  // CreateTime: the stored max timestamp is the records' (Kafka's LogValidator recomputes it).
  if (view.compression === CompressionCodec.None) {
    let max: bigint;
    try {
      max = view.maxRecordTimestamp();
    } catch (err) {
      return fail(ErrorCode.CorruptMessage, `Record is corrupt in topic partition ${partitionName}: ${messageOf(err)}`);
    }
    view.setMaxTimestamp(TimestampType.CreateTime, max);
    return success(view, view.bytes, options);
  }
  // Compressed: only a header that cannot be right costs a decompression (see the file header).
  if (view.maxTimestamp >= view.baseTimestamp) return success(view, view.bytes, options);
  return decodeAndFinish(view, target, recompress, options);
}

function success(view: RecordBatchView, bytes: Buffer, options: ValidateOptions): ValidationResult {
  if (bytes.length > options.config.segmentBytes) {
    return fail(
      ErrorCode.RecordListTooLarge,
      `Message batch size is ${bytes.length} bytes in append to partition ${options.partitionName}, which exceeds the maximum configured segment size of ${options.config.segmentBytes}.`,
    );
  }
  return {
    ok: true,
    records: bytes,
    batch: {
      producerId: view.producerId,
      producerEpoch: view.producerEpoch,
      baseSequence: view.baseSequence,
      lastSequence: view.lastSequence,
      lastOffsetDelta: view.lastOffsetDelta,
      recordCount: view.recordCount,
      isTransactional: view.isTransactional,
      maxTimestamp: view.maxTimestamp,
    },
    logAppendTimeMs: options.config.timestampType === 'LogAppendTime' ? BigInt(options.nowMs) : undefined,
  };
}

function timestampOutOfRange(ts: bigint, options: ValidateOptions): boolean {
  const { timestampBeforeMaxMs, timestampAfterMaxMs } = options.config;
  const diff = BigInt(options.nowMs) - ts;
  return (timestampBeforeMaxMs < UNBOUNDED && diff > BigInt(timestampBeforeMaxMs)) || (timestampAfterMaxMs < UNBOUNDED && -diff > BigInt(timestampAfterMaxMs));
}

function outOfRangeMessage(ts: bigint, offset: bigint, options: ValidateOptions): string {
  const { timestampBeforeMaxMs, timestampAfterMaxMs } = options.config;
  const now = BigInt(options.nowMs);
  const low = timestampBeforeMaxMs < UNBOUNDED ? (now - BigInt(timestampBeforeMaxMs)).toString() : '-9223372036854775808';
  const high = timestampAfterMaxMs < UNBOUNDED ? (now + BigInt(timestampAfterMaxMs)).toString() : '9223372036854775807';
  return `Timestamp ${ts} of message with offset ${offset} is out of range. The timestamp should be within [${low}, ${high}]`;
}

function invalidTypeMessage(index: number): string {
  return `Invalid timestamp type in message at index ${index}. Producer should not set timestamp type to LogAppendTime.`;
}

/** Kafka's validateKey + validateTimestamp for one record (CreateTime rules; the caller handles LogAppendTime batches). */
function recordError(
  key: Buffer | null,
  timestamp: bigint,
  offset: bigint,
  index: number,
  batchLat: boolean,
  options: ValidateOptions,
): { code: number; error: RecordError } | null {
  const { config, partitionName } = options;
  if (config.compact && key === null) {
    return { code: ErrorCode.InvalidRecord, error: { batchIndex: index, message: `Compacted topic cannot accept message without key in topic partition ${partitionName}.` } };
  }
  if (config.timestampType === 'CreateTime' && timestamp !== NO_TIMESTAMP) {
    if (timestampOutOfRange(timestamp, options)) {
      return { code: ErrorCode.InvalidTimestamp, error: { batchIndex: index, message: outOfRangeMessage(timestamp, offset, options) } };
    }
  } else if (batchLat) {
    return { code: ErrorCode.InvalidTimestamp, error: { batchIndex: index, message: invalidTypeMessage(index) } };
  }
  return null;
}

/** The records of a batch, decompressing off the event loop for gzip. */
async function decodeRecords(view: RecordBatchView): Promise<BatchRecord[]> {
  const codec = view.compression;
  if (codec === CompressionCodec.None) return view.readRecords(MAX_DECOMPRESSED_BYTES);
  const plain = await decompressAsync(codec, view.buffer.subarray(view.start + RECORD_BATCH_HEADER_SIZE, view.end), MAX_DECOMPRESSED_BYTES);
  // An uncompressed copy of the batch around the decompressed records, to iterate them in place.
  const copy = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + plain.length);
  view.buffer.copy(copy, 0, view.start, view.start + RECORD_BATCH_HEADER_SIZE);
  plain.copy(copy, RECORD_BATCH_HEADER_SIZE);
  copy.writeInt32BE(copy.length - 12, BATCH_LENGTH_OFFSET);
  copy.writeInt16BE(view.attributes & ~COMPRESSION_CODEC_MASK, ATTRIBUTES_OFFSET);
  return new RecordBatchView(copy).readRecords(MAX_DECOMPRESSED_BYTES);
}

async function decodeAndFinish(
  view: RecordBatchView,
  target: CompressionCodec | undefined,
  recompress: boolean,
  options: ValidateOptions,
): Promise<ValidationResult> {
  let records: BatchRecord[];
  try {
    records = await decodeRecords(view);
  } catch (err) {
    return fail(ErrorCode.CorruptMessage, `Record is corrupt in topic partition ${options.partitionName}: ${messageOf(err)}`);
  }
  const batchLat = view.timestampType === TimestampType.LogAppendTime;
  const errors: { code: number; error: RecordError }[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const e = recordError(r.key, r.timestamp, r.offset, i, batchLat, options);
    if (e) errors.push(e);
  }
  if (errors.length > 0) return recordFailure(errors);
  // recompress implies a target codec.
  if (!recompress || target === undefined) {
    if (options.config.timestampType === 'CreateTime' && !batchLat) {
      let max = NO_TIMESTAMP;
      for (const r of records) if (r.timestamp > max) max = r.timestamp;
      view.setMaxTimestamp(TimestampType.CreateTime, max);
    }
    return success(view, view.bytes, options);
  }

  // Rebuild with the topic's codec, keeping producer fields, timestamps, keys, values and headers.
  const rebuilt = await buildBatch(
    records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })),
    target,
    {
      producerId: view.producerId,
      producerEpoch: view.producerEpoch,
      baseSequence: view.baseSequence,
      transactional: view.isTransactional,
    },
  );
  return finishRebuilt(rebuilt, options);
}

function finishRebuilt(rebuilt: Buffer, options: ValidateOptions): ValidationResult {
  if (rebuilt.length > options.config.maxMessageBytes) {
    return fail(
      ErrorCode.MessageTooLarge,
      `Message batch size is ${rebuilt.length} bytes in append to partition ${options.partitionName} which exceeds the maximum configured size of ${options.config.maxMessageBytes}.`,
    );
  }
  return success(new RecordBatchView(rebuilt), rebuilt, options);
}

/** buildRecordBatch, with gzip compression done on the thread pool. */
async function buildBatch(
  records: RecordInput[],
  codec: CompressionCodec,
  producer: { producerId: bigint; producerEpoch: number; baseSequence: number; transactional: boolean },
): Promise<Buffer> {
  const plain = buildRecordBatch(records, { ...producer, compression: CompressionCodec.None });
  if (codec === CompressionCodec.None) return plain;
  const body = await compressAsync(codec, plain.subarray(RECORD_BATCH_HEADER_SIZE));
  const out = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + body.length);
  plain.copy(out, 0, 0, RECORD_BATCH_HEADER_SIZE);
  body.copy(out, RECORD_BATCH_HEADER_SIZE);
  out.writeInt32BE(out.length - 12, BATCH_LENGTH_OFFSET);
  out.writeInt16BE((plain.readInt16BE(ATTRIBUTES_OFFSET) & ~COMPRESSION_CODEC_MASK) | codec, ATTRIBUTES_OFFSET);
  const view = new RecordBatchView(out);
  view.recomputeCrc();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Legacy message sets (magic 0 and 1)

/**
 * Converts a legacy message set to one v2 batch (Kafka's convertAndAssignOffsetsNonCompressed and
 * buildRecordsAndAssignOffsets), checking each message as Kafka does. As in Kafka, an uncompressed
 * set is a sequence of one-message "batches", so its record errors name index 0 and stop at the
 * first bad message; a compressed wrapper's errors name each inner message's index.
 */
async function convertLegacy(buffer: Buffer, entries: Entry[], sourceCodec: number, options: ValidateOptions): Promise<ValidationResult> {
  const { config } = options;
  const records: RecordInput[] = [];
  for (const e of entries) {
    let messages: LegacyMessage[];
    try {
      messages = Array.from(readLegacyMessages(buffer, { start: e.start, end: e.end, maxBytes: MAX_DECOMPRESSED_BYTES }));
    } catch (err) {
      return fail(ErrorCode.CorruptMessage, `Record is corrupt in topic partition ${options.partitionName}: ${messageOf(err)}`);
    }
    const errors: { code: number; error: RecordError }[] = [];
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      const lat = m.magic === 1 && m.timestampType === TimestampType.LogAppendTime;
      const err = recordError(m.key, m.timestamp, m.offset, i, lat, options);
      if (err) errors.push(err);
      else records.push({ key: m.key, value: m.value, timestamp: m.timestamp });
    }
    if (errors.length > 0) return recordFailure(errors);
  }
  if (records.length === 0) return { ok: true, records: null, batch: null, logAppendTimeMs: undefined };
  const target = targetCodec(config.compressionType) ?? (sourceCodec as CompressionCodec);
  const rebuilt = await buildBatch(records, target, { producerId: -1n, producerEpoch: -1, baseSequence: -1, transactional: false });
  return finishRebuilt(rebuilt, options);
}
