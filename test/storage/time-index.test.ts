import { afterEach, describe, expect, it } from '@jest/globals';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openStorageFile } from '../../src/storage/segment-files.js';
import { TimeIndex } from '../../src/storage/time-index.js';
import { tempDir } from './helpers.js';

describe('TimeIndex', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  function filled(): TimeIndex {
    const index = new TimeIndex(50n, 12 * 10);
    index.maybeAppend(1000n, 52n);
    index.maybeAppend(2000n, 60n);
    index.maybeAppend(3000n, 75n);
    return index;
  }

  it('holds 12-byte big-endian entries: timestamp, relative offset', () => {
    const bytes = filled().bytes();
    expect(bytes.length).toBe(36);
    expect(bytes.readBigInt64BE(0)).toBe(1000n);
    expect(bytes.readInt32BE(8)).toBe(2);
    expect(bytes.readBigInt64BE(24)).toBe(3000n);
    expect(bytes.readInt32BE(32)).toBe(25);
  });

  it('appends only when the timestamp grows, never an entry without a timestamp', () => {
    const index = new TimeIndex(0n, 120);
    index.maybeAppend(-1n, 3n);
    expect(index.entries).toBe(0);
    index.maybeAppend(10n, 3n);
    index.maybeAppend(10n, 5n);
    index.maybeAppend(9n, 6n);
    expect(index.entries).toBe(1);
    index.maybeAppend(11n, 6n);
    expect(index.lastEntry()).toEqual({ timestamp: 11n, offset: 6n });
  });

  it('finds the last entry at or below a timestamp, else (-1, base)', () => {
    const index = filled();
    expect(index.lookup(999n)).toEqual({ timestamp: -1n, offset: 50n });
    expect(index.lookup(1000n)).toEqual({ timestamp: 1000n, offset: 52n });
    expect(index.lookup(2500n)).toEqual({ timestamp: 2000n, offset: 60n });
    expect(index.lookup(9999n)).toEqual({ timestamp: 3000n, offset: 75n });
  });

  it('is full at floor(segment.index.bytes / 12) entries, except for the final entry of a sealed segment', () => {
    const index = new TimeIndex(0n, 30);
    index.maybeAppend(1n, 1n);
    index.maybeAppend(2n, 2n);
    expect(index.isFull).toBe(true);
    expect(() => { index.maybeAppend(3n, 3n); }).toThrow(RangeError);
    index.maybeAppend(3n, 3n, true);
    expect(index.entries).toBe(3);
  });

  it('truncates entries at or after an offset', () => {
    const index = filled();
    index.truncateTo(75n);
    expect(index.lastEntry()).toEqual({ timestamp: 2000n, offset: 60n });
    index.truncateTo(61n);
    expect(index.entries).toBe(2);
    index.truncateTo(52n);
    expect(index.entries).toBe(0);
  });

  it('validates: increasing timestamps, offsets in order and within the segment', () => {
    expect(filled().isValid(null)).toBe(true);
    expect(filled().isValid(75n)).toBe(true);
    expect(filled().isValid(74n)).toBe(false);
    const zeros = Buffer.concat([filled().bytes(), Buffer.alloc(24)]);
    expect(new TimeIndex(50n, 120, zeros).isValid(null)).toBe(false);
  });

  it('writes and loads its file', async () => {
    const d = await tempDir();
    cleanups.push(d.remove);
    const path = join(d.path, 'x.timeindex');
    const fh = await openStorageFile(path, 'w+');
    await filled().writeTo(fh, true);
    expect((await stat(path)).size).toBe(120);
    await filled().writeTo(fh, false);
    expect((await stat(path)).size).toBe(36);
    const loaded = await TimeIndex.load(fh, 50n, 120);
    expect(loaded!.lookup(2999n)).toEqual({ timestamp: 2000n, offset: 60n });
    await fh.close();
  });
});
