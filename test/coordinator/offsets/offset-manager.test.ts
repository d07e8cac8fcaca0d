/**
 * Committed offsets through the coordinator: commit checks (generation, member, simple commits),
 * fetch, OffsetDelete, DeleteGroups, expiry by offsets.retention.minutes on the ManualClock, and
 * topic deletion.
 */
import { describe, expect, it } from '@jest/globals';
import type { CommitOffsetsParams, CommitPartition } from '../../../src/coordinator/offsets/offset-manager.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { fixturePerTest } from '../fixture-per-test.js';
import { commitPart, stableMember, flush, joinParams, settle, track } from '../helpers.js';

const f = fixturePerTest();
const c = () => f.coordinator;

function commit(partitions: CommitPartition[], extra: Partial<CommitOffsetsParams> = {}): Promise<number[]> {
  return c().commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, partitions, ...extra });
}

function offsetOf(topic: string, partition: number, groupId = 'g'): bigint {
  const r = c().fetchOffsets(groupId, [{ topic, partition }]);
  return r.offsets[0].offset;
}

describe('OffsetCommit and OffsetFetch', () => {
  it('a simple commit (generation -1, no member) creates an empty group; fetch returns what was committed', async () => {
    expect(await commit([commitPart('t', 0, 10, { metadata: 'm0', leaderEpoch: 3 }), commitPart('t', 1, 20)])).toEqual([0, 0]);
    const r = c().fetchOffsets('g', [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
      { topic: 't', partition: 2 },
      { topic: 'u', partition: 0 },
    ]);
    expect(r.errorCode).toBe(0);
    expect(r.offsets).toEqual([
      { topic: 't', partition: 0, offset: 10n, leaderEpoch: 3, metadata: 'm0', errorCode: 0 },
      { topic: 't', partition: 1, offset: 20n, leaderEpoch: -1, metadata: '', errorCode: 0 },
      { topic: 't', partition: 2, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: 0 },
      { topic: 'u', partition: 0, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: 0 },
    ]);
    expect(c().describeGroup('g')).toMatchObject({ state: 'Empty', protocolType: '' });
    // All partitions of the group.
    expect(c().fetchOffsets('g', null).offsets.map((o) => [o.topic, o.partition, o.offset])).toEqual([
      ['t', 0, 10n],
      ['t', 1, 20n],
    ]);
    // A group that does not exist has nothing committed.
    expect(c().fetchOffsets('nobody', [{ topic: 't', partition: 0 }]).offsets[0].offset).toBe(-1n);
    expect(c().fetchOffsets('nobody', null).offsets).toEqual([]);
  });

  it('the empty group id is accepted for commits and fetches, as Kafka does', async () => {
    expect(await commit([commitPart('t', 0, 1)], { groupId: '' })).toEqual([0]);
    expect(offsetOf('t', 0, '')).toBe(1n);
  });

  it('a later commit replaces the earlier one', async () => {
    await commit([commitPart('t', 0, 10)]);
    await commit([commitPart('t', 0, 11)]);
    expect(offsetOf('t', 0)).toBe(11n);
  });

  it('metadata longer than offset.metadata.max.bytes is OFFSET_METADATA_TOO_LARGE for that partition only', async () => {
    f.config = { ...f.config, offsetMetadataMaxBytes: 5 };
    expect(await commit([commitPart('t', 0, 1, { metadata: '123456' }), commitPart('t', 1, 2, { metadata: '12345' })])).toEqual([ErrorCode.OffsetMetadataTooLarge, 0]);
    expect(offsetOf('t', 0)).toBe(-1n);
    expect(offsetOf('t', 1)).toBe(2n);
  });

  it('members commit with their generation; wrong generation, unknown member and fencing are refused', async () => {
    const r = await stableMember(f);
    const as = { generationId: r.generationId, memberId: r.memberId };
    expect(await commit([commitPart('t', 0, 5)], as)).toEqual([0]);
    expect(await commit([commitPart('t', 0, 6)], { ...as, generationId: 7 })).toEqual([ErrorCode.IllegalGeneration]);
    expect(await commit([commitPart('t', 0, 6)], { ...as, memberId: 'x' })).toEqual([ErrorCode.UnknownMemberId]);
    expect(await commit([commitPart('t', 0, 6)], { ...as, groupInstanceId: 'not-static' })).toEqual([ErrorCode.UnknownMemberId]);
    // A simple commit to a group with members.
    expect(await commit([commitPart('t', 0, 6)])).toEqual([ErrorCode.UnknownMemberId]);
    expect(offsetOf('t', 0)).toBe(5n);
  });

  it('commits during PreparingRebalance are accepted, during CompletingRebalance REBALANCE_IN_PROGRESS', async () => {
    const r = await stableMember(f);
    const joining = track(c().joinGroup(joinParams({ clientId: 'b' })));
    expect(await commit([commitPart('t', 0, 5)], { generationId: 1, memberId: r.memberId })).toEqual([0]);
    const rejoin = track(c().joinGroup(joinParams({ memberId: r.memberId })));
    await settle(rejoin);
    await settle(joining);
    expect(c().describeGroup('g').state).toBe('CompletingRebalance');
    expect(await commit([commitPart('t', 0, 6)], { generationId: 2, memberId: r.memberId })).toEqual([ErrorCode.RebalanceInProgress]);
  });

  it('a commit with a generation to a group that does not exist: ILLEGAL_GENERATION, from v9 GROUP_ID_NOT_FOUND', async () => {
    expect(await commit([commitPart('t', 0, 1)], { generationId: 3, memberId: 'm', apiVersion: 8 })).toEqual([ErrorCode.IllegalGeneration]);
    expect(await commit([commitPart('t', 0, 1)], { generationId: 3, memberId: 'm', apiVersion: 9 })).toEqual([ErrorCode.GroupIdNotFound]);
  });

  it('commits keep a member\'s session alive', async () => {
    const r = await stableMember(f);
    for (let i = 0; i < 5; i++) {
      f.clock.advance(5000);
      expect(await commit([commitPart('t', 0, i)], { generationId: 1, memberId: r.memberId })).toEqual([0]);
    }
    expect(c().describeGroup('g').state).toBe('Stable');
  });

  it('COORDINATOR_LOAD_IN_PROGRESS for every partition while loading', async () => {
    c().groups.loading = true;
    expect(await commit([commitPart('t', 0, 1), commitPart('t', 1, 1)])).toEqual([ErrorCode.CoordinatorLoadInProgress, ErrorCode.CoordinatorLoadInProgress]);
    expect(c().fetchOffsets('g', null).errorCode).toBe(ErrorCode.CoordinatorLoadInProgress);
    c().groups.loading = false;
  });
});

describe('OffsetDelete', () => {
  it('deletes offsets of an empty group, and the group with its last offset', async () => {
    await commit([commitPart('t', 0, 1), commitPart('u', 0, 2)]);
    expect(await c().deleteOffsets('g', [{ topic: 't', partition: 0 }, { topic: 't', partition: 9 }])).toEqual({ errorCode: 0, partitions: [0, 0] });
    expect(offsetOf('t', 0)).toBe(-1n);
    expect(offsetOf('u', 0)).toBe(2n);
    await c().deleteOffsets('g', [{ topic: 'u', partition: 0 }]);
    expect(c().listGroups().groups).toEqual([]);
  });

  it('GROUP_SUBSCRIBED_TO_TOPIC for topics a consumer group\'s members subscribe to; others are deleted', async () => {
    const r = await stableMember(f);
    await commit([commitPart('t', 0, 1), commitPart('old', 0, 2)], { generationId: 1, memberId: r.memberId });
    expect(await c().deleteOffsets('g', [{ topic: 't', partition: 0 }, { topic: 'old', partition: 0 }])).toEqual({
      errorCode: 0,
      partitions: [ErrorCode.GroupSubscribedToTopic, 0],
    });
    expect(offsetOf('t', 0)).toBe(1n);
    expect(offsetOf('old', 0)).toBe(-1n);
  });

  it('NON_EMPTY_GROUP for other groups with members; GROUP_ID_NOT_FOUND; INVALID_GROUP_ID', async () => {
    const j = track(c().joinGroup(joinParams({ groupId: 'connect', protocolType: 'connect' })));
    f.clock.advance(0);
    await settle(j);
    expect(await c().deleteOffsets('connect', [{ topic: 't', partition: 0 }])).toEqual({ errorCode: ErrorCode.NonEmptyGroup, partitions: [] });
    expect(await c().deleteOffsets('nobody', [{ topic: 't', partition: 0 }])).toEqual({ errorCode: ErrorCode.GroupIdNotFound, partitions: [] });
    expect(await c().deleteOffsets('', [])).toEqual({ errorCode: ErrorCode.InvalidGroupId, partitions: [] });
  });
});

describe('DeleteGroups', () => {
  it('deletes empty groups with their offsets; NON_EMPTY_GROUP and GROUP_ID_NOT_FOUND otherwise', async () => {
    await commit([commitPart('t', 0, 1)], { groupId: 'empty' });
    await stableMember(f, { groupId: 'busy' });
    const results = await c().deleteGroups(['empty', 'busy', 'nobody', 'empty']);
    expect([...results]).toEqual([
      ['empty', 0],
      ['busy', ErrorCode.NonEmptyGroup],
      ['nobody', ErrorCode.GroupIdNotFound],
    ]);
    expect(offsetOf('t', 0, 'empty')).toBe(-1n);
    expect(c().listGroups().groups.map((g) => g.groupId)).toEqual(['busy']);
    // Gone after a restart too.
    await f.restart();
    expect(c().listGroups().groups.map((g) => g.groupId)).toEqual(['busy']);
    expect(offsetOf('t', 0, 'empty')).toBe(-1n);
  });

  it('a deleted group can be used again from scratch', async () => {
    await commit([commitPart('t', 0, 1)]);
    await c().deleteGroups(['g']);
    const r = await stableMember(f);
    expect(r.generationId).toBe(1);
  });
});

describe('offset expiry (offsets.retention.minutes)', () => {
  const DAY = 24 * 3600 * 1000;

  it('offsets of an empty group expire a retention period after the group emptied, then the group goes', async () => {
    f.config = { ...f.config, offsetsRetentionMs: DAY, offsetsRetentionCheckIntervalMs: 3600_000 };
    const r = await stableMember(f);
    await commit([commitPart('t', 0, 42)], { generationId: 1, memberId: r.memberId });
    // The member goes silent: its session expires after 10 s and the group empties.
    await f.clock.advanceAsync(DAY);
    expect(offsetOf('t', 0)).toBe(42n);
    await f.clock.advanceAsync(3600_000);
    expect(offsetOf('t', 0)).toBe(-1n);
    expect(c().listGroups().groups).toEqual([]);
  });

  it('a stable group keeps its offsets however old; an empty one loses them only after the retention', async () => {
    f.config = { ...f.config, offsetsRetentionMs: DAY, offsetsRetentionCheckIntervalMs: 3600_000 };
    const r = await stableMember(f, { sessionTimeoutMs: 1_800_000 });
    await commit([commitPart('t', 0, 42)], { generationId: 1, memberId: r.memberId });
    for (let i = 0; i < 90; i++) {
      await f.clock.advanceAsync(1200_000);
      expect(c().heartbeat({ groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: null })).toBe(0);
    }
    expect(offsetOf('t', 0)).toBe(42n);
    await c().leaveGroup('g', [{ memberId: r.memberId, groupInstanceId: null, reason: null }]);
    await f.clock.advanceAsync(DAY - 3600_000);
    expect(offsetOf('t', 0)).toBe(42n);
    await f.clock.advanceAsync(2 * 3600_000);
    expect(offsetOf('t', 0)).toBe(-1n);
  });

  it('a stable consumer group loses offsets of topics no member subscribes to any more', async () => {
    f.config = { ...f.config, offsetsRetentionMs: DAY, offsetsRetentionCheckIntervalMs: 3600_000 };
    const r = await stableMember(f, { sessionTimeoutMs: 1_800_000 });
    await commit([commitPart('t', 0, 1), commitPart('gone', 0, 2)], { generationId: 1, memberId: r.memberId });
    for (let i = 0; i < 78; i++) {
      await f.clock.advanceAsync(1200_000);
      expect(c().heartbeat({ groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: null })).toBe(0);
    }
    expect(offsetOf('t', 0)).toBe(1n);
    expect(offsetOf('gone', 0)).toBe(-1n);
  });

  it('a simple group\'s offsets expire a retention period after each commit', async () => {
    f.config = { ...f.config, offsetsRetentionMs: DAY, offsetsRetentionCheckIntervalMs: 3600_000 };
    await commit([commitPart('t', 0, 1)]);
    await f.clock.advanceAsync(12 * 3600_000);
    await commit([commitPart('t', 1, 1)]);
    await f.clock.advanceAsync(13 * 3600_000);
    expect(offsetOf('t', 0)).toBe(-1n);
    expect(offsetOf('t', 1)).toBe(1n);
    await f.clock.advanceAsync(12 * 3600_000);
    expect(offsetOf('t', 1)).toBe(-1n);
    expect(c().listGroups().groups).toEqual([]);
  });

  it('a retention time sent with the commit (v2-v4) sets that offset\'s expiry', async () => {
    f.config = { ...f.config, offsetsRetentionMs: 7 * DAY, offsetsRetentionCheckIntervalMs: 3600_000 };
    await commit([commitPart('t', 0, 1)], { retentionTimeMs: 2 * 3600_000 });
    await commit([commitPart('t', 1, 1)]);
    await f.clock.advanceAsync(3 * 3600_000);
    expect(offsetOf('t', 0)).toBe(-1n);
    expect(offsetOf('t', 1)).toBe(1n);
  });

  it('an empty group without offsets is removed at the next check', async () => {
    const r = await stableMember(f);
    await c().leaveGroup('g', [{ memberId: r.memberId, groupInstanceId: null, reason: null }]);
    expect(c().listGroups().groups).toHaveLength(1);
    await f.clock.advanceAsync(f.config.offsetsRetentionCheckIntervalMs);
    expect(c().listGroups().groups).toHaveLength(0);
    await f.restart();
    expect(c().listGroups().groups).toHaveLength(0);
  });
});

describe('topic deletion', () => {
  it('removes the committed offsets of the topic from every group', async () => {
    await commit([commitPart('doomed', 0, 1), commitPart('doomed', 1, 1), commitPart('kept', 0, 1)], { groupId: 'a' });
    await commit([commitPart('doomed', 0, 5)], { groupId: 'b' });
    await c().onTopicDeleted('doomed');
    expect(offsetOf('doomed', 0, 'a')).toBe(-1n);
    expect(offsetOf('kept', 0, 'a')).toBe(1n);
    expect(offsetOf('doomed', 0, 'b')).toBe(-1n);
    // b had nothing else and was empty: it is gone.
    expect(c().listGroups().groups.map((g) => g.groupId)).toEqual(['a']);
    await flush();
  });
});
