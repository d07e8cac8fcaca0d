import { afterEach, describe, expect, it } from '@jest/globals';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordBatchView, TimestampType } from '../../src/protocol/records/record-batch.js';
import {
  BatchScanner,
  IndexAccounting,
  LogSegment,
  firstRecordAtOrAfter,
  recordWithTimestamp,
  rollReason,
  splitForAppend,
  stampBatch,
  type RollState,
} from '../../src/storage/log-segment.js';
import { openStorageFile, type StorageFile } from '../../src/storage/segment-files.js';
import { CorruptRecordError } from '../../src/storage/types.js';
import { batch, config, sizedBatch, tempDir } from './helpers.js';

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
    expect(splitForAppend(Buffer.concat([a, b]))).toEqual({ starts: [0, a.length], ends: [a.length, a.length + b.length], span: 4n });
    expect(() => splitForAppend(Buffer.alloc(0))).toThrow();
    expect(() => splitForAppend(Buffer.concat([a, b.subarray(0, 30)]))).toThrow();
  });
});

describe('BatchScanner', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function fileOf(content: Buffer): Promise<StorageFile> {
    const d = await tempDir();
    const path = join(d.path, 'f.log');
    await writeFile(path, content);
    const fh = await openStorageFile(path, 'r+');
    cleanups.push(async () => {
      await fh.close();
      await d.remove();
    });
    return fh;
  }

  async function walk(s: BatchScanner): Promise<bigint[]> {
    const out: bigint[] = [];
    while (await s.fill()) {
      while (s.next()) out.push(s.baseOffset);
      if (s.stop !== null) break;
    }
    return out;
  }

  function stamped(n: number, size = 50): Buffer {
    return Buffer.concat(
      Array.from({ length: n }, (_, i) => {
        const b = sizedBatch(size + ((i * 37) % 300));
        stampBatch(b, 0, b.length, BigInt(i), 0, undefined);
        return b;
      }),
    );
  }

  for (const prefetch of [false, true]) {
    it(`walks every batch across chunk boundaries, batches larger than a chunk included (prefetch: ${prefetch})`, async () => {
      const big = sizedBatch(300_000);
      const content = Buffer.concat([stamped(40), sizedBatch(5000), stamped(3), big, stamped(2)]);
      const file = await fileOf(content);
      // Restamp so that offsets run 0, 1, 2, ...
      let pos = 0;
      for (let i = 0; pos < content.length; i++) {
        const end = pos + 12 + content.readInt32BE(pos + 8);
        stampBatch(content, pos, end, BigInt(i), 0, undefined);
        pos = end;
      }
      await file.write(content, 0, content.length, 0);
      for (const chunk of [128, 1000, 64 * 1024]) {
        const s = new BatchScanner(file, 0, content.length, chunk, true, prefetch);
        expect(await walk(s)).toEqual(Array.from({ length: 47 }, (_, i) => BigInt(i)));
        expect([s.stop, s.position]).toEqual(['end', content.length]);
      }
      const from = stamped(40).length;
      const s = new BatchScanner(file, from, content.length, 700, true, prefetch);
      expect((await walk(s))[0]).toBe(40n);
    });

    it(`stops at a torn tail and zeros (prefetch: ${prefetch})`, async () => {
      const good = stamped(30);
      const content = Buffer.concat([good, batch(['x']).subarray(0, 30), Buffer.alloc(100)]);
      const s = new BatchScanner(await fileOf(content), 0, content.length, 256, true, prefetch);
      expect((await walk(s)).length).toBe(30);
      expect(s.position).toBe(good.length);
      await s.settle();
    });
  }

  it('stops at a torn batch, an impossible length, a wrong magic, or (when asked) a bad CRC', async () => {
    const good = stamped(5);
    const torn = Buffer.concat([good, batch(['x']).subarray(0, 30)]);
    let s = new BatchScanner(await fileOf(torn), 0, torn.length, 64, true);
    expect((await walk(s)).length).toBe(5);
    expect([s.stop, s.position]).toEqual(['truncated', good.length]);

    const zeros = Buffer.concat([good, Buffer.alloc(100)]);
    s = new BatchScanner(await fileOf(zeros), 0, zeros.length, 64, true);
    await walk(s);
    expect([s.stop, s.position]).toEqual(['bad length', good.length]);

    const magic = Buffer.concat([good, batch(['x'])]);
    magic[good.length + 16] = 1;
    s = new BatchScanner(await fileOf(magic), 0, magic.length, 1 << 20, true);
    await walk(s);
    expect(s.stop).toBe('bad magic');

    const crc = Buffer.concat([good, batch(['x'])]);
    crc[crc.length - 1] ^= 0xff;
    s = new BatchScanner(await fileOf(crc), 0, crc.length, 1 << 20, true);
    await walk(s);
    expect([s.stop, s.position]).toEqual(['bad crc', good.length]);
    s = new BatchScanner(await fileOf(crc), 0, crc.length, 1 << 20, false);
    expect((await walk(s)).length).toBe(6);
  });

  it('reports a file shorter than expected as truncated', async () => {
    const good = stamped(3);
    const s = new BatchScanner(await fileOf(good), 0, good.length + 500, 1 << 20, false);
    expect((await walk(s)).length).toBe(3);
    expect(s.stop).toBe('truncated');
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

describe('LogSegment', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function segmentWith(n: number): Promise<{ seg: LogSegment; sizes: number[]; dir: string }> {
    const d = await tempDir();
    cleanups.push(d.remove);
    const seg = await LogSegment.create(d.path, 10n, 800, (p, f) => openStorageFile(p, f), 0);
    cleanups.push(() => seg.closeHandle());
    const sizes: number[] = [];
    const bufs: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const b = batch([`v${i}`, `w${i}`], 100 + i);
      stampBatch(b, 0, b.length, 10n + BigInt(2 * i), 0, undefined);
      const position = sizes.reduce((x, y) => x + y, 0);
      if (seg.accounting.add(b.length, 11n + BigInt(2 * i), 100n + BigInt(i), 100)) {
        seg.offsetIndex!.append(11n + BigInt(2 * i), position);
        seg.timeIndex!.maybeAppend(seg.accounting.maxTimestamp, seg.accounting.offsetOfMaxTimestamp);
      }
      sizes.push(b.length);
      bufs.push(b);
    }
    await seg.write(bufs, 0);
    seg.size = seg.writePosition = sizes.reduce((x, y) => x + y, 0);
    seg.nextOffset = 10n + BigInt(2 * n);
    seg.maxTimestamp = seg.accounting.maxTimestamp;
    seg.offsetOfMaxTimestamp = seg.accounting.offsetOfMaxTimestamp;
    return { seg, sizes, dir: d.path };
  }

  it('creates its files with 20-digit names, indexes preallocated', async () => {
    const { dir } = await segmentWith(0);
    expect((await readFile(join(dir, '00000000000000000010.index'))).length).toBe(800);
    expect((await readFile(join(dir, '00000000000000000010.timeindex'))).length).toBe(792);
  });

  it('reads whole batches from the one holding the offset, from an index position', async () => {
    const { seg, sizes } = await segmentWith(20);
    const start = seg.offsetIndex!.lookup(25n).position;
    const r = await seg.read(25n, start, seg.size, 3 * sizes[0], true, undefined, 100);
    expect(r.batches.map((b) => new RecordBatchView(b).baseOffset)).toEqual([24n, 26n, 28n]);
    expect(r.nextOffset).toBe(30n);
    expect(r.limited).toBe(true);
    const all = await seg.read(10n, 0, seg.size, 1 << 20, true, undefined, 0);
    expect(all.bytes).toBe(seg.size);
    expect(all.limited).toBe(false);
    const capped = await seg.read(10n, 0, seg.size, 1 << 20, true, 15n, 0);
    expect(capped.batches.length).toBe(2);
  });

  it('a read meeting a damaged header serves the batches before it, then throws CorruptRecordError once reported', async () => {
    const { seg, sizes, dir } = await segmentWith(10);
    const damageAt = sizes.slice(0, 6).reduce((x, y) => x + y, 0);
    const file = join(dir, '00000000000000000010.log');
    const bytes = await readFile(file);
    bytes.fill(0xee, damageAt + 8, damageAt + 17); // the length and the magic of batch 6
    await writeFile(file, bytes);
    await seg.closeHandle();

    const r = await seg.read(10n, 0, seg.size, 1 << 20, true, undefined, 0);
    expect(r.batches.map((b) => new RecordBatchView(b).baseOffset)).toEqual([10n, 12n, 14n, 16n, 18n, 20n]);
    expect([r.nextOffset, r.position, r.limited]).toEqual([22n, damageAt, true]);

    const first = await seg.read(22n, damageAt, seg.size, 1 << 20, true, undefined, 0).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(CorruptRecordError);
    expect(first).toMatchObject({ file, position: damageAt, firstReport: true });
    expect((first as CorruptRecordError).reason).toMatch(/impossible batch length/);
    // An offset past the damage, looked up from before it, cannot be reached either.
    const again = await seg.read(30n, 0, seg.size, 1 << 20, true, undefined, 0).catch((e: unknown) => e);
    expect(again).toMatchObject({ position: damageAt, firstReport: false });
  });

  it('a read rejects a batch whose offsets go backwards', async () => {
    const { seg, sizes, dir } = await segmentWith(4);
    const file = join(dir, '00000000000000000010.log');
    const bytes = await readFile(file);
    bytes.writeBigInt64BE(11n, sizes[0] + sizes[1]); // batch 2 claims offset 11, inside batch 0
    await writeFile(file, bytes);
    await seg.closeHandle();
    const r = await seg.read(10n, 0, seg.size, 1 << 20, true, undefined, 0);
    expect(r.batches.map((b) => new RecordBatchView(b).baseOffset)).toEqual([10n, 12n]);
    const e = await seg.read(14n, 0, seg.size, 1 << 20, true, undefined, 0).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(CorruptRecordError);
    expect((e as CorruptRecordError).reason).toBe('base offset 11 after a batch ending at 13');
  });

  it('rebuilds identical indexes from the log', async () => {
    const { seg } = await segmentWith(30);
    const offsets = Buffer.from(seg.offsetIndex!.bytes());
    const times = Buffer.from(seg.timeIndex!.bytes());
    const r = await seg.rebuildIndexes(config({ indexIntervalBytes: 100, segmentIndexBytes: 800 }), true);
    expect(r).toEqual({ validBytes: seg.size, truncatedBytes: 0, stop: 'end', nextOffset: 70n, droppedOffsets: null });
    expect(seg.offsetIndex!.bytes().equals(offsets)).toBe(true);
    expect(seg.timeIndex!.bytes().equals(times)).toBe(true);
  });

  it('recovery cuts the tail after the last valid batch', async () => {
    const { seg, dir } = await segmentWith(5);
    await appendFile(join(dir, '00000000000000000010.log'), batch(['partial']).subarray(0, 20));
    const r = await seg.rebuildIndexes(config({ indexIntervalBytes: 100 }), true);
    expect(r.truncatedBytes).toBe(20);
    expect(r.stop).toBe('truncated');
  });

  it('truncates at the batch holding an offset and recomputes its bookkeeping', async () => {
    const { seg, sizes } = await segmentWith(20);
    expect(await seg.truncateTo(25n)).toBe(24n);
    expect(seg.size).toBe(sizes.slice(0, 7).reduce((x, y) => x + y, 0));
    expect([seg.maxTimestamp, seg.offsetOfMaxTimestamp]).toEqual([106n, 23n]);
    expect(seg.offsetIndex!.lastEntry()!.offset).toBeLessThan(24n);
    expect(await seg.truncateTo(10n)).toBe(10n);
    expect([seg.size, seg.maxTimestamp, seg.firstBatchTimestamp]).toEqual([0, -1n, -1n]);
  });
});
