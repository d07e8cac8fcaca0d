import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultOffsetCommitRequest, type OffsetCommitRequest, type OffsetCommitRequestPartition } from '../../../src/protocol/generated/messages/offset-commit.js';
import { ZERO_UUID } from '../../../src/protocol/reader.js';
import { createTopic } from '../fetch/fixture.js';
import type { AdminHarness } from './admin-harness.js';
import { stableMember, startGroupHarness } from './group-harness.js';

let h: AdminHarness;
let topicId: string;
beforeAll(async () => {
  h = await startGroupHarness({ 'offset.metadata.max.bytes': 10 });
  topicId = await createTopic(h.broker, 'orders', 3);
});
afterAll(async () => {
  await h.stop();
});

function p(partitionIndex: number, offset: number, extra: Partial<OffsetCommitRequestPartition> = {}): OffsetCommitRequestPartition {
  return { partitionIndex, committedOffset: BigInt(offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null, _unknownTaggedFields: undefined, ...extra };
}

function request(groupId: string, topics: { name?: string; topicId?: string; partitions: OffsetCommitRequestPartition[] }[], extra: Partial<OffsetCommitRequest> = {}): OffsetCommitRequest {
  return {
    ...defaultOffsetCommitRequest(),
    groupId,
    topics: topics.map((t) => ({ name: t.name ?? '', topicId: t.topicId ?? ZERO_UUID, partitions: t.partitions, _unknownTaggedFields: undefined })),
    ...extra,
  };
}

const errorsOf = (r: { topics: { partitions: { errorCode: number }[] }[] }) => r.topics.map((t) => t.partitions.map((x) => x.errorCode));
const committed = (groupId: string, partition: number) => h.broker.services.groups.fetchOffsets(groupId, [{ topic: 'orders', partition }]).offsets[0];

describe('OffsetCommit', () => {
  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])('v%i: a simple commit is stored', async (v) => {
    const groupId = `simple-${v}`;
    const r = await h.call(ApiKey.OffsetCommit, v, request(groupId, [{ name: 'orders', partitions: [p(0, 10 + v, { committedMetadata: 'meta', committedLeaderEpoch: 4 })] }]));
    expect(errorsOf(r)).toEqual([[0]]);
    expect(committed(groupId, 0)).toMatchObject({ offset: BigInt(10 + v), metadata: 'meta', leaderEpoch: v >= 6 ? 4 : -1 });
  });

  it('v10: topics by id; an unknown id is UNKNOWN_TOPIC_ID', async () => {
    const r = await h.call(ApiKey.OffsetCommit, 10, request('by-id', [{ topicId, partitions: [p(1, 5)] }, { topicId: '00000000-0000-0000-0000-00000000abcd', partitions: [p(0, 1)] }]));
    expect(r.topics.map((t) => t.topicId)).toEqual([topicId, '00000000-0000-0000-0000-00000000abcd']);
    expect(errorsOf(r)).toEqual([[0], [ErrorCode.UnknownTopicId]]);
    expect(committed('by-id', 1).offset).toBe(5n);
  });

  it('unknown topics and partitions: UNKNOWN_TOPIC_OR_PARTITION; long metadata: OFFSET_METADATA_TOO_LARGE', async () => {
    const r = await h.call(ApiKey.OffsetCommit, 8, request('mixed', [
      { name: 'orders', partitions: [p(0, 1), p(3, 1), p(1, 1, { committedMetadata: '12345678901' })] },
      { name: 'nope', partitions: [p(0, 1)] },
    ]));
    expect(errorsOf(r)).toEqual([[0, ErrorCode.UnknownTopicOrPartition, ErrorCode.OffsetMetadataTooLarge], [ErrorCode.UnknownTopicOrPartition]]);
  });

  it('v1+: generation checks for members', async () => {
    const m = await stableMember(h, 'members');
    const commit = (generationIdOrMemberEpoch: number, memberId: string) =>
      h.call(ApiKey.OffsetCommit, 7, request('members', [{ name: 'orders', partitions: [p(0, 9)] }], { generationIdOrMemberEpoch, memberId }));
    expect(errorsOf(await commit(m.generationId, m.memberId))).toEqual([[0]]);
    expect(errorsOf(await commit(m.generationId + 1, m.memberId))).toEqual([[ErrorCode.IllegalGeneration]]);
    expect(errorsOf(await commit(m.generationId, 'other'))).toEqual([[ErrorCode.UnknownMemberId]]);
    expect(errorsOf(await commit(-1, ''))).toEqual([[ErrorCode.UnknownMemberId]]);
    expect(errorsOf(await h.call(ApiKey.OffsetCommit, 9, request('no-such-group', [{ name: 'orders', partitions: [p(0, 1)] }], { generationIdOrMemberEpoch: 3, memberId: 'm' })))).toEqual([[ErrorCode.GroupIdNotFound]]);
  });

  it('v2-v4: the retention time is kept with the offset', async () => {
    const r = await h.call(ApiKey.OffsetCommit, 2, request('retention', [{ name: 'orders', partitions: [p(0, 1)] }], { retentionTimeMs: 60_000n }));
    expect(errorsOf(r)).toEqual([[0]]);
    const o = h.broker.services.groups.offsets.get('retention', 'orders', 0)!;
    expect(o.expireTimestamp - o.commitTimestamp).toBe(60_000);
  });

  it('v1: the commit timestamp sent per partition is kept', async () => {
    await h.call(ApiKey.OffsetCommit, 1, request('ts', [{ name: 'orders', partitions: [p(0, 1, { commitTimestamp: 12345n })] }], { generationIdOrMemberEpoch: -1 }));
    expect(h.broker.services.groups.offsets.get('ts', 'orders', 0)!.commitTimestamp).toBe(12345);
  });
});
