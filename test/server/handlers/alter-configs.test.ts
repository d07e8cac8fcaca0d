import { afterEach, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultAlterConfigsRequest, type AlterConfigsRequest } from '../../../src/protocol/generated/messages/alter-configs.js';
import { startHarness, type AdminHarness } from './admin-harness.js';

let h: AdminHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;

function request(resources: { type: number; name: string; configs: Record<string, string | null> }[], validateOnly = false): AlterConfigsRequest {
  return {
    ...defaultAlterConfigsRequest(),
    resources: resources.map((r) => ({
      resourceType: r.type,
      resourceName: r.name,
      configs: Object.entries(r.configs).map(([name, value]) => ({ name, value, _unknownTaggedFields: undefined })),
      _unknownTaggedFields: undefined,
    })),
    validateOnly,
  };
}

async function start(): Promise<AdminHarness> {
  h = await startHarness();
  await h.broker.services.metadata.createTopic({
    name: 't',
    numPartitions: 2,
    replicationFactor: 1,
    configs: new Map([
      ['cleanup.policy', 'compact'],
      ['retention.ms', '1000'],
    ]),
    validateOnly: false,
  });
  return h;
}

describe('AlterConfigs', () => {
  it("replaces a topic's whole override set, and the partition logs follow", async () => {
    const harness = await start();
    const r = await harness.call(ApiKey.AlterConfigs, 0, request([{ type: TOPIC, name: 't', configs: { 'segment.bytes': '1048576' } }]));
    expect(r.responses).toEqual([expect.objectContaining({ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: 't' })]);
    const topic = harness.broker.services.metadata.topic('t')!;
    expect([...topic.overrides]).toEqual([['segment.bytes', '1048576']]);
    const log = harness.broker.services.logs.get('t', 1)!;
    expect(log.config.segmentBytes).toBe(1048576);
    expect(log.config.retentionMs).toBe(604800000);
  });

  it('validateOnly changes nothing; bad configs are INVALID_CONFIG', async () => {
    const harness = await start();
    const dry = await harness.call(ApiKey.AlterConfigs, 1, request([{ type: TOPIC, name: 't', configs: {} }], true));
    expect(dry.responses[0].errorCode).toBe(0);
    expect(harness.broker.services.metadata.topic('t')!.overrides.size).toBe(2);
    const bad = await harness.call(ApiKey.AlterConfigs, 2, request([{ type: TOPIC, name: 't', configs: { 'max.message.bytes': 'lots' } }]));
    expect(bad.responses[0]).toMatchObject({ errorCode: ErrorCode.InvalidConfig, errorMessage: expect.stringContaining('max.message.bytes') });
    expect(harness.broker.services.metadata.topic('t')!.overrides.size).toBe(2);
  });

  it('answers per-resource errors as Kafka does', async () => {
    const harness = await start();
    const r = await harness.call(
      ApiKey.AlterConfigs,
      2,
      request([
        { type: TOPIC, name: 'missing', configs: {} },
        { type: TOPIC, name: '', configs: {} },
        { type: TOPIC, name: 'bad name', configs: {} },
        { type: TOPIC, name: 'dup', configs: {} },
        { type: TOPIC, name: 'dup', configs: {} },
        { type: TOPIC, name: 't', configs: { 'retention.ms': null } },
        { type: BROKER_LOGGER, name: '1', configs: {} },
        { type: 77, name: 'x', configs: {} },
        { type: BROKER, name: '42', configs: {} },
        { type: BROKER, name: 'one', configs: {} },
      ]),
    );
    expect(r.responses.map((x) => [x.resourceName, x.errorCode, x.errorMessage])).toEqual([
      ['missing', ErrorCode.UnknownTopicOrPartition, expect.any(String)],
      ['', ErrorCode.InvalidRequest, 'Default topic resources are not allowed.'],
      ['bad name', ErrorCode.InvalidTopicException, expect.any(String)],
      ['dup', ErrorCode.InvalidRequest, 'Each resource must appear at most once.'],
      ['dup', ErrorCode.InvalidRequest, 'Each resource must appear at most once.'],
      ['t', ErrorCode.InvalidRequest, 'Null value not supported for : retention.ms'],
      ['1', ErrorCode.InvalidRequest, 'Unknown resource type 8'],
      ['x', ErrorCode.InvalidRequest, 'Unknown resource type 77'],
      ['42', ErrorCode.InvalidRequest, `Unexpected broker id, expected ${harness.broker.services.nodeId}, but received 42`],
      ['one', ErrorCode.InvalidRequest, 'Node id must be an integer, but it is: one'],
    ]);
  });

  it('sets dynamic broker configs, replacing the layer; topics without overrides follow', async () => {
    const harness = await start();
    const services = harness.broker.services;
    await services.metadata.createTopic({ name: 'plain', numPartitions: 1, replicationFactor: 1, configs: new Map(), validateOnly: false });
    const r = await harness.call(ApiKey.AlterConfigs, 1, request([{ type: BROKER, name: '', configs: { 'log.retention.ms': '7200000', 'log.segment.bytes': '2097152' } }]));
    expect(r.responses[0].errorCode).toBe(0);
    expect(services.metadata.topic('plain')!.config.retentionMs).toBe(7200000);
    expect(services.logs.get('plain', 0)!.config.segmentBytes).toBe(2097152);
    // The override still wins.
    expect(services.metadata.topic('t')!.config.retentionMs).toBe(1000);

    // The next AlterConfigs replaces the layer: log.segment.bytes goes back to its default.
    await harness.call(ApiKey.AlterConfigs, 1, request([{ type: BROKER, name: '', configs: { 'log.retention.ms': '7200000' } }]));
    expect([...services.brokerConfig.layers.dynamicDefault]).toEqual([['log.retention.ms', '7200000']]);
    expect(services.logs.get('plain', 0)!.config.segmentBytes).toBe(1073741824);
  });

  it('refuses read-only broker configs with INVALID_REQUEST', async () => {
    const harness = await start();
    const nodeId = String(harness.broker.services.nodeId);
    const r = await harness.call(ApiKey.AlterConfigs, 0, request([{ type: BROKER, name: nodeId, configs: { 'num.partitions': '5' } }]));
    expect(r.responses[0]).toMatchObject({ errorCode: ErrorCode.InvalidRequest, errorMessage: 'Cannot update these configs dynamically: [num.partitions]' });
    expect(harness.broker.services.brokerConfig.config.numPartitions).toBe(1);
  });
});
