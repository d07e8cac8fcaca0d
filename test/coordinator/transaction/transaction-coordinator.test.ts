/**
 * The transaction coordinator with a fake marker writer and a manual clock: what producers and
 * admin clients are answered, which markers are written, and what a restart brings back.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { NO_PRODUCER_ID, MAX_PRODUCER_EPOCH } from '../../../src/coordinator/transaction/txn-metadata.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { coordinatorPartitionFor } from '../../../src/util/java-string-hash.js';
import { COMPLETION_WAIT_MS, FakeMarkerWriter, T0, openTxnFixture, type TxnFixture } from './fixture.js';

let f: TxnFixture;
beforeEach(async () => {
  f = await openTxnFixture();
});
afterEach(async () => {
  f.markers.unhold();
  await f.coordinator.close();
});
const c = () => f.coordinator;
const tp = (topic: string, partition: number) => ({ topic, partition });
const all = { states: [], producerIds: [], durationMs: -1, transactionalIdPattern: null };

async function init(id = 'tx', timeoutMs = 60_000, expected?: { producerId: bigint; producerEpoch: number }) {
  return c().initProducerId(id, timeoutMs, expected);
}

/** An initialized producer with partitions t-0 and t-1 in an ongoing transaction. */
async function ongoing(id = 'tx', timeoutMs = 60_000) {
  const r = await init(id, timeoutMs);
  expect(r.errorCode).toBe(ErrorCode.None);
  const producer = { transactionalId: id, producerId: r.producerId, producerEpoch: r.producerEpoch };
  expect(await c().addPartitions(producer, [tp('t', 0), tp('t', 1)])).toBe(ErrorCode.None);
  return producer;
}

describe('InitProducerId', () => {
  it('a new id gets a producer id at epoch 0; each later init bumps the epoch', async () => {
    expect(await init()).toEqual({ errorCode: ErrorCode.None, producerId: 1000n, producerEpoch: 0 });
    expect(await init()).toEqual({ errorCode: ErrorCode.None, producerId: 1000n, producerEpoch: 1 });
    expect(c().describe('tx')).toMatchObject({ errorCode: ErrorCode.None, state: 'Empty', producerId: 1000n, producerEpoch: 1, txnTimeoutMs: 60_000, partitions: [] });
  });

  it('"" is INVALID_REQUEST; a timeout of 0 or above transaction.max.timeout.ms INVALID_TRANSACTION_TIMEOUT', async () => {
    expect((await init('')).errorCode).toBe(ErrorCode.InvalidRequest);
    expect((await init('tx', 0)).errorCode).toBe(ErrorCode.InvalidTransactionTimeout);
    expect((await init('tx', 900_001)).errorCode).toBe(ErrorCode.InvalidTransactionTimeout);
    expect(c().describe('tx').errorCode).toBe(ErrorCode.TransactionalIdNotFound);
  });

  it('KIP-360: the epoch held bumps; a retry of that bump gets the same answer; an older epoch or another id is fenced', async () => {
    const first = await init();
    const held = { producerId: first.producerId, producerEpoch: first.producerEpoch };
    const bumped = await init('tx', 60_000, held);
    expect(bumped).toEqual({ errorCode: ErrorCode.None, producerId: first.producerId, producerEpoch: 1 });
    expect(await init('tx', 60_000, held)).toEqual(bumped);
    expect((await init('tx', 60_000, { producerId: first.producerId, producerEpoch: 7 })).errorCode).toBe(ErrorCode.ProducerFenced);
    expect((await init('tx', 60_000, { producerId: 5n, producerEpoch: 1 })).errorCode).toBe(ErrorCode.ProducerFenced);
    // A new producer (no id held) bumps and forgets the last epoch: the old retry is fenced now.
    expect((await init()).producerEpoch).toBe(2);
    expect((await init('tx', 60_000, held)).errorCode).toBe(ErrorCode.ProducerFenced);
  });

  it('an exhausted epoch gets a new producer id at epoch 0', async () => {
    await init();
    const txn = c().transactionalIds.get('tx');
    if (!txn) throw new Error('no metadata');
    txn.producerEpoch = MAX_PRODUCER_EPOCH - 1;
    expect(await init()).toEqual({ errorCode: ErrorCode.None, producerId: 1001n, producerEpoch: 0 });
    expect(c().transactionalIds.get('tx')?.lastProducerId).toBe(1000n);
  });

  it('fences an ongoing transaction: aborted with a bumped epoch, CONCURRENT_TRANSACTIONS until done, then the epoch bumped again', async () => {
    const zombie = await ongoing();
    f.markers.hold();
    expect((await init()).errorCode).toBe(ErrorCode.ConcurrentTransactions);
    expect(c().describe('tx')).toMatchObject({ state: 'PrepareAbort', producerEpoch: 1 });
    // The abort's markers cannot land within the coordinator's wait: answered as Kafka does.
    const retry = init();
    f.clock.advance(COMPLETION_WAIT_MS);
    expect((await retry).errorCode).toBe(ErrorCode.ConcurrentTransactions);
    f.markers.unhold();
    await c().idle();
    expect(f.markers.landed.sort()).toEqual(['t-0:ABORT@1', 't-1:ABORT@1']);
    expect(await init()).toEqual({ errorCode: ErrorCode.None, producerId: zombie.producerId, producerEpoch: 2 });
    // The zombie can do nothing more.
    expect(await c().addPartitions(zombie, [tp('t', 2)])).toBe(ErrorCode.ProducerFenced);
    expect((await c().endTxn(zombie, true, 0)).errorCode).toBe(ErrorCode.ProducerFenced);
    expect(c().verifyPartitionInTransaction({ ...zombie, ...tp('t', 0) })).toBe(ErrorCode.InvalidProducerEpoch);
  });
});

describe('AddPartitionsToTxn, AddOffsetsToTxn and verification', () => {
  it('opens a transaction at the time of the first add; unknown producers are INVALID_PRODUCER_ID_MAPPING', async () => {
    f.clock.advance(500);
    const p = await ongoing();
    expect(c().describe('tx')).toMatchObject({ state: 'Ongoing', txnStartTimestamp: T0 + 500, partitions: [tp('t', 0), tp('t', 1)] });
    expect(await c().addPartitions({ ...p, producerId: 1n }, [tp('t', 0)])).toBe(ErrorCode.InvalidProducerIdMapping);
    expect(await c().addPartitions({ ...p, transactionalId: 'other' }, [tp('t', 0)])).toBe(ErrorCode.InvalidProducerIdMapping);
    expect(await c().addPartitions({ ...p, producerEpoch: 5 }, [tp('t', 0)])).toBe(ErrorCode.ProducerFenced);
    expect(await c().addPartitions({ ...p, transactionalId: '' }, [tp('t', 0)])).toBe(ErrorCode.InvalidRequest);
  });

  it("AddOffsetsToTxn adds the group's __consumer_offsets partition", async () => {
    const p = await ongoing();
    expect(await c().addOffsets(p, 'my-group')).toBe(ErrorCode.None);
    expect(c().describe('tx').partitions).toContainEqual(tp('__consumer_offsets', coordinatorPartitionFor('my-group', 50)));
  });

  it('verifies partitions as the coordinator (TRANSACTION_ABORTABLE) and as a produce sees it (INVALID_TXN_STATE)', async () => {
    const p = await ongoing();
    expect(c().verifyPartitions(p, [tp('t', 0), tp('t', 5)])).toEqual([
      { ...tp('t', 0), errorCode: ErrorCode.None },
      { ...tp('t', 5), errorCode: ErrorCode.TransactionAbortable },
    ]);
    expect(c().verifyPartitionInTransaction({ ...p, ...tp('t', 0) })).toBe(ErrorCode.None);
    expect(c().verifyPartitionInTransaction({ ...p, ...tp('t', 5) })).toBe(ErrorCode.InvalidTxnState);
    expect(c().verifyPartitionInTransaction({ ...p, producerEpoch: 9, ...tp('t', 0) })).toBe(ErrorCode.InvalidProducerEpoch);
    expect(c().verifyPartitionInTransaction({ ...p, producerId: 3n, ...tp('t', 0) })).toBe(ErrorCode.InvalidProducerIdMapping);
    f.markers.hold();
    await c().endTxn(p, true, 0);
    expect(c().verifyPartitionInTransaction({ ...p, ...tp('t', 0) })).toBe(ErrorCode.NotEnoughReplicas);
    f.markers.unhold();
    await c().idle();
    expect(c().verifyPartitionInTransaction({ ...p, ...tp('t', 0) })).toBe(ErrorCode.InvalidTxnState);
  });
});

describe('a request for an id whose previous transaction is completing', () => {
  it('AddPartitionsToTxn waits for the markers and opens the next transaction, as its retry would', async () => {
    const p = await ongoing();
    f.markers.hold();
    expect((await c().endTxn(p, true, 0)).errorCode).toBe(ErrorCode.None);
    const add = c().addPartitions(p, [tp('t', 2)]);
    f.markers.unhold();
    expect(await add).toBe(ErrorCode.None);
    expect(f.markers.landed.sort()).toEqual(['t-0:COMMIT@0', 't-1:COMMIT@0']);
    expect(c().describe('tx')).toMatchObject({ state: 'Ongoing', producerEpoch: 0, partitions: [tp('t', 2)] });
  });

  it("AddOffsetsToTxn waits the same way; the group's partition joins the next transaction", async () => {
    const p = await ongoing();
    f.markers.hold();
    await c().endTxn(p, false, 0);
    const add = c().addOffsets(p, 'g');
    f.markers.unhold();
    expect(await add).toBe(ErrorCode.None);
    expect(c().describe('tx')).toMatchObject({ state: 'Ongoing', partitions: [c().offsetsPartitionFor('g')] });
  });

  it('InitProducerId waits, then bumps the epoch of the completed id', async () => {
    const p = await ongoing();
    f.markers.hold();
    await c().endTxn(p, true, 0);
    const again = init();
    f.markers.unhold();
    expect(await again).toEqual({ errorCode: ErrorCode.None, producerId: p.producerId, producerEpoch: 1 });
    expect(c().describe('tx')).toMatchObject({ state: 'Empty', producerEpoch: 1 });
  });

  it('markers that fail and are retried after the wait: CONCURRENT_TRANSACTIONS, then success once they land', async () => {
    const p = await ongoing();
    // Three failures, retried every 100 ms: the markers land 300 ms after EndTxn.
    f.markers.answer('t', 0, ErrorCode.NotLeaderOrFollower, ErrorCode.NotLeaderOrFollower, ErrorCode.NotLeaderOrFollower);
    await c().endTxn(p, true, 0);
    await f.clock.advanceAsync(0);
    const add = c().addPartitions(p, [tp('t', 2)]);
    await f.clock.advanceAsync(COMPLETION_WAIT_MS);
    expect(await add).toBe(ErrorCode.ConcurrentTransactions);
    expect(c().describe('tx').state).toBe('PrepareCommit');
    await f.clock.advanceAsync(100);
    await c().idle();
    expect(await c().addPartitions(p, [tp('t', 2)])).toBe(ErrorCode.None);
  });
});

describe('EndTxn', () => {
  it('commit: PrepareCommit answered at once, markers written, then CompleteCommit; retries answered as Kafka', async () => {
    const p = await ongoing();
    f.markers.hold();
    expect(await c().endTxn(p, true, 0)).toEqual({ errorCode: ErrorCode.None, producerId: NO_PRODUCER_ID, producerEpoch: -1 });
    expect(c().describe('tx').state).toBe('PrepareCommit');
    expect((await c().endTxn(p, true, 0)).errorCode).toBe(ErrorCode.ConcurrentTransactions);
    expect((await c().endTxn(p, false, 0)).errorCode).toBe(ErrorCode.ConcurrentTransactions);
    // The next transaction's add waits for the markers, then, as they are held past the wait,
    // gets what Kafka answers while they are written.
    const add = c().addPartitions(p, [tp('t', 3)]);
    f.clock.advance(COMPLETION_WAIT_MS);
    expect(await add).toBe(ErrorCode.ConcurrentTransactions);
    f.markers.unhold();
    await c().idle();
    expect(f.markers.written).toHaveLength(1);
    expect(f.markers.written[0]).toMatchObject({ producerId: p.producerId, producerEpoch: 0, committed: true, coordinatorEpoch: 0, transactionVersion: 0 });
    expect(c().describe('tx')).toMatchObject({ state: 'CompleteCommit', partitions: [] });
    expect((await c().endTxn(p, true, 0)).errorCode).toBe(ErrorCode.None);
    expect((await c().endTxn(p, false, 0)).errorCode).toBe(ErrorCode.InvalidTxnState);
    // The next transaction starts from CompleteCommit.
    expect(await c().addPartitions(p, [tp('t', 4)])).toBe(ErrorCode.None);
    expect(c().describe('tx')).toMatchObject({ state: 'Ongoing', partitions: [tp('t', 4)] });
  });

  it('abort: ABORT markers, CompleteAbort; a commit after it is INVALID_TXN_STATE; ending with nothing open too', async () => {
    const p = await ongoing();
    expect((await c().endTxn(p, false, 0)).errorCode).toBe(ErrorCode.None);
    await c().idle();
    expect(f.markers.landed.sort()).toEqual(['t-0:ABORT@0', 't-1:ABORT@0']);
    expect(c().describe('tx').state).toBe('CompleteAbort');
    expect((await c().endTxn(p, false, 0)).errorCode).toBe(ErrorCode.None);
    expect((await c().endTxn(p, true, 0)).errorCode).toBe(ErrorCode.InvalidTxnState);
    const q = await init('fresh');
    expect((await c().endTxn({ transactionalId: 'fresh', producerId: q.producerId, producerEpoch: 0 }, true, 0)).errorCode).toBe(ErrorCode.InvalidTxnState);
    expect((await c().endTxn({ transactionalId: 'nobody', producerId: 1n, producerEpoch: 0 }, true, 0)).errorCode).toBe(ErrorCode.InvalidProducerIdMapping);
  });

  it('retries markers that fail with a retriable error, gives up on a deleted partition, completes only after all', async () => {
    const p = await ongoing();
    f.markers.answer('t', 0, ErrorCode.NotLeaderOrFollower, ErrorCode.NotEnoughReplicas);
    f.markers.answer('t', 1, ErrorCode.UnknownTopicOrPartition);
    await c().endTxn(p, true, 0);
    await f.clock.advanceAsync(0);
    expect(c().describe('tx')).toMatchObject({ state: 'PrepareCommit', partitions: [tp('t', 0)] });
    await f.clock.advanceAsync(100);
    expect(c().describe('tx').state).toBe('PrepareCommit');
    await f.clock.advanceAsync(100);
    await c().idle();
    expect(c().describe('tx').state).toBe('CompleteCommit');
    expect(f.markers.written.map((m) => m.partitions.length)).toEqual([2, 1, 1]);
    expect(f.markers.landed).toEqual(['t-0:COMMIT@0']);
  });

  it('transaction version 2 (EndTxn v5): the epoch is bumped with every transaction and returned; a retry gets the same answer', async () => {
    const p = await ongoing();
    const r = await c().endTxn(p, true, 2);
    expect(r).toEqual({ errorCode: ErrorCode.None, producerId: p.producerId, producerEpoch: 1 });
    await c().idle();
    expect(f.markers.written[0]).toMatchObject({ producerEpoch: 1, transactionVersion: 2 });
    expect(await c().endTxn(p, true, 2)).toEqual(r);
    expect((await c().endTxn(p, false, 2)).errorCode).toBe(ErrorCode.InvalidTxnState);
    // An abort with nothing added is allowed, and bumps too.
    const next = { ...p, producerEpoch: 1 };
    expect(await c().endTxn(next, false, 2)).toEqual({ errorCode: ErrorCode.None, producerId: p.producerId, producerEpoch: 2 });
    await c().idle();
    expect(c().describe('tx')).toMatchObject({ state: 'CompleteAbort', producerEpoch: 2 });
  });

  it('transaction version 2: an exhausted epoch rotates the producer id at the end of the transaction', async () => {
    const p = await ongoing();
    const txn = c().transactionalIds.get('tx');
    if (!txn) throw new Error('no metadata');
    txn.producerEpoch = MAX_PRODUCER_EPOCH - 1;
    const r = await c().endTxn({ ...p, producerEpoch: MAX_PRODUCER_EPOCH - 1 }, true, 2);
    expect(r).toEqual({ errorCode: ErrorCode.None, producerId: 1001n, producerEpoch: 0 });
    await c().idle();
    expect(f.markers.written[0]).toMatchObject({ producerId: p.producerId, producerEpoch: MAX_PRODUCER_EPOCH });
    expect(c().describe('tx')).toMatchObject({ state: 'CompleteCommit', producerId: 1001n, producerEpoch: 0 });
    // The retry from the old id is recognised.
    expect(await c().endTxn({ ...p, producerEpoch: MAX_PRODUCER_EPOCH - 1 }, true, 2)).toEqual(r);
  });
});

describe('timeouts and expiry', () => {
  it('an ongoing transaction older than its timeout is aborted with a bumped epoch, fencing its producer', async () => {
    const p = await ongoing('tx', 20_000);
    await f.clock.advanceAsync(10_000);
    expect(c().describe('tx').state).toBe('Ongoing');
    await f.clock.advanceAsync(20_000);
    await c().idle();
    expect(c().describe('tx')).toMatchObject({ state: 'CompleteAbort', producerEpoch: 1 });
    expect(f.markers.landed.sort()).toEqual(['t-0:ABORT@1', 't-1:ABORT@1']);
    expect((await c().endTxn(p, true, 0)).errorCode).toBe(ErrorCode.ProducerFenced);
    expect(await c().addPartitions(p, [tp('t', 0)])).toBe(ErrorCode.ProducerFenced);
  });

  it('ids idle for transactional.id.expiration.ms are removed, durably; open transactions are kept', async () => {
    f.config.transactionalIdExpirationMs = 3_600_000;
    // Last updated just after the first check's cut-off (now - expiration), so it survives that check.
    f.clock.advance(1);
    await init('idle');
    await ongoing('busy', 900_000);
    f.config.transactionAbortTimedOutTransactionCleanupIntervalMs = 100_000_000;
    await f.clock.advanceAsync(3_600_000);
    expect(c().describe('idle').errorCode).toBe(ErrorCode.None);
    await f.clock.advanceAsync(3_600_000);
    expect(c().describe('idle').errorCode).toBe(ErrorCode.TransactionalIdNotFound);
    expect(c().describe('busy').state).toBe('Ongoing');
    expect(c().list(all).transactions.map((t) => t.transactionalId)).toEqual(['busy']);
    await f.restart();
    expect(c().describe('idle').errorCode).toBe(ErrorCode.TransactionalIdNotFound);
    // A new producer of the expired id starts over with a new producer id.
    expect(await init('idle')).toMatchObject({ errorCode: ErrorCode.None, producerEpoch: 0 });
  });
});

describe('ListTransactions and DescribeTransactions', () => {
  it('filters by state, producer id and duration; reports unknown state names', async () => {
    const a = await ongoing('a');
    f.clock.advance(5000);
    await init('b');
    expect(c().list(all).transactions.map((t) => t.transactionalId).sort()).toEqual(['a', 'b']);
    expect(c().list({ ...all, states: ['Ongoing', 'Bogus'] })).toEqual({ errorCode: ErrorCode.None, unknownStateFilters: ['Bogus'], transactions: [{ transactionalId: 'a', producerId: a.producerId, state: 'Ongoing' }] });
    expect(c().list({ ...all, states: ['Bogus'] }).transactions).toEqual([]);
    expect(c().list({ ...all, producerIds: [a.producerId] }).transactions.map((t) => t.transactionalId)).toEqual(['a']);
    expect(c().list({ ...all, states: ['Ongoing'], durationMs: 4000 }).transactions.map((t) => t.transactionalId)).toEqual(['a']);
    expect(c().list({ ...all, states: ['Ongoing'], durationMs: 5000 }).transactions).toEqual([]);
    expect(c().list({ ...all, transactionalIdPattern: /^(?:b)$/ }).transactions.map((t) => t.transactionalId)).toEqual(['b']);
    expect(c().describe('')).toMatchObject({ errorCode: ErrorCode.InvalidRequest });
  });
});

describe('restart', () => {
  it('restores every transactional id from its records and from a snapshot', async () => {
    const p = await ongoing('a');
    await init('b');
    await c().snapshot();
    await init('b');
    await c().addOffsets(p, 'g');
    const before = ['a', 'b'].map((id) => c().describe(id));
    await f.restart();
    expect(['a', 'b'].map((id) => c().describe(id))).toEqual(before);
    expect(before[1]).toMatchObject({ state: 'Empty', producerEpoch: 1 });
    expect(await c().endTxn(p, true, 0)).toMatchObject({ errorCode: ErrorCode.None });
  });

  it('snapshots keep the log from growing with the number of transactions', async () => {
    await f.coordinator.close();
    f = await openTxnFixture({}, 4096);
    const p = await ongoing('busy');
    for (let i = 0; i < 300; i++) {
      expect((await init(`id-${i % 10}`)).errorCode).toBe(ErrorCode.None);
      expect(await c().addPartitions(p, [tp('t', i)])).toBe(ErrorCode.None);
    }
    const log = f.store.logs.get('transactions');
    expect(log?.snapshot).toBeDefined();
    // 600 writes of some 60 bytes or more each, but only those since the last snapshot are kept.
    expect(log?.records.length).toBeLessThan(300);
    await f.restart();
    expect(c().describe('busy').partitions).toHaveLength(300);
    expect(c().describe('id-9')).toMatchObject({ state: 'Empty', producerEpoch: 29 });
  });

  it('a transaction left in PrepareCommit has its markers written again, then completes', async () => {
    const p = await ongoing();
    f.markers.answer('t', 0, ...Array<number>(1000).fill(ErrorCode.NotEnoughReplicas));
    await c().endTxn(p, true, 0);
    await f.clock.advanceAsync(100);
    expect(c().describe('tx').state).toBe('PrepareCommit');
    const next = new FakeMarkerWriter();
    await f.restart(next);
    await c().idle();
    expect(next.landed.sort()).toEqual(['t-0:COMMIT@0', 't-1:COMMIT@0']);
    expect(c().describe('tx').state).toBe('CompleteCommit');
    expect((await c().endTxn(p, true, 0)).errorCode).toBe(ErrorCode.None);
  });
});
