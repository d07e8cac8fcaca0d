import { afterEach, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultMetadataRequest, defaultMetadataRequestTopic, type MetadataRequest } from '../../../src/protocol/generated/messages/metadata.js';
import { ZERO_UUID } from '../../../src/protocol/reader.js';
import type { BrokerOptions } from '../../../src/broker.js';
import { startHarness, type AdminHarness } from './admin-harness.js';

let h: AdminHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function start(config: BrokerOptions['config'] = {}): Promise<AdminHarness> {
  h = await startHarness({ config });
  return h;
}

function request(names: (string | { id: string })[] | null, extra: Partial<MetadataRequest> = {}): MetadataRequest {
  return {
    ...defaultMetadataRequest(),
    topics: names === null ? null : names.map((n) => ({ ...defaultMetadataRequestTopic(), ...(typeof n === 'string' ? { name: n } : { name: null, topicId: n.id }) })),
    ...extra,
  };
}

async function create(harness: AdminHarness, name: string, partitions: number): Promise<string> {
  const r = await harness.broker.services.metadata.createTopic({ name, numPartitions: partitions, replicationFactor: -1, configs: new Map(), validateOnly: false });
  expect(r.errorCode).toBe(ErrorCode.None);
  return r.topic!.topicId;
}

describe('Metadata', () => {
  it('describes the one broker, the cluster and the controller', async () => {
    const harness = await start({ 'broker.rack': 'rack-a' });
    const services = harness.broker.services;
    const r = await harness.call(ApiKey.Metadata, 12, request([]));
    expect(r.brokers).toEqual([expect.objectContaining({ nodeId: services.nodeId, host: services.advertised.host, port: harness.broker.port, rack: 'rack-a' })]);
    expect(r.clusterId).toBe(services.clusterId);
    expect(r.controllerId).toBe(services.nodeId);
    expect(r.topics).toEqual([]);
  });

  it('lists every topic for a null list (v1+) and for an empty list in v0 only', async () => {
    const harness = await start();
    await create(harness, 'b', 1);
    await create(harness, 'a', 2);
    expect((await harness.call(ApiKey.Metadata, 0, request([]))).topics.map((t) => t.name)).toEqual(['a', 'b']);
    expect((await harness.call(ApiKey.Metadata, 1, request(null))).topics.map((t) => t.name)).toEqual(['a', 'b']);
    expect((await harness.call(ApiKey.Metadata, 1, request([]))).topics).toEqual([]);
    expect((await harness.call(ApiKey.Metadata, 9, request(null))).topics.map((t) => t.name)).toEqual(['a', 'b']);
  });

  it('gives each partition this broker as leader, replica and ISR at leader epoch 0', async () => {
    const harness = await start();
    const id = await create(harness, 'orders', 3);
    const nodeId = harness.broker.services.nodeId;
    const r = await harness.call(ApiKey.Metadata, 10, request(['orders']));
    expect(r.topics).toHaveLength(1);
    const t = r.topics[0];
    expect(t).toMatchObject({ errorCode: 0, name: 'orders', topicId: id, isInternal: false, topicAuthorizedOperations: -2147483648 });
    expect(t.partitions).toEqual(
      [0, 1, 2].map((p) => expect.objectContaining({ errorCode: 0, partitionIndex: p, leaderId: nodeId, leaderEpoch: 0, replicaNodes: [nodeId], isrNodes: [nodeId], offlineReplicas: [] })),
    );
    // Before v7 the leader epoch is not on the wire; before v10 neither is the topic id.
    const v6 = await harness.call(ApiKey.Metadata, 6, request(['orders']));
    expect(v6.topics[0].partitions[0].leaderEpoch).toBe(-1);
    expect(v6.topics[0].topicId).toBe(ZERO_UUID);
  });

  it('answers a duplicated name once', async () => {
    const harness = await start();
    await create(harness, 'x', 1);
    const r = await harness.call(ApiKey.Metadata, 5, request(['x', 'x']));
    expect(r.topics.map((t) => t.name)).toEqual(['x']);
  });

  describe('auto-creation', () => {
    it('creates a missing topic with num.partitions and answers LEADER_NOT_AVAILABLE first', async () => {
      const harness = await start({ 'num.partitions': 3 });
      const first = await harness.call(ApiKey.Metadata, 9, request(['auto-1']));
      expect(first.topics).toEqual([expect.objectContaining({ name: 'auto-1', errorCode: ErrorCode.LeaderNotAvailable, partitions: [] })]);
      const second = await harness.call(ApiKey.Metadata, 9, request(['auto-1']));
      expect(second.topics[0]).toMatchObject({ errorCode: 0, name: 'auto-1' });
      expect(second.topics[0].partitions).toHaveLength(3);
      expect(harness.broker.services.logs.get('auto-1', 2)).toBeDefined();
    });

    it('always allows creation before v4, which cannot say otherwise', async () => {
      const harness = await start();
      const r = await harness.call(ApiKey.Metadata, 1, request(['auto-v1'], { allowAutoTopicCreation: false }));
      expect(r.topics[0].errorCode).toBe(ErrorCode.LeaderNotAvailable);
      expect(harness.broker.services.metadata.topic('auto-v1')).toBeDefined();
    });

    it('does not create when the client says no (v4+)', async () => {
      const harness = await start();
      const r = await harness.call(ApiKey.Metadata, 4, request(['nope'], { allowAutoTopicCreation: false }));
      expect(r.topics).toEqual([expect.objectContaining({ name: 'nope', errorCode: ErrorCode.UnknownTopicOrPartition })]);
      expect(harness.broker.services.metadata.topic('nope')).toBeUndefined();
    });

    it('does not create when auto.create.topics.enable is false', async () => {
      const harness = await start({ 'auto.create.topics.enable': false });
      const r = await harness.call(ApiKey.Metadata, 12, request(['nope']));
      expect(r.topics[0]).toMatchObject({ name: 'nope', errorCode: ErrorCode.UnknownTopicOrPartition, topicId: ZERO_UUID });
      expect(harness.broker.services.metadata.topic('nope')).toBeUndefined();
    });

    it('answers INVALID_TOPIC_EXCEPTION for an illegal name, whether or not creation is allowed', async () => {
      const harness = await start();
      const r = await harness.call(ApiKey.Metadata, 9, request(['bad name!', 'x'.repeat(250)]));
      expect(r.topics.map((t) => t.errorCode)).toEqual([ErrorCode.InvalidTopicException, ErrorCode.InvalidTopicException]);
      const r2 = await harness.call(ApiKey.Metadata, 9, request(['bad name!'], { allowAutoTopicCreation: false }));
      expect(r2.topics[0].errorCode).toBe(ErrorCode.InvalidTopicException);
    });

    it('answers the creation error when the topic cannot be created', async () => {
      const harness = await start({ 'default.replication.factor': 3 });
      const r = await harness.call(ApiKey.Metadata, 9, request(['rf3']));
      expect(r.topics[0].errorCode).toBe(ErrorCode.InvalidReplicationFactor);
      expect(harness.broker.services.metadata.topic('rf3')).toBeUndefined();
    });

    it('never creates when every topic is asked for', async () => {
      const harness = await start();
      expect((await harness.call(ApiKey.Metadata, 9, request(null))).topics).toEqual([]);
    });
  });

  describe('topic ids', () => {
    it('looks topics up by id in v12+, with UNKNOWN_TOPIC_ID and a null name for unknown ids', async () => {
      const harness = await start();
      const id = await create(harness, 'by-id', 2);
      const unknown = '5c2a3b8e-0000-4000-8000-000000000001';
      const r = await harness.call(ApiKey.Metadata, 12, request([{ id }, { id: unknown }]));
      expect(r.topics[0]).toMatchObject({ name: 'by-id', topicId: id, errorCode: 0 });
      expect(r.topics[0].partitions).toHaveLength(2);
      expect(r.topics[1]).toMatchObject({ name: null, topicId: unknown, errorCode: ErrorCode.UnknownTopicId });
    });

    it('refuses ids and null names in v10-11 with INVALID_REQUEST', async () => {
      const harness = await start();
      const id = await create(harness, 't', 1);
      for (const version of [10, 11]) {
        const r = await harness.call(ApiKey.Metadata, version, request([{ id }]));
        expect(r.topics).toEqual([expect.objectContaining({ errorCode: ErrorCode.InvalidRequest, name: '' })]);
      }
    });
  });

  it('reports authorized operations only when asked (v8+), the cluster ones only in v8-10', async () => {
    const harness = await start();
    await create(harness, 't', 1);
    const asked = await harness.call(ApiKey.Metadata, 8, request(['t'], { includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true }));
    expect(asked.topics[0].topicAuthorizedOperations).toBe(3576);
    expect(asked.clusterAuthorizedOperations).toBe(8096);
    const notAsked = await harness.call(ApiKey.Metadata, 8, request(['t']));
    expect(notAsked.topics[0].topicAuthorizedOperations).toBe(-2147483648);
    expect(notAsked.clusterAuthorizedOperations).toBe(-2147483648);
    const v11 = await harness.call(ApiKey.Metadata, 11, request(['t'], { includeTopicAuthorizedOperations: true }));
    expect(v11.topics[0].topicAuthorizedOperations).toBe(3576);
    expect(v11.clusterAuthorizedOperations).toBe(-2147483648);
  });

  it('carries a top-level NONE in v13', async () => {
    const harness = await start();
    const r = await harness.call(ApiKey.Metadata, 13, request(null));
    expect(r.errorCode).toBe(0);
  });

  it('serves every version from 0 to 13', async () => {
    const harness = await start();
    await create(harness, 'v', 1);
    for (let version = 0; version <= 13; version++) {
      const r = await harness.call(ApiKey.Metadata, version, request(['v']));
      expect(r.topics[0]).toMatchObject({ name: 'v', errorCode: 0 });
    }
  });
});
