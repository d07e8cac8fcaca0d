/**
 * DescribeProducers v0 over a real socket, after a KafkaJS idempotent producer wrote to the
 * partition: the producer id and sequence a client sees in the stored batches are what is reported.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Broker } from '../../../src/broker.js';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultApiVersionsRequest } from '../../../src/protocol/generated/messages/api-versions.js';
import { RecordBatchView } from '../../../src/protocol/records/record-batch.js';
import { kafkaFor } from '../../helpers/kafka.js';
import { WireClient } from '../../helpers/wire-client.js';
import { createTopic } from '../fetch/fixture.js';

let broker: Broker;
let client: WireClient;

beforeAll(async () => {
  broker = await Broker.start({ port: 0, storage: 'memory' });
  client = await WireClient.connect(broker.port);
  await createTopic(broker, 'described', 2);
});

afterAll(async () => {
  client.close();
  await broker.stop();
});

const describeProducers = (topics: { name: string; partitionIndexes: number[] }[]) =>
  client.send(ApiKey.DescribeProducers, 0, { topics: topics.map((t) => ({ ...t, _unknownTaggedFields: undefined })), _unknownTaggedFields: undefined });

/** The batches a consumer of the partition gets. */
async function storedBatches(topic: string, partition: number): Promise<RecordBatchView[]> {
  const log = broker.services.logs.get(topic, partition);
  if (log === undefined) throw new Error(`no log ${topic}-${partition}`);
  const r = await log.read(0n, { maxBytes: 1 << 20 });
  return r.records.map((b) => new RecordBatchView(b));
}

describe('DescribeProducers', () => {
  it('is advertised at v0', async () => {
    const r = await client.send(ApiKey.ApiVersions, 3, defaultApiVersionsRequest());
    expect(r.apiKeys).toContainEqual(expect.objectContaining({ apiKey: ApiKey.DescribeProducers, minVersion: 0, maxVersion: 0 }));
  });

  it('reports an idempotent producer with the id, epoch, last sequence and timestamp of its last batch', async () => {
    const producer = kafkaFor(broker).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < 3; i++) await producer.send({ topic: 'described', acks: -1, messages: [{ value: `v${i}`, partition: 0 }] });
    } finally {
      await producer.disconnect();
    }
    const batches = await storedBatches('described', 0);
    expect(batches).toHaveLength(3);
    const last = batches[2];
    expect(batches.map((b) => b.baseSequence)).toEqual([0, 1, 2]);
    expect(last.producerId).toBeGreaterThanOrEqual(0n);

    const r = await describeProducers([{ name: 'described', partitionIndexes: [0, 1] }]);
    expect(r.throttleTimeMs).toBe(0);
    expect(r.topics).toHaveLength(1);
    const [p0, p1] = r.topics[0].partitions;
    expect(p0).toMatchObject({ partitionIndex: 0, errorCode: ErrorCode.None, errorMessage: null });
    expect(p0.activeProducers).toEqual([
      {
        producerId: last.producerId,
        producerEpoch: last.producerEpoch,
        lastSequence: 2,
        lastTimestamp: last.maxTimestamp,
        coordinatorEpoch: -1,
        currentTxnStartOffset: -1n,
        _unknownTaggedFields: undefined,
      },
    ]);
    // The other partition was never written to: no producers, no error.
    expect(p1).toMatchObject({ partitionIndex: 1, errorCode: ErrorCode.None, activeProducers: [] });
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a topic or partition that does not exist, INVALID_TOPIC_EXCEPTION for an illegal name', async () => {
    const r = await describeProducers([
      { name: 'described', partitionIndexes: [2, -1] },
      { name: 'missing', partitionIndexes: [0] },
      { name: 'not valid!', partitionIndexes: [0, 1] },
    ]);
    expect(r.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.activeProducers.length])])).toEqual([
      ['described', [[2, ErrorCode.UnknownTopicOrPartition, 0], [-1, ErrorCode.UnknownTopicOrPartition, 0]]],
      ['missing', [[0, ErrorCode.UnknownTopicOrPartition, 0]]],
      ['not valid!', [[0, ErrorCode.InvalidTopicException, 0], [1, ErrorCode.InvalidTopicException, 0]]],
    ]);
    expect(r.topics[2].partitions[0].errorMessage).toMatch(/Topic name "not valid!" is illegal/);
  });
});
