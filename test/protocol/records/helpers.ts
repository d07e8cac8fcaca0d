/**
 * Test helpers for the record layer: tracking the largest Buffer allocation made through Buffer's
 * allocation functions while a function runs (decompression bounds must hold against hostile input).
 */
import { jest } from '@jest/globals';

/** Runs `fn` and returns the size of the largest Buffer.alloc/allocUnsafe/allocUnsafeSlow call during it. */
export function largestAllocation(fn: () => void): number {
  let largest = 0;
  const spies = (['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const).map((name) => {
    // Called below with Buffer as this.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = Buffer[name] as (size: number, ...rest: unknown[]) => Buffer;
    return jest.spyOn(Buffer, name).mockImplementation(((size: number, ...rest: unknown[]) => {
      if (size > largest) largest = size;
      return original.call(Buffer, size, ...rest);
    }) as never);
  });
  try {
    fn();
  } finally {
    for (const s of spies) s.mockRestore();
  }
  return largest;
}

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
export function pseudoRandomBytes(length: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Compressible text-like bytes: JSON lines with repeating field names and varying values. */
export function textBytes(length: number): Buffer {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const line = `{"id":${i},"user":"user-${i % 97}","ts":${1700000000000 + i * 13},"ok":${i % 3 === 0}}\n`;
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, length);
}
