import { describe, expect, it } from '@jest/globals';
import { ProtocolDecodeError } from '../../../src/protocol/decode-error.js';
import { buildRecordBatch, buildEndTxnMarkerBatch } from '../../../src/protocol/records/batch-builder.js';
import { CompressionCodec } from '../../../src/protocol/records/compression/index.js';
import { buildLegacyMessageSet } from '../../../src/protocol/records/legacy-message-set.js';
import {
  ControlRecordType,
  forEachBatch,
  readControlRecordKey,
  readEndTxnMarkerValue,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchView,
  splitBatches,
  TimestampType,
} from '../../../src/protocol/records/record-batch.js';
import { largestAllocation, pseudoRandomBytes, textBytes } from './helpers.js';

/** Bitwise reference CRC32C, independent of the module under test. */
function referenceCrc32c(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A batch written byte by byte from the specification, with no help from the code under test:
 * baseOffset 5, leader epoch 7, transactional, two records (key "k", null value, header h=hv;
 * null key, value "abc", timestamp +500, offsetDelta 1).
 */
function goldenBatch(): Buffer {
  const records = Buffer.from(
    [
      [0x18, 0x00, 0x00, 0x00, 0x02, 0x6b, 0x01, 0x02, 0x02, 0x68, 0x04, 0x68, 0x76],
      [0x14, 0x00, 0xe8, 0x07, 0x02, 0x01, 0x06, 0x61, 0x62, 0x63, 0x00],
    ].flat(),
  );
  const b = Buffer.alloc(61 + records.length);
  b.writeBigInt64BE(5n, 0);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt32BE(7, 12);
  b.writeInt8(2, 16);
  b.writeInt16BE(0x10, 21);
  b.writeInt32BE(1, 23);
  b.writeBigInt64BE(1000n, 27);
  b.writeBigInt64BE(1500n, 35);
  b.writeBigInt64BE(42n, 43);
  b.writeInt16BE(3, 51);
  b.writeInt32BE(9, 53);
  b.writeInt32BE(2, 57);
  records.copy(b, 61);
  b.writeUInt32BE(referenceCrc32c(b.subarray(21)), 17);
  return b;
}

function decodeErrorOrOk(fn: () => void): 'ok' | 'decode-error' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof ProtocolDecodeError) return 'decode-error';
    throw e;
  }
}

describe('RecordBatchView', () => {
  it('reads every header field of a hand-written batch straight from its bytes', () => {
    const view = new RecordBatchView(goldenBatch());
    expect(view.baseOffset).toBe(5n);
    expect(view.batchLength).toBe(85 - 12);
    expect(view.sizeInBytes).toBe(85);
    expect(view.partitionLeaderEpoch).toBe(7);
    expect(view.magic).toBe(2);
    expect(view.attributes).toBe(0x10);
    expect(view.compression).toBe(0);
    expect(view.timestampType).toBe(TimestampType.CreateTime);
    expect(view.isTransactional).toBe(true);
    expect(view.isControl).toBe(false);
    expect(view.hasDeleteHorizon).toBe(false);
    expect(view.deleteHorizonMs).toBeNull();
    expect(view.lastOffsetDelta).toBe(1);
    expect(view.lastOffset).toBe(6n);
    expect(view.nextOffset).toBe(7n);
    expect(view.baseTimestamp).toBe(1000n);
    expect(view.maxTimestamp).toBe(1500n);
    expect(view.producerId).toBe(42n);
    expect(view.hasProducerId).toBe(true);
    expect(view.producerEpoch).toBe(3);
    expect(view.baseSequence).toBe(9);
    expect(view.lastSequence).toBe(10);
    expect(view.recordCount).toBe(2);
    expect(view.crc).toBe(referenceCrc32c(goldenBatch().subarray(21)));
    expect(view.verifyCrc()).toBe(true);
  });

  it('iterates the records of the hand-written batch', () => {
    const records = new RecordBatchView(goldenBatch()).readRecords();
    expect(records).toEqual([
      {
        offsetDelta: 0,
        timestampDelta: 0n,
        offset: 5n,
        timestamp: 1000n,
        key: Buffer.from('k'),
        value: null,
        headers: [{ key: 'h', value: Buffer.from('hv') }],
      },
      { offsetDelta: 1, timestampDelta: 500n, offset: 6n, timestamp: 1500n, key: null, value: Buffer.from('abc'), headers: [] },
    ]);
  });

  it('is a view: key and value share the batch memory', () => {
    const bytes = goldenBatch();
    const [, second] = new RecordBatchView(bytes).readRecords();
    expect(second.value!.buffer).toBe(bytes.buffer);
  });

  it('works on a batch in the middle of a larger buffer', () => {
    const golden = goldenBatch();
    const buf = Buffer.concat([Buffer.alloc(13, 0xaa), golden, Buffer.alloc(7, 0xbb)]);
    const view = new RecordBatchView(buf, 13, 13 + golden.length);
    expect(view.verifyCrc()).toBe(true);
    expect(view.readRecords().map((r) => r.offset)).toEqual([5n, 6n]);
    expect(view.bytes.equals(golden)).toBe(true);
    expect(RecordBatchView.at(buf, 13).end).toBe(13 + golden.length);
  });

  it('writes base offset and leader epoch in place without touching the CRC', () => {
    const bytes = goldenBatch();
    const view = new RecordBatchView(bytes);
    const crc = view.crc;
    view.setBaseOffset(1_000_000_000_000n);
    view.setPartitionLeaderEpoch(12);
    expect(view.baseOffset).toBe(1_000_000_000_000n);
    expect(view.partitionLeaderEpoch).toBe(12);
    expect(view.crc).toBe(crc);
    expect(view.verifyCrc()).toBe(true);
    expect(view.readRecords().map((r) => r.offset)).toEqual([1_000_000_000_000n, 1_000_000_000_001n]);
  });

  it('sets LogAppendTime: attribute bit, maxTimestamp, new valid CRC; records report the append time', () => {
    const bytes = goldenBatch();
    const view = new RecordBatchView(bytes);
    const before = view.crc;
    view.setMaxTimestamp(TimestampType.LogAppendTime, 99_999n);
    expect(view.timestampType).toBe(TimestampType.LogAppendTime);
    expect(view.attributes).toBe(0x18);
    expect(view.maxTimestamp).toBe(99_999n);
    expect(view.crc).not.toBe(before);
    expect(view.crc).toBe(referenceCrc32c(bytes.subarray(21)));
    expect(view.readRecords().map((r) => r.timestamp)).toEqual([99_999n, 99_999n]);
    view.setMaxTimestamp(TimestampType.CreateTime, 1500n);
    expect(bytes.equals(goldenBatch())).toBe(true);
  });

  it('detects corruption of any byte covered by the CRC, and not of the bytes before it', () => {
    const golden = goldenBatch();
    for (let i = 0; i < golden.length; i++) {
      if (i >= 8 && i < 12) continue; // the length (checked by the constructor instead)
      if (i >= 16 && i < 21) continue; // magic and the crc itself
      const bytes = Buffer.from(golden);
      bytes[i] ^= 0x40;
      const view = new RecordBatchView(bytes);
      expect(view.verifyCrc()).toBe(i < 16);
    }
    const bytes = Buffer.from(golden);
    bytes[17] ^= 1; // the stored crc itself
    expect(new RecordBatchView(bytes).verifyCrc()).toBe(false);
    new RecordBatchView(bytes).recomputeCrc();
    expect(new RecordBatchView(bytes).verifyCrc()).toBe(true);
  });

  it('rejects a slice that is not one whole v2 batch', () => {
    const golden = goldenBatch();
    expect(() => new RecordBatchView(golden.subarray(0, 60))).toThrow(ProtocolDecodeError);
    expect(() => new RecordBatchView(golden.subarray(0, golden.length - 1))).toThrow(/length/);
    expect(() => new RecordBatchView(Buffer.concat([golden, Buffer.alloc(1)]))).toThrow(/length/);
    const magic1 = Buffer.from(golden);
    magic1[16] = 1;
    expect(() => new RecordBatchView(magic1)).toThrow(/magic/);
    expect(() => RecordBatchView.at(golden.subarray(0, 40))).toThrow(ProtocolDecodeError);
    expect(() => RecordBatchView.at(golden.subarray(0, 8))).toThrow(ProtocolDecodeError);
    expect(() => new RecordBatchView(golden, 10, 5)).toThrow(RangeError);
  });

  it('rejects truncated batches with ProtocolDecodeError at every length', () => {
    const batch = buildRecordBatch(
      [{ key: 'a', value: 'b', headers: [{ key: 'x', value: 'y' }] }, { value: textBytes(300) }],
      { now: 1 },
    );
    for (let len = 0; len < batch.length; len++) {
      const cut = batch.subarray(0, len);
      expect(() => RecordBatchView.at(cut)).toThrow(ProtocolDecodeError);
      if (len > 0) expect(() => splitBatches(cut)).toThrow(ProtocolDecodeError);
    }
  });

  it('rejects record sections that do not match the header (count, lengths, trailing bytes)', () => {
    const make = (mutate: (b: Buffer) => void): Buffer => {
      const b = goldenBatch();
      mutate(b);
      return b;
    };
    const cases: Buffer[] = [
      make((b) => b.writeInt32BE(3, 57)), // more records claimed than present
      make((b) => b.writeInt32BE(1, 57)), // fewer: trailing bytes
      make((b) => b.writeInt32BE(-1, 57)),
      make((b) => (b[61] = 0x7e)), // first record length 63: past the end
      make((b) => (b[61] = 0x01)), // negative record length
      make((b) => (b[61] = 0x00)), // empty record
      make((b) => (b[65] = 0x7e)), // key length past its record
      make((b) => (b[65] = 0x05)), // key length -3
      make((b) => (b[67] = 0x7e)), // header count 63
      make((b) => (b[68] = 0x01)), // header key length -1
      make((b) => (b[61] = 0x16)), // record length one short: fields run past it
    ];
    for (const bytes of cases) {
      expect(() => new RecordBatchView(bytes).readRecords()).toThrow(ProtocolDecodeError);
    }
  });

  it('never throws anything but ProtocolDecodeError on mutated record sections, compressed or not', () => {
    const records = Array.from({ length: 20 }, (_, i) => ({
      key: i % 3 ? `key-${i}` : null,
      value: i % 5 ? textBytes(50 + i) : null,
      headers: i % 2 ? [{ key: `h${i}`, value: 'v' }] : [],
      timestamp: 1_700_000_000_000 + i,
    }));
    let seed = 1;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (const codec of [0, 1, 2, 3, 4] as const) {
      const batch = buildRecordBatch(records, { compression: codec });
      const outcomes = new Set<string>();
      for (let trial = 0; trial < 300; trial++) {
        const bytes = Buffer.from(batch);
        const flips = 1 + rand(4);
        for (let f = 0; f < flips; f++) bytes[RECORD_BATCH_HEADER_SIZE + rand(bytes.length - RECORD_BATCH_HEADER_SIZE)] = rand(256);
        outcomes.add(decodeErrorOrOk(() => new RecordBatchView(bytes).readRecords(1 << 20)));
      }
      expect(outcomes.has('decode-error')).toBe(true);
    }
  });

  it('decompresses compressed batches within maxBytes, and refuses past it', () => {
    const records = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: Buffer.alloc(1000, i) }));
    for (const codec of [1, 2, 3, 4] as const) {
      const view = new RecordBatchView(buildRecordBatch(records, { compression: codec }));
      expect(view.compression).toBe(codec);
      expect(view.readRecords().length).toBe(200);
      const section = view.recordsSection();
      expect(section.end - section.start).toBeGreaterThan(200_000);
      let error: unknown;
      const largest = largestAllocation(() => {
        try {
          view.readRecords(50_000);
        } catch (e) {
          error = e;
        }
      });
      expect(error).toBeInstanceOf(ProtocolDecodeError);
      expect(largest).toBeLessThanOrEqual(100_000);
    }
  });

  it('rejects an invalid codec code in the attributes', () => {
    const bytes = buildRecordBatch([{ value: 'x' }]);
    bytes.writeInt16BE(6, 21);
    const view = new RecordBatchView(bytes);
    view.recomputeCrc();
    expect(view.compression).toBe(6);
    expect(() => view.readRecords()).toThrow(ProtocolDecodeError);
  });

  it('reads control batches and transaction markers', () => {
    const marker = new RecordBatchView(
      buildEndTxnMarkerBatch({ commit: true, coordinatorEpoch: 17, producerId: 9n, producerEpoch: 2, baseOffset: 40n, timestamp: 5 }),
    );
    expect(marker.isControl).toBe(true);
    expect(marker.isTransactional).toBe(true);
    const [record] = marker.readRecords();
    expect(readControlRecordKey(record.key)).toEqual({ version: 0, type: ControlRecordType.Commit });
    expect(readEndTxnMarkerValue(record.value)).toEqual({ version: 0, coordinatorEpoch: 17 });
    expect(() => readControlRecordKey(Buffer.alloc(3))).toThrow(ProtocolDecodeError);
    expect(() => readEndTxnMarkerValue(null)).toThrow(ProtocolDecodeError);
  });
});

describe('maxRecordTimestamp', () => {
  it('is the base timestamp plus the largest delta, negative deltas and huge ones included', () => {
    const b = buildRecordBatch(
      [
        { value: 'a', timestamp: 5000 },
        { value: 'b', timestamp: 2000 },
        { value: 'c', timestamp: 4999 },
      ],
      { now: 5000 },
    );
    expect(new RecordBatchView(b).maxRecordTimestamp()).toBe(5000n);
    // A delta beyond 2^49 takes the exact (bigint) path.
    const far = 2 ** 52 + 3;
    const wide = buildRecordBatch(
      [
        { value: 'a', timestamp: 0 },
        { value: 'b', timestamp: far },
      ],
      { now: 0 },
    );
    expect(new RecordBatchView(wide).maxRecordTimestamp()).toBe(BigInt(far));
  });

  it('throws for lengths that do not walk exactly the record count, and for a compressed batch', () => {
    const b = buildRecordBatch([{ value: 'a' }, { value: 'b' }], { now: 1 });
    b.writeInt32BE(3, 57); // record count 3
    expect(() => new RecordBatchView(b).maxRecordTimestamp()).toThrow(ProtocolDecodeError);
    b.writeInt32BE(1, 57); // record count 1: bytes left over
    expect(() => new RecordBatchView(b).maxRecordTimestamp()).toThrow(ProtocolDecodeError);
    const z = buildRecordBatch([{ value: 'a' }], { now: 1, compression: CompressionCodec.Lz4 });
    expect(() => new RecordBatchView(z).maxRecordTimestamp()).toThrow();
  });
});

describe('splitBatches / forEachBatch', () => {
  const a = buildRecordBatch([{ value: 'one' }], { baseOffset: 0n });
  const b = buildRecordBatch([{ value: 'two' }, { value: 'three' }], { baseOffset: 1n, compression: CompressionCodec.Lz4 });
  const v0 = buildLegacyMessageSet([{ value: 'old' }, { value: 'older' }], { magic: 0, baseOffset: 3n });
  const v1 = buildLegacyMessageSet([{ value: 'x' }, { value: 'y' }], { magic: 1, baseOffset: 5n, compression: CompressionCodec.Gzip, now: 1 });

  it('returns the boundaries, magic and base offset of each entry', () => {
    const buf = Buffer.concat([a, b, v0, v1]);
    const entries = splitBatches(buf);
    expect(entries.map((e) => e.magic)).toEqual([2, 2, 0, 0, 1]);
    expect(entries[0]).toEqual({ start: 0, end: a.length, magic: 2, baseOffset: 0n });
    expect(entries[1]).toEqual({ start: a.length, end: a.length + b.length, magic: 2, baseOffset: 1n });
    expect(entries.map((e) => e.baseOffset)).toEqual([0n, 1n, 3n, 4n, 6n]); // the v1 wrapper holds its last offset
    expect(entries[entries.length - 1].end).toBe(buf.length);
    for (const e of entries.slice(0, 2)) expect(new RecordBatchView(buf, e.start, e.end).verifyCrc()).toBe(true);
  });

  it('walks a sub-range and reports the end of the last complete entry', () => {
    const buf = Buffer.concat([Buffer.alloc(4), a, b]);
    const seen: number[] = [];
    const end = forEachBatch(buf, (s, e, m) => seen.push(s, e, m), { start: 4 });
    expect(seen).toEqual([4, 4 + a.length, 2, 4 + a.length, buf.length, 2]);
    expect(end).toBe(buf.length);
    expect(splitBatches(buf, { start: 4, end: 4 + a.length }).length).toBe(1);
  });

  it('throws on a truncated tail by default and stops before it when allowed', () => {
    const buf = Buffer.concat([a, b.subarray(0, b.length - 1)]);
    expect(() => splitBatches(buf)).toThrow(ProtocolDecodeError);
    expect(splitBatches(buf, { allowPartialTail: true }).length).toBe(1);
    expect(forEachBatch(buf, () => undefined, { allowPartialTail: true })).toBe(a.length);
    for (const tail of [1, 11, 12, 16]) {
      const t = Buffer.concat([a, b.subarray(0, tail)]);
      expect(() => splitBatches(t)).toThrow(ProtocolDecodeError);
      expect(splitBatches(t, { allowPartialTail: true }).length).toBe(1);
    }
    expect(splitBatches(Buffer.alloc(0))).toEqual([]);
  });

  it('rejects negative and impossible lengths and unknown magic even with a partial tail allowed', () => {
    const negative = Buffer.from(a);
    negative.writeInt32BE(-5, 8);
    expect(() => splitBatches(negative, { allowPartialTail: true })).toThrow(/negative/);
    const tooSmall = Buffer.from(a);
    tooSmall.writeInt32BE(20, 8); // below the 49-byte minimum of a v2 batch
    expect(() => splitBatches(tooSmall)).toThrow(/minimum/);
    const magic3 = Buffer.from(a);
    magic3[16] = 3;
    expect(() => splitBatches(magic3, { allowPartialTail: true })).toThrow(/magic/);
    const smallV0 = Buffer.from(v0);
    smallV0.writeInt32BE(13, 8);
    expect(() => splitBatches(smallV0)).toThrow(/minimum/);
  });

  it('handles random garbage with ProtocolDecodeError only', () => {
    for (let i = 0; i < 200; i++) {
      const junk = pseudoRandomBytes(1 + (i % 90), i + 1);
      decodeErrorOrOk(() => splitBatches(junk));
      decodeErrorOrOk(() => splitBatches(junk, { allowPartialTail: true }));
    }
  });
});
