/**
 * The group coordinator service (ctx.services.groups): classic groups, KIP-848 consumer groups and
 * their committed offsets, for every group, on this single broker.
 *
 * Parts: the group manager (group/, the JoinGroup/SyncGroup/Heartbeat/LeaveGroup state machine),
 * the consumer group manager (consumer/, ConsumerGroupHeartbeat with server-side assignment), the
 * offset store and offset manager (offsets/), and the coordinator log (Kafka's __consumer_offsets
 * records in the broker's state log, under `<first log dir>/__gregor_groups`).
 *
 * Classic and consumer groups share one id space: a consumer member joining a group id held by an
 * empty classic group (for instance one that only holds committed offsets) converts it, keeping the
 * offsets; a classic group with members answers GROUP_ID_NOT_FOUND to consumer heartbeats, and a
 * consumer group with members answers INCONSISTENT_GROUP_PROTOCOL to JoinGroup (Kafka would migrate
 * the group between protocols; Gregor does not). An empty consumer group is replaced by a classic
 * group on JoinGroup, as in Kafka.
 *
 * Transactional offset commits (TxnOffsetCommit) are written as transactional batches and stay
 * pending per producer until `completeTxnOffsets` writes the transaction's COMMIT or ABORT marker
 * (offsets/txn-offset-manager.ts); OffsetFetch with requireStable answers UNSTABLE_OFFSET_COMMIT for
 * a partition with pending offsets. Offsets with pending transactional offsets do not expire, and a
 * group with any is not removed by expiry; OffsetDelete, DeleteGroups and topic deletion drop them
 * with the committed ones, as Kafka's tombstones do.
 *
 * Durable state changes only by `apply`, the replay function: it is how the log is read at start
 * and how every write takes effect once written. Applying an offset record for a group that does
 * not exist creates it as an empty "simple" group, at start and later alike, so the state after a
 * restart is the state before it. Groups come back as last stored: Stable with their members and
 * assignments (their sessions start over at load), or Empty.
 *
 * Housekeeping: every offsets.retention.check.interval.ms (on the injected clock) offsets expire
 * as Kafka expires them (offsets of an empty group once offsets.retention.minutes have passed since
 * it emptied; of a simple group since each commit; of a stable consumer group, for topics no member
 * subscribes to), and empty groups left without offsets are deleted. Deleting a topic deletes its
 * committed offsets.
 */
import type { GroupMetadataValue } from '../protocol/generated/records/group-metadata.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { MemoryStateLogStore, openStateLog, type StateLog } from '../storage/state-log.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { CoordinatorLog, type TxnBatch, type TxnEnd, type TxnProducer } from './coordinator-log.js';
import {
  ConsumerGroupManager,
  DEFAULT_CONSUMER_GROUP_CONFIG,
  NO_TOPICS,
  type ConsumerGroupConfig,
  type ConsumerGroupHeartbeatParams,
  type ConsumerGroupHeartbeatResult,
  type DescribedConsumerGroup,
  type TopicMetadataView,
} from './consumer/consumer-group-manager.js';
import { ClassicGroup, CONSUMER_PROTOCOL_TYPE } from './group/group.js';
import {
  GroupManager,
  type GroupConfig,
  type GroupSummary,
  type HeartbeatParams,
  type JoinGroupParams,
  type LeaveGroupResult,
  type LeavingMember,
  type ListedGroup,
  type SyncGroupParams,
} from './group/group-manager.js';
import { joinError, type JoinGroupResult, type SyncGroupResult } from './group/member.js';
import { OffsetManager, type CommitOffsetsParams, type FetchedOffset } from './offsets/offset-manager.js';
import { OffsetStore, type TopicPartitionRef } from './offsets/offset-store.js';
import { TxnOffsetManager, type TransactionVerifier, type TxnOffsetCommitParams, type TxnOffsetConfig } from './offsets/txn-offset-manager.js';
import { TxnOffsetStore } from './offsets/txn-offset-store.js';
import { RecordBatchBuilder, type CoordinatorRecord, type OffsetAndMetadata } from './records.js';

export interface GroupCoordinatorOptions {
  /** Where the coordinator's state log lives: a directory, or a memory store (tests, memory storage). */
  location: string | MemoryStateLogStore;
  clock: Clock;
  logger: Logger;
  /** The broker settings, read on every use (dynamic config changes apply at once). */
  config: () => CoordinatorConfig;
  /** Topics (consumer groups assign their partitions) and topic deletions to follow: the metadata store. */
  metadata?: Partial<TopicMetadataView> & { onTopicDeleted?(listener: (topic: { name: string }) => void): void };
  /** Snapshot threshold of the coordinator log (tests). */
  snapshotMinBytes?: number;
  /** fsync each write of the state log. Default false (like the offsets topic's default flush settings). */
  fsync?: boolean;
  /** Checks TxnOffsetCommit against the transaction coordinator (also settable later: `verifyTransaction`). */
  verifyTransaction?: TransactionVerifier;
}

export type CoordinatorConfig = GroupConfig & Partial<ConsumerGroupConfig> & TxnOffsetConfig;

export class GroupCoordinator {
  readonly groups: GroupManager;
  readonly consumerGroups: ConsumerGroupManager;
  readonly offsets = new OffsetStore();
  /** Transactional offset commits waiting for their transaction's marker. */
  readonly txnOffsets = new TxnOffsetStore();
  /**
   * The transaction coordinator's answer to "is this group's offsets partition in the producer's
   * transaction" (KIP-890 verification); TxnOffsetCommit is not verified while unset.
   */
  verifyTransaction: TransactionVerifier | undefined;
  private readonly offsetManager: OffsetManager;
  private readonly txnOffsetManager: TxnOffsetManager;
  /** Each group's last stored record: what a restart brings back. */
  private readonly storedGroups = new Map<string, GroupMetadataValue>();
  private readonly log: CoordinatorLog;
  private loaded = false;
  private retentionTimer: TimerHandle | null = null;
  private retentionRun: Promise<void> | null = null;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly stateLog: StateLog,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly config: () => CoordinatorConfig,
    snapshotMinBytes: number | undefined,
    metadata: TopicMetadataView,
  ) {
    this.groups = new GroupManager(clock, logger, config, {
      storeGroup: (group, assignment) => this.log.write(new RecordBatchBuilder(256).group(group.groupId, group.toRecordValue(assignment))),
    });
    this.groups.loading = true;
    const consumerConfig = (): ConsumerGroupConfig => {
      const c = config();
      const d = DEFAULT_CONSUMER_GROUP_CONFIG;
      return {
        consumerGroupHeartbeatIntervalMs: c.consumerGroupHeartbeatIntervalMs ?? d.consumerGroupHeartbeatIntervalMs,
        consumerGroupSessionTimeoutMs: c.consumerGroupSessionTimeoutMs ?? d.consumerGroupSessionTimeoutMs,
        consumerGroupMaxSize: c.consumerGroupMaxSize ?? d.consumerGroupMaxSize,
        consumerGroupAssignors: c.consumerGroupAssignors ?? d.consumerGroupAssignors,
      };
    };
    this.consumerGroups = new ConsumerGroupManager(clock, logger, consumerConfig, metadata, {
      write: (batch) => this.log.write(batch),
      status: () => this.groups.validateGroupStatus('-', true),
      classicGroup: (groupId) => {
        const g = this.groups.groups.get(groupId);
        if (!g || g.is('Dead')) return 'none';
        return g.is('Empty') ? 'empty' : 'active';
      },
      removeEmptyClassicGroup: (groupId, batch) => { this.removeEmptyClassicGroup(groupId, batch); },
    });
    this.log = new CoordinatorLog(stateLog, {
      apply: (records, txn) => { this.apply(records, txn); },
      applyTxnEnd: (end) => { this.applyTxnEnd(end); },
      snapshot: (sizeHint) => this.snapshotRecords(sizeHint),
      snapshotPendingTxn: () => this.snapshotPendingTxn(),
      logger,
      ...(snapshotMinBytes !== undefined ? { snapshotMinBytes } : {}),
    });
    this.offsetManager = new OffsetManager(this.groups, this.offsets, this.log, clock, config, this.consumerGroups, this.txnOffsets);
    this.txnOffsetManager = new TxnOffsetManager(this.groups, this.consumerGroups, this.txnOffsets, this.log, clock, config, () => this.verifyTransaction);
  }

  /** Opens the state log, replays it, and starts the offset expiry timer. */
  static async open(options: GroupCoordinatorOptions): Promise<GroupCoordinator> {
    const stateLog = await openStateLog(options.location, { name: 'groups', logger: options.logger, fsync: options.fsync ?? false });
    const m = options.metadata;
    const topics: TopicMetadataView = {
      topic: (name) => m?.topic?.(name) ?? NO_TOPICS.topic(name),
      topicById: (id) => m?.topicById?.(id) ?? NO_TOPICS.topicById(id),
      topics: () => m?.topics?.() ?? NO_TOPICS.topics(),
    };
    const coordinator = new GroupCoordinator(stateLog, options.clock, options.logger, options.config, options.snapshotMinBytes, topics);
    coordinator.verifyTransaction = options.verifyTransaction;
    try {
      await coordinator.load();
    } catch (err) {
      await stateLog.close().catch(() => undefined);
      throw err;
    }
    options.metadata?.onTopicDeleted?.((topic) => {
      coordinator.onTopicDeleted(topic.name).catch((err: unknown) => { options.logger.warn({ err, topic: topic.name }, 'failed to delete the committed offsets of a deleted topic'); });
    });
    coordinator.scheduleRetention();
    return coordinator;
  }

  private async load(): Promise<void> {
    const { records } = await this.log.load();
    const now = this.clock.now();
    for (const [groupId, value] of this.storedGroups) {
      if (!this.consumerGroups.groups.has(groupId)) this.groups.addLoadedGroup(ClassicGroup.fromRecord(groupId, value, now));
    }
    for (const groupId of [...this.offsets.groups(), ...this.txnOffsets.groups()]) {
      if (!this.groups.groups.has(groupId) && !this.consumerGroups.groups.has(groupId)) this.groups.createGroup(groupId);
    }
    this.consumerGroups.onLoaded();
    this.loaded = true;
    this.groups.loading = false;
    this.logger.debug({ groups: this.groups.groups.size, records }, 'group coordinator loaded');
    await this.reportCutRecords();
    await this.reportLostState();
  }

  /**
   * After the state log lost state with a damaged snapshot (or missing logs): says which groups
   * could not be loaded and which were loaded only from the records written after it, then writes
   * a snapshot of what was loaded, so that the next start does not report the same loss again.
   */
  private async reportLostState(): Promise<void> {
    const lost = this.stateLog.damage.filter((d) => d.stateLost);
    if (lost.length === 0) return;
    const named = new Set<string>();
    for (const d of lost) {
      if (d.kind === 'snapshot') for (const g of await CoordinatorLog.groupsInDamagedSnapshot(d.copy)) named.add(g);
    }
    const loaded = new Set([...this.groups.groups.keys(), ...this.consumerGroups.groups.keys(), ...this.offsets.groups()]);
    const notLoaded = [...named].filter((g) => !loaded.has(g)).sort();
    const partly = [...named].filter((g) => loaded.has(g)).sort();
    const unnamed = [...loaded].filter((g) => !named.has(g)).sort();
    const what = lost.map((d) => (d.kind === 'snapshot' ? `the damaged snapshot ${d.file} (set aside as ${d.copy})` : d.problem)).join('; ');
    const snapshotLost = lost.some((d) => d.kind === 'snapshot');
    const detail =
      named.size > 0
        ? `groups it held that could not be loaded: [${notLoaded.join(', ')}]; groups it held that were loaded only from the records written after it, so their offsets committed before it and not since are lost: [${partly.join(', ')}]`
        : snapshotLost
          ? 'its bytes name no group that can be read, so the groups it held are unknown'
          : 'the groups they held are unknown';
    this.logger.error(
      { lost: lost.map((d) => d.file), groupsNotLoaded: notLoaded, groupsPartlyLoaded: partly, groupsLoaded: [...loaded].sort() },
      `group coordinator: committed offsets and group metadata in ${what} could not be loaded; ${detail}; loaded from the records that remain: ${loaded.size} groups${unnamed.length > 0 ? ` [${unnamed.join(', ')}]` : ''}. Consumers of a group without committed offsets start from auto.offset.reset`,
    );
    await this.log.snapshotNow().catch((err: unknown) => { this.logger.warn({ err }, 'group coordinator: writing a snapshot after a damaged one failed'); });
  }

  // ---------------------------------------------------------------------------------------------
  // Replay: the only place durable state changes

  private apply(records: readonly CoordinatorRecord[], txn: TxnProducer | null = null): void {
    if (txn !== null) {
      this.applyTxnOffsets(records, txn);
      return;
    }
    // A commit's records share their group and mostly their topic: look their map up once.
    let lastGroup: string | null = null;
    let lastTopic: string | null = null;
    let partitions: Map<number, OffsetAndMetadata> | null = null;
    for (const r of records) {
      if (r.type === 'offset') {
        if (r.value === null) {
          this.offsets.delete(r.group, r.topic, r.partition);
          this.txnOffsets.remove(r.group, r.topic, r.partition);
          partitions = null;
        } else {
          if (partitions === null || r.group !== lastGroup || r.topic !== lastTopic) {
            if (r.group !== lastGroup && this.loaded && !this.groups.groups.has(r.group) && !this.consumerGroups.groups.has(r.group)) this.groups.createGroup(r.group);
            partitions = this.offsets.partitionsOf(r.group, r.topic);
            lastGroup = r.group;
            lastTopic = r.topic;
          }
          partitions.set(r.partition, r.value);
          // A commit written after pending transactional offsets wins over them at COMMIT.
          this.txnOffsets.supersede(r.group, r.topic, r.partition);
        }
      } else if (r.type === 'group') {
        if (r.value === null) this.storedGroups.delete(r.group);
        else this.storedGroups.set(r.group, r.value);
      } else {
        this.consumerGroups.replay(r);
        // A simple group (offsets only, no record of its own) gives way to the consumer group.
        const simple = this.groups.groups.get(r.group);
        if (simple && this.consumerGroups.groups.has(r.group) && simple.is('Empty') && !this.storedGroups.has(r.group)) this.groups.removeGroup(simple);
      }
    }
  }

  /** A transactional batch: its offsets wait for the producer's marker. */
  private applyTxnOffsets(records: readonly CoordinatorRecord[], txn: TxnProducer): void {
    for (const r of records) {
      if (r.type !== 'offset' || r.value === null) continue;
      if (this.loaded && !this.groups.groups.has(r.group) && !this.consumerGroups.groups.has(r.group)) this.groups.createGroup(r.group);
      this.txnOffsets.add(txn.producerId, txn.producerEpoch, r.group, r.topic, r.partition, r.value);
    }
  }

  /** Kafka's replayEndTransactionMarker: COMMIT materializes the producer's pending offsets, unless a later commit superseded them. */
  private applyTxnEnd(end: TxnEnd): void {
    const pending = this.txnOffsets.complete(end.producerId);
    if (!end.committed) return;
    for (const o of pending) {
      if (o.superseded) continue;
      if (this.loaded && !this.groups.groups.has(o.group) && !this.consumerGroups.groups.has(o.group)) this.groups.createGroup(o.group);
      this.offsets.put(o.group, o.topic, o.partition, o.value);
      this.txnOffsets.supersede(o.group, o.topic, o.partition, o.seq);
    }
  }

  /**
   * Records cut from a damaged log (not a torn last write, which was never acknowledged): names the
   * groups whose commits and changes in those bytes are lost; what they committed before is loaded.
   */
  private async reportCutRecords(): Promise<void> {
    for (const d of this.stateLog.damage) {
      if (d.kind !== 'log' || d.torn) continue;
      const named = [...(await CoordinatorLog.groupsInDamagedLog(d.copy))].sort();
      this.logger.error(
        { file: d.file, position: d.position, bytes: d.bytes, copy: d.copy, groups: named },
        `group coordinator: the records cut from ${d.file} at byte ${d.position} (${d.bytes} bytes, kept in ${d.copy}) are lost: ${named.length > 0 ? `they name groups [${named.join(', ')}], whose offsets committed there are lost; what these groups committed before is loaded` : 'no group can be read from them'}`,
      );
    }
  }

  /** Forgets an empty classic group that a consumer group replaces; its stored record is tombstoned. */
  private removeEmptyClassicGroup(groupId: string, batch: RecordBatchBuilder): void {
    const group = this.groups.groups.get(groupId);
    if (group && group.is('Empty')) this.groups.removeGroup(group);
    if (this.storedGroups.has(groupId)) batch.group(groupId, null);
  }

  private snapshotRecords(sizeHint: number): RecordBatchBuilder {
    // Bytes only (a snapshot is never applied), in a buffer sized like the previous snapshot.
    const out = new RecordBatchBuilder(Math.max(64 * 1024, Math.ceil(sizeHint * 1.25)), false);
    for (const [groupId, value] of this.storedGroups) out.group(groupId, value);
    this.consumerGroups.snapshot(out);
    this.offsets.forEach((group, topic, partition, o) => out.offset(group, topic, partition, o));
    return out;
  }

  /** Pending transactional offsets in runs of one producer: superseded ones before the committed offsets, the others after. */
  private snapshotPendingTxn(): { before: TxnBatch[]; after: TxnBatch[] } {
    type Run = TxnBatch & { batch: RecordBatchBuilder };
    const before: Run[] = [];
    const after: Run[] = [];
    for (const o of this.txnOffsets.all()) {
      const runs = o.superseded ? before : after;
      let last = runs.at(-1);
      if (last?.producerId !== o.producerId) {
        last = { producerId: o.producerId, producerEpoch: this.txnOffsets.epochOf(o.producerId) ?? -1, batch: new RecordBatchBuilder(256, false) };
        runs.push(last);
      }
      last.batch.offset(o.group, o.topic, o.partition, o.value);
    }
    return { before, after };
  }

  /** The last stored record of a group (tests: what a restart would load). */
  storedGroup(groupId: string): GroupMetadataValue | undefined {
    return this.storedGroups.get(groupId);
  }

  // ---------------------------------------------------------------------------------------------
  // Classic group protocol

  async joinGroup(p: JoinGroupParams): Promise<JoinGroupResult> {
    if (this.consumerGroups.groups.has(p.groupId) && this.groups.validateGroupStatus(p.groupId, false) === null) {
      // Kafka lets classic members join a consumer group (online migration); Gregor does not.
      if (!this.consumerGroups.isEmpty(p.groupId)) return joinError(p.memberId, ErrorCode.InconsistentGroupProtocol);
      // An empty consumer group becomes a classic group, as in Kafka.
      const batch = new RecordBatchBuilder(256);
      this.consumerGroups.deleteGroup(p.groupId, batch);
      try {
        await this.log.write(batch);
      } catch (err) {
        this.logger.warn({ err, group: p.groupId }, 'failed to delete an empty consumer group');
        return joinError(p.memberId, ErrorCode.CoordinatorNotAvailable);
      }
      this.logger.info({ group: p.groupId }, 'converted the empty consumer group to a classic group');
    }
    return this.groups.joinGroup(p);
  }

  syncGroup(p: SyncGroupParams): Promise<SyncGroupResult> {
    return this.groups.syncGroup(p);
  }

  heartbeat(p: HeartbeatParams): number {
    return this.groups.heartbeat(p);
  }

  leaveGroup(groupId: string, members: readonly LeavingMember[]): Promise<LeaveGroupResult> {
    return this.groups.leaveGroup(groupId, members);
  }

  listGroups(statesFilter: readonly string[] = [], typesFilter: readonly string[] = []): { errorCode: number; groups: ListedGroup[] } {
    const result = this.groups.listGroups(statesFilter, typesFilter);
    const states = new Set(statesFilter.map((x) => x.toLowerCase()));
    const types = new Set(typesFilter.map((x) => x.toLowerCase()));
    if (types.size === 0 || types.has('consumer')) {
      for (const g of this.consumerGroups.list()) {
        if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
        result.groups.push({ groupId: g.groupId, protocolType: CONSUMER_PROTOCOL_TYPE, state: g.state, type: 'consumer' });
      }
    }
    return result;
  }

  /** DescribeGroups (classic groups): a consumer group is not a classic group. */
  describeGroup(groupId: string): GroupSummary {
    if (this.consumerGroups.groups.has(groupId) && this.groups.validateGroupStatus(groupId, true) === null) {
      return { groupId, errorCode: ErrorCode.None, errorMessage: `Group ${groupId} is not a classic group.`, exists: false, state: 'Dead', protocolType: '', protocol: '', members: [] };
    }
    return this.groups.describeGroup(groupId);
  }

  // ---------------------------------------------------------------------------------------------
  // Consumer groups (KIP-848)

  consumerGroupHeartbeat(p: ConsumerGroupHeartbeatParams): Promise<ConsumerGroupHeartbeatResult> {
    return this.consumerGroups.heartbeat(p);
  }

  /** ConsumerGroupDescribe: one result per group id, in request order. */
  consumerGroupDescribe(groupIds: readonly string[]): DescribedConsumerGroup[] {
    return groupIds.map((groupId) => {
      const status = this.groups.validateGroupStatus(groupId, false);
      if (status !== null) {
        return { groupId, errorCode: status, errorMessage: null, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] };
      }
      return this.consumerGroups.describe(groupId);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Offsets

  commitOffsets(p: CommitOffsetsParams): Promise<number[]> {
    return this.offsetManager.commitOffsets(p);
  }

  /**
   * `member`: OffsetFetch v9+'s member id and epoch, checked for consumer groups. `requireStable`
   * (v7+): partitions with pending transactional offsets answer UNSTABLE_OFFSET_COMMIT.
   */
  fetchOffsets(
    groupId: string,
    partitions: readonly TopicPartitionRef[] | null,
    member?: { memberId: string | null; memberEpoch: number },
    requireStable = false,
  ): { errorCode: number; offsets: FetchedOffset[] } {
    return this.offsetManager.fetchOffsets(groupId, partitions, member, requireStable);
  }

  /** TxnOffsetCommit: one error code per partition; the offsets stay pending until completeTxnOffsets. */
  txnOffsetCommit(p: TxnOffsetCommitParams): Promise<number[]> {
    return this.txnOffsetManager.commit(p);
  }

  /**
   * The transaction marker for this coordinator's offsets (WriteTxnMarkers to __consumer_offsets):
   * commits (makes visible) or aborts (drops) the producer's pending transactional offsets, durably.
   * Rejects with a TxnMarkerError carrying Kafka's WriteTxnMarkers error code.
   */
  completeTxnOffsets(producerId: bigint, producerEpoch: number, committed: boolean): Promise<void> {
    return this.txnOffsetManager.complete(producerId, producerEpoch, committed);
  }

  /**
   * OffsetDelete: removes committed offsets of an empty group, or of topics a consumer group does
   * not subscribe to (GROUP_SUBSCRIBED_TO_TOPIC otherwise). A group error leaves `partitions` empty.
   */
  async deleteOffsets(groupId: string, partitions: readonly TopicPartitionRef[]): Promise<{ errorCode: number; partitions: number[] }> {
    const status = this.groups.validateGroupStatus(groupId, false);
    if (status !== null) return { errorCode: status, partitions: [] };
    const group = this.groups.groups.get(groupId);
    let subscribed: (topic: string) => boolean;
    if (this.consumerGroups.groups.has(groupId)) {
      // A consumer group keeps the offsets of the topics its members subscribe to, in any state.
      subscribed = (topic) => this.consumerGroups.isSubscribedToTopic(groupId, topic);
    } else if (!group || group.is('Dead')) {
      return { errorCode: ErrorCode.GroupIdNotFound, partitions: [] };
    } else if (group.is('Empty')) {
      subscribed = () => false;
    } else if (group.protocolType === CONSUMER_PROTOCOL_TYPE) {
      subscribed = (topic) => group.isSubscribedToTopic(topic);
    } else {
      return { errorCode: ErrorCode.NonEmptyGroup, partitions: [] };
    }
    const errors: number[] = [];
    const eligible: TopicPartitionRef[] = [];
    for (const tp of partitions) {
      if (subscribed(tp.topic)) {
        errors.push(ErrorCode.GroupSubscribedToTopic);
      } else {
        errors.push(ErrorCode.None);
        eligible.push(tp);
      }
    }
    const removal = new Map([[groupId, eligible]]);
    try {
      await this.removeOffsets(removal);
    } catch (err) {
      this.logger.warn({ err, group: groupId }, 'failed to delete offsets');
      return { errorCode: ErrorCode.CoordinatorNotAvailable, partitions: [] };
    }
    return { errorCode: ErrorCode.None, partitions: errors };
  }

  /** DeleteGroups: deletes empty groups with their offsets. One error code per distinct group id. */
  async deleteGroups(groupIds: readonly string[]): Promise<Map<string, number>> {
    const results = new Map<string, number>();
    const eligible: ClassicGroup[] = [];
    const consumer: string[] = [];
    const records = new RecordBatchBuilder();
    for (const groupId of groupIds) {
      if (results.has(groupId)) continue;
      const status = this.groups.validateGroupStatus(groupId, true);
      if (status !== null) {
        results.set(groupId, status);
        continue;
      }
      if (this.consumerGroups.groups.has(groupId)) {
        const code = this.consumerGroups.deleteGroup(groupId, records);
        results.set(groupId, code);
        if (code === ErrorCode.None) {
          consumer.push(groupId);
          this.tombstoneAllOffsets(groupId, records);
          this.logger.info({ group: groupId }, 'deleted consumer group');
        }
        continue;
      }
      const group = this.groups.groups.get(groupId);
      if (!group || group.is('Dead')) results.set(groupId, ErrorCode.GroupIdNotFound);
      else if (!group.is('Empty')) results.set(groupId, ErrorCode.NonEmptyGroup);
      else {
        results.set(groupId, ErrorCode.None);
        eligible.push(group);
      }
    }
    if (eligible.length === 0 && consumer.length === 0) return results;
    for (const group of eligible) {
      this.groups.removeGroup(group);
      this.tombstoneAllOffsets(group.groupId, records);
      if (this.storedGroups.has(group.groupId)) records.group(group.groupId, null);
      this.logger.info({ group: group.groupId }, 'deleted group');
    }
    if (records.count > 0) {
      try {
        await this.log.write(records);
      } catch (err) {
        this.logger.warn({ err }, 'failed to write group deletions');
        for (const g of eligible) results.set(g.groupId, ErrorCode.CoordinatorNotAvailable);
        for (const g of consumer) results.set(g, ErrorCode.CoordinatorNotAvailable);
      }
    }
    return results;
  }

  /** Kafka's deleteAllOffsets: tombstones for every committed offset and every partition with only pending transactional ones. */
  private tombstoneAllOffsets(groupId: string, records: RecordBatchBuilder): void {
    for (const [topic, partition] of this.offsets.offsetsOf(groupId)) records.offset(groupId, topic, partition, null);
    for (const { topic, partition } of this.txnOffsets.partitionsOf(groupId)) {
      if (!this.offsets.get(groupId, topic, partition)) records.offset(groupId, topic, partition, null);
    }
  }

  /**
   * Writes tombstones for the given offsets (those committed or pending in a transaction, whose
   * pending offsets the tombstone drops), and deletes groups left Empty without offsets, committed
   * or pending (Kafka's cleanupGroupMetadata). Resolves to the number of offsets removed.
   */
  private async removeOffsets(selection: ReadonlyMap<string, readonly TopicPartitionRef[]>): Promise<number> {
    const records = new RecordBatchBuilder();
    let removed = 0;
    for (const [groupId, partitions] of selection) {
      let remaining = 0;
      for (const _ of this.offsets.offsetsOf(groupId)) remaining++;
      const seen = new Set<string>();
      const pendingRemoved = new Set<string>();
      for (const { topic, partition } of partitions) {
        const k = `${topic}\0${partition}`;
        const committed = this.offsets.get(groupId, topic, partition) !== undefined;
        const pendingTxn = this.txnOffsets.hasPending(groupId, topic, partition);
        if (seen.has(k) || (!committed && !pendingTxn)) continue;
        seen.add(k);
        records.offset(groupId, topic, partition, null);
        if (pendingTxn) pendingRemoved.add(k);
        if (committed) {
          removed++;
          remaining--;
        }
      }
      let pendingLeft = false;
      for (const { topic, partition } of this.txnOffsets.partitionsOf(groupId)) if (!pendingRemoved.has(`${topic}\0${partition}`)) pendingLeft = true;
      const inUse = this.offsets.hasPending(groupId) || pendingLeft;
      const group = this.groups.groups.get(groupId);
      if (group && group.is('Empty') && remaining === 0 && !inUse) {
        this.groups.removeGroup(group);
        if (this.storedGroups.has(groupId)) records.group(groupId, null);
        this.logger.info({ group: groupId }, 'removed an empty group without offsets');
      } else if (this.consumerGroups.groups.has(groupId) && remaining === 0 && !inUse && this.consumerGroups.isEmpty(groupId)) {
        this.consumerGroups.deleteGroup(groupId, records);
        this.logger.info({ group: groupId }, 'removed an empty consumer group without offsets');
      }
    }
    if (records.count > 0) await this.log.write(records);
    return removed;
  }

  /** Expires offsets as Kafka does and deletes empty groups left without offsets. */
  async cleanupExpiredOffsets(): Promise<number> {
    if (!this.groups.active || this.groups.loading) return 0;
    const now = this.clock.now();
    const retentionMs = this.config().offsetsRetentionMs;
    const selection = new Map<string, TopicPartitionRef[]>();
    for (const group of this.groups.groups.values()) {
      const commitTime = (o: OffsetAndMetadata): number => o.commitTimestamp;
      let expired: TopicPartitionRef[] = [];
      if (group.protocolType === null) {
        // A simple group: each offset expires a retention period after its commit.
        expired = this.offsets.expired(group.groupId, now, retentionMs, commitTime);
      } else if (group.is('Empty')) {
        // Every offset expires a retention period after the group emptied.
        expired = this.offsets.expired(group.groupId, now, retentionMs, (o) => group.currentStateTimestamp ?? o.commitTimestamp);
      } else if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.subscribedTopics !== null && group.is('Stable')) {
        // Offsets of topics no member subscribes to any more.
        expired = this.offsets.expired(group.groupId, now, retentionMs, commitTime, group.subscribedTopics);
      }
      if (expired.length > 0 || group.is('Empty')) selection.set(group.groupId, this.withoutPendingTxn(group.groupId, expired));
    }
    for (const groupId of this.consumerGroups.groups.keys()) {
      // Kafka's ConsumerGroup: each offset expires a retention period after its commit, unless a
      // member subscribes to its topic; an empty group left without offsets is deleted.
      const expired = this.offsets.expired(groupId, now, retentionMs, (o) => o.commitTimestamp, this.consumerGroups.subscribedTopics(groupId));
      if (expired.length > 0 || this.consumerGroups.isEmpty(groupId)) selection.set(groupId, this.withoutPendingTxn(groupId, expired));
    }
    const removed = await this.removeOffsets(selection);
    if (removed > 0) this.logger.info({ removed }, 'removed expired offsets');
    return removed;
  }

  /** Kafka does not expire an offset while transactional offsets of its partition are pending. */
  private withoutPendingTxn(groupId: string, expired: TopicPartitionRef[]): TopicPartitionRef[] {
    if (!this.txnOffsets.hasPending(groupId)) return expired;
    return expired.filter((tp) => !this.txnOffsets.hasPending(groupId, tp.topic, tp.partition));
  }

  /** A deleted topic takes its committed and pending transactional offsets with it. */
  async onTopicDeleted(topic: string): Promise<void> {
    const selection = new Map<string, TopicPartitionRef[]>();
    for (const [group, partition] of [...this.offsets.partitionsOfTopic(topic), ...this.txnOffsets.partitionsOfTopic(topic)]) {
      let list = selection.get(group);
      if (!list) selection.set(group, (list = []));
      list.push({ topic, partition });
    }
    if (selection.size > 0) await this.removeOffsets(selection);
  }

  private scheduleRetention(): void {
    if (!this.groups.active) return;
    this.retentionTimer = this.clock.setTimeout(
      () => {
        this.retentionTimer = null;
        this.retentionRun = this.cleanupExpiredOffsets()
          .then(
            () => undefined,
            (err: unknown) => { this.logger.warn({ err }, 'offset expiry failed'); },
          )
          .finally(() => {
            this.retentionRun = null;
            this.scheduleRetention();
          });
      },
      this.config().offsetsRetentionCheckIntervalMs,
      { unref: true },
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /** Writes the whole state as one snapshot of the coordinator log (tests, tools). */
  snapshot(): Promise<void> {
    return this.log.snapshotNow();
  }

  /**
   * Stops the protocol: parked JoinGroup/SyncGroup requests are answered COORDINATOR_NOT_AVAILABLE,
   * timers stop, and new requests are refused. Writes under way still complete. Call before the
   * server drains its connections, so that no request waits on a rebalance.
   */
  shutdown(): void {
    this.groups.unloadAll();
    this.consumerGroups.unloadAll();
    if (this.retentionTimer) this.clock.clearTimeout(this.retentionTimer);
    this.retentionTimer = null;
  }

  /** shutdown(), then waits for writes under way and closes the state log. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.shutdown();
      await this.retentionRun;
      await this.log.snapshotBeforeClose();
      await this.stateLog.close();
    })();
    return this.closing;
  }
}

