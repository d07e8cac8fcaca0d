import { afterEach, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import {
  defaultIncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsRequest,
} from '../../../src/protocol/generated/messages/incremental-alter-configs.js';
import { startHarness, type AdminHarness } from './admin-harness.js';

let h: AdminHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const TOPIC = 2;
const BROKER = 4;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

type Op = [name: string, op: number, value: string | null];

function request(resources: { type: number; name: string; ops: Op[] }[], validateOnly = false): IncrementalAlterConfigsRequest {
  return {
    ...defaultIncrementalAlterConfigsRequest(),
    resources: resources.map((r) => ({
      resourceType: r.type,
      resourceName: r.name,
      configs: r.ops.map(([name, configOperation, value]) => ({ name, configOperation, value, _unknownTaggedFields: undefined })),
      _unknownTaggedFields: undefined,
    })),
    validateOnly,
  };
}

async function start(): Promise<AdminHarness> {
  h = await startHarness();
  await h.broker.services.metadata.createTopic({
    name: 't',
    numPartitions: 1,
    replicationFactor: 1,
    configs: new Map([['retention.ms', '1000']]),
    validateOnly: false,
  });
  return h;
}

describe('IncrementalAlterConfigs', () => {
  it('applies SET, DELETE, APPEND and SUBTRACT to a topic and leaves other keys alone', async () => {
    const harness = await start();
    const store = harness.broker.services.metadata;
    const r = await harness.call(ApiKey.IncrementalAlterConfigs, 1, request([{ type: TOPIC, name: 't', ops: [['segment.bytes', SET, '1048576'], ['cleanup.policy', APPEND, 'compact']] }]));
    expect(r.responses).toEqual([expect.objectContaining({ errorCode: 0, errorMessage: null, resourceName: 't' })]);
    expect(Object.fromEntries(store.topic('t')!.overrides)).toEqual({ 'retention.ms': '1000', 'segment.bytes': '1048576', 'cleanup.policy': 'delete,compact' });
    expect(harness.broker.services.logs.get('t', 0)!.config.segmentBytes).toBe(1048576);

    await harness.call(ApiKey.IncrementalAlterConfigs, 0, request([{ type: TOPIC, name: 't', ops: [['retention.ms', DELETE, null], ['cleanup.policy', SUBTRACT, 'delete']] }]));
    expect(Object.fromEntries(store.topic('t')!.overrides)).toEqual({ 'segment.bytes': '1048576', 'cleanup.policy': 'compact' });
    expect(harness.broker.services.logs.get('t', 0)!.config.retentionMs).toBe(604800000);
  });

  it('answers INVALID_CONFIG for APPEND on a non-list key and for bad values, and validateOnly changes nothing', async () => {
    const harness = await start();
    const r = await harness.call(
      ApiKey.IncrementalAlterConfigs,
      1,
      request([
        { type: TOPIC, name: 't', ops: [['retention.ms', APPEND, '5']] },
      ]),
    );
    expect(r.responses[0]).toMatchObject({ errorCode: ErrorCode.InvalidConfig, errorMessage: "Can't APPEND to key retention.ms because its type is not LIST." });
    const bad = await harness.call(ApiKey.IncrementalAlterConfigs, 1, request([{ type: TOPIC, name: 't', ops: [['retention.ms', SET, '-5']] }]));
    expect(bad.responses[0].errorCode).toBe(ErrorCode.InvalidConfig);
    const dry = await harness.call(ApiKey.IncrementalAlterConfigs, 1, request([{ type: TOPIC, name: 't', ops: [['retention.ms', SET, '2000']] }], true));
    expect(dry.responses[0].errorCode).toBe(0);
    expect(harness.broker.services.metadata.topic('t')!.overrides.get('retention.ms')).toBe('1000');
  });

  it('answers per-resource request errors as Kafka does', async () => {
    const harness = await start();
    const r = await harness.call(
      ApiKey.IncrementalAlterConfigs,
      1,
      request([
        { type: TOPIC, name: 'missing', ops: [['retention.ms', SET, '1']] },
        { type: TOPIC, name: 't', ops: [['retention.ms', SET, null]] },
        { type: TOPIC, name: 't2', ops: [['retention.ms', SET, '1'], ['retention.ms', DELETE, null]] },
        { type: TOPIC, name: 't3', ops: [['retention.ms', 9, '1']] },
        { type: 8, name: '1', ops: [['root', SET, 'DEBUG']] },
      ]),
    );
    expect(r.responses.map((x) => [x.resourceName, x.errorCode])).toEqual([
      ['missing', ErrorCode.UnknownTopicOrPartition],
      ['t', ErrorCode.InvalidRequest],
      ['t2', ErrorCode.InvalidRequest],
      ['t3', ErrorCode.InvalidRequest],
      ['1', ErrorCode.InvalidRequest],
    ]);
  });

  it('changes dynamic broker configs per broker and cluster-wide', async () => {
    const harness = await start();
    const services = harness.broker.services;
    const nodeId = String(services.nodeId);
    const r = await harness.call(
      ApiKey.IncrementalAlterConfigs,
      1,
      request([
        { type: BROKER, name: '', ops: [['log.cleanup.policy', APPEND, 'compact'], ['message.max.bytes', SET, '2000000']] },
        { type: BROKER, name: nodeId, ops: [['log.retention.bytes', SET, '123456']] },
      ]),
    );
    expect(r.responses.map((x) => x.errorCode)).toEqual([0, 0]);
    expect(Object.fromEntries(services.brokerConfig.layers.dynamicDefault)).toEqual({ 'log.cleanup.policy': 'delete,compact', 'message.max.bytes': '2000000' });
    expect(Object.fromEntries(services.brokerConfig.layers.dynamicBroker)).toEqual({ 'log.retention.bytes': '123456' });
    expect(services.brokerConfig.config.messageMaxBytes).toBe(2000000);
    expect(services.metadata.topic('t')!.config.maxMessageBytes).toBe(2000000);
    expect(services.logs.get('t', 0)!.config.retentionBytes).toBe(123456);

    await harness.call(ApiKey.IncrementalAlterConfigs, 1, request([{ type: BROKER, name: '', ops: [['message.max.bytes', DELETE, null]] }]));
    expect(services.brokerConfig.config.messageMaxBytes).toBe(1048588);

    const refused = await harness.call(ApiKey.IncrementalAlterConfigs, 1, request([{ type: BROKER, name: '', ops: [['listeners', SET, 'PLAINTEXT://:1']], }, { type: BROKER, name: nodeId, ops: [['log.retention.ms', APPEND, '1']] }]));
    expect(refused.responses.map((x) => x.errorCode)).toEqual([ErrorCode.InvalidRequest, ErrorCode.InvalidConfig]);
  });
});
