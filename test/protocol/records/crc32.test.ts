import { describe, expect, it } from '@jest/globals';
import zlib from 'node:zlib';
import { crc32 } from '../../../src/protocol/records/crc32.js';
import { pseudoRandomBytes } from './helpers.js';

/** Bitwise reference CRC32 (reflected polynomial 0xEDB88320). */
function referenceCrc32(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32 (IEEE)', () => {
  it('matches the standard check value for "123456789"', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('matches known vectors', () => {
    expect(crc32(Buffer.alloc(0))).toBe(0);
    expect(crc32(Buffer.from('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });

  it('agrees with a bitwise reference and with zlib.crc32', () => {
    for (const len of [1, 4, 9, 63, 64, 65, 1000, 70000]) {
      const data = pseudoRandomBytes(len, len + 11);
      const v = crc32(data);
      expect(v).toBe(referenceCrc32(data));
      expect(v).toBe(zlib.crc32(data) >>> 0);
    }
  });

  it('checksums slices and continues across them', () => {
    const data = pseudoRandomBytes(300, 5);
    expect(crc32(data, 16, 250)).toBe(referenceCrc32(data.subarray(16, 250)));
    expect(crc32(data, 100, 300, crc32(data, 0, 100))).toBe(crc32(data));
  });

  it('rejects ranges outside the buffer', () => {
    expect(() => crc32(Buffer.alloc(3), 0, 4)).toThrow(RangeError);
  });
});
