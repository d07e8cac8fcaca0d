import { afterEach, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import {
  defaultCreateTopicsRequest,
  defaultCreateTopicsRequestCreatableTopic,
  type CreateTopicsRequest,
  type CreateTopicsRequestCreatableTopic,
} from '../../../src/protocol/generated/messages/create-topics.js';
import { ZERO_UUID } from '../../../src/protocol/reader.js';
import { startHarness, type AdminHarness } from './admin-harness.js';

let h: AdminHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

type TopicSpec = Partial<Omit<CreateTopicsRequestCreatableTopic, 'configs' | 'assignments'>> & {
  name: string;
  configs?: Record<string, string | null>;
  assignments?: number[][];
};

function request(topics: TopicSpec[], extra: Partial<CreateTopicsRequest> = {}): CreateTopicsRequest {
  return {
    ...defaultCreateTopicsRequest(),
    topics: topics.map((t) => ({
      ...defaultCreateTopicsRequestCreatableTopic(),
      numPartitions: -1,
      replicationFactor: -1,
      ...t,
      configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value, _unknownTaggedFields: undefined })),
      assignments: (t.assignments ?? []).map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds, _unknownTaggedFields: undefined })),
    })),
    ...extra,
  };
}

describe('CreateTopics', () => {
  it('POLICY_VIOLATION for every topic when the request would create more than 10,000 partitions in all', async () => {
    h = await startHarness({ config: { 'num.partitions': 3 } });
    const over = await h.call(ApiKey.CreateTopics, 7, request([{ name: 'big', numPartitions: 9_998 }, { name: 'dflt' }, { name: 'dup' }, { name: 'dup' }]));
    expect(over.topics.map((t) => [t.name, t.errorCode, t.errorMessage])).toEqual([
      ['big', ErrorCode.PolicyViolation, 'Excessively large number of partitions per request.'],
      ['dflt', ErrorCode.PolicyViolation, 'Excessively large number of partitions per request.'],
      ['dup', ErrorCode.InvalidRequest, 'Duplicate topic name.'],
    ]);
    expect((await h.call(ApiKey.CreateTopics, 7, request([{ name: 'huge', numPartitions: 0x7fffffff }]))).topics[0].errorCode).toBe(ErrorCode.PolicyViolation);
    expect(h.broker.services.metadata.topic('big')).toBeUndefined();
    // Exactly 10,000 is allowed.
    const at = await h.call(ApiKey.CreateTopics, 7, request([{ name: 'big', numPartitions: 9_997 }, { name: 'dflt' }], { validateOnly: true }));
    expect(at.topics.map((t) => t.errorCode)).toEqual([ErrorCode.None, ErrorCode.None]);
  });

  it('creates topics with defaults (-1) and returns their layout, id and configs (v7)', async () => {
    h = await startHarness({ config: { 'num.partitions': 2 } });
    const r = await h.call(ApiKey.CreateTopics, 7, request([{ name: 'a' }, { name: 'b', numPartitions: 4, replicationFactor: 1, configs: { 'retention.ms': '1000' } }]));
    const [a, b] = r.topics;
    const store = h.broker.services.metadata;
    expect(a).toMatchObject({ name: 'a', errorCode: 0, errorMessage: null, numPartitions: 2, replicationFactor: 1, topicId: store.topic('a')!.topicId });
    expect(b).toMatchObject({ name: 'b', errorCode: 0, numPartitions: 4, replicationFactor: 1, topicId: store.topic('b')!.topicId });
    const retention = b.configs!.find((c) => c.name === 'retention.ms');
    expect(retention).toMatchObject({ value: '1000', readOnly: false, configSource: 1, isSensitive: false });
    expect(b.configs!.find((c) => c.name === 'segment.bytes')).toMatchObject({ value: '1073741824', configSource: 5 });
    const names = b.configs!.map((c) => c.name);
    expect(names).toEqual([...names].sort());
    expect(store.topic('b')!.overrides.get('retention.ms')).toBe('1000');
    expect(h.broker.services.logs.get('b', 3)).toBeDefined();
  });

  it('validateOnly checks and creates nothing (v1+)', async () => {
    h = await startHarness();
    const r = await h.call(ApiKey.CreateTopics, 5, request([{ name: 'v', numPartitions: 3 }], { validateOnly: true }));
    expect(r.topics[0]).toMatchObject({ name: 'v', errorCode: 0, numPartitions: 3 });
    expect(h.broker.services.metadata.topic('v')).toBeUndefined();
    const bad = await h.call(ApiKey.CreateTopics, 5, request([{ name: 'v', configs: { 'retention.ms': 'soon' } }], { validateOnly: true }));
    expect(bad.topics[0].errorCode).toBe(ErrorCode.InvalidConfig);
  });

  it('answers Kafka error codes per topic, with messages from v1', async () => {
    h = await startHarness();
    await h.call(ApiKey.CreateTopics, 4, request([{ name: 'exists' }]));
    const r = await h.call(
      ApiKey.CreateTopics,
      4,
      request([
        { name: 'exists' },
        { name: 'bad/name' },
        { name: 'zero', numPartitions: 0 },
        { name: 'rf2', replicationFactor: 2 },
        { name: 'rf0', replicationFactor: 0 },
        { name: 'unknown-config', configs: { 'no.such.config': '1' } },
        { name: 'bad-value', configs: { 'segment.bytes': '5' } },
        { name: 'null-value', configs: { 'retention.ms': null } },
        { name: 'both', numPartitions: 1, assignments: [[1]] },
        { name: 'other-broker', assignments: [[7]] },
        { name: 'ok' },
      ]),
    );
    const codes = Object.fromEntries(r.topics.map((t) => [t.name, t.errorCode]));
    expect(codes).toEqual({
      exists: ErrorCode.TopicAlreadyExists,
      'bad/name': ErrorCode.InvalidTopicException,
      zero: ErrorCode.InvalidPartitions,
      rf2: ErrorCode.InvalidReplicationFactor,
      rf0: ErrorCode.InvalidReplicationFactor,
      'unknown-config': ErrorCode.InvalidConfig,
      'bad-value': ErrorCode.InvalidConfig,
      'null-value': ErrorCode.InvalidConfig,
      both: ErrorCode.InvalidRequest,
      'other-broker': ErrorCode.InvalidReplicaAssignment,
      ok: ErrorCode.None,
    });
    expect(r.topics.find((t) => t.name === 'bad-value')!.errorMessage).toBe('Invalid value 5 for configuration segment.bytes: Value must be at least 14');
    expect(r.topics.find((t) => t.name === 'exists')!.errorMessage).toBe("Topic 'exists' already exists.");
  });

  it('accepts a manual assignment naming this broker', async () => {
    h = await startHarness();
    const nodeId = h.broker.services.nodeId;
    const r = await h.call(ApiKey.CreateTopics, 7, request([{ name: 'manual', assignments: [[nodeId], [nodeId]] }]));
    expect(r.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 2, replicationFactor: 1 });
  });

  it('answers a name given twice once, with INVALID_REQUEST, and creates it not at all', async () => {
    h = await startHarness();
    const r = await h.call(ApiKey.CreateTopics, 7, request([{ name: 'dup' }, { name: 'solo' }, { name: 'dup' }]));
    expect(r.topics.map((t) => [t.name, t.errorCode, t.errorMessage])).toEqual([
      ['solo', 0, null],
      ['dup', ErrorCode.InvalidRequest, 'Duplicate topic name.'],
    ]);
    expect(r.topics[1].topicId).toBe(ZERO_UUID);
    expect(h.broker.services.metadata.topic('dup')).toBeUndefined();
  });

  it('refuses __cluster_metadata', async () => {
    h = await startHarness();
    const r = await h.call(ApiKey.CreateTopics, 7, request([{ name: '__cluster_metadata' }]));
    expect(r.topics[0]).toMatchObject({ errorCode: ErrorCode.InvalidRequest });
  });

  it('serves every version from 0 to 7', async () => {
    h = await startHarness();
    for (let version = 0; version <= 7; version++) {
      const r = await h.call(ApiKey.CreateTopics, version, request([{ name: `v${version}`, numPartitions: 1, replicationFactor: 1 }]));
      expect(r.topics[0]).toMatchObject({ name: `v${version}`, errorCode: 0 });
    }
  });
});
