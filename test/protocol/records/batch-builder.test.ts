import { describe, expect, it } from '@jest/globals';
import {
  buildEndTxnMarkerBatch,
  buildRecordBatch,
  encodeRecords,
  type RecordInput,
} from '../../../src/protocol/records/batch-builder.js';
import { CompressionCodec } from '../../../src/protocol/records/compression/index.js';
import {
  ControlRecordType,
  readControlRecordKey,
  readEndTxnMarkerValue,
  RecordBatchView,
  TimestampType,
} from '../../../src/protocol/records/record-batch.js';
import { pseudoRandomBytes, textBytes } from './helpers.js';

const codecs = [0, 1, 2, 3, 4] as const;

function asBuffer(v: RecordInput['value']): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v) : Buffer.from(v);
}

describe('buildRecordBatch', () => {
  it('writes exactly the bytes of the specification (hand-checked golden batch)', () => {
    const batch = buildRecordBatch(
      [
        { key: 'k', value: null, headers: [{ key: 'h', value: 'hv' }], timestamp: 1000 },
        { key: null, value: 'abc', timestamp: 1500 },
      ],
      { baseOffset: 5n, partitionLeaderEpoch: 7, transactional: true, producerId: 42n, producerEpoch: 3, baseSequence: 9 },
    );
    const hex = batch.toString('hex');
    expect(hex.slice(0, 16)).toBe('0000000000000005'); // baseOffset
    expect(batch.readInt32BE(8)).toBe(batch.length - 12);
    expect(hex.slice(24, 34)).toBe('0000000702'); // leader epoch 7, magic 2
    expect(hex.slice(42, 122)).toBe(
      [
        '0010', // attributes: transactional
        '00000001', // lastOffsetDelta
        '00000000000003e8', // baseTimestamp 1000
        '00000000000005dc', // maxTimestamp 1500
        '000000000000002a', // producerId 42
        '0003', // producerEpoch
        '00000009', // baseSequence
        '00000002', // count
      ].join(''),
    );
    expect(hex.slice(122)).toBe('18000000026b01020268046876' + '1400e807020106616263' + '00');
    expect(new RecordBatchView(batch).verifyCrc()).toBe(true);
  });

  it('round-trips records with headers, null keys, null values, empty values and unicode', () => {
    const records: RecordInput[] = [
      { key: 'key-0', value: 'value-0', headers: [{ key: 'trace', value: 'abc' }, { key: 'dup', value: '1' }, { key: 'dup', value: null }] },
      { key: null, value: 'no key' },
      { key: 'tombstone', value: null },
      { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [{ key: '', value: Buffer.alloc(0) }] },
      { key: new Uint8Array([1, 2, 3]), value: pseudoRandomBytes(3000), headers: [{ key: 'ключ-🔑', value: 'значение' }] },
      { value: textBytes(20_000) },
    ];
    for (const codec of codecs) {
      const view = new RecordBatchView(buildRecordBatch(records, { compression: codec, baseOffset: 100n, now: 1_700_000_000_000 }));
      expect(view.verifyCrc()).toBe(true);
      expect(view.compression).toBe(codec);
      expect(view.recordCount).toBe(records.length);
      expect(view.lastOffsetDelta).toBe(records.length - 1);
      const read = view.readRecords();
      expect(read.length).toBe(records.length);
      read.forEach((r, i) => {
        const input = records[i];
        expect(r.offset).toBe(100n + BigInt(i));
        expect(r.offsetDelta).toBe(i);
        expect(r.timestamp).toBe(1_700_000_000_000n);
        expect(r.key).toEqual(asBuffer(input.key));
        expect(r.value).toEqual(asBuffer(input.value));
        expect(r.headers).toEqual((input.headers ?? []).map((h) => ({ key: h.key, value: asBuffer(h.value) })));
      });
    }
  });

  it('computes base and max timestamps and signed deltas, including deltas past 32 bits', () => {
    const records = [{ timestamp: 5000 }, { timestamp: 1000 }, { timestamp: 9000 }, { timestamp: 5000 + 2 ** 40 }, { timestamp: -1 }];
    const view = new RecordBatchView(buildRecordBatch(records.map((r) => ({ ...r, value: 'v' }))));
    expect(view.baseTimestamp).toBe(5000n);
    expect(view.maxTimestamp).toBe(5000n + 2n ** 40n);
    const read = view.readRecords();
    expect(read.map((r) => r.timestamp)).toEqual(records.map((r) => BigInt(r.timestamp)));
    expect(read.map((r) => r.timestampDelta)).toEqual([0n, -4000n, 4000n, 2n ** 40n, -5001n]);
  });

  it('honours explicit offset deltas (gaps, as after compaction)', () => {
    const view = new RecordBatchView(
      buildRecordBatch(
        [
          { value: 'a', offsetDelta: 0 },
          { value: 'b', offsetDelta: 4 },
          { value: 'c', offsetDelta: 9 },
        ],
        { baseOffset: 50n },
      ),
    );
    expect(view.lastOffsetDelta).toBe(9);
    expect(view.recordCount).toBe(3);
    expect(view.readRecords().map((r) => r.offset)).toEqual([50n, 54n, 59n]);
    expect(() => buildRecordBatch([{ value: 'x', offsetDelta: -1 }])).toThrow(RangeError);
  });

  it('writes every header option', () => {
    const view = new RecordBatchView(
      buildRecordBatch([{ value: 'x', timestamp: 10 }], {
        baseOffset: 2n ** 40n,
        partitionLeaderEpoch: 11,
        producerId: 123_456_789_012n,
        producerEpoch: 7,
        baseSequence: 2_147_483_647,
        transactional: true,
        timestampType: TimestampType.LogAppendTime,
        logAppendTime: 777,
        compression: CompressionCodec.Snappy,
      }),
    );
    expect(view.baseOffset).toBe(2n ** 40n);
    expect(view.partitionLeaderEpoch).toBe(11);
    expect(view.producerId).toBe(123_456_789_012n);
    expect(view.producerEpoch).toBe(7);
    expect(view.baseSequence).toBe(2_147_483_647);
    expect(view.lastSequence).toBe(2_147_483_647);
    expect(view.isTransactional).toBe(true);
    expect(view.isControl).toBe(false);
    expect(view.timestampType).toBe(TimestampType.LogAppendTime);
    expect(view.maxTimestamp).toBe(777n);
    expect(view.baseTimestamp).toBe(10n);
    expect(view.attributes).toBe(0x02 | 0x08 | 0x10);
    expect(view.readRecords()[0].timestamp).toBe(777n);
  });

  it('uses the no-producer defaults of a plain producer', () => {
    const view = new RecordBatchView(buildRecordBatch([{ value: 'x' }]));
    expect(view.baseOffset).toBe(0n);
    expect(view.partitionLeaderEpoch).toBe(-1);
    expect(view.producerId).toBe(-1n);
    expect(view.hasProducerId).toBe(false);
    expect(view.producerEpoch).toBe(-1);
    expect(view.baseSequence).toBe(-1);
    expect(view.lastSequence).toBe(-1);
    expect(view.attributes).toBe(0);
  });

  it('stamps records without a timestamp with `now`', () => {
    const view = new RecordBatchView(buildRecordBatch([{ value: 'a' }, { value: 'b', timestamp: 20n }], { now: 10n }));
    expect(view.readRecords().map((r) => r.timestamp)).toEqual([10n, 20n]);
    const before = Date.now();
    const live = new RecordBatchView(buildRecordBatch([{ value: 'a' }]));
    expect(Number(live.baseTimestamp)).toBeGreaterThanOrEqual(before);
  });

  it('builds empty batches (kept by compaction) and delete-horizon batches', () => {
    const empty = new RecordBatchView(buildRecordBatch([], { baseOffset: 10n, lastOffsetDelta: 4, producerId: 5n, producerEpoch: 1, baseSequence: 0 }));
    expect(empty.recordCount).toBe(0);
    expect(empty.lastOffset).toBe(14n);
    expect(empty.baseTimestamp).toBe(-1n);
    expect(empty.maxTimestamp).toBe(-1n);
    expect(empty.readRecords()).toEqual([]);
    const horizon = new RecordBatchView(buildRecordBatch([{ value: 'v', timestamp: 5000 }], { deleteHorizonMs: 4000 }));
    expect(horizon.hasDeleteHorizon).toBe(true);
    expect(horizon.deleteHorizonMs).toBe(4000n);
    expect(horizon.readRecords()[0].timestamp).toBe(5000n);
  });

  it('builds large batches in every codec', () => {
    const records = Array.from({ length: 5000 }, (_, i) => ({ key: `k${i}`, value: textBytes(100 + (i % 50)), timestamp: 1_700_000_000_000 + i }));
    const plainSize = buildRecordBatch(records).length;
    for (const codec of codecs) {
      const bytes = buildRecordBatch(records, { compression: codec });
      const view = new RecordBatchView(bytes);
      expect(view.verifyCrc()).toBe(true);
      const keys: string[] = [];
      const timestamps: bigint[] = [];
      for (const r of view.records()) {
        keys.push(r.key!.toString());
        timestamps.push(r.timestamp);
      }
      expect(keys).toEqual(records.map((r) => r.key));
      expect(timestamps).toEqual(records.map((r) => BigInt(r.timestamp)));
      if (codec !== 0) expect(bytes.length).toBeLessThan(plainSize / 2);
    }
  });

  it('rejects unknown codecs', () => {
    expect(() => buildRecordBatch([{ value: 'x' }], { compression: 5 as never })).toThrow(RangeError);
  });
});

describe('encodeRecords', () => {
  it('encodes the records section alone, reporting max timestamp and last offset delta', () => {
    const { bytes, maxTimestamp, lastOffsetDelta } = encodeRecords([{ value: 'a', timestamp: 3 }, { value: 'b', timestamp: 9 }], 3n, 0n);
    expect(maxTimestamp).toBe(9n);
    expect(lastOffsetDelta).toBe(1);
    // each: length 7 (zigzag 0x0e) | attrs | ts delta | offset delta | key -1 | value len 1 | byte | 0 headers
    expect(bytes.toString('hex')).toBe('0e00000001026100' + '0e000c0201026200');
  });
});

describe('buildEndTxnMarkerBatch', () => {
  it('writes a control batch with one COMMIT or ABORT marker', () => {
    for (const commit of [true, false]) {
      const view = new RecordBatchView(
        buildEndTxnMarkerBatch({ commit, coordinatorEpoch: 3, producerId: 77n, producerEpoch: 4, baseOffset: 900n, partitionLeaderEpoch: 2, timestamp: 1234 }),
      );
      expect(view.isControl && view.isTransactional).toBe(true);
      expect(view.producerId).toBe(77n);
      expect(view.producerEpoch).toBe(4);
      expect(view.baseSequence).toBe(-1);
      expect(view.baseOffset).toBe(900n);
      expect(view.partitionLeaderEpoch).toBe(2);
      const [r] = view.readRecords();
      expect(r.timestamp).toBe(1234n);
      expect(readControlRecordKey(r.key).type).toBe(commit ? ControlRecordType.Commit : ControlRecordType.Abort);
      expect(readEndTxnMarkerValue(r.value).coordinatorEpoch).toBe(3);
    }
  });
});
