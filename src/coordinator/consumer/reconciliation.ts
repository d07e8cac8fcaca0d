/**
 * The reconciliation state machine of KIP-848 (Kafka's CurrentAssignmentBuilder): given a member,
 * the target assignment it should converge to, the partitions it says it owns, and who holds each
 * partition now, it computes the member's next state. Pure: it returns a new member object (or the
 * same one when nothing moves).
 *
 *   stable at epoch E, target epoch T != E   -> computeNext
 *   unrevoked_partitions                      -> wait until the owned partitions no longer include any
 *                                                partition pending revocation, then computeNext
 *   unreleased_partitions                     -> computeNext (partitions released meanwhile are given)
 *
 * computeNext, per topic: assigned' = assigned ∩ target (topics the member no longer subscribes to
 * have an empty target); pendingRevocation = assigned - assigned'; pendingAssignment = target -
 * assigned', less the partitions another member still holds (unreleased). Then:
 *   - something to revoke that the member still owns: unrevoked_partitions, epoch unchanged, keep
 *     only assigned' (revocation comes first: nothing new is given until it is done);
 *   - else something to assign: move to the target epoch with assigned' + pendingAssignment, stable
 *     or unreleased_partitions when some partitions are still held by others;
 *   - else unreleased partitions: unreleased_partitions at the target epoch;
 *   - else stable at the target epoch.
 */
import { assignmentHas, EMPTY_ASSIGNMENT, normalizeAssignment, type Assignment } from './assignment.js';
import type { ConsumerGroupMember } from './consumer-group.js';
import type { TopicPartitionsValue } from '../records.js';

export class FencedMemberEpochError extends Error {}

export interface ReconcileInput {
  member: ConsumerGroupMember;
  targetAssignmentEpoch: number;
  targetAssignment: Assignment;
  /** Topic ids the member subscribes to now (names and regex resolved against current metadata). */
  subscribedTopicIds: ReadonlySet<string>;
  /** The epoch of the member holding a partition, or -1 when free (before this change). */
  currentPartitionEpoch: (topicId: string, partition: number) => number;
  /** The partitions the member reported owning in this heartbeat, or null when not reported. */
  ownedTopicPartitions: readonly TopicPartitionsValue[] | null;
  /** The subscription changed in this heartbeat: drop unsubscribed topics even when stable. */
  subscriptionChanged?: boolean;
}

export function reconcile(input: ReconcileInput): ConsumerGroupMember {
  const { member, targetAssignmentEpoch } = input;
  switch (member.state) {
    case 'stable':
      if (member.memberEpoch !== targetAssignmentEpoch) return computeNext(input);
      if (input.subscriptionChanged) return dropUnsubscribed(input);
      return member;
    case 'unrevoked_partitions':
      if (ownsRevokedPartitions(input.ownedTopicPartitions, member.partitionsPendingRevocation)) {
        return input.subscriptionChanged ? dropUnsubscribed(input) : member;
      }
      return computeNext(input);
    case 'unreleased_partitions':
      return computeNext(input);
    case 'unknown':
      // A state this coordinator does not know: start over from no partitions.
      if (input.ownedTopicPartitions === null || input.ownedTopicPartitions.some((tp) => tp.partitions.length > 0)) {
        throw new FencedMemberEpochError('The consumer group member is in a unknown state. The member must abandon all its partitions and rejoin.');
      }
      return computeNext({ ...input, member: { ...member, memberEpoch: targetAssignmentEpoch } });
  }
}

/** Does the member still report owning any partition pending revocation? (Unknown ownership: yes.) */
export function ownsRevokedPartitions(owned: readonly TopicPartitionsValue[] | null, pending: Assignment): boolean {
  if (owned === null) return true;
  for (const tp of owned) {
    const ps = pending.get(tp.topicId);
    if (!ps) continue;
    for (const p of tp.partitions) if (ps.has(p)) return true;
  }
  return false;
}

/** Moves the partitions of topics the member no longer subscribes to into pending revocation. */
function dropUnsubscribed(input: ReconcileInput): ConsumerGroupMember {
  const { member } = input;
  let changed = false;
  const assigned = new Map<string, Set<number>>();
  const pending = new Map<string, Set<number>>();
  for (const [t, ps] of member.partitionsPendingRevocation) pending.set(t, new Set(ps));
  for (const [t, ps] of member.assignedPartitions) {
    if (input.subscribedTopicIds.has(t)) {
      assigned.set(t, new Set(ps));
    } else {
      changed = true;
      const s = pending.get(t) ?? new Set<number>();
      for (const p of ps) s.add(p);
      pending.set(t, s);
    }
  }
  if (!changed) return member;
  if (pending.size > 0 && ownsRevokedPartitions(input.ownedTopicPartitions, pending)) {
    return { ...member, state: 'unrevoked_partitions', assignedPartitions: normalizeAssignment(assigned), partitionsPendingRevocation: normalizeAssignment(pending) };
  }
  return { ...member, assignedPartitions: normalizeAssignment(assigned) };
}

function computeNext(input: ReconcileInput): ConsumerGroupMember {
  const { member, targetAssignment, targetAssignmentEpoch, subscribedTopicIds, currentPartitionEpoch } = input;
  let hasUnreleased = false;
  const newAssigned = new Map<string, Set<number>>();
  const newPendingRevocation = new Map<string, Set<number>>();
  const newPendingAssignment = new Map<string, Set<number>>();
  const topicIds = new Set<string>([...targetAssignment.keys(), ...member.assignedPartitions.keys()]);
  for (const topicId of topicIds) {
    const target = subscribedTopicIds.has(topicId) ? (targetAssignment.get(topicId) ?? new Set<number>()) : new Set<number>();
    const current = member.assignedPartitions.get(topicId) ?? new Set<number>();
    const assigned = new Set<number>();
    const revoke = new Set<number>();
    for (const p of current) (target.has(p) ? assigned : revoke).add(p);
    const toAssign = new Set<number>();
    for (const p of target) {
      if (assigned.has(p)) continue;
      // Still held by another member (a partition this member is itself revoking does not count).
      if (currentPartitionEpoch(topicId, p) !== -1 && !assignmentHas(member.partitionsPendingRevocation, topicId, p)) {
        hasUnreleased = true;
        continue;
      }
      toAssign.add(p);
    }
    if (assigned.size > 0) newAssigned.set(topicId, assigned);
    if (revoke.size > 0) newPendingRevocation.set(topicId, revoke);
    if (toAssign.size > 0) newPendingAssignment.set(topicId, toAssign);
  }

  if (newPendingRevocation.size > 0 && ownsRevokedPartitions(input.ownedTopicPartitions, newPendingRevocation)) {
    return {
      ...member,
      state: 'unrevoked_partitions',
      ...epochs(member, member.memberEpoch),
      assignedPartitions: newAssigned,
      partitionsPendingRevocation: newPendingRevocation,
    };
  }
  if (newPendingAssignment.size > 0) {
    for (const [topicId, ps] of newPendingAssignment) {
      const s = newAssigned.get(topicId) ?? new Set<number>();
      for (const p of ps) s.add(p);
      newAssigned.set(topicId, s);
    }
  }
  return {
    ...member,
    state: hasUnreleased ? 'unreleased_partitions' : 'stable',
    ...epochs(member, targetAssignmentEpoch),
    assignedPartitions: newAssigned,
    partitionsPendingRevocation: EMPTY_ASSIGNMENT,
  };
}

/** Kafka's updateMemberEpoch: the previous epoch becomes the current one. */
function epochs(member: ConsumerGroupMember, epoch: number): { memberEpoch: number; previousMemberEpoch: number } {
  return { memberEpoch: epoch, previousMemberEpoch: member.memberEpoch };
}
