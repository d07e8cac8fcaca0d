import { afterEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { buildEndTxnMarkerBatch, buildRecordBatch, CompressionCodec, RecordBatchView, type RecordBatchOptions } from '../../src/protocol/records/index.js';
import { openDiskPartitionLog } from '../../src/storage/disk-partition-log.js';
import { LogCleaner } from '../../src/storage/log-cleaner.js';
import { MemoryPartitionLog } from '../../src/storage/memory-partition-log.js';
import { DEFAULT_COMPACTION_CONFIG, type AbortedTxn, type CompactionConfig, type LogConfig, type PartitionLog } from '../../src/storage/types.js';
import { ManualClock } from '../../src/util/clock.js';
import { config, tempDir } from './helpers.js';

type KV = [key: string | null, value: string | null];

function kbatch(records: KV[], ts: number, options: RecordBatchOptions = {}): Buffer {
  return buildRecordBatch(
    records.map(([key, value]) => ({ key, value, timestamp: ts })),
    { now: ts, ...options },
  );
}

interface Seen {
  offset: bigint;
  key: string | null;
  value: string | null;
}

/** Every record a consumer reading from the log start gets, and the stored batches. */
async function readAll(log: PartitionLog): Promise<{ records: Seen[]; batches: RecordBatchView[] }> {
  const records: Seen[] = [];
  const batches: RecordBatchView[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, { maxBytes: 1 << 20 });
    if (r.records.length === 0) break;
    for (const b of r.records) {
      const v = new RecordBatchView(b);
      expect(v.verifyCrc()).toBe(true);
      batches.push(v);
      for (const rec of v.records()) {
        if (rec.offset < offset) continue;
        records.push({ offset: rec.offset, key: rec.key?.toString() ?? null, value: rec.value?.toString() ?? null });
      }
      offset = v.lastOffset + 1n;
    }
  }
  return { records, batches };
}

const COMPACT: CompactionConfig = { ...DEFAULT_COMPACTION_CONFIG, minCleanableDirtyRatio: 0.01 };

function compactConfig(over: Partial<CompactionConfig> = {}, log: Partial<LogConfig> = {}): LogConfig {
  return config({ ...log, compaction: { ...COMPACT, ...over } });
}

interface Engine {
  name: string;
  open(cfg: LogConfig, clock: ManualClock): Promise<PartitionLog & { roll(): Promise<void> }>;
}

const dirs: { remove: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await d.remove();
});

const engines: Engine[] = [
  {
    name: 'disk',
    open: async (cfg, clock) => {
      const d = await tempDir('gregor-cleaner-');
      dirs.push(d);
      return openDiskPartitionLog(join(d.path, 't-0'), 't', 0, cfg, { cleanShutdown: true, clock: () => clock.now() });
    },
  },
  { name: 'memory', open: (cfg, clock) => Promise.resolve(new MemoryPartitionLog('t', 0, cfg, () => clock.now())) },
];

function cleanerFor(log: PartitionLog, clock: ManualClock, extra: Partial<ConstructorParameters<typeof LogCleaner>[0]> = {}): LogCleaner {
  return new LogCleaner({ logs: () => [log], clock, producers: () => Promise.resolve(new Map()), ...extra });
}

/** Appends each batch as its own segment, then starts an active segment. */
async function segments(log: PartitionLog & { roll(): Promise<void> }, batches: Buffer[]): Promise<void> {
  for (const b of batches) {
    await log.append(b, { leaderEpoch: 0 });
    await log.roll();
  }
}

describe.each(engines)('LogCleaner on the $name log', (engine) => {
  it('keeps the latest value of each key, at its original offset; the active segment is untouched', async () => {
    const clock = new ManualClock(1_000_000);
    const log = await engine.open(compactConfig(), clock);
    await segments(log, [
      kbatch([['a', 'a1'], ['b', 'b1'], ['c', 'c1']], 1000),
      kbatch([['a', 'a2'], ['b', 'b2']], 1001),
      kbatch([['a', 'a3'], ['d', 'd1']], 1002),
    ]);
    await log.append(kbatch([['a', 'a4'], ['c', 'c2']], 1003), { leaderEpoch: 0 }); // active
    const cleaner = cleanerFor(log, clock);
    const results = await cleaner.cleanNow();
    expect(results).toHaveLength(1);
    expect(results[0].endOffset).toBe(7n);
    const { records } = await readAll(log);
    expect(records).toEqual([
      { offset: 2n, key: 'c', value: 'c1' },
      { offset: 4n, key: 'b', value: 'b2' },
      { offset: 5n, key: 'a', value: 'a3' },
      { offset: 6n, key: 'd', value: 'd1' },
      { offset: 7n, key: 'a', value: 'a4' },
      { offset: 8n, key: 'c', value: 'c2' },
    ]);
    expect(log.logStartOffset).toBe(0n);
    expect(log.logEndOffset).toBe(9n);
    // A read at an offset of a hole gets the next records.
    const hole = await log.read(3n, { maxBytes: 1 });
    const first = new RecordBatchView(hole.records[0]);
    expect([...first.records()].map((r) => r.offset)).toEqual([4n]);
    // Nothing dirty is left below the active segment: the next round cleans nothing.
    expect(await cleaner.cleanNow()).toEqual([]);
    expect(await cleaner.firstDirtyOffset('t', 0)).toBe(7n);
    await log.close();
  });

  it('removes tombstones once delete.retention.ms has passed since their first clean (KIP-534 delete horizon)', async () => {
    const clock = new ManualClock(1_000_000);
    const log = await engine.open(compactConfig({ deleteRetentionMs: 5000 }), clock);
    await segments(log, [kbatch([['a', 'a1'], ['b', 'b1']], 1000), kbatch([['a', null]], 1001)]);
    const cleaner = cleanerFor(log, clock);
    await cleaner.cleanNow();
    const firstClean = await readAll(log);
    let records = firstClean.records;
    expect(records).toEqual([
      { offset: 1n, key: 'b', value: 'b1' },
      { offset: 2n, key: 'a', value: null },
    ]);
    const tomb = firstClean.batches.find((b) => b.baseOffset === 2n);
    expect(tomb?.deleteHorizonMs).toBe(1_000_000n + 5000n);
    // More data makes the log dirty again; before the horizon the tombstone stays.
    await segments(log, [kbatch([['c', 'c1']], 1002)]);
    clock.advance(4999);
    await cleaner.cleanNow();
    ({ records } = await readAll(log));
    expect(records.map((r) => r.key)).toEqual(['b', 'a', 'c']);
    await segments(log, [kbatch([['d', 'd1']], 1003)]);
    clock.advance(1);
    await cleaner.cleanNow();
    ({ records } = await readAll(log));
    expect(records).toEqual([
      { offset: 1n, key: 'b', value: 'b1' },
      { offset: 3n, key: 'c', value: 'c1' },
      { offset: 4n, key: 'd', value: 'd1' },
    ]);
    await log.close();
  });

  it('drops aborted transactions, keeps committed ones, and removes markers only once their transaction is gone and the horizon passed', async () => {
    const clock = new ManualClock(1_000_000);
    const log = await engine.open(compactConfig({ deleteRetentionMs: 1000 }), clock);
    const txn = (pid: bigint, seq: number, kv: KV[]): Buffer => kbatch(kv, 1000, { producerId: pid, producerEpoch: 0, baseSequence: seq, transactional: true });
    await segments(log, [
      txn(7n, 0, [['a', 'aborted'], ['x', 'aborted']]), // 0-1
      buildEndTxnMarkerBatch({ commit: false, coordinatorEpoch: 0, producerId: 7n, producerEpoch: 0, timestamp: 1000 }), // 2
      txn(8n, 0, [['b', 'committed']]), // 3
      buildEndTxnMarkerBatch({ commit: true, coordinatorEpoch: 0, producerId: 8n, producerEpoch: 0, timestamp: 1000 }), // 4
      kbatch([['a', 'plain']], 1000), // 5
    ]);
    const aborted: AbortedTxn[] = [{ producerId: 7n, firstOffset: 0n, lastOffset: 2n, lastStableOffset: 3n }];
    await log.appendAbortedTxn(aborted[0]);
    const cleaner = cleanerFor(log, clock);
    const [first] = await cleaner.cleanNow();
    expect(first.retainedAbortedTxns).toEqual(aborted);
    expect(await log.abortedTxns(0n, 100n)).toEqual(aborted);
    let { batches, records } = await readAll(log);
    expect(records.filter((r) => !batches.find((b) => b.isControl && b.baseOffset === r.offset))).toEqual([
      { offset: 3n, key: 'b', value: 'committed' },
      { offset: 5n, key: 'a', value: 'plain' },
    ]);
    // The ABORT marker stays while its transaction's batches are cleaned away; the COMMIT marker
    // stays while its transaction has a batch.
    expect(batches.filter((b) => b.isControl).map((b) => b.baseOffset)).toEqual([2n, 4n]);
    // The next clean finds no batch of the aborted transaction: its marker gets a horizon, then goes.
    await segments(log, [kbatch([['b', 'b2']], 1000)]); // 6: the committed record is superseded
    await cleaner.cleanNow();
    ({ batches } = await readAll(log));
    const abortMarker = batches.find((b) => b.baseOffset === 2n);
    expect(abortMarker?.deleteHorizonMs).toBe(1_001_000n);
    clock.advance(1000);
    await segments(log, [kbatch([['c', 'c1']], 1000)]);
    await cleaner.cleanNow();
    // The COMMIT marker's transaction had its last batch removed by the round before: it gets its
    // horizon in this round and goes in the next one after it.
    expect((await readAll(log)).batches.filter((b) => b.isControl).map((b) => b.baseOffset)).toEqual([4n]);
    clock.advance(1000);
    await segments(log, [kbatch([['d', 'd1']], 1000)]);
    await cleaner.cleanNow();
    ({ batches, records } = await readAll(log));
    expect(batches.filter((b) => b.isControl)).toEqual([]);
    // The transaction index forgets the transaction with its marker.
    expect(await log.abortedTxns(0n, 100n)).toEqual([]);
    expect(records.map((r) => `${r.offset}:${r.key ?? ''}=${r.value ?? ''}`)).toEqual(['5:a=plain', '6:b=b2', '7:c=c1', '8:d=d1']);
    await log.close();
  });

  it('keeps a producer\'s last batch as an empty header, with its offsets and sequence', async () => {
    const clock = new ManualClock(1_000_000);
    const log = await engine.open(compactConfig(), clock);
    await segments(log, [
      kbatch([['a', 'a1'], ['b', 'b1']], 1000, { producerId: 5n, producerEpoch: 2, baseSequence: 10 }),
      kbatch([['a', 'a2'], ['b', 'b2']], 1000),
    ]);
    const cleaner = cleanerFor(log, clock, { producers: () => Promise.resolve(new Map([[5n, { lastDataOffset: 1n, producerEpoch: 2 }]])) });
    await cleaner.cleanNow();
    const { batches, records } = await readAll(log);
    expect(records.map((r) => r.value)).toEqual(['a2', 'b2']);
    const empty = batches[0];
    expect(empty.recordCount).toBe(0);
    expect([empty.baseOffset, empty.lastOffset, empty.producerId, empty.producerEpoch, empty.baseSequence]).toEqual([0n, 1n, 5n, 2, 10]);
    expect(empty.lastSequence).toBe(11);
    await log.close();
  });

  it('rebuilds compressed batches with their codec', async () => {
    const clock = new ManualClock(1_000_000);
    const log = await engine.open(compactConfig(), clock);
    for (const codec of [CompressionCodec.Gzip, CompressionCodec.Lz4, CompressionCodec.Zstd, CompressionCodec.Snappy]) {
      await log.append(kbatch([['k', `old-${codec}`], [`only-${codec}`, 'v']], 1000, { compression: codec }), { leaderEpoch: 0 });
      await log.roll();
    }
    await segments(log, [kbatch([['k', 'new']], 1000)]);
    await cleanerFor(log, clock).cleanNow();
    const { batches, records } = await readAll(log);
    expect(records.map((r) => `${r.offset}:${r.key ?? ''}`)).toEqual(['1:only-1', '3:only-3', '5:only-4', '7:only-2', '8:k']);
    expect(batches.map((b) => b.compression)).toEqual([CompressionCodec.Gzip, CompressionCodec.Lz4, CompressionCodec.Zstd, CompressionCodec.Snappy, CompressionCodec.None]);
    // lastOffsetDelta is kept: the batches still span their original offsets.
    expect(batches.map((b) => `${b.baseOffset}-${b.lastOffset}`)).toEqual(['0-1', '2-3', '4-5', '6-7', '8-8']);
    await log.close();
  });

  it('does not clean records newer than min.compaction.lag.ms, and cleans them once they are old enough', async () => {
    const clock = new ManualClock(1_000_000);
    const log = await engine.open(compactConfig({ minCompactionLagMs: 10_000 }), clock);
    await segments(log, [kbatch([['a', 'a1']], 995_000), kbatch([['a', 'a2']], 999_000), kbatch([['a', 'a3']], 999_500)]);
    const cleaner = cleanerFor(log, clock);
    expect(await cleaner.cleanNow()).toEqual([]);
    clock.advance(9_200); // the first two segments are now older than the lag, the third is not
    await cleaner.cleanNow();
    let { records } = await readAll(log);
    expect(records.map((r) => r.value)).toEqual(['a2', 'a3']);
    clock.advance(10_000);
    await cleaner.cleanNow();
    ({ records } = await readAll(log));
    expect(records.map((r) => r.value)).toEqual(['a3']);
    await log.close();
  });

  it('cleans a log due by max.compaction.lag.ms below min.cleanable.dirty.ratio', async () => {
    const clock = new ManualClock(1_000_000);
    const log = await engine.open(compactConfig({ minCleanableDirtyRatio: 1, maxCompactionLagMs: 60_000 }), clock);
    await segments(log, [kbatch([['a', 'a1'], ['b', 'b1']], 1_000_000), kbatch([['a', 'a2']], 1_000_000)]);
    const cleaner = cleanerFor(log, clock);
    expect(await cleaner.cleanNow()).toEqual([]);
    clock.advance(60_001);
    expect(await cleaner.cleanNow()).toHaveLength(1);
    expect((await readAll(log)).records.map((r) => r.value)).toEqual(['b1', 'a2']);
    await log.close();
  });

  it('cleans as much as the dedupe buffer holds, and the rest in the next round', async () => {
    const clock = new ManualClock(1_000_000);
    const log = await engine.open(compactConfig(), clock);
    const keys = (round: number): KV[] => Array.from({ length: 10 }, (_, i): KV => [`k${i}`, `r${round}`]);
    await segments(log, [kbatch(keys(0), 1000), kbatch(keys(1), 1000), kbatch(keys(2), 1000)]);
    // Room for 5 keys: 24 bytes a slot at load factor 1.
    const cleaner = cleanerFor(log, clock, { dedupeBufferSize: 5 * 24, loadFactor: 1 });
    const [first] = await cleaner.cleanNow();
    expect(first.endOffset).toBe(5n);
    for (let i = 0; i < 10 && (await cleaner.firstDirtyOffset('t', 0)) < 30n; i++) await cleaner.cleanNow();
    const { records } = await readAll(log);
    expect(records.map((r) => `${r.key ?? ''}=${r.value ?? ''}`)).toEqual(keys(2).map(([k, v]) => `${k ?? ''}=${v ?? ''}`));
    await log.close();
  });

  it('appends, reads and retention carry on while a clean runs', async () => {
    const clock = new ManualClock(1_000_000);
    const log = await engine.open(compactConfig({ delete: true }, { retentionMs: -1 }), clock);
    const keys = (round: number): KV[] => Array.from({ length: 200 }, (_, i): KV => [`k${i}`, `r${round}`]);
    for (let round = 0; round < 10; round++) await segments(log, [kbatch(keys(round), 1000)]);
    const cleaning = cleanerFor(log, clock).cleanNow();
    const appends: Promise<unknown>[] = [];
    const reads: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      appends.push(log.append(kbatch([[`new${i}`, 'v']], 1000), { leaderEpoch: 0 }));
      reads.push(log.read(0n, { maxBytes: 1 << 20 }));
    }
    appends.push(log.applyRetention(clock.now()));
    const [results] = await Promise.all([cleaning, Promise.all(appends), Promise.all(reads)]);
    expect(results).toHaveLength(1);
    const { records } = await readAll(log);
    expect(records.filter((r) => r.key?.startsWith('k') === true).map((r) => r.value)).toEqual(keys(9).map(([, v]) => v));
    expect(records.filter((r) => r.key?.startsWith('new') === true)).toHaveLength(50);
    expect(log.logEndOffset).toBe(2050n);
    await log.close();
  });

  it('awaitCleaned resolves once the partition is cleaned up to the offset', async () => {
    const clock = new ManualClock(1_000_000);
    const log = await engine.open(compactConfig(), clock);
    await segments(log, [kbatch([['a', 'a1']], 1000), kbatch([['a', 'a2']], 1000)]);
    const cleaner = cleanerFor(log, clock);
    let done = false;
    const waiting = cleaner.awaitCleaned('t', 0, 2n).then(() => { done = true; });
    await Promise.resolve();
    expect(done).toBe(false);
    await cleaner.cleanNow();
    await waiting;
    expect(done).toBe(true);
    await log.close();
  });

  it('leaves a log alone when truncation raced with the clean', async () => {
    const clock = new ManualClock(1_000_000);
    const log = await engine.open(compactConfig(), clock);
    await segments(log, [kbatch([['a', 'a1']], 1000), kbatch([['a', 'a2']], 1000)]);
    const cleaner = cleanerFor(log, clock, {
      producers: async () => {
        await log.truncateTo(1n);
        return new Map();
      },
    });
    const [r] = await cleaner.cleanNow();
    expect(r.abandoned).toBe(true);
    expect((await readAll(log)).records.map((x) => x.value)).toEqual(['a1']);
    await log.close();
  });
});

describe('LogCleaner checkpoints', () => {
  it('a partition created again is cleaned from its start, not from the old partition\'s checkpoint', async () => {
    const clock = new ManualClock(1_000_000);
    const open = (): MemoryPartitionLog => new MemoryPartitionLog('t', 0, compactConfig(), () => clock.now());
    let log = open();
    const cleaner = new LogCleaner({ logs: () => [log], clock, producers: () => Promise.resolve(new Map()) });
    await segments(log, [kbatch([['a', '1']], 1000), kbatch([['a', '2']], 1000), kbatch([['a', '3']], 1000)]);
    await cleaner.cleanNow();
    expect(await cleaner.firstDirtyOffset('t', 0)).toBe(3n);
    await log.close();
    log = open();
    await segments(log, [kbatch([['b', '1']], 1000), kbatch([['b', '2']], 1000), kbatch([['b', '3']], 1000), kbatch([['b', '4']], 1000)]);
    await cleaner.cleanNow();
    expect((await readAll(log)).records.map((r) => r.value)).toEqual(['4']);
  });

  it('keeps the checkpoint in each log dir across restarts', async () => {
    const d = await tempDir('gregor-cleaner-');
    dirs.push(d);
    const clock = new ManualClock(1_000_000);
    const dir = join(d.path, 't-0');
    let log = await openDiskPartitionLog(dir, 't', 0, compactConfig(), { cleanShutdown: true, clock: () => clock.now() });
    await segments(log, [kbatch([['a', '1']], 1000), kbatch([['a', '2']], 1000)]);
    await cleanerFor(log, clock, { dirOf: () => d.path }).cleanNow();
    await log.close();
    log = await openDiskPartitionLog(dir, 't', 0, compactConfig(), { cleanShutdown: true, clock: () => clock.now() });
    const again = cleanerFor(log, clock, { dirOf: () => d.path });
    expect(await again.firstDirtyOffset('t', 0)).toBe(2n);
    // Nothing new: nothing to clean.
    expect(await again.cleanNow()).toEqual([]);
    await log.close();
  });
});

describe('LogCleaner and transactions in progress', () => {
  it('never cleans past the first batch of an open transaction', async () => {
    const clock = new ManualClock(1_000_000);
    const log = new MemoryPartitionLog('t', 0, compactConfig(), () => clock.now());
    await segments(log, [
      kbatch([['a', 'committed']], 1000),
      kbatch([['a', 'open']], 1000, { producerId: 3n, producerEpoch: 0, baseSequence: 0, transactional: true }),
      kbatch([['b', 'b1']], 1000),
    ]);
    // Default producer facts come from the batch headers: the transaction of producer 3 has no marker.
    const cleaner = new LogCleaner({ logs: () => [log], clock });
    await cleaner.cleanNow();
    expect((await readAll(log)).records.map((r) => r.value)).toEqual(['committed', 'open', 'b1']);
    await log.append(buildEndTxnMarkerBatch({ commit: false, coordinatorEpoch: 0, producerId: 3n, producerEpoch: 0, timestamp: 1000 }), { leaderEpoch: 0 });
    await log.appendAbortedTxn({ producerId: 3n, firstOffset: 1n, lastOffset: 3n, lastStableOffset: 4n });
    await log.roll();
    await cleaner.cleanNow();
    // The abort came: the aborted value is gone, and the committed one is again the latest of its key.
    const { records, batches } = await readAll(log);
    const data = records.filter((r) => !batches.some((b) => b.isControl && b.baseOffset === r.offset));
    expect(data.map((r) => r.value)).toEqual(['committed', 'b1']);
  });
});

describe('LogCleaner threads and throttle', () => {
  it('log.cleaner.threads cleans that many logs in one round, each with its own key map', async () => {
    const clock = new ManualClock(1_000_000);
    const logs = [0, 1, 2].map((p) => new MemoryPartitionLog('t', p, compactConfig(), () => clock.now()));
    for (const log of logs) {
      await segments(log, [kbatch([['a', 'a1'], ['b', 'b1']], 1000), kbatch([['a', 'a2']], 1001)]);
    }
    const cleaner = new LogCleaner({ logs: () => logs, clock, threads: 2, dedupeBufferSize: 2 * 24 * 100, producers: () => Promise.resolve(new Map()) });
    expect(cleaner.threads).toBe(2);
    const results = await cleaner.cleanNow();
    expect(results.map((r) => r.partition).sort()).toEqual([0, 1, 2]);
    for (const log of logs) expect((await readAll(log)).records.map((r) => r.value)).toEqual(['b1', 'a2']);
  });

  it('a cleaner given a small share of the event loop still keeps the latest value of each key', async () => {
    const clock = new ManualClock(1_000_000);
    const log = new MemoryPartitionLog('t', 0, compactConfig(), () => clock.now());
    const batches: Buffer[] = [];
    for (let i = 0; i < 200; i++) batches.push(kbatch([[`k${String(i % 10)}`, `v${String(i)}`]], 1000 + i));
    await segments(log, batches);
    const [r] = await new LogCleaner({ logs: () => [log], clock, loopShare: 0.05, producers: () => Promise.resolve(new Map()) }).cleanNow();
    expect(r.abandoned).toBe(false);
    expect((await readAll(log)).records.map((x) => [x.key, x.value])).toEqual(Array.from({ length: 10 }, (_, k) => [`k${String(k)}`, `v${String(190 + k)}`]));
  });

  it('refuses a share of the event loop outside (0, 1]', () => {
    for (const loopShare of [0, -1, 1.5, Number.NaN]) expect(() => new LogCleaner({ logs: () => [], loopShare })).toThrow(RangeError);
  });

  it('log.cleaner.io.max.bytes.per.second holds a clean back until its bytes fit the rate', async () => {
    const clock = new ManualClock(1_000_000);
    const log = new MemoryPartitionLog('t', 0, compactConfig(), () => clock.now());
    await segments(log, [kbatch([['a', 'x'.repeat(2000)]], 1000), kbatch([['a', 'y'.repeat(2000)]], 1001)]);
    const cleaner = new LogCleaner({ logs: () => [log], clock, ioMaxBytesPerSecond: () => 1000, producers: () => Promise.resolve(new Map()) });
    // The first throttle check comes 300 ms after the cleaner was made.
    clock.advance(300);
    const state = { done: false };
    const cleaning = cleaner.cleanNow().then((r) => { state.done = true; return r; });
    // Thousands of bytes read at 1,000 B/s: the clean waits on the clock, several seconds of it.
    for (let i = 0; i < 50 && clock.pendingTimers === 0; i++) await new Promise((r) => setImmediate(r));
    expect(clock.pendingTimers).toBeGreaterThan(0);
    expect(state.done).toBe(false);
    for (let i = 0; i < 100 && !state.done; i++) await clock.advanceAsync(1000);
    const [r] = await cleaning;
    expect(r.endOffset).toBe(2n);
    expect((await readAll(log)).records.map((x) => x.value)).toEqual(['y'.repeat(2000)]);
  });
});
