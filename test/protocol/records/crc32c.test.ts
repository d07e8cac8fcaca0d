import { describe, expect, it } from '@jest/globals';
import { crc32c } from '../../../src/protocol/records/crc32c.js';
import { pseudoRandomBytes } from './helpers.js';

/** Bitwise reference CRC32C (reflected polynomial 0x82F63B78), slow but obviously right. */
function referenceCrc32c(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('matches the standard check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('matches the RFC 3720 (iSCSI) test vectors', () => {
    expect(crc32c(Buffer.alloc(32, 0x00))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    const ascending = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    expect(crc32c(ascending)).toBe(0x46dd794e);
    const descending = Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i));
    expect(crc32c(descending)).toBe(0x113fdb5c);
  });

  it('is 0 for empty input and returns unsigned values', () => {
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    for (let i = 0; i < 50; i++) {
      const v = crc32c(pseudoRandomBytes(17 + i, i + 1));
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(0xffffffff);
    }
  });

  it('agrees with a bitwise reference on random data of many lengths', () => {
    for (const len of [1, 2, 3, 7, 8, 15, 16, 31, 64, 255, 1000, 4097]) {
      const data = pseudoRandomBytes(len, len);
      expect(crc32c(data)).toBe(referenceCrc32c(data));
    }
  });

  it('checksums a slice without needing a copy, equal to the checksum of the copied bytes', () => {
    const data = pseudoRandomBytes(1000, 7);
    expect(crc32c(data, 21, 900)).toBe(referenceCrc32c(Buffer.from(data.subarray(21, 900))));
    // a subarray view with a non-zero byteOffset is also handled
    const view = data.subarray(100, 800);
    expect(crc32c(view, 10, 20)).toBe(referenceCrc32c(data.subarray(110, 120)));
    expect(crc32c(data, 5, 5)).toBe(0);
  });

  it('continues a checksum across slices', () => {
    const data = pseudoRandomBytes(500, 3);
    const first = crc32c(data, 0, 123);
    expect(crc32c(data, 123, 500, first)).toBe(crc32c(data));
  });

  it('rejects ranges outside the buffer', () => {
    const data = Buffer.alloc(10);
    expect(() => crc32c(data, -1, 5)).toThrow(RangeError);
    expect(() => crc32c(data, 0, 11)).toThrow(RangeError);
    expect(() => crc32c(data, 6, 5)).toThrow(RangeError);
  });
});
