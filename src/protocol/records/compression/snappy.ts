/**
 * snappy (Kafka attribute code 2). Two framings exist on the wire:
 *
 * - xerial (snappy-java's SnappyOutputStream, which the Java client writes): a 16-byte header, the
 *   magic `0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00`, int32 version (1) and int32 minimum compatible version
 *   (1), all big-endian; then blocks, each an int32 compressed length followed by one raw snappy block
 *   holding at most 32 KiB of input. We write this framing, as the Java client does.
 * - raw: a single snappy block (what librdkafka writes). A raw block starts with the uncompressed
 *   length as an unsigned LEB128 varint.
 *
 * Reading accepts both, recognising xerial by its magic. Several xerial streams concatenated (what
 * snappy-java produces when streams are appended) are accepted too. Every block's declared
 * uncompressed length is checked against what remains of `maxBytes` before it is decompressed, so
 * no allocation exceeds the bound. The snappy library itself checks that a block decodes to exactly
 * its declared length.
 */
import { compressSync, uncompressSync } from 'snappy';
import { ProtocolDecodeError } from '../../decode-error.js';

// `copyOutputData` returns ordinary Buffers instead of externally backed ones: measured 3-4x faster
// on Node 20 (1 MiB JSON text: compress 170 -> 660 MB/s, decompress 340 -> 1340 MB/s).
const ENCODE_OPTIONS = { copyOutputData: true };
const DECODE_OPTIONS = { asBuffer: true, copyOutputData: true };

/** snappy-java's stream magic, 8 bytes. */
export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Magic + int32 version + int32 minimum compatible version. */
export const XERIAL_HEADER_SIZE = 16;
/** snappy-java's default block size, which Kafka's Java client uses. */
export const XERIAL_BLOCK_SIZE = 32 * 1024;

const XERIAL_HEADER = Buffer.alloc(XERIAL_HEADER_SIZE);
XERIAL_MAGIC.copy(XERIAL_HEADER, 0);
XERIAL_HEADER.writeInt32BE(1, 8);
XERIAL_HEADER.writeInt32BE(1, 12);

/** Compresses to the xerial framing (the Java client's format). */
export function snappyCompress(data: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER];
  let total = XERIAL_HEADER_SIZE;
  for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_SIZE) {
    const block = compressSync(data.subarray(pos, Math.min(pos + XERIAL_BLOCK_SIZE, data.length)), ENCODE_OPTIONS);
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
    total += 4 + block.length;
  }
  return Buffer.concat(parts, total);
}

/** Compresses to one raw snappy block (librdkafka's format). */
export function snappyCompressRaw(data: Buffer): Buffer {
  return compressSync(data, ENCODE_OPTIONS);
}

/** True when `data` starts with the xerial stream header. */
export function isXerial(data: Buffer, pos = 0): boolean {
  if (data.length - pos < XERIAL_HEADER_SIZE) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) {
    if (data[pos + i] !== XERIAL_MAGIC[i]) return false;
  }
  return true;
}

/**
 * Decompresses either framing; throws ProtocolDecodeError for invalid input or output that would
 * pass `maxBytes`.
 */
export function snappyDecompress(data: Buffer, maxBytes: number): Buffer {
  if (!isXerial(data)) return decodeRawBlock(data, maxBytes);

  const parts: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (isXerial(data, pos)) {
      // A concatenated stream: skip its header.
      pos += XERIAL_HEADER_SIZE;
      continue;
    }
    if (data.length - pos < 4) throw new ProtocolDecodeError('truncated xerial snappy block length');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || len > data.length - pos) {
      throw new ProtocolDecodeError(`xerial snappy block length ${len} runs past the end of the data`);
    }
    const block = decodeRawBlock(data.subarray(pos, pos + len), maxBytes - total);
    pos += len;
    total += block.length;
    parts.push(block);
  }
  if (parts.length === 1) return parts[0];
  return Buffer.concat(parts, total);
}

/**
 * Reads the uncompressed length a raw snappy block declares (its leading varint, at most 32 bits).
 */
export function rawUncompressedLength(block: Buffer): number {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw new ProtocolDecodeError('truncated snappy length varint');
    const b = block[i];
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (value > 0xffffffff) break;
      return value;
    }
  }
  throw new ProtocolDecodeError('invalid snappy length varint');
}

function decodeRawBlock(block: Buffer, remaining: number): Buffer {
  const declared = rawUncompressedLength(block);
  if (declared > remaining) {
    throw new ProtocolDecodeError(`snappy block declares ${declared} bytes, more than the ${remaining} allowed`);
  }
  try {
    return uncompressSync(block, DECODE_OPTIONS) as Buffer;
  } catch (err) {
    throw new ProtocolDecodeError(`invalid snappy data: ${(err as Error).message}`);
  }
}
