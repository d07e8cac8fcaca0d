/**
 * What real consumers see of transactions written into a partition (transactional batches appended
 * through the Partition, COMMIT/ABORT markers through the partition manager's writeTxnMarker, as
 * the transaction coordinator writes them): a read_committed KafkaJS consumer gets the committed
 * records only, and nothing past an open transaction until it ends; a read_uncommitted one gets
 * every data record.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Consumer } from 'kafkajs';
import type { Broker } from '../../src/broker.js';
import { kafkaFor } from '../helpers/kafka.js';
import { append, createTopic, startMemoryBroker } from '../server/fetch/fixture.js';

let broker: Broker;

beforeAll(async () => {
  broker = await startMemoryBroker({ 'group.initial.rebalance.delay.ms': 0 });
});

afterAll(async () => {
  await broker.stop();
});

const plain = (topic: string, values: string[]) => append(broker, topic, 0, values.map((value) => ({ value })));
const txn = (topic: string, pid: bigint, seq: number, values: string[]) =>
  append(broker, topic, 0, values.map((value) => ({ value })), { producerId: pid, producerEpoch: 0, baseSequence: seq, transactional: true });
const end = (topic: string, pid: bigint, committed: boolean) =>
  broker.services.partitions.writeTxnMarker(topic, 0, { producerId: pid, producerEpoch: 0, committed, coordinatorEpoch: 0 });

/** Collects what a running consumer receives; `until` resolves once `n` values have come. */
function collector(consumer: Consumer): { seen: string[]; until: (n: number) => Promise<void> } {
  const seen: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  void consumer.run({
    eachMessage: ({ message }) => {
      seen.push(message.value?.toString() ?? 'null');
      for (const w of waiters.filter((x) => seen.length >= x.n)) w.resolve();
      return Promise.resolve();
    },
  });
  const until = (n: number): Promise<void> =>
    seen.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }));
  return { seen, until };
}

describe('transactions as consumers see them', () => {
  it('read_committed: aborted records are dropped, open ones held back until their commit', async () => {
    const topic = 'rc-kafkajs';
    await createTopic(broker, topic, 1);
    await plain(topic, ['p0']);
    await txn(topic, 1n, 0, ['aborted-1', 'aborted-2']);
    await txn(topic, 2n, 0, ['committed-1']);
    await txn(topic, 1n, 2, ['aborted-3']);
    expect(await end(topic, 1n, false)).toBe(0);
    await txn(topic, 2n, 1, ['committed-2']);
    expect(await end(topic, 2n, true)).toBe(0);
    await txn(topic, 3n, 0, ['late-commit']);
    await plain(topic, ['after-open']);

    const consumer = kafkaFor(broker).consumer({ groupId: 'rc-group', maxWaitTimeInMs: 100, readUncommitted: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const { seen, until } = collector(consumer);
      await until(3);
      expect(seen).toEqual(['p0', 'committed-1', 'committed-2']);
      expect(await end(topic, 3n, true)).toBe(0);
      await until(5);
      expect(seen).toEqual(['p0', 'committed-1', 'committed-2', 'late-commit', 'after-open']);
    } finally {
      await consumer.disconnect();
    }
  }, 60_000);

  it('read_uncommitted: every data record, aborted or open', async () => {
    const topic = 'ru-kafkajs';
    await createTopic(broker, topic, 1);
    await txn(topic, 1n, 0, ['aborted']);
    expect(await end(topic, 1n, false)).toBe(0);
    await txn(topic, 2n, 0, ['open']);
    const consumer = kafkaFor(broker).consumer({ groupId: 'ru-group', maxWaitTimeInMs: 100, readUncommitted: true });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const { seen, until } = collector(consumer);
      await until(2);
      expect(seen).toEqual(['aborted', 'open']);
    } finally {
      await consumer.disconnect();
    }
  }, 60_000);
});
