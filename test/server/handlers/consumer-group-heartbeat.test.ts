/**
 * ConsumerGroupHeartbeat v0-1 through the dispatcher (real encoding at each version): join, leave,
 * errors with messages, and the offsets APIs' member epochs (OffsetCommit/OffsetFetch v9).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatRequest } from '../../../src/protocol/generated/messages/consumer-group-heartbeat.js';
import { defaultOffsetCommitRequest } from '../../../src/protocol/generated/messages/offset-commit.js';
import { defaultOffsetFetchRequest } from '../../../src/protocol/generated/messages/offset-fetch.js';
import { WireClient } from '../../helpers/wire-client.js';
import type { AdminHarness } from './admin-harness.js';
import { startGroupHarness } from './group-harness.js';

let h: AdminHarness;
let topicId: string;
beforeAll(async () => {
  h = await startGroupHarness();
  await h.broker.services.metadata.createTopic({ name: 't', numPartitions: 4, replicationFactor: -1, configs: new Map(), validateOnly: false });
  topicId = h.broker.services.metadata.topic('t')!.topicId;
});
afterAll(async () => {
  await h.stop();
});

const join = (overrides: Partial<ConsumerGroupHeartbeatRequest> = {}): ConsumerGroupHeartbeatRequest => ({
  ...defaultConsumerGroupHeartbeatRequest(),
  groupId: 'g',
  memberId: 'member-1',
  memberEpoch: 0,
  rebalanceTimeoutMs: 30_000,
  subscribedTopicNames: ['t'],
  topicPartitions: [],
  ...overrides,
});

describe('ConsumerGroupHeartbeat', () => {
  it('v1: a member joins with its own id and gets every partition; v0: the broker names the member', async () => {
    const r = await h.call(ApiKey.ConsumerGroupHeartbeat, 1, join());
    expect(r).toMatchObject({ errorCode: 0, errorMessage: null, memberId: 'member-1', memberEpoch: 1, heartbeatIntervalMs: 5000 });
    expect(r.assignment?.topicPartitions.map((tp) => [tp.topicId, tp.partitions])).toEqual([[topicId, [0, 1, 2, 3]]]);

    const v0 = await h.call(ApiKey.ConsumerGroupHeartbeat, 0, join({ groupId: 'g0', memberId: '' }));
    expect(v0.errorCode).toBe(0);
    expect(v0.memberId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('v1 regex subscription; v0 cannot send one', async () => {
    const r = await h.call(ApiKey.ConsumerGroupHeartbeat, 1, join({ groupId: 'rx', subscribedTopicNames: null, subscribedTopicRegex: '[st]' }));
    expect(r.assignment?.topicPartitions[0]?.partitions).toEqual([0, 1, 2, 3]);
    const v0 = await h.call(ApiKey.ConsumerGroupHeartbeat, 0, join({ groupId: 'rx0', subscribedTopicNames: null, subscribedTopicRegex: '[st]' }));
    expect(v0).toMatchObject({ errorCode: ErrorCode.InvalidRequest, errorMessage: 'Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.' });
  });

  it('errors come back top-level with their message', async () => {
    expect(await h.call(ApiKey.ConsumerGroupHeartbeat, 1, join({ memberId: '' }))).toMatchObject({ errorCode: ErrorCode.InvalidRequest, errorMessage: "MemberId can't be empty.", memberId: null });
    expect(await h.call(ApiKey.ConsumerGroupHeartbeat, 1, join({ serverAssignor: 'cooperative-sticky' }))).toMatchObject({ errorCode: ErrorCode.UnsupportedAssignor });
    expect(await h.call(ApiKey.ConsumerGroupHeartbeat, 1, join({ memberId: 'x', memberEpoch: 7, topicPartitions: null }))).toMatchObject({ errorCode: ErrorCode.UnknownMemberId });
    expect(await h.call(ApiKey.ConsumerGroupHeartbeat, 1, join({ groupId: 'nope', memberEpoch: 7 }))).toMatchObject({ errorCode: ErrorCode.GroupIdNotFound, errorMessage: 'Consumer group nope not found.' });
  });

  it('OffsetCommit v9 and OffsetFetch v9 check the member epoch of consumer groups', async () => {
    const commit = (epoch: number, memberId = 'member-1', v = 9) =>
      h.call(ApiKey.OffsetCommit, v, {
        ...defaultOffsetCommitRequest(),
        groupId: 'g',
        generationIdOrMemberEpoch: epoch,
        memberId,
        topics: [{ name: 't', topicId, partitions: [{ partitionIndex: 1, committedOffset: 9n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null, _unknownTaggedFields: undefined }], _unknownTaggedFields: undefined }],
      });
    const code = (r: Awaited<ReturnType<typeof commit>>) => r.topics[0].partitions[0].errorCode;
    expect(code(await commit(1))).toBe(0);
    expect(code(await commit(4))).toBe(ErrorCode.StaleMemberEpoch);
    expect(code(await commit(1, 'ghost'))).toBe(ErrorCode.UnknownMemberId);
    expect(code(await commit(1, 'member-1', 8))).toBe(ErrorCode.UnsupportedVersion);

    const fetch = (memberId: string | null, memberEpoch: number) =>
      h.call(ApiKey.OffsetFetch, 9, {
        ...defaultOffsetFetchRequest(),
        groups: [{ groupId: 'g', memberId, memberEpoch, topics: null, _unknownTaggedFields: undefined }],
      });
    const ok = await fetch('member-1', 1);
    expect(ok.groups[0].errorCode).toBe(0);
    expect(ok.groups[0].topics[0].partitions.map((p) => [p.partitionIndex, p.committedOffset])).toEqual([[1, 9n]]);
    expect((await fetch('member-1', 3)).groups[0].errorCode).toBe(ErrorCode.StaleMemberEpoch);
    expect((await fetch(null, -1)).groups[0].errorCode).toBe(0);
  });

  it('leaving with epoch -1', async () => {
    const r = await h.call(ApiKey.ConsumerGroupHeartbeat, 1, join({ groupId: 'leave', memberId: 'a' }));
    expect(r.errorCode).toBe(0);
    expect(await h.call(ApiKey.ConsumerGroupHeartbeat, 1, join({ groupId: 'leave', memberId: 'a', memberEpoch: -1 }))).toMatchObject({ errorCode: 0, memberId: 'a', memberEpoch: -1, assignment: null });
  });
});

describe('ConsumerGroupHeartbeat over a socket (hand-built requests, test/helpers/wire-client.ts)', () => {
  it('two members reconcile: revocation first, then the released partitions, each in its own epoch', async () => {
    const a = await WireClient.connect(h.broker.port);
    const b = await WireClient.connect(h.broker.port);
    try {
      const owned = (ps: number[]) => [{ topicId, partitions: ps, _unknownTaggedFields: undefined }];
      const beat = (c: WireClient, memberId: string, memberEpoch: number, ps: number[]) =>
        c.send(ApiKey.ConsumerGroupHeartbeat, 1, { ...defaultConsumerGroupHeartbeatRequest(), groupId: 'wire', memberId, memberEpoch, topicPartitions: owned(ps) });
      const parts = (r: { assignment: { topicPartitions: { partitions: number[] }[] } | null }) => r.assignment?.topicPartitions.flatMap((tp) => tp.partitions) ?? null;

      const ja = await a.send(ApiKey.ConsumerGroupHeartbeat, 1, join({ groupId: 'wire', memberId: 'a' }));
      expect([ja.memberEpoch, parts(ja)]).toEqual([1, [0, 1, 2, 3]]);
      const jb = await b.send(ApiKey.ConsumerGroupHeartbeat, 1, join({ groupId: 'wire', memberId: 'b' }));
      expect([jb.memberEpoch, parts(jb)]).toEqual([2, []]);
      const r1 = await beat(a, 'a', 1, [0, 1, 2, 3]);
      expect([r1.memberEpoch, parts(r1)]).toEqual([1, [0, 1]]);
      const r2 = await beat(a, 'a', 1, [0, 1]);
      expect([r2.memberEpoch, parts(r2)]).toEqual([2, null]);
      const r3 = await beat(b, 'b', 2, []);
      expect([r3.memberEpoch, parts(r3)]).toEqual([2, [2, 3]]);
      const d = await a.send(ApiKey.ConsumerGroupDescribe, 1, { groupIds: ['wire'], includeAuthorizedOperations: false, _unknownTaggedFields: undefined });
      expect(d.groups[0]).toMatchObject({ groupState: 'Stable', groupEpoch: 2, assignmentEpoch: 2 });
    } finally {
      a.close();
      b.close();
    }
  });
});
