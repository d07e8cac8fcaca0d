/**
 * Transactions do not exist yet: a transactional KafkaJS producer must fail at once with an error
 * pointing at the broker's log, and the log must say why, instead of retrying for its whole budget.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { Producer } from 'kafkajs';
import type { Broker } from '../../src/broker.js';
import type { Logger } from '../../src/util/logger.js';
import { kafkaFor, startBroker } from '../helpers/kafka.js';

let broker: Broker | undefined;
let producer: Producer | undefined;
afterEach(async () => {
  await producer?.disconnect();
  await broker?.stop();
  producer = undefined;
  broker = undefined;
});

describe('a transactional KafkaJS producer', () => {
  it('fails at once with INVALID_REQUEST, and the broker logs that transactions are not supported', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger: Logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    broker = await startBroker({ logger });
    // A retry budget of many minutes: a retriable answer would outlast the test's timeout.
    const kafka = kafkaFor(broker, { retry: { retries: 1000, initialRetryTime: 1000, maxRetryTime: 30_000 } });
    producer = kafka.producer({ transactionalId: 'payments-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();

    const failure = await producer.transaction().then(
      () => null,
      (err: unknown) => err as Error & { type?: string; retriable?: boolean },
    );
    expect(failure).not.toBeNull();
    expect(failure!.retriable).toBe(false);
    expect(failure!.message).toContain('incompatible broker. See the broker logs');

    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        kind: 'transactional producer refused',
        peer: '127.0.0.1',
        transactionalId: 'payments-tx',
        msg: expect.stringContaining('transactions are not supported by this broker yet'),
      }),
    );
  });
});
