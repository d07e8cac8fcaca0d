/**
 * KIP-848 consumer groups: ConsumerGroupHeartbeat and ConsumerGroupDescribe as Kafka 4's group
 * coordinator runs them (GroupMetadataManager.consumerGroupHeartbeat and friends), with server-side
 * assignment.
 *
 * One heartbeat, in three steps:
 *   1. the member is created or updated; a changed subscription (topic names or regex), a new group
 *      or a change in the subscribed topics' metadata (ids, partition counts, regex matches) bumps
 *      the group epoch;
 *   2. when the group epoch is ahead of the assignment epoch, the server assignor (the members'
 *      most common serverAssignor, else the first of group.consumer.assignors) computes a new target
 *      assignment for every member;
 *   3. the member's current assignment is reconciled towards its target (reconciliation.ts):
 *      revocations first, then partitions that no other member still holds.
 * Other members learn about a new target assignment on their next heartbeat (every
 * group.consumer.heartbeat.interval.ms), as in Kafka.
 *
 * Durability: each operation computes the records of its changes from the current state, writes
 * them (coordinator log), and the state changes when they are replayed, as at load. Operations on
 * one group run one at a time (a per-group queue), so each sees the state its predecessor left.
 * Timers (session timeout group.consumer.session.timeout.ms, rebalance timeout of a member that has
 * partitions to revoke) run on the injected clock and fence members through the same queue. A
 * failed write answers COORDINATOR_NOT_AVAILABLE and changes nothing.
 *
 * Errors are Kafka's, with Kafka's messages: INVALID_REQUEST (bad first heartbeats and other
 * malformed requests), UNSUPPORTED_ASSIGNOR, INVALID_REGULAR_EXPRESSION, GROUP_ID_NOT_FOUND (no such
 * group, or a classic group with members), UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH,
 * UNRELEASED_INSTANCE_ID, FENCED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED.
 *
 * Not implemented (documented in docs/architecture.md): converting a classic group that has
 * members into a consumer group and back (Kafka's online migration), classic-protocol members in a
 * consumer group, rack-aware assignment, per-group dynamic configs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ErrorCode } from '../../protocol/generated/errors.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { RecordBatchBuilder, type ConsumerGroupRecord, type TopicPartitionsValue } from '../records.js';
import { assignmentEquals, assignmentToRecord, EMPTY_ASSIGNMENT, isSubset, type Assignment } from './assignment.js';
import { ASSIGNORS, type AssignmentMemberSpec } from './assignors.js';
import {
  ConsumerGroup,
  currentAssignmentValue,
  hasRegex,
  isReconciledTo,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  memberMetadataEquals,
  memberMetadataValue,
  memberTombstones,
  newMember,
  sameNames,
  type ConsumerGroupMember,
  type ConsumerGroupState,
} from './consumer-group.js';
import { FencedMemberEpochError, reconcile } from './reconciliation.js';
import { compileTopicRegex, matchingTopics } from './topic-regex.js';
import { mustGet } from '../../util/must-get.js';

/** The broker settings read by consumer groups (names as in BrokerConfig; read on every use). */
export interface ConsumerGroupConfig {
  readonly consumerGroupHeartbeatIntervalMs: number;
  readonly consumerGroupSessionTimeoutMs: number;
  readonly consumerGroupMaxSize: number;
  /** Server assignor names; the first is the default. */
  readonly consumerGroupAssignors: readonly string[];
}

export const DEFAULT_CONSUMER_GROUP_CONFIG: ConsumerGroupConfig = {
  consumerGroupHeartbeatIntervalMs: 5000,
  consumerGroupSessionTimeoutMs: 45000,
  consumerGroupMaxSize: 0x7fffffff,
  consumerGroupAssignors: ['uniform', 'range'],
};

export interface TopicInfo {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: number;
}

/** The topic metadata consumer groups read (the metadata store). */
export interface TopicMetadataView {
  topic(name: string): TopicInfo | undefined;
  topicById(topicId: string): TopicInfo | undefined;
  topics(): Iterable<TopicInfo>;
}

export const NO_TOPICS: TopicMetadataView = { topic: () => undefined, topicById: () => undefined, topics: () => [] };

/** What the group coordinator provides: writes, and the classic groups sharing the group id space. */
export interface ConsumerGroupHost {
  /** Appends the batch to the coordinator log; resolves once written and replayed. */
  write(batch: RecordBatchBuilder): Promise<void>;
  /** COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS while the coordinator cannot serve, else null. */
  status(): number | null;
  /** Is there a classic group with this id, and has it members? */
  classicGroup(groupId: string): 'none' | 'empty' | 'active';
  /** Forgets an empty classic group (its offsets stay), adding the tombstone of its record to the batch. */
  removeEmptyClassicGroup(groupId: string, batch: RecordBatchBuilder): void;
}

export interface ConsumerGroupHeartbeatParams {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: readonly string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: readonly TopicPartitionsValue[] | null;
  clientId: string;
  clientHost: string;
  apiVersion: number;
}

export interface ConsumerGroupHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** The member's assigned partitions, when they are to be sent. */
  assignment: TopicPartitionsValue[] | null;
}

export interface DescribedTopicPartitions {
  topicId: string;
  topicName: string;
  partitions: number[];
}

export interface DescribedConsumerGroupMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  assignment: DescribedTopicPartitions[];
  targetAssignment: DescribedTopicPartitions[];
}

export interface DescribedConsumerGroup {
  groupId: string;
  errorCode: number;
  errorMessage: string | null;
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: DescribedConsumerGroupMember[];
}

export interface ListedConsumerGroup {
  groupId: string;
  state: ConsumerGroupState;
}

/** A Kafka error with its message: what an operation answers instead of a result. */
export class GroupApiError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A member id as Kafka's Uuid.toString() prints one: 22 characters of URL-safe base64. */
export function newMemberId(): string {
  return randomBytes(16).toString('base64url');
}

function errorResult(errorCode: number, errorMessage: string | null): ConsumerGroupHeartbeatResult {
  return { errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

function sortedUnique(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}

export class ConsumerGroupManager {
  readonly groups = new Map<string, ConsumerGroup>();
  /** Operations waiting or running, per group: each starts when the previous one is done. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** `${groupId}\0${memberId}` -> session timer */
  private readonly sessionTimers = new Map<string, TimerHandle>();
  /** `${groupId}\0${memberId}` -> rebalance timer */
  private readonly rebalanceTimers = new Map<string, TimerHandle>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly config: () => ConsumerGroupConfig,
    private readonly metadata: TopicMetadataView,
    private readonly host: ConsumerGroupHost,
  ) {}

  // ---------------------------------------------------------------------------------------------
  // Replay

  replay(r: ConsumerGroupRecord): void {
    let group = this.groups.get(r.group);
    if (!group) {
      if (r.value === null) return;
      group = new ConsumerGroup(r.group);
      this.groups.set(r.group, group);
    }
    group.replay(r);
    if (group.dead) this.groups.delete(r.group);
  }

  /** After the log is loaded: every member's session starts over, as in Kafka. */
  onLoaded(): void {
    for (const group of this.groups.values()) {
      for (const m of group.members.values()) {
        this.scheduleSessionTimeout(group.groupId, m.memberId);
        if (m.state === 'unrevoked_partitions') this.scheduleRebalanceTimeout(group.groupId, m.memberId, m.memberEpoch, m.rebalanceTimeoutMs);
      }
    }
  }

  /** Every record that rebuilds the consumer groups (a snapshot of the coordinator log). */
  snapshot(out: RecordBatchBuilder): void {
    for (const group of this.groups.values()) for (const r of group.snapshotRecords()) out.consumerGroup(r);
  }

  /** Stops every timer (shutdown). */
  unloadAll(): void {
    for (const t of this.sessionTimers.values()) this.clock.clearTimeout(t);
    for (const t of this.rebalanceTimers.values()) this.clock.clearTimeout(t);
    this.sessionTimers.clear();
    this.rebalanceTimers.clear();
  }

  /** Runs an operation of a group after the ones before it. */
  private run<T>(groupId: string, op: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(groupId) ?? Promise.resolve();
    const result = previous.then(op, op);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(groupId, tail);
    void tail.then(() => {
      if (this.queues.get(groupId) === tail) this.queues.delete(groupId);
    });
    return result;
  }

  /** Resolves once every queued operation of the group is done (tests). */
  async idle(groupId: string): Promise<void> {
    await this.queues.get(groupId);
  }

  // ---------------------------------------------------------------------------------------------
  // ConsumerGroupHeartbeat

  /** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid: checked before the group is looked at. */
  validateHeartbeat(p: ConsumerGroupHeartbeatParams): GroupApiError | null {
    const invalid = (m: string) => new GroupApiError(ErrorCode.InvalidRequest, m);
    if (p.apiVersion >= 1 || p.memberEpoch > 0 || p.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
      if (p.memberId === '') return invalid("MemberId can't be empty.");
    }
    if (p.groupId === '') return invalid("GroupId can't be empty.");
    if (p.instanceId === '') return invalid("InstanceId can't be empty.");
    if (p.rackId === '') return invalid("RackId can't be empty.");
    if (p.memberEpoch === 0) {
      if (p.rebalanceTimeoutMs === -1) return invalid('RebalanceTimeoutMs must be provided in first request.');
      if (p.topicPartitions === null || p.topicPartitions.length > 0) return invalid('TopicPartitions must be empty when (re-)joining.');
      if (p.subscribedTopicNames === null && p.subscribedTopicRegex === null) {
        return invalid('Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.');
      }
    } else if (p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (p.instanceId === null) return invalid("InstanceId can't be null.");
    } else if (p.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      return invalid('MemberEpoch is invalid.');
    }
    const assignors = this.config().consumerGroupAssignors;
    if (p.serverAssignor !== null && !assignors.includes(p.serverAssignor)) {
      return new GroupApiError(ErrorCode.UnsupportedAssignor, `ServerAssignor ${p.serverAssignor} is not supported. Supported assignors: ${assignors.join(', ')}.`);
    }
    return null;
  }

  heartbeat(p: ConsumerGroupHeartbeatParams): Promise<ConsumerGroupHeartbeatResult> {
    const status = this.host.status();
    if (status !== null) return Promise.resolve(errorResult(status, null));
    const invalid = this.validateHeartbeat(p);
    if (invalid) return Promise.resolve(errorResult(invalid.errorCode, invalid.message));
    return this.run(p.groupId, async () => {
      const status = this.host.status();
      if (status !== null) return errorResult(status, null);
      const batch = new RecordBatchBuilder(1024);
      let result: ConsumerGroupHeartbeatResult;
      let afterWrite: (() => void) | null;
      try {
        ({ result, afterWrite } =
          p.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH ? this.leave(p, batch) : this.regularHeartbeat(p, batch));
      } catch (err) {
        if (err instanceof GroupApiError) return errorResult(err.errorCode, err.message);
        if (err instanceof FencedMemberEpochError) return errorResult(ErrorCode.FencedMemberEpoch, err.message);
        throw err;
      }
      if (batch.count > 0) {
        try {
          await this.host.write(batch);
        } catch (err) {
          this.logger.warn({ err, group: p.groupId }, 'failed to write consumer group records');
          return errorResult(ErrorCode.CoordinatorNotAvailable, null);
        }
      }
      afterWrite?.();
      return result;
    });
  }

  private regularHeartbeat(p: ConsumerGroupHeartbeatParams, batch: RecordBatchBuilder): { result: ConsumerGroupHeartbeatResult; afterWrite: (() => void) | null } {
    const cfg = this.config();
    const groupId = p.groupId;
    const joining = p.memberEpoch === 0;
    let convertClassic = false;
    let group = this.groups.get(groupId);
    if (!group) {
      const classic = this.host.classicGroup(groupId);
      if (classic === 'active') throw new GroupApiError(ErrorCode.GroupIdNotFound, `Group ${groupId} is not a consumer group.`);
      if (!joining) throw new GroupApiError(ErrorCode.GroupIdNotFound, `Consumer group ${groupId} not found.`);
      convertClassic = classic === 'empty';
      group = new ConsumerGroup(groupId);
    }
    if (group.size >= cfg.consumerGroupMaxSize && (p.memberId === '' || !group.members.has(p.memberId))) {
      throw new GroupApiError(ErrorCode.GroupMaxSizeReached, `The consumer group has reached its maximum capacity of ${cfg.consumerGroupMaxSize} members.`);
    }
    const memberId = p.memberId === '' ? newMemberId() : p.memberId;
    const records: ConsumerGroupRecord[] = [];

    // The member, new or existing (a static member rejoining takes over its previous incarnation).
    let member: ConsumerGroupMember;
    let isNew = false;
    let replacedMemberId: string | null = null;
    if (p.instanceId === null) {
      const existing = group.members.get(memberId);
      if (!existing) {
        if (!joining) throw new GroupApiError(ErrorCode.UnknownMemberId, `Member ${memberId} is not a member of group ${groupId}.`);
        member = newMember(memberId);
        isNew = true;
      } else {
        throwIfMemberEpochIsInvalid(existing, p.memberEpoch, p.topicPartitions);
        member = existing;
      }
    } else {
      const existing = group.staticMember(p.instanceId);
      if (joining) {
        if (!existing) {
          const byId = group.members.get(memberId);
          member = byId ?? newMember(memberId);
          isNew = byId === undefined;
        } else {
          if (existing.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
            this.logger.info({ group: groupId, memberId, instanceId: p.instanceId, owner: existing.memberId }, 'static member cannot join: its instance id is still in use');
            throw new GroupApiError(
              ErrorCode.UnreleasedInstanceId,
              `Static member ${memberId} with instance id ${p.instanceId} cannot join the group because the instance id is owned by ${existing.memberId} member.`,
            );
          }
          member = { ...existing, memberId, memberEpoch: 0, previousMemberEpoch: 0 };
          replacedMemberId = existing.memberId;
          records.push(...memberTombstones(groupId, existing.memberId));
          records.push({ type: 'cg-member', group: groupId, memberId, value: memberMetadataValue(member) });
          records.push({ type: 'cg-target-member', group: groupId, memberId, value: { topicPartitions: assignmentToRecord(group.targetAssignment.get(existing.memberId) ?? EMPTY_ASSIGNMENT) } });
          records.push({ type: 'cg-current', group: groupId, memberId, value: currentAssignmentValue(member) });
          this.logger.info({ group: groupId, instanceId: p.instanceId, memberId, previous: existing.memberId }, 'static member rejoins the consumer group');
        }
      } else {
        if (!existing) throw new GroupApiError(ErrorCode.UnknownMemberId, `Instance id ${p.instanceId} is unknown.`);
        if (existing.memberId !== memberId) {
          throw new GroupApiError(ErrorCode.FencedInstanceId, `Static member ${memberId} with instance id ${p.instanceId} was fenced by member ${existing.memberId}.`);
        }
        throwIfMemberEpochIsInvalid(existing, p.memberEpoch, p.topicPartitions);
        member = existing;
      }
    }
    if (isNew) this.logger.info({ group: groupId, memberId, instanceId: p.instanceId }, 'member joins the consumer group');

    // 1. The member's metadata and subscription; the group epoch.
    let updated: ConsumerGroupMember = {
      ...member,
      instanceId: p.instanceId ?? member.instanceId,
      rackId: p.rackId ?? member.rackId,
      rebalanceTimeoutMs: p.rebalanceTimeoutMs !== -1 ? p.rebalanceTimeoutMs : member.rebalanceTimeoutMs,
      serverAssignor: p.serverAssignor ?? member.serverAssignor,
      subscribedTopicNames: p.subscribedTopicNames !== null ? sortedUnique(p.subscribedTopicNames) : member.subscribedTopicNames,
      subscribedTopicRegex: p.subscribedTopicRegex ?? member.subscribedTopicRegex,
      clientId: p.clientId,
      clientHost: p.clientHost,
    };
    if (isNew || !memberMetadataEquals(member, updated)) {
      records.push({ type: 'cg-member', group: groupId, memberId, value: memberMetadataValue(updated) });
    }
    const namesChanged = !sameNames(member.subscribedTopicNames, updated.subscribedTopicNames);
    const oldRegex = member.subscribedTopicRegex ?? '';
    const newRegex = updated.subscribedTopicRegex ?? '';
    const regexChanged = oldRegex !== newRegex;
    if (regexChanged && newRegex !== '' && (group.subscribedRegexes.get(newRegex) ?? 0) === 0) {
      const compiled = compileTopicRegex(newRegex);
      if (compiled instanceof Error) {
        throw new GroupApiError(ErrorCode.InvalidRegularExpression, `SubscribedTopicRegex \`${newRegex}\` is not a valid regular expression: ${compiled.message}.`);
      }
    }
    const subscriptionChanged = namesChanged || regexChanged;
    // The member's previous incarnation (or itself) leaves the group's subscription counts.
    const counted = group.members.has(member.memberId) || replacedMemberId !== null ? member : null;
    const hash = this.metadataHash(group, counted, updated);
    let groupEpoch = group.groupEpoch;
    if (groupEpoch === 0 || subscriptionChanged || hash !== group.metadataHash) {
      groupEpoch++;
      records.push({ type: 'cg-epoch', group: groupId, value: { epoch: groupEpoch, metadataHash: hash } });
      this.logger.info({ group: groupId, epoch: groupEpoch, memberId }, 'bumped consumer group epoch');
    }

    // 2. The target assignment.
    let targetAssignmentEpoch: number;
    let targetAssignment: Assignment;
    if (groupEpoch > group.assignmentEpoch) {
      targetAssignment = this.updateTargetAssignment(group, groupEpoch, member, updated, replacedMemberId, isNew, records);
      targetAssignmentEpoch = groupEpoch;
    } else {
      targetAssignmentEpoch = group.assignmentEpoch;
      targetAssignment = group.targetAssignmentOf(updated.memberId, replacedMemberId !== null ? updated.instanceId : null);
    }

    // 3. Reconciliation.
    let rebalanceTimer: 'schedule' | 'cancel' | null = null;
    if (subscriptionChanged || !isReconciledTo(updated, targetAssignmentEpoch)) {
      const next = reconcile({
        member: updated,
        targetAssignmentEpoch,
        targetAssignment,
        subscribedTopicIds: this.subscribedTopicIds(updated),
        currentPartitionEpoch: (t, partition) => group.currentPartitionEpoch(t, partition),
        ownedTopicPartitions: p.topicPartitions,
        subscriptionChanged,
      });
      if (next !== updated && !sameAssignmentState(next, updated)) {
        records.push({ type: 'cg-current', group: groupId, memberId, value: currentAssignmentValue(next) });
        rebalanceTimer = next.state === 'unrevoked_partitions' ? 'schedule' : 'cancel';
      }
      updated = next;
    } else if (isNew) {
      records.push({ type: 'cg-current', group: groupId, memberId, value: currentAssignmentValue(updated) });
    }

    if (convertClassic) {
      this.host.removeEmptyClassicGroup(groupId, batch);
      this.logger.info({ group: groupId }, 'converted the empty classic group to a consumer group');
    }
    for (const r of records) batch.consumerGroup(r);

    const isFullRequest = p.rebalanceTimeoutMs !== -1 && (p.subscribedTopicNames !== null || p.subscribedTopicRegex !== null) && p.topicPartitions !== null;
    const sendAssignment = joining || isFullRequest || !assignmentEquals(member.assignedPartitions, updated.assignedPartitions);
    const final = updated;
    return {
      result: {
        errorCode: ErrorCode.None,
        errorMessage: null,
        memberId: final.memberId,
        memberEpoch: final.memberEpoch,
        heartbeatIntervalMs: cfg.consumerGroupHeartbeatIntervalMs,
        assignment: sendAssignment ? assignmentToRecord(final.assignedPartitions) : null,
      },
      afterWrite: () => {
        if (replacedMemberId !== null) this.cancelTimers(groupId, replacedMemberId);
        this.scheduleSessionTimeout(groupId, memberId);
        if (rebalanceTimer === 'schedule') this.scheduleRebalanceTimeout(groupId, memberId, final.memberEpoch, final.rebalanceTimeoutMs);
        else if (rebalanceTimer === 'cancel') this.cancelRebalanceTimeout(groupId, memberId);
      },
    };
  }

  /** Computes every member's new target assignment; returns the updated member's. */
  private updateTargetAssignment(
    group: ConsumerGroup,
    groupEpoch: number,
    member: ConsumerGroupMember,
    updated: ConsumerGroupMember,
    replacedMemberId: string | null,
    isNew: boolean,
    records: ConsumerGroupRecord[],
  ): Assignment {
    const assignorName = this.preferredAssignor(group, member, updated, replacedMemberId);
    const assignor = ASSIGNORS.get(assignorName) ?? mustGet(ASSIGNORS, 'uniform');
    const specMembers: AssignmentMemberSpec[] = [];
    const topics = new Map<string, number>();
    const oldTargets = new Map<string, Assignment | undefined>();
    const addSpec = (m: ConsumerGroupMember, current: Assignment | undefined) => {
      const subscribed = this.subscribedTopicIds(m, topics);
      oldTargets.set(m.memberId, current);
      specMembers.push({ memberId: m.memberId, instanceId: m.instanceId, rackId: m.rackId, subscribedTopicIds: subscribed, currentAssignment: current ?? EMPTY_ASSIGNMENT });
    };
    for (const m of group.members.values()) {
      if (m.memberId === replacedMemberId) {
        // The static member's new incarnation takes its place (and its target, written with the replacement).
        addSpec(updated, group.targetAssignment.get(replacedMemberId) ?? EMPTY_ASSIGNMENT);
      } else if (m.memberId === updated.memberId) {
        addSpec(updated, group.targetAssignment.get(m.memberId));
      } else {
        addSpec(m, group.targetAssignment.get(m.memberId));
      }
    }
    if (isNew && !group.members.has(updated.memberId)) addSpec(updated, undefined);
    const started = performance.now();
    const next = assignor.assign({ members: specMembers, topics });
    for (const s of specMembers) {
      const a = next.get(s.memberId) ?? EMPTY_ASSIGNMENT;
      const old = oldTargets.get(s.memberId);
      if (old === undefined || !assignmentEquals(old, a)) {
        records.push({ type: 'cg-target-member', group: group.groupId, memberId: s.memberId, value: { topicPartitions: assignmentToRecord(a) } });
      }
    }
    records.push({ type: 'cg-target-epoch', group: group.groupId, value: { assignmentEpoch: groupEpoch } });
    this.logger.info(
      { group: group.groupId, epoch: groupEpoch, assignor: assignor.name, members: specMembers.length, ms: +(performance.now() - started).toFixed(3) },
      'computed a new target assignment',
    );
    return next.get(updated.memberId) ?? EMPTY_ASSIGNMENT;
  }

  /** The most common serverAssignor among the members (with this change), else the default. */
  private preferredAssignor(group: ConsumerGroup, member: ConsumerGroupMember | null, updated: ConsumerGroupMember | null, replacedMemberId: string | null): string {
    const counts = new Map<string, number>();
    const count = (m: ConsumerGroupMember) => {
      if (m.serverAssignor !== null) counts.set(m.serverAssignor, (counts.get(m.serverAssignor) ?? 0) + 1);
    };
    for (const m of group.members.values()) {
      if (m.memberId === replacedMemberId || (member !== null && m.memberId === member.memberId)) continue;
      count(m);
    }
    if (updated) count(updated);
    let best: string | null = null;
    let bestCount = 0;
    for (const [name, n] of counts) {
      if (n > bestCount) {
        best = name;
        bestCount = n;
      }
    }
    return best ?? this.config().consumerGroupAssignors.at(0) ?? 'uniform';
  }

  // ---------------------------------------------------------------------------------------------
  // Leaving and fencing

  private leave(p: ConsumerGroupHeartbeatParams, batch: RecordBatchBuilder): { result: ConsumerGroupHeartbeatResult; afterWrite: (() => void) | null } {
    const group = this.consumerGroupOrThrow(p.groupId);
    const ok = (memberId: string, memberEpoch: number): ConsumerGroupHeartbeatResult => ({
      errorCode: ErrorCode.None,
      errorMessage: null,
      memberId,
      memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    });
    let member: ConsumerGroupMember;
    if (p.instanceId === null) {
      const m = group.members.get(p.memberId);
      if (!m) throw new GroupApiError(ErrorCode.UnknownMemberId, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
      member = m;
      this.logger.info({ group: p.groupId, memberId: p.memberId }, 'member left the consumer group');
    } else {
      const m = group.staticMember(p.instanceId);
      if (!m) throw new GroupApiError(ErrorCode.UnknownMemberId, `Instance id ${p.instanceId} is unknown.`);
      if (m.memberId !== p.memberId) {
        throw new GroupApiError(ErrorCode.FencedInstanceId, `Static member ${p.memberId} with instance id ${p.instanceId} was fenced by member ${m.memberId}.`);
      }
      member = m;
      if (p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        // A static member leaves for now: it keeps its partitions until it comes back or its session expires.
        this.logger.info({ group: p.groupId, memberId: p.memberId, instanceId: p.instanceId }, 'static member temporarily left the consumer group');
        const leaving: ConsumerGroupMember = { ...m, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, partitionsPendingRevocation: EMPTY_ASSIGNMENT };
        batch.consumerGroup({ type: 'cg-current', group: p.groupId, memberId: m.memberId, value: currentAssignmentValue(leaving) });
        return { result: ok(m.memberId, LEAVE_GROUP_STATIC_MEMBER_EPOCH), afterWrite: () => { this.cancelRebalanceTimeout(p.groupId, m.memberId); } };
      }
      this.logger.info({ group: p.groupId, memberId: p.memberId, instanceId: p.instanceId }, 'static member left the consumer group');
    }
    this.fenceRecords(group, [member], batch);
    return { result: ok(p.memberId, p.memberEpoch), afterWrite: () => { this.cancelTimers(p.groupId, member.memberId); } };
  }

  /** Removes members and bumps the group epoch (Kafka's consumerGroupFenceMembers). */
  private fenceRecords(group: ConsumerGroup, members: readonly ConsumerGroupMember[], batch: RecordBatchBuilder): void {
    for (const m of members) for (const r of memberTombstones(group.groupId, m.memberId)) batch.consumerGroup(r);
    let hash = group.metadataHash;
    if (members.length === 1) hash = this.metadataHash(group, members[0], null);
    batch.consumerGroup({ type: 'cg-epoch', group: group.groupId, value: { epoch: group.groupEpoch + 1, metadataHash: hash } });
  }

  /** A timer fences a member: its session expired, or it did not revoke partitions in time. */
  private fence(groupId: string, memberId: string, reason: string, expectedEpoch: number | null): Promise<void> {
    return this.run(groupId, async () => {
      if (this.host.status() !== null) return;
      const group = this.groups.get(groupId);
      const member = group?.members.get(memberId);
      if (!group || !member) return;
      if (expectedEpoch !== null && member.memberEpoch !== expectedEpoch) return;
      this.logger.info({ group: groupId, memberId, reason }, 'member fenced from the consumer group');
      const batch = new RecordBatchBuilder(512);
      this.fenceRecords(group, [member], batch);
      try {
        await this.host.write(batch);
        this.cancelTimers(groupId, memberId);
      } catch (err) {
        this.logger.warn({ err, group: groupId, memberId }, 'failed to fence a consumer group member');
      }
    });
  }

  private consumerGroupOrThrow(groupId: string): ConsumerGroup {
    const group = this.groups.get(groupId);
    if (group) return group;
    if (this.host.classicGroup(groupId) !== 'none') throw new GroupApiError(ErrorCode.GroupIdNotFound, `Group ${groupId} is not a consumer group.`);
    throw new GroupApiError(ErrorCode.GroupIdNotFound, `Group ${groupId} not found.`);
  }

  // ---------------------------------------------------------------------------------------------
  // Timers

  private scheduleSessionTimeout(groupId: string, memberId: string): void {
    const key = `${groupId}\0${memberId}`;
    const old = this.sessionTimers.get(key);
    if (old) this.clock.clearTimeout(old);
    this.sessionTimers.set(
      key,
      this.clock.setTimeout(
        () => {
          this.sessionTimers.delete(key);
          void this.fence(groupId, memberId, 'the member session expired', null);
        },
        this.config().consumerGroupSessionTimeoutMs,
        { unref: true },
      ),
    );
  }

  private scheduleRebalanceTimeout(groupId: string, memberId: string, memberEpoch: number, rebalanceTimeoutMs: number): void {
    const key = `${groupId}\0${memberId}`;
    const old = this.rebalanceTimers.get(key);
    if (old) this.clock.clearTimeout(old);
    this.rebalanceTimers.set(
      key,
      this.clock.setTimeout(
        () => {
          this.rebalanceTimers.delete(key);
          void this.fence(groupId, memberId, `it failed to revoke partitions of epoch ${memberEpoch} within ${rebalanceTimeoutMs}ms`, memberEpoch);
        },
        Math.max(0, rebalanceTimeoutMs),
        { unref: true },
      ),
    );
  }

  private cancelRebalanceTimeout(groupId: string, memberId: string): void {
    const key = `${groupId}\0${memberId}`;
    const t = this.rebalanceTimers.get(key);
    if (t) this.clock.clearTimeout(t);
    this.rebalanceTimers.delete(key);
  }

  private cancelTimers(groupId: string, memberId: string): void {
    const key = `${groupId}\0${memberId}`;
    const t = this.sessionTimers.get(key);
    if (t) this.clock.clearTimeout(t);
    this.sessionTimers.delete(key);
    this.cancelRebalanceTimeout(groupId, memberId);
  }

  // ---------------------------------------------------------------------------------------------
  // Subscriptions and metadata

  /** Topic ids a member subscribes to (names and regex), existing topics only; fills `partitions`. */
  private subscribedTopicIds(m: ConsumerGroupMember, partitions?: Map<string, number>): Set<string> {
    const out = new Set<string>();
    const addName = (name: string) => {
      const t = this.metadata.topic(name);
      if (!t) return;
      out.add(t.topicId);
      partitions?.set(t.topicId, t.partitions);
    };
    for (const name of m.subscribedTopicNames) addName(name);
    if (hasRegex(m)) for (const name of this.regexTopics(m.subscribedTopicRegex)) addName(name);
    return out;
  }

  private regexTopics(regex: string): string[] {
    const names: string[] = [];
    for (const t of this.metadata.topics()) names.push(t.name);
    return matchingTopics(regex, names);
  }

  /** Every topic name the group subscribes to, with `removed` replaced by `added`. */
  private subscribedTopicNames(group: ConsumerGroup, removed: ConsumerGroupMember | null, added: ConsumerGroupMember | null): Set<string> {
    const names = new Map(group.subscribedTopicNames);
    const regexes = new Map(group.subscribedRegexes);
    const change = (m: ConsumerGroupMember, d: number) => {
      for (const t of m.subscribedTopicNames) names.set(t, (names.get(t) ?? 0) + d);
      if (hasRegex(m)) regexes.set(m.subscribedTopicRegex, (regexes.get(m.subscribedTopicRegex) ?? 0) + d);
    };
    if (removed) change(removed, -1);
    if (added) change(added, 1);
    const out = new Set<string>();
    for (const [t, n] of names) if (n > 0) out.add(t);
    for (const [r, n] of regexes) if (n > 0) for (const t of this.regexTopics(r)) out.add(t);
    return out;
  }

  /** Kafka's metadata hash: over the name, id and partition count of every subscribed topic that exists. */
  private metadataHash(group: ConsumerGroup, removed: ConsumerGroupMember | null, added: ConsumerGroupMember | null): string {
    const names = [...this.subscribedTopicNames(group, removed, added)].sort();
    const h = createHash('sha1');
    for (const name of names) {
      const t = this.metadata.topic(name);
      if (t) h.update(`${name}\0${t.topicId}\0${t.partitions}\n`);
    }
    return h.digest('base64url').slice(0, 16);
  }

  /** Is a topic subscribed to by some member of this consumer group (by name or regex)? */
  isSubscribedToTopic(groupId: string, topic: string): boolean {
    const group = this.groups.get(groupId);
    if (!group) return false;
    if (group.isSubscribedToTopicName(topic)) return true;
    for (const r of group.subscribedRegexes.keys()) if (matchingTopics(r, [topic]).length > 0) return true;
    return false;
  }

  /** Every topic the group subscribes to now. */
  subscribedTopics(groupId: string): Set<string> {
    const group = this.groups.get(groupId);
    return group ? this.subscribedTopicNames(group, null, null) : new Set();
  }

  // ---------------------------------------------------------------------------------------------
  // Offsets, deletion, listing, describing

  /**
   * Kafka's ConsumerGroup.validateOffsetCommit: null when the commit may proceed, else the error.
   * A member epoch below 0 commits only to a group without members (admin tools, manual assignment).
   */
  validateOffsetCommit(groupId: string, memberId: string, memberEpoch: number, apiVersion: number): number | null {
    const group = mustGet(this.groups, groupId);
    if (memberEpoch < 0 && group.size === 0) return null;
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UnknownMemberId;
    // Members of the consumer protocol commit with OffsetCommit v9+ (which carries the member epoch).
    if (apiVersion < 9) return ErrorCode.UnsupportedVersion;
    if (memberEpoch !== member.memberEpoch) return ErrorCode.StaleMemberEpoch;
    return null;
  }

  /** Kafka's ConsumerGroup.validateOffsetFetch: null member id and epoch below 0 (admin) always pass. */
  validateOffsetFetch(groupId: string, memberId: string | null, memberEpoch: number): number | null {
    const group = mustGet(this.groups, groupId);
    if (memberId === null && memberEpoch < 0) return null;
    const member = memberId === null ? undefined : group.members.get(memberId);
    if (!member) return ErrorCode.UnknownMemberId;
    if (memberEpoch !== member.memberEpoch) return ErrorCode.StaleMemberEpoch;
    return null;
  }

  /** Adds the group's tombstones to the batch if it is empty; NON_EMPTY_GROUP otherwise. */
  deleteGroup(groupId: string, batch: RecordBatchBuilder): number {
    const group = mustGet(this.groups, groupId);
    if (group.size > 0) return ErrorCode.NonEmptyGroup;
    for (const r of group.tombstoneRecords()) batch.consumerGroup(r);
    return ErrorCode.None;
  }

  isEmpty(groupId: string): boolean {
    return (this.groups.get(groupId)?.size ?? 0) === 0;
  }

  list(): ListedConsumerGroup[] {
    return [...this.groups.values()].map((g) => ({ groupId: g.groupId, state: g.state }));
  }

  describe(groupId: string): DescribedConsumerGroup {
    const group = this.groups.get(groupId);
    const base = { groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] };
    if (!group) {
      const message = this.host.classicGroup(groupId) !== 'none' ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`;
      return { ...base, errorCode: ErrorCode.GroupIdNotFound, errorMessage: message };
    }
    const described = (a: Assignment): DescribedTopicPartitions[] => {
      const out: DescribedTopicPartitions[] = [];
      for (const tp of assignmentToRecord(a)) {
        const t = this.metadata.topicById(tp.topicId);
        if (t) out.push({ topicId: tp.topicId, topicName: t.name, partitions: tp.partitions });
      }
      return out;
    };
    return {
      groupId,
      errorCode: ErrorCode.None,
      errorMessage: null,
      groupState: group.state,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: this.preferredAssignor(group, null, null, null),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        subscribedTopicRegex: hasRegex(m) ? m.subscribedTopicRegex : null,
        assignment: described(m.assignedPartitions),
        targetAssignment: described(group.targetAssignment.get(m.memberId) ?? EMPTY_ASSIGNMENT),
      })),
    };
  }
}

/** Kafka's throwIfConsumerGroupMemberEpochIsInvalid. Epoch 0 (rejoining) is always accepted. */
function throwIfMemberEpochIsInvalid(member: ConsumerGroupMember, received: number, owned: readonly TopicPartitionsValue[] | null): void {
  if (received === 0) return;
  if (received > member.memberEpoch) {
    throw new FencedMemberEpochError(
      `The consumer group member has a greater member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
    );
  }
  if (received < member.memberEpoch) {
    // The previous epoch with a subset of the current partitions: the response that bumped it was lost.
    if (received !== member.previousMemberEpoch || !isSubset(owned, member.assignedPartitions)) {
      throw new FencedMemberEpochError(
        `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    }
  }
}

function sameAssignmentState(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return (
    a.memberEpoch === b.memberEpoch &&
    a.previousMemberEpoch === b.previousMemberEpoch &&
    a.state === b.state &&
    assignmentEquals(a.assignedPartitions, b.assignedPartitions) &&
    assignmentEquals(a.partitionsPendingRevocation, b.partitionsPendingRevocation)
  );
}
