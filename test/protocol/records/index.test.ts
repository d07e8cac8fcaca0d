import { describe, expect, it } from '@jest/globals';
import * as records from '../../../src/protocol/records/index.js';

describe('records index', () => {
  it('re-exports the public pieces', () => {
    for (const name of [
      'crc32c',
      'crc32',
      'compress',
      'decompress',
      'compressAsync',
      'decompressAsync',
      'codecFromName',
      'RecordBatchView',
      'splitBatches',
      'forEachBatch',
      'buildRecordBatch',
      'buildEndTxnMarkerBatch',
      'readLegacyMessages',
      'buildLegacyMessageSet',
      'legacyToRecordBatch',
      'downConvert',
      'UnsupportedCompressionError',
    ]) {
      expect(typeof (records as Record<string, unknown>)[name]).toBe('function');
    }
    expect(records.RECORD_BATCH_HEADER_SIZE).toBe(61);
    expect(records.LOG_OVERHEAD).toBe(12);
    expect(records.CompressionCodec.Zstd).toBe(4);
    expect(records.TimestampType.LogAppendTime).toBe(1);
  });

  it('supports the produce path end to end: split, verify, assign offsets, log append time', () => {
    const request = Buffer.concat([
      records.buildRecordBatch([{ key: 'a', value: '1' }, { key: 'b', value: '2' }], { compression: records.CompressionCodec.Lz4, now: 10 }),
      records.buildLegacyMessageSet([{ value: 'legacy' }], { magic: 1, now: 11 }),
    ]);
    let next = 100n;
    const stored: Buffer[] = [];
    for (const entry of records.splitBatches(request)) {
      let bytes: Buffer = request.subarray(entry.start, entry.end);
      if (entry.magic < 2) bytes = records.legacyToRecordBatch(bytes)!;
      const view = new records.RecordBatchView(bytes);
      expect(view.verifyCrc()).toBe(true);
      view.setBaseOffset(next);
      view.setMaxTimestamp(records.TimestampType.LogAppendTime, 999n);
      expect(view.verifyCrc()).toBe(true);
      next = view.nextOffset;
      stored.push(bytes);
    }
    const log = Buffer.concat(stored);
    const all = records.splitBatches(log).flatMap((e) => new records.RecordBatchView(log, e.start, e.end).readRecords());
    expect(all.map((r) => [r.offset, r.value!.toString(), r.timestamp])).toEqual([
      [100n, '1', 999n],
      [101n, '2', 999n],
      [102n, 'legacy', 999n],
    ]);
    const old = Array.from(records.readLegacyMessages(records.downConvert(log, 0)));
    expect(old.map((m) => [m.offset, m.value!.toString()])).toEqual([
      [100n, '1'],
      [101n, '2'],
      [102n, 'legacy'],
    ]);
  });
});
