/**
 * appendAsFollower on both logs: a follower fed the leader's batches, as a replica fetcher would,
 * ends up with the leader's log byte for byte (compressed, transactional, control and
 * LogAppendTime batches included) and the leader's epochs; what a consumer of the follower sees is
 * what it would see on the leader. Batches that overlap the log, go backwards, or are damaged are
 * refused whole; a compacted leader's gaps are taken as they are (Kafka).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { buildEndTxnMarkerBatch, buildRecordBatch, CompressionCodec, RECORDS_COUNT_OFFSET, RecordBatchView } from '../../src/protocol/records/index.js';
import { DiskPartitionLog, openDiskPartitionLog } from '../../src/storage/disk-partition-log.js';
import { LogCleaner } from '../../src/storage/log-cleaner.js';
import { MemoryPartitionLog } from '../../src/storage/memory-partition-log.js';
import { DEFAULT_COMPACTION_CONFIG, StorageError, UnexpectedAppendOffsetError, type LogConfig, type PartitionLog } from '../../src/storage/types.js';
import { ManualClock } from '../../src/util/clock.js';
import { batch, config, decode, tempDir } from './helpers.js';

interface Engine {
  name: string;
  open: (cfg: LogConfig, clock: ManualClock) => Promise<PartitionLog>;
  reopen?: (log: PartitionLog, clock: ManualClock) => Promise<PartitionLog>;
}

const dirs: { remove: () => Promise<void> }[] = [];
const opened: PartitionLog[] = [];
afterEach(async () => {
  for (const l of opened.splice(0)) await l.close().catch(() => undefined);
  for (const d of dirs.splice(0)) await d.remove();
});

const engines: Engine[] = [
  {
    name: 'disk',
    open: async (cfg, clock) => {
      const d = await tempDir('gregor-follower-');
      dirs.push(d);
      const log = await openDiskPartitionLog(join(d.path, 't-0'), 't', 0, cfg, { cleanShutdown: true, clock: () => clock.now() });
      opened.push(log);
      return log;
    },
    reopen: async (log, clock) => {
      if (!(log instanceof DiskPartitionLog)) throw new Error('not a disk log');
      await log.close();
      const again = await openDiskPartitionLog(log.dir, 't', 0, log.config, { cleanShutdown: true, clock: () => clock.now() });
      opened.push(again);
      return again;
    },
  },
  {
    name: 'memory',
    open: (cfg, clock) => {
      const log = new MemoryPartitionLog('t', 0, cfg, () => clock.now());
      opened.push(log);
      return Promise.resolve(log);
    },
  },
];

/** The stored batches from `from` to the end, as a fetch of the whole log would return them. */
async function storedBatches(log: PartitionLog, from = log.logStartOffset): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, { maxBytes: 1 << 20 });
    if (r.records.length === 0) break;
    for (const b of r.records) out.push(Buffer.from(b));
    offset = new RecordBatchView(r.records[r.records.length - 1]).lastOffset + 1n;
  }
  return out;
}

/** Replicates `leader` into `follower` as a fetcher does: fetches of at most `maxBytes` from the follower's end. */
async function replicate(leader: PartitionLog, follower: PartitionLog, maxBytes: number): Promise<number> {
  let fetches = 0;
  while (follower.logEndOffset < leader.logEndOffset) {
    const r = await leader.read(follower.logEndOffset, { maxBytes });
    await follower.appendAsFollower(Buffer.concat(r.records));
    fetches++;
  }
  return fetches;
}

/** A leader log with every kind of batch, over three epochs and several segments. */
async function busyLeader(engine: Engine, clock: ManualClock): Promise<PartitionLog> {
  const leader = await engine.open(config({ segmentBytes: 700, indexIntervalBytes: 64 }), clock);
  const pid = 42n;
  await leader.append(batch(['a', 'b', 'c'], 1000), { leaderEpoch: 0 });
  await leader.append(buildRecordBatch([{ value: 'gz1', timestamp: 1001 }, { value: 'gz2', timestamp: 1002 }], { compression: CompressionCodec.Gzip, now: 1001 }), { leaderEpoch: 0 });
  await leader.append(buildRecordBatch([{ value: 'lz', timestamp: 1003 }], { compression: CompressionCodec.Lz4, now: 1003 }), { leaderEpoch: 1 });
  // A transaction that aborts, one that commits, with an idempotent batch between.
  await leader.append(buildRecordBatch([{ value: 't1', timestamp: 1004 }], { producerId: pid, producerEpoch: 0, baseSequence: 0, transactional: true, now: 1004 }), { leaderEpoch: 1 });
  await leader.append(buildEndTxnMarkerBatch({ commit: false, coordinatorEpoch: 3, producerId: pid, producerEpoch: 0, timestamp: 1005 }), { leaderEpoch: 1 });
  await leader.append(buildRecordBatch([{ value: 'idem', timestamp: 1006 }], { producerId: 7n, producerEpoch: 1, baseSequence: 0, now: 1006 }), { leaderEpoch: 1 });
  await leader.append(
    buildRecordBatch([{ value: 't2', timestamp: 1007 }, { value: 't3', timestamp: 1008 }], { producerId: pid, producerEpoch: 0, baseSequence: 1, transactional: true, compression: CompressionCodec.Gzip, now: 1007 }),
    { leaderEpoch: 3 },
  );
  await leader.append(buildEndTxnMarkerBatch({ commit: true, coordinatorEpoch: 3, producerId: pid, producerEpoch: 0, timestamp: 1009 }), { leaderEpoch: 3 });
  // LogAppendTime: the leader stamped the time into the batch (and its CRC).
  await leader.append(batch(['lat'], 900), { leaderEpoch: 3, logAppendTimeMs: 5000n });
  for (let i = 0; i < 12; i++) await leader.append(batch([`v${i}`, `w${i}`], 2000 + i), { leaderEpoch: 3 });
  return leader;
}

describe.each(engines)('appendAsFollower on the $name log', (engine) => {
  it('copies the leader\'s log byte for byte, in fetches of any size, with its epochs', async () => {
    const clock = new ManualClock(1_000_000);
    const leader = await busyLeader(engine, clock);
    const expected = Buffer.concat(await storedBatches(leader));
    for (const maxBytes of [1, 300, 1 << 20]) {
      const follower = await engine.open(config({ segmentBytes: 700, indexIntervalBytes: 64 }), clock);
      const fetches = await replicate(leader, follower, maxBytes);
      expect(fetches).toBeGreaterThan(0);
      expect(follower.logEndOffset).toBe(leader.logEndOffset);
      expect(Buffer.concat(await storedBatches(follower)).equals(expected)).toBe(true);
      expect(follower.leaderEpochs.entries()).toEqual([
        { epoch: 0, startOffset: 0n },
        { epoch: 1, startOffset: 5n },
        { epoch: 3, startOffset: 9n },
      ]);
      expect(follower.leaderEpochs.entries()).toEqual(leader.leaderEpochs.entries());
    }
  });

  it('serves a consumer of the follower as the leader does: reads at any offset, time lookups, batch headers', async () => {
    const clock = new ManualClock(1_000_000);
    const leader = await busyLeader(engine, clock);
    const follower = await engine.open(config({ segmentBytes: 700, indexIntervalBytes: 64 }), clock);
    await replicate(leader, follower, 500);
    for (let o = 0n; o < leader.logEndOffset; o++) {
      const a = await leader.read(o, { maxBytes: 200 });
      const b = await follower.read(o, { maxBytes: 200 });
      expect(Buffer.concat(b.records).equals(Buffer.concat(a.records))).toBe(true);
    }
    for (const ts of [0n, 1003n, 1008n, 2005n, 5000n, 9999n]) {
      expect(await follower.offsetForTimestamp(ts)).toEqual(await leader.offsetForTimestamp(ts));
    }
    expect(await follower.maxTimestamp()).toEqual(await leader.maxTimestamp());
    const infos = async (log: PartitionLog): Promise<unknown[]> => {
      const out: unknown[] = [];
      for await (const b of log.batches(0n)) out.push(b);
      return out;
    };
    expect(await infos(follower)).toEqual(await infos(leader));
    expect(decode(await storedBatches(follower)).map((r) => r.value)).toContain('lat');
  });

  it('answers with the offsets appended and the log start', async () => {
    const clock = new ManualClock(1_000_000);
    const leader = await engine.open(config(), clock);
    await leader.append(batch(['a', 'b']), { leaderEpoch: 2 });
    await leader.append(batch(['c']), { leaderEpoch: 2 });
    const follower = await engine.open(config(), clock);
    const r = await follower.appendAsFollower(Buffer.concat(await storedBatches(leader)));
    expect(r).toEqual({ baseOffset: 0n, lastOffset: 2n, logAppendTimeMs: -1n, logStartOffset: 0n });
  });

  it('refuses batches that overlap its log, whole, and says where they start', async () => {
    const clock = new ManualClock(1_000_000);
    const leader = await engine.open(config(), clock);
    for (let i = 0; i < 4; i++) await leader.append(batch([`a${i}`, `b${i}`]), { leaderEpoch: 0 });
    const [b0, b1, b2, b3] = await storedBatches(leader);
    const follower = await engine.open(config(), clock);
    await follower.appendAsFollower(Buffer.concat([b0, b1]));
    const err = await follower.appendAsFollower(Buffer.concat([b1, b2])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnexpectedAppendOffsetError);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ firstOffset: 2n, lastOffsetOfFirstBatch: 3n, logEndOffset: 4n });
    expect(follower.logEndOffset).toBe(4n);
    // Offsets going backwards inside one append.
    await expect(follower.appendAsFollower(Buffer.concat([b3, b2]))).rejects.toBeInstanceOf(UnexpectedAppendOffsetError);
    expect(follower.logEndOffset).toBe(4n);
    await follower.appendAsFollower(Buffer.concat([b2, b3]));
    expect(Buffer.concat(await storedBatches(follower)).equals(Buffer.concat([b0, b1, b2, b3]))).toBe(true);
  });

  it('refuses damaged batches whole: a CRC mismatch, a record count that is not the offset range, magic 1, a bad length', async () => {
    const clock = new ManualClock(1_000_000);
    const leader = await engine.open(config(), clock);
    await leader.append(batch(['a', 'b']), { leaderEpoch: 0 });
    await leader.append(batch(['c', 'd']), { leaderEpoch: 0 });
    const [good, next] = await storedBatches(leader);
    const follower = await engine.open(config(), clock);

    const flipped = Buffer.from(next);
    flipped[flipped.length - 1] ^= 0x01;
    const counted = Buffer.from(next);
    counted.writeInt32BE(3, RECORDS_COUNT_OFFSET);
    new RecordBatchView(counted).recomputeCrc();
    const magic1 = Buffer.from(next);
    magic1.writeInt8(1, 16);
    const negative = Buffer.from(next);
    negative.writeInt32BE(-5, 8);
    const cases: [string, Buffer, RegExp][] = [
      ['crc', Buffer.concat([good, flipped]), /corrupt/],
      ['count', Buffer.concat([good, counted]), /count of records 3/],
      ['magic', Buffer.concat([good, magic1]), /invalid record batches/],
      ['length', Buffer.concat([good, negative]), /invalid record batches/],
    ];
    for (const [, bytes, message] of cases) {
      const err = await follower.appendAsFollower(bytes).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as Error).message).toMatch(message);
      expect(follower.logEndOffset).toBe(0n);
    }
    expect(follower.leaderEpochs.entries()).toEqual([]);
    await follower.appendAsFollower(Buffer.concat([good, next]));
    expect(follower.logEndOffset).toBe(4n);
  });

  it('leaves out an incomplete batch at the end, as a fetch response may carry, and appends nothing for none', async () => {
    const clock = new ManualClock(1_000_000);
    const leader = await engine.open(config(), clock);
    await leader.append(batch(['a', 'b']), { leaderEpoch: 0 });
    await leader.append(batch(['c', 'd']), { leaderEpoch: 1 });
    const [first, second] = await storedBatches(leader);
    const follower = await engine.open(config(), clock);
    expect(await follower.appendAsFollower(Buffer.alloc(0))).toEqual({ baseOffset: 0n, lastOffset: -1n, logAppendTimeMs: -1n, logStartOffset: 0n });
    const r = await follower.appendAsFollower(Buffer.concat([first, second.subarray(0, second.length - 3)]));
    expect([r.baseOffset, r.lastOffset]).toEqual([0n, 1n]);
    expect(Buffer.concat(await storedBatches(follower)).equals(first)).toBe(true);
    expect(await follower.appendAsFollower(second.subarray(0, 20))).toMatchObject({ baseOffset: 2n, lastOffset: 1n });
    expect(follower.leaderEpochs.entries()).toEqual([{ epoch: 0, startOffset: 0n }]);
    await follower.appendAsFollower(second);
    expect(Buffer.concat(await storedBatches(follower)).equals(Buffer.concat([first, second]))).toBe(true);
  });

  it('records the epochs the batches carry, not its own, and continues as leader in a newer one', async () => {
    const clock = new ManualClock(1_000_000);
    const follower = await engine.open(config(), clock);
    await follower.appendAsFollower(buildRecordBatch([{ value: 'x', timestamp: 1 }], { partitionLeaderEpoch: 4, now: 1 }));
    await follower.appendAsFollower(
      Buffer.concat([
        buildRecordBatch([{ value: 'y', timestamp: 2 }], { partitionLeaderEpoch: 4, baseOffset: 1, now: 2 }),
        buildRecordBatch([{ value: 'z', timestamp: 3 }], { partitionLeaderEpoch: 6, baseOffset: 2, now: 3 }),
      ]),
    );
    expect(follower.leaderEpochs.entries()).toEqual([
      { epoch: 4, startOffset: 0n },
      { epoch: 6, startOffset: 2n },
    ]);
    // Elected leader in epoch 7 (the partition assigns it at the log end), then appends.
    await follower.leaderEpochs.assign(7, follower.logEndOffset);
    expect((await follower.append(batch(['w']), { leaderEpoch: 7 })).baseOffset).toBe(3n);
    expect(follower.leaderEpochs.endOffsetFor(6, follower.logEndOffset)).toEqual({ leaderEpoch: 6, endOffset: 3n });
    expect(follower.leaderEpochs.endOffsetFor(7, follower.logEndOffset)).toEqual({ leaderEpoch: 7, endOffset: 4n });
  });

  it('takes a compacted leader\'s gaps as they are, as Kafka does', async () => {
    const clock = new ManualClock(1_000_000);
    const cfg = config({ compaction: { ...DEFAULT_COMPACTION_CONFIG, minCleanableDirtyRatio: 0.01 } });
    const leader = await engine.open(cfg, clock);
    const kv = (k: string, v: string, ts: number): Buffer => buildRecordBatch([{ key: k, value: v, timestamp: ts }], { now: ts });
    await leader.append(kv('a', 'a1', 1), { leaderEpoch: 0 });
    await leader.roll();
    await leader.append(kv('b', 'b1', 2), { leaderEpoch: 1 });
    await leader.roll();
    await leader.append(kv('a', 'a2', 3), { leaderEpoch: 1 });
    await leader.append(kv('b', 'b2', 4), { leaderEpoch: 2 });
    await leader.roll();
    await leader.append(kv('c', 'c1', 5), { leaderEpoch: 2 });
    const cleaner = new LogCleaner({ logs: () => [leader], clock, producers: () => Promise.resolve(new Map()) });
    await cleaner.cleanNow();
    const cleaned = await storedBatches(leader);
    expect(cleaned.map((b) => new RecordBatchView(b).baseOffset)).toEqual([2n, 3n, 4n]);
    // Compaction removes records, never epochs.
    expect(leader.leaderEpochs.entries()).toEqual([
      { epoch: 0, startOffset: 0n },
      { epoch: 1, startOffset: 1n },
      { epoch: 2, startOffset: 3n },
    ]);
    const follower = await engine.open(cfg, clock);
    await follower.appendAsFollower(Buffer.concat(cleaned));
    expect(follower.logEndOffset).toBe(5n);
    expect(Buffer.concat(await storedBatches(follower, 0n)).equals(Buffer.concat(cleaned))).toBe(true);
    expect(decode((await follower.read(0n, { maxBytes: 1 << 20 })).records).map((r) => r.offset)).toEqual([2n, 3n, 4n]);
    expect(follower.leaderEpochs.entries()).toEqual([
      { epoch: 1, startOffset: 2n },
      { epoch: 2, startOffset: 3n },
    ]);
    if (engine.reopen !== undefined) {
      const again = await engine.reopen(leader, clock);
      expect(again.leaderEpochs.entries()).toEqual(leader.leaderEpochs.entries());
    }
  });

  const reopen = engine.reopen;
  if (reopen !== undefined) {
    it('keeps what it replicated, epochs included, across a restart', async () => {
      const clock = new ManualClock(1_000_000);
      const leader = await busyLeader(engine, clock);
      const follower = await engine.open(config({ segmentBytes: 700, indexIntervalBytes: 64 }), clock);
      await replicate(leader, follower, 400);
      const again = await reopen(follower, clock);
      expect(Buffer.concat(await storedBatches(again)).equals(Buffer.concat(await storedBatches(leader)))).toBe(true);
      expect(again.leaderEpochs.entries()).toEqual(leader.leaderEpochs.entries());
    });
  }
});

describe('appendAsFollower on the disk log', () => {
  it('keeps a gap the leader\'s compaction left through crash recovery', async () => {
    const clock = new ManualClock(1_000_000);
    const [disk] = engines;
    const follower = await disk.open(config(), clock);
    const b = (offset: number, value: string, epoch: number): Buffer =>
      buildRecordBatch([{ key: value, value, timestamp: offset }], { baseOffset: offset, partitionLeaderEpoch: epoch, now: offset });
    await follower.appendAsFollower(Buffer.concat([b(0, 'a', 0), b(3, 'b', 0)]));
    await follower.appendAsFollower(b(9, 'c', 2));
    if (!(follower instanceof DiskPartitionLog)) throw new Error('not a disk log');
    await follower.close();
    const again = await openDiskPartitionLog(follower.dir, 't', 0, config(), { cleanShutdown: false, clock: () => clock.now() });
    opened.push(again);
    expect(again.recovery?.truncatedBytes).toBe(0);
    expect(again.logEndOffset).toBe(10n);
    expect(decode((await again.read(1n, { maxBytes: 1 << 20 })).records).map((r) => [r.offset, r.value])).toEqual([
      [3n, 'b'],
      [9n, 'c'],
    ]);
    expect(again.leaderEpochs.entries()).toEqual([
      { epoch: 0, startOffset: 0n },
      { epoch: 2, startOffset: 9n },
    ]);
  });

  it('takes appends queued together in one group, each checked against the end the one before left', async () => {
    const clock = new ManualClock(1_000_000);
    const [disk] = engines;
    const leader = await disk.open(config(), clock);
    for (let i = 0; i < 10; i++) await leader.append(batch([`v${i}`]), { leaderEpoch: i < 5 ? 1 : 2 });
    const stored = await storedBatches(leader);
    const follower = await disk.open(config(), clock);
    const results = await Promise.allSettled([
      ...stored.slice(0, 5).map((b) => follower.appendAsFollower(b)),
      follower.appendAsFollower(stored[3]), // overlaps what the ones before it leave
      ...stored.slice(5).map((b) => follower.appendAsFollower(b)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(Buffer.concat(await storedBatches(follower)).equals(Buffer.concat(stored))).toBe(true);
    expect(follower.leaderEpochs.entries()).toEqual([
      { epoch: 1, startOffset: 0n },
      { epoch: 2, startOffset: 5n },
    ]);
  });
});
