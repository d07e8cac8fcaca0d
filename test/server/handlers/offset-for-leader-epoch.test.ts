/**
 * OffsetForLeaderEpoch over a real socket: every version with our codec, and @platformatic/kafka's
 * v4 (the request the Java consumer sends to validate its position after a leader change).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Connection, offsetForLeaderEpochV4 } from '@platformatic/kafka';
import type { Broker } from '../../../src/broker.js';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import {
  defaultOffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochRequest,
} from '../../../src/protocol/generated/messages/offset-for-leader-epoch.js';
import { WireClient } from '../../helpers/wire-client.js';
import { append, createTopic, records, startMemoryBroker } from '../fetch/fixture.js';

let broker: Broker;
let client: WireClient;
const topic = 'epochs';

beforeAll(async () => {
  broker = await startMemoryBroker();
  client = await WireClient.connect(broker.port);
  await createTopic(broker, topic, 1);
  await append(broker, topic, 0, records(7));
});

afterAll(async () => {
  client.close();
  await broker.stop();
});

function request(name: string, partitions: { partition: number; leaderEpoch: number; currentLeaderEpoch?: number }[]): OffsetForLeaderEpochRequest {
  return {
    ...defaultOffsetForLeaderEpochRequest(),
    replicaId: -1,
    topics: [
      {
        topic: name,
        partitions: partitions.map((p) => ({ partition: p.partition, leaderEpoch: p.leaderEpoch, currentLeaderEpoch: p.currentLeaderEpoch ?? -1, _unknownTaggedFields: undefined })),
        _unknownTaggedFields: undefined,
      },
    ],
  };
}

describe('OffsetForLeaderEpoch over the wire', () => {
  it('v0-4: epoch 0 ends at the log end offset', async () => {
    for (let version = 0; version <= 4; version++) {
      const r = await client.send(ApiKey.OffsetForLeaderEpoch, version, request(topic, [{ partition: 0, leaderEpoch: 0, currentLeaderEpoch: 0 }]));
      const p = r.topics[0].partitions[0];
      expect({ version, errorCode: p.errorCode, endOffset: p.endOffset }).toEqual({ version, errorCode: 0, endOffset: 7n });
      if (version >= 1) expect(p.leaderEpoch).toBe(0);
    }
  });

  it('later and undefined epochs are unknown; errors for unknown partitions and a newer current epoch', async () => {
    const r = await client.send(
      ApiKey.OffsetForLeaderEpoch,
      3,
      request(topic, [
        { partition: 0, leaderEpoch: 5 },
        { partition: 0, leaderEpoch: -1 },
        { partition: 3, leaderEpoch: 0 },
        { partition: 0, leaderEpoch: 0, currentLeaderEpoch: 1 },
      ]),
    );
    expect(r.topics[0].partitions.map((p) => [p.partition, p.errorCode, p.leaderEpoch, p.endOffset])).toEqual([
      [0, 0, -1, -1n],
      [0, 0, -1, -1n],
      [3, ErrorCode.UnknownTopicOrPartition, -1, -1n],
      [0, ErrorCode.UnknownLeaderEpoch, -1, -1n],
    ]);
    const missing = await client.send(ApiKey.OffsetForLeaderEpoch, 2, request('nope', [{ partition: 0, leaderEpoch: 0 }]));
    expect(missing.topics[0].partitions[0].errorCode).toBe(ErrorCode.UnknownTopicOrPartition);
  });

  it('@platformatic/kafka OffsetForLeaderEpoch v4', async () => {
    const connection = new Connection('platformatic-test');
    await connection.connect('127.0.0.1', broker.port);
    try {
      const r = await offsetForLeaderEpochV4.api.async(connection, -1, [
        { name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }] },
      ]);
      expect(r.topics[0].partitions[0]).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 7n });
    } finally {
      await connection.close();
    }
  });
});
