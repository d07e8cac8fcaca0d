/**
 * lz4 (Kafka attribute code 3): the LZ4 frame format (lz4_Frame_format.md), implemented here over
 * liblz4's block functions (the native `lz4` package: encodeBlock/decodeBlock wrap LZ4_compress_default
 * and LZ4_decompress_safe).
 *
 * Frame layout: magic 0x184D2204 (LE) | FLG | BD | [content size u64 LE] | [dict id u32 LE] | HC |
 * blocks | end mark (u32 0) | [content checksum u32 LE].
 * - FLG: version (bits 7-6, must be 01), block independence (bit 5), block checksum (bit 4), content
 *   size (bit 3), content checksum (bit 2), reserved (bit 1), dict id (bit 0).
 * - BD: block max size code in bits 6-4 (4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB).
 * - HC: (xxHash32(descriptor, seed 0) >> 8) & 0xff, where the descriptor runs from FLG to just before HC.
 * - Block: u32 LE size whose high bit means "stored uncompressed"; then the data; then a u32 xxHash32
 *   of the data when FLG has block checksums.
 *
 * Writing follows Kafka's Java client (KafkaLZ4BlockOutputStream): independent blocks of at most
 * 64 KiB, no block checksums, no content size, no content checksum; a block that does not shrink is
 * stored uncompressed.
 *
 * KIP-57: clients of the magic v0 era computed HC over the magic bytes too (xxHash32 of the frame from
 * its first byte to just before HC). Reading accepts either checksum; writing produces the broken one
 * only when asked (`legacyHeaderChecksum`, for down-conversion to magic 0).
 *
 * Reading is bounded: output never grows past `maxBytes`; exceeding it throws ProtocolDecodeError.
 * Frames with linked (dependent) blocks, which Kafka's Java client rejects, are accepted: their blocks
 * are decoded by a small TypeScript block decoder that can reach back into the previous output.
 * Concatenated frames and skippable frames are accepted.
 */
import lz4 from 'lz4';
import { ProtocolDecodeError } from '../../decode-error.js';
import { xxhash32 } from './xxhash32.js';

interface Lz4Native {
  /** LZ4_compress_default(input, output + sIdx, input.length, eIdx - sIdx); returns 0 when it does not fit. */
  encodeBlock(input: Uint8Array, output: Uint8Array, sIdx?: number, eIdx?: number): number;
  /** LZ4_decompress_safe(input, output, input.length, output.length); negative on error or overflow. */
  decodeBlock(input: Uint8Array, output: Uint8Array): number;
  encodeBound(size: number): number;
}

const native = lz4 as Lz4Native;

export const LZ4_FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICT_ID = 0x01;

const BLOCK_UNCOMPRESSED = 0x80000000;
const BLOCK_SIZE_MASK = 0x7fffffff;

/** Block max size by BD code (codes 0-3 are reserved). */
const BLOCK_MAX_SIZES = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

/** The block size Kafka's Java client writes. */
export const LZ4_WRITE_BLOCK_SIZE = 64 * 1024;
const WRITE_FLG = FLG_VERSION_01 | FLG_BLOCK_INDEPENDENCE; // 0x60
const WRITE_BD = 4 << 4; // 64 KiB

export interface Lz4CompressOptions {
  /** Write the header checksum over magic + descriptor, as magic v0 clients expect (KIP-57). */
  legacyHeaderChecksum?: boolean;
}

/** Compresses `data` into one LZ4 frame in Kafka's Java client layout. */
export function lz4Compress(data: Buffer, options: Lz4CompressOptions = {}): Buffer {
  const blockCount = Math.ceil(data.length / LZ4_WRITE_BLOCK_SIZE);
  // Worst case: every block stored uncompressed.
  const out = Buffer.allocUnsafe(7 + blockCount * 4 + data.length + 4);
  out.writeUInt32LE(LZ4_FRAME_MAGIC, 0);
  out[4] = WRITE_FLG;
  out[5] = WRITE_BD;
  out[6] = options.legacyHeaderChecksum ? headerChecksum(out, 0, 6) : headerChecksum(out, 4, 6);
  let pos = 7;
  for (let src = 0; src < data.length; src += LZ4_WRITE_BLOCK_SIZE) {
    const block = data.subarray(src, Math.min(src + LZ4_WRITE_BLOCK_SIZE, data.length));
    // Room for one byte less than the input: a block that does not shrink is stored as is.
    const written = block.length > 1 ? native.encodeBlock(block, out, pos + 4, pos + 4 + block.length - 1) : 0;
    if (written > 0) {
      out.writeUInt32LE(written, pos);
      pos += 4 + written;
    } else {
      out.writeUInt32LE((BLOCK_UNCOMPRESSED | block.length) >>> 0, pos);
      block.copy(out, pos + 4);
      pos += 4 + block.length;
    }
  }
  out.writeUInt32LE(0, pos);
  pos += 4;
  return trim(out, pos);
}

function headerChecksum(buf: Buffer, start: number, end: number): number {
  return (xxhash32(buf, start, end, 0) >>> 8) & 0xff;
}

/** Returns `buf[0, used)`, copied out when most of the allocation would otherwise be wasted. */
function trim(buf: Buffer, used: number): Buffer {
  if (used === buf.length) return buf;
  if (buf.length - used > Math.max(4096, used >>> 2)) return Buffer.from(buf.subarray(0, used));
  return buf.subarray(0, used);
}

/** Growable output bounded by maxBytes. */
class Output {
  buf: Buffer;
  pos = 0;
  constructor(
    initial: number,
    readonly maxBytes: number,
  ) {
    this.buf = Buffer.allocUnsafe(initial);
  }
  /** Makes room for `n` more bytes (n <= maxBytes - pos). */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = Math.max(this.buf.length * 2, need, 4096);
    if (cap > this.maxBytes) cap = this.maxBytes;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

/**
 * Decompresses one or more LZ4 frames; throws ProtocolDecodeError for invalid input or output that
 * would pass `maxBytes`.
 */
export function lz4Decompress(data: Buffer, maxBytes: number): Buffer {
  if (data.length < 4) throw new ProtocolDecodeError('truncated LZ4 frame');
  const out = new Output(Math.min(maxBytes, Math.max(4096, data.length * 4)), maxBytes);
  let pos = 0;
  while (pos < data.length) {
    if (data.length - pos < 4) throw new ProtocolDecodeError('truncated LZ4 frame magic');
    const magic = data.readUInt32LE(pos);
    if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (data.length - pos < 8) throw new ProtocolDecodeError('truncated LZ4 skippable frame');
      const size = data.readUInt32LE(pos + 4);
      if (size > data.length - pos - 8) throw new ProtocolDecodeError('LZ4 skippable frame runs past the end');
      pos += 8 + size;
      continue;
    }
    if (magic !== LZ4_FRAME_MAGIC) {
      throw new ProtocolDecodeError(`bad LZ4 frame magic 0x${magic.toString(16)}`);
    }
    pos = decodeFrame(data, pos, out);
  }
  return trim(out.buf, out.pos);
}

function decodeFrame(data: Buffer, frameStart: number, out: Output): number {
  const end = data.length;
  let pos = frameStart + 4;
  if (end - pos < 3) throw new ProtocolDecodeError('truncated LZ4 frame descriptor');
  const flg = data[pos];
  const bd = data[pos + 1];
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) throw new ProtocolDecodeError('unsupported LZ4 frame version');
  if ((flg & FLG_RESERVED) !== 0 || (bd & 0x8f) !== 0) {
    throw new ProtocolDecodeError('LZ4 frame descriptor has reserved bits set');
  }
  if ((flg & FLG_DICT_ID) !== 0) throw new ProtocolDecodeError('LZ4 frames with a dictionary are not supported');
  const blockMax = BLOCK_MAX_SIZES[(bd >>> 4) & 0x07];
  if (blockMax === 0) throw new ProtocolDecodeError('invalid LZ4 block max size');
  const independent = (flg & FLG_BLOCK_INDEPENDENCE) !== 0;
  const blockChecksum = (flg & FLG_BLOCK_CHECKSUM) !== 0;
  const contentChecksum = (flg & FLG_CONTENT_CHECKSUM) !== 0;
  const descEnd = pos + 2 + ((flg & FLG_CONTENT_SIZE) !== 0 ? 8 : 0);
  if (end - descEnd < 1) throw new ProtocolDecodeError('truncated LZ4 frame descriptor');
  let contentSize = -1;
  if ((flg & FLG_CONTENT_SIZE) !== 0) {
    const size = data.readBigUInt64LE(pos + 2);
    if (size > BigInt(out.maxBytes - out.pos)) {
      throw new ProtocolDecodeError(`LZ4 frame declares ${size} bytes, more than the ${out.maxBytes - out.pos} allowed`);
    }
    contentSize = Number(size);
    out.ensure(contentSize);
  }
  const hc = data[descEnd];
  // The proper checksum covers FLG..end of descriptor; the KIP-57 legacy one starts at the magic.
  if (hc !== headerChecksum(data, pos, descEnd) && hc !== headerChecksum(data, frameStart, descEnd)) {
    throw new ProtocolDecodeError('LZ4 frame header checksum mismatch');
  }
  pos = descEnd + 1;

  const frameOutStart = out.pos;
  for (;;) {
    if (end - pos < 4) throw new ProtocolDecodeError('truncated LZ4 block size');
    const word = data.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break; // end mark
    const size = word & BLOCK_SIZE_MASK;
    const stored = (word & BLOCK_UNCOMPRESSED) !== 0;
    if (size > blockMax) throw new ProtocolDecodeError(`LZ4 block of ${size} bytes exceeds the ${blockMax} byte maximum`);
    if (end - pos < size + (blockChecksum ? 4 : 0)) throw new ProtocolDecodeError('truncated LZ4 block');
    if (blockChecksum && data.readUInt32LE(pos + size) !== xxhash32(data, pos, pos + size, 0)) {
      throw new ProtocolDecodeError('LZ4 block checksum mismatch');
    }
    const remaining = out.maxBytes - out.pos;
    if (stored) {
      if (size > remaining) throw new ProtocolDecodeError(`LZ4 data inflates past ${out.maxBytes} bytes`);
      out.ensure(size);
      data.copy(out.buf, out.pos, pos, pos + size);
      out.pos += size;
    } else {
      decodeCompressedBlock(data.subarray(pos, pos + size), out, blockMax, independent ? -1 : frameOutStart);
    }
    pos += size + (blockChecksum ? 4 : 0);
  }
  if (contentChecksum) {
    if (end - pos < 4) throw new ProtocolDecodeError('truncated LZ4 content checksum');
    if (data.readUInt32LE(pos) !== xxhash32(out.buf, frameOutStart, out.pos, 0)) {
      throw new ProtocolDecodeError('LZ4 content checksum mismatch');
    }
    pos += 4;
  }
  if (contentSize >= 0 && out.pos - frameOutStart !== contentSize) {
    throw new ProtocolDecodeError(`LZ4 frame declares ${contentSize} bytes but holds ${out.pos - frameOutStart}`);
  }
  return pos;
}

/**
 * Decodes one compressed block at out.pos. `linkedFrom` >= 0 means linked blocks: matches may reach
 * back into output from that position on.
 */
function decodeCompressedBlock(block: Buffer, out: Output, blockMax: number, linkedFrom: number): void {
  const remaining = out.maxBytes - out.pos;
  const limit = Math.min(blockMax, remaining);
  if (linkedFrom >= 0) {
    out.ensure(limit);
    const n = lz4DecodeBlock(block, out.buf, out.pos, out.pos + limit, Math.max(linkedFrom, out.pos - 65536));
    if (n < 0) throw corruptOrTooLarge(limit < blockMax, out.maxBytes);
    out.pos += n;
    return;
  }
  // LZ4 expands at most ~255x; try a tight window first so a small block does not force a large
  // allocation, then the full one.
  const guess = Math.min(limit, block.length * 255 + 64);
  out.ensure(guess);
  let n = native.decodeBlock(block, out.buf.subarray(out.pos, out.pos + guess));
  if (n < 0 && guess < limit) {
    out.ensure(limit);
    n = native.decodeBlock(block, out.buf.subarray(out.pos, out.pos + limit));
  }
  if (n < 0) throw corruptOrTooLarge(limit < blockMax, out.maxBytes);
  out.pos += n;
}

function corruptOrTooLarge(bounded: boolean, maxBytes: number): ProtocolDecodeError {
  return new ProtocolDecodeError(
    bounded ? `LZ4 block is corrupt or inflates past ${maxBytes} bytes` : 'LZ4 block is corrupt',
  );
}

/**
 * Decodes one LZ4 block (lz4_Block_format.md) from `src` into `dst[dstStart, dstLimit)`, allowing
 * matches to reach back to `windowStart` (<= dstStart). Returns the number of bytes written, or -1
 * for a malformed block or output past dstLimit. Used for linked-block frames and as a reference.
 *
 * A block is a series of sequences: token (high nibble literal length, low nibble match length - 4,
 * each 15 meaning "more length bytes follow, added until one is not 255"), literals, then a 2-byte LE
 * match offset and the match. The last sequence has literals only.
 */
export function lz4DecodeBlock(
  src: Uint8Array,
  dst: Uint8Array,
  dstStart: number,
  dstLimit: number,
  windowStart = dstStart,
): number {
  let s = 0;
  let d = dstStart;
  const sEnd = src.length;
  if (sEnd === 0) return -1;
  for (;;) {
    if (s >= sEnd) return -1;
    const token = src[s++];
    let litLen = token >>> 4;
    if (litLen === 15) {
      let b: number;
      do {
        if (s >= sEnd) return -1;
        b = src[s++];
        litLen += b;
      } while (b === 255);
    }
    if (litLen > sEnd - s || litLen > dstLimit - d) return -1;
    for (let i = 0; i < litLen; i++) dst[d++] = src[s++];
    if (s === sEnd) return d - dstStart; // last sequence
    if (sEnd - s < 2) return -1;
    const offset = src[s] | (src[s + 1] << 8);
    s += 2;
    if (offset === 0 || d - offset < windowStart) return -1;
    let matchLen = (token & 0x0f) + 4;
    if ((token & 0x0f) === 15) {
      let b: number;
      do {
        if (s >= sEnd) return -1;
        b = src[s++];
        matchLen += b;
      } while (b === 255);
    }
    if (matchLen > dstLimit - d) return -1;
    let m = d - offset;
    // Byte by byte: the match may overlap the bytes it produces.
    for (let i = 0; i < matchLen; i++) dst[d++] = dst[m++];
  }
}
