/**
 * A KIP-848 consumer group (Kafka's `ConsumerGroup` / `ConsumerGroupMember`): its epochs, members,
 * target assignment and the owner epoch of every partition currently held, as rebuilt by replaying
 * the group's records. Only the replay methods (`replay*`) change it; the group manager computes
 * what should change and writes records.
 *
 * Epochs:
 * - the group epoch grows whenever the assignment should change (a member joins, leaves or changes
 *   its subscription, or the metadata of a subscribed topic changes);
 * - the assignment epoch is the group epoch the target assignment was computed for;
 * - a member's epoch is the epoch of the target assignment it has reconciled to (0 while joining,
 *   -2 for a static member that left and may come back).
 *
 * State (derived, as Kafka's ConsumerGroup.maybeUpdateGroupState):
 *   Empty        no members
 *   Assigning    group epoch > assignment epoch (a new target assignment is due)
 *   Reconciling  some member is not yet stable at the assignment epoch
 *   Stable       every member is stable at the assignment epoch
 *   Dead         deleted
 *
 * Member states (Kafka's MemberState): stable; unrevoked_partitions (waits for the member to give
 * up partitions); unreleased_partitions (waits for other members to release partitions it is
 * owed); unknown.
 */
import { assignmentFromRecord, assignmentToRecord, EMPTY_ASSIGNMENT, type Assignment } from './assignment.js';
import type { ConsumerGroupCurrentAssignmentValue, ConsumerGroupMemberValue, ConsumerGroupRecord } from '../records.js';

export type MemberState = 'stable' | 'unrevoked_partitions' | 'unreleased_partitions' | 'unknown';
export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

/** memberEpoch -1 in a heartbeat: leave. */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
/** memberEpoch -2 in a heartbeat: a static member leaves for now and keeps its assignment. */
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

/** A member, immutable: a change makes a new object (the old one stays the "before" of the change). */
export interface ConsumerGroupMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** Sorted, without duplicates. */
  readonly subscribedTopicNames: readonly string[];
  /** null or '' when the member does not subscribe by regular expression. */
  readonly subscribedTopicRegex: string | null;
  readonly serverAssignor: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: MemberState;
  /** The partitions the member may use. */
  readonly assignedPartitions: Assignment;
  /** Partitions the member must give up before it moves on. */
  readonly partitionsPendingRevocation: Assignment;
}

export function newMember(memberId: string): ConsumerGroupMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    serverAssignor: null,
    rebalanceTimeoutMs: -1,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: 'stable',
    assignedPartitions: EMPTY_ASSIGNMENT,
    partitionsPendingRevocation: EMPTY_ASSIGNMENT,
  };
}

export function hasRegex(m: ConsumerGroupMember): m is ConsumerGroupMember & { readonly subscribedTopicRegex: string } {
  return m.subscribedTopicRegex !== null && m.subscribedTopicRegex !== '';
}

/** The fields of the member metadata record. */
export function memberMetadataValue(m: ConsumerGroupMember): ConsumerGroupMemberValue {
  return {
    instanceId: m.instanceId,
    rackId: m.rackId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    subscribedTopicNames: [...m.subscribedTopicNames],
    subscribedTopicRegex: m.subscribedTopicRegex,
    serverAssignor: m.serverAssignor,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
  };
}

export function memberMetadataEquals(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    a.instanceId === b.instanceId &&
    a.rackId === b.rackId &&
    a.clientId === b.clientId &&
    a.clientHost === b.clientHost &&
    a.subscribedTopicRegex === b.subscribedTopicRegex &&
    a.serverAssignor === b.serverAssignor &&
    a.rebalanceTimeoutMs === b.rebalanceTimeoutMs &&
    sameNames(a.subscribedTopicNames, b.subscribedTopicNames)
  );
}

export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The fields of the current assignment record. */
export function currentAssignmentValue(m: ConsumerGroupMember): ConsumerGroupCurrentAssignmentValue {
  return {
    memberEpoch: m.memberEpoch,
    previousMemberEpoch: m.previousMemberEpoch,
    state: m.state,
    assignedPartitions: assignmentToRecord(m.assignedPartitions),
    partitionsPendingRevocation: assignmentToRecord(m.partitionsPendingRevocation),
  };
}

/** Kafka's isReconciledTo: stable at this epoch. */
export function isReconciledTo(m: ConsumerGroupMember, epoch: number): boolean {
  return m.state === 'stable' && m.memberEpoch === epoch;
}

export class ConsumerGroup {
  groupEpoch = 0;
  /** Hash of the subscribed topics' names, ids and partition counts when the group epoch last moved. */
  metadataHash = '';
  assignmentEpoch = 0;
  /** In join order. */
  readonly members = new Map<string, ConsumerGroupMember>();
  /** instanceId -> memberId */
  readonly staticMembers = new Map<string, string>();
  /** memberId -> the member's target assignment */
  readonly targetAssignment = new Map<string, Assignment>();
  /** topicId -> partition -> epoch of the member holding it (assigned or pending revocation). */
  private readonly partitionEpochs = new Map<string, Map<number, number>>();
  /** Topic name -> number of members subscribing to it by name. */
  readonly subscribedTopicNames = new Map<string, number>();
  /** Regular expression -> number of members subscribing with it. */
  readonly subscribedRegexes = new Map<string, number>();
  /** Set once the group has been deleted (its records tombstoned). */
  dead = false;

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.dead) return 'Dead';
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (!isReconciledTo(m, this.assignmentEpoch)) return 'Reconciling';
    return 'Stable';
  }

  get size(): number {
    return this.members.size;
  }

  staticMember(instanceId: string | null): ConsumerGroupMember | undefined {
    if (instanceId === null) return undefined;
    const id = this.staticMembers.get(instanceId);
    return id === undefined ? undefined : this.members.get(id);
  }

  /** The epoch of the member holding the partition, or -1 when it is free. */
  currentPartitionEpoch(topicId: string, partition: number): number {
    return this.partitionEpochs.get(topicId)?.get(partition) ?? -1;
  }

  /** The target assignment of a member, or of the static member it replaces. */
  targetAssignmentOf(memberId: string, instanceId: string | null): Assignment {
    const own = this.targetAssignment.get(memberId);
    if (own) return own;
    if (instanceId !== null) {
      const previous = this.staticMembers.get(instanceId);
      if (previous !== undefined) return this.targetAssignment.get(previous) ?? EMPTY_ASSIGNMENT;
    }
    return EMPTY_ASSIGNMENT;
  }

  /** Does any member subscribe to this topic by name? (Regex subscriptions: see the manager.) */
  isSubscribedToTopicName(topic: string): boolean {
    return (this.subscribedTopicNames.get(topic) ?? 0) > 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Replay

  replay(r: ConsumerGroupRecord): void {
    switch (r.type) {
      case 'cg-epoch':
        if (r.value) {
          this.groupEpoch = r.value.epoch;
          this.metadataHash = r.value.metadataHash;
        } else {
          this.dead = true;
        }
        return;
      case 'cg-target-epoch':
        this.assignmentEpoch = r.value ? r.value.assignmentEpoch : -1;
        return;
      case 'cg-target-member':
        if (r.value) this.targetAssignment.set(r.memberId, assignmentFromRecord(r.value.topicPartitions));
        else this.targetAssignment.delete(r.memberId);
        return;
      case 'cg-member': {
        const old = this.members.get(r.memberId);
        if (!r.value) {
          if (old) this.removeMember(old);
          return;
        }
        const v = r.value;
        const next: ConsumerGroupMember = {
          ...(old ?? newMember(r.memberId)),
          instanceId: v.instanceId,
          rackId: v.rackId,
          clientId: v.clientId,
          clientHost: v.clientHost,
          subscribedTopicNames: v.subscribedTopicNames,
          subscribedTopicRegex: v.subscribedTopicRegex,
          serverAssignor: v.serverAssignor,
          rebalanceTimeoutMs: v.rebalanceTimeoutMs,
        };
        this.putMember(old, next);
        return;
      }
      case 'cg-current': {
        const old = this.members.get(r.memberId);
        if (!r.value) {
          // The member's partitions are free; the member itself goes with its metadata tombstone.
          if (old) this.putMember(old, { ...old, assignedPartitions: EMPTY_ASSIGNMENT, partitionsPendingRevocation: EMPTY_ASSIGNMENT, memberEpoch: LEAVE_GROUP_MEMBER_EPOCH, state: 'unknown' });
          return;
        }
        const v = r.value;
        const next: ConsumerGroupMember = {
          ...(old ?? newMember(r.memberId)),
          memberEpoch: v.memberEpoch,
          previousMemberEpoch: v.previousMemberEpoch,
          state: v.state as MemberState,
          assignedPartitions: assignmentFromRecord(v.assignedPartitions),
          partitionsPendingRevocation: assignmentFromRecord(v.partitionsPendingRevocation),
        };
        this.putMember(old, next);
        return;
      }
    }
  }

  private putMember(old: ConsumerGroupMember | undefined, next: ConsumerGroupMember): void {
    if (old) {
      this.untrack(old);
      if (old.instanceId !== null && this.staticMembers.get(old.instanceId) === old.memberId && old.instanceId !== next.instanceId) {
        this.staticMembers.delete(old.instanceId);
      }
    }
    this.members.set(next.memberId, next);
    if (next.instanceId !== null) this.staticMembers.set(next.instanceId, next.memberId);
    this.track(next);
  }

  private removeMember(m: ConsumerGroupMember): void {
    this.untrack(m);
    this.members.delete(m.memberId);
    if (m.instanceId !== null && this.staticMembers.get(m.instanceId) === m.memberId) this.staticMembers.delete(m.instanceId);
  }

  private track(m: ConsumerGroupMember): void {
    for (const t of m.subscribedTopicNames) this.subscribedTopicNames.set(t, (this.subscribedTopicNames.get(t) ?? 0) + 1);
    if (hasRegex(m)) this.subscribedRegexes.set(m.subscribedTopicRegex, (this.subscribedRegexes.get(m.subscribedTopicRegex) ?? 0) + 1);
    this.setPartitionEpochs(m.assignedPartitions, m.memberEpoch);
    this.setPartitionEpochs(m.partitionsPendingRevocation, m.memberEpoch);
  }

  private untrack(m: ConsumerGroupMember): void {
    for (const t of m.subscribedTopicNames) decrement(this.subscribedTopicNames, t);
    if (hasRegex(m)) decrement(this.subscribedRegexes, m.subscribedTopicRegex);
    this.clearPartitionEpochs(m.assignedPartitions);
    this.clearPartitionEpochs(m.partitionsPendingRevocation);
  }

  private setPartitionEpochs(a: Assignment, epoch: number): void {
    for (const [topicId, ps] of a) {
      let map = this.partitionEpochs.get(topicId);
      if (!map) this.partitionEpochs.set(topicId, (map = new Map<number, number>()));
      for (const p of ps) map.set(p, epoch);
    }
  }

  private clearPartitionEpochs(a: Assignment): void {
    for (const [topicId, ps] of a) {
      const map = this.partitionEpochs.get(topicId);
      if (!map) continue;
      for (const p of ps) map.delete(p);
      if (map.size === 0) this.partitionEpochs.delete(topicId);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Records of the whole group (snapshots, deletion)

  /** Every record that rebuilds this group, in replay order. */
  snapshotRecords(): ConsumerGroupRecord[] {
    const g = this.groupId;
    const out: ConsumerGroupRecord[] = [{ type: 'cg-epoch', group: g, value: { epoch: this.groupEpoch, metadataHash: this.metadataHash } }];
    for (const m of this.members.values()) out.push({ type: 'cg-member', group: g, memberId: m.memberId, value: memberMetadataValue(m) });
    for (const [memberId, a] of this.targetAssignment) out.push({ type: 'cg-target-member', group: g, memberId, value: { topicPartitions: assignmentToRecord(a) } });
    out.push({ type: 'cg-target-epoch', group: g, value: { assignmentEpoch: this.assignmentEpoch } });
    for (const m of this.members.values()) out.push({ type: 'cg-current', group: g, memberId: m.memberId, value: currentAssignmentValue(m) });
    return out;
  }

  /** Tombstones for every record of the group (Kafka's createGroupTombstoneRecords). */
  tombstoneRecords(): ConsumerGroupRecord[] {
    const g = this.groupId;
    const out: ConsumerGroupRecord[] = [];
    for (const m of this.members.values()) out.push(...memberTombstones(g, m.memberId));
    for (const memberId of this.targetAssignment.keys()) {
      if (!this.members.has(memberId)) out.push({ type: 'cg-target-member', group: g, memberId, value: null });
    }
    out.push({ type: 'cg-target-epoch', group: g, value: null });
    out.push({ type: 'cg-epoch', group: g, value: null });
    return out;
  }
}

/** The tombstones that remove a member, in Kafka's order (current assignment, target, metadata). */
export function memberTombstones(group: string, memberId: string): ConsumerGroupRecord[] {
  return [
    { type: 'cg-current', group, memberId, value: null },
    { type: 'cg-target-member', group, memberId, value: null },
    { type: 'cg-member', group, memberId, value: null },
  ];
}

function decrement(map: Map<string, number>, k: string): void {
  const n = (map.get(k) ?? 0) - 1;
  if (n > 0) map.set(k, n);
  else map.delete(k);
}
