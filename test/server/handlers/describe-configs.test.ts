import { afterEach, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultDescribeConfigsRequest, type DescribeConfigsRequest } from '../../../src/protocol/generated/messages/describe-configs.js';
import { startHarness, type AdminHarness } from './admin-harness.js';

let h: AdminHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;

function request(resources: { type: number; name: string; keys?: string[] | null }[], extra: Partial<DescribeConfigsRequest> = {}): DescribeConfigsRequest {
  return {
    ...defaultDescribeConfigsRequest(),
    resources: resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configurationKeys: r.keys ?? null, _unknownTaggedFields: undefined })),
    ...extra,
  };
}

async function start(): Promise<AdminHarness> {
  h = await startHarness({ config: { 'log.retention.ms': 3600000, 'num.partitions': 3 } });
  await h.broker.services.metadata.createTopic({ name: 't', numPartitions: 1, replicationFactor: 1, configs: new Map([['cleanup.policy', 'compact']]), validateOnly: false });
  return h;
}

describe('DescribeConfigs', () => {
  it('describes a topic: overrides, broker-supplied values and defaults, with synonyms when asked (v1+)', async () => {
    const harness = await start();
    const r = await harness.call(ApiKey.DescribeConfigs, 1, request([{ type: TOPIC, name: 't' }], { includeSynonyms: true }));
    const result = r.results[0];
    expect(result).toMatchObject({ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: 't' });
    const byName = new Map(result.configs.map((c) => [c.name, c]));
    expect(byName.get('cleanup.policy')).toMatchObject({ value: 'compact', configSource: 1, readOnly: false, isSensitive: false });
    expect(byName.get('cleanup.policy')!.synonyms.map((s) => [s.name, s.source])).toEqual([
      ['cleanup.policy', 1],
      ['log.cleanup.policy', 5],
    ]);
    expect(byName.get('retention.ms')).toMatchObject({ value: '3600000', configSource: 4 });
    expect(byName.get('retention.ms')!.synonyms[0]).toMatchObject({ name: 'log.retention.ms', value: '3600000', source: 4 });
    expect(byName.get('segment.bytes')).toMatchObject({ value: '1073741824', configSource: 5 });
  });

  it('filters by configuration keys and leaves synonyms out unless asked', async () => {
    const harness = await start();
    const r = await harness.call(ApiKey.DescribeConfigs, 2, request([{ type: TOPIC, name: 't', keys: ['retention.ms', 'cleanup.policy'] }]));
    expect(r.results[0].configs.map((c) => c.name).sort()).toEqual(['cleanup.policy', 'retention.ms']);
    expect(r.results[0].configs.every((c) => c.synonyms.length === 0)).toBe(true);
  });

  it('reports isDefault in v0', async () => {
    const harness = await start();
    const r = await harness.call(ApiKey.DescribeConfigs, 0, request([{ type: TOPIC, name: 't', keys: ['cleanup.policy', 'segment.bytes'] }]));
    const byName = new Map(r.results[0].configs.map((c) => [c.name, c]));
    expect(byName.get('cleanup.policy')!.isDefault).toBe(false);
    expect(byName.get('segment.bytes')!.isDefault).toBe(true);
  });

  it('adds documentation and types when asked (v3+)', async () => {
    const harness = await start();
    const r = await harness.call(ApiKey.DescribeConfigs, 4, request([{ type: TOPIC, name: 't', keys: ['retention.ms'] }], { includeDocumentation: true }));
    expect(r.results[0].configs[0]).toMatchObject({ name: 'retention.ms', configType: 5, documentation: expect.any(String) });
    const without = await harness.call(ApiKey.DescribeConfigs, 4, request([{ type: TOPIC, name: 't', keys: ['retention.ms'] }]));
    expect(without.results[0].configs[0].documentation).toBeNull();
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION and INVALID_TOPIC_EXCEPTION per resource', async () => {
    const harness = await start();
    const r = await harness.call(ApiKey.DescribeConfigs, 1, request([{ type: TOPIC, name: 'missing' }, { type: TOPIC, name: 'no good' }, { type: TOPIC, name: 't' }]));
    expect(r.results.map((x) => x.errorCode)).toEqual([ErrorCode.UnknownTopicOrPartition, ErrorCode.InvalidTopicException, 0]);
    expect(r.results[0].configs).toEqual([]);
  });

  it('describes the broker by node id, and the dynamic defaults for ""', async () => {
    const harness = await start();
    const nodeId = String(harness.broker.services.nodeId);
    const r = await harness.call(ApiKey.DescribeConfigs, 3, request([{ type: BROKER, name: nodeId, keys: ['num.partitions', 'log.segment.bytes', 'node.id'] }], { includeSynonyms: true }));
    const byName = new Map(r.results[0].configs.map((c) => [c.name, c]));
    expect(byName.get('num.partitions')).toMatchObject({ value: '3', configSource: 4, readOnly: true });
    expect(byName.get('log.segment.bytes')).toMatchObject({ configSource: 5, readOnly: false });
    expect(byName.get('node.id')).toMatchObject({ value: nodeId, readOnly: true });
    const defaults = await harness.call(ApiKey.DescribeConfigs, 3, request([{ type: BROKER, name: '' }]));
    expect(defaults.results[0]).toMatchObject({ errorCode: 0, configs: [] });
    const other = await harness.call(ApiKey.DescribeConfigs, 3, request([{ type: BROKER, name: '99' }]));
    expect(other.results[0].errorCode).toBe(ErrorCode.InvalidRequest);
  });

  it('answers BROKER_LOGGER as unsupported, and an unknown type with INVALID_REQUEST for the whole request', async () => {
    const harness = await start();
    const r = await harness.call(ApiKey.DescribeConfigs, 4, request([{ type: BROKER_LOGGER, name: '1' }, { type: TOPIC, name: 't' }]));
    expect(r.results[0]).toMatchObject({ errorCode: ErrorCode.InvalidRequest, errorMessage: 'Unsupported resource type: BROKER_LOGGER' });
    expect(r.results[1].errorCode).toBe(0);
    const bad = await harness.call(ApiKey.DescribeConfigs, 4, request([{ type: 99, name: 'x' }, { type: TOPIC, name: 't' }]));
    expect(bad.results.map((x) => x.errorCode)).toEqual([ErrorCode.InvalidRequest, ErrorCode.InvalidRequest]);
  });
});
