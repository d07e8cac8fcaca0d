import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultOffsetFetchRequest } from '../../../src/protocol/generated/messages/offset-fetch.js';
import { ZERO_UUID } from '../../../src/protocol/reader.js';
import { createTopic } from '../fetch/fixture.js';
import type { AdminHarness } from './admin-harness.js';
import { startGroupHarness } from './group-harness.js';

let h: AdminHarness;
let topicId: string;

async function commit(groupId: string, partition: number, offset: number, leaderEpoch = 3) {
  const r = await h.broker.services.groups.commitOffsets({ groupId, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, partitions: [{ topic: 'orders', partition, offset: BigInt(offset), leaderEpoch, metadata: `m${offset}`, commitTimestamp: -1 }] });
  expect(r).toEqual([0]);
}

beforeAll(async () => {
  h = await startGroupHarness();
  topicId = await createTopic(h.broker, 'orders', 3);
  await commit('g', 0, 100);
  await commit('g', 2, 300);
  await commit('other', 1, 11);
});
afterAll(async () => {
  await h.stop();
});

const topic = (name: string, partitionIndexes: number[]) => ({ name, partitionIndexes, _unknownTaggedFields: undefined });

describe('OffsetFetch', () => {
  it.each([0, 1, 2, 3, 4, 5, 6, 7])('v%i: committed offsets, -1 with empty metadata where nothing is committed', async (v) => {
    const r = await h.call(ApiKey.OffsetFetch, v, { ...defaultOffsetFetchRequest(), groupId: 'g', topics: [topic('orders', [0, 1])], requireStable: v >= 7 });
    expect(r.errorCode).toBe(0);
    expect(r.topics).toHaveLength(1);
    expect(r.topics[0].partitions.map((x) => [x.partitionIndex, x.committedOffset, x.metadata, x.errorCode])).toEqual([
      [0, 100n, 'm100', 0],
      [1, -1n, '', 0],
    ]);
    if (v >= 5) expect(r.topics[0].partitions[0].committedLeaderEpoch).toBe(3);
  });

  it('v0: unknown topics and partitions are UNKNOWN_TOPIC_OR_PARTITION; from v1 they are just not committed', async () => {
    const v0 = await h.call(ApiKey.OffsetFetch, 0, { ...defaultOffsetFetchRequest(), groupId: 'g', topics: [topic('orders', [0, 7]), topic('nope', [0])] });
    expect(v0.topics.map((t) => t.partitions.map((x) => x.errorCode))).toEqual([[0, ErrorCode.UnknownTopicOrPartition], [ErrorCode.UnknownTopicOrPartition]]);
    const v1 = await h.call(ApiKey.OffsetFetch, 1, { ...defaultOffsetFetchRequest(), groupId: 'g', topics: [topic('nope', [0])] });
    expect(v1.topics[0].partitions[0]).toMatchObject({ committedOffset: -1n, errorCode: 0 });
  });

  it('v2+: null topics fetch every committed partition of the group', async () => {
    const r = await h.call(ApiKey.OffsetFetch, 6, { ...defaultOffsetFetchRequest(), groupId: 'g', topics: null });
    expect(r.topics.map((t) => [t.name, t.partitions.map((x) => [x.partitionIndex, x.committedOffset])])).toEqual([
      ['orders', [[0, 100n], [2, 300n]]],
    ]);
  });

  it('group errors: on every partition before v2, top-level from v2', async () => {
    h.broker.services.groups.groups.loading = true;
    try {
      const v1 = await h.call(ApiKey.OffsetFetch, 1, { ...defaultOffsetFetchRequest(), groupId: 'g', topics: [topic('orders', [0, 1])] });
      expect(v1.topics[0].partitions.map((x) => [x.errorCode, x.committedOffset])).toEqual([
        [ErrorCode.CoordinatorLoadInProgress, -1n],
        [ErrorCode.CoordinatorLoadInProgress, -1n],
      ]);
      const v2 = await h.call(ApiKey.OffsetFetch, 2, { ...defaultOffsetFetchRequest(), groupId: 'g', topics: [topic('orders', [0])] });
      expect(v2).toMatchObject({ errorCode: ErrorCode.CoordinatorLoadInProgress, topics: [] });
      const v8 = await h.call(ApiKey.OffsetFetch, 8, { ...defaultOffsetFetchRequest(), groups: [{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null, _unknownTaggedFields: undefined }] });
      expect(v8.groups[0]).toMatchObject({ errorCode: ErrorCode.CoordinatorLoadInProgress, topics: [] });
    } finally {
      h.broker.services.groups.groups.loading = false;
    }
  });

  it('v8+: several groups, one result each', async () => {
    const r = await h.call(ApiKey.OffsetFetch, 9, {
      ...defaultOffsetFetchRequest(),
      groups: [
        { groupId: 'g', memberId: null, memberEpoch: -1, topics: [{ name: 'orders', topicId: ZERO_UUID, partitionIndexes: [2], _unknownTaggedFields: undefined }], _unknownTaggedFields: undefined },
        { groupId: 'other', memberId: null, memberEpoch: -1, topics: null, _unknownTaggedFields: undefined },
        { groupId: 'nobody', memberId: null, memberEpoch: -1, topics: null, _unknownTaggedFields: undefined },
      ],
    });
    expect(r.groups.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((t) => t.partitions.map((x) => [t.name, x.partitionIndex, x.committedOffset]))])).toEqual([
      ['g', 0, [['orders', 2, 300n]]],
      ['other', 0, [['orders', 1, 11n]]],
      ['nobody', 0, []],
    ]);
  });

  it('v10: topics by id; an unknown id is UNKNOWN_TOPIC_ID', async () => {
    const unknownId = '00000000-0000-0000-0000-0000000000ff';
    const r = await h.call(ApiKey.OffsetFetch, 10, {
      ...defaultOffsetFetchRequest(),
      groups: [
        {
          groupId: 'g',
          memberId: null,
          memberEpoch: -1,
          topics: [
            { name: '', topicId, partitionIndexes: [0], _unknownTaggedFields: undefined },
            { name: '', topicId: unknownId, partitionIndexes: [0], _unknownTaggedFields: undefined },
          ],
          _unknownTaggedFields: undefined,
        },
        { groupId: 'other', memberId: null, memberEpoch: -1, topics: null, _unknownTaggedFields: undefined },
      ],
    });
    expect(r.groups[0].topics.map((t) => [t.topicId, t.partitions[0].committedOffset, t.partitions[0].errorCode])).toEqual([
      [topicId, 100n, 0],
      [unknownId, -1n, ErrorCode.UnknownTopicId],
    ]);
    expect(r.groups[1].topics.map((t) => t.topicId)).toEqual([topicId]);
  });
});
