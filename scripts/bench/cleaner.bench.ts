/**
 * The log cleaner (issue 11, "Speed": at least 50 MB/s of 1 KiB records compacted, produce latency
 * p99 within 2x of its value without cleaning):
 * - throughput: a disk log of 1 KiB records (16 to a batch, as a producer's 16 KiB batches) over
 *   4096 keys, 8 MiB segments, compacted by one LogCleaner round: MB of log per second of the
 *   round (building the key map over the dirty section and rewriting every segment), uncompressed
 *   and lz4;
 * - latency: a broker in this process (its cleaner shares its event loop, as in production) and a
 *   producer in a process of its own (produce-load.ts: Gregor's client, acks=1, linger 0, one 1 KiB
 *   record at a time, awaited) on another topic: p50/p99/max of the send latency with no cleaning,
 *   then while the broker's cleaner compacts a dirty compacted topic of the same shape as above
 *   (the sends made while this process fills that topic are not counted). On a machine shared
 *   with other work the load changes from second to second, and a fill leaves work behind it
 *   (collections of its garbage, dirty pages written back): so each round also times the sends of
 *   a quiet second between its fill and its clean, a baseline taken next to the clean it is
 *   compared with.
 *
 * `npm run bench -- cleaner [--quick]`: --quick uses a quarter of the data.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker.js';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import { CompressionCodec } from '../../src/protocol/records/compression/index.js';
import { openDiskPartitionLog } from '../../src/storage/disk-partition-log.js';
import { LogCleaner } from '../../src/storage/log-cleaner.js';
import { DEFAULT_COMPACTION_CONFIG, DEFAULT_LOG_CONFIG, type PartitionLog } from '../../src/storage/types.js';
import { report, spawnUntilReady } from './harness.js';

const QUICK = process.argv.includes('--quick') || process.env.GREGOR_BENCH_QUICK === '1';
const MiB = 1024 * 1024;
const TOTAL = (QUICK ? 32 : 128) * MiB;
const RECORD = 1024;
const PER_BATCH = 16;
const KEYS = 4096;
const CLEAN_ROUNDS = QUICK ? 2 : 4;
const IDLE_MS = QUICK ? 1500 : 4000;
/** The quiet window of each round, between its fill and its clean. */
const SETTLE_MS = 1000;
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
/** Random bytes the record values are cut from: data that compresses about as little as real payloads. */
const NOISE = randomBytes(4 * MiB);

/** Appends TOTAL bytes of 1 KiB records over KEYS keys to `log` and rolls it, so all of it is cleanable. */
/**
 * Appends TOTAL bytes of keyed records, then rolls. `append` is the log's own (a bare log) or the
 * broker's Partition (so that its high watermark, which bounds what the cleaner may clean, moves).
 */
async function fill(log: PartitionLog, compression: CompressionCodec, append: (batch: Buffer) => Promise<unknown> = (b) => log.append(b, { leaderEpoch: 0 })): Promise<number> {
  const size = RECORD - 32;
  const batches = TOTAL / (RECORD * PER_BATCH);
  let n = 0;
  for (let b = 0; b < batches; b++) {
    const records = Array.from({ length: PER_BATCH }, () => {
      const k = n++ % KEYS;
      const at = (n * 4099) % (NOISE.length - size);
      return { key: `key-${k}`, value: NOISE.subarray(at, at + size) };
    });
    await append(buildRecordBatch(records, { compression }));
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

/** Sends a command line to the load process. */
function tell(child: ChildProcess, line: string): void {
  child.stdin?.write(line + '\n');
}

/**
 * Collections of this process by the phase they started in: full (Mark-Compact) ones and
 * scavenges of the young generation. Their pauses are what a concurrent produce waits behind, and
 * their counts are steadier figures than a latency percentile on a shared machine.
 */
class GcLog {
  private readonly entries: { start: number; ms: number; major: boolean }[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      // A gc entry's detail (Node 16+) says which collection it was.
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR || kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) {
        this.entries.push({ start: e.startTime, ms: e.duration, major: kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR });
      }
    }
  });
  private readonly windows = new Map<string, [number, number][]>();
  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }
  /** Starts a window of `phase`; call the result to end it. */
  begin(phase: string): () => void {
    const t0 = performance.now();
    return () => {
      let list = this.windows.get(phase);
      if (list === undefined) this.windows.set(phase, (list = []));
      list.push([t0, performance.now()]);
    };
  }
  async of(phase: string): Promise<GcFigure> {
    // Entries are delivered after the event that produced them.
    await new Promise((r) => setTimeout(r, 50));
    const windows = this.windows.get(phase) ?? [];
    const figure: GcFigure = { major: 0, majorMs: 0, minor: 0, minorMs: 0, windowMs: windows.reduce((n, [a, b]) => n + b - a, 0) };
    for (const e of this.entries) {
      if (!windows.some(([a, b]) => e.start >= a && e.start < b)) continue;
      if (e.major) {
        figure.major++;
        figure.majorMs += e.ms;
      } else {
        figure.minor++;
        figure.minorMs += e.ms;
      }
    }
    return figure;
  }
  stop(): void {
    this.observer.disconnect();
  }
}

interface Latencies {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

interface GcFigure {
  major: number;
  majorMs: number;
  minor: number;
  minorMs: number;
  windowMs: number;
}

export async function latency(): Promise<{ idle: Latencies; settled: Latencies; cleaning: Latencies; cleanMs: number; bytes: number; gcIdle: GcFigure; gcSettled: GcFigure; gcCleaning: GcFigure; gcFill: GcFigure }> {
  const dir = await mkdtemp(join(os.tmpdir(), 'gregor-bench-cleaner-'));
  // The cleaner is started by hand below: a long backoff keeps its own rounds out of the way.
  const broker = await Broker.start({ port: 0, dataDir: dir, logLevel: 'warn', config: { 'log.cleaner.backoff.ms': 3_600_000 } });
  let load: ChildProcess | undefined;
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
    const partition = broker.services.partitions.get('bench-compacted', 0);
    if (log === undefined || partition === undefined || broker.logCleaner === null) throw new Error('no compacted log or no cleaner');
    const started = await spawnUntilReady(process.execPath, ['--import', 'tsx', join(here, 'produce-load.ts'), String(broker.port), 'bench-latency'], /ready/, { cwd: root, stdin: 'pipe', label: 'the producer' });
    load = started.child;
    let out = '';
    load.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((r) => load?.once('close', () => { r(); }));
    // Warm-up, then the baseline.
    await new Promise((r) => setTimeout(r, 1000));
    const gcs = new GcLog();
    tell(load, 'phase idle');
    const idleEnd = gcs.begin('idle');
    await new Promise((r) => setTimeout(r, IDLE_MS));
    idleEnd();
    // Rounds of cleaning, each after a fill of dirty data (its sends not counted), sends timed while each runs.
    let cleanMs = 0;
    let bytes = 0;
    for (let round = 0; round < CLEAN_ROUNDS; round++) {
      tell(load, 'phase fill');
      const fillEnd = gcs.begin('fill');
      bytes += await fill(log, CompressionCodec.None, (b) => partition.append(b));
      fillEnd();
      tell(load, 'phase settled');
      const settledEnd = gcs.begin('settled');
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      settledEnd();
      tell(load, 'phase cleaning');
      const t0 = performance.now();
      const cleanEnd = gcs.begin('cleaning');
      const results = await broker.logCleaner.cleanNow();
      cleanEnd();
      cleanMs += performance.now() - t0;
      if (results.length !== 1) throw new Error('the broker\'s cleaner did not clean the topic');
    }
    tell(load, 'stop');
    await exited;
    const gcIdle = await gcs.of('idle');
    const gcCleaning = await gcs.of('cleaning');
    const gcFill = await gcs.of('fill');
    const gcSettled = await gcs.of('settled');
    gcs.stop();
    const summary = JSON.parse(out.slice(out.indexOf('{'))) as Record<string, Latencies | undefined>;
    const idle = summary.idle;
    const cleaning = summary.cleaning;
    const settled = summary.settled;
    if (idle === undefined || cleaning === undefined || settled === undefined) throw new Error(`the producer reported no sends for a phase: ${out}`);
    return { idle, settled, cleaning, cleanMs, bytes, gcIdle, gcSettled, gcCleaning, gcFill };
  } finally {
    load?.kill();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const mbs = (bytes: number, ms: number): string => `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
const ms = (x: number): string => `${x.toFixed(2)} ms`;
const gc = (g: GcFigure): string => `${g.major} full (${g.majorMs.toFixed(0)} ms) and ${g.minor} scavenges (${g.minorMs.toFixed(0)} ms) in ${(g.windowMs / 1000).toFixed(1)} s`;

export async function run(): Promise<void> {
  const plain = await throughput(CompressionCodec.None);
  const lz4 = await throughput(CompressionCodec.Lz4);
  report(`cleaner: one round over ${TOTAL / MiB} MiB of 1 KiB records, ${KEYS} keys, 8 MiB segments (disk, page cache)`, [
    ['uncompressed', `${mbs(plain.bytes, plain.ms)} (${plain.ms.toFixed(0)} ms; ${(plain.kept / MiB).toFixed(1)} MiB kept) (target >= 50 MB/s: ${plain.bytes / 1e6 / (plain.ms / 1000) >= 50 ? 'met' : 'NOT met'})`],
    ['lz4 batches', `${mbs(lz4.bytes, lz4.ms)} (${lz4.ms.toFixed(0)} ms; ${(lz4.kept / MiB).toFixed(1)} MiB kept)`],
  ]);
  const l = await latency();
  const p99Idle = l.idle.p99;
  const p99Cleaning = l.cleaning.p99;
  const p99Settled = l.settled.p99;
  report(`cleaner: produce latency (producer in its own process, 1 KiB records, acks=1, one at a time) with and without the broker's cleaner compacting (${CLEAN_ROUNDS} rounds, ${(l.bytes / MiB).toFixed(0)} MiB read)`, [
    ['without cleaning', `p50 ${ms(l.idle.p50)}, p99 ${ms(p99Idle)}, max ${ms(l.idle.max)} (${l.idle.count} sends)`],
    ['without cleaning, after fills', `p50 ${ms(l.settled.p50)}, p99 ${ms(p99Settled)}, max ${ms(l.settled.max)} (${l.settled.count} sends, ${SETTLE_MS} ms between each fill and its clean)`],
    ['while cleaning', `p50 ${ms(l.cleaning.p50)}, p99 ${ms(p99Cleaning)}, max ${ms(l.cleaning.max)} (${l.cleaning.count} sends)`],
    ['p99 ratio', `${(p99Cleaning / p99Idle).toFixed(2)}x (target <= 2x: ${p99Cleaning <= 2 * p99Idle ? 'met' : 'NOT met'})`],
    ['p99 ratio, after fills', `${(p99Cleaning / p99Settled).toFixed(2)}x (target <= 2x: ${p99Cleaning <= 2 * p99Settled ? 'met' : 'NOT met'})`],
    ['the clean under produce load', `${mbs(l.bytes, l.cleanMs)} (${l.cleanMs.toFixed(0)} ms)`],
    ['GCs of the broker process', `${gc(l.gcIdle)} without cleaning; ${gc(l.gcSettled)} after fills; ${gc(l.gcCleaning)} while cleaning; ${gc(l.gcFill)} while filling (not timed)`],
  ]);
}
