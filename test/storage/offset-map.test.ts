import { describe, expect, it } from '@jest/globals';
import { OffsetMap } from '../../src/storage/offset-map.js';

/** A key in a larger buffer, as the cleaner finds it in a batch. */
function inBatch(key: Buffer): { buf: Buffer; start: number } {
  const buf = Buffer.alloc(key.length + 7, 0xee);
  key.copy(buf, 3);
  return { buf, start: 3 };
}

function put(map: OffsetMap, key: Buffer, offset: number): boolean {
  const { buf, start } = inBatch(key);
  return map.put(buf, start, key.length, offset);
}

function get(map: OffsetMap, key: Buffer): number {
  const { buf, start } = inBatch(key);
  return map.get(buf, start, key.length);
}

/** Deterministic pseudo-random bytes. */
function keys(n: number, seed: number): Buffer[] {
  let x = seed;
  const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 16;
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const key = Buffer.alloc(next() % 48);
    for (let j = 0; j < key.length; j++) key[j] = next() & 0xff;
    out.push(key);
  }
  return out;
}

describe('OffsetMap (the cleaner key map)', () => {
  it('keeps the latest offset of every key, short (exact) and long (hashed), across the table growing', () => {
    const map = new OffsetMap(24 * 1_000_000);
    const reference = new Map<string, number>();
    const all = keys(50_000, 7);
    all.forEach((k, offset) => {
      expect(put(map, k, offset)).toBe(true);
      reference.set(k.toString('hex'), offset);
    });
    expect(map.size).toBe(reference.size);
    for (const k of all) expect(get(map, k)).toBe(reference.get(k.toString('hex')));
    expect(map.latestOffset).toBe(BigInt(all.length - 1));
    for (const k of keys(1000, 99)) {
      if (!reference.has(k.toString('hex'))) expect(get(map, k)).toBe(-1);
    }
  });

  it('tells apart keys that differ only in length or in trailing zero bytes', () => {
    const map = new OffsetMap(24 * 100);
    const variants = [Buffer.alloc(0), Buffer.from([0]), Buffer.from([0, 0]), Buffer.from('a'), Buffer.from('a\0'), Buffer.alloc(15), Buffer.alloc(16), Buffer.alloc(17)];
    variants.forEach((k, i) => put(map, k, i));
    expect(map.size).toBe(variants.length);
    variants.forEach((k, i) => { expect(get(map, k)).toBe(i); });
  });

  it('finds every key of a full table whose keys share buckets, refuses a new one, and looks up a missing key', () => {
    // loadFactor 1: five keys in a table of six slots, so probing runs through collisions.
    const map = new OffsetMap(5 * 24, 1);
    expect(map.capacity).toBe(5);
    const five = ['k1', 'k2', 'a longer key than fifteen bytes', 'k4', 'another key that is hashed'].map((s) => Buffer.from(s));
    five.forEach((k, i) => { expect(put(map, k, i * 10)).toBe(true); });
    expect(map.isFull).toBe(true);
    expect(put(map, Buffer.from('k6'), 60)).toBe(false);
    expect(get(map, Buffer.from('k6'))).toBe(-1);
    // An existing key still takes a newer offset when the map is full.
    expect(put(map, Buffer.from('k2'), 70)).toBe(true);
    expect(five.map((k) => get(map, k))).toEqual([0, 70, 20, 30, 40]);
    expect(map.utilization).toBe(1);
  });

  it('is empty after clear() and fills again', () => {
    const map = new OffsetMap(24 * 10_000);
    const all = keys(5000, 3);
    all.forEach((k, i) => put(map, k, i));
    map.clear();
    expect(map.size).toBe(0);
    expect(map.latestOffset).toBe(-1n);
    for (const k of all.slice(0, 100)) expect(get(map, k)).toBe(-1);
    put(map, all[0], 5);
    expect(get(map, all[0])).toBe(5);
    expect(map.size).toBe(1);
  });
});
