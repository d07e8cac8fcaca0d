/**
 * ListOffsets over a real socket: every version with our codec, KafkaJS's Broker (its ListOffsets
 * v3) and, once Metadata is served, KafkaJS's admin, and @platformatic/kafka's ListOffsets v9.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Connection, listOffsetsV9 } from '@platformatic/kafka';
import type { Broker } from '../../../src/broker.js';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import {
  defaultListOffsetsRequest,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../../../src/protocol/generated/messages/list-offsets.js';
import { HANDLERS } from '../../../src/server/handlers/index.js';
import { kafkaFor } from '../../helpers/kafka.js';
import { WireClient } from '../../helpers/wire-client.js';
import { append, createTopic, startMemoryBroker } from '../fetch/fixture.js';
import { kafkaJsBroker, type KafkaJsLowLevelBroker } from './kafkajs-low-level.js';

let broker: Broker;
let client: WireClient;
let topic: string;
const T0 = 1_700_000_000_000;

beforeAll(async () => {
  broker = await startMemoryBroker();
  client = await WireClient.connect(broker.port);
  topic = 'list-offsets';
  await createTopic(broker, topic, 2);
  // Partition 0: offsets 0-1 at T0, 2 at T0+5000 (the max), 3 at T0+2000. Partition 1 stays empty.
  await append(broker, topic, 0, [
    { value: 'a', timestamp: T0 },
    { value: 'b', timestamp: T0 },
  ]);
  await append(broker, topic, 0, [{ value: 'c', timestamp: T0 + 5000 }]);
  await append(broker, topic, 0, [{ value: 'd', timestamp: T0 + 2000 }]);
});

afterAll(async () => {
  client.close();
  await broker.stop();
});

type Target = { name: string; partitions: { partitionIndex: number; timestamp: bigint; currentLeaderEpoch?: number; maxNumOffsets?: number }[] };

function request(topics: Target[], extra: Partial<ListOffsetsRequest> = {}): ListOffsetsRequest {
  return {
    ...defaultListOffsetsRequest(),
    replicaId: -1,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
        timestamp: p.timestamp,
        maxNumOffsets: p.maxNumOffsets ?? 1,
        _unknownTaggedFields: undefined,
      })),
      _unknownTaggedFields: undefined,
    })),
    ...extra,
  };
}

const list = (version: number, req: ListOffsetsRequest): Promise<ListOffsetsResponse> => client.send(ApiKey.ListOffsets, version, req);

async function one(version: number, timestamp: bigint, partitionIndex = 0, extra: { currentLeaderEpoch?: number } = {}) {
  const r = await list(version, request([{ name: topic, partitions: [{ partitionIndex, timestamp, ...extra }] }]));
  return r.topics[0].partitions[0];
}

describe('ListOffsets over the wire', () => {
  it('v0 answers oldStyleOffsets, newest first, up to maxNumOffsets', async () => {
    const r = await list(
      0,
      request([
        {
          name: topic,
          partitions: [
            { partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 },
            { partitionIndex: 0, timestamp: -2n, maxNumOffsets: 1 },
            { partitionIndex: 1, timestamp: -1n, maxNumOffsets: 5 },
          ],
        },
      ]),
    );
    expect(r.topics[0].partitions.map((p) => [p.partitionIndex, p.errorCode, p.oldStyleOffsets])).toEqual([
      [0, 0, [4n]],
      [0, 0, [0n]],
      [1, 0, [0n]],
    ]);
  });

  it('v1-11 answer earliest and latest with timestamp -1', async () => {
    for (let version = 1; version <= 11; version++) {
      const earliest = await one(version, -2n);
      const latest = await one(version, -1n);
      expect({ version, earliest: [earliest.errorCode, earliest.offset, earliest.timestamp] }).toEqual({ version, earliest: [0, 0n, -1n] });
      expect({ version, latest: [latest.errorCode, latest.offset, latest.timestamp] }).toEqual({ version, latest: [0, 4n, -1n] });
      if (version >= 4) expect([earliest.leaderEpoch, latest.leaderEpoch]).toEqual([0, 0]);
      const empty = await one(version, -1n, 1);
      expect(empty.offset).toBe(0n);
    }
  });

  it('finds the first offset at or after a timestamp, or -1 when every record is older', async () => {
    expect(await one(1, BigInt(T0))).toMatchObject({ offset: 0n, timestamp: BigInt(T0) });
    expect(await one(5, BigInt(T0 + 1))).toMatchObject({ offset: 2n, timestamp: BigInt(T0 + 5000), leaderEpoch: 0 });
    expect(await one(5, BigInt(T0 + 9999))).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n, leaderEpoch: -1 });
  });

  it('answers -3 (max timestamp), -4 (earliest local), -5 and -6 (tiered: none)', async () => {
    expect(await one(7, -3n)).toMatchObject({ errorCode: 0, offset: 2n, timestamp: BigInt(T0 + 5000), leaderEpoch: 0 });
    expect(await one(7, -3n, 1)).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n });
    expect(await one(8, -4n)).toMatchObject({ errorCode: 0, offset: 0n, timestamp: -1n, leaderEpoch: 0 });
    expect(await one(9, -5n)).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n, leaderEpoch: -1 });
    expect(await one(11, -6n)).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n, leaderEpoch: -1 });
  });

  it('read_committed sees the same offsets when no transaction is open', async () => {
    const r = await list(2, request([{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1n }] }], { isolationLevel: 1 }));
    expect(r.topics[0].partitions[0].offset).toBe(4n);
  });

  it('read_committed (v2+) answers latest with the last stable offset of an open transaction; v1 has no isolation level', async () => {
    const t = 'list-offsets-txn';
    await createTopic(broker, t, 1);
    await append(broker, t, 0, [{ value: 'a', timestamp: T0 }]);
    await append(broker, t, 0, [{ value: 'b', timestamp: T0 + 1000 }], { producerId: 42n, producerEpoch: 0, baseSequence: 0, transactional: true });
    const latest = async (version: number, isolationLevel: number) =>
      (await list(version, request([{ name: t, partitions: [{ partitionIndex: 0, timestamp: -1n }] }], { isolationLevel }))).topics[0].partitions[0].offset;
    expect(await latest(2, 1)).toBe(1n);
    expect(await latest(11, 1)).toBe(1n);
    expect(await latest(2, 0)).toBe(2n);
    expect(await latest(1, 1)).toBe(2n);
    expect(await broker.services.partitions.writeTxnMarker(t, 0, { producerId: 42n, producerEpoch: 0, committed: true, coordinatorEpoch: 0 })).toBe(ErrorCode.None);
    expect(await latest(2, 1)).toBe(3n);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION, INVALID_REQUEST for a repeated partition, and leader epoch fencing', async () => {
    const r = await list(
      4,
      request([
        { name: 'missing', partitions: [{ partitionIndex: 0, timestamp: -1n }] },
        {
          name: topic,
          partitions: [
            { partitionIndex: 0, timestamp: -1n },
            { partitionIndex: 7, timestamp: -1n },
            { partitionIndex: 1, timestamp: -1n, currentLeaderEpoch: 2 },
            { partitionIndex: 0, timestamp: -2n },
          ],
        },
      ]),
    );
    expect(r.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.offset])])).toEqual([
      ['missing', [[0, ErrorCode.UnknownTopicOrPartition, -1n]]],
      [
        topic,
        [
          [0, ErrorCode.InvalidRequest, -1n],
          [7, ErrorCode.UnknownTopicOrPartition, -1n],
          [1, ErrorCode.UnknownLeaderEpoch, -1n],
          [0, ErrorCode.InvalidRequest, -1n],
        ],
      ],
    ]);
  });
});

describe('ListOffsets from clients', () => {
  let kjs: KafkaJsLowLevelBroker;

  beforeAll(async () => {
    kjs = await kafkaJsBroker(broker);
  });

  afterAll(async () => {
    await kjs.disconnect();
  });

  it('KafkaJS Broker.listOffsets: earliest, latest, by time', async () => {
    const r = await kjs.listOffsets({
      replicaId: -1,
      isolationLevel: 1,
      topics: [
        {
          topic,
          partitions: [
            { partition: 0, timestamp: -2 },
            { partition: 1, timestamp: -1 },
          ],
        },
      ],
    });
    expect(r.responses[0].partitions.map((p: { partition: number; offset: string }) => [p.partition, p.offset])).toEqual([
      [0, '0'],
      [1, '0'],
    ]);
    const latest = await kjs.listOffsets({ replicaId: -1, topics: [{ topic, partitions: [{ partition: 0, timestamp: -1 }] }] });
    expect(latest.responses[0].partitions[0].offset).toBe('4');
    const byTime = await kjs.listOffsets({ replicaId: -1, topics: [{ topic, partitions: [{ partition: 0, timestamp: T0 + 1 }] }] });
    expect(byTime.responses[0].partitions[0]).toMatchObject({ offset: '2', timestamp: String(T0 + 5000) });
  });

  const hasMetadata = HANDLERS.some((h) => h.apiKey === ApiKey.Metadata);
  (hasMetadata ? it : it.skip)('KafkaJS admin fetchTopicOffsets and fetchTopicOffsetsByTimestamp', async () => {
    const admin = kafkaFor(broker).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.sort((a, b) => a.partition - b.partition)).toEqual([
        { partition: 0, offset: '4', high: '4', low: '0' },
        { partition: 1, offset: '0', high: '0', low: '0' },
      ]);
      const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, T0 + 1);
      expect(byTime.sort((a, b) => a.partition - b.partition)).toEqual([
        { partition: 0, offset: '2' },
        // No record at or after the time: KafkaJS falls back to the latest offset.
        { partition: 1, offset: '0' },
      ]);
    } finally {
      await admin.disconnect();
    }
  });

  it('@platformatic/kafka ListOffsets v9: max timestamp and by time', async () => {
    const connection = new Connection('platformatic-test');
    await connection.connect('127.0.0.1', broker.port);
    try {
      const r = await listOffsetsV9.api.async(connection, -1, 0, [
        {
          name: topic,
          partitions: [
            { partitionIndex: 0, currentLeaderEpoch: 0, timestamp: -3n },
            { partitionIndex: 1, currentLeaderEpoch: 0, timestamp: BigInt(T0) },
          ],
        },
      ]);
      expect(r.topics[0].partitions.map((p) => [p.partitionIndex, p.offset, p.timestamp, p.leaderEpoch])).toEqual([
        [0, 2n, BigInt(T0 + 5000), 0],
        [1, -1n, -1n, -1],
      ]);
    } finally {
      await connection.close();
    }
  });
});
