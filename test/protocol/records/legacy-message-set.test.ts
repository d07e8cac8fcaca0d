import { describe, expect, it } from '@jest/globals';
import zlib from 'node:zlib';
import { ProtocolDecodeError } from '../../../src/protocol/decode-error.js';
import { buildEndTxnMarkerBatch, buildRecordBatch } from '../../../src/protocol/records/batch-builder.js';
import { compress, CompressionCodec } from '../../../src/protocol/records/compression/index.js';
import { xxhash32 } from '../../../src/protocol/records/compression/xxhash32.js';
import {
  buildLegacyMessageSet,
  downConvert,
  legacyToRecordBatch,
  readLegacyMessages,
  UnsupportedCompressionError,
  type LegacyRecordInput,
} from '../../../src/protocol/records/legacy-message-set.js';
import { RecordBatchView, splitBatches, TimestampType } from '../../../src/protocol/records/record-batch.js';
import { textBytes } from './helpers.js';

const legacyCodecs = [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4] as const;

/** A legacy message written byte by byte (CRC by zlib, independent of the code under test). */
function handMessage(offset: bigint, magic: 0 | 1, attributes: number, timestamp: bigint | null, key: Buffer | null, value: Buffer | null): Buffer {
  const parts: Buffer[] = [Buffer.from([magic, attributes])];
  if (magic === 1) {
    const ts = Buffer.alloc(8);
    ts.writeBigInt64BE(timestamp ?? -1n);
    parts.push(ts);
  }
  for (const b of [key, value]) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(b === null ? -1 : b.length);
    parts.push(len);
    if (b) parts.push(b);
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(16);
  head.writeBigInt64BE(offset, 0);
  head.writeInt32BE(body.length + 4, 8);
  head.writeUInt32BE(zlib.crc32(body) >>> 0, 12);
  return Buffer.concat([head, body]);
}

const sample: LegacyRecordInput[] = [
  { key: 'k0', value: 'v0', timestamp: 1000 },
  { key: null, value: 'no key', timestamp: 1001 },
  { key: 'tombstone', value: null, timestamp: 999 },
  { key: Buffer.alloc(0), value: textBytes(5000), timestamp: 1500 },
];

describe('legacy message sets: writing', () => {
  it('writes the v0 and v1 layouts byte for byte', () => {
    expect(buildLegacyMessageSet([{ value: 'hello' }], { magic: 0 }).equals(handMessage(0n, 0, 0, null, null, Buffer.from('hello')))).toBe(true);
    const v1 = buildLegacyMessageSet([{ key: 'k', value: 'v', timestamp: 1234 }], { magic: 1, baseOffset: 7n });
    expect(v1.equals(handMessage(7n, 1, 0, 1234n, Buffer.from('k'), Buffer.from('v')))).toBe(true);
    const v1LogAppend = buildLegacyMessageSet([{ key: 'k', value: 'v', timestamp: 1 }], { magic: 1, timestampType: TimestampType.LogAppendTime, logAppendTime: 99 });
    expect(v1LogAppend.equals(handMessage(0n, 1, 0x08, 99n, Buffer.from('k'), Buffer.from('v')))).toBe(true);
  });

  it('wraps compressed sets: v1 inner offsets relative, wrapper holding the last absolute offset; v0 inner offsets absolute', () => {
    const records = [{ value: 'a', timestamp: 5 }, { value: 'b', timestamp: 9 }, { value: 'c', timestamp: 7 }];
    const v1 = buildLegacyMessageSet(records, { magic: 1, baseOffset: 100n, compression: CompressionCodec.Gzip });
    const [wrapper] = splitBatches(v1);
    expect(wrapper.baseOffset).toBe(102n);
    expect(v1[17]).toBe(CompressionCodec.Gzip);
    expect(v1.readBigInt64BE(18)).toBe(9n); // wrapper timestamp: the max
    const innerV1 = zlib.gunzipSync(v1.subarray(34)); // after key -1 and value length
    expect(splitBatches(innerV1).map((e) => e.baseOffset)).toEqual([0n, 1n, 2n]);

    const v0 = buildLegacyMessageSet(records, { magic: 0, baseOffset: 100n, compression: CompressionCodec.Gzip });
    expect(splitBatches(v0)[0].baseOffset).toBe(102n);
    const innerV0 = zlib.gunzipSync(v0.subarray(26));
    expect(splitBatches(innerV0).map((e) => e.baseOffset)).toEqual([100n, 101n, 102n]);
  });

  it('writes the KIP-57 legacy LZ4 header checksum for magic 0 and the proper one for magic 1', () => {
    const v0 = buildLegacyMessageSet(sample, { magic: 0, compression: CompressionCodec.Lz4 });
    const frame0 = v0.subarray(26);
    expect(frame0[6]).toBe((xxhash32(frame0, 0, 6) >>> 8) & 0xff);
    const v1 = buildLegacyMessageSet(sample, { magic: 1, compression: CompressionCodec.Lz4 });
    const frame1 = v1.subarray(34);
    expect(frame1[6]).toBe((xxhash32(frame1, 4, 6) >>> 8) & 0xff);
  });

  it('refuses zstd and bad magic', () => {
    expect(() => buildLegacyMessageSet(sample, { magic: 1, compression: CompressionCodec.Zstd })).toThrow(RangeError);
    expect(() => buildLegacyMessageSet(sample, { magic: 2 as never })).toThrow(RangeError);
  });
});

describe('legacy message sets: reading', () => {
  it('reads hand-written messages', () => {
    const set = Buffer.concat([
      handMessage(3n, 0, 0, null, Buffer.from('a'), Buffer.from('b')),
      handMessage(4n, 1, 0, 555n, null, null),
    ]);
    expect(Array.from(readLegacyMessages(set))).toEqual([
      { offset: 3n, magic: 0, attributes: 0, timestampType: 0, timestamp: -1n, key: Buffer.from('a'), value: Buffer.from('b'), compression: 0 },
      { offset: 4n, magic: 1, attributes: 0, timestampType: 0, timestamp: 555n, key: null, value: null, compression: 0 },
    ]);
  });

  it('round-trips v0 and v1, plain and with every legacy codec', () => {
    for (const magic of [0, 1] as const) {
      for (const codec of legacyCodecs) {
        const set = buildLegacyMessageSet(sample, { magic, compression: codec, baseOffset: 40n });
        const read = Array.from(readLegacyMessages(set));
        expect(read.map((m) => m.offset)).toEqual([40n, 41n, 42n, 43n]);
        expect(read.map((m) => m.magic)).toEqual([magic, magic, magic, magic]);
        expect(read.map((m) => m.compression)).toEqual(new Array(4).fill(codec));
        expect(read.map((m) => m.key)).toEqual(sample.map((r) => (r.key === null ? null : Buffer.from(r.key as string | Buffer))));
        expect(read.map((m) => m.value)).toEqual(sample.map((r) => (r.value === null ? null : Buffer.from(r.value as string | Buffer))));
        expect(read.map((m) => m.timestamp)).toEqual(magic === 0 ? [-1n, -1n, -1n, -1n] : [1000n, 1001n, 999n, 1500n]);
      }
    }
  });

  it('applies a v1 wrapper LogAppendTime to every inner message', () => {
    const set = buildLegacyMessageSet(sample, { magic: 1, compression: CompressionCodec.Snappy, timestampType: TimestampType.LogAppendTime, logAppendTime: 4242 });
    for (const m of readLegacyMessages(set)) {
      expect(m.timestampType).toBe(TimestampType.LogAppendTime);
      expect(m.timestamp).toBe(4242n);
    }
  });

  it('reads a v0 LZ4 wrapper with the legacy checksum and one with the proper checksum', () => {
    const inner = buildLegacyMessageSet(sample, { magic: 0 });
    const proper = compress(CompressionCodec.Lz4, inner);
    const wrapped = handMessage(3n, 0, CompressionCodec.Lz4, null, null, proper);
    expect(Array.from(readLegacyMessages(wrapped)).length).toBe(4);
    expect(Array.from(readLegacyMessages(buildLegacyMessageSet(sample, { magic: 0, compression: CompressionCodec.Lz4 }))).length).toBe(4);
  });

  it('detects CRC corruption unless told not to check', () => {
    const set = buildLegacyMessageSet(sample, { magic: 1 });
    const bad = Buffer.from(set);
    bad[37] ^= 0x01; // inside the first value, covered by its CRC
    expect(() => Array.from(readLegacyMessages(bad))).toThrow(/CRC/);
    expect(Array.from(readLegacyMessages(bad, { verifyCrc: false })).length).toBe(4);
  });

  it('rejects malformed sets with ProtocolDecodeError', () => {
    const plain = handMessage(0n, 1, 0, 1n, null, Buffer.from('x'));
    const compressedInner = buildLegacyMessageSet(sample, { magic: 1, compression: CompressionCodec.Gzip });
    const cases: Buffer[] = [
      buildRecordBatch([{ value: 'v2' }]), // a v2 batch inside a legacy set
      handMessage(0n, 1, CompressionCodec.Gzip, 1n, null, zlib.gzipSync(compressedInner)), // nested compression
      handMessage(0n, 0, CompressionCodec.Gzip, null, null, zlib.gzipSync(plain)), // inner magic differs
      handMessage(0n, 1, CompressionCodec.Zstd, 1n, null, compress(CompressionCodec.Zstd, plain)), // zstd before magic 2
      handMessage(0n, 1, 6, 1n, null, Buffer.from('x')),
      handMessage(0n, 1, CompressionCodec.Gzip, 1n, null, null), // wrapper without a value
      handMessage(0n, 1, CompressionCodec.Gzip, 1n, null, Buffer.from('not gzip')),
      plain.subarray(0, plain.length - 1),
    ];
    const badKeyLength = Buffer.from(plain);
    badKeyLength.writeInt32BE(-7, 26);
    badKeyLength.writeUInt32BE(zlib.crc32(badKeyLength.subarray(16)) >>> 0, 12);
    cases.push(badKeyLength);
    const keyPastEnd = Buffer.from(plain);
    keyPastEnd.writeInt32BE(100, 26);
    keyPastEnd.writeUInt32BE(zlib.crc32(keyPastEnd.subarray(16)) >>> 0, 12);
    cases.push(keyPastEnd);
    for (const c of cases) expect(() => Array.from(readLegacyMessages(c))).toThrow(ProtocolDecodeError);
  });

  it('stops at a partial trailing message when allowed', () => {
    const set = buildLegacyMessageSet(sample, { magic: 1 });
    const cut = set.subarray(0, set.length - 3);
    expect(() => Array.from(readLegacyMessages(cut))).toThrow(ProtocolDecodeError);
    expect(Array.from(readLegacyMessages(cut, { allowPartialTail: true })).length).toBe(3);
  });

  it('bounds decompression across wrappers', () => {
    const big = [{ value: Buffer.alloc(200_000) }];
    const two = Buffer.concat([
      buildLegacyMessageSet(big, { magic: 1, compression: CompressionCodec.Gzip }),
      buildLegacyMessageSet(big, { magic: 1, compression: CompressionCodec.Gzip, baseOffset: 1n }),
    ]);
    expect(Array.from(readLegacyMessages(two, { maxBytes: 500_000 })).length).toBe(2);
    expect(() => Array.from(readLegacyMessages(two, { maxBytes: 300_000 }))).toThrow(ProtocolDecodeError);
  });
});

describe('legacy to v2 conversion (produce from old clients)', () => {
  it('converts v0 and v1 sets, compressed or not, into one v2 batch', () => {
    for (const magic of [0, 1] as const) {
      for (const codec of legacyCodecs) {
        const set = buildLegacyMessageSet(sample, { magic, compression: codec, baseOffset: 77n });
        const batch = legacyToRecordBatch(set, { baseOffset: 500n, partitionLeaderEpoch: 3 })!;
        const view = new RecordBatchView(batch);
        expect(view.verifyCrc()).toBe(true);
        expect(view.compression).toBe(codec); // "producer" compression: keep the client's codec
        expect(view.baseOffset).toBe(500n);
        expect(view.partitionLeaderEpoch).toBe(3);
        expect(view.recordCount).toBe(4);
        expect(view.producerId).toBe(-1n);
        const records = view.readRecords();
        expect(records.map((r) => r.offset)).toEqual([500n, 501n, 502n, 503n]);
        expect(records.map((r) => r.timestamp)).toEqual(magic === 0 ? [-1n, -1n, -1n, -1n] : [1000n, 1001n, 999n, 1500n]);
        const original = Array.from(readLegacyMessages(set));
        expect(records.map((r) => r.key)).toEqual(original.map((m) => m.key));
        expect(records.map((r) => r.value)).toEqual(original.map((m) => m.value));
        expect(records.every((r) => r.headers.length === 0)).toBe(true);
      }
    }
  });

  it('recompresses with a requested codec, zstd included', () => {
    const set = buildLegacyMessageSet(sample, { magic: 1, compression: CompressionCodec.Gzip });
    const view = new RecordBatchView(legacyToRecordBatch(set, { compression: CompressionCodec.Zstd })!);
    expect(view.compression).toBe(CompressionCodec.Zstd);
    expect(view.readRecords().length).toBe(4);
  });

  it('keeps LogAppendTime when every message had it', () => {
    const set = buildLegacyMessageSet(sample, { magic: 1, compression: CompressionCodec.Lz4, timestampType: TimestampType.LogAppendTime, logAppendTime: 31 });
    const view = new RecordBatchView(legacyToRecordBatch(set)!);
    expect(view.timestampType).toBe(TimestampType.LogAppendTime);
    expect(view.maxTimestamp).toBe(31n);
    expect(view.readRecords().every((r) => r.timestamp === 31n)).toBe(true);
  });

  it('returns null for an empty set', () => {
    expect(legacyToRecordBatch(Buffer.alloc(0))).toBeNull();
  });
});

describe('down-conversion of v2 batches (old Fetch versions)', () => {
  const batches = Buffer.concat([
    buildRecordBatch(
      [
        { key: 'a', value: 'A', timestamp: 10, headers: [{ key: 'dropped', value: 'h' }] },
        { key: null, value: 'B', timestamp: 20 },
      ],
      { baseOffset: 0n },
    ),
    buildRecordBatch([{ key: 'c', value: null, timestamp: 30 }, { key: 'd', value: 'D', timestamp: 25 }], { baseOffset: 2n, compression: CompressionCodec.Snappy }),
    buildEndTxnMarkerBatch({ commit: true, coordinatorEpoch: 0, producerId: 1n, producerEpoch: 0, baseOffset: 4n }),
    buildRecordBatch([], { baseOffset: 5n, lastOffsetDelta: 0 }),
    buildRecordBatch(
      [
        { value: 'E', timestamp: 1 },
        { value: 'F', timestamp: 2, offsetDelta: 3 },
      ],
      { baseOffset: 6n, compression: CompressionCodec.Lz4, timestampType: TimestampType.LogAppendTime, logAppendTime: 555 },
    ),
  ]);

  it('converts to magic 1 keeping offsets, keys, values, timestamps and codecs, skipping control and empty batches', () => {
    const set = downConvert(batches, 1);
    expect(splitBatches(set).map((e) => e.magic)).toEqual([1, 1, 1, 1]); // 2 plain + 2 wrappers
    const read = Array.from(readLegacyMessages(set));
    expect(read.map((m) => m.offset)).toEqual([0n, 1n, 2n, 3n, 6n, 9n]);
    expect(read.map((m) => m.key?.toString() ?? null)).toEqual(['a', null, 'c', 'd', null, null]);
    expect(read.map((m) => m.value?.toString() ?? null)).toEqual(['A', 'B', null, 'D', 'E', 'F']);
    expect(read.map((m) => m.timestamp)).toEqual([10n, 20n, 30n, 25n, 555n, 555n]);
    expect(read.map((m) => m.compression)).toEqual([0, 0, CompressionCodec.Snappy, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Lz4]);
    expect(read.map((m) => m.timestampType)).toEqual([0, 0, 0, 0, 1, 1]);
  });

  it('converts to magic 0 dropping timestamps, with the legacy LZ4 checksum', () => {
    const set = downConvert(batches, 0);
    const read = Array.from(readLegacyMessages(set));
    expect(read.map((m) => m.offset)).toEqual([0n, 1n, 2n, 3n, 6n, 9n]);
    expect(read.every((m) => m.magic === 0 && m.timestamp === -1n)).toBe(true);
    const lz4Wrapper = splitBatches(set).find((e) => set[e.start + 17] === CompressionCodec.Lz4)!;
    const frame = set.subarray(lz4Wrapper.start + 26, lz4Wrapper.end);
    expect(frame[6]).toBe((xxhash32(frame, 0, 6) >>> 8) & 0xff);
  });

  it('can recompress with another codec', () => {
    const set = downConvert(batches, 1, { compression: CompressionCodec.Gzip });
    expect(Array.from(readLegacyMessages(set)).every((m) => m.compression === CompressionCodec.Gzip)).toBe(true);
  });

  it('refuses zstd with UnsupportedCompressionError', () => {
    const zstd = buildRecordBatch([{ value: 'z' }], { compression: CompressionCodec.Zstd });
    expect(() => downConvert(zstd, 1)).toThrow(UnsupportedCompressionError);
    expect(() => downConvert(batches, 1, { compression: CompressionCodec.Zstd })).toThrow(UnsupportedCompressionError);
  });

  it('copies entries already at the target magic, and rewrites magic 1 entries for magic 0', () => {
    const v0 = buildLegacyMessageSet([{ value: 'old' }], { magic: 0, baseOffset: 20n });
    const v1 = buildLegacyMessageSet([{ value: 'x', timestamp: 5 }, { value: 'y', timestamp: 6 }], { magic: 1, baseOffset: 21n, compression: CompressionCodec.Gzip });
    const mixed = Buffer.concat([v0, v1]);
    expect(downConvert(mixed, 1).equals(mixed)).toBe(true);
    const down = downConvert(mixed, 0);
    const read = Array.from(readLegacyMessages(down));
    expect(read.map((m) => [m.offset, m.magic, m.value!.toString(), m.compression])).toEqual([
      [20n, 0, 'old', 0],
      [21n, 0, 'x', CompressionCodec.Gzip],
      [22n, 0, 'y', CompressionCodec.Gzip],
    ]);
  });

  it('drops a partial trailing batch when allowed', () => {
    const cut = batches.subarray(0, batches.length - 5);
    expect(() => downConvert(cut, 1)).toThrow(ProtocolDecodeError);
    expect(Array.from(readLegacyMessages(downConvert(cut, 1, { allowPartialTail: true }))).length).toBe(4);
  });

  it('round-trips legacy -> v2 -> legacy', () => {
    for (const codec of legacyCodecs) {
      const original = buildLegacyMessageSet(sample, { magic: 1, compression: codec, baseOffset: 0n });
      const batch = legacyToRecordBatch(original)!;
      const back = downConvert(batch, 1);
      expect(back.equals(original)).toBe(true);
    }
  });
});
