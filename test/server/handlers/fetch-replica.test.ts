/**
 * The leader's side of replication over the wire: replica fetches (replicaId before v15,
 * ReplicaState from v15) read past the high watermark to the log end and move it as the follower
 * reports its position; a follower whose log diverged gets divergingEpoch; a partition this broker
 * follows answers NOT_LEADER_OR_FOLLOWER to consumers and followers; OffsetForLeaderEpoch and a
 * replica's ListOffsets answer from the leader epoch cache and the log end.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Broker } from '../../../src/broker.js';
import type { BrokerAddress, ClusterView } from '../../../src/metadata/cluster-view.js';
import type { PartitionState } from '../../../src/metadata/partition-state.js';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import {
  defaultFetchRequest,
  type FetchRequest,
  type FetchRequestFetchPartition,
  type FetchResponse,
  type FetchResponsePartitionData,
} from '../../../src/protocol/generated/messages/fetch.js';
import type { DescribeProducersResponse } from '../../../src/protocol/generated/messages/describe-producers.js';
import { defaultOffsetForLeaderEpochRequest } from '../../../src/protocol/generated/messages/offset-for-leader-epoch.js';
import { defaultListOffsetsRequest } from '../../../src/protocol/generated/messages/list-offsets.js';
import { ZERO_UUID } from '../../../src/protocol/reader.js';
import { WireClient } from '../../helpers/wire-client.js';
import { append, batchesOf, createTopic, records, startMemoryBroker, valuesOf } from '../fetch/fixture.js';

/** This broker is node 1; node 2 is the follower that fetches from it. */
const LEADER = 1;
const FOLLOWER = 2;

let broker: Broker;
let client: WireClient;
let topicCount = 0;

beforeAll(async () => {
  broker = await startMemoryBroker({ 'node.id': LEADER });
  client = await WireClient.connect(broker.port);
});

afterAll(async () => {
  client.close();
  await broker.stop();
});

const state = (leader: number, leaderEpoch: number, version = BigInt(leaderEpoch)): PartitionState => ({
  leader,
  leaderEpoch,
  isr: [LEADER, FOLLOWER],
  replicas: [LEADER, FOLLOWER],
  version,
});

/** A topic whose partition 0 this broker leads in `epoch` with node 2 in the ISR. */
async function ledTopic(epoch = 1): Promise<string> {
  const name = `replica-fetch-${++topicCount}`;
  await createTopic(broker, name, 1);
  await broker.services.partitions.applyPartitionState(name, 0, state(LEADER, epoch));
  return name;
}

function part(fetchOffset: bigint, extra: Partial<FetchRequestFetchPartition> = {}): FetchRequestFetchPartition {
  return {
    partition: 0,
    currentLeaderEpoch: -1,
    fetchOffset,
    lastFetchedEpoch: -1,
    logStartOffset: 0n,
    partitionMaxBytes: 1 << 20,
    replicaDirectoryId: ZERO_UUID,
    highWatermark: -1n,
    _unknownTaggedFields: undefined,
    ...extra,
  };
}

/** A fetch of partition 0 of `topic` as node `replicaId` would send it at `version`. */
function fetchRequest(version: number, topic: string, p: FetchRequestFetchPartition, replicaId: number, extra: Partial<FetchRequest> = {}): FetchRequest {
  const topicId = broker.services.metadata.topic(topic)?.topicId ?? ZERO_UUID;
  const r = defaultFetchRequest();
  r.maxWaitMs = 0;
  r.minBytes = 0;
  if (version >= 15) r.replicaState = { replicaId, replicaEpoch: replicaId >= 0 ? 7n : -1n, _unknownTaggedFields: undefined };
  else r.replicaId = replicaId;
  r.topics = [{ topic: version >= 13 ? '' : topic, topicId: version >= 13 ? topicId : ZERO_UUID, partitions: [p], _unknownTaggedFields: undefined }];
  return { ...r, ...extra };
}

async function fetchOne(version: number, topic: string, p: FetchRequestFetchPartition, replicaId: number, extra: Partial<FetchRequest> = {}): Promise<FetchResponsePartitionData> {
  const r: FetchResponse = await client.send(ApiKey.Fetch, version, fetchRequest(version, topic, p, replicaId, extra));
  expect(r.errorCode).toBe(ErrorCode.None);
  expect(r.responses).toHaveLength(1);
  return r.responses[0].partitions[0];
}

const highWatermark = (topic: string): bigint => broker.services.partitions.get(topic, 0)!.highWatermark;

describe('replica fetch (leader side)', () => {
  for (const version of [4, 11, 12, 14, 15, 17]) {
    it(`v${version}: reads past the high watermark, and the follower's fetch offset moves it`, async () => {
      const t = await ledTopic();
      await append(broker, t, 0, records(5));
      // The ISR has the follower, which has nothing yet: consumers see nothing.
      expect(highWatermark(t)).toBe(0n);
      const consumer = await fetchOne(version, t, part(0n), -1);
      expect({ error: consumer.errorCode, hw: consumer.highWatermark, records: valuesOf(consumer.records) }).toEqual({ error: 0, hw: 0n, records: [] });

      const first = await fetchOne(version, t, part(0n, { currentLeaderEpoch: version >= 9 ? 1 : -1 }), FOLLOWER);
      expect(first.errorCode).toBe(ErrorCode.None);
      expect(valuesOf(first.records)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
      expect(first.highWatermark).toBe(0n);
      if (version >= 4) expect(first.abortedTransactions).toBeNull();

      // The next fetch says the follower has offsets 0-4: the HW moves to 5 and the answer carries it.
      const second = await fetchOne(version, t, part(5n, { currentLeaderEpoch: version >= 9 ? 1 : -1, lastFetchedEpoch: version >= 12 ? 1 : -1 }), FOLLOWER);
      expect({ error: second.errorCode, hw: second.highWatermark, records: valuesOf(second.records) }).toEqual({ error: 0, hw: 5n, records: [] });
      if (version >= 5) expect(second.logStartOffset).toBe(0n);
      expect(highWatermark(t)).toBe(5n);
      const after = await fetchOne(version, t, part(0n), -1);
      expect(valuesOf(after.records)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    });
  }

  it('a read_committed replica fetch is not bounded by open transactions', async () => {
    const t = await ledTopic();
    await append(broker, t, 0, records(2), { producerId: 21n, producerEpoch: 0, baseSequence: 0, transactional: true });
    const p = await fetchOne(12, t, part(0n), FOLLOWER, { isolationLevel: 1 });
    expect(batchesOf(p.records).map((b) => [b.baseOffset, b.lastOffset])).toEqual([[0n, 1n]]);
    expect(p.abortedTransactions).toBeNull();
  });

  it('a replica not assigned the partition is NOT_LEADER_OR_FOLLOWER; fencing by currentLeaderEpoch', async () => {
    const t = await ledTopic(3);
    await append(broker, t, 0, records(1));
    expect((await fetchOne(12, t, part(0n), 9)).errorCode).toBe(ErrorCode.NotLeaderOrFollower);
    expect((await fetchOne(12, t, part(0n, { currentLeaderEpoch: 2 }), FOLLOWER)).errorCode).toBe(ErrorCode.FencedLeaderEpoch);
    expect((await fetchOne(12, t, part(0n, { currentLeaderEpoch: 4 }), FOLLOWER)).errorCode).toBe(ErrorCode.UnknownLeaderEpoch);
    // Neither moved the HW.
    expect(highWatermark(t)).toBe(0n);
    expect((await fetchOne(12, t, part(2n, { currentLeaderEpoch: 3 }), FOLLOWER)).errorCode).toBe(ErrorCode.OffsetOutOfRange);
  });

  it('answers divergingEpoch when the follower\'s last epoch ends earlier here, and records nothing for it', async () => {
    const t = await ledTopic(1);
    await append(broker, t, 0, records(5)); // epoch 1: 0-4
    await broker.services.partitions.applyPartitionState(t, 0, state(LEADER, 3));
    await append(broker, t, 0, records(3, 5)); // epoch 3: 5-7
    // The follower appended 0-6 in epoch 2 (from a leader that lost them): epoch 2 is unknown here,
    // the largest before it is 1, which ends at 5.
    for (const version of [12, 15, 18]) {
      const p = await fetchOne(version, t, part(7n, { currentLeaderEpoch: 3, lastFetchedEpoch: 2 }), FOLLOWER);
      expect({ version, error: p.errorCode, diverging: [p.divergingEpoch.epoch, p.divergingEpoch.endOffset], records: valuesOf(p.records) }).toEqual({
        version,
        error: 0,
        diverging: [1, 5n],
        records: [],
      });
      expect(p.highWatermark).toBe(0n);
    }
    // A follower in epoch 1 past the end of epoch 1 here diverged too.
    const past = await fetchOne(12, t, part(6n, { currentLeaderEpoch: 3, lastFetchedEpoch: 1 }), FOLLOWER);
    expect([past.divergingEpoch.epoch, past.divergingEpoch.endOffset]).toEqual([1, 5n]);
    expect(highWatermark(t)).toBe(0n);
    // At the end of epoch 1 it has not: it gets epoch 3's records, and the HW moves to 5.
    const ok = await fetchOne(12, t, part(5n, { currentLeaderEpoch: 3, lastFetchedEpoch: 1 }), FOLLOWER);
    expect({ diverging: ok.divergingEpoch.epoch, records: valuesOf(ok.records), hw: ok.highWatermark }).toEqual({ diverging: -1, records: ['v5', 'v6', 'v7'], hw: 5n });
    // Older versions carry no divergingEpoch: the follower names no last epoch.
    const v11 = await fetchOne(11, t, part(8n, { currentLeaderEpoch: 3 }), FOLLOWER);
    expect({ error: v11.errorCode, hw: v11.highWatermark }).toEqual({ error: 0, hw: 8n });
  });

  it('a last fetched epoch after every epoch this log knows is OFFSET_OUT_OF_RANGE', async () => {
    const t = await ledTopic(4);
    await append(broker, t, 0, records(2));
    // Epoch 9 is after every known epoch: the cache has no answer.
    const p = await fetchOne(12, t, part(2n, { currentLeaderEpoch: 4, lastFetchedEpoch: 9 }), FOLLOWER);
    expect(p.errorCode).toBe(ErrorCode.OffsetOutOfRange);
  });

  it('a long-polling replica fetch wakes on an append the high watermark does not show', async () => {
    const t = await ledTopic(1);
    await append(broker, t, 0, records(2));
    await fetchOne(12, t, part(2n, { currentLeaderEpoch: 1, lastFetchedEpoch: 1 }), FOLLOWER);
    expect(highWatermark(t)).toBe(2n);
    const waiting = client.send(ApiKey.Fetch, 12, fetchRequest(12, t, part(2n, { currentLeaderEpoch: 1, lastFetchedEpoch: 1 }), FOLLOWER, { maxWaitMs: 60_000, minBytes: 1 }));
    // The fetch is parked until the append.
    while (broker.services.fetch.reads.waitingFetches === 0) await new Promise((r) => setImmediate(r));
    await append(broker, t, 0, records(1, 2));
    const r = await waiting;
    expect(valuesOf(r.responses[0].partitions[0].records)).toEqual(['v2']);
    expect(r.responses[0].partitions[0].highWatermark).toBe(2n);
  });
});

describe('a partition this broker follows', () => {
  it('answers NOT_LEADER_OR_FOLLOWER to consumer and replica fetches, OffsetForLeaderEpoch and DescribeProducers', async () => {
    const t = `replica-fetch-${++topicCount}`;
    await createTopic(broker, t, 1);
    await broker.services.partitions.applyPartitionState(t, 0, state(FOLLOWER, 2));
    for (const version of [4, 12, 16]) {
      expect((await fetchOne(version, t, part(0n), -1)).errorCode).toBe(ErrorCode.NotLeaderOrFollower);
      expect((await fetchOne(version, t, part(0n), 3)).errorCode).toBe(ErrorCode.NotLeaderOrFollower);
    }
    const epochs = await client.send(ApiKey.OffsetForLeaderEpoch, 4, {
      ...defaultOffsetForLeaderEpochRequest(),
      replicaId: 2,
      topics: [{ topic: t, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 2, _unknownTaggedFields: undefined }], _unknownTaggedFields: undefined }],
    });
    expect(epochs.topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NotLeaderOrFollower, leaderEpoch: -1, endOffset: -1n });
    // Only the leader describes its producers (Kafka's admin client asks the leader).
    const producers: DescribeProducersResponse = await client.send(ApiKey.DescribeProducers, 0, {
      topics: [{ name: t, partitionIndexes: [0], _unknownTaggedFields: undefined }],
      _unknownTaggedFields: undefined,
    });
    expect(producers.topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, errorCode: ErrorCode.NotLeaderOrFollower, activeProducers: [] });
  });
});

describe('KIP-951 leader hints', () => {
  it('a consumer fetching by topic id from a broker that follows is told the leader, its epoch and address', async () => {
    const t = `replica-fetch-${++topicCount}`;
    await createTopic(broker, t, 1);
    await broker.services.partitions.applyPartitionState(t, 0, state(FOLLOWER, 2));
    // What a cluster's view says once node 2 leads (the single broker's view knows only itself).
    const services = broker.services as { cluster: ClusterView };
    const own = services.cluster;
    const node2: BrokerAddress = { nodeId: FOLLOWER, host: 'node-2.example', port: 19092, rack: null };
    services.cluster = {
      brokers: () => [...own.brokers(), node2],
      controllerId: () => own.controllerId(),
      coordinator: () => own.coordinator(),
      partitionLayouts: (_topic, from, to) =>
        Array.from({ length: to - from }, (_, i) => ({ partitionIndex: from + i, leaderId: FOLLOWER, leaderEpoch: 2, replicaNodes: [LEADER, FOLLOWER], isrNodes: [LEADER, FOLLOWER], offlineReplicas: [] })),
    };
    try {
      const r: FetchResponse = await client.send(ApiKey.Fetch, 16, fetchRequest(16, t, part(0n, { currentLeaderEpoch: 2 }), -1));
      const p = r.responses[0].partitions[0];
      expect({ error: p.errorCode, leaderId: p.currentLeader.leaderId, leaderEpoch: p.currentLeader.leaderEpoch }).toEqual({ error: ErrorCode.NotLeaderOrFollower, leaderId: FOLLOWER, leaderEpoch: 2 });
      expect(r.nodeEndpoints.map((e) => ({ nodeId: e.nodeId, host: e.host, port: e.port }))).toEqual([{ nodeId: FOLLOWER, host: 'node-2.example', port: 19092 }]);
    } finally {
      services.cluster = own;
    }
  });
});

describe('OffsetForLeaderEpoch and ListOffsets from a replica', () => {
  it('answers from the leader epoch cache for followers, consumers and the debugging id alike', async () => {
    const t = await ledTopic(1);
    await append(broker, t, 0, records(5)); // epoch 1: 0-4
    await broker.services.partitions.applyPartitionState(t, 0, state(LEADER, 3));
    await append(broker, t, 0, records(3, 5)); // epoch 3: 5-7
    const ask = async (replicaId: number, leaderEpoch: number, currentLeaderEpoch = -1) => {
      const r = await client.send(ApiKey.OffsetForLeaderEpoch, 4, {
        ...defaultOffsetForLeaderEpochRequest(),
        replicaId,
        topics: [{ topic: t, partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch, _unknownTaggedFields: undefined }], _unknownTaggedFields: undefined }],
      });
      const p = r.topics[0].partitions[0];
      return [p.errorCode, p.leaderEpoch, p.endOffset];
    };
    for (const replicaId of [FOLLOWER, -1, -2]) {
      expect(await ask(replicaId, 0)).toEqual([0, 0, 0n]);
      expect(await ask(replicaId, 1)).toEqual([0, 1, 5n]);
      expect(await ask(replicaId, 2)).toEqual([0, 1, 5n]);
      expect(await ask(replicaId, 3)).toEqual([0, 3, 8n]);
      expect(await ask(replicaId, 4)).toEqual([0, -1, -1n]);
      expect(await ask(replicaId, -1)).toEqual([0, -1, -1n]);
      expect(await ask(replicaId, 3, 2)).toEqual([ErrorCode.FencedLeaderEpoch, -1, -1n]);
      expect(await ask(replicaId, 3, 4)).toEqual([ErrorCode.UnknownLeaderEpoch, -1, -1n]);
      expect(await ask(replicaId, 3, 3)).toEqual([0, 3, 8n]);
    }

    // LATEST: a replica learns the log end offset, a consumer the high watermark.
    const latest = async (replicaId: number) => {
      const r = await client.send(ApiKey.ListOffsets, 7, {
        ...defaultListOffsetsRequest(),
        replicaId,
        topics: [{ name: t, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1, _unknownTaggedFields: undefined }], _unknownTaggedFields: undefined }],
      });
      return r.topics[0].partitions[0].offset;
    };
    expect(highWatermark(t)).toBe(0n);
    expect(await latest(FOLLOWER)).toBe(8n);
    expect(await latest(-1)).toBe(0n);
  });
});
