/**
 * Compression codecs by Kafka's attribute code (the low three bits of a batch's or legacy message's
 * attributes): 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. Each codec writes the framing Kafka's Java
 * client writes and reads every framing real clients send (see the codec files).
 *
 * Every decompression is bounded by `maxBytes`: output that would pass it, and any invalid input,
 * throw ProtocolDecodeError; no allocation is made past the bound. An unknown codec code also throws
 * ProtocolDecodeError (it arrives from the wire).
 */
import { ProtocolDecodeError } from '../../decode-error.js';
import { gzipCompress, gzipCompressAsync, gzipDecompress, gzipDecompressAsync } from './gzip.js';
import { lz4Compress, lz4Decompress } from './lz4.js';
import { snappyCompress, snappyDecompress } from './snappy.js';
import { zstdCompress, zstdDecompress } from './zstd.js';

export const CompressionCodec = {
  None: 0,
  Gzip: 1,
  Snappy: 2,
  Lz4: 3,
  Zstd: 4,
} as const;
export type CompressionCodec = (typeof CompressionCodec)[keyof typeof CompressionCodec];

/** Kafka's names, as in the compression.type config (`none` is `uncompressed` there). */
export const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

export function isCompressionCodec(code: number): code is CompressionCodec {
  return Number.isInteger(code) && code >= 0 && code <= 4;
}

export function codecName(codec: CompressionCodec): CodecName {
  return CODEC_NAMES[codec];
}

/**
 * The codec for a compression.type value: none/uncompressed, gzip, snappy, lz4, zstd. Returns
 * undefined for `producer` (keep the producer's codec) and for unknown names.
 */
export function codecFromName(name: string): CompressionCodec | undefined {
  switch (name) {
    case 'none':
    case 'uncompressed':
      return CompressionCodec.None;
    case 'gzip':
      return CompressionCodec.Gzip;
    case 'snappy':
      return CompressionCodec.Snappy;
    case 'lz4':
      return CompressionCodec.Lz4;
    case 'zstd':
      return CompressionCodec.Zstd;
    default:
      return undefined;
  }
}

function unknownCodec(codec: number): ProtocolDecodeError {
  return new ProtocolDecodeError(`unknown compression codec ${codec}`);
}

/** Compresses `data` with `codec` (None returns `data` itself). */
export function compress(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case CompressionCodec.None:
      return data;
    case CompressionCodec.Gzip:
      return gzipCompress(data);
    case CompressionCodec.Snappy:
      return snappyCompress(data);
    case CompressionCodec.Lz4:
      return lz4Compress(data);
    case CompressionCodec.Zstd:
      return zstdCompress(data);
    default:
      throw unknownCodec(codec);
  }
}

/**
 * Decompresses `data` written with `codec`, producing at most `maxBytes` bytes (None returns `data`
 * itself, subject to the same bound).
 */
export function decompress(codec: number, data: Buffer, maxBytes: number): Buffer {
  switch (codec) {
    case CompressionCodec.None:
      if (data.length > maxBytes) throw new ProtocolDecodeError(`data of ${data.length} bytes exceeds ${maxBytes}`);
      return data;
    case CompressionCodec.Gzip:
      return gzipDecompress(data, maxBytes);
    case CompressionCodec.Snappy:
      return snappyDecompress(data, maxBytes);
    case CompressionCodec.Lz4:
      return lz4Decompress(data, maxBytes);
    case CompressionCodec.Zstd:
      return zstdDecompress(data, maxBytes);
    default:
      throw unknownCodec(codec);
  }
}

/**
 * As compress; gzip (the slow codec) runs on the libuv thread pool, the fast native codecs run inline.
 */
export async function compressAsync(codec: number, data: Buffer): Promise<Buffer> {
  if (codec === CompressionCodec.Gzip) return gzipCompressAsync(data);
  return compress(codec, data);
}

/** As decompress; gzip runs on the libuv thread pool, the fast native codecs run inline. */
export async function decompressAsync(codec: number, data: Buffer, maxBytes: number): Promise<Buffer> {
  if (codec === CompressionCodec.Gzip) return gzipDecompressAsync(data, maxBytes);
  return decompress(codec, data, maxBytes);
}

export { gzipCompress, gzipDecompress } from './gzip.js';
export { snappyCompress, snappyCompressRaw, snappyDecompress, isXerial } from './snappy.js';
export { lz4Compress, lz4Decompress, type Lz4CompressOptions } from './lz4.js';
export { zstdCompress, zstdDecompress } from './zstd.js';
