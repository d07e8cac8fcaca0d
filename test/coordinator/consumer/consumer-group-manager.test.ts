/**
 * KIP-848 consumer groups through the coordinator, driven with a ManualClock: joining, server-side
 * assignment, reconciliation (revocations first, unreleased partitions), session and rebalance
 * timeouts, leaving, static members, every error code, offsets with member epochs, interplay with
 * classic groups, and persistence across a restart. No sleeping.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import type { ConsumerGroupHeartbeatParams, ConsumerGroupHeartbeatResult } from '../../../src/coordinator/consumer/consumer-group-manager.js';
import type { TopicPartitionsValue } from '../../../src/coordinator/records.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { fixturePerTest } from '../fixture-per-test.js';
import { flush, joinParams, settle, track } from '../helpers.js';

const f = fixturePerTest({ consumerGroupSessionTimeoutMs: 45_000, consumerGroupHeartbeatIntervalMs: 5000 });
beforeEach(() => {
  f.topics.add('t', 6);
});

const c = () => f.coordinator;

function params(overrides: Partial<ConsumerGroupHeartbeatParams> = {}): ConsumerGroupHeartbeatParams {
  return {
    groupId: 'g',
    memberId: 'm1',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['t'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    apiVersion: 1,
    ...overrides,
  };
}

function hb(overrides: Partial<ConsumerGroupHeartbeatParams> = {}): Promise<ConsumerGroupHeartbeatResult> {
  return c().consumerGroupHeartbeat(params(overrides));
}

/** A regular heartbeat that only carries what changed (here: the owned partitions). */
function beat(memberId: string, memberEpoch: number, owned: TopicPartitionsValue[] | null, extra: Partial<ConsumerGroupHeartbeatParams> = {}) {
  return hb({ memberId, memberEpoch, topicPartitions: owned, subscribedTopicNames: null, rebalanceTimeoutMs: -1, ...extra });
}

const tp = (partitions: number[], topic = 't'): TopicPartitionsValue[] => [{ topicId: f.topics.id(topic), partitions }];
const parts = (r: ConsumerGroupHeartbeatResult) => (r.assignment === null ? null : r.assignment.flatMap((x) => x.partitions).sort((a, b) => a - b));
const describeGroup = (groupId = 'g') => c().consumerGroupDescribe([groupId])[0];
const memberOf = (memberId: string, groupId = 'g') => describeGroup(groupId).members.find((m) => m.memberId === memberId);

/** Two members, stable at epoch 2, m1 with 0-2 and m2 with 3-5. */
async function twoStableMembers(): Promise<void> {
  await hb({ memberId: 'm1' });
  await hb({ memberId: 'm2' });
  await beat('m1', 1, tp([0, 1, 2, 3, 4, 5]));
  expect((await beat('m1', 1, tp([0, 1, 2]))).memberEpoch).toBe(2);
  expect(parts(await beat('m2', 2, []))).toEqual([3, 4, 5]);
  expect(describeGroup().groupState).toBe('Stable');
}

describe('joining and assignment', () => {
  it('the first member gets every partition at epoch 1 and the heartbeat interval', async () => {
    const r = await hb();
    expect(r).toMatchObject({ errorCode: ErrorCode.None, errorMessage: null, memberId: 'm1', memberEpoch: 1, heartbeatIntervalMs: 5000 });
    expect(r.assignment).toEqual([{ topicId: f.topics.id('t'), partitions: [0, 1, 2, 3, 4, 5] }]);
    const d = describeGroup();
    expect(d).toMatchObject({ errorCode: 0, groupState: 'Stable', groupEpoch: 1, assignmentEpoch: 1, assignorName: 'uniform' });
    expect(d.members).toEqual([
      {
        memberId: 'm1',
        instanceId: null,
        rackId: null,
        memberEpoch: 1,
        clientId: 'client',
        clientHost: '/127.0.0.1',
        subscribedTopicNames: ['t'],
        subscribedTopicRegex: null,
        assignment: [{ topicId: f.topics.id('t'), topicName: 't', partitions: [0, 1, 2, 3, 4, 5] }],
        targetAssignment: [{ topicId: f.topics.id('t'), topicName: 't', partitions: [0, 1, 2, 3, 4, 5] }],
      },
    ]);
  });

  it('v0: the coordinator chooses the member id (Kafka Uuid form)', async () => {
    const r = await hb({ memberId: '', apiVersion: 0 });
    expect(r.errorCode).toBe(0);
    expect(r.memberId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(memberOf(r.memberId!)?.memberEpoch).toBe(1);
  });

  it('a second member: revocation first, then the released partitions (unreleased meanwhile)', async () => {
    await hb({ memberId: 'm1' });
    const j = await hb({ memberId: 'm2' });
    // Its target (3-5) is still held by m1: it joins epoch 2 with nothing yet.
    expect(j).toMatchObject({ errorCode: 0, memberEpoch: 2 });
    expect(parts(j)).toEqual([]);
    expect(describeGroup()).toMatchObject({ groupState: 'Reconciling', groupEpoch: 2, assignmentEpoch: 2 });

    // m1 must give up 3-5 first: it stays at epoch 1 with 0-2.
    const r1 = await beat('m1', 1, tp([0, 1, 2, 3, 4, 5]));
    expect(r1.memberEpoch).toBe(1);
    expect(parts(r1)).toEqual([0, 1, 2]);
    // Still owning them: nothing moves, and the assignment is not repeated.
    const again = await beat('m1', 1, tp([0, 1, 2, 3, 4, 5]));
    expect(again.memberEpoch).toBe(1);
    expect(again.assignment).toBeNull();
    // m2 asks meanwhile: nothing released yet.
    expect((await beat('m2', 2, [])).assignment).toBeNull();

    // Revoked: m1 moves to epoch 2, and m2 gets 3-5 on its next heartbeat.
    const r2 = await beat('m1', 1, tp([0, 1, 2]));
    expect(r2.memberEpoch).toBe(2);
    expect(r2.assignment).toBeNull();
    const r3 = await beat('m2', 2, []);
    expect(parts(r3)).toEqual([3, 4, 5]);
    expect(describeGroup().groupState).toBe('Stable');
  });

  it('a full request (rebalance timeout, subscription and owned partitions) always gets the assignment', async () => {
    await hb();
    const r = await hb({ memberEpoch: 1, topicPartitions: tp([0, 1, 2, 3, 4, 5]) });
    expect(parts(r)).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await beat('m1', 1, tp([0, 1, 2, 3, 4, 5]))).assignment).toBeNull();
  });

  it('the range assignor when the members ask for it', async () => {
    await hb({ memberId: 'a', serverAssignor: 'range' });
    await hb({ memberId: 'b', serverAssignor: 'range' });
    expect(describeGroup().assignorName).toBe('range');
    expect(memberOf('a')!.targetAssignment[0].partitions).toEqual([0, 1, 2]);
    expect(memberOf('b')!.targetAssignment[0].partitions).toEqual([3, 4, 5]);
  });

  it('a subscription change bumps the epoch and moves partitions of dropped topics to revocation', async () => {
    f.topics.add('u', 2);
    await hb({ subscribedTopicNames: ['t', 'u'] });
    expect(memberOf('m1')!.assignment.map((a) => a.topicName).sort()).toEqual(['t', 'u']);
    const r = await hb({ memberEpoch: 1, subscribedTopicNames: ['u'], topicPartitions: [...tp([0, 1, 2, 3, 4, 5]), ...tp([0, 1], 'u')] });
    expect(r.memberEpoch).toBe(1);
    expect(r.assignment).toEqual(tp([0, 1], 'u'));
    const done = await beat('m1', 1, tp([0, 1], 'u'));
    expect(done.memberEpoch).toBe(2);
    expect(describeGroup()).toMatchObject({ groupEpoch: 2, groupState: 'Stable' });
  });

  it('more partitions in a subscribed topic: the next heartbeat bumps the epoch and assigns them', async () => {
    await hb();
    f.topics.add('t', 8);
    const r = await beat('m1', 1, tp([0, 1, 2, 3, 4, 5]));
    expect(r.memberEpoch).toBe(2);
    expect(parts(r)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('a topic created after the subscription is assigned once it exists', async () => {
    const r = await hb({ subscribedTopicNames: ['later'] });
    expect(parts(r)).toEqual([]);
    f.topics.add('later', 2);
    const r2 = await beat('m1', r.memberEpoch, []);
    expect(r2.memberEpoch).toBe(2);
    expect(parts(r2)).toEqual([0, 1]);
  });

  it('regex subscriptions (v1) match whole topic names, and new matching topics join the assignment', async () => {
    f.topics.add('orders-eu', 1);
    f.topics.add('orders-us', 1);
    f.topics.add('xorders-eu', 1);
    const r = await hb({ subscribedTopicNames: null, subscribedTopicRegex: 'orders-.*' });
    expect(r.assignment!.map((a) => f.topics.topicById(a.topicId)!.name).sort()).toEqual(['orders-eu', 'orders-us']);
    expect(memberOf('m1')!.subscribedTopicRegex).toBe('orders-.*');
    f.topics.add('orders-asia', 1);
    const r2 = await beat('m1', 1, r.assignment);
    expect(r2.memberEpoch).toBe(2);
    expect(r2.assignment!.map((a) => f.topics.topicById(a.topicId)!.name).sort()).toEqual(['orders-asia', 'orders-eu', 'orders-us']);
    expect(await c().deleteOffsets('g', [{ topic: 'orders-asia', partition: 0 }])).toEqual({ errorCode: 0, partitions: [ErrorCode.GroupSubscribedToTopic] });
  });
});

describe('errors', () => {
  it.each<[string, Partial<ConsumerGroupHeartbeatParams>, string]>([
    ['an empty member id (v1)', { memberId: '' }, "MemberId can't be empty."],
    ['an empty member id with an epoch', { memberId: '', memberEpoch: 3, apiVersion: 0 }, "MemberId can't be empty."],
    ['an empty group id', { groupId: '' }, "GroupId can't be empty."],
    ['an empty instance id', { instanceId: '' }, "InstanceId can't be empty."],
    ['an empty rack id', { rackId: '' }, "RackId can't be empty."],
    ['a join without rebalance timeout', { rebalanceTimeoutMs: -1 }, 'RebalanceTimeoutMs must be provided in first request.'],
    ['a join owning partitions', { topicPartitions: [{ topicId: 'x', partitions: [0] }] }, 'TopicPartitions must be empty when (re-)joining.'],
    ['a join without owned partitions', { topicPartitions: null }, 'TopicPartitions must be empty when (re-)joining.'],
    ['a join without subscription', { subscribedTopicNames: null }, 'Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.'],
    ['a static leave without instance id', { memberEpoch: -2 }, "InstanceId can't be null."],
    ['an epoch below -2', { memberEpoch: -3 }, 'MemberEpoch is invalid.'],
  ])('INVALID_REQUEST: %s', async (_name, overrides, message) => {
    expect(await hb(overrides)).toMatchObject({ errorCode: ErrorCode.InvalidRequest, errorMessage: message, memberId: null });
  });

  it('UNSUPPORTED_ASSIGNOR', async () => {
    expect(await hb({ serverAssignor: 'sticky' })).toMatchObject({
      errorCode: ErrorCode.UnsupportedAssignor,
      errorMessage: 'ServerAssignor sticky is not supported. Supported assignors: uniform, range.',
    });
  });

  it('INVALID_REGULAR_EXPRESSION', async () => {
    const r = await hb({ subscribedTopicNames: null, subscribedTopicRegex: 'a(' });
    expect(r.errorCode).toBe(ErrorCode.InvalidRegularExpression);
    expect(r.errorMessage).toMatch(/^SubscribedTopicRegex `a\(` is not a valid regular expression: /);
  });

  it('GROUP_ID_NOT_FOUND: a heartbeat with an epoch to a group that does not exist', async () => {
    expect(await beat('m1', 3, [])).toMatchObject({ errorCode: ErrorCode.GroupIdNotFound, errorMessage: 'Consumer group g not found.' });
    expect(await hb({ memberEpoch: -1 })).toMatchObject({ errorCode: ErrorCode.GroupIdNotFound, errorMessage: 'Group g not found.' });
  });

  it('UNKNOWN_MEMBER_ID: a member the group does not know', async () => {
    await hb();
    expect(await beat('other', 1, [])).toMatchObject({ errorCode: ErrorCode.UnknownMemberId, errorMessage: 'Member other is not a member of group g.' });
    expect(await hb({ memberId: 'other', memberEpoch: -1 })).toMatchObject({ errorCode: ErrorCode.UnknownMemberId });
  });

  it('FENCED_MEMBER_EPOCH: an epoch ahead, or behind without being the previous one with a subset', async () => {
    await twoStableMembers();
    expect(await beat('m1', 3, tp([0, 1, 2]))).toMatchObject({ errorCode: ErrorCode.FencedMemberEpoch });
    expect((await beat('m1', 3, tp([0, 1, 2]))).errorMessage).toMatch(/greater member epoch \(3\) than the one known by the group coordinator \(2\)/);
    // m1's previous epoch is 1 (its response may have been lost): accepted with a subset of its partitions.
    expect(await beat('m1', 1, tp([0, 1]))).toMatchObject({ errorCode: 0, memberEpoch: 2 });
    expect(await beat('m1', 1, tp([0, 1, 2, 3]))).toMatchObject({ errorCode: ErrorCode.FencedMemberEpoch });
    expect(await beat('m2', 0 + 1, [])).toMatchObject({ errorCode: ErrorCode.FencedMemberEpoch });
  });

  it('GROUP_MAX_SIZE_REACHED: new members beyond group.consumer.max.size; existing ones carry on', async () => {
    f.config = { ...f.config, consumerGroupMaxSize: 1 };
    await hb();
    expect(await hb({ memberId: 'm2' })).toMatchObject({ errorCode: ErrorCode.GroupMaxSizeReached, errorMessage: 'The consumer group has reached its maximum capacity of 1 members.' });
    expect((await beat('m1', 1, tp([0, 1, 2, 3, 4, 5]))).errorCode).toBe(0);
  });

  it('GROUP_ID_NOT_FOUND: the id of a classic group with members', async () => {
    const j = track(c().joinGroup(joinParams()));
    f.clock.advance(0);
    await settle(j);
    expect(await hb()).toMatchObject({ errorCode: ErrorCode.GroupIdNotFound, errorMessage: 'Group g is not a consumer group.' });
    expect(describeGroup()).toMatchObject({ errorCode: ErrorCode.GroupIdNotFound, errorMessage: 'Group g is not a consumer group.' });
  });

  it('COORDINATOR_NOT_AVAILABLE after shutdown', async () => {
    c().shutdown();
    expect((await hb()).errorCode).toBe(ErrorCode.CoordinatorNotAvailable);
  });
});

describe('leaving and timeouts', () => {
  it('memberEpoch -1 leaves: the epoch is bumped and the others take the partitions', async () => {
    await twoStableMembers();
    expect(await hb({ memberId: 'm2', memberEpoch: -1, subscribedTopicNames: [], rebalanceTimeoutMs: 0, topicPartitions: [] })).toMatchObject({
      errorCode: 0,
      memberId: 'm2',
      memberEpoch: -1,
    });
    expect(describeGroup()).toMatchObject({ groupEpoch: 3, groupState: 'Assigning' });
    const r = await beat('m1', 2, tp([0, 1, 2]));
    expect(r.memberEpoch).toBe(3);
    expect(parts(r)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(describeGroup().groupState).toBe('Stable');
    expect((await hb({ memberId: 'm1', memberEpoch: -1 })).errorCode).toBe(0);
    expect(describeGroup()).toMatchObject({ groupState: 'Empty', members: [] });
  });

  it('a member that stops heartbeating is fenced after group.consumer.session.timeout.ms, and its partitions move', async () => {
    await twoStableMembers();
    // m1 keeps heartbeating every 5 s; m2 goes silent.
    for (let i = 0; i < 8; i++) {
      await f.clock.advanceAsync(5000);
      await beat('m1', 2, tp([0, 1, 2]));
    }
    expect(memberOf('m2')).toBeDefined();
    await f.clock.advanceAsync(5000);
    await c().consumerGroups.idle('g');
    expect(memberOf('m2')).toBeUndefined();
    const r = await beat('m1', 2, tp([0, 1, 2]));
    expect(r.memberEpoch).toBe(3);
    expect(parts(r)).toEqual([0, 1, 2, 3, 4, 5]);
    // The fenced member learns it on its next heartbeat, and rejoins.
    expect((await beat('m2', 2, tp([3, 4, 5]))).errorCode).toBe(ErrorCode.UnknownMemberId);
  });

  it('a member that does not revoke within its rebalance timeout is fenced', async () => {
    await hb({ memberId: 'm1', rebalanceTimeoutMs: 10_000 });
    await hb({ memberId: 'm2' });
    expect((await beat('m1', 1, tp([0, 1, 2, 3, 4, 5]))).memberEpoch).toBe(1);
    await f.clock.advanceAsync(5000);
    expect((await beat('m1', 1, tp([0, 1, 2, 3, 4, 5]))).errorCode).toBe(0);
    await f.clock.advanceAsync(5001);
    await c().consumerGroups.idle('g');
    expect(memberOf('m1')).toBeUndefined();
    expect(parts(await beat('m2', 2, []))).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('static members', () => {
  it('a static member leaves with -2 and its successor gets the same partitions at once, without a rebalance', async () => {
    await hb({ memberId: 'a1', instanceId: 'A' });
    await hb({ memberId: 'b1', instanceId: 'B' });
    await beat('a1', 1, tp([0, 1, 2, 3, 4, 5]), { instanceId: 'A' });
    await beat('a1', 1, tp([0, 1, 2]), { instanceId: 'A' });
    const bParts = parts(await beat('b1', 2, [], { instanceId: 'B' }));
    expect(bParts).toEqual([3, 4, 5]);

    expect(await hb({ memberId: 'b1', instanceId: 'B', memberEpoch: -2 })).toMatchObject({ errorCode: 0, memberId: 'b1', memberEpoch: -2 });
    expect(memberOf('b1')!.memberEpoch).toBe(-2);
    // The partitions stay reserved: a is not given them.
    expect((await beat('a1', 2, tp([0, 1, 2]), { instanceId: 'A' })).assignment).toBeNull();

    const back = await hb({ memberId: 'b2', instanceId: 'B' });
    expect(back).toMatchObject({ errorCode: 0, memberId: 'b2', memberEpoch: 2 });
    expect(parts(back)).toEqual([3, 4, 5]);
    const d = describeGroup();
    expect(d).toMatchObject({ groupEpoch: 2, groupState: 'Stable' });
    expect(d.members.map((m) => [m.memberId, m.instanceId]).sort()).toEqual([
      ['a1', 'A'],
      ['b2', 'B'],
    ]);
    // The old incarnation is fenced.
    expect(await beat('b1', 2, tp([3, 4, 5]), { instanceId: 'B' })).toMatchObject({ errorCode: ErrorCode.FencedInstanceId, errorMessage: 'Static member b1 with instance id B was fenced by member b2.' });
  });

  it('UNRELEASED_INSTANCE_ID: a new incarnation while the previous one has not left', async () => {
    await hb({ memberId: 'a1', instanceId: 'A' });
    expect(await hb({ memberId: 'a2', instanceId: 'A' })).toMatchObject({
      errorCode: ErrorCode.UnreleasedInstanceId,
      errorMessage: 'Static member a2 with instance id A cannot join the group because the instance id is owned by a1 member.',
    });
    expect(await beat('a1', 1, [], { instanceId: 'Z' })).toMatchObject({ errorCode: ErrorCode.UnknownMemberId, errorMessage: 'Instance id Z is unknown.' });
  });

  it('a static member that left with -2 and never comes back is fenced when its session expires', async () => {
    await hb({ memberId: 'a1', instanceId: 'A' });
    await hb({ memberId: 'a1', instanceId: 'A', memberEpoch: -2 });
    await f.clock.advanceAsync(45_000);
    await c().consumerGroups.idle('g');
    expect(describeGroup()).toMatchObject({ groupState: 'Empty', members: [] });
  });
});

describe('offsets with member epochs', () => {
  const commit = (memberId: string, epoch: number, apiVersion = 9) =>
    c().commitOffsets({
      groupId: 'g',
      generationId: epoch,
      memberId,
      groupInstanceId: null,
      retentionTimeMs: -1,
      apiVersion,
      partitions: [{ topic: 't', partition: 0, offset: 5n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }],
    });

  it('commits need the member current epoch (STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID, UNSUPPORTED_VERSION before v9)', async () => {
    await hb();
    expect(await commit('m1', 1)).toEqual([0]);
    expect(await commit('m1', 0)).toEqual([ErrorCode.StaleMemberEpoch]);
    expect(await commit('m1', 2)).toEqual([ErrorCode.StaleMemberEpoch]);
    expect(await commit('nobody', 1)).toEqual([ErrorCode.UnknownMemberId]);
    expect(await commit('', -1)).toEqual([ErrorCode.UnknownMemberId]);
    expect(await commit('m1', 1, 8)).toEqual([ErrorCode.UnsupportedVersion]);
    expect(c().fetchOffsets('g', [{ topic: 't', partition: 0 }], { memberId: 'm1', memberEpoch: 1 }).offsets[0].offset).toBe(5n);
    expect(c().fetchOffsets('g', null, { memberId: 'm1', memberEpoch: 0 }).errorCode).toBe(ErrorCode.StaleMemberEpoch);
    expect(c().fetchOffsets('g', null, { memberId: 'x', memberEpoch: 1 }).errorCode).toBe(ErrorCode.UnknownMemberId);
    expect(c().fetchOffsets('g', null, { memberId: null, memberEpoch: -1 }).errorCode).toBe(0);
    // Once the group is empty, admin commits (epoch -1) are accepted.
    await hb({ memberEpoch: -1 });
    expect(await commit('', -1)).toEqual([0]);
  });
});

describe('groups: listing, deleting, classic interplay', () => {
  it('ListGroups shows consumer groups with type "consumer" and their state, and filters by type and state', async () => {
    await hb();
    await c().commitOffsets({ groupId: 'simple', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 9, partitions: [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] });
    const all = c().listGroups().groups.map((g) => [g.groupId, g.protocolType, g.state, g.type]).sort();
    expect(all).toEqual([
      ['g', 'consumer', 'Stable', 'consumer'],
      ['simple', '', 'Empty', 'classic'],
    ]);
    expect(c().listGroups([], ['consumer']).groups.map((g) => g.groupId)).toEqual(['g']);
    expect(c().listGroups([], ['classic']).groups.map((g) => g.groupId)).toEqual(['simple']);
    expect(c().listGroups(['stable']).groups.map((g) => g.groupId)).toEqual(['g']);
    expect(c().describeGroup('g')).toMatchObject({ exists: false, errorMessage: 'Group g is not a classic group.' });
  });

  it('DeleteGroups: NON_EMPTY_GROUP with members; once empty the group and its offsets go', async () => {
    await hb();
    await c().commitOffsets({ groupId: 'g', generationId: 1, memberId: 'm1', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 9, partitions: [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] });
    expect(await c().deleteGroups(['g'])).toEqual(new Map([['g', ErrorCode.NonEmptyGroup]]));
    await hb({ memberEpoch: -1 });
    expect(await c().deleteGroups(['g'])).toEqual(new Map([['g', 0]]));
    expect(describeGroup()).toMatchObject({ errorCode: ErrorCode.GroupIdNotFound, errorMessage: 'Group g not found.' });
    expect(c().fetchOffsets('g', null).offsets).toEqual([]);
    // The group id is free again, for either protocol.
    expect((await hb({ memberId: 'again' })).memberEpoch).toBe(1);
  });

  it('a consumer member converts an empty classic group (offsets only) and keeps its offsets', async () => {
    await c().commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 9, partitions: [{ topic: 't', partition: 2, offset: 7n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] });
    expect(c().listGroups().groups[0]).toMatchObject({ groupId: 'g', type: 'classic' });
    expect((await hb()).errorCode).toBe(0);
    expect(c().listGroups().groups).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Stable', type: 'consumer' }]);
    expect(c().fetchOffsets('g', null).offsets.map((o) => o.offset)).toEqual([7n]);
  });

  it('JoinGroup: INCONSISTENT_GROUP_PROTOCOL for a consumer group with members; an empty one becomes classic', async () => {
    await hb();
    const j = await c().joinGroup(joinParams());
    expect(j.errorCode).toBe(ErrorCode.InconsistentGroupProtocol);
    await hb({ memberEpoch: -1 });
    const j2 = track(c().joinGroup(joinParams()));
    await flush();
    f.clock.advance(0);
    expect((await settle(j2)).errorCode).toBe(0);
    expect(c().listGroups().groups[0]).toMatchObject({ groupId: 'g', type: 'classic' });
    expect(describeGroup()).toMatchObject({ errorCode: ErrorCode.GroupIdNotFound, errorMessage: 'Group g is not a consumer group.' });
  });

  it('offsets of an empty consumer group expire a retention period after their commit, then the group goes', async () => {
    await hb();
    await c().commitOffsets({ groupId: 'g', generationId: 1, memberId: 'm1', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 9, partitions: [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] });
    f.clock.advance(f.config.offsetsRetentionMs + 1);
    // Subscribed topics keep their offsets while members subscribe to them.
    expect(await c().cleanupExpiredOffsets()).toBe(0);
    await hb({ memberEpoch: -1 });
    expect(await c().cleanupExpiredOffsets()).toBe(1);
    expect(describeGroup().errorCode).toBe(ErrorCode.GroupIdNotFound);
  });
});

describe('persistence', () => {
  it('a restart brings back epochs, members, target and current assignments; sessions start over', async () => {
    f.topics.add('u', 2);
    await twoStableMembers();
    await hb({ memberId: 's1', instanceId: 'S', subscribedTopicNames: ['u'], serverAssignor: 'uniform' });
    const before = describeGroup();
    await c().snapshot();
    await hb({ memberId: 'm3' });
    const withM3 = describeGroup();
    expect(withM3.members).toHaveLength(4);
    await f.restart();
    expect(describeGroup()).toEqual(withM3);
    expect(before.groupEpoch).toBeLessThan(withM3.groupEpoch);
    // Members carry on with their epochs; the silent ones expire one session after the restart.
    const m3 = memberOf('m3')!;
    await f.clock.advanceAsync(30_000);
    expect((await beat('m3', m3.memberEpoch, [])).errorCode).toBe(0);
    await f.clock.advanceAsync(15_000);
    await c().consumerGroups.idle('g');
    expect(describeGroup().members.map((m) => m.memberId)).toEqual(['m3']);
  });
});
