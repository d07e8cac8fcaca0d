import { describe, expect, it } from '@jest/globals';
import zlib from 'node:zlib';
import { ProtocolDecodeError } from '../../../../src/protocol/decode-error.js';
import {
  gzipCompress,
  gzipCompressAsync,
  gzipDecompress,
  gzipDecompressAsync,
} from '../../../../src/protocol/records/compression/gzip.js';
import { largestAllocation, pseudoRandomBytes, textBytes } from '../helpers.js';

const MiB = 1024 * 1024;

describe('gzip codec', () => {
  it('round-trips empty, small, large and incompressible inputs', () => {
    for (const data of [Buffer.alloc(0), Buffer.from('x'), textBytes(3 * MiB), pseudoRandomBytes(MiB)]) {
      const packed = gzipCompress(data);
      expect(packed.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip member magic
      expect(gzipDecompress(packed, data.length).equals(data)).toBe(true);
    }
    expect(gzipCompress(textBytes(MiB)).length).toBeLessThan(MiB / 4);
  });

  it('reads what java.util.zip-style writers produce: any level, concatenated members', () => {
    const a = textBytes(10_000);
    const b = pseudoRandomBytes(5000);
    const twoMembers = Buffer.concat([zlib.gzipSync(a, { level: 1 }), zlib.gzipSync(b, { level: 9 })]);
    expect(gzipDecompress(twoMembers, 1 << 20).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('allows exactly maxBytes and rejects one byte more', () => {
    const data = textBytes(100_000);
    const packed = gzipCompress(data);
    expect(gzipDecompress(packed, 100_000).length).toBe(100_000);
    expect(() => gzipDecompress(packed, 99_999)).toThrow(ProtocolDecodeError);
    expect(gzipDecompress(gzipCompress(Buffer.alloc(0)), 0).length).toBe(0);
    expect(() => gzipDecompress(gzipCompress(Buffer.from('a')), 0)).toThrow(ProtocolDecodeError);
  });

  it('stops a decompression bomb without allocating its output', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(256 * MiB), { level: 9 }); // ~250 KiB inflating to 256 MiB
    expect(bomb.length).toBeLessThan(MiB);
    let error: unknown;
    const largest = largestAllocation(() => {
      try {
        gzipDecompress(bomb, MiB);
      } catch (e) {
        error = e;
      }
    });
    expect(error).toBeInstanceOf(ProtocolDecodeError);
    expect((error as Error).message).toMatch(/inflates past/);
    expect(largest).toBeLessThanOrEqual(2 * MiB);
  });

  it('rejects corrupt and truncated input with ProtocolDecodeError', () => {
    const packed = gzipCompress(textBytes(50_000));
    expect(() => gzipDecompress(packed.subarray(0, packed.length - 10), MiB)).toThrow(ProtocolDecodeError);
    const corrupt = Buffer.from(packed);
    corrupt[20] ^= 0xff;
    corrupt[40] ^= 0xff;
    expect(() => gzipDecompress(corrupt, MiB)).toThrow(ProtocolDecodeError);
    expect(() => gzipDecompress(Buffer.from('not gzip at all'), MiB)).toThrow(ProtocolDecodeError);
  });

  it('has async variants with the same results and bounds', async () => {
    const data = textBytes(200_000);
    const packed = await gzipCompressAsync(data);
    expect((await gzipDecompressAsync(packed, data.length)).equals(data)).toBe(true);
    await expect(gzipDecompressAsync(packed, 1000)).rejects.toBeInstanceOf(ProtocolDecodeError);
    await expect(gzipDecompressAsync(Buffer.from('junk'), 1000)).rejects.toBeInstanceOf(ProtocolDecodeError);
  });
});
