import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { buildEndTxnMarkerBatch, buildRecordBatch, type RecordBatchOptions, type RecordInput } from '../../src/protocol/records/batch-builder.js';
import { CompressionCodec } from '../../src/protocol/records/compression/index.js';
import { buildLegacyMessageSet } from '../../src/protocol/records/legacy-message-set.js';
import { ATTRIBUTES_OFFSET, MAX_TIMESTAMP_OFFSET, RecordBatchView, TimestampType } from '../../src/protocol/records/record-batch.js';
import {
  hasTransactionalBatch,
  validateRecords,
  type LogValidatorConfig,
  type ValidationFailure,
  type ValidationResult,
  type ValidationSuccess,
} from '../../src/storage/log-validator.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

const BASE: LogValidatorConfig = {
  maxMessageBytes: 1_048_588,
  segmentBytes: 1 << 30,
  compressionType: 'producer',
  timestampType: 'CreateTime',
  timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
  timestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
  compact: false,
};

interface Opts {
  version?: number;
  config?: Partial<LogValidatorConfig>;
}

function run(records: Buffer | null, opts: Opts = {}): ValidationResult | Promise<ValidationResult> {
  return validateRecords(records, { apiVersion: opts.version ?? 9, config: { ...BASE, ...opts.config }, nowMs: NOW, partitionName: 't-0' });
}

async function ok(records: Buffer | null, opts: Opts = {}): Promise<ValidationSuccess> {
  const r = await run(records, opts);
  if (!r.ok) throw new Error(`expected success, got ${r.errorCode}: ${r.message}`);
  return r;
}

async function failure(records: Buffer | null, opts: Opts = {}): Promise<ValidationFailure> {
  const r = await run(records, opts);
  if (r.ok) throw new Error('expected a failure');
  return r;
}

function batch(values: (string | null)[], options: RecordBatchOptions = {}, records: Partial<RecordInput>[] = []): Buffer {
  return buildRecordBatch(
    values.map((v, i) => ({ key: `k${i}`, value: v, timestamp: NOW, ...records[i] })),
    { now: NOW, ...options },
  );
}

/** Changes header bytes of a batch, then fixes the CRC so only the change is wrong. */
function patched(b: Buffer, edit: (b: Buffer) => void): Buffer {
  const copy = Buffer.from(b);
  edit(copy);
  new RecordBatchView(copy).recomputeCrc();
  return copy;
}

describe('validateRecords: record batches v2', () => {
  it('accepts a valid batch synchronously, as the bytes of the request', async () => {
    const b = batch(['a', 'b', 'c']);
    const r = run(b);
    expect(r).not.toBeInstanceOf(Promise);
    const s = await ok(b);
    expect(s.records!.equals(b)).toBe(true);
    expect(s.records!.buffer).toBe(b.buffer);
    expect(s.batch).toMatchObject({ producerId: -1n, recordCount: 3, lastOffsetDelta: 2, isTransactional: false, maxTimestamp: BigInt(NOW) });
    expect(s.logAppendTimeMs).toBeUndefined();
  });

  it('reports the producer fields of an idempotent batch, the last sequence wrapping at int32', async () => {
    const s = await ok(batch(['a', 'b', 'c'], { producerId: 42n, producerEpoch: 3, baseSequence: 2147483646 }));
    expect(s.batch).toMatchObject({ producerId: 42n, producerEpoch: 3, baseSequence: 2147483646, lastSequence: 0 });
  });

  it('CORRUPT_MESSAGE for a CRC mismatch', async () => {
    const b = batch(['hello']);
    b[b.length - 3] ^= 0xff;
    const f = await failure(b);
    expect(f.errorCode).toBe(ErrorCode.CorruptMessage);
    expect(f.errorMessage).toBeNull();
  });

  it('CORRUPT_MESSAGE for impossible lengths and magic', async () => {
    const b = batch(['x']);
    const shortLength = Buffer.from(b);
    shortLength.writeInt32BE(10, 8);
    expect((await failure(shortLength)).errorCode).toBe(ErrorCode.CorruptMessage);
    const badMagic = Buffer.from(b);
    badMagic.writeInt8(3, 16);
    expect((await failure(badMagic)).errorCode).toBe(ErrorCode.CorruptMessage);
  });

  it('CORRUPT_MESSAGE for a codec that does not exist', async () => {
    const b = patched(batch(['x']), (c) => c.writeInt16BE(5, ATTRIBUTES_OFFSET));
    expect((await failure(b)).errorCode).toBe(ErrorCode.CorruptMessage);
  });

  it('MESSAGE_TOO_LARGE for a batch over max.message.bytes', async () => {
    const b = batch(['x'.repeat(2000)]);
    const f = await failure(b, { config: { maxMessageBytes: 1000 } });
    expect(f.errorCode).toBe(ErrorCode.MessageTooLarge);
    expect((await ok(b, { config: { maxMessageBytes: b.length } })).records).not.toBeNull();
  });

  it('RECORD_LIST_TOO_LARGE for a batch larger than segment.bytes', async () => {
    const b = batch(['x'.repeat(500)]);
    expect((await failure(b, { config: { segmentBytes: 400 } })).errorCode).toBe(ErrorCode.RecordListTooLarge);
  });

  it('INVALID_RECORD for a base offset other than 0', async () => {
    const b = batch(['x'], { baseOffset: 5 });
    expect((await failure(b)).errorCode).toBe(ErrorCode.InvalidRecord);
  });

  it('Produce v3+: INVALID_RECORD without a batch, with two batches, or with magic 0/1', async () => {
    expect((await failure(null)).errorCode).toBe(ErrorCode.InvalidRecord);
    expect((await failure(Buffer.alloc(0))).errorCode).toBe(ErrorCode.InvalidRecord);
    expect((await failure(Buffer.concat([batch(['a']), batch(['b'])]))).errorCode).toBe(ErrorCode.InvalidRecord);
    expect((await failure(buildLegacyMessageSet([{ value: 'a' }], { magic: 1, now: NOW }), { version: 3 })).errorCode).toBe(ErrorCode.InvalidRecord);
  });

  it('Produce v0-2: nothing to append is NONE with nothing appended; two v2 batches are still INVALID_RECORD', async () => {
    expect(await ok(null, { version: 2 })).toMatchObject({ records: null, batch: null });
    expect(await ok(Buffer.alloc(0), { version: 0 })).toMatchObject({ records: null, batch: null });
    expect((await failure(Buffer.concat([batch(['a']), batch(['b'])]), { version: 2 })).errorCode).toBe(ErrorCode.InvalidRecord);
  });

  it('UNSUPPORTED_COMPRESSION_TYPE for zstd before Produce v7 (v3-6, as Kafka checks)', async () => {
    const b = batch(['a'], { compression: CompressionCodec.Zstd });
    expect((await failure(b, { version: 6 })).errorCode).toBe(ErrorCode.UnsupportedCompressionType);
    expect((await failure(b, { version: 3 })).errorCode).toBe(ErrorCode.UnsupportedCompressionType);
    expect((await ok(b, { version: 7 })).records!.equals(b)).toBe(true);
  });

  it('INVALID_RECORD for an empty batch and for a record count that does not match lastOffsetDelta', async () => {
    const empty = buildRecordBatch([], { now: NOW });
    expect((await failure(empty)).errorCode).toBe(ErrorCode.InvalidRecord);
    const mismatch = patched(batch(['a', 'b']), (c) => c.writeInt32BE(5, 23));
    expect((await failure(mismatch)).errorCode).toBe(ErrorCode.InvalidRecord);
    const negative = patched(batch(['a']), (c) => c.writeInt32BE(-1, 23));
    expect((await failure(negative)).errorCode).toBe(ErrorCode.InvalidRecord);
  });

  it('INVALID_RECORD for a control batch from a client', async () => {
    const marker = buildEndTxnMarkerBatch({ commit: true, coordinatorEpoch: 0, producerId: 1n, producerEpoch: 0, timestamp: NOW });
    const f = await failure(marker);
    expect(f.errorCode).toBe(ErrorCode.InvalidRecord);
    expect(f.message).toMatch(/control records/);
  });

  it('INVALID_RECORD for a producer id without a sequence', async () => {
    const b = batch(['a'], { producerId: 7n, producerEpoch: 0, baseSequence: -1 });
    expect((await failure(b)).errorCode).toBe(ErrorCode.InvalidRecord);
  });
});

describe('validateRecords: records decoded only when required', () => {
  it('compacted topics need keys: INVALID_RECORD with a record error per keyless record', async () => {
    const b = batch(['a', 'b', 'c'], {}, [{}, { key: null }, {}]);
    const f = await failure(b, { config: { compact: true } });
    expect(f.errorCode).toBe(ErrorCode.InvalidRecord);
    expect(f.recordErrors).toEqual([{ batchIndex: 1, message: 'Compacted topic cannot accept message without key in topic partition t-0.' }]);
    expect(f.errorMessage).toMatch(/^One or more records have been rejected due to 1 record errors in total/);
    expect((await ok(batch(['a', 'b']), { config: { compact: true } })).records).not.toBeNull();
  });

  it('decodes compressed batches for those checks (gzip off the event loop)', async () => {
    const b = batch(['a', 'b'], { compression: CompressionCodec.Gzip }, [{ key: null }, {}]);
    const r = run(b, { config: { compact: true } });
    expect(r).toBeInstanceOf(Promise);
    const f = await failure(b, { config: { compact: true } });
    expect(f.recordErrors.map((e) => e.batchIndex)).toEqual([0]);
  });

  it('CreateTime bounds: INVALID_TIMESTAMP with the out-of-range records', async () => {
    const b = batch(['old', 'ok', 'future'], {}, [{ timestamp: NOW - 2 * HOUR }, { timestamp: NOW }, { timestamp: NOW + 2 * HOUR }]);
    const f = await failure(b, { config: { timestampBeforeMaxMs: HOUR, timestampAfterMaxMs: HOUR } });
    expect(f.errorCode).toBe(ErrorCode.InvalidTimestamp);
    expect(f.errorMessage).toBe('One or more records have been rejected due to invalid timestamp');
    expect(f.recordErrors.map((e) => e.batchIndex)).toEqual([0, 2]);
    expect(f.recordErrors[0].message).toBe(
      `Timestamp ${NOW - 2 * HOUR} of message with offset 0 is out of range. The timestamp should be within [${NOW - HOUR}, ${NOW + HOUR}]`,
    );
    // Only the bound that is set applies.
    expect((await failure(b, { config: { timestampBeforeMaxMs: HOUR } })).recordErrors.map((e) => e.batchIndex)).toEqual([0]);
    expect((await ok(b)).records).not.toBeNull();
  });

  it('LogAppendTime topics: the broker time is returned for stamping, records are not checked', async () => {
    const b = batch(['a'], {}, [{ timestamp: 0 }]);
    const s = await ok(b, { config: { timestampType: 'LogAppendTime', timestampBeforeMaxMs: 1 } });
    expect(s.logAppendTimeMs).toBe(BigInt(NOW));
  });

  it('INVALID_TIMESTAMP for every record of a batch a client flagged LogAppendTime on a LogAppendTime topic', async () => {
    const b = batch(['a', 'b'], { timestampType: TimestampType.LogAppendTime, logAppendTime: NOW });
    const f = await failure(b, { config: { timestampType: 'LogAppendTime' } });
    expect(f.errorCode).toBe(ErrorCode.InvalidTimestamp);
    expect(f.recordErrors.map((e) => e.batchIndex)).toEqual([0, 1]);
    expect(f.recordErrors[0].message).toMatch(/Producer should not set timestamp type to LogAppendTime/);
    // On a CreateTime topic its timestamp is the batch's max timestamp, checked like any other.
    expect((await ok(b)).records).not.toBeNull();
    const stale = batch(['a', 'b'], { timestampType: TimestampType.LogAppendTime, logAppendTime: NOW - 2 * HOUR });
    const g = await failure(stale, { config: { timestampBeforeMaxMs: HOUR } });
    expect(g.errorCode).toBe(ErrorCode.InvalidTimestamp);
    expect(g.recordErrors.map((e) => e.batchIndex)).toEqual([0, 1]);
  });
});

describe('validateRecords: topic compression.type', () => {
  const records = (s: ValidationSuccess): { key: string | null; value: string | null; timestamp: bigint; headers: number }[] =>
    new RecordBatchView(s.records!).readRecords().map((r) => ({
      key: r.key?.toString() ?? null,
      value: r.value?.toString() ?? null,
      timestamp: r.timestamp,
      headers: r.headers.length,
    }));

  it('producer keeps the batch as it came', async () => {
    const b = batch(['a'], { compression: CompressionCodec.Gzip });
    expect((await ok(b, { config: { compressionType: 'producer' } })).records!.equals(b)).toBe(true);
    // The same codec as the topic's: no change either.
    expect((await ok(b, { config: { compressionType: 'gzip' } })).records!.equals(b)).toBe(true);
  });

  it('another codec rebuilds the batch with it, keeping records and producer fields', async () => {
    const b = batch(['a', 'b'], { producerId: 9n, producerEpoch: 2, baseSequence: 10 }, [{ headers: [{ key: 'h', value: 'v' }] }, { timestamp: NOW + 5 }]);
    const s = await ok(b, { config: { compressionType: 'gzip' } });
    const v = new RecordBatchView(s.records!);
    expect(v.compression).toBe(CompressionCodec.Gzip);
    expect(v.verifyCrc()).toBe(true);
    expect(v.baseOffset).toBe(0n);
    expect(s.batch).toMatchObject({ producerId: 9n, producerEpoch: 2, baseSequence: 10, lastSequence: 11, recordCount: 2, maxTimestamp: BigInt(NOW + 5) });
    expect(records(s)).toEqual([
      { key: 'k0', value: 'a', timestamp: BigInt(NOW), headers: 1 },
      { key: 'k1', value: 'b', timestamp: BigInt(NOW + 5), headers: 0 },
    ]);
    const plain = await ok(batch(['a'], { compression: CompressionCodec.Lz4 }), { config: { compressionType: 'uncompressed' } });
    expect(new RecordBatchView(plain.records!).compression).toBe(CompressionCodec.None);
  });

  it('MESSAGE_TOO_LARGE when the rebuilt batch exceeds max.message.bytes', async () => {
    const b = batch(['z'.repeat(5000)], { compression: CompressionCodec.Gzip });
    expect(b.length).toBeLessThan(1000);
    expect((await failure(b, { config: { compressionType: 'uncompressed', maxMessageBytes: 1000 } })).errorCode).toBe(ErrorCode.MessageTooLarge);
  });
});

describe('validateRecords: legacy message sets (Produce v0-2)', () => {
  it('converts magic 1 messages to one v2 batch, keeping keys, values and timestamps', async () => {
    const set = buildLegacyMessageSet(
      [
        { key: 'a', value: '1', timestamp: NOW - 1 },
        { key: null, value: '2', timestamp: NOW },
      ],
      { magic: 1 },
    );
    const s = await ok(set, { version: 2 });
    const v = new RecordBatchView(s.records!);
    expect(v.verifyCrc()).toBe(true);
    expect(v.producerId).toBe(-1n);
    expect(v.readRecords().map((r) => [r.key?.toString() ?? null, r.value?.toString(), r.timestamp])).toEqual([
      ['a', '1', BigInt(NOW - 1)],
      [null, '2', BigInt(NOW)],
    ]);
  });

  it('magic 0 messages get no timestamp; a gzip wrapper keeps gzip (compression.type producer)', async () => {
    const v0 = new RecordBatchView((await ok(buildLegacyMessageSet([{ value: 'x' }], { magic: 0 }), { version: 0 })).records!);
    expect(v0.readRecords()[0].timestamp).toBe(-1n);
    const wrapped = buildLegacyMessageSet([{ value: 'x' }, { value: 'y' }], { magic: 1, compression: CompressionCodec.Gzip, now: NOW });
    const s = await ok(wrapped, { version: 1 });
    const v = new RecordBatchView(s.records!);
    expect(v.compression).toBe(CompressionCodec.Gzip);
    expect(v.readRecords().map((r) => r.value?.toString())).toEqual(['x', 'y']);
    const snappy = await ok(wrapped, { version: 1, config: { compressionType: 'snappy' } });
    expect(new RecordBatchView(snappy.records!).compression).toBe(CompressionCodec.Snappy);
  });

  it('CORRUPT_MESSAGE for a bad CRC32; INVALID_RECORD for mixed magic or a wrapper followed by more', async () => {
    const set = buildLegacyMessageSet([{ value: 'x' }], { magic: 1, now: NOW });
    const bad = Buffer.from(set);
    bad[bad.length - 1] ^= 1;
    expect((await failure(bad, { version: 2 })).errorCode).toBe(ErrorCode.CorruptMessage);
    const mixed = Buffer.concat([set, buildLegacyMessageSet([{ value: 'y' }], { magic: 0 })]);
    expect((await failure(mixed, { version: 2 })).errorCode).toBe(ErrorCode.InvalidRecord);
    const wrapper = buildLegacyMessageSet([{ value: 'x' }], { magic: 1, compression: CompressionCodec.Gzip, now: NOW });
    expect((await failure(Buffer.concat([wrapper, set]), { version: 2 })).errorCode).toBe(ErrorCode.InvalidRecord);
  });

  it('checks keys on compacted topics (index 0 for each uncompressed message, as Kafka)', async () => {
    const set = buildLegacyMessageSet([{ key: 'a', value: '1' }, { value: '2' }], { magic: 1, now: NOW });
    const f = await failure(set, { version: 2, config: { compact: true } });
    expect(f.errorCode).toBe(ErrorCode.InvalidRecord);
    expect(f.recordErrors).toEqual([{ batchIndex: 0, message: expect.stringMatching(/without key/) }]);
  });

  it('MESSAGE_TOO_LARGE for a message over max.message.bytes', async () => {
    const set = buildLegacyMessageSet([{ value: 'x'.repeat(300) }], { magic: 1, now: NOW });
    expect((await failure(set, { version: 2, config: { maxMessageBytes: 200 } })).errorCode).toBe(ErrorCode.MessageTooLarge);
  });
});

describe('validateRecords: the max timestamp is the records\' (CreateTime)', () => {
  const stamps = [NOW - 5000, NOW + 7000, NOW - 9000];
  const withHeaderMax = (codec: CompressionCodec, max: bigint): Buffer =>
    patched(
      batch(['a', 'b', 'c'], { compression: codec }, stamps.map((timestamp) => ({ timestamp }))),
      (b) => b.writeBigInt64BE(max, MAX_TIMESTAMP_OFFSET),
    );

  it('rewrites a header max of -1 (Sarama 1.22) with the records\' largest and a new CRC, in place, without decoding', async () => {
    const b = withHeaderMax(CompressionCodec.None, -1n);
    const r = run(b);
    expect(r).not.toBeInstanceOf(Promise);
    const s = await ok(b);
    const v = new RecordBatchView(s.records!);
    expect(v.maxTimestamp).toBe(BigInt(NOW + 7000));
    expect(v.verifyCrc()).toBe(true);
    expect(v.timestampType).toBe(TimestampType.CreateTime);
    expect(s.records!.buffer).toBe(b.buffer);
    expect(s.batch!.maxTimestamp).toBe(BigInt(NOW + 7000));
  });

  it('corrects a header max that is too large, too', async () => {
    const s = await ok(withHeaderMax(CompressionCodec.None, BigInt(NOW + 99_999)));
    expect(new RecordBatchView(s.records!).maxTimestamp).toBe(BigInt(NOW + 7000));
  });

  it('leaves a right header alone (the CRC untouched)', async () => {
    const b = batch(['a', 'b', 'c'], {}, stamps.map((timestamp) => ({ timestamp })));
    const before = Buffer.from(b);
    const s = await ok(b);
    expect(s.records!.equals(before)).toBe(true);
  });

  it.each([
    ['lz4', CompressionCodec.Lz4],
    ['gzip', CompressionCodec.Gzip],
    ['zstd', CompressionCodec.Zstd],
  ])('%s: a header max below the base timestamp is recomputed from the decompressed records', async (_name, codec) => {
    const s = await ok(withHeaderMax(codec, -1n));
    const v = new RecordBatchView(s.records!);
    expect([v.maxTimestamp, v.compression, v.verifyCrc()]).toEqual([BigInt(NOW + 7000), codec, true]);
  });

  it('a plausible compressed header is kept without decompressing (see the validator header)', () => {
    const r = run(withHeaderMax(CompressionCodec.Lz4, BigInt(NOW)));
    expect(r).not.toBeInstanceOf(Promise);
    expect(new RecordBatchView((r as ValidationSuccess).records!).maxTimestamp).toBe(BigInt(NOW));
  });

  it('decoded batches (compacted topic) get the records\' max as well', async () => {
    const s = await ok(withHeaderMax(CompressionCodec.None, -1n), { config: { compact: true } });
    expect(new RecordBatchView(s.records!).maxTimestamp).toBe(BigInt(NOW + 7000));
  });

  it('LogAppendTime topics keep the header for the broker to stamp', async () => {
    const s = await ok(withHeaderMax(CompressionCodec.None, -1n), { config: { timestampType: 'LogAppendTime' } });
    expect(new RecordBatchView(s.records!).maxTimestamp).toBe(-1n);
    expect(s.logAppendTimeMs).toBe(BigInt(NOW));
  });

  it('CORRUPT_MESSAGE when the record lengths of an uncompressed batch do not add up', async () => {
    const b = patched(batch(['a', 'b', 'c']), (x) => x.writeInt8(0x7e, 61)); // first record length 63
    const f = await failure(b);
    expect(f.errorCode).toBe(ErrorCode.CorruptMessage);
  });
});

describe('hasTransactionalBatch', () => {
  it('finds the transactional bit of any v2 batch and ignores garbage', () => {
    expect(hasTransactionalBatch(batch(['a'], { producerId: 1n, producerEpoch: 0, baseSequence: 0, transactional: true }))).toBe(true);
    expect(hasTransactionalBatch(batch(['a']))).toBe(false);
    expect(hasTransactionalBatch(null)).toBe(false);
    expect(hasTransactionalBatch(Buffer.from([1, 2, 3]))).toBe(false);
    expect(hasTransactionalBatch(buildLegacyMessageSet([{ value: 'a' }], { magic: 1 }))).toBe(false);
  });
});
