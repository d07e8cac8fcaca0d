/**
 * Record-layer throughput on 1 MiB buffers: CRC32C (target >= 5 GB/s) against the pure-JS crc-32
 * package and Node's zlib.crc32 measured in the same run, and each codec's compress and decompress
 * speed on JSON-lines text (a typical compressible payload) with Kafka's framings; lz4-napi (prebuilt,
 * no compiler at install) on the same text, as the alternative to the lz4 package (compiled at
 * install): its frame functions, and its block functions in 64 KiB blocks as the codec would use them
 * (they take and give a 4-byte size prefix).
 */
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import CRC32 from 'crc-32';
import lz4 from 'lz4';
import { compressFrameSync, compressSync, decompressFrameSync, uncompressSync } from 'lz4-napi';
import { crc32c } from '../../dist/protocol/records/crc32c.js';
import { CompressionCodec, compress, decompress } from '../../dist/protocol/records/compression/index.js';
import { gbPerSec, mbPerSec, measure, report } from './harness.js';

const MiB = 1 << 20;

export function run(): void {
  const data = randomBytes(MiB);
  const ours = measure('crc32c', () => crc32c(data));
  const pureJs = measure('crc-32', () => CRC32.buf(data));
  const zlibCrc = measure('zlib.crc32', () => (zlib as unknown as { crc32(b: Buffer): number }).crc32(data));
  report('Checksums on a 1 MiB buffer', [
    ['CRC32C (@node-rs/crc32, native)', `${gbPerSec(MiB, ours.nsPerOp)} (target >= 5 GB/s)`],
    ['CRC32 pure JS (crc-32), for reference', gbPerSec(MiB, pureJs.nsPerOp)],
    ['CRC32 zlib.crc32 (Node built-in), for reference', gbPerSec(MiB, zlibCrc.nsPerOp)],
  ]);

  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < MiB; i++) {
    const line = JSON.stringify({ id: i, user: `user-${i % 97}`, ts: 1700000000000 + i * 13, v: randomBytes(4).toString('hex') });
    lines.push(line);
    size += line.length + 1;
  }
  const text = Buffer.from(lines.join('\n')).subarray(0, MiB);
  const rows: [string, string][] = [];
  for (const [codec, name] of [
    [CompressionCodec.Gzip, 'gzip'],
    [CompressionCodec.Snappy, 'snappy (xerial framing)'],
    [CompressionCodec.Lz4, 'lz4 (frame)'],
    [CompressionCodec.Zstd, 'zstd'],
  ] as const) {
    const packed = compress(codec, text);
    const c = measure(`compress ${name}`, () => compress(codec, text), { rounds: 3 });
    const d = measure(`decompress ${name}`, () => decompress(codec, packed, MiB), { rounds: 3 });
    rows.push([name, `compress ${mbPerSec(MiB, c.nsPerOp)}, decompress ${mbPerSec(MiB, d.nsPerOp)}, ratio ${(packed.length / MiB).toFixed(2)}`]);
  }
  const napiPacked = compressFrameSync(text);
  const nc = measure('compress lz4-napi', () => compressFrameSync(text), { rounds: 3 });
  const nd = measure('decompress lz4-napi', () => decompressFrameSync(napiPacked), { rounds: 3 });
  rows.push(['lz4-napi (frame), for reference', `compress ${mbPerSec(MiB, nc.nsPerOp)}, decompress ${mbPerSec(MiB, nd.nsPerOp)}, ratio ${(napiPacked.length / MiB).toFixed(2)}`]);
  report('Codecs on 1 MiB of JSON-lines text', rows);
  report('lz4 blocks of 64 KiB, the lz4 package against lz4-napi', lz4Blocks(text));
}

interface Lz4Blocks {
  encodeBlock(input: Uint8Array, output: Uint8Array, sIdx?: number, eIdx?: number): number;
  decodeBlock(input: Uint8Array, output: Uint8Array): number;
  encodeBound(size: number): number;
}

function lz4Blocks(text: Buffer): [string, string][] {
  const native = lz4 as Lz4Blocks;
  const BLOCK = 64 * 1024;
  const blocks: Buffer[] = [];
  for (let s = 0; s < text.length; s += BLOCK) blocks.push(text.subarray(s, s + BLOCK));
  const out = Buffer.allocUnsafe(native.encodeBound(text.length) + blocks.length * 4);
  const packed = blocks.map((b) => {
    const o = Buffer.allocUnsafe(native.encodeBound(b.length));
    return o.subarray(0, native.encodeBlock(b, o));
  });
  const dst = Buffer.allocUnsafe(text.length);
  const prefixed = Buffer.allocUnsafe(native.encodeBound(BLOCK) + 4);
  const c = measure('lz4 encodeBlock', () => {
    let pos = 0;
    for (const b of blocks) pos += native.encodeBlock(b, out, pos, pos + b.length - 1);
  }, { rounds: 3 });
  const nc = measure('lz4-napi compressSync', () => {
    let pos = 0;
    for (const b of blocks) pos += compressSync(b).copy(out, pos, 4);
  }, { rounds: 3 });
  const d = measure('lz4 decodeBlock', () => {
    let pos = 0;
    for (const p of packed) pos += native.decodeBlock(p, dst.subarray(pos, pos + BLOCK));
  }, { rounds: 3 });
  const nd = measure('lz4-napi uncompressSync', () => {
    let pos = 0;
    for (const p of packed) {
      prefixed.writeUInt32LE(BLOCK, 0);
      p.copy(prefixed, 4);
      pos += uncompressSync(prefixed.subarray(0, 4 + p.length)).copy(dst, pos);
    }
  }, { rounds: 3 });
  return [
    ['lz4 (liblz4, compiled at install)', `compress ${mbPerSec(MiB, c.nsPerOp)}, decompress ${mbPerSec(MiB, d.nsPerOp)}`],
    ['lz4-napi (lz4_flex, prebuilt)', `compress ${mbPerSec(MiB, nc.nsPerOp)}, decompress ${mbPerSec(MiB, nd.nsPerOp)}`],
    ['lz4-napi time / lz4 time', `compress ${(nc.nsPerOp / c.nsPerOp).toFixed(2)}x, decompress ${(nd.nsPerOp / d.nsPerOp).toFixed(2)}x`],
  ];
}
