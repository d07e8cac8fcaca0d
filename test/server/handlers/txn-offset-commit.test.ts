import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultOffsetFetchRequest } from '../../../src/protocol/generated/messages/offset-fetch.js';
import { defaultTxnOffsetCommitRequest, type TxnOffsetCommitRequest, type TxnOffsetCommitRequestPartition } from '../../../src/protocol/generated/messages/txn-offset-commit.js';
import { coordinatorPartitionFor } from '../../../src/util/java-string-hash.js';
import { createTopic } from '../fetch/fixture.js';
import type { AdminHarness } from './admin-harness.js';
import { stableMember, startGroupHarness } from './group-harness.js';

let h: AdminHarness;
beforeAll(async () => {
  h = await startGroupHarness({ 'offset.metadata.max.bytes': 10 });
  // These tests drive the group side alone, with producer ids no coordinator handed out: the
  // broker's verifier (the transaction coordinator) is replaced where a test needs one.
  h.broker.services.groups.verifyTransaction = undefined;
  await createTopic(h.broker, 'orders', 3);
});
afterAll(async () => {
  await h.stop();
});

function p(partitionIndex: number, offset: number, extra: Partial<TxnOffsetCommitRequestPartition> = {}): TxnOffsetCommitRequestPartition {
  return { partitionIndex, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: null, _unknownTaggedFields: undefined, ...extra };
}

function request(groupId: string, producerId: bigint, topics: { name: string; partitions: TxnOffsetCommitRequestPartition[] }[], extra: Partial<TxnOffsetCommitRequest> = {}): TxnOffsetCommitRequest {
  return {
    ...defaultTxnOffsetCommitRequest(),
    transactionalId: 'app',
    groupId,
    producerId,
    producerEpoch: 0,
    topics: topics.map((t) => ({ ...t, _unknownTaggedFields: undefined })),
    ...extra,
  };
}

const errorsOf = (r: { topics: { partitions: { errorCode: number }[] }[] }) => r.topics.map((t) => t.partitions.map((x) => x.errorCode));

/** OffsetFetch of one partition at `version`: [offset, partition error]. */
async function fetchOffset(groupId: string, partition: number, version: number, requireStable: boolean): Promise<[bigint, number]> {
  const topics = [{ name: 'orders', topicId: '00000000-0000-0000-0000-000000000000', partitionIndexes: [partition], _unknownTaggedFields: undefined }];
  const r = await h.call(ApiKey.OffsetFetch, version, {
    ...defaultOffsetFetchRequest(),
    groupId,
    topics,
    groups: [{ groupId, memberId: null, memberEpoch: -1, topics, _unknownTaggedFields: undefined }],
    requireStable,
  });
  const parts = version >= 8 ? r.groups[0].topics[0].partitions : r.topics[0].partitions;
  return [parts[0].committedOffset, parts[0].errorCode];
}

describe('TxnOffsetCommit', () => {
  it.each([0, 1, 2, 3, 4, 5])('v%i: the offsets stay pending until the transaction commits', async (v) => {
    const groupId = `txn-${v}`;
    const producerId = BigInt(100 + v);
    const r = await h.call(ApiKey.TxnOffsetCommit, v, request(groupId, producerId, [{ name: 'orders', partitions: [p(0, 10 + v, { committedMetadata: 'meta', committedLeaderEpoch: 4 })] }]));
    expect(errorsOf(r)).toEqual([[0]]);
    expect(await fetchOffset(groupId, 0, 6, false)).toEqual([-1n, 0]);
    expect(await fetchOffset(groupId, 0, 7, true)).toEqual([-1n, ErrorCode.UnstableOffsetCommit]);
    expect(await fetchOffset(groupId, 0, 8, true)).toEqual([-1n, ErrorCode.UnstableOffsetCommit]);
    expect(await fetchOffset(groupId, 0, 8, false)).toEqual([-1n, 0]);
    await h.broker.services.groups.completeTxnOffsets(producerId, 0, true);
    expect(await fetchOffset(groupId, 0, 8, true)).toEqual([BigInt(10 + v), 0]);
    const o = h.broker.services.groups.fetchOffsets(groupId, [{ topic: 'orders', partition: 0 }]).offsets[0];
    expect(o).toMatchObject({ metadata: 'meta', leaderEpoch: v >= 2 ? 4 : -1 });
  });

  it('unknown topics and partitions: UNKNOWN_TOPIC_OR_PARTITION; long metadata: OFFSET_METADATA_TOO_LARGE; abort drops the rest', async () => {
    const r = await h.call(ApiKey.TxnOffsetCommit, 3, request('mixed', 200n, [
      { name: 'orders', partitions: [p(0, 1), p(3, 1), p(1, 1, { committedMetadata: '12345678901' })] },
      { name: 'nope', partitions: [p(0, 1)] },
    ]));
    expect(errorsOf(r)).toEqual([[0, ErrorCode.UnknownTopicOrPartition, ErrorCode.OffsetMetadataTooLarge], [ErrorCode.UnknownTopicOrPartition]]);
    await h.broker.services.groups.completeTxnOffsets(200n, 0, false);
    expect(await fetchOffset('mixed', 0, 7, true)).toEqual([-1n, 0]);
  });

  it('v3+: generation and member checks for a group with members; none without member fields', async () => {
    const m = await stableMember(h, 'members');
    const commit = (v: number, generationId: number, memberId: string) =>
      h.call(ApiKey.TxnOffsetCommit, v, request('members', 300n, [{ name: 'orders', partitions: [p(0, 9)] }], { generationId, memberId }));
    expect(errorsOf(await commit(3, m.generationId, m.memberId))).toEqual([[0]]);
    expect(errorsOf(await commit(3, m.generationId + 1, m.memberId))).toEqual([[ErrorCode.IllegalGeneration]]);
    expect(errorsOf(await commit(4, m.generationId, 'other'))).toEqual([[ErrorCode.UnknownMemberId]]);
    expect(errorsOf(await commit(3, -1, ''))).toEqual([[0]]);
    // v0-v2 do not carry the fields: the group's members are not checked.
    expect(errorsOf(await commit(2, 999, 'ignored'))).toEqual([[0]]);
  });

  it('an empty group id is INVALID_GROUP_ID', async () => {
    const r = await h.call(ApiKey.TxnOffsetCommit, 3, request('', 400n, [{ name: 'orders', partitions: [p(0, 1)] }]));
    expect(errorsOf(r)).toEqual([[ErrorCode.InvalidGroupId]]);
  });

  it('the transaction verifier, when set, is asked about the group\'s __consumer_offsets partition', async () => {
    const groups = h.broker.services.groups;
    const asked: unknown[] = [];
    groups.verifyTransaction = (q) => {
      asked.push(q);
      return Promise.resolve(ErrorCode.InvalidTxnState);
    };
    try {
      const r = await h.call(ApiKey.TxnOffsetCommit, 4, request('verified', 500n, [{ name: 'orders', partitions: [p(0, 1), p(1, 1)] }], { producerEpoch: 3 }));
      expect(errorsOf(r)).toEqual([[ErrorCode.InvalidTxnState, ErrorCode.InvalidTxnState]]);
      expect(asked).toEqual([{ transactionalId: 'app', producerId: 500n, producerEpoch: 3, topic: '__consumer_offsets', partition: coordinatorPartitionFor('verified', 50) }]);
      expect(await fetchOffset('verified', 0, 7, true)).toEqual([-1n, 0]);
    } finally {
      groups.verifyTransaction = undefined;
    }
  });
});
