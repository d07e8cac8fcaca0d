/**
 * The transaction APIs through KafkaJS's own encoders and decoders (its Broker class, at the
 * versions it picks from our ApiVersions): InitProducerId with a transactional id,
 * AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, and a zombie fenced with the error KafkaJS knows.
 * Transactions here commit consumer offsets only, which complete without a partition marker.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AdminHarness } from './admin-harness.js';
import { kafkaJsBroker, type KafkaJsLowLevelBroker } from './kafkajs-low-level.js';
import { startTxnHarness } from './txn-harness.js';

let h: AdminHarness;
let kjs: KafkaJsLowLevelBroker;
beforeAll(async () => {
  h = await startTxnHarness();
  kjs = await kafkaJsBroker(h.broker);
});
afterAll(async () => {
  await kjs.disconnect();
  await h.stop();
});

interface KafkaJsProducer {
  producerId: number | string;
  producerEpoch: number;
}

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { type?: string }).type ?? String(err);
  }
  throw new Error('expected a rejection');
}

describe('KafkaJS', () => {
  it('initializes, adds partitions and offsets, and commits', async () => {
    const init = (await kjs.initProducerId({ transactionalId: 'kjs', transactionTimeout: 30_000 })) as KafkaJsProducer & { errorCode: number };
    expect(init).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    const p = { transactionalId: 'kjs', producerId: init.producerId, producerEpoch: init.producerEpoch };
    await kjs.addOffsetsToTxn({ ...p, groupId: 'kjs-group' });
    expect(await rejection(kjs.addPartitionsToTxn({ ...p, topics: [{ topic: 't', partitions: [0, 9] }] }))).toBe('OPERATION_NOT_ATTEMPTED');
    await kjs.endTxn({ ...p, transactionResult: true });
    await h.broker.services.transactions.idle();
    expect(h.broker.services.transactions.describe('kjs')).toMatchObject({ state: 'CompleteCommit' });
    // A retried commit is answered without error.
    await kjs.endTxn({ ...p, transactionResult: true });
  });

  it('a second producer of the id aborts the first one\'s transaction, which is then fenced', async () => {
    const a = (await kjs.initProducerId({ transactionalId: 'zombie', transactionTimeout: 30_000 })) as KafkaJsProducer;
    const zombie = { transactionalId: 'zombie', producerId: a.producerId, producerEpoch: a.producerEpoch };
    await kjs.addOffsetsToTxn({ ...zombie, groupId: 'zombie-group' });
    expect(await rejection(kjs.initProducerId({ transactionalId: 'zombie', transactionTimeout: 30_000 }))).toBe('CONCURRENT_TRANSACTIONS');
    await h.broker.services.transactions.idle();
    const b = (await kjs.initProducerId({ transactionalId: 'zombie', transactionTimeout: 30_000 })) as KafkaJsProducer;
    expect(b).toMatchObject({ producerId: a.producerId, producerEpoch: 2 });
    expect(await rejection(kjs.endTxn({ ...zombie, transactionResult: true }))).toBe('INVALID_PRODUCER_EPOCH');
    expect(await rejection(kjs.addOffsetsToTxn({ ...zombie, groupId: 'zombie-group' }))).toBe('INVALID_PRODUCER_EPOCH');
  });
});
