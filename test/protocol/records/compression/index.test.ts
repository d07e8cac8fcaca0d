import { describe, expect, it } from '@jest/globals';
import { ProtocolDecodeError } from '../../../../src/protocol/decode-error.js';
import {
  CODEC_NAMES,
  codecFromName,
  codecName,
  CompressionCodec,
  compress,
  compressAsync,
  decompress,
  decompressAsync,
  isCompressionCodec,
  isXerial,
} from '../../../../src/protocol/records/compression/index.js';
import { pseudoRandomBytes, textBytes } from '../helpers.js';

const codecs = [CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd];

describe('compression codecs by Kafka attribute code', () => {
  it("uses Kafka's codes", () => {
    expect(CompressionCodec).toEqual({ None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 });
    expect(CODEC_NAMES).toEqual(['none', 'gzip', 'snappy', 'lz4', 'zstd']);
    expect(codecName(CompressionCodec.Lz4)).toBe('lz4');
    expect(codecFromName('uncompressed')).toBe(0);
    expect(codecFromName('zstd')).toBe(4);
    expect(codecFromName('producer')).toBeUndefined();
    expect(codecFromName('brotli')).toBeUndefined();
    expect([0, 1, 2, 3, 4].every(isCompressionCodec)).toBe(true);
    expect([5, 7, -1, 1.5].some(isCompressionCodec)).toBe(false);
  });

  it('dispatches to the framing of each codec', () => {
    const data = textBytes(10_000);
    expect(compress(CompressionCodec.Gzip, data).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(isXerial(compress(CompressionCodec.Snappy, data))).toBe(true);
    expect(compress(CompressionCodec.Lz4, data).readUInt32LE(0)).toBe(0x184d2204);
    expect(compress(CompressionCodec.Zstd, data).readUInt32LE(0)).toBe(0xfd2fb528);
  });

  it('round-trips every codec, sync and async, on compressible and incompressible data', async () => {
    for (const data of [textBytes(500_000), pseudoRandomBytes(200_000), Buffer.alloc(0)]) {
      for (const codec of codecs) {
        const packed = compress(codec, data);
        expect(decompress(codec, packed, data.length).equals(data)).toBe(true);
        const packedAsync = await compressAsync(codec, data);
        expect((await decompressAsync(codec, packedAsync, data.length)).equals(data)).toBe(true);
      }
    }
  });

  it('passes data through for codec none, within the bound', () => {
    const data = Buffer.from('plain');
    expect(compress(CompressionCodec.None, data)).toBe(data);
    expect(decompress(CompressionCodec.None, data, 5)).toBe(data);
    expect(() => decompress(CompressionCodec.None, data, 4)).toThrow(ProtocolDecodeError);
  });

  it('enforces maxBytes for every codec', async () => {
    const data = textBytes(100_000);
    for (const codec of codecs) {
      const packed = compress(codec, data);
      expect(() => decompress(codec, packed, 99_999)).toThrow(ProtocolDecodeError);
      await expect(decompressAsync(codec, packed, 99_999)).rejects.toBeInstanceOf(ProtocolDecodeError);
    }
  });

  it('throws ProtocolDecodeError for unknown codecs and garbage', async () => {
    for (const code of [5, 6, 7, -1]) {
      expect(() => compress(code, Buffer.from('x'))).toThrow(ProtocolDecodeError);
      expect(() => decompress(code, Buffer.from('x'), 10)).toThrow(ProtocolDecodeError);
      await expect(decompressAsync(code, Buffer.from('x'), 10)).rejects.toBeInstanceOf(ProtocolDecodeError);
    }
    for (const codec of codecs) {
      expect(() => decompress(codec, Buffer.from('garbage that is no compressed format'), 1000)).toThrow(ProtocolDecodeError);
    }
  });
});
