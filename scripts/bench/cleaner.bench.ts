/**
 * The log cleaner (issue 11, "Speed": at least 50 MB/s of 1 KiB records compacted, produce latency
 * p99 within 2x of its value without cleaning):
 * - throughput: a disk log of 1 KiB records (16 to a batch, as a producer's 16 KiB batches) over
 *   4096 keys, 8 MiB segments, compacted by one LogCleaner round: MB of log per second of the
 *   round (building the key map over the dirty section and rewriting every segment), uncompressed
 *   and lz4;
 * - latency: an in-process broker (the cleaner shares its event loop, as in production) and a
 *   producer (Gregor's client, acks=1, linger 0, one 1 KiB record at a time, awaited) on another
 *   topic: p50/p99/max of the send latency with no cleaning, then while the broker's cleaner
 *   compacts a dirty compacted topic of the same shape as above. The client runs in the same
 *   process in both phases, so the ratio compares like with like.
 *
 * `npm run bench -- cleaner [--quick]`: --quick uses a quarter of the data.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../dist/broker.js';
import { Producer } from '../../dist/client/producer.js';
import { buildRecordBatch } from '../../dist/protocol/records/batch-builder.js';
import { CompressionCodec } from '../../dist/protocol/records/compression/index.js';
import { openDiskPartitionLog } from '../../dist/storage/disk-partition-log.js';
import { LogCleaner } from '../../dist/storage/log-cleaner.js';
import { DEFAULT_COMPACTION_CONFIG, DEFAULT_LOG_CONFIG, type PartitionLog } from '../../dist/storage/types.js';
import { percentile, report } from './harness.js';

const QUICK = process.argv.includes('--quick') || process.env.GREGOR_BENCH_QUICK === '1';
const MiB = 1024 * 1024;
const TOTAL = (QUICK ? 32 : 128) * MiB;
const RECORD = 1024;
const PER_BATCH = 16;
const KEYS = 4096;
const CLEAN_ROUNDS = QUICK ? 2 : 4;
/** Random bytes the record values are cut from: data that compresses about as little as real payloads. */
const NOISE = randomBytes(4 * MiB);

/** Appends TOTAL bytes of 1 KiB records over KEYS keys to `log` and rolls it, so all of it is cleanable. */
async function fill(log: PartitionLog, compression: CompressionCodec): Promise<number> {
  const size = RECORD - 32;
  const batches = TOTAL / (RECORD * PER_BATCH);
  let n = 0;
  for (let b = 0; b < batches; b++) {
    const records = Array.from({ length: PER_BATCH }, () => {
      const k = n++ % KEYS;
      const at = (n * 4099) % (NOISE.length - size);
      return { key: `key-${k}`, value: NOISE.subarray(at, at + size) };
    });
    await log.append(buildRecordBatch(records, { compression }), { leaderEpoch: 0 });
  }
  await log.roll();
  return log.size;
}

async function throughput(compression: CompressionCodec): Promise<{ bytes: number; ms: number; kept: number }> {
  const dir = await mkdtemp(join(os.tmpdir(), 'gregor-bench-cleaner-'));
  try {
    const config = { ...DEFAULT_LOG_CONFIG, segmentBytes: 8 * MiB, compaction: { ...DEFAULT_COMPACTION_CONFIG, minCleanableDirtyRatio: 0.01 } };
    const log = await openDiskPartitionLog(join(dir, 'bench-0'), 'bench', 0, config, { cleanShutdown: true });
    const bytes = await fill(log, compression);
    const cleaner = new LogCleaner({ logs: () => [log], producers: () => Promise.resolve(new Map()), lastStableOffset: (l) => l.logEndOffset });
    const t0 = performance.now();
    const results = await cleaner.cleanNow();
    const ms = performance.now() - t0;
    if (results.length !== 1 || results[0].abandoned) throw new Error('the clean did not complete');
    const kept = log.size;
    await log.close();
    return { bytes, ms, kept };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function sendLatencies(producer: Producer, topic: string, until: () => boolean, minSends: number): Promise<number[]> {
  const value = Buffer.alloc(RECORD, 0x62);
  const out: number[] = [];
  while (out.length < minSends || !until()) {
    const t0 = performance.now();
    await producer.send({ topic, partition: 0, value });
    out.push(performance.now() - t0);
    if (out.length > 1_000_000) break;
  }
  return out.sort((a, b) => a - b);
}

async function latency(): Promise<{ idle: number[]; cleaning: number[]; cleanMs: number; bytes: number }> {
  const dir = await mkdtemp(join(os.tmpdir(), 'gregor-bench-cleaner-'));
  // The cleaner is started by hand below: a long backoff keeps its own rounds out of the way.
  const broker = await Broker.start({ port: 0, dataDir: dir, logLevel: 'warn', config: { 'log.cleaner.backoff.ms': 3_600_000 } });
  const producer = new Producer({ bootstrapServers: broker.bootstrap }, { acks: 1, lingerMs: 0, idempotent: false });
  try {
    const { metadata } = broker.services;
    await metadata.createTopic({ name: 'bench-latency', numPartitions: 1, replicationFactor: 1, configs: new Map(), validateOnly: false });
    await metadata.createTopic({
      name: 'bench-compacted',
      numPartitions: 1,
      replicationFactor: 1,
      configs: new Map([['cleanup.policy', 'compact'], ['segment.bytes', String(8 * MiB)], ['min.cleanable.dirty.ratio', '0.01']]),
      validateOnly: false,
    });
    const log = broker.services.logs.get('bench-compacted', 0);
    if (log === undefined || broker.logCleaner === null) throw new Error('no compacted log or no cleaner');
    // Warm-up, then the baseline.
    await sendLatencies(producer, 'bench-latency', () => true, 2000);
    const idle = await sendLatencies(producer, 'bench-latency', () => true, QUICK ? 3000 : 10_000);
    // Rounds of cleaning (each after a fill of dirty data, sends paused), sends timed while each runs.
    const during: number[] = [];
    let cleanMs = 0;
    let bytes = 0;
    for (let round = 0; round < CLEAN_ROUNDS; round++) {
      bytes += await fill(log, CompressionCodec.None);
      let done = false;
      const t0 = performance.now();
      const cleaning = broker.logCleaner.cleanNow().then((r) => {
        done = true;
        return r;
      });
      for (const x of await sendLatencies(producer, 'bench-latency', () => done, 1)) during.push(x);
      const results = await cleaning;
      cleanMs += performance.now() - t0;
      if (results.length !== 1) throw new Error('the broker\'s cleaner did not clean the topic');
    }
    return { idle, cleaning: during.sort((a, b) => a - b), cleanMs, bytes };
  } finally {
    await producer.close();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const mbs = (bytes: number, ms: number): string => `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
const ms = (x: number): string => `${x.toFixed(2)} ms`;

export async function run(): Promise<void> {
  const plain = await throughput(CompressionCodec.None);
  const lz4 = await throughput(CompressionCodec.Lz4);
  report(`cleaner: one round over ${TOTAL / MiB} MiB of 1 KiB records, ${KEYS} keys, 8 MiB segments (disk, page cache)`, [
    ['uncompressed', `${mbs(plain.bytes, plain.ms)} (${plain.ms.toFixed(0)} ms; ${(plain.kept / MiB).toFixed(1)} MiB kept) (target >= 50 MB/s: ${plain.bytes / 1e6 / (plain.ms / 1000) >= 50 ? 'met' : 'NOT met'})`],
    ['lz4 batches', `${mbs(lz4.bytes, lz4.ms)} (${lz4.ms.toFixed(0)} ms; ${(lz4.kept / MiB).toFixed(1)} MiB kept)`],
  ]);
  const l = await latency();
  const p99Idle = percentile(l.idle, 99);
  const p99Cleaning = percentile(l.cleaning, 99);
  report(`cleaner: produce latency (1 KiB records, acks=1, one at a time) with and without the broker's cleaner compacting (${CLEAN_ROUNDS} rounds, ${(l.bytes / MiB).toFixed(0)} MiB read)`, [
    ['without cleaning', `p50 ${ms(percentile(l.idle, 50))}, p99 ${ms(p99Idle)}, max ${ms(l.idle[l.idle.length - 1])} (${l.idle.length} sends)`],
    ['while cleaning', `p50 ${ms(percentile(l.cleaning, 50))}, p99 ${ms(p99Cleaning)}, max ${ms(l.cleaning[l.cleaning.length - 1])} (${l.cleaning.length} sends)`],
    ['p99 ratio', `${(p99Cleaning / p99Idle).toFixed(2)}x (target <= 2x: ${p99Cleaning <= 2 * p99Idle ? 'met' : 'NOT met'})`],
    ['the clean under produce load', `${mbs(l.bytes, l.cleanMs)} (${l.cleanMs.toFixed(0)} ms)`],
  ]);
}
