/**
 * Cross-checks against two independent client implementations of record batch v2:
 *
 * - KafkaJS 2.x (src/protocol/recordBatch/v0: encoder and decoder). KafkaJS ships only gzip; its codec
 *   table takes plug-ins, and we plug in implementations independent of ours: snappy and LZ4 from
 *   @platformatic/wasm-utils (Rust snap / lz4_flex compiled to WebAssembly) and zstd from the
 *   reference `zstd` command-line tool.
 * - @platformatic/kafka 1.35 (protocol/records.js with its compression.js: gzip via zlib, snappy and
 *   LZ4 via its wasm utils, zstd via zlib, which Node 20 lacks, so the zstd entry is pointed at the
 *   `zstd` tool here).
 *
 * Batches they build must read field for field with RecordBatchView; batches we build with every
 * codec must decode field for field with their decoders.
 *
 * Snappy: we write the xerial framing, as the Java client does. @platformatic/kafka 1.35's stock
 * snappy decoder (wasm) accepts only a raw block and fails on xerial ("unreachable"), so for reading
 * our xerial batches its snappy entry is given a xerial-aware wrapper written here (unwrapping the
 * framing, decoding each block with the same wasm decoder). Its stock decoder is checked on a raw
 * snappy batch assembled with our code.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import {
  lz4Compress as wasmLz4Compress,
  lz4Decompress as wasmLz4Decompress,
  snappyCompress as wasmSnappyCompress,
  snappyDecompress as wasmSnappyDecompress,
} from '@platformatic/wasm-utils';
import { compressionsAlgorithms, createRecordsBatch, Reader, readRecordsBatch, readRecordsBatches } from '@platformatic/kafka';
import { buildRecordBatch, type RecordInput } from '../../../src/protocol/records/batch-builder.js';
import { CompressionCodec } from '../../../src/protocol/records/compression/index.js';
import { snappyCompressRaw } from '../../../src/protocol/records/compression/snappy.js';
import { encodeRecords } from '../../../src/protocol/records/batch-builder.js';
import { RecordBatchView, splitBatches, type BatchRecord } from '../../../src/protocol/records/record-batch.js';
import { pseudoRandomBytes, textBytes } from './helpers.js';

const require = createRequire(import.meta.url);
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Independent codec implementations
// ---------------------------------------------------------------------------------------------

const hasZstdCli = spawnSync('zstd', ['--version']).status === 0;

function zstdCliCompress(data: Buffer): Buffer {
  return execFileSync('zstd', ['-c', '-q', '-3'], { input: data, maxBuffer: 256 * MiB });
}
function zstdCliDecompress(data: Buffer): Buffer {
  return execFileSync('zstd', ['-d', '-c', '-q'], { input: data, maxBuffer: 256 * MiB });
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

/** Test-side xerial reader: header, then [int32 length, raw block]*, each block decoded by wasm. */
function xerialAwareSnappyDecompress(data: Buffer): Buffer {
  if (data.length < 16 || !data.subarray(0, 8).equals(XERIAL_MAGIC)) return wasmSnappyDecompress(data);
  const parts: Buffer[] = [];
  let pos = 16;
  while (pos < data.length) {
    const len = data.readInt32BE(pos);
    parts.push(wasmSnappyDecompress(data.subarray(pos + 4, pos + 4 + len)));
    pos += 4 + len;
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// KafkaJS internals
// ---------------------------------------------------------------------------------------------

type KafkaJsEncoder = { buffer: Buffer };
interface KafkaJsCodec {
  compress(encoder: KafkaJsEncoder): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}
const { RecordBatch: kafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (options: Record<string, unknown>) => Promise<KafkaJsEncoder>;
};
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: Record<string, unknown>) => KafkaJsEncoder;
const kafkajsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (decoder: unknown) => Promise<KafkaJsBatch>;
const KafkaJsDecoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const KafkaJsLong = require('kafkajs/src/utils/long') as { fromValue(v: string | number | bigint): unknown };
const kafkajsCompression = require('kafkajs/src/protocol/message/compression') as {
  Codecs: Record<number, () => KafkaJsCodec>;
};

interface KafkaJsBatch {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  timestampType: number;
  records: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | null | (Buffer | null)[]> }[];
}

const pluggedKafkaJsCodecs: Record<number, () => KafkaJsCodec> = {
  [CompressionCodec.Snappy]: () => ({
    compress: async (e) => wasmSnappyCompress(e.buffer),
    decompress: async (b) => xerialAwareSnappyDecompress(b),
  }),
  [CompressionCodec.Lz4]: () => ({
    compress: async (e) => wasmLz4Compress(e.buffer),
    decompress: async (b) => wasmLz4Decompress(b),
  }),
  [CompressionCodec.Zstd]: () => ({
    compress: async (e) => zstdCliCompress(e.buffer),
    decompress: async (b) => zstdCliDecompress(b),
  }),
};

// ---------------------------------------------------------------------------------------------
// @platformatic/kafka codec table patches (restored afterwards)
// ---------------------------------------------------------------------------------------------

type PlatformaticAlgorithm = { compressSync(d: Buffer): Buffer; decompressSync(d: Buffer): Buffer; available: boolean };
const platformaticAlgorithms = compressionsAlgorithms as unknown as Record<string, PlatformaticAlgorithm>;
const saved: { kafkajs: Record<number, () => KafkaJsCodec>; platformatic: Record<string, PlatformaticAlgorithm> } = {
  kafkajs: {},
  platformatic: {},
};

beforeAll(() => {
  for (const [code, codec] of Object.entries(pluggedKafkaJsCodecs)) {
    saved.kafkajs[Number(code)] = kafkajsCompression.Codecs[Number(code)]!;
    kafkajsCompression.Codecs[Number(code)] = codec;
  }
  for (const name of ['zstd', 'snappy']) saved.platformatic[name] = { ...platformaticAlgorithms[name] };
  // Patched in place: platformatic's by-bitmask table holds these same objects.
  const zstd = platformaticAlgorithms.zstd;
  zstd.compressSync = zstdCliCompress;
  zstd.decompressSync = zstdCliDecompress;
  zstd.available = true;
});

afterAll(() => {
  for (const [code, codec] of Object.entries(saved.kafkajs)) kafkajsCompression.Codecs[Number(code)] = codec;
  for (const [name, algorithm] of Object.entries(saved.platformatic)) Object.assign(platformaticAlgorithms[name], algorithm);
});

function withXerialAwarePlatformaticSnappy<T>(fn: () => T): T {
  const snappy = platformaticAlgorithms.snappy;
  // Kept to be put back in place, not called.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const stock = snappy.decompressSync;
  snappy.decompressSync = xerialAwareSnappyDecompress;
  try {
    return fn();
  } finally {
    snappy.decompressSync = stock;
  }
}

// ---------------------------------------------------------------------------------------------
// Test data
// ---------------------------------------------------------------------------------------------

const T0 = 1_700_000_000_000;
const codecs = [
  CompressionCodec.None,
  CompressionCodec.Gzip,
  CompressionCodec.Snappy,
  CompressionCodec.Lz4,
  CompressionCodec.Zstd,
] as const;
const codecNames = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const available = (codec: number) => codec !== CompressionCodec.Zstd || hasZstdCli;

interface Sample {
  key: Buffer | null;
  value: Buffer | null;
  headers: [string, Buffer | null][];
  timestamp: number;
}

/** Records with every shape: null keys/values, empty buffers, headers (repeated, empty, unicode), large values. */
function samples(n: number, withNullHeaderValues: boolean): Sample[] {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 4 === 1 ? null : i % 7 === 3 ? Buffer.alloc(0) : Buffer.from(`key-${i}`),
    value: i % 5 === 2 ? null : i % 9 === 0 ? pseudoRandomBytes(2000 + i, i + 1) : textBytes(100 + ((i * 37) % 900)),
    headers:
      i % 3 === 0
        ? []
        : [
            ['trace-id', Buffer.from(`t-${i}`)],
            [`h-ü-${i % 2}`, Buffer.alloc(0)],
            ...(withNullHeaderValues && i % 2 ? ([['nullable', null]] as [string, null][]) : []),
          ],
    timestamp: T0 + ((i * 7919) % 5000) - 2000, // not monotonic: negative deltas too
  }));
}

function expectRecordsMatch(read: BatchRecord[], expected: Sample[], baseOffset: bigint): void {
  expect(read.length).toBe(expected.length);
  read.forEach((r, i) => {
    const e = expected[i];
    expect(r.offset).toBe(baseOffset + BigInt(i));
    expect(r.offsetDelta).toBe(i);
    expect(r.timestamp).toBe(BigInt(e.timestamp));
    expect(r.key).toEqual(e.key);
    expect(r.value).toEqual(e.value);
    expect(r.headers).toEqual(e.headers.map(([key, value]) => ({ key, value })));
  });
}

function ourRecords(list: Sample[]): RecordInput[] {
  return list.map((s) => ({ key: s.key, value: s.value, timestamp: s.timestamp, headers: s.headers.map(([key, value]) => ({ key, value })) }));
}

// ---------------------------------------------------------------------------------------------
// KafkaJS
// ---------------------------------------------------------------------------------------------

async function kafkajsBuild(list: Sample[], codec: number, options: { firstOffset: bigint; transactional: boolean }): Promise<Buffer> {
  const firstTimestamp = list[0].timestamp;
  const records = list.map((s, i) =>
    kafkajsRecord({
      offsetDelta: i,
      timestampDelta: s.timestamp - firstTimestamp,
      key: s.key,
      value: s.value,
      headers: Object.fromEntries(s.headers),
    }),
  );
  const encoder = await kafkajsRecordBatch({
    compression: codec,
    firstOffset: KafkaJsLong.fromValue(options.firstOffset.toString()),
    firstTimestamp,
    maxTimestamp: Math.max(...list.map((s) => s.timestamp)),
    partitionLeaderEpoch: 5,
    lastOffsetDelta: list.length - 1,
    transactional: options.transactional,
    producerId: KafkaJsLong.fromValue('123456789012'),
    producerEpoch: 3,
    firstSequence: 17,
    records,
  });
  return encoder.buffer;
}

describe('cross-check with KafkaJS', () => {
  for (const codec of codecs) {
    const name = codecNames[codec];
    const run = available(codec) ? it : it.skip;

    run(`reads a ${name} batch built by KafkaJS, field for field`, async () => {
      const list = samples(60, false); // KafkaJS cannot encode null header values
      const bytes = await kafkajsBuild(list, codec, { firstOffset: 4242n, transactional: codec % 2 === 1 });
      const [entry] = splitBatches(bytes);
      expect(entry).toEqual({ start: 0, end: bytes.length, magic: 2, baseOffset: 4242n });
      const view = new RecordBatchView(bytes);
      expect(view.verifyCrc()).toBe(true);
      expect(view.compression).toBe(codec);
      expect(view.baseOffset).toBe(4242n);
      expect(view.partitionLeaderEpoch).toBe(5);
      expect(view.isTransactional).toBe(codec % 2 === 1);
      expect(view.isControl).toBe(false);
      expect(view.timestampType).toBe(0);
      expect(view.lastOffsetDelta).toBe(59);
      expect(view.baseTimestamp).toBe(BigInt(list[0].timestamp));
      expect(view.maxTimestamp).toBe(BigInt(Math.max(...list.map((s) => s.timestamp))));
      expect(view.producerId).toBe(123456789012n);
      expect(view.producerEpoch).toBe(3);
      expect(view.baseSequence).toBe(17);
      expect(view.recordCount).toBe(60);
      expectRecordsMatch(view.readRecords(), list, 4242n);
    });

    run(`a ${name} batch we build decodes with KafkaJS, field for field`, async () => {
      const list = samples(60, true);
      const bytes = buildRecordBatch(ourRecords(list), {
        compression: codec,
        baseOffset: 99n,
        partitionLeaderEpoch: 8,
        producerId: 77n,
        producerEpoch: 2,
        baseSequence: 1000,
        transactional: true,
      });
      const batch = await kafkajsDecodeBatch(new KafkaJsDecoder(bytes));
      expect(batch.firstOffset).toBe('99');
      expect(batch.partitionLeaderEpoch).toBe(8);
      expect(batch.inTransaction).toBe(true);
      expect(batch.isControlBatch).toBe(false);
      expect(batch.lastOffsetDelta).toBe(59);
      expect(batch.producerId).toBe('77');
      expect(batch.producerEpoch).toBe(2);
      expect(batch.firstSequence).toBe(1000);
      expect(batch.firstTimestamp).toBe(String(list[0].timestamp));
      expect(batch.maxTimestamp).toBe(String(Math.max(...list.map((s) => s.timestamp))));
      expect(batch.records.length).toBe(60);
      batch.records.forEach((r, i) => {
        const e = list[i];
        expect(r.offset).toBe(String(99 + i));
        expect(r.timestamp).toBe(String(e.timestamp));
        expect(r.key).toEqual(e.key);
        expect(r.value).toEqual(e.value);
        expect(r.headers).toEqual(Object.fromEntries(e.headers));
      });
    });
  }

  it('writes byte-identical uncompressed and gzip batches for the same input', async () => {
    const list = samples(30, false);
    for (const codec of [CompressionCodec.None, CompressionCodec.Gzip]) {
      const theirs = await kafkajsBuild(list, codec, { firstOffset: 7n, transactional: false });
      const ours = buildRecordBatch(ourRecords(list), {
        compression: codec,
        baseOffset: 7n,
        partitionLeaderEpoch: 5,
        producerId: 123456789012n,
        producerEpoch: 3,
        baseSequence: 17,
      });
      expect(ours.toString('hex')).toBe(theirs.toString('hex'));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// @platformatic/kafka
// ---------------------------------------------------------------------------------------------

describe('cross-check with @platformatic/kafka 1.35', () => {
  for (const codec of codecs) {
    const name = codecNames[codec];
    const run = available(codec) ? it : it.skip;

    run(`reads a ${name} batch built by @platformatic/kafka, field for field`, () => {
      const list = samples(60, true);
      const messages = list.map((s) => ({
        topic: 't',
        partition: 0,
        key: s.key ?? undefined,
        value: s.value ?? undefined,
        timestamp: BigInt(s.timestamp),
        headers: new Map(s.headers.map(([k, v]) => [Buffer.from(k), v] as [Buffer, Buffer | null])),
      }));
      const bytes = createRecordsBatch(messages as never, {
        compression: name,
        producerId: 555n,
        producerEpoch: 4,
        partitionLeaderEpoch: 9,
        transactionalId: 'tx',
      }).buffer;
      const view = new RecordBatchView(bytes);
      expect(view.verifyCrc()).toBe(true);
      expect(view.compression).toBe(codec);
      expect(view.baseOffset).toBe(0n);
      expect(view.partitionLeaderEpoch).toBe(9);
      expect(view.isTransactional).toBe(true);
      expect(view.producerId).toBe(555n);
      expect(view.producerEpoch).toBe(4);
      expect(view.recordCount).toBe(60);
      expect(view.lastOffsetDelta).toBe(59);
      expect(view.baseTimestamp).toBe(BigInt(list[0].timestamp));
      expect(view.maxTimestamp).toBe(BigInt(Math.max(...list.map((s) => s.timestamp))));
      expectRecordsMatch(view.readRecords(), list, 0n);
    });

    run(`a ${name} batch we build decodes with @platformatic/kafka, field for field`, () => {
      const list = samples(60, true);
      const bytes = buildRecordBatch(ourRecords(list), {
        compression: codec,
        baseOffset: 31n,
        partitionLeaderEpoch: 6,
        producerId: 88n,
        producerEpoch: 1,
        baseSequence: 5,
      });
      const batch = withXerialAwarePlatformaticSnappy(() => readRecordsBatch(Reader.from(bytes)));
      expect(batch.firstOffset).toBe(31n);
      expect(batch.length).toBe(bytes.length - 12);
      expect(batch.magic).toBe(2);
      expect(batch.crc).toBe(new RecordBatchView(bytes).crc);
      expect(batch.attributes).toBe(codec);
      expect(batch.partitionLeaderEpoch).toBe(6);
      expect(batch.producerId).toBe(88n);
      expect(batch.producerEpoch).toBe(1);
      expect(batch.firstSequence).toBe(5);
      expect(batch.lastOffsetDelta).toBe(59);
      expect(batch.firstTimestamp).toBe(BigInt(list[0].timestamp));
      expect(batch.records.length).toBe(60);
      batch.records.forEach((r, i) => {
        const e = list[i];
        expect(r.offsetDelta).toBe(i);
        expect(batch.firstTimestamp + r.timestampDelta).toBe(BigInt(e.timestamp));
        expect(r.key).toEqual(e.key);
        expect(r.value).toEqual(e.value);
        expect(r.headers).toEqual(e.headers.map(([k, v]) => [Buffer.from(k), v]));
      });
    });
  }

  it("reads a raw-snappy batch with its stock snappy decoder (the framing librdkafka writes)", () => {
    const list = samples(20, false);
    const plain = buildRecordBatch(ourRecords(list));
    // Re-frame the records section as one raw snappy block, then fix attributes, length and CRC.
    const { bytes: section } = encodeRecords(ourRecords(list), BigInt(list[0].timestamp), 0n);
    const raw = snappyCompressRaw(section);
    const bytes = Buffer.concat([plain.subarray(0, 61), raw]);
    bytes.writeInt32BE(bytes.length - 12, 8);
    bytes.writeInt16BE(CompressionCodec.Snappy, 21);
    const view = new RecordBatchView(bytes);
    view.recomputeCrc();
    expectRecordsMatch(view.readRecords(), list, 0n);
    const batch = readRecordsBatch(Reader.from(bytes));
    expect(batch.records.map((r) => r.value)).toEqual(list.map((s) => s.value));
  });

  it('walks our concatenated batches like its multi-batch reader does', () => {
    const parts = codecs.filter(available).map((codec, i) =>
      buildRecordBatch([{ key: `k${i}`, value: `v${i}` }], { compression: codec, baseOffset: BigInt(i * 10) }),
    );
    const all = Buffer.concat(parts);
    const ours = splitBatches(all);
    const theirs = withXerialAwarePlatformaticSnappy(() => readRecordsBatches(Reader.from(all)));
    expect(theirs.map((b) => b.firstOffset)).toEqual(ours.map((e) => e.baseOffset));
    expect(theirs.map((b) => b.records[0].value!.toString())).toEqual(parts.map((_, i) => `v${i}`));
  });
});
