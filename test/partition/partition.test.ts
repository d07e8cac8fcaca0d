/**
 * The Partition and its manager: high watermark and fetch wake-ups from appends, transaction
 * markers (producer state, LSO, aborted-transaction index), what read_committed consumers get from
 * Fetch and ListOffsets, and open transactions across a restart on disk.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Broker } from '../../src/broker.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { ZERO_UUID } from '../../src/protocol/reader.js';
import { FetchService, type FetchPartitionRequest, type ReadParams } from '../../src/partition/fetch-service.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP, READ_COMMITTED, READ_UNCOMMITTED } from '../../src/partition/log-offsets.js';
import { AppendRejectedError } from '../../src/partition/partition.js';
import type { TxnMarkerRequest } from '../../src/partition/partition-manager.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../storage/helpers.js';
import { memoryBrokerPerFile } from '../server/fetch/memory-broker-per-file.js';
import { append, createTopic, isSettled, valuesOf } from '../server/fetch/fixture.js';

const shared = memoryBrokerPerFile('part');
const { newTopic } = shared;

const T0 = 1_700_000_000_000;
/** The value of a marker's control record (version 0, coordinator epoch 0), as valuesOf reads it. */
const MARKER_VALUE = '\u0000'.repeat(6);

/** A transactional batch of `values` from producer `pid` (epoch 0), sequences from `seq`. */
const txn = (b: Broker, topic: string, pid: bigint, seq: number, values: string[], timestamp = T0) =>
  append(b, topic, 0, values.map((value) => ({ value, timestamp })), { producerId: pid, producerEpoch: 0, baseSequence: seq, transactional: true, now: timestamp });
const plain = (b: Broker, topic: string, values: string[], timestamp = T0) => append(b, topic, 0, values.map((value) => ({ value, timestamp })), { now: timestamp });
const marker = (committed: boolean, producerId: bigint, producerEpoch = 0, coordinatorEpoch = 0): TxnMarkerRequest => ({ producerId, producerEpoch, committed, coordinatorEpoch });

function fetchService(clock = new ManualClock(0)): FetchService {
  const { metadata, partitions } = shared.broker.services;
  return new FetchService({ metadata, partitions, clock, logger: silentLogger });
}

function params(topic: string, fetchOffset: bigint, extra: Partial<ReadParams> = {}): ReadParams {
  const p: FetchPartitionRequest = { topic, topicId: ZERO_UUID, partition: 0, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n, lastFetchedEpoch: -1 };
  return { maxWaitMs: 0, minBytes: 0, maxBytes: 0x7fffffff, isolationLevel: 0, usesTopicIds: false, partitions: [p], recordMagic: 2, allowZstd: true, ...extra };
}

async function fetchOne(topic: string, fetchOffset: bigint, isolationLevel: number) {
  const r = await fetchService().read(params(topic, fetchOffset, { isolationLevel }));
  return r.partitions[0];
}

describe('Partition', () => {
  it('moves its high watermark with every append and tells its listeners how many bytes came', async () => {
    const t = await newTopic();
    const p = shared.broker.services.partitions.get(t, 0)!;
    expect(shared.broker.services.partitions.get(t, 0)).toBe(p);
    const heard: (number | null)[] = [];
    const stop = p.onOffsetsMoved((bytes) => heard.push(bytes));
    expect(p.highWatermark).toBe(0n);
    await plain(shared.broker, t, ['a', 'b']);
    expect(p.highWatermark).toBe(2n);
    expect(p.lastStableOffset).toBe(2n);
    expect(heard).toHaveLength(1);
    expect(heard[0]).toBeGreaterThan(0);
    stop();
    await plain(shared.broker, t, ['c']);
    expect(heard).toHaveLength(1);
  });

  it('refuses through append what the producer state refuses', async () => {
    const t = await newTopic();
    await txn(shared.broker, t, 5n, 0, ['x']);
    await expect(append(shared.broker, t, 0, [{ value: 'y' }], { producerId: 5n, producerEpoch: 0, baseSequence: 1 })).rejects.toEqual(
      expect.objectContaining({ name: AppendRejectedError.name, errorCode: ErrorCode.InvalidTxnState }),
    );
  });

  it('is forgotten with its topic: a partition of the same name created again starts empty', async () => {
    const t = await newTopic();
    const before = shared.broker.services.partitions.get(t, 0)!;
    await txn(shared.broker, t, 6n, 0, ['x']);
    expect((await shared.broker.services.metadata.deleteTopic(t)).errorCode).toBe(0);
    expect(shared.broker.services.partitions.get(t, 0)).toBeUndefined();
    await createTopic(shared.broker, t, 1);
    const after = shared.broker.services.partitions.get(t, 0)!;
    expect(after).not.toBe(before);
    expect(await after.ongoingTransactions()).toEqual([]);
  });
});

describe('writeTxnMarker', () => {
  it('COMMIT: the control batch is appended and the last stable offset moves to the high watermark', async () => {
    const t = await newTopic();
    const partitions = shared.broker.services.partitions;
    const p = partitions.get(t, 0)!;
    await plain(shared.broker, t, ['a']); // 0
    await txn(shared.broker, t, 1n, 0, ['b', 'c']); // 1-2
    await plain(shared.broker, t, ['d']); // 3
    expect(p.highWatermark).toBe(4n);
    expect(p.lastStableOffset).toBe(1n);
    expect((await p.ongoingTransactions()).map((x) => [x.producerId, x.firstOffset])).toEqual([[1n, 1n]]);

    expect(await partitions.writeTxnMarker(t, 0, marker(true, 1n))).toBe(ErrorCode.None);
    expect(p.logEndOffset).toBe(5n);
    expect(p.highWatermark).toBe(5n);
    expect(p.lastStableOffset).toBe(5n);
    expect(await p.ongoingTransactions()).toEqual([]);
    expect(await p.abortedTransactions(0n, 5n)).toEqual([]);
    // What is stored at offset 4 is Kafka's COMMIT marker.
    const read = await p.log.read(4n, { maxBytes: 1 << 20 });
    const stored = [...read.records][0];
    expect(stored.readInt16BE(21) & 0x30).toBe(0x30); // transactional + control
  });

  it('ABORT: the aborted transaction goes into the log index with the LSO after it', async () => {
    const t = await newTopic();
    const partitions = shared.broker.services.partitions;
    const p = partitions.get(t, 0)!;
    await txn(shared.broker, t, 1n, 0, ['a']); // 0
    await txn(shared.broker, t, 2n, 0, ['b']); // 1
    await txn(shared.broker, t, 1n, 1, ['c']); // 2
    expect(await partitions.writeTxnMarker(t, 0, marker(false, 1n, 0, 7))).toBe(ErrorCode.None); // 3
    expect(await p.abortedTransactions(0n, 4n)).toEqual([{ producerId: 1n, firstOffset: 0n, lastOffset: 3n, lastStableOffset: 1n }]);
    expect(p.lastStableOffset).toBe(1n);
    expect(await partitions.writeTxnMarker(t, 0, marker(false, 2n))).toBe(ErrorCode.None); // 4
    expect(await p.abortedTransactions(0n, 5n)).toEqual([
      { producerId: 1n, firstOffset: 0n, lastOffset: 3n, lastStableOffset: 1n },
      { producerId: 2n, firstOffset: 1n, lastOffset: 4n, lastStableOffset: 5n },
    ]);
    expect(p.lastStableOffset).toBe(5n);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION, INVALID_PRODUCER_EPOCH and TRANSACTION_COORDINATOR_FENCED as Kafka does, writing nothing', async () => {
    const t = await newTopic();
    const partitions = shared.broker.services.partitions;
    expect(await partitions.writeTxnMarker('no-such-topic', 0, marker(true, 1n))).toBe(ErrorCode.UnknownTopicOrPartition);
    expect(await partitions.writeTxnMarker(t, 3, marker(true, 1n))).toBe(ErrorCode.UnknownTopicOrPartition);
    await append(shared.broker, t, 0, [{ value: 'a' }], { producerId: 1n, producerEpoch: 2, baseSequence: 0, transactional: true });
    expect(await partitions.writeTxnMarker(t, 0, marker(true, 1n, 1))).toBe(ErrorCode.InvalidProducerEpoch);
    expect(await partitions.writeTxnMarker(t, 0, marker(true, 1n, 2, 4))).toBe(ErrorCode.None);
    expect(await partitions.writeTxnMarker(t, 0, marker(true, 1n, 2, 3))).toBe(ErrorCode.TransactionCoordinatorFenced);
    expect(partitions.get(t, 0)!.logEndOffset).toBe(2n);
  });

  it('writes a marker for a producer with no ongoing transaction (a retry) without touching the index', async () => {
    const t = await newTopic();
    const p = shared.broker.services.partitions.get(t, 0)!;
    expect(await shared.broker.services.partitions.writeTxnMarker(t, 0, marker(false, 9n))).toBe(ErrorCode.None);
    expect(p.logEndOffset).toBe(1n);
    expect(p.lastStableOffset).toBe(1n);
    expect(await p.abortedTransactions(0n, 1n)).toEqual([]);
  });

  it('wakes a read_committed fetch waiting at the LSO once the marker commits the records', async () => {
    const t = await newTopic();
    await txn(shared.broker, t, 1n, 0, ['a', 'b']);
    const clock = new ManualClock(0);
    const pending = fetchService(clock).read(params(t, 0n, { isolationLevel: READ_COMMITTED, maxWaitMs: 10_000, minBytes: 1 }));
    expect(await isSettled(pending)).toBe(false);
    expect(await shared.broker.services.partitions.writeTxnMarker(t, 0, marker(true, 1n))).toBe(ErrorCode.None);
    expect(await isSettled(pending)).toBe(true);
    const r = (await pending).partitions[0];
    expect(valuesOf(r.records)).toEqual(['a', 'b', MARKER_VALUE]);
    expect(r.lastStableOffset).toBe(3n);
  });
});

describe('read_committed fetch', () => {
  /** 0 plain, 1-2 aborted (pid 1), 3 its marker, 4-5 committed (pid 2), 6 its marker, 7 open (pid 3). */
  async function transactions(): Promise<string> {
    const t = await newTopic();
    const partitions = shared.broker.services.partitions;
    await plain(shared.broker, t, ['p0']);
    await txn(shared.broker, t, 1n, 0, ['aborted1', 'aborted2']);
    expect(await partitions.writeTxnMarker(t, 0, marker(false, 1n))).toBe(0);
    await txn(shared.broker, t, 2n, 0, ['committed1', 'committed2']);
    expect(await partitions.writeTxnMarker(t, 0, marker(true, 2n))).toBe(0);
    await txn(shared.broker, t, 3n, 0, ['open']);
    return t;
  }

  it('stops at the LSO and lists the aborted transactions of the range returned', async () => {
    const t = await transactions();
    const r = await fetchOne(t, 0n, READ_COMMITTED);
    expect(r).toMatchObject({ errorCode: 0, highWatermark: 8n, lastStableOffset: 7n, logStartOffset: 0n });
    expect(r.abortedTransactions).toEqual([{ producerId: 1n, firstOffset: 1n }]);
    // The consumer drops the aborted records (and control records) itself: the bytes stop before the open transaction.
    expect(valuesOf(r.records)).toEqual(['p0', 'aborted1', 'aborted2', MARKER_VALUE, 'committed1', 'committed2', MARKER_VALUE]);

    // From the committed transaction on, the aborted one is out of range.
    const later = await fetchOne(t, 4n, READ_COMMITTED);
    expect(later.abortedTransactions).toEqual([]);
    expect(valuesOf(later.records)).toEqual(['committed1', 'committed2', MARKER_VALUE]);

    // At the LSO nothing is returned until the open transaction ends.
    const atLso = await fetchOne(t, 7n, READ_COMMITTED);
    expect(atLso).toMatchObject({ errorCode: 0, highWatermark: 8n, lastStableOffset: 7n });
    expect(atLso.records.length).toBe(0);
    expect(atLso.abortedTransactions).toEqual([]);
  });

  it('read_uncommitted reads to the high watermark and lists no aborted transactions', async () => {
    const t = await transactions();
    const r = await fetchOne(t, 0n, READ_UNCOMMITTED);
    expect(r).toMatchObject({ errorCode: 0, highWatermark: 8n, lastStableOffset: 7n });
    expect(r.abortedTransactions).toBeNull();
    expect(valuesOf(r.records).at(-1)).toBe('open');
  });

  it('over the committed read of an aborted transaction made of several batches, lists it once', async () => {
    const t = await newTopic();
    await txn(shared.broker, t, 1n, 0, ['a']);
    await txn(shared.broker, t, 1n, 1, ['b']);
    await txn(shared.broker, t, 1n, 2, ['c']);
    expect(await shared.broker.services.partitions.writeTxnMarker(t, 0, marker(false, 1n))).toBe(0);
    const r = await fetchOne(t, 1n, READ_COMMITTED);
    expect(r.abortedTransactions).toEqual([{ producerId: 1n, firstOffset: 0n }]);
    expect(r.lastStableOffset).toBe(4n);
  });
});

describe('ListOffsets read_committed', () => {
  it('LATEST is the LSO; timestamp lookups never answer at or past it', async () => {
    const t = await newTopic();
    const lo = shared.broker.services.logOffsets;
    await plain(shared.broker, t, ['a'], T0); // 0
    await txn(shared.broker, t, 1n, 0, ['b'], T0 + 1000); // 1, open
    await plain(shared.broker, t, ['c'], T0 + 2000); // 2
    expect(await lo.listOffset(t, 0, LATEST_TIMESTAMP, -1, READ_COMMITTED)).toEqual({ errorCode: 0, offset: 1n, timestamp: -1n, leaderEpoch: 0 });
    expect(await lo.listOffset(t, 0, LATEST_TIMESTAMP, -1, READ_UNCOMMITTED)).toMatchObject({ offset: 3n });
    expect(await lo.listOffset(t, 0, EARLIEST_TIMESTAMP, -1, READ_COMMITTED)).toMatchObject({ offset: 0n });
    expect(await lo.listOffset(t, 0, BigInt(T0), -1, READ_COMMITTED)).toMatchObject({ offset: 0n, timestamp: BigInt(T0) });
    expect(await lo.listOffset(t, 0, BigInt(T0 + 500), -1, READ_COMMITTED)).toEqual({ errorCode: 0, offset: -1n, timestamp: -1n, leaderEpoch: -1 });
    expect(await lo.listOffset(t, 0, BigInt(T0 + 500), -1, READ_UNCOMMITTED)).toMatchObject({ offset: 1n });
    expect(await lo.listOffset(t, 0, MAX_TIMESTAMP, -1, READ_COMMITTED)).toMatchObject({ offset: -1n });
    expect(await lo.listOffset(t, 0, MAX_TIMESTAMP, -1, READ_UNCOMMITTED)).toMatchObject({ offset: 2n });

    expect(await shared.broker.services.partitions.writeTxnMarker(t, 0, marker(true, 1n))).toBe(0);
    expect(await lo.listOffset(t, 0, LATEST_TIMESTAMP, -1, READ_COMMITTED)).toMatchObject({ offset: 4n });
    expect(await lo.listOffset(t, 0, BigInt(T0 + 500), -1, READ_COMMITTED)).toMatchObject({ offset: 1n });
  });
});

describe('open transactions across a restart on disk', () => {
  let disk: Broker | undefined;
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  afterEach(async () => {
    await disk?.stop();
    disk = undefined;
    await dir?.remove();
    dir = undefined;
  });

  it('keep the LSO where it was, and a marker after the restart completes them', async () => {
    dir = await tempDir('gregor-partition-');
    disk = await Broker.start({ port: 0, dataDir: dir.path });
    await createTopic(disk, 'txn', 1);
    await plain(disk, 'txn', ['a']);
    await txn(disk, 'txn', 4n, 0, ['b', 'c']);
    await disk.stop();

    disk = await Broker.start({ port: 0, dataDir: dir.path });
    const p = disk.services.partitions.get('txn', 0)!;
    const { logOffsets, partitions } = disk.services;
    expect(await logOffsets.listOffset('txn', 0, LATEST_TIMESTAMP, -1, READ_COMMITTED)).toMatchObject({ offset: 1n });
    expect(p.highWatermark).toBe(3n);
    expect((await p.ongoingTransactions()).map((x) => [x.producerId, x.firstOffset])).toEqual([[4n, 1n]]);
    expect(await partitions.writeTxnMarker('txn', 0, marker(false, 4n))).toBe(ErrorCode.None);
    expect(p.lastStableOffset).toBe(4n);
    expect(await p.abortedTransactions(0n, 4n)).toEqual([{ producerId: 4n, firstOffset: 1n, lastOffset: 3n, lastStableOffset: 4n }]);
  });

  it('without the producer snapshots (lost in a crash), are rebuilt from the log with the same LSO', async () => {
    dir = await tempDir('gregor-partition-');
    disk = await Broker.start({ port: 0, dataDir: dir.path });
    await createTopic(disk, 'replay', 1);
    await txn(disk, 'replay', 1n, 0, ['a']); // 0, aborted below
    await txn(disk, 'replay', 2n, 0, ['b']); // 1, stays open
    expect(await disk.services.partitions.writeTxnMarker('replay', 0, marker(false, 1n))).toBe(0); // 2
    await plain(disk, 'replay', ['c']); // 3
    await disk.stop();
    disk = undefined;
    const folder = join(dir.path, 'replay-0');
    for (const name of await readdir(folder)) if (name.endsWith('.snapshot')) await unlink(join(folder, name));

    disk = await Broker.start({ port: 0, dataDir: dir.path });
    expect(await disk.services.logOffsets.listOffset('replay', 0, LATEST_TIMESTAMP, -1, READ_COMMITTED)).toMatchObject({ offset: 1n });
    const p = disk.services.partitions.get('replay', 0)!;
    expect((await p.ongoingTransactions()).map((x) => [x.producerId, x.firstOffset])).toEqual([[2n, 1n]]);
    const r = (await new FetchService({ metadata: disk.services.metadata, partitions: disk.services.partitions, clock: new ManualClock(0), logger: silentLogger }).read(params('replay', 0n, { isolationLevel: READ_COMMITTED }))).partitions[0];
    // The aborted-transaction index across restarts is the log's (its .txnindex); here only the LSO is looked at.
    expect(r).toMatchObject({ highWatermark: 4n, lastStableOffset: 1n });
    expect(valuesOf(r.records)).toEqual(['a']);
  });
});
