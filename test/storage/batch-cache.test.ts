import { describe, expect, it } from '@jest/globals';
import { BatchCache } from '../../src/storage/batch-cache.js';

/** Appends fake batches (each filled with a byte, its base offset written in, a CRC field of 0). */
function append(w: ReturnType<BatchCache['window']>, base: bigint, sizes: number[]): Buffer {
  const buf = Buffer.alloc(sizes.reduce((a, b) => a + b, 0));
  const starts: number[] = [];
  const ends: number[] = [];
  const bases: bigint[] = [];
  const lasts: bigint[] = [];
  let pos = 0;
  sizes.forEach((s, i) => {
    buf.fill(Number(base) + i, pos, pos + s);
    buf.writeBigInt64BE(base + BigInt(i), pos);
    buf.writeUInt32BE(0, pos + 17);
    starts.push(pos);
    ends.push(pos + s);
    bases.push(base + BigInt(i));
    lasts.push(base + BigInt(i));
    pos += s;
  });
  w.add(buf, starts, ends, bases, lasts);
  return buf;
}

describe('BatchCache', () => {
  it('serves reads from the batch holding the offset, first batch whole, up to maxBytes and maxOffset', () => {
    const cache = new BatchCache(1000);
    const w = cache.window();
    append(w, 10n, [30, 40, 50]);
    expect(w.read(9n, 500, undefined)).toBeNull();
    expect(w.read(11n, 500, undefined)!.batches.map((b) => b.length)).toEqual([40, 50]);
    expect(w.read(10n, 1, undefined)!.batches.map((b) => b.length)).toEqual([30]);
    expect(w.read(10n, 70, undefined)!.bytes).toBe(70);
    expect(w.read(10n, 500, 12n)!.batches.length).toBe(2);
    expect(w.read(13n, 500, undefined)).toBeNull();
    expect(w.read(12n, 500, undefined)!.batches[0]![25]).toBe(12);
  });

  it('keeps the appended buffers themselves, and notices one reused by its owner', () => {
    const cache = new BatchCache(1000);
    const w = cache.window();
    const buf = append(w, 0n, [30, 30]);
    expect(w.read(0n, 100, undefined)!.batches[0]!.buffer).toBe(buf.buffer);
    buf.writeBigInt64BE(99n, 30); // the second batch re-stamped for another append
    expect(w.read(0n, 100, undefined)).toBeNull();
    expect(w.firstOffset).toBeNull();
    expect(cache.size).toBe(0);
  });

  it('copies what it keeps when asked to', () => {
    const cache = new BatchCache(1000, { copy: true });
    const w = cache.window();
    const buf = append(w, 3n, [30]);
    buf.fill(0);
    expect(w.read(3n, 100, undefined)!.batches[0]![25]).toBe(3);
  });

  it('evicts the oldest appends across windows to stay within its budget', () => {
    const cache = new BatchCache(100);
    const a = cache.window();
    const b = cache.window();
    append(a, 0n, [30, 30]);
    append(b, 0n, [30]);
    expect(cache.size).toBe(90);
    append(b, 1n, [30]);
    expect(cache.size).toBe(60);
    expect(a.read(0n, 100, undefined)).toBeNull();
    expect(b.read(0n, 100, undefined)!.batches.length).toBe(2);
  });

  it('restarts a window on a gap, clears on demand, and skips appends larger than the budget', () => {
    const cache = new BatchCache(100);
    const w = cache.window();
    append(w, 0n, [30]);
    append(w, 5n, [30]);
    expect(w.firstOffset).toBe(5n);
    expect(cache.size).toBe(30);
    w.clear();
    expect(cache.size).toBe(0);
    expect(w.read(5n, 10, undefined)).toBeNull();
    append(w, 6n, [200]);
    expect(cache.size).toBe(0);
    expect(new BatchCache(0).window().firstOffset).toBeNull();
  });
});
