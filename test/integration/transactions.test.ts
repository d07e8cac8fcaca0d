/**
 * Transactions as a KafkaJS user sees them, against an in-process broker: transactional producers
 * (transactionalId, idempotent, one request in flight) writing to several partitions of two topics,
 * read_committed and read_uncommitted consumers, offsets committed through the transaction
 * (sendOffsets), the last stable offset holding consumers back, zombie fencing, the broker aborting
 * a transaction past its timeout, and an open transaction across a restart on disk.
 *
 * KafkaJS speaks the old versions of the transaction APIs (InitProducerId v0-1, AddPartitionsToTxn
 * v0-1, EndTxn v0-1, TxnOffsetCommit v0-1), so a fenced producer is told INVALID_PRODUCER_EPOCH, as
 * Kafka answers clients too old for PRODUCER_FENCED.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka, Producer, Transaction } from 'kafkajs';
import type { Broker } from '../../src/broker.js';
import { kafkaFor, startBroker } from '../helpers/kafka.js';
import { consumeUntil, failureOf, kafkaErrorName, readToEnd, until, values, type Seen } from '../helpers/kafkajs-txn.js';

/** Kafka's defaults, but groups form at once (as in Kafka's own integration tests). */
const CONFIG = { 'group.initial.rebalance.delay.ms': 0 };

let broker: Broker | undefined;
let dir: string | undefined;
const opened: { disconnect(): Promise<void> }[] = [];

afterEach(async () => {
  for (const c of opened.splice(0)) await c.disconnect().catch(() => undefined);
  await broker?.stop();
  broker = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function start(config: Record<string, string | number | boolean> = {}, dataDir?: string): Promise<{ kafka: Kafka; admin: Admin }> {
  broker = await startBroker({ config: { ...CONFIG, ...config }, ...(dataDir !== undefined ? { dataDir } : {}) });
  // Patient retries: a producer fencing another waits out CONCURRENT_TRANSACTIONS while the
  // coordinator aborts the older transaction.
  const kafka = kafkaFor(broker, { retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 2_000 } });
  const admin = kafka.admin();
  await admin.connect();
  opened.push(admin);
  return { kafka, admin };
}

async function transactional(kafka: Kafka, transactionalId: string, transactionTimeout?: number): Promise<Producer> {
  const producer = kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    ...(transactionTimeout !== undefined ? { transactionTimeout } : {}),
  });
  await producer.connect();
  opened.push(producer);
  return producer;
}

async function plain(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer();
  await producer.connect();
  opened.push(producer);
  return producer;
}

/** `count` records named `${name}-${i}`, spread over `partitions` partitions round-robin. */
function records(name: string, count: number, partitions: number): { partition: number; key: string; value: string }[] {
  return Array.from({ length: count }, (_, i) => ({ partition: i % partitions, key: `k${i}`, value: `${name}-${i}` }));
}

/** The read_committed end of each partition (KafkaJS's admin lists offsets read_committed). */
async function stableOffsets(admin: Admin, topic: string): Promise<Map<number, string>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
}

describe('KafkaJS transactions', () => {
  it('a read_committed consumer sees exactly the committed records of two topics, a read_uncommitted one the aborted too', async () => {
    const { kafka, admin } = await start();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }, { topic: 'audit', numPartitions: 2 }] });
    const committer = await transactional(kafka, 'orders-committer');
    const aborter = await transactional(kafka, 'orders-aborter');

    // Both transactions open at once, their records interleaved in every partition.
    const kept = await committer.transaction();
    const dropped = await aborter.transaction();
    await kept.send({ topic: 'orders', messages: records('kept-orders-a', 6, 3) });
    await dropped.send({ topic: 'orders', messages: records('dropped-orders-a', 6, 3) });
    await kept.send({ topic: 'audit', messages: records('kept-audit', 4, 2) });
    await dropped.send({ topic: 'audit', messages: records('dropped-audit', 4, 2) });
    await kept.send({ topic: 'orders', messages: records('kept-orders-b', 3, 3) });
    await dropped.send({ topic: 'orders', messages: records('dropped-orders-b', 3, 3) });
    await dropped.abort();
    await kept.commit();

    // A second round on the same producers: ended transactions do not leak into the next ones.
    const kept2 = await committer.transaction();
    await kept2.send({ topic: 'audit', messages: records('kept2-audit', 2, 2) });
    await kept2.commit();
    const dropped2 = await aborter.transaction();
    await dropped2.send({ topic: 'orders', messages: records('dropped2-orders', 3, 3) });
    await dropped2.abort();

    const committed = [
      ...records('kept-orders-a', 6, 3),
      ...records('kept-audit', 4, 2),
      ...records('kept-orders-b', 3, 3),
      ...records('kept2-audit', 2, 2),
    ].map((r) => r.value);
    const aborted = [
      ...records('dropped-orders-a', 6, 3),
      ...records('dropped-audit', 4, 2),
      ...records('dropped-orders-b', 3, 3),
      ...records('dropped2-orders', 3, 3),
    ].map((r) => r.value);

    const readCommitted = await readToEnd(kafka, admin, ['orders', 'audit'], { readUncommitted: false });
    expect(values(readCommitted)).toEqual([...committed].sort());
    // Each record where it was sent, once.
    for (const r of readCommitted) {
      const i = Number(r.value.slice(r.value.lastIndexOf('-') + 1));
      expect(r.partition).toBe(i % (r.topic === 'orders' ? 3 : 2));
      expect(r.topic).toBe(r.value.includes('audit') ? 'audit' : 'orders');
    }

    const readUncommitted = await readToEnd(kafka, admin, ['orders', 'audit'], { readUncommitted: true });
    expect(values(readUncommitted)).toEqual([...committed, ...aborted].sort());
  });

  it('sendOffsets commits the input group offsets with the transaction, and an abort leaves them unchanged', async () => {
    const { kafka, admin } = await start();
    await admin.createTopics({ topics: [{ topic: 'in', numPartitions: 2 }, { topic: 'out', numPartitions: 2 }] });
    const input = await plain(kafka);
    await input.send({ topic: 'in', acks: -1, messages: records('in', 20, 2) });
    const group = 'transformer';
    const groupOffsets = async (): Promise<Record<number, string>> => {
      const [t] = await admin.fetchOffsets({ groupId: group, topics: ['in'] });
      return Object.fromEntries(t.partitions.map((p) => [p.partition, p.offset]));
    };
    expect(await groupOffsets()).toEqual({ 0: '-1', 1: '-1' });

    // Consume the input as the group's loop would, then transform and write in transactions.
    const inputRecords = await consumeUntil(kafka, ['in'], { readUncommitted: false, done: (got) => got.length === 20 });
    const upTo = (partition: number, count: number): Seen[] => inputRecords.filter((r) => r.partition === partition).slice(0, count);
    const producer = await transactional(kafka, 'transformer-tx');
    /** One turn of the loop: the input records before `to` (from `from` on) of each partition, transformed, and the group's offsets after them. */
    const transform = async (txn: Transaction, [from0, to0]: [number, number], [from1, to1]: [number, number]): Promise<void> => {
      const batch = [...upTo(0, to0).slice(from0), ...upTo(1, to1).slice(from1)];
      await txn.send({ topic: 'out', messages: batch.map((r) => ({ partition: r.partition, value: `t(${r.value})` })) });
      await txn.sendOffsets({
        consumerGroupId: group,
        topics: [{ topic: 'in', partitions: [{ partition: 0, offset: String(to0) }, { partition: 1, offset: String(to1) }] }],
      });
    };

    const first = await producer.transaction();
    await transform(first, [0, 4], [0, 3]);
    // Pending until the commit: the group still shows nothing committed.
    expect(await groupOffsets()).toEqual({ 0: '-1', 1: '-1' });
    await first.commit();
    // As with Kafka, EndTxn answers once the commit is decided; the markers (and with them the
    // offsets) follow, so the committed offsets are waited for.
    await until(async () => JSON.stringify(await groupOffsets()) === JSON.stringify({ 0: '4', 1: '3' }), 'the committed offsets 4 and 3');

    const second = await producer.transaction();
    await transform(second, [4, 9], [3, 7]);
    await second.abort();

    // The same range again after the abort, as a restarted loop would redo it: committed once.
    // The next transaction's first send is accepted only once the abort is complete (until then the
    // coordinator answers CONCURRENT_TRANSACTIONS, which KafkaJS retries): then the aborted offsets
    // are gone for good.
    const third = await producer.transaction();
    await transform(third, [4, 9], [3, 7]);
    expect(await groupOffsets()).toEqual({ 0: '4', 1: '3' });
    await third.commit();
    await until(async () => JSON.stringify(await groupOffsets()) === JSON.stringify({ 0: '9', 1: '7' }), 'the committed offsets 9 and 7');

    const out = await readToEnd(kafka, admin, ['out'], { readUncommitted: false });
    expect(values(out)).toEqual([...upTo(0, 9), ...upTo(1, 7)].map((r) => `t(${r.value})`).sort());

    // A consumer joining the group starts where the committed transaction left it.
    const resumed = await consumeUntil(kafka, ['in'], { groupId: group, readUncommitted: false, done: (got) => got.length === 20 - 9 - 7 });
    expect(values(resumed)).toEqual([...inputRecords.filter((r) => r.partition === 0).slice(9), ...inputRecords.filter((r) => r.partition === 1).slice(7)].map((r) => r.value).sort());
  });

  it('an open transaction holds read_committed consumers back at its first offset until it commits', async () => {
    const { kafka, admin } = await start();
    await admin.createTopics({ topics: [{ topic: 'held', numPartitions: 1 }] });
    const other = await plain(kafka);
    await other.send({ topic: 'held', acks: -1, messages: [{ value: 'before' }] });
    const producer = await transactional(kafka, 'held-tx');
    const txn = await producer.transaction();
    await txn.send({ topic: 'held', messages: [{ value: 'open-1' }, { value: 'open-2' }] });
    // A non-transactional record after the open transaction is held back with it.
    await other.send({ topic: 'held', acks: -1, messages: [{ value: 'after' }] });

    // The last stable offset is the open transaction's first offset; the high watermark is past it.
    expect(await stableOffsets(admin, 'held')).toEqual(new Map([[0, '1']]));
    const consumer = kafka.consumer({ groupId: 'held-reader', readUncommitted: false, maxWaitTimeInMs: 100 });
    opened.push(consumer);
    const got: string[] = [];
    let fetchesAfterBefore = 0;
    consumer.on(consumer.events.FETCH, () => {
      if (got.includes('before')) fetchesAfterBefore++;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: ['held'], fromBeginning: true });
    void consumer.run({ eachMessage: async ({ message }) => void got.push(message.value?.toString() ?? '') });

    // Several complete fetches after 'before' arrived: nothing past the open transaction came.
    await until(() => fetchesAfterBefore >= 5, 'five fetches after the first record');
    expect(got).toEqual(['before']);

    await txn.commit();
    await until(() => got.length >= 4, 'the committed transaction and the record after it');
    expect(got).toEqual(['before', 'open-1', 'open-2', 'after']);
    expect(await stableOffsets(admin, 'held')).toEqual(new Map([[0, '5']]));
  });

  it('a second producer with the same transactionalId fences the first, whose send and commit fail', async () => {
    const { kafka, admin } = await start();
    await admin.createTopics({ topics: [{ topic: 'fenced', numPartitions: 2 }] });
    const zombie = await transactional(kafka, 'fence-me');
    const old = await zombie.transaction();
    await old.send({ topic: 'fenced', messages: [{ partition: 0, value: 'zombie-1' }] });

    const successor = await transactional(kafka, 'fence-me');
    const current = await successor.transaction();

    // The zombie's transaction was aborted by the fencing; whatever it does next is refused.
    const sendFailure = await failureOf(old.send({ topic: 'fenced', messages: [{ partition: 0, value: 'zombie-2' }] }));
    expect(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']).toContain(kafkaErrorName(sendFailure));
    const commitFailure = await failureOf(old.commit());
    expect(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']).toContain(kafkaErrorName(commitFailure));

    await current.send({ topic: 'fenced', messages: [{ partition: 0, value: 'current-1' }, { partition: 1, value: 'current-2' }] });
    await current.commit();

    expect(values(await readToEnd(kafka, admin, ['fenced'], { readUncommitted: false }))).toEqual(['current-1', 'current-2']);
    // Read uncommitted: the zombie's first record is there (aborted), its second never got in.
    expect(values(await readToEnd(kafka, admin, ['fenced'], { readUncommitted: true }))).toEqual(['current-1', 'current-2', 'zombie-1']);
  });

  it('the broker aborts a transaction left open past its timeout; its records never reach read_committed consumers', async () => {
    const { kafka, admin } = await start({ 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 100 });
    await admin.createTopics({ topics: [{ topic: 'stale', numPartitions: 2 }] });
    const producer = await transactional(kafka, 'stale-tx', 1_000);
    const txn = await producer.transaction();
    await txn.send({ topic: 'stale', messages: records('stale', 4, 2) });
    const other = await plain(kafka);
    await other.send({ topic: 'stale', acks: -1, messages: [{ partition: 0, value: 'fresh-0' }, { partition: 1, value: 'fresh-1' }] });
    expect(await stableOffsets(admin, 'stale')).toEqual(new Map([[0, '0'], [1, '0']]));

    // Nobody ends the transaction: the broker does, and the stable offset moves past its marker.
    await until(async () => [...(await stableOffsets(admin, 'stale')).values()].every((o) => o === '4'), 'the timed-out transaction to be aborted');

    expect(values(await readToEnd(kafka, admin, ['stale'], { readUncommitted: false }))).toEqual(['fresh-0', 'fresh-1']);
    // The producer learns it was fenced when it tries to commit.
    const failure = await failureOf(txn.commit());
    expect(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']).toContain(kafkaErrorName(failure));
    expect(values(await readToEnd(kafka, admin, ['stale'], { readUncommitted: false }))).toEqual(['fresh-0', 'fresh-1']);
  });

  it('an open transaction survives a restart on disk; a new producer fences it and commits, nothing lost or duplicated', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gregor-txn-restart-'));
    let { kafka, admin } = await start({}, dir);
    await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 3 }, { topic: 'durable-audit', numPartitions: 1 }] });
    const before = await transactional(kafka, 'restart-tx');
    const done = await before.transaction();
    await done.send({ topic: 'durable', messages: records('committed-before', 6, 3) });
    await done.sendOffsets({ consumerGroupId: 'restart-group', topics: [{ topic: 'durable-audit', partitions: [{ partition: 0, offset: '1' }] }] });
    await done.commit();
    const open = await before.transaction();
    await open.send({ topic: 'durable', messages: records('open-at-restart', 6, 3) });
    await open.send({ topic: 'durable-audit', messages: [{ value: 'open-audit' }] });
    await open.sendOffsets({ consumerGroupId: 'restart-group', topics: [{ topic: 'durable-audit', partitions: [{ partition: 0, offset: '2' }] }] });

    for (const c of opened.splice(0)) await c.disconnect().catch(() => undefined);
    await broker!.stop();
    broker = undefined;
    ({ kafka, admin } = await start({}, dir));

    // Still open after the restart: read_committed consumers are held at its first offsets.
    expect(await stableOffsets(admin, 'durable')).toEqual(new Map([[0, '3'], [1, '3'], [2, '3']]));

    const after = await transactional(kafka, 'restart-tx');
    const next = await after.transaction();
    // Initialising fenced and aborted the open transaction (KafkaJS waits out its completion):
    // its offset never shows; the one committed before the restart does.
    const [fenced] = await admin.fetchOffsets({ groupId: 'restart-group', topics: ['durable-audit'] });
    expect(fenced.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '1' })]);
    await next.send({ topic: 'durable', messages: records('committed-after', 6, 3) });
    await next.sendOffsets({ consumerGroupId: 'restart-group', topics: [{ topic: 'durable-audit', partitions: [{ partition: 0, offset: '3' }] }] });
    await next.commit();

    const committed = await readToEnd(kafka, admin, ['durable', 'durable-audit'], { readUncommitted: false });
    expect(values(committed)).toEqual([...records('committed-before', 6, 3), ...records('committed-after', 6, 3)].map((r) => r.value).sort());
    await until(async () => {
      const [offsets] = await admin.fetchOffsets({ groupId: 'restart-group', topics: ['durable-audit'] });
      return offsets.partitions[0].offset === '3';
    }, 'the offset committed after the restart');
    const everything = await readToEnd(kafka, admin, ['durable', 'durable-audit'], { readUncommitted: true });
    expect(values(everything)).toEqual(
      [...records('committed-before', 6, 3), ...records('open-at-restart', 6, 3), ...records('committed-after', 6, 3)].map((r) => r.value).concat('open-audit').sort(),
    );
  });
});
