import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressFrameSync } from 'lz4-napi';
import { lz4Compress as wasmLz4Compress, lz4Decompress as wasmLz4Decompress } from '@platformatic/wasm-utils';
import { ProtocolDecodeError } from '../../../../src/protocol/decode-error.js';
import {
  LZ4_FRAME_MAGIC,
  lz4Compress,
  lz4DecodeBlock,
  lz4Decompress,
} from '../../../../src/protocol/records/compression/lz4.js';
import { xxhash32 } from '../../../../src/protocol/records/compression/xxhash32.js';
import { largestAllocation, pseudoRandomBytes, textBytes } from '../helpers.js';

const MiB = 1024 * 1024;
const require = createRequire(import.meta.url);
const native = require('lz4') as {
  encodeBlock(input: Buffer, output: Buffer): number;
  encodeBound(n: number): number;
};

const hasCli = spawnSync('lz4', ['--version']).status === 0;
const itCli = hasCli ? it : it.skip;

/** Runs the reference lz4 command-line tool (liblz4's own frame writer) on `data`. */
function lz4Cli(args: string[], data: Buffer): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-lz4-'));
  try {
    const file = join(dir, 'in');
    writeFileSync(file, data);
    return execFileSync('lz4', ['-c', '-q', ...args, file], { maxBuffer: 64 * MiB });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lz4CliDecode(frame: Buffer): Buffer {
  return execFileSync('lz4', ['-d', '-c', '-q'], { input: frame, maxBuffer: 64 * MiB });
}

/** Walks a frame written by lz4Compress: [size, uncompressed?] per block. */
function blocksOf(frame: Buffer): { size: number; stored: boolean }[] {
  const out: { size: number; stored: boolean }[] = [];
  let pos = 7;
  for (;;) {
    const word = frame.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    out.push({ size: word & 0x7fffffff, stored: (word & 0x80000000) !== 0 });
    pos += word & 0x7fffffff;
  }
  expect(pos).toBe(frame.length);
  return out;
}

/** A frame of `count` compressed 64 KiB zero blocks: tiny input, count * 64 KiB output. */
function zeroBlockFrame(count: number, contentSize?: bigint): Buffer {
  const zeros = Buffer.alloc(64 * 1024);
  const tmp = Buffer.alloc(native.encodeBound(zeros.length));
  const block = Buffer.from(tmp.subarray(0, native.encodeBlock(zeros, tmp)));
  const flg = 0x60 | (contentSize === undefined ? 0 : 0x08);
  const desc = Buffer.from([flg, 0x40]);
  const size = Buffer.alloc(contentSize === undefined ? 0 : 8);
  if (contentSize !== undefined) size.writeBigUInt64LE(contentSize);
  const descriptor = Buffer.concat([desc, size]);
  const hc = (xxhash32(descriptor) >>> 8) & 0xff;
  const blockWord = Buffer.alloc(4);
  blockWord.writeUInt32LE(block.length);
  const parts = [Buffer.from([0x04, 0x22, 0x4d, 0x18]), descriptor, Buffer.from([hc])];
  for (let i = 0; i < count; i++) parts.push(blockWord, block);
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

describe('lz4 frame codec', () => {
  it("writes Kafka's Java layout: FLG 0x60, BD 0x40 (64 KiB), proper header checksum, end mark", () => {
    const data = textBytes(200_000);
    const frame = lz4Compress(data);
    expect(frame.readUInt32LE(0)).toBe(LZ4_FRAME_MAGIC);
    expect(frame[4]).toBe(0x60); // version 01, independent blocks, no checksums, no content size
    expect(frame[5]).toBe(0x40);
    expect(frame[6]).toBe((xxhash32(frame, 4, 6) >>> 8) & 0xff);
    const blocks = blocksOf(frame);
    expect(blocks.length).toBe(Math.ceil(200_000 / 65_536));
    expect(blocks.every((b) => !b.stored && b.size < 65_536)).toBe(true);
    expect(frame.readUInt32LE(frame.length - 4)).toBe(0);
  });

  it('stores incompressible blocks uncompressed (high bit set)', () => {
    const data = pseudoRandomBytes(150_000);
    const frame = lz4Compress(data);
    const blocks = blocksOf(frame);
    expect(blocks.every((b) => b.stored)).toBe(true);
    expect(blocks.map((b) => b.size)).toEqual([65_536, 65_536, 150_000 - 131_072]);
    expect(lz4Decompress(frame, data.length).equals(data)).toBe(true);
  });

  it('round-trips empty, boundary-sized, large and incompressible inputs', () => {
    for (const data of [
      Buffer.alloc(0),
      Buffer.from('q'),
      Buffer.from('hello hello hello hello hello'),
      textBytes(65_536),
      textBytes(65_537),
      textBytes(3 * MiB),
      pseudoRandomBytes(MiB),
    ]) {
      expect(lz4Decompress(lz4Compress(data), data.length).equals(data)).toBe(true);
    }
  });

  it('produces frames independent decoders read (lz4 CLI, platformatic wasm)', () => {
    const data = textBytes(500_000);
    const frame = lz4Compress(data);
    expect(wasmLz4Decompress(frame).equals(data)).toBe(true);
    if (hasCli) expect(lz4CliDecode(frame).equals(data)).toBe(true);
  });

  it('reads frames from independent encoders: platformatic wasm, lz4_flex with checksums', () => {
    const data = textBytes(700_000);
    expect(lz4Decompress(wasmLz4Compress(data), data.length).equals(data)).toBe(true);
    const checked = compressFrameSync(data, { contentChecksum: true, blockChecksums: true });
    expect(checked[4] & 0x14).toBe(0x14);
    expect(lz4Decompress(checked, data.length).equals(data)).toBe(true);
  });

  itCli('reads every frame variant the reference lz4 tool writes', () => {
    const data = textBytes(MiB + 123);
    for (const args of [
      [], // 4 MiB blocks, content checksum
      ['-B4'],
      ['-B5', '--no-frame-crc'],
      ['-B6', '-BX'], // block checksums
      ['-B4', '-BD'], // linked blocks: matches reach into previous blocks
      ['-B4', '-BD', '-BX', '--content-size'],
      ['-B7', '--content-size'],
      ['-9', '-B4', '--no-frame-crc'], // high-compression encoder
    ]) {
      const frame = lz4Cli(args, data);
      expect(lz4Decompress(frame, data.length).equals(data)).toBe(true);
    }
  });

  it('accepts the KIP-57 legacy header checksum (computed over the magic too), and writes it when asked', () => {
    const data = textBytes(100_000);
    const legacy = lz4Compress(data, { legacyHeaderChecksum: true });
    const proper = lz4Compress(data);
    expect(legacy[6]).toBe((xxhash32(legacy, 0, 6) >>> 8) & 0xff);
    expect(legacy[6]).not.toBe(proper[6]);
    expect(legacy.subarray(7).equals(proper.subarray(7))).toBe(true);
    expect(lz4Decompress(legacy, data.length).equals(data)).toBe(true);
    // a frame from another encoder with its checksum rewritten the legacy way
    const wasm = Buffer.from(wasmLz4Compress(data));
    wasm[6] = (xxhash32(wasm, 0, 6) >>> 8) & 0xff;
    expect(lz4Decompress(wasm, data.length).equals(data)).toBe(true);
  });

  it('rejects a header checksum that is neither the proper nor the legacy one', () => {
    const frame = Buffer.from(lz4Compress(textBytes(1000)));
    const proper = frame[6];
    const legacy = (xxhash32(frame, 0, 6) >>> 8) & 0xff;
    let bad = 0;
    while (bad === proper || bad === legacy) bad++;
    frame[6] = bad;
    expect(() => lz4Decompress(frame, MiB)).toThrow(/header checksum/);
  });

  it('checks content and block checksums', () => {
    const data = textBytes(300_000);
    const frame = Buffer.from(compressFrameSync(data, { contentChecksum: true, blockChecksums: true }));
    const badContent = Buffer.from(frame);
    badContent[badContent.length - 1] ^= 0x01;
    expect(() => lz4Decompress(badContent, MiB)).toThrow(/content checksum/);
    const badBlock = Buffer.from(frame);
    // corrupt the first block's payload: its block checksum no longer matches
    const descLen = 2 + ((frame[4] & 0x08) !== 0 ? 8 : 0);
    badBlock[4 + descLen + 1 + 4 + 10] ^= 0x01;
    expect(() => lz4Decompress(badBlock, MiB)).toThrow(/block checksum/);
  });

  it('reads concatenated frames and skips skippable frames', () => {
    const a = textBytes(80_000);
    const b = pseudoRandomBytes(3000);
    const skippable = Buffer.alloc(8 + 5);
    skippable.writeUInt32LE(0x184d2a53, 0);
    skippable.writeUInt32LE(5, 4);
    const data = Buffer.concat([lz4Compress(a), skippable, lz4Compress(b)]);
    expect(lz4Decompress(data, MiB).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('allows exactly maxBytes and rejects one byte more', () => {
    const data = textBytes(200_000);
    const frame = lz4Compress(data);
    expect(lz4Decompress(frame, 200_000).length).toBe(200_000);
    expect(() => lz4Decompress(frame, 199_999)).toThrow(ProtocolDecodeError);
    const stored = lz4Compress(pseudoRandomBytes(1000));
    expect(lz4Decompress(stored, 1000).length).toBe(1000);
    expect(() => lz4Decompress(stored, 999)).toThrow(ProtocolDecodeError);
  });

  it('stops a decompression bomb without allocating its output', () => {
    const bomb = zeroBlockFrame(2048); // 128 MiB of zeros in ~600 KiB
    expect(bomb.length).toBeLessThan(MiB);
    expect(lz4Decompress(zeroBlockFrame(3), 3 * 65_536).equals(Buffer.alloc(3 * 65_536))).toBe(true);
    let error: unknown;
    const largest = largestAllocation(() => {
      try {
        lz4Decompress(bomb, MiB);
      } catch (e) {
        error = e;
      }
    });
    expect(error).toBeInstanceOf(ProtocolDecodeError);
    expect(largest).toBeLessThanOrEqual(MiB);
  });

  it('refuses a declared content size past the bound before decoding anything', () => {
    const liar = zeroBlockFrame(1, 1n << 40n);
    let error: unknown;
    const largest = largestAllocation(() => {
      try {
        lz4Decompress(liar, MiB);
      } catch (e) {
        error = e;
      }
    });
    expect(error).toBeInstanceOf(ProtocolDecodeError);
    expect((error as Error).message).toMatch(/declares/);
    expect(largest).toBeLessThan(64 * 1024);
    // a content size that does not match the blocks is corrupt
    expect(() => lz4Decompress(zeroBlockFrame(2, 65_536n), MiB)).toThrow(/declares/);
    expect(lz4Decompress(zeroBlockFrame(2, 131_072n), MiB).length).toBe(131_072);
  });

  it('rejects malformed frames with ProtocolDecodeError', () => {
    const frame = lz4Compress(textBytes(100_000));
    const cases: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from([0x04, 0x22]),
      frame.subarray(0, 6),
      frame.subarray(0, frame.length - 2), // no end mark
      frame.subarray(0, 40), // truncated block
      Buffer.from('not an lz4 frame'),
    ];
    const badVersion = Buffer.from(frame);
    badVersion[4] = 0xa0;
    cases.push(badVersion);
    const dict = Buffer.from(frame);
    dict[4] = 0x61; // dictionary id
    dict[6] = (xxhash32(dict, 4, 6) >>> 8) & 0xff;
    cases.push(dict);
    const bigBlock = Buffer.from(frame);
    bigBlock.writeUInt32LE(70_000, 7); // larger than the 64 KiB block maximum
    cases.push(bigBlock);
    const garbage = Buffer.from(frame);
    garbage.fill(0xee, 11, 200); // corrupt the first compressed block
    cases.push(garbage);
    for (const c of cases) expect(() => lz4Decompress(c, MiB)).toThrow(ProtocolDecodeError);
  });
});

describe('lz4DecodeBlock (TypeScript block decoder for linked blocks)', () => {
  it('decodes what liblz4 encodes, like liblz4', () => {
    for (const data of [textBytes(65_536), pseudoRandomBytes(5000), Buffer.alloc(30_000, 7), Buffer.from('abcabcabcabcabcabcabcabc')]) {
      const tmp = Buffer.alloc(native.encodeBound(data.length));
      const block = tmp.subarray(0, native.encodeBlock(data, tmp));
      const out = Buffer.alloc(data.length + 10);
      expect(lz4DecodeBlock(block, out, 5, out.length)).toBe(data.length);
      expect(out.subarray(5, 5 + data.length).equals(data)).toBe(true);
      expect(lz4DecodeBlock(block, out, 0, data.length - 1)).toBe(-1); // output bound
    }
  });

  it('rejects offsets before the window and truncated sequences', () => {
    const out = Buffer.alloc(100);
    // literal 'a', then a match at offset 2 with nothing that far back
    expect(lz4DecodeBlock(Buffer.from([0x10, 0x61, 0x02, 0x00]), out, 0, 100)).toBe(-1);
    expect(lz4DecodeBlock(Buffer.from([0x10, 0x61, 0x01, 0x00, 0x50, 0x61, 0x61, 0x61, 0x61, 0x61]), out, 0, 100)).toBe(10);
    expect(out.subarray(0, 10).toString()).toBe('aaaaaaaaaa');
    expect(lz4DecodeBlock(Buffer.from([0xf0, 0xff]), out, 0, 100)).toBe(-1);
    expect(lz4DecodeBlock(Buffer.from([0x10, 0x61, 0x01]), out, 0, 100)).toBe(-1);
    expect(lz4DecodeBlock(Buffer.alloc(0), out, 0, 100)).toBe(-1);
  });
});
