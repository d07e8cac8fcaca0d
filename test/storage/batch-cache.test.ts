import { describe, expect, it } from '@jest/globals';
import { BatchCache, type TailWindow } from '../../src/storage/batch-cache.js';

/** Appends fake batches, each filled with a byte derived from its base offset, which is written in. */
function append(w: TailWindow, base: bigint, sizes: number[]): Buffer {
  const buf = Buffer.alloc(sizes.reduce((a, b) => a + b, 0));
  const starts: number[] = [];
  const ends: number[] = [];
  const bases: bigint[] = [];
  const lasts: bigint[] = [];
  let pos = 0;
  sizes.forEach((s, i) => {
    buf.fill(fillOf(base + BigInt(i)), pos, pos + s);
    buf.writeBigInt64BE(base + BigInt(i), pos);
    starts.push(pos);
    ends.push(pos + s);
    bases.push(base + BigInt(i));
    lasts.push(base + BigInt(i));
    pos += s;
  });
  w.add(buf, starts, ends, bases, lasts);
  return buf;
}

const fillOf = (offset: bigint): number => Number(offset % 251n) + 1;

/** True when `b` is the fake batch of `offset` with `size` bytes. */
function isBatch(b: Buffer, offset: bigint, size: number): boolean {
  if (b.length !== size || b.readBigInt64BE(0) !== offset) return false;
  for (let i = 8; i < size; i++) if (b[i] !== fillOf(offset)) return false;
  return true;
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
    expect(w.read(10n, 500, 10n)).toEqual({ batches: [], bytes: 0 });
    expect(w.read(13n, 500, undefined)).toBeNull();
    expect(isBatch(w.read(12n, 500, undefined)!.batches[0], 12n, 50)).toBe(true);
    expect(w.firstOffset).toBe(10n);
  });

  it('keeps copies: neither the appender nor a reader can change what it holds', () => {
    const cache = new BatchCache(1000);
    const w = cache.window();
    const source = append(w, 3n, [30, 20]);
    source.fill(0);
    const first = w.read(3n, 100, undefined)!;
    expect(isBatch(first.batches[0], 3n, 30)).toBe(true);
    first.batches[1].fill(0);
    expect(isBatch(w.read(4n, 100, undefined)!.batches[0], 4n, 20)).toBe(true);
  });

  it('drops the oldest appends across windows when the ring comes round to them', () => {
    const cache = new BatchCache(100);
    const a = cache.window();
    const b = cache.window();
    append(a, 0n, [30, 30]);
    append(b, 0n, [30]);
    expect(cache.size).toBe(90);
    append(b, 1n, [30]); // does not fit before the end: written at the start, over a's append
    expect(cache.size).toBe(60);
    expect(a.read(0n, 100, undefined)).toBeNull();
    expect(a.firstOffset).toBeNull();
    expect(b.read(0n, 100, undefined)!.batches.map((x) => x.length)).toEqual([30, 30]);
  });

  it('keeps only appends up to maxAppendBytes, emptying the window for a bigger one', () => {
    const cache = new BatchCache(1000, { maxAppendBytes: 100 });
    const w = cache.window();
    append(w, 0n, [60, 40]);
    expect(w.read(0n, 1000, undefined)!.bytes).toBe(100);
    append(w, 2n, [101]);
    expect(w.firstOffset).toBeNull();
    expect(cache.size).toBe(0);
    append(w, 3n, [10]);
    expect(w.read(2n, 1000, undefined)).toBeNull(); // the big one is read from the log
    expect(w.read(3n, 1000, undefined)!.bytes).toBe(10);
  });

  it('restarts a window on a gap, clears on demand, and keeps nothing with a size of 0', () => {
    const cache = new BatchCache(100);
    const w = cache.window();
    append(w, 0n, [30]);
    append(w, 5n, [30]);
    expect(w.firstOffset).toBe(5n);
    expect(cache.size).toBe(30);
    w.clear();
    expect(cache.size).toBe(0);
    expect(w.read(5n, 10, undefined)).toBeNull();
    const none = new BatchCache(0).window();
    append(none, 0n, [10]);
    expect(none.firstOffset).toBeNull();
  });

  it('does not keep offsets it cannot hold exactly', () => {
    const cache = new BatchCache(100);
    const w = cache.window();
    const big = 2n ** 53n;
    append(w, big, [10]);
    expect(w.firstOffset).toBeNull();
    expect(w.read(big, 100, undefined)).toBeNull();
  });

  it('matches a model over many appends of mixed sizes to several windows, wrapping many times', () => {
    // Every cached read must return exactly the batches appended, and a window must reach back to
    // the oldest batch the ring still holds for it.
    let seed = 0x9e3779b9;
    const rand = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const cache = new BatchCache(4096, { maxAppendBytes: 1024 });
    const windows = Array.from({ length: 4 }, () => ({ w: cache.window(), next: 0n, sizes: new Map<bigint, number>() }));
    let hits = 0;
    for (let step = 0; step < 5000; step++) {
      const t = windows[rand(windows.length)];
      const sizes = Array.from({ length: 1 + rand(3) }, () => 9 + rand(rand(10) === 0 ? 700 : 120));
      append(t.w, t.next, sizes);
      sizes.forEach((s, i) => t.sizes.set(t.next + BigInt(i), s));
      t.next += BigInt(sizes.length);
      if (rand(20) === 0) t.w.clear();
      const probe = windows[rand(windows.length)];
      if (probe.next === 0n) continue;
      // Mostly near the tail, where the cache holds batches; sometimes anywhere.
      const back = rand(4) === 0 ? rand(Number(probe.next)) : rand(Math.min(Number(probe.next), 30));
      const offset = probe.next - 1n - BigInt(back);
      const r = probe.w.read(offset, 1 + rand(2000), undefined);
      if (r === null) {
        const first = probe.w.firstOffset;
        expect(first === null || offset < first).toBe(true);
        continue;
      }
      hits++;
      let o = offset;
      for (const b of r.batches) {
        expect(isBatch(b, o, probe.sizes.get(o)!)).toBe(true);
        o++;
      }
      expect(o).toBeLessThanOrEqual(probe.next);
    }
    expect(hits).toBeGreaterThan(800);
    expect(cache.size).toBeLessThanOrEqual(4096);
  });
});
