import { describe, expect, it } from '@jest/globals';
import { compressSync } from 'snappy';
import { snappyCompress as wasmSnappyCompress } from '@platformatic/wasm-utils';
import { ProtocolDecodeError } from '../../../../src/protocol/decode-error.js';
import {
  isXerial,
  rawUncompressedLength,
  snappyCompress,
  snappyCompressRaw,
  snappyDecompress,
  XERIAL_BLOCK_SIZE,
  XERIAL_HEADER_SIZE,
} from '../../../../src/protocol/records/compression/snappy.js';
import { largestAllocation, pseudoRandomBytes, textBytes } from '../helpers.js';

const MiB = 1024 * 1024;
const HEADER = Buffer.from('82534e415050590000000001' + '00000001', 'hex');

/** Splits a xerial stream into its raw blocks (test-side parser of the framing). */
function xerialBlocks(stream: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  let pos = 16;
  while (pos < stream.length) {
    const len = stream.readInt32BE(pos);
    blocks.push(stream.subarray(pos + 4, pos + 4 + len));
    pos += 4 + len;
  }
  expect(pos).toBe(stream.length);
  return blocks;
}

function xerial(blocks: Buffer[]): Buffer {
  const parts: Buffer[] = [HEADER];
  for (const b of blocks) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(b.length);
    parts.push(len, b);
  }
  return Buffer.concat(parts);
}

describe('snappy codec', () => {
  it('writes the xerial framing of the Java client, blocks of at most 32 KiB input', () => {
    const data = textBytes(100_000);
    const packed = snappyCompress(data);
    expect(packed.subarray(0, XERIAL_HEADER_SIZE)).toEqual(HEADER);
    const blocks = xerialBlocks(packed);
    expect(blocks.length).toBe(Math.ceil(100_000 / XERIAL_BLOCK_SIZE));
    for (const b of blocks) expect(rawUncompressedLength(b)).toBeLessThanOrEqual(32 * 1024);
    expect(blocks.map(rawUncompressedLength).reduce((a, b) => a + b, 0)).toBe(100_000);
  });

  it('round-trips empty, small, large and incompressible inputs', () => {
    for (const data of [Buffer.alloc(0), Buffer.from('y'), textBytes(3 * MiB), pseudoRandomBytes(MiB)]) {
      expect(snappyDecompress(snappyCompress(data), data.length).equals(data)).toBe(true);
      expect(snappyDecompress(snappyCompressRaw(data.length ? data : Buffer.from('z')), Math.max(1, data.length)).length).toBe(
        Math.max(1, data.length),
      );
    }
  });

  it('reads a raw snappy block (librdkafka) as well as xerial, from independent encoders', () => {
    const data = textBytes(300_000);
    const raw = compressSync(data);
    expect(isXerial(raw)).toBe(false);
    expect(snappyDecompress(raw, data.length).equals(data)).toBe(true);
    // @platformatic/wasm-utils (a Rust snap build in WebAssembly) writes raw blocks too
    const wasm = wasmSnappyCompress(data);
    expect(snappyDecompress(wasm, data.length).equals(data)).toBe(true);
    // xerial assembled by hand from independently compressed blocks
    const blocks = [data.subarray(0, 1000), data.subarray(1000, 33_768), data.subarray(33_768)];
    const stream = xerial(blocks.map((b) => wasmSnappyCompress(b)));
    expect(snappyDecompress(stream, data.length).equals(data)).toBe(true);
  });

  it('reads concatenated xerial streams', () => {
    const a = textBytes(40_000);
    const b = pseudoRandomBytes(1000);
    const both = Buffer.concat([snappyCompress(a), snappyCompress(b)]);
    expect(snappyDecompress(both, 41_000).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('allows exactly maxBytes and rejects one byte more, for both framings', () => {
    const data = textBytes(70_000);
    expect(snappyDecompress(snappyCompress(data), 70_000).length).toBe(70_000);
    expect(() => snappyDecompress(snappyCompress(data), 69_999)).toThrow(ProtocolDecodeError);
    expect(snappyDecompress(snappyCompressRaw(data), 70_000).length).toBe(70_000);
    expect(() => snappyDecompress(snappyCompressRaw(data), 69_999)).toThrow(ProtocolDecodeError);
  });

  it('refuses a block whose declared length passes the bound before decompressing it', () => {
    // A raw block claiming 4 GiB - 1 bytes, followed by junk: never allocate 4 GiB.
    const liar = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.alloc(20, 0x41)]);
    expect(rawUncompressedLength(liar)).toBe(0xffffffff);
    let error: unknown;
    const largest = largestAllocation(() => {
      try {
        snappyDecompress(liar, MiB);
      } catch (e) {
        error = e;
      }
    });
    expect(error).toBeInstanceOf(ProtocolDecodeError);
    expect(largest).toBeLessThan(MiB);
    // And a xerial bomb: 2000 blocks of 32 KiB zeros (~64 MiB) in ~3 MiB, bounded at 1 MiB.
    const zeroBlock = compressSync(Buffer.alloc(32 * 1024));
    const bomb = xerial(new Array(2000).fill(zeroBlock));
    expect(bomb.length).toBeLessThan(4 * MiB);
    expect(() => snappyDecompress(bomb, MiB)).toThrow(/more than the/);
  });

  it('rejects corrupt and truncated input with ProtocolDecodeError', () => {
    const packed = snappyCompress(textBytes(50_000));
    expect(() => snappyDecompress(packed.subarray(0, packed.length - 7), MiB)).toThrow(ProtocolDecodeError);
    expect(() => snappyDecompress(packed.subarray(0, XERIAL_HEADER_SIZE + 2), MiB)).toThrow(ProtocolDecodeError);
    const negative = Buffer.concat([HEADER, Buffer.from([0xff, 0xff, 0xff, 0xf0])]);
    expect(() => snappyDecompress(negative, MiB)).toThrow(ProtocolDecodeError);
    // snappy has no checksum; structural corruption is what a decoder can detect:
    // a copy reaching before the start of the output, and a block shorter than it declares.
    expect(() => snappyDecompress(Buffer.from([0x0a, 0x01, 0x05]), MiB)).toThrow(ProtocolDecodeError);
    expect(() => snappyDecompress(Buffer.from([0x0a, 0x00, 0x41]), MiB)).toThrow(ProtocolDecodeError);
    expect(() => snappyDecompress(xerial([Buffer.from([0x0a, 0x00, 0x41])]), MiB)).toThrow(ProtocolDecodeError);
    expect(() => snappyDecompress(Buffer.alloc(0), MiB)).toThrow(ProtocolDecodeError);
    expect(() => snappyDecompress(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), MiB)).toThrow(ProtocolDecodeError);
  });
});
