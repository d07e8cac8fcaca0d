/**
 * A classic consumer group (Kafka's `GroupMetadata` / `ClassicGroup`): its state, generation,
 * protocol type and chosen protocol, leader, members (static ones also by group.instance.id),
 * members that were given an id and must rejoin with it (pending), and members that have not sent
 * their SyncGroup yet (pending sync).
 *
 * States and transitions, as Kafka:
 *
 *   Empty --join--> PreparingRebalance --all joined / timeout--> CompletingRebalance
 *     ^                  ^      |  (no members left)                   |  leader's SyncGroup stored
 *     |                  |      v                                      v
 *     +------------------+-- Empty                                   Stable
 *   PreparingRebalance <- Stable, CompletingRebalance, Empty;   Dead <- any state (deleted / unloaded)
 *
 * This class keeps the bookkeeping (vote counts, awaiting counts, leader choice); the protocol
 * logic that moves a group between states lives in the group manager. Not thread-safe: everything
 * runs on the event loop.
 */
import type { TimerHandle } from '../../util/clock.js';
import { Reader } from '../../protocol/reader.js';
import { decodeConsumerProtocolSubscription } from '../../protocol/generated/records/consumer-protocol.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import type { GroupMetadataValue } from '../../protocol/generated/records/group-metadata.js';
import { joinError, MemberMetadata, syncError, type JoinGroupResult, type SyncGroupResult } from './member.js';

const EMPTY = Buffer.alloc(0);

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export class ClassicGroup {
  state: GroupState;
  previousState: GroupState;
  /** When the group last changed state (ms since the epoch); persisted, drives offset expiry of empty groups. */
  currentStateTimestamp: number | null;
  generationId = 0;
  /** Set by the first member; null for groups that only store offsets ("simple" groups). */
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Insertion order matters: a new leader is the first remaining member, as Kafka's map order. */
  readonly members = new Map<string, MemberMetadata>();
  /** group.instance.id -> member id */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, waiting for the member to rejoin; with their expiry timers. */
  readonly pendingMembers = new Map<string, TimerHandle | null>();
  /** Members that have not sent SyncGroup for the current generation. */
  readonly pendingSyncMembers = new Set<string>();
  /** protocol name -> number of members supporting it */
  private readonly supportedProtocols = new Map<string, number>();
  numMembersAwaitingJoin = 0;
  /** A member joined during the initial (delayed) rebalance: the delay is extended. */
  newMemberAdded = false;
  /** Topics the consumer members subscribe to, when known (consumer protocol only). */
  subscribedTopics: Set<string> | null = null;
  /** The join-phase timer (initial delay or rebalance timeout). */
  joinTimer: TimerHandle | null = null;
  /** The pending-sync timer of the current generation. */
  syncTimer: TimerHandle | null = null;

  constructor(
    readonly groupId: string,
    nowMs: number,
    initialState: GroupState = 'Empty',
  ) {
    this.state = initialState;
    this.previousState = initialState;
    this.currentStateTimestamp = nowMs;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): MemberMetadata {
    const m = this.members.get(memberId);
    if (!m) throw new Error(`group ${this.groupId} has no member ${memberId}`);
    return m;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId);
  }

  hasStaticMember(groupInstanceId: string): boolean {
    return this.staticMembers.has(groupInstanceId);
  }

  currentStaticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /** The largest rebalance timeout of the members: how long a rebalance waits for rejoins. */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  transitionTo(target: GroupState, nowMs: number): void {
    if (!VALID_PREVIOUS[target].includes(this.state)) {
      throw new Error(`group ${this.groupId} should be in ${VALID_PREVIOUS[target].join('/')} to move to ${target}, but is ${this.state}`);
    }
    this.previousState = this.state;
    this.state = target;
    this.currentStateTimestamp = nowMs;
  }

  /** Kafka's supportsProtocols: may a member with this protocol type and these protocols join? */
  supportsProtocols(memberProtocolType: string, memberProtocols: readonly string[]): boolean {
    if (this.is('Empty')) return memberProtocolType !== '' && memberProtocols.length > 0;
    return this.protocolType === memberProtocolType && memberProtocols.some((p) => (this.supportedProtocols.get(p) ?? 0) === this.members.size);
  }

  /** Adds a member, making it the leader if the group has none, with its parked JoinGroup response. */
  add(member: MemberMetadata, callback: ((r: JoinGroupResult) => void) | null): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.members.set(member.memberId, member);
    this.countProtocols(member, 1);
    member.awaitingJoin = callback;
    if (callback) this.numMembersAwaitingJoin++;
    this.pendingMembers.delete(member.memberId);
  }

  /** Removes a member (or a pending member id); the first remaining member leads if it led. */
  remove(memberId: string): MemberMetadata | undefined {
    const member = this.members.get(memberId);
    if (member) {
      this.members.delete(memberId);
      this.countProtocols(member, -1);
      if (member.isAwaitingJoin) this.numMembersAwaitingJoin--;
      if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
        this.staticMembers.delete(member.groupInstanceId);
      }
    }
    if (this.isLeader(memberId)) {
      const next = this.members.keys().next();
      this.leaderId = next.done ? null : next.value;
    }
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    return member;
  }

  /** New protocols, timeouts and parked JoinGroup response for an existing member. */
  updateMember(
    member: MemberMetadata,
    protocols: MemberMetadata['supportedProtocols'],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    callback: ((r: JoinGroupResult) => void) | null,
  ): void {
    this.countProtocols(member, -1);
    member.supportedProtocols = protocols;
    this.countProtocols(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (callback && !member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    else if (!callback && member.isAwaitingJoin) this.numMembersAwaitingJoin--;
    member.awaitingJoin = callback;
  }

  /**
   * A static member rejoined with a new member id: the old id is fenced (its parked requests get
   * FENCED_INSTANCE_ID), and the member keeps its place, leadership and assignment under the new id.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): MemberMetadata {
    const member = this.members.get(oldMemberId);
    if (!member) throw new Error(`cannot replace unknown static member ${oldMemberId} of group ${this.groupId}`);
    this.completeJoin(member, joinError(oldMemberId, ErrorCode.FencedInstanceId));
    this.completeSync(member, syncError(ErrorCode.FencedInstanceId));
    // Keep the member's position (Kafka's map order does not matter, ours picks leaders by it).
    const entries = [...this.members.entries()].map(([id, m]): [string, MemberMetadata] => (id === oldMemberId ? [newMemberId, m] : [id, m]));
    this.members.clear();
    for (const [id, m] of entries) this.members.set(id, m);
    member.memberId = newMemberId;
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  addPendingMember(memberId: string, timer: TimerHandle | null): void {
    this.pendingMembers.set(memberId, timer);
  }

  /** Every member has rejoined and no handed-out member id is outstanding. */
  hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): MemberMetadata[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  /** If the leader did not rejoin, any member that did becomes leader; false when none did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader && leader.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** The protocols every member supports. */
  candidateProtocols(): Set<string> {
    const n = this.members.size;
    const out = new Set<string>();
    for (const [name, count] of this.supportedProtocols) if (count === n) out.add(name);
    return out;
  }

  /**
   * The protocol for the next generation: among those every member supports, each member votes
   * for its most preferred, and the most votes win. Kafka leaves a tie to hash-map order; here
   * the protocol that got its first vote earliest (in member order) wins a tie.
   */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`);
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const p = m.vote(candidates);
      votes.set(p, (votes.get(p) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = -1;
    for (const [p, n] of votes) {
      if (n > bestVotes) {
        best = p;
        bestVotes = n;
      }
    }
    return best;
  }

  /** Bumps the generation and picks the protocol (CompletingRebalance), or goes Empty without members. */
  initNextGeneration(nowMs: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance', nowMs);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty', nowMs);
    }
    this.pendingSyncMembers.clear();
  }

  /** Every member with its metadata for the chosen protocol: what the leader receives. */
  currentMemberMetadata(): JoinGroupResult['members'] {
    const protocol = this.protocolName;
    if (protocol === null) throw new Error(`group ${this.groupId} has no protocol`);
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(protocol) }));
  }

  /** Answers a member's parked JoinGroup; false when none was parked. */
  completeJoin(member: MemberMetadata, result: JoinGroupResult): boolean {
    const cb = member.awaitingJoin;
    if (!cb) return false;
    member.awaitingJoin = null;
    this.numMembersAwaitingJoin--;
    cb(result);
    return true;
  }

  /** Answers a member's parked SyncGroup; false when none was parked. */
  completeSync(member: MemberMetadata, result: SyncGroupResult): boolean {
    const cb = member.awaitingSync;
    if (!cb) return false;
    member.awaitingSync = null;
    cb(result);
    return true;
  }

  /** True when the group is a consumer group whose members subscribe to this topic. */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics !== null && this.subscribedTopics.has(topic);
  }

  /**
   * The union of the members' subscribed topics, read from their consumer-protocol metadata with
   * the v0 layout (a prefix of every version); null when unknown (not a consumer group, or a
   * subscription that does not parse).
   */
  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    try {
      for (const m of this.members.values()) {
        const r = new Reader(m.metadata(this.protocolName));
        r.int16();
        for (const t of decodeConsumerProtocolSubscription(r, 0).topics) topics.add(t);
      }
    } catch {
      return null;
    }
    return topics;
  }

  private countProtocols(member: MemberMetadata, delta: number): void {
    for (const p of member.supportedProtocols) {
      const n = (this.supportedProtocols.get(p.name) ?? 0) + delta;
      if (n === 0) this.supportedProtocols.delete(p.name);
      else this.supportedProtocols.set(p.name, n);
    }
  }

  /**
   * The group as Kafka persists it (GroupMetadataValue): generation, protocol type and protocol,
   * leader, and each member with its subscription (metadata for the chosen protocol) and the given
   * assignment. With `assignment` null, an empty group record (Kafka's newEmptyGroupMetadataRecord).
   */
  toRecordValue(assignment: ReadonlyMap<string, Buffer> | null): GroupMetadataValue {
    const protocol = this.protocolName;
    return {
      protocolType: this.protocolType ?? '',
      generation: this.generationId,
      protocol: assignment === null ? null : protocol,
      leader: assignment === null ? null : this.leaderId,
      currentStateTimestamp: BigInt(this.currentStateTimestamp ?? -1),
      members:
        assignment === null
          ? []
          : [...this.members.values()].map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              rebalanceTimeout: m.rebalanceTimeoutMs,
              sessionTimeout: m.sessionTimeoutMs,
              subscription: protocol === null ? EMPTY : m.metadata(protocol),
              assignment: assignment.get(m.memberId) ?? EMPTY,
              _unknownTaggedFields: undefined,
            })),
      _unknownTaggedFields: undefined,
    };
  }

  /** A group read back from its record: Stable with its members (and their assignments), or Empty. */
  static fromRecord(groupId: string, v: GroupMetadataValue, nowMs: number): ClassicGroup {
    const group = new ClassicGroup(groupId, nowMs, v.members.length > 0 ? 'Stable' : 'Empty');
    const ts = Number(v.currentStateTimestamp);
    group.currentStateTimestamp = ts === -1 ? null : ts;
    group.generationId = v.generation;
    group.protocolType = v.protocolType === '' ? null : v.protocolType;
    group.protocolName = v.protocol;
    for (const r of v.members) {
      const m = new MemberMetadata(
        r.memberId,
        r.groupInstanceId,
        r.clientId,
        r.clientHost,
        r.rebalanceTimeout === -1 ? r.sessionTimeout : r.rebalanceTimeout,
        r.sessionTimeout,
        v.protocolType,
        [{ name: v.protocol ?? '', metadata: Buffer.from(r.subscription) }],
      );
      m.assignment = Buffer.from(r.assignment);
      group.add(m, null);
    }
    group.leaderId = v.members.length > 0 ? v.leader : null;
    group.protocolType = v.protocolType === '' ? null : v.protocolType;
    group.subscribedTopics = group.computeSubscribedTopics();
    return group;
  }
}
