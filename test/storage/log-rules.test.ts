import { describe, expect, it } from '@jest/globals';
import { RecordBatchView, TimestampType } from '../../src/protocol/records/record-batch.js';
import {
  IndexAccounting,
  firstRecordAtOrAfter,
  recordWithTimestamp,
  rollReason,
  splitForAppend,
  stampBatch,
  type RollState,
} from '../../src/storage/log-rules.js';
import { batch, config } from './helpers.js';

const cfg = config({ segmentBytes: 1000, segmentMs: 60_000, indexIntervalBytes: 100 });

function state(overrides: Partial<RollState> = {}): RollState {
  return {
    baseOffset: 0n,
    size: 500,
    offsetIndexEntries: 0,
    offsetIndexMaxEntries: 10,
    timeIndexEntries: 0,
    timeIndexMaxEntries: 10,
    firstBatchTimestamp: 1000n,
    createdMs: 0,
    ...overrides,
  };
}

describe('rollReason', () => {
  const append = { bytes: 100, batches: 1, lastOffset: 10n, maxTimestamp: 2000n };
  it('never rolls an empty segment', () => {
    expect(rollReason(state({ size: 0 }), cfg, { ...append, bytes: 5000 }, 1e12)).toBeNull();
  });
  it('rolls when the append would pass segment.bytes', () => {
    expect(rollReason(state({ size: 900 }), cfg, append, 0)).toBeNull();
    expect(rollReason(state({ size: 901 }), cfg, append, 0)).toBe('segment.bytes');
  });
  it('rolls on segment.ms by the batches timestamps, or by the clock without them', () => {
    expect(rollReason(state(), cfg, { ...append, maxTimestamp: 61_000n }, 0)).toBeNull();
    expect(rollReason(state(), cfg, { ...append, maxTimestamp: 61_001n }, 0)).toBe('segment.ms');
    expect(rollReason(state({ firstBatchTimestamp: -1n, createdMs: 100 }), cfg, append, 60_100)).toBeNull();
    expect(rollReason(state({ firstBatchTimestamp: -1n, createdMs: 100 }), cfg, append, 60_101)).toBe('segment.ms');
    expect(rollReason(state(), cfg, { ...append, maxTimestamp: -1n }, 60_001)).toBe('segment.ms');
  });
  it('rolls when either index has no room for one entry per incoming batch', () => {
    expect(rollReason(state({ offsetIndexEntries: 9 }), cfg, append, 0)).toBeNull();
    expect(rollReason(state({ offsetIndexEntries: 9 }), cfg, { ...append, batches: 2 }, 0)).toBe('index full');
    expect(rollReason(state({ timeIndexEntries: 10 }), cfg, append, 0)).toBe('index full');
  });
  it('rolls before a relative offset would overflow int32', () => {
    expect(rollReason(state(), cfg, { ...append, lastOffset: 0x7fffffffn }, 0)).toBeNull();
    expect(rollReason(state(), cfg, { ...append, lastOffset: 0x80000000n }, 0)).toBe('offset overflow');
  });
});

describe('IndexAccounting', () => {
  it("asks for an entry once more than index.interval.bytes were appended since the last (Kafka's rule)", () => {
    const a = new IndexAccounting();
    expect(a.add(60, 0n, 10n, 100)).toBe(false); // 0 bytes since: no entry for a segment's first batch
    expect(a.add(60, 1n, 5n, 100)).toBe(false); // 60
    expect(a.add(60, 2n, 30n, 100)).toBe(true); // 120 > 100
    expect(a.bytesSinceLastIndexEntry).toBe(60);
    expect([a.maxTimestamp, a.offsetOfMaxTimestamp]).toEqual([30n, 2n]);
    expect(a.add(60, 3n, 30n, 100)).toBe(false);
    expect(a.offsetOfMaxTimestamp).toBe(2n);
    const c = a.clone();
    c.add(500, 9n, 99n, 100);
    expect(a.maxTimestamp).toBe(30n);
  });
});

describe('stampBatch and splitForAppend', () => {
  it('writes base offset and epoch without touching the CRC', () => {
    const b = batch(['a', 'b']);
    const crc = new RecordBatchView(b).crc;
    expect(stampBatch(b, 0, b.length, 40n, 7, undefined)).toBe(41n);
    const v = new RecordBatchView(b);
    expect([v.baseOffset, v.partitionLeaderEpoch, v.crc, v.verifyCrc()]).toEqual([40n, 7, crc, true]);
  });

  it('stamps LogAppendTime and recomputes the CRC only when something changed', () => {
    const b = batch(['a'], 5);
    stampBatch(b, 0, b.length, 0n, 0, 777n);
    const v = new RecordBatchView(b);
    expect([v.timestampType, v.maxTimestamp, v.verifyCrc()]).toEqual([TimestampType.LogAppendTime, 777n, true]);
    const crc = v.crc;
    stampBatch(b, 0, b.length, 1n, 0, 777n);
    expect(new RecordBatchView(b).crc).toBe(crc);
  });

  it('splits concatenated v2 batches and counts their offsets', () => {
    const a = batch(['x', 'y', 'z']);
    const b = batch(['w']);
    expect(splitForAppend(Buffer.concat([a, b]))).toEqual({ starts: [0, a.length], ends: [a.length, a.length + b.length], span: 4n, end: a.length + b.length });
    expect(() => splitForAppend(Buffer.alloc(0))).toThrow();
    expect(() => splitForAppend(Buffer.concat([a, b.subarray(0, 30)]))).toThrow();
    // A fetch response's incomplete last batch, when allowed, is left out.
    expect(splitForAppend(Buffer.concat([a, b.subarray(0, 30)]), true)).toEqual({ starts: [0], ends: [a.length], span: 3n, end: a.length });
    expect(splitForAppend(Buffer.alloc(0), true)).toEqual({ starts: [], ends: [], span: 0n, end: 0 });
  });
});

describe('record lookups inside a batch', () => {
  it('finds the first record at or after a timestamp and offset', () => {
    const b = batch(['a', 'b', 'c'], [10, 30, 20]);
    stampBatch(b, 0, b.length, 100n, 0, undefined);
    const v = new RecordBatchView(b);
    expect(firstRecordAtOrAfter(v, 15n, 0n)).toEqual({ offset: 101n, timestamp: 30n });
    expect(firstRecordAtOrAfter(v, 15n, 102n)).toEqual({ offset: 102n, timestamp: 20n });
    expect(firstRecordAtOrAfter(v, 31n, 0n)).toBeNull();
    expect(recordWithTimestamp(v, 30n)).toEqual({ offset: 101n, timestamp: 30n });
  });
});

