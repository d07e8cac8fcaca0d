import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import type { OffsetDeleteRequest } from '../../../src/protocol/generated/messages/offset-delete.js';
import { createTopic } from '../fetch/fixture.js';
import type { AdminHarness } from './admin-harness.js';
import { joinRequest, startGroupHarness, subscription } from './group-harness.js';

let h: AdminHarness;
beforeAll(async () => {
  h = await startGroupHarness();
  await createTopic(h.broker, 'orders', 2);
  await createTopic(h.broker, 'audit', 1);
});
afterAll(async () => {
  await h.stop();
});

async function commit(groupId: string, topic: string, partition: number, as = { generationId: -1, memberId: '' }) {
  expect(await h.broker.services.groups.commitOffsets({ groupId, ...as, groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, partitions: [{ topic, partition, offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] })).toEqual([0]);
}

const req = (groupId: string, topics: [string, number[]][]): OffsetDeleteRequest => ({
  groupId,
  topics: topics.map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex })) })),
});

describe('OffsetDelete', () => {
  it('deletes the offsets of an empty group; unknown partitions are UNKNOWN_TOPIC_OR_PARTITION', async () => {
    await commit('empty', 'orders', 0);
    await commit('empty', 'orders', 1);
    const r = await h.call(ApiKey.OffsetDelete, 0, req('empty', [['orders', [0, 5]], ['nope', [0]]]));
    expect(r).toEqual({
      errorCode: 0,
      throttleTimeMs: 0,
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 5, errorCode: ErrorCode.UnknownTopicOrPartition }] },
        { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UnknownTopicOrPartition }] },
      ],
    });
    expect(h.broker.services.groups.fetchOffsets('empty', null).offsets.map((o) => o.partition)).toEqual([1]);
  });

  it('a consumer group keeps offsets of topics it subscribes to', async () => {
    const j = await h.call(ApiKey.JoinGroup, 3, joinRequest({ groupId: 'active', protocols: [{ name: 'range', metadata: subscription(['orders']), _unknownTaggedFields: undefined }] }));
    await h.call(ApiKey.SyncGroup, 3, { groupId: 'active', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [], _unknownTaggedFields: undefined });
    await commit('active', 'orders', 0, { generationId: j.generationId, memberId: j.memberId });
    await commit('active', 'audit', 0, { generationId: j.generationId, memberId: j.memberId });
    const r = await h.call(ApiKey.OffsetDelete, 0, req('active', [['orders', [0]], ['audit', [0]]]));
    expect(r.topics.map((t) => t.partitions[0].errorCode)).toEqual([ErrorCode.GroupSubscribedToTopic, 0]);
  });

  it('group errors are top-level without topics', async () => {
    expect(await h.call(ApiKey.OffsetDelete, 0, req('ghost', [['orders', [0]]]))).toEqual({ errorCode: ErrorCode.GroupIdNotFound, throttleTimeMs: 0, topics: [] });
    expect((await h.call(ApiKey.OffsetDelete, 0, req('', [['orders', [0]]]))).errorCode).toBe(ErrorCode.InvalidGroupId);
    await h.call(ApiKey.JoinGroup, 3, joinRequest({ groupId: 'connect', protocolType: 'connect' }));
    expect((await h.call(ApiKey.OffsetDelete, 0, req('connect', [['orders', [0]]]))).errorCode).toBe(ErrorCode.NonEmptyGroup);
  });
});
