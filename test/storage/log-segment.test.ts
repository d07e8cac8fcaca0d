import { afterEach, describe, expect, it } from '@jest/globals';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordBatchView } from '../../src/protocol/records/record-batch.js';
import { LogSegment } from '../../src/storage/log-segment.js';
import { stampBatch } from '../../src/storage/log-rules.js';
import { openStorageFile } from '../../src/storage/segment-files.js';
import { CorruptRecordError } from '../../src/storage/types.js';
import { batch, config, tempDir } from './helpers.js';

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

