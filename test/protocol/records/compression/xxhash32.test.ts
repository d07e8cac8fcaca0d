import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { xxhash32 } from '../../../../src/protocol/records/compression/xxhash32.js';
import { pseudoRandomBytes } from '../helpers.js';

// xxhashjs (a dependency of the `lz4` package) is an independent implementation to compare with.
const require = createRequire(import.meta.url);
const XXH = require('xxhashjs') as { h32(data: Buffer, seed: number): { toNumber(): number } };

describe('xxhash32', () => {
  it('matches published vectors', () => {
    expect(xxhash32(Buffer.alloc(0))).toBe(0x02cc5d05);
    expect(xxhash32(Buffer.from('a'))).toBe(0x550d7456);
    expect(xxhash32(Buffer.from('abc'))).toBe(0x32d153ff);
  });

  it('agrees with xxhashjs for every tail length and with seeds', () => {
    for (let len = 0; len <= 70; len++) {
      const data = pseudoRandomBytes(len, len + 1);
      expect(xxhash32(data)).toBe(XXH.h32(data, 0).toNumber() >>> 0);
      expect(xxhash32(data, 0, len, 0x9747b28c)).toBe(XXH.h32(data, 0x9747b28c).toNumber() >>> 0);
    }
    const big = pseudoRandomBytes(100_003, 42);
    expect(xxhash32(big)).toBe(XXH.h32(big, 0).toNumber() >>> 0);
  });

  it('hashes a slice in place', () => {
    const data = pseudoRandomBytes(200, 9);
    expect(xxhash32(data, 13, 177)).toBe(xxhash32(Buffer.from(data.subarray(13, 177))));
  });
});
