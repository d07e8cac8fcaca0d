/**
 * The reconciliation state machine on its own: revocation before assignment, unreleased partitions,
 * unsubscribed topics, epochs.
 */
import { describe, expect, it } from '@jest/globals';
import type { Assignment } from '../../../src/coordinator/consumer/assignment.js';
import { newMember, type ConsumerGroupMember } from '../../../src/coordinator/consumer/consumer-group.js';
import { FencedMemberEpochError, ownsRevokedPartitions, reconcile, type ReconcileInput } from '../../../src/coordinator/consumer/reconciliation.js';

const A = (o: Record<string, number[]>): Assignment => new Map(Object.entries(o).map(([t, ps]) => [t, new Set(ps)]));
const plain = (a: Assignment) => Object.fromEntries([...a].map(([t, ps]) => [t, [...ps].sort((x, y) => x - y)]));

function member(overrides: Partial<ConsumerGroupMember> = {}): ConsumerGroupMember {
  return { ...newMember('m'), subscribedTopicNames: ['t'], ...overrides };
}

function input(overrides: Partial<ReconcileInput>): ReconcileInput {
  return {
    member: member(),
    targetAssignmentEpoch: 1,
    targetAssignment: A({}),
    subscribedTopicIds: new Set(['T']),
    currentPartitionEpoch: () => -1,
    ownedTopicPartitions: [],
    ...overrides,
  };
}

describe('reconcile', () => {
  it('a joining member takes its free target partitions and moves to the target epoch', () => {
    const next = reconcile(input({ targetAssignmentEpoch: 3, targetAssignment: A({ T: [0, 1] }) }));
    expect(next).toMatchObject({ state: 'stable', memberEpoch: 3, previousMemberEpoch: 0 });
    expect(plain(next.assignedPartitions)).toEqual({ T: [0, 1] });
  });

  it('partitions still held by another member are unreleased: the member waits for them at the target epoch', () => {
    const held = new Set([1]);
    const next = reconcile(input({ targetAssignment: A({ T: [0, 1] }), currentPartitionEpoch: (_t, p) => (held.has(p) ? 4 : -1) }));
    expect(next).toMatchObject({ state: 'unreleased_partitions', memberEpoch: 1 });
    expect(plain(next.assignedPartitions)).toEqual({ T: [0] });
    held.clear();
    const later = reconcile(input({ member: next, targetAssignment: A({ T: [0, 1] }), currentPartitionEpoch: () => -1 }));
    expect(later).toMatchObject({ state: 'stable', memberEpoch: 1 });
    expect(plain(later.assignedPartitions)).toEqual({ T: [0, 1] });
  });

  it('revocation comes first: nothing new is given until the member no longer owns the revoked partitions', () => {
    const m = member({ memberEpoch: 1, assignedPartitions: A({ T: [0, 1, 2] }) });
    const step1 = reconcile(input({ member: m, targetAssignmentEpoch: 2, targetAssignment: A({ T: [0, 3] }), ownedTopicPartitions: [{ topicId: 'T', partitions: [0, 1, 2] }] }));
    expect(step1).toMatchObject({ state: 'unrevoked_partitions', memberEpoch: 1 });
    expect(plain(step1.assignedPartitions)).toEqual({ T: [0] });
    expect(plain(step1.partitionsPendingRevocation)).toEqual({ T: [1, 2] });
    // Still owning 2: no progress.
    const still = reconcile(input({ member: step1, targetAssignmentEpoch: 2, targetAssignment: A({ T: [0, 3] }), ownedTopicPartitions: [{ topicId: 'T', partitions: [0, 2] }] }));
    expect(still).toBe(step1);
    // Unknown ownership (null) counts as still owning.
    expect(reconcile(input({ member: step1, targetAssignmentEpoch: 2, targetAssignment: A({ T: [0, 3] }), ownedTopicPartitions: null }))).toBe(step1);
    const step2 = reconcile(input({ member: step1, targetAssignmentEpoch: 2, targetAssignment: A({ T: [0, 3] }), ownedTopicPartitions: [{ topicId: 'T', partitions: [0] }] }));
    expect(step2).toMatchObject({ state: 'stable', memberEpoch: 2, previousMemberEpoch: 1 });
    expect(plain(step2.assignedPartitions)).toEqual({ T: [0, 3] });
    expect(step2.partitionsPendingRevocation.size).toBe(0);
  });

  it('a revocation the member already performed does not wait', () => {
    const m = member({ memberEpoch: 1, assignedPartitions: A({ T: [0, 1] }) });
    const next = reconcile(input({ member: m, targetAssignmentEpoch: 2, targetAssignment: A({ T: [0] }), ownedTopicPartitions: [{ topicId: 'T', partitions: [0] }] }));
    expect(next).toMatchObject({ state: 'stable', memberEpoch: 2 });
  });

  it('a partition the member is itself revoking is not unreleased for it', () => {
    const m = member({ memberEpoch: 1, state: 'unrevoked_partitions', assignedPartitions: A({}), partitionsPendingRevocation: A({ T: [5] }) });
    const next = reconcile(input({ member: m, targetAssignmentEpoch: 2, targetAssignment: A({ T: [5] }), currentPartitionEpoch: () => 1, ownedTopicPartitions: [] }));
    expect(next).toMatchObject({ state: 'stable', memberEpoch: 2 });
    expect(plain(next.assignedPartitions)).toEqual({ T: [5] });
  });

  it('a topic the member no longer subscribes to has an empty target', () => {
    const m = member({ memberEpoch: 1, assignedPartitions: A({ T: [0], U: [0] }) });
    const next = reconcile(input({ member: m, targetAssignmentEpoch: 2, targetAssignment: A({ T: [0], U: [0] }), ownedTopicPartitions: [{ topicId: 'U', partitions: [0] }] }));
    expect(next.state).toBe('unrevoked_partitions');
    expect(plain(next.partitionsPendingRevocation)).toEqual({ U: [0] });
  });

  it('a stable member whose subscription changed drops unsubscribed topics at once', () => {
    const m = member({ memberEpoch: 2, assignedPartitions: A({ T: [0], U: [1] }) });
    const next = reconcile(input({ member: m, targetAssignmentEpoch: 2, targetAssignment: A({ T: [0], U: [1] }), subscriptionChanged: true, ownedTopicPartitions: [{ topicId: 'U', partitions: [1] }] }));
    expect(next.state).toBe('unrevoked_partitions');
    expect(plain(next.assignedPartitions)).toEqual({ T: [0] });
    expect(plain(next.partitionsPendingRevocation)).toEqual({ U: [1] });
  });

  it('a stable member at the target epoch stays as it is', () => {
    const m = member({ memberEpoch: 2, assignedPartitions: A({ T: [0] }) });
    expect(reconcile(input({ member: m, targetAssignmentEpoch: 2, targetAssignment: A({ T: [0] }) }))).toBe(m);
  });

  it('an unknown state fences a member that owns partitions', () => {
    expect(() => reconcile(input({ member: member({ state: 'unknown' }), ownedTopicPartitions: [{ topicId: 'T', partitions: [0] }] }))).toThrow(FencedMemberEpochError);
    expect(reconcile(input({ member: member({ state: 'unknown' }), targetAssignment: A({ T: [0] }) })).state).toBe('stable');
  });

  it('ownsRevokedPartitions', () => {
    expect(ownsRevokedPartitions(null, A({}))).toBe(true);
    expect(ownsRevokedPartitions([{ topicId: 'T', partitions: [1] }], A({ T: [2] }))).toBe(false);
    expect(ownsRevokedPartitions([{ topicId: 'T', partitions: [2] }], A({ T: [2] }))).toBe(true);
  });
});
