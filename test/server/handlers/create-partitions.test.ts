import { afterEach, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultCreatePartitionsRequest, type CreatePartitionsRequest } from '../../../src/protocol/generated/messages/create-partitions.js';
import { startHarness, type AdminHarness } from './admin-harness.js';

let h: AdminHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function request(topics: { name: string; count: number; assignments?: number[][] | null }[], validateOnly = false): CreatePartitionsRequest {
  return {
    ...defaultCreatePartitionsRequest(),
    topics: topics.map((t) => ({
      name: t.name,
      count: t.count,
      assignments: t.assignments === undefined || t.assignments === null ? null : t.assignments.map((brokerIds) => ({ brokerIds, _unknownTaggedFields: undefined })),
      _unknownTaggedFields: undefined,
    })),
    timeoutMs: 5000,
    validateOnly,
  };
}

async function start(): Promise<AdminHarness> {
  h = await startHarness();
  for (const name of ['a', 'b']) await h.broker.services.metadata.createTopic({ name, numPartitions: 2, replicationFactor: 1, configs: new Map([['retention.ms', '5000']]), validateOnly: false });
  return h;
}

describe('CreatePartitions', () => {
  it('POLICY_VIOLATION for every topic when the request would add more than 10,000 partitions in all', async () => {
    const harness = await start();
    const r = await harness.call(ApiKey.CreatePartitions, 3, request([{ name: 'a', count: 6_000 }, { name: 'b', count: 6_000 }]));
    expect(r.results.map((t) => [t.name, t.errorCode, t.errorMessage])).toEqual([
      ['a', ErrorCode.PolicyViolation, 'Excessively large number of partitions per request.'],
      ['b', ErrorCode.PolicyViolation, 'Excessively large number of partitions per request.'],
    ]);
    expect((await harness.call(ApiKey.CreatePartitions, 3, request([{ name: 'a', count: 0x7fffffff }]))).results[0].errorCode).toBe(ErrorCode.PolicyViolation);
    expect(harness.broker.services.metadata.topic('a')!.partitions).toBe(2);
    expect((await harness.call(ApiKey.CreatePartitions, 3, request([{ name: 'a', count: 10_002 }], true))).results[0].errorCode).toBe(ErrorCode.None);
  });

  it('adds partitions whose logs take the topic config', async () => {
    const harness = await start();
    const r = await harness.call(ApiKey.CreatePartitions, 3, request([{ name: 'a', count: 5 }]));
    expect(r.results).toEqual([expect.objectContaining({ name: 'a', errorCode: 0, errorMessage: null })]);
    expect(harness.broker.services.metadata.topic('a')!.partitions).toBe(5);
    expect(harness.broker.services.logs.get('a', 4)!.config.retentionMs).toBe(5000);
  });

  it('validateOnly changes nothing', async () => {
    const harness = await start();
    const r = await harness.call(ApiKey.CreatePartitions, 1, request([{ name: 'a', count: 5 }], true));
    expect(r.results[0].errorCode).toBe(0);
    expect(harness.broker.services.metadata.topic('a')!.partitions).toBe(2);
  });

  it('answers Kafka error codes per topic', async () => {
    const harness = await start();
    const nodeId = harness.broker.services.nodeId;
    const r = await harness.call(
      ApiKey.CreatePartitions,
      0,
      request([
        { name: 'missing', count: 3 },
        { name: 'a', count: 2 },
        { name: 'b', count: 1 },
        { name: 'x', count: 9 },
        { name: 'x', count: 9 },
      ]),
    );
    expect(r.results.map((x) => [x.name, x.errorCode])).toEqual([
      ['x', ErrorCode.InvalidRequest],
      ['missing', ErrorCode.UnknownTopicOrPartition],
      ['a', ErrorCode.InvalidPartitions],
      ['b', ErrorCode.InvalidPartitions],
    ]);
    const assign = await harness.call(
      ApiKey.CreatePartitions,
      2,
      request([
        { name: 'a', count: 4, assignments: [[nodeId]] },
        { name: 'b', count: 3, assignments: [[nodeId + 1]] },
      ]),
    );
    expect(assign.results.map((x) => x.errorCode)).toEqual([ErrorCode.InvalidReplicaAssignment, ErrorCode.InvalidReplicaAssignment]);
    const ok = await harness.call(ApiKey.CreatePartitions, 2, request([{ name: 'b', count: 4, assignments: [[nodeId], [nodeId]] }]));
    expect(ok.results[0].errorCode).toBe(0);
  });
});
