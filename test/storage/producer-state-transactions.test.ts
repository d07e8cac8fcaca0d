/**
 * Transactions in a partition's producer state (Kafka's ProducerAppendInfo): a producer's first
 * transactional batch opens its transaction, its COMMIT or ABORT marker ends it; the first unstable
 * offset follows; open transactions survive snapshots, restarts and crashes.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { buildEndTxnMarkerBatch, buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import { RecordBatchView } from '../../src/protocol/records/record-batch.js';
import { openDiskPartitionLog } from '../../src/storage/disk-partition-log.js';
import { MemoryPartitionLog } from '../../src/storage/memory-partition-log.js';
import { ProducerStateManager, type CompletedTxn, type ProducerStateOptions, type TxnMarker } from '../../src/storage/producer-state.js';
import type { PartitionLog } from '../../src/storage/types.js';
import { config, tempDir } from './helpers.js';

const NOW = 1_700_000_000_000;
const options = (dir: string | null): ProducerStateOptions => ({ producerIdExpirationMs: 86_400_000, clock: () => NOW, dir });

function data(pid: bigint, epoch: number, seq: number, count = 1, transactional = true): Buffer {
  return buildRecordBatch(
    Array.from({ length: count }, (_, i) => ({ value: `v${seq + i}` })),
    { producerId: pid, producerEpoch: epoch, baseSequence: seq, transactional, now: NOW },
  );
}

type Outcome = { kind: 'appended'; baseOffset: bigint } | { kind: 'error'; errorCode: number } | { kind: 'duplicate' };

async function produce(m: ProducerStateManager, log: PartitionLog, b: Buffer): Promise<Outcome> {
  const v = new RecordBatchView(b);
  const c = m.tryAppend({ producerId: v.producerId, producerEpoch: v.producerEpoch, baseSequence: v.baseSequence, lastSequence: v.lastSequence, isTransactional: v.isTransactional }, b.length);
  if (c.kind === 'error') return { kind: 'error', errorCode: c.errorCode };
  if (c.kind === 'duplicate') return { kind: 'duplicate' };
  const r = await log.append(b, { leaderEpoch: 0 });
  m.complete(c.slot, { baseOffset: r.baseOffset, lastOffset: r.lastOffset, maxTimestamp: v.maxTimestamp });
  return { kind: 'appended', baseOffset: r.baseOffset };
}

/** What a partition does with a marker: check, append the control batch, settle, wait for it to apply. */
async function mark(m: ProducerStateManager, log: PartitionLog, marker: TxnMarker): Promise<{ errorCode: number; offset?: bigint; completed?: CompletedTxn | null }> {
  const b = buildEndTxnMarkerBatch({ commit: marker.committed, coordinatorEpoch: marker.coordinatorEpoch, producerId: marker.producerId, producerEpoch: marker.producerEpoch, timestamp: NOW });
  const c = m.tryAppendMarker(marker, b.length);
  if (c.kind === 'error') return { errorCode: c.errorCode };
  const r = await log.append(b, { leaderEpoch: 0 });
  m.complete(c.slot, { baseOffset: r.baseOffset, lastOffset: r.lastOffset, maxTimestamp: BigInt(NOW) });
  return { errorCode: ErrorCode.None, offset: r.baseOffset, completed: await c.slot.whenApplied() };
}

const commit = (producerId: bigint, producerEpoch = 0, coordinatorEpoch = 0): TxnMarker => ({ producerId, producerEpoch, coordinatorEpoch, committed: true });
const abort = (producerId: bigint, producerEpoch = 0, coordinatorEpoch = 0): TxnMarker => ({ producerId, producerEpoch, coordinatorEpoch, committed: false });

async function memory(): Promise<{ log: MemoryPartitionLog; m: ProducerStateManager }> {
  const log = new MemoryPartitionLog('t', 0, config(), () => NOW);
  return { log, m: await ProducerStateManager.load(log, options(null)) };
}

describe('ProducerStateManager: transactions', () => {
  it('the first transactional batch opens a transaction at its offset; a COMMIT marker completes it', async () => {
    const { log, m } = await memory();
    await produce(m, log, data(9n, 0, 0, 2, false)); // 0-1, idempotent only
    expect(m.firstUnstableOffset()).toBeNull();
    expect(await produce(m, log, data(1n, 0, 0, 3))).toEqual({ kind: 'appended', baseOffset: 2n }); // 2-4
    expect(await produce(m, log, data(1n, 0, 3, 1))).toEqual({ kind: 'appended', baseOffset: 5n });
    expect(m.firstUnstableOffset()).toBe(2n);
    expect(m.hasOngoingTransaction(1n, 0)).toBe(true);
    expect(m.hasOngoingTransaction(1n, 1)).toBe(false);
    expect(m.ongoingTransactions()).toEqual([{ producerId: 1n, producerEpoch: 0, coordinatorEpoch: -1, firstOffset: 2n, lastTimestamp: BigInt(NOW) }]);

    expect(await mark(m, log, commit(1n, 0, 3))).toEqual({ errorCode: 0, offset: 6n, completed: { producerId: 1n, firstOffset: 2n, lastOffset: 6n, isAborted: false, lastStableOffset: 7n } });
    expect(m.firstUnstableOffset()).toBeNull();
    expect(m.hasOngoingTransaction(1n, 0)).toBe(false);
    expect(m.lastEntry(1n)).toMatchObject({ coordinatorEpoch: 3, currentTxnFirstOffset: -1n });
    // The next transaction of the same producer continues its sequence.
    expect(await produce(m, log, data(1n, 0, 4))).toEqual({ kind: 'appended', baseOffset: 7n });
    expect(m.firstUnstableOffset()).toBe(7n);
  });

  it('an ABORT marker completes the transaction as aborted; the LSO after it is the next open transaction', async () => {
    const { log, m } = await memory();
    await produce(m, log, data(1n, 0, 0)); // 0
    await produce(m, log, data(2n, 0, 0)); // 1
    const r = await mark(m, log, abort(1n)); // 2
    expect(r.completed).toEqual({ producerId: 1n, firstOffset: 0n, lastOffset: 2n, isAborted: true, lastStableOffset: 1n });
    expect(m.lastStableOffsetAfter(r.completed!)).toBe(1n);
    expect(m.firstUnstableOffset()).toBe(1n);
    const r2 = await mark(m, log, abort(2n)); // 3
    expect(m.lastStableOffsetAfter(r2.completed!)).toBe(4n);
    expect(m.firstUnstableOffset()).toBeNull();
  });

  it("Kafka's checks: a plain batch inside a transaction is INVALID_TXN_STATE, an older epoch INVALID_PRODUCER_EPOCH", async () => {
    const { log, m } = await memory();
    await produce(m, log, data(1n, 2, 0));
    expect(await produce(m, log, data(1n, 2, 1, 1, false))).toEqual({ kind: 'error', errorCode: ErrorCode.InvalidTxnState });
    expect(await produce(m, log, data(1n, 1, 1))).toEqual({ kind: 'error', errorCode: ErrorCode.InvalidProducerEpoch });
    // Out of sequence comes before the transaction check, as in Kafka.
    expect(await produce(m, log, data(1n, 2, 5, 1, false))).toEqual({ kind: 'error', errorCode: ErrorCode.OutOfOrderSequenceNumber });
    expect(log.logEndOffset).toBe(1n);
  });

  it('markers: an older producer epoch is INVALID_PRODUCER_EPOCH, an older coordinator epoch TRANSACTION_COORDINATOR_FENCED', async () => {
    const { log, m } = await memory();
    await produce(m, log, data(1n, 3, 0));
    expect(await mark(m, log, commit(1n, 2))).toEqual({ errorCode: ErrorCode.InvalidProducerEpoch });
    expect(await mark(m, log, abort(1n, 3, 5))).toMatchObject({ errorCode: 0, offset: 1n });
    await produce(m, log, data(1n, 3, 1));
    expect(await mark(m, log, commit(1n, 3, 4))).toEqual({ errorCode: ErrorCode.TransactionCoordinatorFenced });
    expect(m.firstUnstableOffset()).toBe(2n);
    expect(log.logEndOffset).toBe(3n);
  });

  it('a marker with no transaction ongoing is written and completes nothing (a retry); a newer epoch is taken', async () => {
    const { log, m } = await memory();
    expect(await mark(m, log, commit(4n, 0))).toEqual({ errorCode: 0, offset: 0n, completed: null });
    await produce(m, log, data(5n, 0, 0));
    await mark(m, log, commit(5n, 0));
    // The coordinator bumped the epoch when it aborted a timed-out transaction.
    expect(await mark(m, log, abort(5n, 1))).toEqual({ errorCode: 0, offset: 3n, completed: null });
    expect(m.lastEntry(5n)).toMatchObject({ producerEpoch: 1 });
    expect(await produce(m, log, data(5n, 0, 1))).toEqual({ kind: 'error', errorCode: ErrorCode.InvalidProducerEpoch });
  });

  it('in flight: a marker registered behind a batch ends the transaction it opened', async () => {
    const { log, m } = await memory();
    const b = data(1n, 0, 0);
    const v = new RecordBatchView(b);
    const c = m.tryAppend({ producerId: 1n, producerEpoch: 0, baseSequence: 0, lastSequence: 0, isTransactional: true }, b.length);
    if (c.kind !== 'append') throw new Error('not appended');
    expect(m.hasOngoingTransaction(1n, 0)).toBe(true);
    const markerBytes = buildEndTxnMarkerBatch({ commit: false, coordinatorEpoch: 0, producerId: 1n, producerEpoch: 0, timestamp: NOW });
    const mc = m.tryAppendMarker(abort(1n), markerBytes.length);
    if (mc.kind !== 'append') throw new Error('marker not appended');
    expect(m.hasOngoingTransaction(1n, 0)).toBe(false);
    const appends = [log.append(b, { leaderEpoch: 0 }), log.append(markerBytes, { leaderEpoch: 0 })];
    const applied = mc.slot.whenApplied();
    const [r1, r2] = await Promise.all(appends);
    m.complete(c.slot, { baseOffset: r1.baseOffset, lastOffset: r1.lastOffset, maxTimestamp: v.maxTimestamp });
    m.complete(mc.slot, { baseOffset: r2.baseOffset, lastOffset: r2.lastOffset, maxTimestamp: BigInt(NOW) });
    expect(await applied).toEqual({ producerId: 1n, firstOffset: 0n, lastOffset: 1n, isAborted: true, lastStableOffset: 2n });
    expect(m.firstUnstableOffset()).toBeNull();
  });

  it('a rebuild from the log replays transactions: open ones stay open, ended ones are closed', async () => {
    const { log, m } = await memory();
    await produce(m, log, data(1n, 0, 0)); // 0
    await produce(m, log, data(2n, 0, 0)); // 1
    await mark(m, log, commit(1n)); // 2
    await produce(m, log, data(3n, 0, 0, 2)); // 3-4
    const rebuilt = await ProducerStateManager.load(log, options(null));
    expect(rebuilt.ongoingTransactions().map((t) => [t.producerId, t.firstOffset])).toEqual([
      [2n, 1n],
      [3n, 3n],
    ]);
    expect(rebuilt.firstUnstableOffset()).toBe(1n);
    expect(await produce(rebuilt, log, data(2n, 0, 1, 1, false))).toEqual({ kind: 'error', errorCode: ErrorCode.InvalidTxnState });
  });

  describe('on disk', () => {
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    });

    const openLog = (dir: string, cleanShutdown: boolean): Promise<PartitionLog> =>
      openDiskPartitionLog(dir, 't', 0, config(), { cleanShutdown, clock: () => NOW, batchCache: null });

    it('a snapshot carries an open transaction across a clean restart', async () => {
      const d = await tempDir();
      cleanup = d.remove;
      const dir = join(d.path, 't-0');
      let log = await openLog(dir, true);
      let m = await ProducerStateManager.load(log, options(dir));
      await produce(m, log, data(1n, 0, 0, 2, false)); // 0-1
      await produce(m, log, data(7n, 1, 0, 3)); // 2-4, open
      await m.close();
      await log.close();

      log = await openLog(dir, true);
      m = await ProducerStateManager.load(log, options(dir));
      expect(m.latestSnapshotOffset).toBe(5n);
      expect(m.ongoingTransactions()).toEqual([{ producerId: 7n, producerEpoch: 1, coordinatorEpoch: -1, firstOffset: 2n, lastTimestamp: BigInt(NOW) }]);
      expect(m.firstUnstableOffset()).toBe(2n);
      expect((await mark(m, log, commit(7n, 1))).completed).toEqual({ producerId: 7n, firstOffset: 2n, lastOffset: 5n, isAborted: false, lastStableOffset: 6n });
      await m.close();
      await log.close();
    });

    it('after a crash the batches past the last snapshot rebuild the open transactions and the first unstable offset', async () => {
      const d = await tempDir();
      cleanup = d.remove;
      const dir = join(d.path, 't-0');
      let log = await openLog(dir, true);
      let m = await ProducerStateManager.load(log, options(dir));
      await produce(m, log, data(1n, 0, 0)); // 0, open in the snapshot
      await m.takeSnapshot(); // at 1
      await mark(m, log, abort(1n)); // 1
      await produce(m, log, data(2n, 0, 0, 2)); // 2-3
      await produce(m, log, data(3n, 0, 0)); // 4
      await mark(m, log, commit(3n)); // 5
      // No close: the process dies here.
      await log.flush();
      m.abandon();
      log = await openLog(dir, false);
      m = await ProducerStateManager.load(log, options(dir));
      expect(m.ongoingTransactions().map((t) => [t.producerId, t.firstOffset])).toEqual([[2n, 2n]]);
      expect(m.firstUnstableOffset()).toBe(2n);
      await m.close();
      await log.close();
    });
  });
});
