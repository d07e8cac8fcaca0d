/**
 * The classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) as Kafka's group
 * coordinator runs it (GroupCoordinator.scala up to 3.x, GroupMetadataManager.java in 4.x; where
 * they differ, 4.x wins unless noted).
 *
 * - A JoinGroup or SyncGroup that must wait is parked on its member and answered when the
 *   rebalance gets there: JoinGroup responses go out when the join phase completes (every member
 *   rejoined, or the rebalance timeout passed and the stragglers were removed); SyncGroup
 *   responses when the leader's assignment is stored.
 * - The first rebalance of an empty group waits group.initial.rebalance.delay.ms, extended by the
 *   same delay while new members keep arriving, up to the rebalance timeout.
 * - Timers (session, pending member, join phase, pending sync) run on the injected Clock, so the
 *   state machine is driven by tests without sleeping.
 * - Durable state (the group record written after a leader's SyncGroup, when a group empties, or
 *   when a static member is replaced) goes through `persistence.storeGroup`, which resolves once
 *   the record is written and replayed; the live rebalance state (parked requests, timers) is in
 *   memory, as in Kafka, and a restart brings a group back as it was last stored.
 *
 * Deliberate differences from Kafka, all about requests that would otherwise hang: a parked
 * request that gets replaced by a newer one from the same member, or whose member is removed, is
 * answered (REBALANCE_IN_PROGRESS or UNKNOWN_MEMBER_ID) instead of being dropped; and on shutdown
 * parked requests get COORDINATOR_NOT_AVAILABLE (Kafka answers NOT_COORDINATOR when it unloads a
 * group; a single broker never sends that).
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/generated/errors.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { ClassicGroup, CONSUMER_PROTOCOL_TYPE } from './group.js';
import {
  joinError,
  MemberMetadata,
  syncError,
  type JoinGroupResult,
  type MemberProtocol,
  type SyncGroupResult,
} from './member.js';

/** The broker settings the coordinator reads (names as in BrokerConfig, read on every use). */
export interface GroupConfig {
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  readonly groupInitialRebalanceDelayMs: number;
  readonly groupMaxSize: number;
  readonly offsetMetadataMaxBytes: number;
  readonly offsetsRetentionMs: number;
  readonly offsetsRetentionCheckIntervalMs: number;
}

export interface GroupPersistence {
  /**
   * Writes the group's metadata record with this assignment (null: an empty group record);
   * resolves once it is durable and applied.
   */
  storeGroup(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer> | null): Promise<void>;
}

export interface JoinGroupParams {
  groupId: string;
  /** '' on a first join. */
  memberId: string;
  groupInstanceId: string | null;
  /** JoinGroup v4+ without a group instance id: a first join is answered MEMBER_ID_REQUIRED. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader rejoining a stable group is told to skip the assignment. */
  supportSkippingAssignment: boolean;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: readonly MemberProtocol[];
  reason: string | null;
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v5+; null when not sent. */
  protocolType: string | null;
  protocolName: string | null;
  /** The leader's assignment (followers send none). */
  assignments: readonly { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface GroupSummary {
  groupId: string;
  errorCode: number;
  errorMessage: string | null;
  /** False when the group does not exist (Kafka describes it as Dead, or GROUP_ID_NOT_FOUND from v6). */
  exists: boolean;
  state: string;
  protocolType: string;
  /** The chosen protocol while Stable, else ''. */
  protocol: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
  }[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  /** The classic group's state, or a consumer group's (Empty, Assigning, Reconciling, Stable). */
  state: string;
  type: 'classic' | 'consumer';
}

/** New members are removed if their first JoinGroup is still parked after this long (Kafka's NewMemberJoinTimeoutMs). */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

const EMPTY = Buffer.alloc(0);

export class GroupManager {
  readonly groups = new Map<string, ClassicGroup>();
  /** While true, requests get COORDINATOR_LOAD_IN_PROGRESS (or Kafka's substitute for their api). */
  loading = false;
  /** After shutdown: COORDINATOR_NOT_AVAILABLE. */
  active = true;
  /** Writes started by the operation under way, for operations that answer after them (LeaveGroup). */
  private writes: Promise<void>[] | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly config: () => GroupConfig,
    private readonly persistence: GroupPersistence,
  ) {}

  /** Kafka's validateGroupStatus; `allowEmptyId` for the apis that accept the empty group id. */
  validateGroupStatus(groupId: string, allowEmptyId: boolean): number | null {
    if (!allowEmptyId && groupId === '') return ErrorCode.InvalidGroupId;
    if (!this.active) return ErrorCode.CoordinatorNotAvailable;
    if (this.loading) return ErrorCode.CoordinatorLoadInProgress;
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // JoinGroup

  joinGroup(p: JoinGroupParams): Promise<JoinGroupResult> {
    return new Promise((respond) => { this.handleJoinGroup(p, respond); });
  }

  private handleJoinGroup(p: JoinGroupParams, respond: (r: JoinGroupResult) => void): void {
    const status = this.validateGroupStatus(p.groupId, false);
    if (status !== null) { respond(joinError(p.memberId, status)); return; }
    const cfg = this.config();
    if (p.sessionTimeoutMs < cfg.groupMinSessionTimeoutMs || p.sessionTimeoutMs > cfg.groupMaxSessionTimeoutMs) {
      respond(joinError(p.memberId, ErrorCode.InvalidSessionTimeout)); return;
    }
    const isUnknownMember = p.memberId === '';
    let group = this.groups.get(p.groupId);
    let isNewGroup = false;
    if (!group) {
      if (!isUnknownMember) { respond(joinError(p.memberId, ErrorCode.UnknownMemberId)); return; }
      group = this.createGroup(p.groupId);
      isNewGroup = true;
    }

    if (!this.acceptJoiningMember(group, p.memberId)) {
      const member = group.members.get(p.memberId);
      if (member) this.cancelHeartbeat(member);
      this.clearPendingTimer(group, p.memberId);
      group.remove(p.memberId);
      respond(joinError('', ErrorCode.GroupMaxSizeReached));
    } else if (isUnknownMember) {
      this.joinNewMember(group, p, respond);
    } else {
      this.joinExistingMember(group, p, respond);
    }
    if (group.is('PreparingRebalance')) this.maybeCompleteJoinPhase(group);
    // Kafka 4 writes a new group's (empty) record at once, so that it survives a restart.
    if (isNewGroup) this.store(group, null).catch(() => undefined);
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    const max = this.config().groupMaxSize;
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        // The awaiting count (not the size) so that the last members to rejoin are the ones turned away.
        return (group.has(memberId) && group.get(memberId).isAwaitingJoin) || group.numMembersAwaitingJoin < max;
      case 'CompletingRebalance':
      case 'Stable':
        return group.has(memberId) || group.size < max;
    }
  }

  private joinNewMember(group: ClassicGroup, p: JoinGroupParams, respond: (r: JoinGroupResult) => void): void {
    if (group.is('Dead')) { respond(joinError('', ErrorCode.CoordinatorNotAvailable)); return; }
    if (!group.supportsProtocols(p.protocolType, p.protocols.map((x) => x.name))) {
      respond(joinError('', ErrorCode.InconsistentGroupProtocol)); return;
    }
    const newMemberId = `${p.groupInstanceId ?? p.clientId}-${randomUUID()}`;
    if (p.groupInstanceId !== null) {
      const oldMemberId = group.currentStaticMemberId(p.groupInstanceId);
      if (oldMemberId !== undefined) {
        this.logger.info({ group: group.groupId, groupInstanceId: p.groupInstanceId, oldMemberId, newMemberId }, 'static member rejoins with a new member id');
        this.updateStaticMemberAndRebalance(group, oldMemberId, newMemberId, p, respond);
      } else {
        this.addMemberAndRebalance(group, newMemberId, p, respond);
      }
    } else if (p.requireKnownMemberId) {
      // The member must rejoin with this id; until then it is pending, for one session timeout.
      const timer = this.clock.setTimeout(() => { this.expirePendingMember(group, newMemberId); }, p.sessionTimeoutMs, { unref: true });
      group.addPendingMember(newMemberId, timer);
      respond(joinError(newMemberId, ErrorCode.MemberIdRequired));
    } else {
      this.addMemberAndRebalance(group, newMemberId, p, respond);
    }
  }

  private joinExistingMember(group: ClassicGroup, p: JoinGroupParams, respond: (r: JoinGroupResult) => void): void {
    const memberId = p.memberId;
    if (group.is('Dead')) { respond(joinError(memberId, ErrorCode.CoordinatorNotAvailable)); return; }
    if (!group.supportsProtocols(p.protocolType, p.protocols.map((x) => x.name))) {
      respond(joinError(memberId, ErrorCode.InconsistentGroupProtocol)); return;
    }
    if (group.isPendingMember(memberId)) {
      // Pending ids are only handed to dynamic members; Kafka fails this with an IllegalStateException.
      if (p.groupInstanceId !== null) { respond(joinError(memberId, ErrorCode.UnknownServerError)); return; }
      this.clearPendingTimer(group, memberId);
      this.addMemberAndRebalance(group, memberId, p, respond); return;
    }
    const invalid = this.validateMember(group, memberId, p.groupInstanceId);
    if (invalid !== null) { respond(joinError(memberId, invalid)); return; }
    const member = group.get(memberId);
    switch (group.state) {
      case 'PreparingRebalance':
        { this.updateMemberAndRebalance(group, member, p, respond); return; }
      case 'CompletingRebalance':
        if (member.matches(p.protocols)) {
          // Same metadata (it probably missed the JoinGroup response): the current generation again.
          respond(this.joinResult(group, memberId, group.isLeader(memberId))); return;
        }
        { this.updateMemberAndRebalance(group, member, p, respond); return; }
      case 'Stable':
        // The leader's JoinGroup forces a rebalance (topic metadata may have changed); so does new metadata.
        if (group.isLeader(memberId) || !member.matches(p.protocols)) { this.updateMemberAndRebalance(group, member, p, respond); return; }
        { respond(this.joinResult(group, memberId, false)); return; }
      default:
        { respond(joinError(memberId, ErrorCode.UnknownMemberId)); return; }
    }
  }

  private joinResult(group: ClassicGroup, memberId: string, withMembers: boolean): JoinGroupResult {
    return {
      errorCode: ErrorCode.None,
      memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId: group.leaderId ?? '',
      skipAssignment: false,
      members: withMembers ? group.currentMemberMetadata() : [],
    };
  }

  private addMemberAndRebalance(group: ClassicGroup, memberId: string, p: JoinGroupParams, respond: (r: JoinGroupResult) => void): void {
    const member = new MemberMetadata(
      memberId,
      p.groupInstanceId,
      p.clientId,
      p.clientHost,
      p.rebalanceTimeoutMs,
      p.sessionTimeoutMs,
      p.protocolType,
      p.protocols,
    );
    member.isNew = true;
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    group.add(member, respond);
    // A new member cannot heartbeat while its JoinGroup is parked; it is dropped if that takes too long.
    this.rescheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.maybePrepareRebalanceOrCompleteJoin(group, `adding new member ${memberId}`);
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: MemberMetadata, p: JoinGroupParams, respond: (r: JoinGroupResult) => void): void {
    this.replaceParkedJoin(member);
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, respond);
    this.maybePrepareRebalanceOrCompleteJoin(group, `member ${member.memberId} joining during ${group.state}`);
  }

  /** A member that sends a new JoinGroup while one is parked: the old one is answered, not dropped. */
  private replaceParkedJoin(member: MemberMetadata): void {
    const old = member.awaitingJoin;
    if (!old) return;
    member.awaitingJoin = () => undefined;
    old(joinError(member.memberId, ErrorCode.RebalanceInProgress));
  }

  private updateStaticMemberAndRebalance(
    group: ClassicGroup,
    oldMemberId: string,
    newMemberId: string,
    p: JoinGroupParams,
    respond: (r: JoinGroupResult) => void,
  ): void {
    const instanceId = p.groupInstanceId;
    if (instanceId === null) throw new Error('internal error: a static member rejoined without its group.instance.id');
    const currentLeader = group.leaderId;
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    this.rescheduleHeartbeat(group, member);
    const oldProtocols = member.supportedProtocols;
    const oldRebalanceTimeoutMs = member.rebalanceTimeoutMs;
    const oldSessionTimeoutMs = member.sessionTimeoutMs;
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, respond);

    switch (group.state) {
      case 'Stable': {
        if (group.protocolName !== group.selectProtocol()) {
          this.maybePrepareRebalanceOrCompleteJoin(group, `static member ${newMemberId} joined with a change of protocol`); return;
        }
        // No rebalance: persist the new member id and hand back the current generation.
        const generationId = group.generationId;
        this.store(group, this.groupAssignment(group)).then(
          () => {
            const isLeader = group.isLeader(newMemberId);
            if (p.supportSkippingAssignment) {
              group.completeJoin(member, {
                ...this.joinResult(group, newMemberId, isLeader),
                skipAssignment: isLeader,
              });
            } else {
              // Before v9 the old leader id is returned, so a restarted static leader does not run a
              // trivial assignment that a stable group would ignore.
              group.completeJoin(member, { ...this.joinResult(group, newMemberId, false), leaderId: currentLeader ?? '' });
            }
          },
          (err: unknown) => {
            const answer = member.awaitingJoin;
            if (group.members.get(newMemberId) !== member || answer === null) return;
            group.updateMember(member, oldProtocols, oldRebalanceTimeoutMs, oldSessionTimeoutMs, null);
            const old = group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
            this.rescheduleHeartbeat(group, old);
            answer({
              ...joinError('', groupStoreErrorCode(err)),
              generationId,
              protocolType: group.protocolType,
              protocolName: group.protocolName,
              leaderId: currentLeader ?? '',
            });
          },
        );
        return;
      }
      case 'CompletingRebalance':
        // The leader may already hold the old member id: rebalance so the new id gets an assignment.
        { this.prepareRebalance(group, `updating metadata for static member ${newMemberId}`); return; }
      default:
        // PreparingRebalance: the member now waits for the join phase like the others.
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Rebalance phases

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoinPhase(group);
  }

  /** Completes the join phase early when everyone has rejoined (not during the initial delay). */
  private maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (group.is('PreparingRebalance') && group.hasAllMembersJoined() && group.previousState !== 'Empty') {
      this.completeGroupJoin(group);
    }
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    // Members waiting for an assignment must rejoin instead.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.RebalanceInProgress);
    this.cancelSyncTimer(group);
    const initial = group.is('Empty');
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs;
    group.transitionTo('PreparingRebalance', this.clock.now());
    this.logger.info({ group: group.groupId, generation: group.generationId, reason }, 'preparing to rebalance group');
    if (initial) {
      const delayMs = this.config().groupInitialRebalanceDelayMs;
      const remainingMs = Math.max(rebalanceTimeoutMs - delayMs, 0);
      this.scheduleJoinTimer(group, delayMs, () => { this.tryCompleteInitialRebalance(group, delayMs, remainingMs); });
    } else if (group.hasAllMembersJoined()) {
      this.completeGroupJoin(group);
    } else {
      this.scheduleJoinTimer(group, group.rebalanceTimeoutMs, () => { this.completeGroupJoin(group); });
    }
  }

  private tryCompleteInitialRebalance(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    if (group.newMemberAdded && remainingMs !== 0) {
      // New members keep arriving: wait another delay, within the rebalance timeout.
      group.newMemberAdded = false;
      const nextDelayMs = Math.min(this.config().groupInitialRebalanceDelayMs, remainingMs);
      const nextRemainingMs = Math.max(remainingMs - delayMs, 0);
      this.scheduleJoinTimer(group, nextDelayMs, () => { this.tryCompleteInitialRebalance(group, nextDelayMs, nextRemainingMs); });
    } else {
      this.completeGroupJoin(group);
    }
  }

  /** The join phase ends: stragglers go, a new generation starts and every parked JoinGroup is answered. */
  private completeGroupJoin(group: ClassicGroup): void {
    this.cancelJoinTimer(group);
    if (!group.is('PreparingRebalance')) return;
    const stragglers = group.notYetRejoinedMembers().filter((m) => !m.isStaticMember);
    for (const m of stragglers) {
      this.cancelHeartbeat(m);
      group.remove(m.memberId);
      group.completeSync(m, syncError(ErrorCode.UnknownMemberId));
    }
    if (stragglers.length > 0) {
      this.logger.info({ group: group.groupId, removed: stragglers.map((m) => m.memberId) }, 'removed members who did not rejoin before the rebalance timeout');
    }
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members that have not rejoined are left: wait for them (their sessions expire otherwise).
      this.logger.warn({ group: group.groupId }, 'group could not complete its rebalance because no members rejoined');
      this.scheduleJoinTimer(group, group.rebalanceTimeoutMs, () => { this.completeGroupJoin(group); });
      return;
    }
    group.initNextGeneration(this.clock.now());
    if (group.is('Empty')) {
      this.logger.info({ group: group.groupId, generation: group.generationId }, 'group is now empty');
      this.store(group, new Map()).catch((err: unknown) => {
        this.logger.warn({ group: group.groupId, err }, 'failed to write the metadata of an empty group');
      });
      return;
    }
    this.logger.info({ group: group.groupId, generation: group.generationId, members: group.size, protocol: group.protocolName }, 'group completed its join phase');
    for (const member of [...group.members.values()]) {
      group.completeJoin(member, this.joinResult(group, member.memberId, group.isLeader(member.memberId)));
      this.rescheduleHeartbeat(group, member);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    this.schedulePendingSync(group);
  }

  private schedulePendingSync(group: ClassicGroup): void {
    this.cancelSyncTimer(group);
    const generationId = group.generationId;
    group.syncTimer = this.clock.setTimeout(
      () => {
        group.syncTimer = null;
        this.expirePendingSync(group, generationId);
      },
      group.rebalanceTimeoutMs,
      { unref: true },
    );
  }

  /** Members that did not send SyncGroup within the rebalance timeout are removed and the group rebalances. */
  private expirePendingSync(group: ClassicGroup, generationId: number): void {
    if (generationId !== group.generationId) return;
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
    if (group.pendingSyncMembers.size === 0) return;
    const late = [...group.pendingSyncMembers];
    for (const memberId of late) {
      const m = group.members.get(memberId);
      if (m) {
        this.cancelHeartbeat(m);
        group.completeJoin(m, joinError('', ErrorCode.UnknownMemberId));
      }
      group.remove(memberId);
    }
    this.prepareRebalance(group, `removing ${late.join(', ')} on pending sync request expiration`);
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) this.cancelSyncTimer(group);
  }

  // ---------------------------------------------------------------------------------------------
  // SyncGroup

  syncGroup(p: SyncGroupParams): Promise<SyncGroupResult> {
    return new Promise((respond) => { this.handleSyncGroup(p, respond); });
  }

  private handleSyncGroup(p: SyncGroupParams, respond: (r: SyncGroupResult) => void): void {
    const status = this.validateGroupStatus(p.groupId, false);
    // While loading, the rebalance state is lost: REBALANCE_IN_PROGRESS makes the member rejoin
    // (older clients do not expect COORDINATOR_LOAD_IN_PROGRESS here).
    if (status === ErrorCode.CoordinatorLoadInProgress) { respond(syncError(ErrorCode.RebalanceInProgress)); return; }
    if (status !== null) { respond(syncError(status)); return; }
    const group = this.groups.get(p.groupId);
    if (!group) { respond(syncError(ErrorCode.UnknownMemberId)); return; }
    const invalid = this.validateSyncGroup(group, p);
    if (invalid !== null) { respond(syncError(invalid)); return; }
    switch (group.state) {
      case 'Empty':
        { respond(syncError(ErrorCode.UnknownMemberId)); return; }
      case 'PreparingRebalance':
        { respond(syncError(ErrorCode.RebalanceInProgress)); return; }
      case 'CompletingRebalance': {
        const member = group.get(p.memberId);
        const old = member.awaitingSync;
        member.awaitingSync = respond;
        old?.(syncError(ErrorCode.RebalanceInProgress));
        this.removePendingSyncMember(group, p.memberId);
        if (group.isLeader(p.memberId)) this.storeLeaderAssignment(group, p);
        return;
      }
      case 'Stable': {
        this.removePendingSyncMember(group, p.memberId);
        const member = group.get(p.memberId);
        respond({ errorCode: ErrorCode.None, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
        this.rescheduleHeartbeat(group, member);
        return;
      }
      case 'Dead':
        { respond(syncError(ErrorCode.CoordinatorNotAvailable)); return; }
    }
  }

  private validateSyncGroup(group: ClassicGroup, p: SyncGroupParams): number | null {
    if (group.is('Dead')) return ErrorCode.CoordinatorNotAvailable;
    const invalid = this.validateMember(group, p.memberId, p.groupInstanceId);
    if (invalid !== null) return invalid;
    if (p.generationId !== group.generationId) return ErrorCode.IllegalGeneration;
    if (inconsistent(p.protocolType, group.protocolType) || inconsistent(p.protocolName, group.protocolName)) {
      return ErrorCode.InconsistentGroupProtocol;
    }
    return null;
  }

  private storeLeaderAssignment(group: ClassicGroup, p: SyncGroupParams): void {
    const assignment = new Map<string, Buffer>();
    for (const a of p.assignments) assignment.set(a.memberId, a.assignment);
    const missing: string[] = [];
    for (const id of group.members.keys()) {
      if (!assignment.has(id)) {
        assignment.set(id, EMPTY);
        missing.push(id);
      }
    }
    if (missing.length > 0) this.logger.warn({ group: group.groupId, members: missing }, 'setting empty assignments for members the leader did not assign');
    const generationId = group.generationId;
    this.store(group, assignment).then(
      () => {
        // Another member may have joined meanwhile: only the same generation, still completing, goes Stable.
        if (!group.is('CompletingRebalance') || group.generationId !== generationId) return;
        for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY;
        this.propagateAssignment(group, ErrorCode.None);
        group.transitionTo('Stable', this.clock.now());
        this.logger.info({ group: group.groupId, generation: generationId }, 'group is stable');
      },
      (err: unknown) => {
        if (!group.is('CompletingRebalance') || group.generationId !== generationId) return;
        const code = groupStoreErrorCode(err);
        this.logger.warn({ group: group.groupId, err }, 'failed to store the group assignment');
        this.resetAndPropagateAssignmentError(group, code);
        this.maybePrepareRebalanceOrCompleteJoin(group, `error ${code} when storing the group assignment`);
      },
    );
  }

  private resetAndPropagateAssignmentError(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.None;
    for (const m of [...group.members.values()]) {
      const answered = group.completeSync(m, {
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: m.assignment,
      });
      // A session that ran out while the member waited for the assignment starts over now.
      if (answered) this.rescheduleHeartbeat(group, m);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Heartbeat

  heartbeat(p: HeartbeatParams): number {
    const status = this.validateGroupStatus(p.groupId, false);
    // While loading, answer blindly: the member finds out about the group once it is loaded.
    if (status === ErrorCode.CoordinatorLoadInProgress) return ErrorCode.None;
    if (status !== null) return status;
    const group = this.groups.get(p.groupId);
    if (!group) return ErrorCode.UnknownMemberId;
    if (group.is('Dead')) return ErrorCode.CoordinatorNotAvailable;
    const invalid = this.validateMember(group, p.memberId, p.groupInstanceId);
    if (invalid !== null) return invalid;
    if (p.generationId !== group.generationId) return ErrorCode.IllegalGeneration;
    switch (group.state) {
      case 'PreparingRebalance':
        this.rescheduleHeartbeat(group, group.get(p.memberId));
        return ErrorCode.RebalanceInProgress;
      case 'CompletingRebalance':
      case 'Stable':
        // Members may heartbeat as soon as they have their JoinGroup response.
        this.rescheduleHeartbeat(group, group.get(p.memberId));
        return ErrorCode.None;
      default:
        return ErrorCode.UnknownMemberId;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // LeaveGroup

  async leaveGroup(groupId: string, leaving: readonly LeavingMember[]): Promise<LeaveGroupResult> {
    const status = this.validateGroupStatus(groupId, false);
    if (status !== null) return { errorCode: status, members: [] };
    const group = this.groups.get(groupId);
    const answer = (m: LeavingMember, errorCode: number) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    if (!group) return { errorCode: ErrorCode.None, members: leaving.map((m) => answer(m, ErrorCode.UnknownMemberId)) };
    if (group.is('Dead')) return { errorCode: ErrorCode.CoordinatorNotAvailable, members: [] };
    const writes: Promise<void>[] = (this.writes = []);
    const members = leaving.map((m) => {
      const reason = m.reason ?? 'not provided';
      if (m.memberId === '') {
        // Administrative removal by group instance id.
        const current = m.groupInstanceId !== null ? group.currentStaticMemberId(m.groupInstanceId) : undefined;
        if (current === undefined) return answer(m, ErrorCode.UnknownMemberId);
        this.removeMemberAndUpdateGroup(group, group.get(current), `removing member ${current} on LeaveGroup; client reason: ${reason}`);
        return answer(m, ErrorCode.None);
      }
      if (group.isPendingMember(m.memberId)) {
        this.removePendingMemberAndUpdateGroup(group, m.memberId);
        return answer(m, ErrorCode.None);
      }
      const invalid = this.validateMember(group, m.memberId, m.groupInstanceId);
      if (invalid !== null) return answer(m, invalid);
      this.removeMemberAndUpdateGroup(group, group.get(m.memberId), `removing member ${m.memberId} on LeaveGroup; client reason: ${reason}`);
      return answer(m, ErrorCode.None);
    });
    this.writes = null;
    // Answer once the group's new state (typically Empty) is stored, as Kafka does.
    await Promise.all(writes);
    return { errorCode: ErrorCode.None, members };
  }

  // ---------------------------------------------------------------------------------------------
  // Member removal and expiry

  /**
   * Kafka 4's ClassicGroup.validateOffsetCommit: whether a member may commit offsets to the group.
   * A transactional commit (TxnOffsetCommit) is not refused for a member-less commit to a non-empty
   * group, nor while the group completes a rebalance.
   */
  validateOffsetCommit(group: ClassicGroup, p: { memberId: string; groupInstanceId: string | null; generationId: number }, isTransactional: boolean): number | null {
    if (group.is('Dead')) return ErrorCode.CoordinatorNotAvailable;
    // Generation -1 on an empty group: an admin client or a consumer without group management.
    if (p.generationId < 0 && group.is('Empty')) return null;
    if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
      const invalid = this.validateMember(group, p.memberId, p.groupInstanceId);
      if (invalid !== null) return invalid;
      if (p.generationId !== group.generationId) return ErrorCode.IllegalGeneration;
    } else if (!isTransactional && !group.is('Empty')) {
      // Without member id and generation, only a group without members takes commits.
      return ErrorCode.UnknownMemberId;
    }
    // The member has its new generation but not yet its assignment.
    if (!isTransactional && group.is('CompletingRebalance')) return ErrorCode.RebalanceInProgress;
    return null;
  }

  /** Kafka's validateCurrentMember: a static id must map to this member id, and the member must exist. */
  validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number | null {
    if (groupInstanceId !== null) {
      const current = group.currentStaticMemberId(groupInstanceId);
      if (current === undefined) return ErrorCode.UnknownMemberId;
      if (current !== memberId) {
        this.logger.info({ group: group.groupId, groupInstanceId, memberId, current }, 'static member fenced by a newer member id');
        return ErrorCode.FencedInstanceId;
      }
    }
    if (!group.has(memberId)) return ErrorCode.UnknownMemberId;
    return null;
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: MemberMetadata, reason: string): void {
    // A new member may time out with its JoinGroup parked: UNKNOWN_MEMBER_ID makes it rejoin if still alive.
    group.completeJoin(member, joinError('', ErrorCode.UnknownMemberId));
    group.completeSync(member, syncError(ErrorCode.UnknownMemberId));
    this.cancelHeartbeat(member);
    group.remove(member.memberId);
    this.logger.info({ group: group.groupId, member: member.memberId, reason }, 'member left the group');
    if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(group, reason);
    else if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.completeGroupJoin(group);
  }

  private removePendingMemberAndUpdateGroup(group: ClassicGroup, memberId: string): void {
    this.clearPendingTimer(group, memberId);
    group.remove(memberId);
    if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.completeGroupJoin(group);
  }

  private expirePendingMember(group: ClassicGroup, memberId: string): void {
    if (group.is('Dead') || !group.isPendingMember(memberId)) return;
    group.pendingMembers.set(memberId, null);
    this.logger.info({ group: group.groupId, member: memberId }, 'pending member removed after its session timeout');
    this.removePendingMemberAndUpdateGroup(group, memberId);
  }

  private expireHeartbeat(group: ClassicGroup, member: MemberMetadata): void {
    if (group.is('Dead') || group.members.get(member.memberId) !== member) return;
    // Members waiting in a rebalance are alive by definition (their timer restarts when it completes);
    // new members are not: their first JoinGroup has been parked for too long.
    const satisfied = !member.isNew && (member.isAwaitingJoin || member.isAwaitingSync);
    if (satisfied) return;
    this.logger.info({ group: group.groupId, member: member.memberId }, 'member session expired; removing it from the group');
    this.removeMemberAndUpdateGroup(group, member, `removing member ${member.memberId} on heartbeat expiration`);
  }

  /** Restarts a member's session timer (every valid heartbeat, and after each rebalance step). */
  rescheduleHeartbeat(group: ClassicGroup, member: MemberMetadata, timeoutMs = member.sessionTimeoutMs): void {
    this.cancelHeartbeat(member);
    member.heartbeatTimer = this.clock.setTimeout(
      () => {
        member.heartbeatTimer = null;
        this.expireHeartbeat(group, member);
      },
      timeoutMs,
      { unref: true },
    );
  }

  private cancelHeartbeat(member: MemberMetadata): void {
    if (member.heartbeatTimer) this.clock.clearTimeout(member.heartbeatTimer);
    member.heartbeatTimer = null;
  }

  private clearPendingTimer(group: ClassicGroup, memberId: string): void {
    const t = group.pendingMembers.get(memberId);
    if (t) this.clock.clearTimeout(t);
  }

  private scheduleJoinTimer(group: ClassicGroup, delayMs: number, run: () => void): void {
    this.cancelJoinTimer(group);
    group.joinTimer = this.clock.setTimeout(
      () => {
        group.joinTimer = null;
        if (!group.is('Dead')) run();
      },
      delayMs,
      { unref: true },
    );
  }

  private cancelJoinTimer(group: ClassicGroup): void {
    if (group.joinTimer) this.clock.clearTimeout(group.joinTimer);
    group.joinTimer = null;
  }

  private cancelSyncTimer(group: ClassicGroup): void {
    if (group.syncTimer) this.clock.clearTimeout(group.syncTimer);
    group.syncTimer = null;
  }

  // ---------------------------------------------------------------------------------------------
  // Groups: creation, loading, removal, listing

  /** A new empty group (JoinGroup with an unknown member, or a commit without a generation). */
  createGroup(groupId: string): ClassicGroup {
    const group = new ClassicGroup(groupId, this.clock.now());
    this.groups.set(groupId, group);
    return group;
  }

  /** A group read back from its record: Stable with its members, or Empty; sessions start now. */
  addLoadedGroup(group: ClassicGroup): void {
    this.groups.set(group.groupId, group);
    if (group.size > this.config().groupMaxSize) {
      this.prepareRebalance(group, `freshly-loaded group is over capacity (${this.config().groupMaxSize})`);
    }
    for (const m of group.members.values()) this.rescheduleHeartbeat(group, m);
  }

  /** Marks a group Dead and forgets it (DeleteGroups, offset expiry). Only for Empty groups. */
  removeGroup(group: ClassicGroup): void {
    for (const [id] of group.pendingMembers) this.clearPendingTimer(group, id);
    group.pendingMembers.clear();
    this.cancelJoinTimer(group);
    this.cancelSyncTimer(group);
    group.transitionTo('Dead', this.clock.now());
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
  }

  /** Every member's current assignment, by member id. */
  groupAssignment(group: ClassicGroup): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    for (const m of group.members.values()) out.set(m.memberId, m.assignment);
    return out;
  }

  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): { errorCode: number; groups: ListedGroup[] } {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const groups: ListedGroup[] = [];
    for (const g of this.groups.values()) {
      if (g.is('Dead')) continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has('classic')) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, type: 'classic' });
    }
    const errorCode = !this.active ? ErrorCode.CoordinatorNotAvailable : this.loading ? ErrorCode.CoordinatorLoadInProgress : ErrorCode.None;
    return { errorCode, groups };
  }

  describeGroup(groupId: string): GroupSummary {
    const status = this.validateGroupStatus(groupId, true);
    const base = { groupId, errorMessage: null, protocolType: '', protocol: '', members: [] };
    if (status !== null) return { ...base, errorCode: status, exists: true, state: '' };
    const group = this.groups.get(groupId);
    if (!group || group.is('Dead')) {
      return { ...base, errorCode: ErrorCode.None, errorMessage: `Group ${groupId} not found.`, exists: false, state: 'Dead' };
    }
    const protocolName = group.is('Stable') ? group.protocolName : null;
    const stable = protocolName !== null;
    return {
      ...base,
      errorCode: ErrorCode.None,
      exists: true,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocol: stable ? protocolName : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadata(protocolName) : EMPTY,
        assignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  /** Unloads every group: parked requests are answered COORDINATOR_NOT_AVAILABLE and timers stop. */
  unloadAll(): void {
    this.active = false;
    for (const group of this.groups.values()) {
      for (const m of group.members.values()) {
        group.completeJoin(m, joinError(m.memberId, ErrorCode.CoordinatorNotAvailable));
        group.completeSync(m, syncError(ErrorCode.CoordinatorNotAvailable));
        this.cancelHeartbeat(m);
      }
      for (const [id] of group.pendingMembers) this.clearPendingTimer(group, id);
      this.cancelJoinTimer(group);
      this.cancelSyncTimer(group);
    }
  }

  isConsumerGroup(group: ClassicGroup): boolean {
    return group.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  private store(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer> | null): Promise<void> {
    const p = this.persistence.storeGroup(group, assignment);
    this.writes?.push(p.catch(() => undefined));
    return p;
  }
}

/** SyncGroup v5 checks: a protocol type or name the client sends must match the group's when both are set. */
function inconsistent(fromClient: string | null, ofGroup: string | null): boolean {
  return fromClient !== null && ofGroup !== null && fromClient !== ofGroup;
}

/** Kafka's appendGroupMetadataErrorToResponseError, for our storage failures. */
export function groupStoreErrorCode(err: unknown): number {
  if (err instanceof RangeError) return ErrorCode.UnknownServerError;
  return ErrorCode.CoordinatorNotAvailable;
}
