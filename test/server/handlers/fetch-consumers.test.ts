/**
 * Real consumers reading through Fetch: a KafkaJS consumer group (Fetch v11, sessionless) and an
 * @platformatic/kafka consumer (Fetch v12+ by topic id). They need the group coordinator's APIs
 * too, so each runs once every API it uses is registered, and is skipped before that.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import type { Broker } from '../../../src/broker.js';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { CompressionCodec } from '../../../src/protocol/records/index.js';
import { HANDLERS } from '../../../src/server/handlers/index.js';
import { kafkaFor } from '../../helpers/kafka.js';
import { append, createTopic, records, startMemoryBroker } from '../fetch/fixture.js';

// The typings give close(true) the void result of close(force, callback); without a callback it
// returns a promise, which this overload says.
const forceClose = (c: { close(force?: boolean): Promise<void> }): Promise<void> => c.close(true);

const GROUP_APIS = [
  ApiKey.Metadata,
  ApiKey.FindCoordinator,
  ApiKey.JoinGroup,
  ApiKey.SyncGroup,
  ApiKey.Heartbeat,
  ApiKey.LeaveGroup,
  ApiKey.OffsetFetch,
  ApiKey.OffsetCommit,
  ApiKey.ListOffsets,
  ApiKey.Fetch,
];
const haveGroups = GROUP_APIS.every((key) => HANDLERS.some((h) => h.apiKey === key));
const maybe = haveGroups ? it : it.skip;

let broker: Broker;

beforeAll(async () => {
  broker = await startMemoryBroker({ 'group.initial.rebalance.delay.ms': 0 });
});

afterAll(async () => {
  await broker.stop();
});

/** 3 partitions, 30 records in batches of 5 (the second batch of each partition gzip'd), plus a 200 KB record. */
async function fill(topic: string): Promise<string[]> {
  await createTopic(broker, topic, 3);
  const expected: string[] = [];
  for (let p = 0; p < 3; p++) {
    for (let b = 0; b < 2; b++) {
      const recs = records(5, p * 100 + b * 5);
      await append(broker, topic, p, recs, b === 1 ? { compression: CompressionCodec.Gzip } : {});
      expected.push(...recs.map((r) => String(r.value)));
    }
  }
  const big = 'B'.repeat(200_000);
  await append(broker, topic, 1, [{ key: 'big', value: big }]);
  expected.push(big);
  return expected.sort();
}

describe('consumers reading through Fetch', () => {
  maybe('a KafkaJS consumer group reads every record from the beginning', async () => {
    const expected = await fill('kafkajs-consume');
    const consumer = kafkaFor(broker).consumer({ groupId: 'kafkajs-fetch-test', maxWaitTimeInMs: 100, maxBytesPerPartition: 1024 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'kafkajs-consume', fromBeginning: true });
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error(`timed out with ${seen.length} of ${expected.length}`)); }, 15_000);
        consumer
          .run({
            eachMessage: async ({ message }) => {
              seen.push(message.value!.toString());
              if (seen.length === expected.length) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
      expect(seen.sort()).toEqual(expected);
    } finally {
      await consumer.disconnect();
    }
  }, 60_000);

  maybe('an @platformatic/kafka consumer reads every record from the earliest offset', async () => {
    const expected = await fill('platformatic-consume');
    const consumer = new Consumer({
      groupId: 'platformatic-fetch-test',
      clientId: 'platformatic-fetch-test',
      bootstrapBrokers: [broker.bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 100,
    });
    try {
      const stream = await consumer.consume({ topics: ['platformatic-consume'], mode: 'earliest', autocommit: false });
      const seen: string[] = [];
      for await (const message of stream) {
        seen.push(message.value);
        if (seen.length === expected.length) break;
      }
      expect(seen.sort()).toEqual(expected);
    } finally {
      await forceClose(consumer);
    }
  }, 60_000);
});
