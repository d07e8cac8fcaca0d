/**
 * DeleteRecords over a real socket: every version with our codec, KafkaJS's Broker (its
 * DeleteRecords v0) and, once Metadata is served, KafkaJS's admin.deleteTopicRecords; in each case
 * the earliest offset (ListOffsets -2) and fetches follow the new log start offset.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Broker } from '../../../src/broker.js';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultDeleteRecordsRequest, type DeleteRecordsRequest } from '../../../src/protocol/generated/messages/delete-records.js';
import { defaultFetchRequest } from '../../../src/protocol/generated/messages/fetch.js';
import { defaultListOffsetsRequest } from '../../../src/protocol/generated/messages/list-offsets.js';
import { ZERO_UUID } from '../../../src/protocol/reader.js';
import { HANDLERS } from '../../../src/server/handlers/index.js';
import { kafkaFor } from '../../helpers/kafka.js';
import { WireClient } from '../../helpers/wire-client.js';
import { append, createTopic, records, startMemoryBroker } from '../fetch/fixture.js';
import { kafkaJsBroker } from './kafkajs-low-level.js';

let broker: Broker;
let client: WireClient;
let topicCount = 0;

beforeAll(async () => {
  broker = await startMemoryBroker();
  client = await WireClient.connect(broker.port);
});

afterAll(async () => {
  client.close();
  await broker.stop();
});

async function filledTopic(n = 10, configs: Record<string, string> = {}): Promise<string> {
  const name = `delete-records-${++topicCount}`;
  await createTopic(broker, name, 1, configs);
  for (let i = 0; i < n; i++) await append(broker, name, 0, records(1, i));
  return name;
}

function request(name: string, partitions: { partitionIndex: number; offset: bigint }[]): DeleteRecordsRequest {
  return {
    ...defaultDeleteRecordsRequest(),
    timeoutMs: 1000,
    topics: [{ name, partitions: partitions.map((p) => ({ ...p, _unknownTaggedFields: undefined })), _unknownTaggedFields: undefined }],
  };
}

async function earliest(name: string): Promise<bigint> {
  const r = await client.send(ApiKey.ListOffsets, 1, {
    ...defaultListOffsetsRequest(),
    replicaId: -1,
    topics: [{ name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1, _unknownTaggedFields: undefined }], _unknownTaggedFields: undefined }],
  });
  return r.topics[0].partitions[0].offset;
}

describe('DeleteRecords over the wire', () => {
  it('v0-2 move the low watermark; earliest follows, and fetching below it is OFFSET_OUT_OF_RANGE', async () => {
    const t = await filledTopic();
    for (const [version, offset] of [[0, 2n], [1, 5n], [2, 7n]] as const) {
      const r = await client.send(ApiKey.DeleteRecords, version, request(t, [{ partitionIndex: 0, offset }]));
      expect(r.topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, errorCode: 0, lowWatermark: offset });
      expect(await earliest(t)).toBe(offset);
    }
    const fetch = await client.send(ApiKey.Fetch, 11, {
      ...defaultFetchRequest(),
      topics: [
        {
          topic: t,
          topicId: ZERO_UUID,
          partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 6n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_UUID, highWatermark: -1n, _unknownTaggedFields: undefined }],
          _unknownTaggedFields: undefined,
        },
      ],
    });
    expect(fetch.responses[0].partitions[0].errorCode).toBe(ErrorCode.OffsetOutOfRange);
  });

  it('-1 deletes up to the high watermark; beyond it is OFFSET_OUT_OF_RANGE', async () => {
    const t = await filledTopic(4);
    const beyond = await client.send(ApiKey.DeleteRecords, 1, request(t, [{ partitionIndex: 0, offset: 5n }]));
    expect(beyond.topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.OffsetOutOfRange, lowWatermark: -1n });
    const all = await client.send(ApiKey.DeleteRecords, 1, request(t, [{ partitionIndex: 0, offset: -1n }]));
    expect(all.topics[0].partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: 4n });
    expect(await earliest(t)).toBe(4n);
  });

  it('answers unknown partitions and compacted topics', async () => {
    const compacted = await filledTopic(2, { 'cleanup.policy': 'compact' });
    const r = await client.send(ApiKey.DeleteRecords, 2, request(compacted, [{ partitionIndex: 0, offset: 1n }, { partitionIndex: 1, offset: 1n }]));
    expect(r.topics[0].partitions.map((p) => [p.partitionIndex, p.errorCode])).toEqual([
      [0, ErrorCode.PolicyViolation],
      [1, ErrorCode.UnknownTopicOrPartition],
    ]);
    const missing = await client.send(ApiKey.DeleteRecords, 0, request('missing', [{ partitionIndex: 0, offset: 0n }]));
    expect(missing.topics[0].partitions[0].errorCode).toBe(ErrorCode.UnknownTopicOrPartition);
  });

  it('KafkaJS Broker.deleteRecords', async () => {
    const t = await filledTopic(6);
    const kjs = await kafkaJsBroker(broker);
    try {
      await kjs.deleteRecords({ topics: [{ topic: t, partitions: [{ partition: 0, offset: '3' }] }] });
      expect(await earliest(t)).toBe(3n);
    } finally {
      await kjs.disconnect();
    }
  });

  const hasMetadata = HANDLERS.some((h) => h.apiKey === ApiKey.Metadata);
  (hasMetadata ? it : it.skip)('KafkaJS admin.deleteTopicRecords, then fetchTopicOffsets shows the new low', async () => {
    const t = await filledTopic(8);
    const admin = kafkaFor(broker).admin();
    await admin.connect();
    try {
      // KafkaJS's deleteTopicRecords needs the topic's metadata loaded first (a KafkaJS quirk).
      expect(await admin.fetchTopicOffsets(t)).toEqual([{ partition: 0, offset: '8', high: '8', low: '0' }]);
      await admin.deleteTopicRecords({ topic: t, partitions: [{ partition: 0, offset: '5' }] });
      expect(await admin.fetchTopicOffsets(t)).toEqual([{ partition: 0, offset: '8', high: '8', low: '5' }]);
    } finally {
      await admin.disconnect();
    }
  });
});
