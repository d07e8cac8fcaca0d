import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import zstdBinding from 'zstd-napi/binding.js';
import { ProtocolDecodeError } from '../../../../src/protocol/decode-error.js';
import { zstdCompress, zstdDecompress } from '../../../../src/protocol/records/compression/zstd.js';
import { largestAllocation, pseudoRandomBytes, textBytes } from '../helpers.js';

const MiB = 1024 * 1024;
const hasCli = spawnSync('zstd', ['--version']).status === 0;
const itCli = hasCli ? it : it.skip;

/**
 * A zstd frame without a content size, as streaming writers (the Java client's ZstdOutputStream)
 * produce: data fed with "continue", then an empty "end".
 */
function streamingFrame(data: Buffer): Buffer {
  const cctx = new zstdBinding.CCtx();
  const chunk = Buffer.alloc(zstdBinding.cStreamOutSize());
  const parts: Buffer[] = [];
  let src = data;
  while (src.length > 0) {
    const [, produced, consumed] = cctx.compressStream2(chunk, src, zstdBinding.EndDirective.continue);
    parts.push(Buffer.from(chunk.subarray(0, produced)));
    src = src.subarray(consumed);
  }
  for (;;) {
    const [ret, produced] = cctx.compressStream2(chunk, Buffer.alloc(0), zstdBinding.EndDirective.end);
    parts.push(Buffer.from(chunk.subarray(0, produced)));
    if (ret === 0) break;
  }
  return Buffer.concat(parts);
}

function captureError(fn: () => void): { error: unknown; largest: number } {
  let error: unknown;
  const largest = largestAllocation(() => {
    try {
      fn();
    } catch (e) {
      error = e;
    }
  });
  return { error, largest };
}

describe('zstd codec', () => {
  it('writes one frame with its content size', () => {
    const data = textBytes(300_000);
    const frame = zstdCompress(data);
    expect(frame.readUInt32LE(0)).toBe(0xfd2fb528);
    expect(zstdBinding.findFrameCompressedSize(frame)).toBe(frame.length);
    expect(zstdBinding.getFrameContentSize(frame)).toBe(300_000);
  });

  it('round-trips empty, small, large and incompressible inputs', () => {
    for (const data of [Buffer.alloc(0), Buffer.from('z'), textBytes(4 * MiB), pseudoRandomBytes(MiB)]) {
      expect(zstdDecompress(zstdCompress(data), data.length).equals(data)).toBe(true);
    }
  });

  it('reads frames without a content size (streaming writers)', () => {
    const data = textBytes(2 * MiB);
    const frame = streamingFrame(data);
    expect(zstdBinding.getFrameContentSize(frame)).toBeNull();
    expect(zstdDecompress(frame, data.length).equals(data)).toBe(true);
    expect(zstdDecompress(streamingFrame(Buffer.alloc(0)), 0).length).toBe(0);
  });

  it('reads concatenated frames, with and without content sizes', () => {
    const a = textBytes(100_000);
    const b = pseudoRandomBytes(70_000);
    expect(zstdDecompress(Buffer.concat([zstdCompress(a), zstdCompress(b)]), MiB).equals(Buffer.concat([a, b]))).toBe(true);
    expect(zstdDecompress(Buffer.concat([zstdCompress(a), streamingFrame(b)]), MiB).equals(Buffer.concat([a, b]))).toBe(true);
  });

  itCli('interoperates with the reference zstd tool both ways', () => {
    const data = textBytes(MiB + 17);
    // from stdin the CLI does not know the size: a frame without content size
    const fromCli = execFileSync('zstd', ['-c', '-q', '-9'], { input: data, maxBuffer: 64 * MiB });
    expect(zstdBinding.getFrameContentSize(fromCli)).toBeNull();
    expect(zstdDecompress(fromCli, data.length).equals(data)).toBe(true);
    const back = execFileSync('zstd', ['-d', '-c', '-q'], { input: zstdCompress(data), maxBuffer: 64 * MiB });
    expect(back.equals(data)).toBe(true);
  });

  it('allows exactly maxBytes and rejects one byte more, with and without content size', () => {
    const data = textBytes(150_000);
    for (const frame of [zstdCompress(data), streamingFrame(data)]) {
      expect(zstdDecompress(frame, 150_000).equals(data)).toBe(true);
      expect(() => zstdDecompress(frame, 149_999)).toThrow(ProtocolDecodeError);
    }
  });

  it('refuses a declared content size past the bound without allocating it', () => {
    const frame = zstdCompress(Buffer.alloc(256 * MiB)); // declares 256 MiB
    expect(frame.length).toBeLessThan(64 * 1024);
    const { error, largest } = captureError(() => zstdDecompress(frame, MiB));
    expect(error).toBeInstanceOf(ProtocolDecodeError);
    expect((error as Error).message).toMatch(/declare/);
    expect(largest).toBeLessThan(64 * 1024);
  });

  it('stops a streaming decompression bomb at the bound', () => {
    const bomb = streamingFrame(Buffer.alloc(128 * MiB));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const { error, largest } = captureError(() => zstdDecompress(bomb, MiB));
    expect(error).toBeInstanceOf(ProtocolDecodeError);
    expect((error as Error).message).toMatch(/inflates past/);
    expect(largest).toBeLessThanOrEqual(MiB);
  });

  it('rejects corrupt and truncated input with ProtocolDecodeError and keeps working afterwards', () => {
    const data = textBytes(200_000);
    const frame = zstdCompress(data);
    const streamed = streamingFrame(data);
    const corrupt = Buffer.from(frame);
    corrupt.fill(0x5a, 30, 60);
    for (const bad of [
      Buffer.alloc(0),
      Buffer.from('definitely not zstd'),
      frame.subarray(0, frame.length - 5),
      streamed.subarray(0, streamed.length - 5),
      streamed.subarray(0, 20),
      corrupt,
    ]) {
      expect(() => zstdDecompress(bad, MiB)).toThrow(ProtocolDecodeError);
    }
    expect(zstdDecompress(streamed, MiB).equals(data)).toBe(true);
    expect(zstdDecompress(frame, MiB).equals(data)).toBe(true);
  });
});
