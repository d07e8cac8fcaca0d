/**
 * The behaviour every PartitionLog must have, as one suite run against a factory: the disk log
 * (test/storage/disk-partition-log.test.ts) and the in-memory twin
 * (test/storage/memory-partition-log.test.ts) pass the same cases.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { buildEndTxnMarkerBatch, buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import { TimestampType } from '../../src/protocol/records/record-batch.js';
import { OffsetOutOfRangeError, StorageError, UnexpectedAppendOffsetError, type AbortedTxn, type BatchInfo, type LogConfig, type PartitionLog } from '../../src/storage/types.js';
import { bases, batch, config, decode, sizedBatch, TestClock, views } from './helpers.js';

export interface PartitionLogFactory {
  /** Opens a new, empty log. */
  open(config: LogConfig, clock: () => number): Promise<PartitionLog>;
  /** Closes `log` and opens it again (disk only: "restart keeps everything"). */
  reopen?(log: PartitionLog, config: LogConfig, clock: () => number): Promise<PartitionLog>;
  /** Removes what open() created. */
  cleanup(): Promise<void>;
}

/** Segment base offsets: both implementations expose them for tests. */
function segmentBases(log: PartitionLog): bigint[] {
  return (log as unknown as { segmentBaseOffsets(): bigint[] }).segmentBaseOffsets();
}

async function collect(it: AsyncIterable<BatchInfo>): Promise<BatchInfo[]> {
  const out: BatchInfo[] = [];
  for await (const b of it) out.push(b);
  return out;
}

const BIG = 1 << 30;

export function partitionLogBehaviour(name: string, factory: PartitionLogFactory): void {
  describe(`${name}: PartitionLog behaviour`, () => {
    const opened: PartitionLog[] = [];
    let clock: TestClock;
    const open = async (overrides: Partial<LogConfig> = {}): Promise<PartitionLog> => {
      clock = new TestClock();
      const log = await factory.open(config(overrides), clock.now);
      opened.push(log);
      return log;
    };
    const reopen = async (log: PartitionLog): Promise<PartitionLog> => {
      const again = await factory.reopen!(log, log.config, clock.now);
      opened.push(again);
      return again;
    };
    afterEach(async () => {
      for (const l of opened.splice(0)) await l.close().catch(() => undefined);
      await factory.cleanup();
    });

    describe('append and read', () => {
      it('assigns offsets: a batch of N records takes N offsets', async () => {
        const log = await open();
        const a = await log.append(batch(['a', 'b', 'c']), { leaderEpoch: 3 });
        expect(a).toEqual({ baseOffset: 0n, lastOffset: 2n, logAppendTimeMs: -1n, logStartOffset: 0n });
        const b = await log.append(batch(['d']), { leaderEpoch: 3 });
        expect([b.baseOffset, b.lastOffset]).toEqual([3n, 3n]);
        expect(log.logEndOffset).toBe(4n);
        expect(log.logStartOffset).toBe(0n);
        const r = await log.read(0n, { maxBytes: BIG });
        expect(r.logEndOffset).toBe(4n);
        expect(r.logStartOffset).toBe(0n);
        expect(r.size).toBe(r.records.reduce((n, x) => n + x.length, 0));
        expect(decode(r.records).map((x) => [x.offset, x.value])).toEqual([
          [0n, 'a'],
          [1n, 'b'],
          [2n, 'c'],
          [3n, 'd'],
        ]);
        for (const v of views(r.records)) expect(v.partitionLeaderEpoch).toBe(3);
      });

      it('appends several concatenated batches at once, and takes lastOffsetDelta + 1 offsets per batch', async () => {
        const log = await open();
        const gappy = batch(['x', 'y'], 1000, {}); // offsetDeltas 0, 1
        const sparse = buildRecordBatch(
          [
            { value: 'p', offsetDelta: 0, timestamp: 5 },
            { value: 'q', offsetDelta: 4, timestamp: 5 },
          ],
          { now: 5 },
        );
        const r = await log.append(Buffer.concat([gappy, sparse, batch(['z'])]), { leaderEpoch: 0 });
        expect([r.baseOffset, r.lastOffset]).toEqual([0n, 7n]);
        const read = await log.read(0n, { maxBytes: BIG });
        expect(bases(read.records)).toEqual([0n, 2n, 7n]);
        expect(decode(read.records).map((x) => x.offset)).toEqual([0n, 1n, 2n, 6n, 7n]);
      });

      it('stamps LogAppendTime (attributes, maxTimestamp) with a valid CRC', async () => {
        const log = await open();
        const r = await log.append(batch(['a', 'b'], [10, 20]), { leaderEpoch: 1, logAppendTimeMs: 99_999n });
        expect(r.logAppendTimeMs).toBe(99_999n);
        const [v] = views((await log.read(0n, { maxBytes: BIG })).records);
        expect(v.timestampType).toBe(TimestampType.LogAppendTime);
        expect(v.maxTimestamp).toBe(99_999n);
        expect(v.verifyCrc()).toBe(true);
        expect(decode([v.bytes]).map((x) => x.timestamp)).toEqual([99_999n, 99_999n]);
      });

      it('serializes appends made without waiting, in call order', async () => {
        const log = await open({ segmentBytes: 2000 });
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(batch([`v${i}`, `w${i}`]), { leaderEpoch: 0 })));
        expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i * 2)));
        const read = await log.read(0n, { maxBytes: BIG });
        expect(decode(read.records).map((x) => x.value)).toEqual(Array.from({ length: 50 }, (_, i) => [`v${i}`, `w${i}`]).flat());
      });

      it('starts with the batch holding the offset (consumers skip records below it)', async () => {
        const log = await open();
        await log.append(batch(['a', 'b', 'c']), { leaderEpoch: 0 });
        await log.append(batch(['d', 'e']), { leaderEpoch: 0 });
        expect(bases((await log.read(1n, { maxBytes: BIG })).records)).toEqual([0n, 3n]);
        expect(bases((await log.read(3n, { maxBytes: BIG })).records)).toEqual([3n]);
        expect(bases((await log.read(4n, { maxBytes: BIG })).records)).toEqual([3n]);
      });

      it('always returns the first batch whole, even beyond maxBytes, then stops at maxBytes', async () => {
        const log = await open();
        const big = sizedBatch(5000);
        await log.append(big, { leaderEpoch: 0 });
        await log.append(sizedBatch(100), { leaderEpoch: 0 });
        await log.append(sizedBatch(100), { leaderEpoch: 0 });
        const one = await log.read(0n, { maxBytes: 10 });
        expect(one.records.length).toBe(1);
        expect(one.size).toBe(big.length);
        expect(views(one.records)[0].verifyCrc()).toBe(true);
        const zero = await log.read(1n, { maxBytes: 0 });
        expect(bases(zero.records)).toEqual([1n]);
        const small = sizedBatch(100).length;
        expect(bases((await log.read(1n, { maxBytes: 2 * small })).records)).toEqual([1n, 2n]);
        expect(bases((await log.read(1n, { maxBytes: 2 * small - 1 })).records)).toEqual([1n]);
        expect(bases((await log.read(0n, { maxBytes: big.length + small })).records)).toEqual([0n, 1n]);
      });

      it('never returns a batch at or beyond maxOffset', async () => {
        const log = await open();
        await log.append(batch(['a', 'b']), { leaderEpoch: 0 });
        await log.append(batch(['c', 'd']), { leaderEpoch: 0 });
        await log.append(batch(['e']), { leaderEpoch: 0 });
        expect(bases((await log.read(0n, { maxBytes: BIG, maxOffset: 4n })).records)).toEqual([0n, 2n]);
        expect(bases((await log.read(0n, { maxBytes: BIG, maxOffset: 3n })).records)).toEqual([0n]);
        expect((await log.read(2n, { maxBytes: BIG, maxOffset: 2n })).records).toEqual([]);
        expect((await log.read(0n, { maxBytes: BIG, maxOffset: 1n })).records).toEqual([]);
      });

      it('reads nothing at the log end offset and throws OffsetOutOfRangeError outside [start, end]', async () => {
        const log = await open();
        const empty = await log.read(0n, { maxBytes: BIG });
        expect(empty).toEqual({ records: [], size: 0, logStartOffset: 0n, logEndOffset: 0n });
        await log.append(batch(['a']), { leaderEpoch: 0 });
        expect((await log.read(1n, { maxBytes: BIG })).records).toEqual([]);
        await expect(log.read(2n, { maxBytes: BIG })).rejects.toBeInstanceOf(OffsetOutOfRangeError);
        await expect(log.read(-1n, { maxBytes: BIG })).rejects.toBeInstanceOf(OffsetOutOfRangeError);
        const err = await log.read(5n, { maxBytes: BIG }).catch((e: unknown) => e);
        expect(err).toMatchObject({ offset: 5n, logStartOffset: 0n, logEndOffset: 1n });
      });

      it('rejects bytes that are not whole v2 batches and leaves the log as it was', async () => {
        const log = await open();
        await log.append(batch(['a']), { leaderEpoch: 0 });
        await expect(log.append(batch(['b']).subarray(0, 40), { leaderEpoch: 0 })).rejects.toThrow();
        await expect(log.append(Buffer.alloc(0), { leaderEpoch: 0 })).rejects.toThrow();
        const legacy = batch(['c']);
        legacy.writeInt8(1, 16);
        await expect(log.append(legacy, { leaderEpoch: 0 })).rejects.toThrow();
        expect(log.logEndOffset).toBe(1n);
        expect((await log.append(batch(['d']), { leaderEpoch: 0 })).baseOffset).toBe(1n);
      });

      it('reads across segments, from any offset', async () => {
        const log = await open({ segmentBytes: 400 });
        for (let i = 0; i < 40; i++) await log.append(batch([`r${i}`], 1000 + i), { leaderEpoch: 0 });
        expect(segmentBases(log).length).toBeGreaterThan(3);
        const all = await log.read(0n, { maxBytes: BIG });
        expect(decode(all.records).map((x) => x.value)).toEqual(Array.from({ length: 40 }, (_, i) => `r${i}`));
        for (let o = 0; o < 40; o++) {
          const r = await log.read(BigInt(o), { maxBytes: 1 });
          expect(bases(r.records)).toEqual([BigInt(o)]);
        }
        const mid = await log.read(17n, { maxBytes: 3 * batch(['r17']).length });
        expect(bases(mid.records)).toEqual([17n, 18n, 19n]);
        expect(log.size).toBe(all.size);
      });

      it('lists batch headers from an offset (batches())', async () => {
        const log = await open({ segmentBytes: 300 });
        for (let i = 0; i < 10; i++) {
          await log.append(batch([`a${i}`, `b${i}`], 500 + i, { producerId: 7n, producerEpoch: 2, baseSequence: i * 2 }), { leaderEpoch: 0 });
        }
        const infos = await collect(log.batches(5n));
        expect(infos.map((b) => b.baseOffset)).toEqual([4n, 6n, 8n, 10n, 12n, 14n, 16n, 18n]);
        expect(infos[0]).toEqual({
          baseOffset: 4n,
          lastOffset: 5n,
          maxTimestamp: 502n,
          producerId: 7n,
          producerEpoch: 2,
          baseSequence: 4,
          isTransactional: false,
          isControl: false,
          controlType: -1,
          partitionLeaderEpoch: 0,
        });
        expect((await collect(log.batches(0n))).length).toBe(10);
        expect(await collect(log.batches(20n))).toEqual([]);
      });
    });

    describe('aborted transactions', () => {
      const txnBatch = (pid: bigint, values: string[]): Buffer => batch(values, 1000, { producerId: pid, producerEpoch: 0, baseSequence: 0, transactional: true });
      const marker = (pid: bigint, commit: boolean): Buffer => buildEndTxnMarkerBatch({ producerId: pid, producerEpoch: 0, commit, coordinatorEpoch: 3, timestamp: 1000 });
      const txn = (producerId: bigint, firstOffset: bigint, lastOffset: bigint, lastStableOffset = lastOffset + 1n): AbortedTxn => ({ producerId, firstOffset, lastOffset, lastStableOffset });

      /** Appends a transaction of pid (one batch of `n` records) and its marker; returns [first, marker]. */
      const transaction = async (log: PartitionLog, pid: bigint, n: number, commit: boolean): Promise<[bigint, bigint]> => {
        const data = await log.append(txnBatch(pid, Array.from({ length: n }, (_, i) => `t${i}`)), { leaderEpoch: 0 });
        const m = await log.append(marker(pid, commit), { leaderEpoch: 0 });
        return [data.baseOffset, m.baseOffset];
      };

      it('tells control batches apart by their control record type (batches())', async () => {
        const log = await open();
        await transaction(log, 5n, 2, false);
        await transaction(log, 5n, 1, true);
        await log.append(batch(['plain']), { leaderEpoch: 0 });
        const infos = await collect(log.batches(0n));
        expect(infos.map((b) => [b.baseOffset, b.isTransactional, b.isControl, b.controlType])).toEqual([
          [0n, true, false, -1],
          [2n, true, true, 0],
          [3n, true, false, -1],
          [4n, true, true, 1],
          [5n, false, false, -1],
        ]);
      });

      it('answers the aborted transactions overlapping a range, oldest first', async () => {
        const log = await open();
        const [f1, m1] = await transaction(log, 1n, 3, false); // 0..2, marker 3
        await transaction(log, 2n, 2, true); // 4..5, commit 6
        const [f3, m3] = await transaction(log, 3n, 2, false); // 7..8, marker 9
        await log.appendAbortedTxn(txn(1n, f1, m1));
        await log.appendAbortedTxn(txn(3n, f3, m3));
        expect(await log.abortedTxns(0n, log.logEndOffset)).toEqual([txn(1n, 0n, 3n), txn(3n, 7n, 9n)]);
        // lastOffset >= fromOffset: the first one ended before offset 4.
        expect(await log.abortedTxns(4n, log.logEndOffset)).toEqual([txn(3n, 7n, 9n)]);
        expect(await log.abortedTxns(3n, 7n)).toEqual([txn(1n, 0n, 3n)]);
        // firstOffset < upperBoundOffset.
        expect(await log.abortedTxns(4n, 7n)).toEqual([]);
        expect(await log.abortedTxns(8n, 9n)).toEqual([txn(3n, 7n, 9n)]);
      });

      it('stops at the first entry whose last stable offset reaches the upper bound', async () => {
        const log = await open();
        await log.append(txnBatch(1n, ['a']), { leaderEpoch: 0 }); // 0
        await log.append(txnBatch(2n, ['b']), { leaderEpoch: 0 }); // 1
        await log.append(marker(1n, false), { leaderEpoch: 0 }); // 2: pid 2 still open, LSO 1
        await log.append(marker(2n, false), { leaderEpoch: 0 }); // 3
        await log.appendAbortedTxn(txn(1n, 0n, 2n, 1n));
        await log.appendAbortedTxn(txn(2n, 1n, 3n, 4n));
        // Upper bound 1: the first entry's LSO reaches it, so the search ends there.
        expect(await log.abortedTxns(0n, 1n)).toEqual([txn(1n, 0n, 2n, 1n)]);
        expect(await log.abortedTxns(0n, 2n)).toEqual([txn(1n, 0n, 2n, 1n), txn(2n, 1n, 3n, 4n)]);
      });

      it('refuses entries out of marker order or past the log end', async () => {
        const log = await open();
        const [f, m] = await transaction(log, 1n, 2, false);
        await log.appendAbortedTxn(txn(1n, f, m));
        await expect(log.appendAbortedTxn(txn(1n, f, m))).rejects.toThrow();
        await expect(log.appendAbortedTxn(txn(1n, f, log.logEndOffset))).rejects.toThrow();
        expect(await log.abortedTxns(0n, log.logEndOffset)).toEqual([txn(1n, f, m)]);
      });

      it('keeps the entries across segments, and truncation cuts those whose marker it removes', async () => {
        const size = txnBatch(1n, ['t0', 't1']).length;
        const log = await open({ segmentBytes: size * 2 });
        const markers: [bigint, bigint][] = [];
        for (let i = 0; i < 6; i++) {
          const [f, m] = await transaction(log, BigInt(i), 2, false);
          await log.appendAbortedTxn(txn(BigInt(i), f, m));
          markers.push([f, m]);
        }
        expect(segmentBases(log).length).toBeGreaterThan(2);
        const all = markers.map(([f, m], i) => txn(BigInt(i), f, m));
        expect(await log.abortedTxns(0n, log.logEndOffset)).toEqual(all);
        expect(await log.abortedTxns(markers[3][0], log.logEndOffset)).toEqual(all.slice(3));
        // Cut at the marker of the fourth: it and later ones go, the data before stays.
        await log.truncateTo(markers[3][1]);
        expect(await log.abortedTxns(0n, log.logEndOffset)).toEqual(all.slice(0, 3));
        await log.truncateTo(markers[1][0]);
        expect(await log.abortedTxns(0n, log.logEndOffset)).toEqual(all.slice(0, 1));
        // The log continues: new markers are indexed again.
        const [f, m] = await transaction(log, 9n, 1, false);
        await log.appendAbortedTxn(txn(9n, f, m));
        expect(await log.abortedTxns(0n, log.logEndOffset)).toEqual([all[0], txn(9n, f, m)]);
      });

      it('drops the entries of segments deleted by DeleteRecords and retention', async () => {
        const size = txnBatch(1n, ['t0', 't1']).length;
        const log = await open({ segmentBytes: size * 2, retentionMs: -1 });
        const all: AbortedTxn[] = [];
        for (let i = 0; i < 6; i++) {
          const [f, m] = await transaction(log, BigInt(i), 2, false);
          await log.appendAbortedTxn(txn(BigInt(i), f, m));
          all.push(txn(BigInt(i), f, m));
        }
        const bases0 = segmentBases(log);
        // DeleteRecords inside the second segment: the first segment goes, and with it its entries.
        await log.deleteRecordsBefore(bases0[1] + 1n);
        const first = segmentBases(log)[0];
        expect(first).toBe(bases0[1]);
        const kept = all.filter((t) => t.lastOffset >= first);
        expect(kept.length).toBeLessThan(all.length);
        expect(await log.abortedTxns(log.logStartOffset, log.logEndOffset)).toEqual(kept.filter((t) => t.lastOffset >= log.logStartOffset));
        log.updateConfig({ ...log.config, retentionBytes: 0 });
        await log.applyRetention(clock.now());
        const active = segmentBases(log)[0];
        expect(await log.abortedTxns(active, log.logEndOffset)).toEqual(all.filter((t) => t.lastOffset >= active));
      });
    });

    describe('timestamps', () => {
      it('finds the first record at or after a timestamp, across segments (offsetForTimestamp)', async () => {
        const log = await open({ segmentBytes: 500, indexIntervalBytes: 1 });
        // Batch i holds records at 1000 + 10i, 1000 + 10i + 5.
        for (let i = 0; i < 30; i++) await log.append(batch([`a${i}`, `b${i}`], [1000 + 10 * i, 1005 + 10 * i]), { leaderEpoch: 0 });
        expect(segmentBases(log).length).toBeGreaterThan(2);
        expect(await log.offsetForTimestamp(0n)).toEqual({ offset: 0n, timestamp: 1000n });
        expect(await log.offsetForTimestamp(1000n)).toEqual({ offset: 0n, timestamp: 1000n });
        expect(await log.offsetForTimestamp(1001n)).toEqual({ offset: 1n, timestamp: 1005n });
        expect(await log.offsetForTimestamp(1006n)).toEqual({ offset: 2n, timestamp: 1010n });
        expect(await log.offsetForTimestamp(1123n)).toEqual({ offset: 25n, timestamp: 1125n });
        expect(await log.offsetForTimestamp(1295n)).toEqual({ offset: 59n, timestamp: 1295n });
        expect(await log.offsetForTimestamp(1296n)).toBeNull();
      });

      it('handles timestamps that go backwards (the first batch whose max reaches the target wins)', async () => {
        const log = await open({ indexIntervalBytes: 1 });
        await log.append(batch(['a'], 100), { leaderEpoch: 0 });
        await log.append(batch(['b'], 500), { leaderEpoch: 0 });
        await log.append(batch(['c'], 200), { leaderEpoch: 0 });
        await log.append(batch(['d'], 600), { leaderEpoch: 0 });
        expect(await log.offsetForTimestamp(150n)).toEqual({ offset: 1n, timestamp: 500n });
        expect(await log.offsetForTimestamp(550n)).toEqual({ offset: 3n, timestamp: 600n });
      });

      it('does not answer with offsets below the log start offset', async () => {
        const log = await open();
        for (let i = 0; i < 5; i++) await log.append(batch([`v${i}`], 100 * i), { leaderEpoch: 0 });
        await log.deleteRecordsBefore(3n);
        expect(await log.offsetForTimestamp(0n)).toEqual({ offset: 3n, timestamp: 300n });
      });

      it('reports the record with the largest timestamp (maxTimestamp)', async () => {
        const log = await open({ segmentBytes: 300 });
        expect(await log.maxTimestamp()).toBeNull();
        await log.append(batch(['a', 'b'], [10, 20]), { leaderEpoch: 0 });
        await log.append(batch(['c', 'd', 'e'], [50, 90, 70]), { leaderEpoch: 0 });
        await log.append(batch(['f'], [90]), { leaderEpoch: 0 });
        await log.append(batch(['g'], [30]), { leaderEpoch: 0 });
        expect(await log.maxTimestamp()).toEqual({ offset: 3n, timestamp: 90n });
        await log.append(batch(['h'], 200), { leaderEpoch: 0, logAppendTimeMs: 5000n });
        expect(await log.maxTimestamp()).toEqual({ offset: 7n, timestamp: 5000n });
      });
    });

    describe('truncation', () => {
      it('removes everything at or after an offset, and appends continue there', async () => {
        const log = await open({ segmentBytes: 300 });
        for (let i = 0; i < 20; i++) await log.append(batch([`v${i}`], 1000 + i), { leaderEpoch: 0 });
        const before = segmentBases(log).length;
        await log.truncateTo(7n);
        expect(log.logEndOffset).toBe(7n);
        expect(segmentBases(log).length).toBeLessThan(before);
        await expect(log.read(8n, { maxBytes: BIG })).rejects.toBeInstanceOf(OffsetOutOfRangeError);
        expect(decode((await log.read(0n, { maxBytes: BIG })).records).map((x) => x.value)).toEqual(Array.from({ length: 7 }, (_, i) => `v${i}`));
        expect((await log.append(batch(['new']), { leaderEpoch: 1 })).baseOffset).toBe(7n);
        expect(decode((await log.read(7n, { maxBytes: BIG })).records).map((x) => x.value)).toEqual(['new']);
        expect(await log.maxTimestamp()).toEqual({ offset: 6n, timestamp: 1006n });
        await log.truncateTo(100n); // beyond the end: nothing happens
        expect(log.logEndOffset).toBe(8n);
      });

      it('truncates at the start of the batch holding the offset', async () => {
        const log = await open();
        await log.append(batch(['a', 'b', 'c']), { leaderEpoch: 0 });
        await log.append(batch(['d', 'e', 'f']), { leaderEpoch: 0 });
        await log.truncateTo(4n);
        expect(log.logEndOffset).toBe(3n);
      });

      it('keeps time lookups right after truncating', async () => {
        const log = await open({ indexIntervalBytes: 1 });
        for (let i = 0; i < 10; i++) await log.append(batch([`v${i}`], 100 * (i + 1)), { leaderEpoch: 0 });
        await log.truncateTo(5n);
        expect(await log.maxTimestamp()).toEqual({ offset: 4n, timestamp: 500n });
        expect(await log.offsetForTimestamp(501n)).toBeNull();
        expect(await log.offsetForTimestamp(350n)).toEqual({ offset: 3n, timestamp: 400n });
      });

      it('truncating below the first segment empties the log and restarts it at that offset', async () => {
        const log = await open({ segmentBytes: 200, retentionBytes: 0 });
        for (let i = 0; i < 10; i++) await log.append(batch([`v${i}`]), { leaderEpoch: 0 });
        await log.applyRetention(clock.now());
        const first = segmentBases(log)[0];
        expect(first).toBeGreaterThan(2n);
        await log.truncateTo(2n);
        expect([log.logStartOffset, log.logEndOffset]).toEqual([2n, 2n]);
        expect((await log.append(batch(['x']), { leaderEpoch: 0 })).baseOffset).toBe(2n);
      });
    });

    describe('rolling', () => {
      it('rolls when the next append would pass segment.bytes', async () => {
        const size = sizedBatch(100).length;
        const log = await open({ segmentBytes: size * 3 });
        for (let i = 0; i < 7; i++) await log.append(sizedBatch(100), { leaderEpoch: 0 });
        expect(segmentBases(log)).toEqual([0n, 3n, 6n]);
      });

      it('takes a batch larger than segment.bytes into an empty segment', async () => {
        const log = await open({ segmentBytes: 100 });
        await log.append(sizedBatch(500), { leaderEpoch: 0 });
        await log.append(sizedBatch(500), { leaderEpoch: 0 });
        expect(segmentBases(log)).toEqual([0n, 1n]);
        expect(bases((await log.read(0n, { maxBytes: 1 })).records)).toEqual([0n]);
      });

      it('rolls on segment.ms, comparing the incoming batch with the first batch of the segment', async () => {
        const log = await open({ segmentMs: 1000 });
        await log.append(batch(['a'], 10_000), { leaderEpoch: 0 });
        await log.append(batch(['b'], 10_900), { leaderEpoch: 0 });
        expect(segmentBases(log)).toEqual([0n]);
        await log.append(batch(['c'], 11_001), { leaderEpoch: 0 });
        expect(segmentBases(log)).toEqual([0n, 2n]);
      });

      it('rolls on segment.ms by the clock when batches carry no timestamp', async () => {
        const log = await open({ segmentMs: 1000 });
        await log.append(batch(['a'], -1), { leaderEpoch: 0 });
        clock.advance(500);
        await log.append(batch(['b'], -1), { leaderEpoch: 0 });
        expect(segmentBases(log)).toEqual([0n]);
        clock.advance(600);
        await log.append(batch(['c'], -1), { leaderEpoch: 0 });
        expect(segmentBases(log)).toEqual([0n, 2n]);
      });

      it('rolls when the offset or time index is full', async () => {
        // 24 bytes: 3 offset entries, 2 time entries; an entry for every batch after the first.
        const log = await open({ segmentIndexBytes: 24, indexIntervalBytes: 1 });
        for (let i = 0; i < 9; i++) await log.append(batch([`v${i}`], 1000 + i), { leaderEpoch: 0 });
        expect(segmentBases(log)).toEqual([0n, 3n, 6n]);
        const all = await log.read(0n, { maxBytes: BIG });
        expect(decode(all.records).map((x) => x.offset)).toEqual(Array.from({ length: 9 }, (_, i) => BigInt(i)));
        for (let o = 0; o < 9; o++) expect(bases((await log.read(BigInt(o), { maxBytes: 1 })).records)).toEqual([BigInt(o)]);
      });

      it('rolls on demand (roll()), and not when the active segment is empty', async () => {
        const log = await open();
        await log.roll();
        expect(segmentBases(log)).toEqual([0n]);
        await log.append(batch(['a', 'b']), { leaderEpoch: 0 });
        await log.roll();
        await log.roll();
        expect(segmentBases(log)).toEqual([0n, 2n]);
        await log.append(batch(['c']), { leaderEpoch: 0 });
        expect(decode((await log.read(0n, { maxBytes: BIG })).records).map((x) => x.value)).toEqual(['a', 'b', 'c']);
      });
    });

    describe('retention and DeleteRecords', () => {
      it('deletes whole segments older than retention.ms, never the active one', async () => {
        const size = batch(['v0'], 0).length;
        const log = await open({ segmentBytes: size * 2, retentionMs: 1000 });
        for (let i = 0; i < 10; i++) await log.append(batch([`v${i}`], 10_000 + i * 100), { leaderEpoch: 0 });
        expect(segmentBases(log)).toEqual([0n, 2n, 4n, 6n, 8n]);
        // Segment maxima: 10100, 10300, 10500, 10700, 10900.
        expect(await log.applyRetention(11_000)).toBe(0);
        expect(await log.applyRetention(11_301)).toBe(2);
        expect(segmentBases(log)).toEqual([4n, 6n, 8n]);
        expect(log.logStartOffset).toBe(4n);
        await expect(log.read(3n, { maxBytes: BIG })).rejects.toBeInstanceOf(OffsetOutOfRangeError);
        expect(bases((await log.read(4n, { maxBytes: BIG })).records)).toEqual([4n, 5n, 6n, 7n, 8n, 9n]);
        expect(await log.applyRetention(1_000_000)).toBe(2);
        expect(segmentBases(log)).toEqual([8n]);
        expect(log.logEndOffset).toBe(10n);
      });

      it('keeps everything with retention.ms = -1', async () => {
        const log = await open({ segmentBytes: 100, retentionMs: -1 });
        for (let i = 0; i < 5; i++) await log.append(batch([`v${i}`], 1), { leaderEpoch: 0 });
        expect(await log.applyRetention(Number.MAX_SAFE_INTEGER)).toBe(0);
      });

      it('deletes the oldest segments while the log is larger than retention.bytes', async () => {
        const size = sizedBatch(100).length;
        const log = await open({ segmentBytes: size * 2, retentionBytes: size * 5, retentionMs: -1 });
        for (let i = 0; i < 10; i++) await log.append(sizedBatch(100), { leaderEpoch: 0 });
        expect(log.size).toBe(size * 10);
        expect(await log.applyRetention(clock.now())).toBe(2);
        expect(segmentBases(log)).toEqual([4n, 6n, 8n]);
        expect(log.size).toBe(size * 6);
        expect(log.logStartOffset).toBe(4n);
        expect(await log.applyRetention(clock.now())).toBe(0);
      });

      it('moves the log start offset on DeleteRecords and deletes whole segments below it', async () => {
        const size = batch(['v0']).length;
        const log = await open({ segmentBytes: size * 2 });
        for (let i = 0; i < 10; i++) await log.append(batch([`v${i}`]), { leaderEpoch: 0 });
        expect(await log.deleteRecordsBefore(5n)).toBe(5n);
        expect(log.logStartOffset).toBe(5n);
        expect(segmentBases(log)).toEqual([4n, 6n, 8n]);
        await expect(log.read(4n, { maxBytes: BIG })).rejects.toBeInstanceOf(OffsetOutOfRangeError);
        expect(bases((await log.read(5n, { maxBytes: 1 })).records)).toEqual([5n]);
        expect(await log.deleteRecordsBefore(3n)).toBe(5n); // never backwards
        expect(await log.deleteRecordsBefore(100n)).toBe(10n); // never past the end
        expect(segmentBases(log)).toEqual([8n]);
        expect((await log.read(10n, { maxBytes: BIG })).records).toEqual([]);
        expect((await log.append(batch(['w']), { leaderEpoch: 0 })).logStartOffset).toBe(10n);
      });
    });

    describe('leader epochs and follower appends', () => {
      /** The leader's log, read whole. */
      const everything = async (log: PartitionLog): Promise<Buffer> => Buffer.concat((await log.read(log.logStartOffset, { maxBytes: BIG })).records);

      it('records the epoch of a leader append at its base offset when it is newer', async () => {
        const log = await open();
        await log.append(batch(['a', 'b']), { leaderEpoch: 0 });
        await log.append(batch(['c']), { leaderEpoch: 0 });
        await log.append(batch(['d']), { leaderEpoch: 2 });
        await log.append(batch(['e']), { leaderEpoch: 1 });
        expect(log.leaderEpochs.entries()).toEqual([
          { epoch: 0, startOffset: 0n },
          { epoch: 2, startOffset: 3n },
        ]);
        expect(log.leaderEpochs.endOffsetFor(0, log.logEndOffset)).toEqual({ leaderEpoch: 0, endOffset: 3n });
        expect(log.leaderEpochs.endOffsetFor(2, log.logEndOffset)).toEqual({ leaderEpoch: 2, endOffset: 5n });
        expect((await collect(log.batches(0n))).map((b) => b.partitionLeaderEpoch)).toEqual([0, 0, 2, 1]);
      });

      it('replicates a leader log byte for byte, epochs included', async () => {
        const leader = await open();
        const follower = await factory.open(config(), clock.now);
        opened.push(follower);
        await leader.append(batch(['a', 'b'], 100), { leaderEpoch: 1 });
        await leader.append(batch(['c'], 200, { producerId: 5n, producerEpoch: 0, baseSequence: 0 }), { leaderEpoch: 1 });
        await leader.append(batch(['d', 'e', 'f'], 300), { leaderEpoch: 4, logAppendTimeMs: 999n });
        const bytes = await everything(leader);
        const r = await follower.appendAsFollower(bytes);
        expect(r).toEqual({ baseOffset: 0n, lastOffset: 5n, logAppendTimeMs: -1n, logStartOffset: 0n });
        expect(follower.logEndOffset).toBe(6n);
        expect((await everything(follower)).equals(bytes)).toBe(true);
        expect(follower.leaderEpochs.entries()).toEqual(leader.leaderEpochs.entries());
      });

      it('refuses batches that overlap the log, and damaged ones', async () => {
        const leader = await open();
        const follower = await factory.open(config(), clock.now);
        opened.push(follower);
        await leader.append(batch(['a', 'b']), { leaderEpoch: 0 });
        await leader.append(batch(['c']), { leaderEpoch: 0 });
        const first = (await leader.read(0n, { maxBytes: 1 })).records[0];
        await follower.appendAsFollower(first);
        await expect(follower.appendAsFollower(first)).rejects.toBeInstanceOf(UnexpectedAppendOffsetError);
        const second = Buffer.from((await leader.read(2n, { maxBytes: 1 })).records[0]);
        second[second.length - 1] ^= 0xff;
        await expect(follower.appendAsFollower(second)).rejects.toBeInstanceOf(StorageError);
        expect(follower.logEndOffset).toBe(2n);
      });

      it('truncation drops the epochs at and after the new end; moving the log start moves the first', async () => {
        const log = await open();
        await log.append(batch(['a', 'b']), { leaderEpoch: 0 });
        await log.append(batch(['c', 'd']), { leaderEpoch: 1 });
        await log.append(batch(['e']), { leaderEpoch: 2 });
        await log.truncateTo(4n);
        expect(log.leaderEpochs.entries()).toEqual([
          { epoch: 0, startOffset: 0n },
          { epoch: 1, startOffset: 2n },
        ]);
        await log.deleteRecordsBefore(3n);
        expect(log.leaderEpochs.entries()).toEqual([{ epoch: 1, startOffset: 3n }]);
      });
    });

    if (factory.reopen !== undefined) {
      describe('restart', () => {
        it('keeps everything: offsets, batches, log start offset, timestamps', async () => {
          const log = await open({ segmentBytes: 600, indexIntervalBytes: 100 });
          for (let i = 0; i < 60; i++) await log.append(batch([`v${i}`, `w${i}`], 1000 + i), { leaderEpoch: 2 });
          await log.deleteRecordsBefore(31n);
          const before = await log.read(31n, { maxBytes: BIG });
          const segs = segmentBases(log);
          const again = await reopen(log);
          expect(again.logStartOffset).toBe(31n);
          expect(again.logEndOffset).toBe(120n);
          expect(segmentBases(again)).toEqual(segs);
          const after = await again.read(31n, { maxBytes: BIG });
          expect(Buffer.concat(after.records).equals(Buffer.concat(before.records))).toBe(true);
          expect(await again.offsetForTimestamp(1050n)).toEqual({ offset: 100n, timestamp: 1050n });
          expect(await again.maxTimestamp()).toEqual({ offset: 118n, timestamp: 1059n });
          for (let o = 31; o < 120; o += 7) {
            const r = await again.read(BigInt(o), { maxBytes: 1 });
            expect(views(r.records)[0].lastOffset).toBeGreaterThanOrEqual(BigInt(o));
            expect(views(r.records)[0].baseOffset).toBeLessThanOrEqual(BigInt(o));
          }
          expect((await again.append(batch(['next']), { leaderEpoch: 3 })).baseOffset).toBe(120n);
          const third = await reopen(again);
          expect(decode((await third.read(120n, { maxBytes: BIG })).records).map((x) => x.value)).toEqual(['next']);
        });

        it('keeps an empty log empty, and a log emptied by DeleteRecords at its end', async () => {
          const log = await open();
          const again = await reopen(log);
          expect([again.logStartOffset, again.logEndOffset]).toEqual([0n, 0n]);
          await again.append(batch(['a', 'b']), { leaderEpoch: 0 });
          await again.deleteRecordsBefore(2n);
          const third = await reopen(again);
          expect([third.logStartOffset, third.logEndOffset]).toEqual([2n, 2n]);
        });
      });
    }
  });
}
