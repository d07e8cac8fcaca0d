/**
 * A transactional KafkaJS producer against the transaction coordinator: it initializes (no longer
 * refused), a second producer of the same transactional id fences it (the zombie's next
 * AddPartitionsToTxn is refused with the non-retriable INVALID_PRODUCER_EPOCH KafkaJS knows), and
 * the coordinator shows the new producer's epoch. What is produced inside a transaction is the
 * partition layer's part and is tested with it.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Producer } from 'kafkajs';
import type { Broker } from '../../src/broker.js';
import { createTopic } from '../server/fetch/fixture.js';
import { kafkaFor, startBroker } from '../helpers/kafka.js';

let broker: Broker | undefined;
const producers: Producer[] = [];
afterEach(async () => {
  for (const p of producers.splice(0)) await p.disconnect();
  await broker?.stop();
  broker = undefined;
});

describe('a transactional KafkaJS producer', () => {
  it('initializes, and is fenced by a newer producer of the same transactional id', async () => {
    broker = await startBroker();
    await createTopic(broker, 'payments', 2);
    const kafka = kafkaFor(broker, { retry: { retries: 3, initialRetryTime: 50, maxRetryTime: 200 } });
    const zombie = kafka.producer({ transactionalId: 'payments-tx', idempotent: true, maxInFlightRequests: 1 });
    const successor = kafka.producer({ transactionalId: 'payments-tx', idempotent: true, maxInFlightRequests: 1 });
    producers.push(zombie, successor);
    await zombie.connect();
    await successor.connect();

    const zombieTxn = await zombie.transaction();
    const first = broker.services.transactions.describe('payments-tx');
    expect(first).toMatchObject({ errorCode: 0, state: 'Empty', producerEpoch: 0 });

    const successorTxn = await successor.transaction();
    expect(broker.services.transactions.describe('payments-tx')).toMatchObject({ state: 'Empty', producerId: first.producerId, producerEpoch: 1 });

    const failure = await zombieTxn.send({ topic: 'payments', messages: [{ value: 'late' }] }).then(
      () => null,
      (err: unknown) => err as Error & { type?: string; retriable?: boolean },
    );
    expect(failure).toMatchObject({ type: 'INVALID_PRODUCER_EPOCH', retriable: false });
    expect(broker.services.transactions.describe('payments-tx')).toMatchObject({ state: 'Empty', producerEpoch: 1, partitions: [] });
    // Nothing was added, so KafkaJS ends the successor's transaction without asking the broker.
    await successorTxn.abort();
  });
});
