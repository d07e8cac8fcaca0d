import { afterEach, describe, expect, it } from '@jest/globals';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OffsetIndex } from '../../src/storage/offset-index.js';
import { openStorageFile } from '../../src/storage/segment-files.js';
import { tempDir } from './helpers.js';

describe('OffsetIndex', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  function filled(base = 100n): OffsetIndex {
    const index = new OffsetIndex(base, 8 * 10);
    index.append(base + 3n, 200);
    index.append(base + 7n, 450);
    index.append(base + 20n, 900);
    return index;
  }

  it('holds 8-byte big-endian entries: relative offset, position', () => {
    const index = filled();
    expect(index.entries).toBe(3);
    expect(index.sizeInBytes).toBe(24);
    const bytes = index.bytes();
    expect(bytes.readInt32BE(0)).toBe(3);
    expect(bytes.readInt32BE(4)).toBe(200);
    expect(bytes.readInt32BE(16)).toBe(20);
    expect(bytes.readInt32BE(20)).toBe(900);
    expect(index.lastEntry()).toEqual({ offset: 120n, position: 900 });
  });

  it('finds the last entry at or below an offset (binary search), or the segment start', () => {
    const index = filled();
    expect(index.lookup(90n)).toEqual({ offset: 100n, position: 0 });
    expect(index.lookup(100n)).toEqual({ offset: 100n, position: 0 });
    expect(index.lookup(102n)).toEqual({ offset: 100n, position: 0 });
    expect(index.lookup(103n)).toEqual({ offset: 103n, position: 200 });
    expect(index.lookup(106n)).toEqual({ offset: 103n, position: 200 });
    expect(index.lookup(107n)).toEqual({ offset: 107n, position: 450 });
    expect(index.lookup(119n)).toEqual({ offset: 107n, position: 450 });
    expect(index.lookup(1_000_000_000_000n)).toEqual({ offset: 120n, position: 900 });
    expect(new OffsetIndex(0n, 80).lookup(5n)).toEqual({ offset: 0n, position: 0 });
  });

  it('looks up correctly over many entries', () => {
    const index = new OffsetIndex(0n, 8 * 5000);
    for (let i = 1; i <= 5000; i++) index.append(BigInt(i * 3), i * 100);
    for (let o = 0; o < 15_010; o += 7) {
      const e = index.lookup(BigInt(o));
      const slot = Math.min(Math.floor(o / 3), 5000);
      expect(e.position).toBe(slot * 100);
    }
  });

  it('refuses entries out of order, outside the segment, or past its capacity', () => {
    const index = new OffsetIndex(10n, 16);
    index.append(12n, 100);
    expect(() => { index.append(12n, 200); }).toThrow(RangeError);
    expect(() => { index.append(13n, 100); }).toThrow(RangeError);
    expect(() => { index.append(9n, 300); }).toThrow(RangeError);
    expect(() => { index.append(10n + 0x80000000n, 300); }).toThrow(RangeError);
    index.append(14n, 150);
    expect(index.isFull).toBe(true);
    expect(() => { index.append(15n, 300); }).toThrow(RangeError);
  });

  it('truncates entries at or after an offset, and back to a number of entries', () => {
    const index = filled();
    index.truncateTo(108n);
    expect(index.entries).toBe(2);
    index.truncateTo(107n);
    expect(index.entries).toBe(1);
    index.truncateTo(50n);
    expect(index.entries).toBe(0);
    const again = filled();
    again.truncateToEntries(1);
    expect(again.lastEntry()).toEqual({ offset: 103n, position: 200 });
  });

  it('validates: strictly increasing entries, the last one inside the log', () => {
    expect(filled().isValid(901)).toBe(true);
    expect(filled().isValid(900)).toBe(false);
    expect(new OffsetIndex(0n, 80, Buffer.alloc(0)).isValid(0)).toBe(true);
    // A preallocated file left by a crash: entries followed by zeros.
    const zeros = Buffer.concat([filled().bytes(), Buffer.alloc(16)]);
    expect(new OffsetIndex(100n, 80, zeros).isValid(10_000)).toBe(false);
    expect(() => new OffsetIndex(0n, 80, Buffer.alloc(7))).toThrow(RangeError);
  });

  it('grows its buffer as entries arrive, up to segment.index.bytes', () => {
    const index = new OffsetIndex(0n, 8 * 100_000);
    for (let i = 1; i <= 100_000; i++) index.append(BigInt(i), i);
    expect(index.isFull).toBe(true);
    expect(index.lookup(77_777n)).toEqual({ offset: 77_777n, position: 77_777 });
  });

  it('writes its file preallocated or trimmed, and loads it back', async () => {
    const d = await tempDir();
    cleanups.push(d.remove);
    const path = join(d.path, '00000000000000000100.index');
    const fh = await openStorageFile(path, 'w+');
    await filled().writeTo(fh, true);
    expect((await stat(path)).size).toBe(80);
    expect((await readFile(path)).subarray(24).equals(Buffer.alloc(56))).toBe(true);
    await filled().writeTo(fh, false);
    expect((await stat(path)).size).toBe(24);
    const loaded = await OffsetIndex.load(fh, 100n, 80);
    expect(loaded!.entries).toBe(3);
    expect(loaded!.lookup(110n)).toEqual({ offset: 107n, position: 450 });
    await fh.close();
    await writeFile(path, Buffer.alloc(13));
    const bad = await openStorageFile(path, 'r');
    expect(await OffsetIndex.load(bad, 100n, 80)).toBeNull();
    await bad.close();
  });
});
