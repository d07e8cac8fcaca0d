/**
 * One partition as its leader holds it on this broker (Kafka's Partition with UnifiedLog as leader):
 * the log, the producer state, the high watermark, the last stable offset, the aborted-transaction
 * index (kept by the log) and the fetches waiting for it to grow. Every write to the partition goes
 * through here, in call order (the append queue): produce batches and transaction markers.
 *
 * **High watermark.** Held as a field of its own. On the leader it is moved only by
 * `maybeIncrementHighWatermark` (after every append, follower fetch and ISR change) to the least log
 * end offset of the in-sync replicas, never backwards; on one broker the ISR is this broker alone,
 * so it follows the log end offset. On a follower it is what the leader's last fetch answer said,
 * capped at the local log end (it may go back after a truncation). No high watermark is kept across
 * restarts: the first cluster state applied starts it at the log start, and the ISR raises it.
 * Readers use it, never the log end offset, as their bound.
 *
 * **Leader and follower** (Kafka's Partition in a cluster): the replication state lives in this
 * class, the rules of each part in their own modules: what the leader knows of each follower
 * (replica-state.ts), the acks=all produces waiting for the ISR (replication-waits.ts), the
 * follower's producer state (replicated-batches.ts). A partition starts as the leader of epoch 0
 * with this broker as its only replica and ISR, which is the whole story on a single broker;
 * `makeLeader` and `makeFollower` apply the states the cluster decides. The leader changes its own
 * ISR: a follower not caught up for `replica.lag.time.max.ms` leaves it (`maybeShrinkIsr`, called
 * periodically by the manager), a follower whose log reaches the high watermark and the start of
 * the leader's epoch rejoins it (on its fetch). Each change is proposed through `alterIsr`
 * (compare-and-swap on the state's version), one at a time, and applied once written; while it is
 * in flight the high watermark waits for the larger of the two ISRs (Kafka's maximal ISR). A lost
 * compare-and-swap leaves the change pending until the newer state arrives through `makeLeader`.
 *
 * **Last stable offset.** The first offset of the oldest ongoing transaction, or the high watermark
 * when none is (Kafka's firstUnstableOffset bounded by the high watermark, never below the log
 * start). It needs the producer state, which is loaded on first use (`producerState()`); until it
 * is, `lastStableOffset` is the high watermark, so reads that must respect it load it first.
 *
 * **Waking fetches.** Long-polling fetches subscribe here (`onOffsetsMoved`); every append through
 * the partition, and every move of the log start offset, tells them, so no caller has to.
 *
 * **Markers.** `writeTxnMarker` builds the COMMIT/ABORT control batch, checks it against the
 * producer state, appends it through the same queue as produce, and once it is applied records an
 * aborted transaction in the log's index, moves the LSO and wakes the fetches.
 */
import type { PartitionState } from '../metadata/partition-state.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { buildEndTxnMarkerBatch } from '../protocol/records/batch-builder.js';
import { RecordBatchView } from '../protocol/records/record-batch.js';
import type { ValidatedBatch } from '../storage/log-validator.js';
import {
  incrementSequence,
  ProducerStateManager,
  type AppendSlot,
  type CompletedTxn,
  type DuplicateBatch,
  type OngoingTxn,
  type ProducerStateOptions,
  type TxnMarker,
} from '../storage/producer-state.js';
import { StorageError, type AbortedTxn, type AppendResult, type PartitionLog } from '../storage/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { IssueQueue } from './issue-queue.js';
import { checkCurrentLeaderEpoch } from './leader-epoch.js';
import { registerReplicatedBatches } from './replicated-batches.js';
import { ReplicaState } from './replica-state.js';
import { ReplicationWaits } from './replication-waits.js';
import { storageFailureCode } from './storage-failure.js';

/** Told when the partition's offsets moved: the bytes an append added, or null for anything else. */
export type OffsetsListener = (bytes: number | null) => void;

/** The outcome of a leader append that reached the producer-state checks. */
export type LeaderAppend =
  | { kind: 'appended'; result: AppendResult }
  /** A retry of one of the producer's last batches: nothing appended, acknowledged with the original. */
  | { kind: 'duplicate'; original: DuplicateBatch }
  /** Refused by the producer state (sequence, epoch, transaction state). */
  | { kind: 'rejected'; errorCode: number; message: string };

/** Thrown by `append` when the producer state refuses a batch. */
export class AppendRejectedError extends Error {
  override readonly name = 'AppendRejectedError';
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown by the follower operations when this replica leads the partition. */
export class NotFollowerError extends Error {
  override readonly name = 'NotFollowerError';
}

/** Kafka's replica.lag.time.max.ms default, for partitions built without the setting. */
const DEFAULT_REPLICA_LAG_TIME_MAX_MS = 30_000;

export interface PartitionOptions {
  log: PartitionLog;
  logger: Logger;
  clock: Clock;
  /** This broker's id (node.id): the partition's only replica until a state says otherwise. */
  brokerId: number;
  /** The topic's min.insync.replicas, read on use (1 when absent). */
  minInsyncReplicas?: () => number;
  /** replica.lag.time.max.ms, read on use. */
  replicaLagTimeMaxMs?: () => number;
  /**
   * Writes an ISR change by compare-and-swap on `proposed.version`: resolves the state written, or
   * null when the swap lost (a newer state arrives through makeLeader/makeFollower). Without it the
   * ISR never changes (a single broker).
   */
  alterIsr?: (proposed: PartitionState) => Promise<PartitionState | null>;
  /**
   * Whether a replica's broker may be in the ISR now (Kafka's isReplicaIsrEligible: registered, not
   * shutting down). A follower that is not is neither waited for by the HW nor added to the ISR,
   * however recently it caught up. Absent: every replica is.
   */
  isReplicaEligible?: (brokerId: number) => boolean;
  /** Producer state settings, read when it is loaded. */
  producerStateOptions: () => ProducerStateOptions;
  /** Called once the producer state is loaded (the manager schedules expiry then). */
  onProducerStateLoaded?: () => void;
}

export class Partition {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  /** Issues the partition's writes in call order. */
  readonly appendQueue = new IssueQueue();
  private hw: bigint;
  private producers: ProducerStateManager | null = null;
  private loading: Promise<ProducerStateManager> | null = null;
  private readonly listeners = new Set<OffsetsListener>();
  /** The aborted-index appends, chained: the index takes markers in offset order only. */
  private indexing: Promise<void> = Promise.resolve();
  /** Markers registered per producer id: a verification that saw a marker pass is stale. */
  private readonly markers = new Map<bigint, number>();
  private gone = false;

  // Replication state (see the header).
  private readonly brokerId: number;
  private epoch = 0;
  private leaderId: number;
  private replicaIds: number[];
  /** The ISR as last written (Kafka's committed ISR). */
  private committedIsr: number[];
  /** An ISR change being written: the proposed ISR and the larger of the two, which the HW waits for. */
  private pendingIsr: { isr: number[]; maximal: number[] } | null = null;
  /** Version of the last state applied (-1 until one is: a single broker's own). */
  private stateVersion = -1n;
  /** Where this leader's epoch starts in its log: a follower rejoins the ISR only past it. */
  private epochStartOffset = 0n;
  /** The followers, by broker id, while this replica leads. */
  private readonly followers = new Map<number, ReplicaState>();
  private readonly waits: ReplicationWaits;
  /** Settles once every follower write issued so far has. */
  private replicating: Promise<void> = Promise.resolve();

  constructor(private readonly options: PartitionOptions) {
    this.log = options.log;
    this.topic = options.log.topic;
    this.partition = options.log.partition;
    // What a single broker finds on disk at start is committed: the ISR is this broker alone.
    this.hw = options.log.logEndOffset;
    this.brokerId = options.brokerId;
    this.leaderId = options.brokerId;
    this.replicaIds = [options.brokerId];
    this.committedIsr = [options.brokerId];
    this.waits = new ReplicationWaits(options.clock, (required) => this.checkEnoughReplicasReachOffset(required));
  }

  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }

  get logEndOffset(): bigint {
    return this.log.logEndOffset;
  }

  /** The offset below which every record is committed to the ISR: what consumers may read. */
  get highWatermark(): bigint {
    return this.hw;
  }

  /** Where read_committed reads stop (see the header). */
  get lastStableOffset(): bigint {
    const first = this.producers?.firstUnstableOffset() ?? null;
    if (first === null || first >= this.hw) return this.hw;
    const start = this.log.logStartOffset;
    return first < start ? start : first;
  }

  /** The producer state loaded, or null while it is not (yet). */
  get loadedProducerState(): ProducerStateManager | null {
    return this.producers;
  }

  /**
   * The leader moves the high watermark to the least log end offset of its (maximal) ISR, and of any
   * follower caught up by time that is about to join it (Kafka's maybeIncrementLeaderHW); on one
   * broker, the log end offset. Never backwards; a follower's is set by its fetches. Returns
   * whether it moved.
   */
  maybeIncrementHighWatermark(): boolean {
    if (!this.isLeaderNow()) return false;
    const end = this.log.logEndOffset;
    let next = end;
    if (this.followers.size > 0) {
      const maximal = this.maximalIsr;
      const now = this.options.clock.now();
      const maxLagMs = this.replicaLagTimeMaxMs();
      for (const f of this.followers.values()) {
        if (f.logEndOffset >= next) continue;
        // A follower outside the ISR holds the HW only while it is about to join (caught up, and heard from).
        if (maximal.includes(f.brokerId) || (f.logEndOffset >= 0n && f.isCaughtUp(end, now, maxLagMs) && this.isEligible(f.brokerId))) next = f.logEndOffset;
      }
    }
    if (next <= this.hw) return false;
    this.hw = next;
    return true;
  }

  /** Moves the high watermark and, when it moved, settles the acks=all waits and wakes fetches. */
  private highWatermarkMayMove(): void {
    if (!this.maybeIncrementHighWatermark()) return;
    this.waits.checkAll();
    this.offsetsMoved(null);
  }

  // -------------------------------------------------------------------------------------------
  // Leader and follower

  /** The current leader epoch (0 on a single broker). */
  get leaderEpoch(): number {
    return this.epoch;
  }

  /** Whether this replica leads the partition (always on a single broker). */
  get isLeader(): boolean {
    return this.isLeaderNow();
  }

  // A method, so that narrowing one read of it does not hide a change across an await.
  private isLeaderNow(): boolean {
    return this.leaderId === this.brokerId;
  }

  /** The broker id of the leader as this replica knows it. */
  get leader(): number {
    return this.leaderId;
  }

  /** The in-sync replicas as last written ([brokerId] on a single broker). */
  get isr(): readonly number[] {
    return this.committedIsr;
  }

  /** Every assigned replica. */
  get replicas(): readonly number[] {
    return this.replicaIds;
  }

  /** The ISR the leader waits for: the written one, or the larger of it and a change in flight. */
  private get maximalIsr(): readonly number[] {
    return this.pendingIsr?.maximal ?? this.committedIsr;
  }

  /** The version of the last state applied, -1 when none was. */
  get partitionStateVersion(): bigint {
    return this.stateVersion;
  }

  /**
   * KIP-320 check of a request's currentLeaderEpoch (-1: the client does not know it, not fenced),
   * then of leadership when the request needs the leader (Kafka's getLocalLog).
   */
  checkLeaderEpoch(currentLeaderEpoch: number, requireLeader: boolean): number {
    const epochError = checkCurrentLeaderEpoch(currentLeaderEpoch, this.epoch);
    if (epochError !== ErrorCode.None) return epochError;
    if (requireLeader && !this.isLeaderNow()) return ErrorCode.NotLeaderOrFollower;
    return ErrorCode.None;
  }

  /**
   * Becomes (or stays) the leader in `state` (Kafka's makeLeader): a new epoch starts at the log end
   * in the leader-epoch cache, and a new leader forgets what it knew of the followers; the written
   * ISR replaces any change in flight.
   */
  async makeLeader(state: PartitionState): Promise<void> {
    // The new epoch starts where the old leader's batches end: follower writes in flight first.
    await this.replicating;
    const now = this.options.clock.now();
    const end = this.log.logEndOffset;
    this.forgetUnconfirmedHighWatermark();
    // The first state applied starts a leadership even where the single-broker default already led.
    const isNewLeader = !this.isLeaderNow() || this.stateVersion < 0n;
    const isNewEpoch = state.leaderEpoch > this.epoch || isNewLeader;
    this.leaderId = this.brokerId;
    this.epoch = state.leaderEpoch;
    this.replicaIds = [...state.replicas];
    this.committedIsr = [...state.isr];
    this.pendingIsr = null;
    this.stateVersion = state.version;
    for (const id of this.followers.keys()) if (!state.replicas.includes(id)) this.followers.delete(id);
    for (const id of state.replicas) {
      if (id === this.brokerId) continue;
      let f = this.followers.get(id);
      const inSync = state.isr.includes(id);
      if (!f) {
        f = new ReplicaState(id);
        f.reset(now, inSync);
        this.followers.set(id, f);
      } else if (isNewLeader) {
        f.reset(now, inSync);
      } else if (isNewEpoch && inSync) {
        f.renewInSync(now, end);
      }
    }
    if (isNewEpoch) {
      this.epochStartOffset = end;
      await this.log.leaderEpochs.assign(state.leaderEpoch, end);
    }
    this.options.logger.info(
      { topic: this.topic, partition: this.partition, leaderEpoch: state.leaderEpoch, isr: state.isr, replicas: state.replicas, epochStartOffset: end.toString(), highWatermark: this.hw.toString() },
      isNewLeader ? 'became the leader' : 'leader state updated',
    );
    this.highWatermarkMayMove();
    this.waits.checkAll();
    // Fetches waiting here see the new epoch at once.
    if (isNewLeader) this.offsetsMoved(null);
  }

  /**
   * Becomes (or stays) a follower of `state.leader` (Kafka's makeFollower): the acks=all produces
   * waiting here fail with NOT_LEADER_OR_FOLLOWER and the followers' state is dropped.
   */
  makeFollower(state: PartitionState): Promise<void> {
    this.forgetUnconfirmedHighWatermark();
    const wasLeader = this.isLeaderNow();
    const changed = wasLeader || state.leader !== this.leaderId || state.leaderEpoch !== this.epoch;
    this.leaderId = state.leader;
    this.epoch = state.leaderEpoch;
    this.replicaIds = [...state.replicas];
    this.committedIsr = [...state.isr];
    this.pendingIsr = null;
    this.stateVersion = state.version;
    this.followers.clear();
    this.waits.failAll(ErrorCode.NotLeaderOrFollower);
    if (changed) {
      this.options.logger.info({ topic: this.topic, partition: this.partition, leader: state.leader, leaderEpoch: state.leaderEpoch }, 'became a follower');
      // Fetches waiting here answer now (a consumer learns that the leader moved).
      this.offsetsMoved(null);
    }
    return Promise.resolve();
  }

  /**
   * Before its first cluster state a partition took its whole log as committed, which is true of a
   * single broker only. No high watermark is kept across restarts, so a replica starts from its log
   * start, as Kafka's does without a replication-offset checkpoint: the leader raises it as the ISR
   * confirms, a follower takes the leader's.
   */
  private forgetUnconfirmedHighWatermark(): void {
    if (this.stateVersion < 0n) this.hw = this.log.logStartOffset;
  }

  /**
   * The leader's record of a follower's fetch (call before reading for it): NONE, or
   * NOT_LEADER_OR_FOLLOWER when this replica does not lead or `replicaId` is not assigned. The
   * caller checks the fetch's currentLeaderEpoch with checkLeaderEpoch first. A fetch offset past
   * the log end is not recorded (the read answers OFFSET_OUT_OF_RANGE).
   */
  updateFollowerFetchState(replicaId: number, brokerEpoch: bigint, fetchOffset: bigint, followerLogStartOffset: bigint): number {
    if (!this.isLeaderNow()) return ErrorCode.NotLeaderOrFollower;
    const f = this.followers.get(replicaId);
    if (!f) return ErrorCode.NotLeaderOrFollower;
    const end = this.log.logEndOffset;
    if (fetchOffset > end) return ErrorCode.None;
    const previous = f.logEndOffset;
    f.updateFetchState(fetchOffset, followerLogStartOffset, this.options.clock.now(), end, brokerEpoch);
    this.maybeExpandIsr(f);
    if (previous !== fetchOffset) this.highWatermarkMayMove();
    return ErrorCode.None;
  }

  /** A follower out of the ISR whose log reaches the HW and this epoch's start rejoins it (Kafka's maybeExpandIsr). */
  private maybeExpandIsr(f: ReplicaState): void {
    if (this.pendingIsr !== null || this.options.alterIsr === undefined) return;
    if (this.committedIsr.includes(f.brokerId) || !this.replicaIds.includes(f.brokerId) || !this.isEligible(f.brokerId)) return;
    if (f.logEndOffset < this.hw || f.logEndOffset < this.epochStartOffset) return;
    const isr = [...this.committedIsr, f.brokerId];
    this.options.logger.info(
      { topic: this.topic, partition: this.partition, from: this.committedIsr, to: isr, followerLogEndOffset: f.logEndOffset.toString(), highWatermark: this.hw.toString() },
      'expanding the ISR',
    );
    this.proposeIsr(isr, isr);
  }

  /**
   * Drops from the ISR the followers not caught up within replica.lag.time.max.ms (Kafka's
   * maybeShrinkIsr, which the manager calls periodically). Returns whether a change was proposed.
   */
  maybeShrinkIsr(): boolean {
    if (!this.isLeaderNow() || this.pendingIsr !== null || this.options.alterIsr === undefined) return false;
    const outOfSync = this.outOfSyncReplicas(this.replicaLagTimeMaxMs());
    if (outOfSync.length === 0) return false;
    const isr = this.committedIsr.filter((id) => !outOfSync.includes(id));
    this.options.logger.info(
      {
        topic: this.topic,
        partition: this.partition,
        from: this.committedIsr,
        to: isr,
        outOfSync,
        highWatermark: this.hw.toString(),
        logEndOffset: this.log.logEndOffset.toString(),
      },
      'shrinking the ISR',
    );
    this.proposeIsr(isr, this.committedIsr);
    return true;
  }

  /** The ISR members other than this leader that are not caught up by time (Kafka's getOutOfSyncReplicas). */
  private outOfSyncReplicas(maxLagMs: number): number[] {
    const end = this.log.logEndOffset;
    const now = this.options.clock.now();
    return this.committedIsr.filter((id) => id !== this.brokerId && !(this.followers.get(id)?.isCaughtUp(end, now, maxLagMs) ?? false));
  }

  /** Writes an ISR change through alterIsr and applies it once written (see the header). */
  private proposeIsr(isr: number[], maximal: readonly number[]): void {
    const alterIsr = this.options.alterIsr;
    if (alterIsr === undefined) return;
    const pending = { isr, maximal: [...maximal] };
    this.pendingIsr = pending;
    const proposed: PartitionState = { leader: this.brokerId, leaderEpoch: this.epoch, isr, replicas: [...this.replicaIds], version: this.stateVersion };
    const where = { topic: this.topic, partition: this.partition };
    alterIsr(proposed).then(
      (written) => {
        // A newer state was applied meanwhile: it says what the ISR is.
        if (this.pendingIsr !== pending) return;
        if (written === null) {
          this.options.logger.info({ ...where, proposed: isr }, 'the ISR change lost to a newer partition state; waiting for it');
          return;
        }
        this.pendingIsr = null;
        if (written.leader !== this.brokerId || written.leaderEpoch !== this.epoch) return;
        this.committedIsr = [...written.isr];
        this.replicaIds = [...written.replicas];
        this.stateVersion = written.version;
        this.highWatermarkMayMove();
        // The ISR's size decides the acks=all answers even when the HW did not move.
        this.waits.checkAll();
      },
      (err: unknown) => {
        if (this.pendingIsr !== pending) return;
        // Back to the written ISR; the next fetch or expiry check proposes the change again.
        this.pendingIsr = null;
        this.options.logger.warn({ ...where, err, proposed: isr }, 'writing the ISR change failed');
      },
    );
  }

  private isEligible(brokerId: number): boolean {
    return this.options.isReplicaEligible?.(brokerId) ?? true;
  }

  /** acks=all: see ReplicationWaits; answers per Kafka's checkEnoughReplicasReachOffset. */
  waitForReplication(requiredOffset: bigint, timeoutMs: number): Promise<number> {
    return this.waits.wait(requiredOffset, timeoutMs);
  }

  private checkEnoughReplicasReachOffset(requiredOffset: bigint): number | null {
    if (!this.isLeaderNow()) return ErrorCode.NotLeaderOrFollower;
    if (this.gone) return ErrorCode.NotLeaderOrFollower;
    if (this.hw < requiredOffset) return null;
    return this.maximalIsr.length >= this.minInsyncReplicas() ? ErrorCode.None : ErrorCode.NotEnoughReplicasAfterAppend;
  }

  /** The topic's min.insync.replicas. */
  minInsyncReplicas(): number {
    return this.options.minInsyncReplicas?.() ?? 1;
  }

  private replicaLagTimeMaxMs(): number {
    return this.options.replicaLagTimeMaxMs?.() ?? DEFAULT_REPLICA_LAG_TIME_MAX_MS;
  }

  /**
   * Follower: appends the leader's batches as they are (offsets, epochs, timestamps), registering
   * them in the producer state, then takes the leader's high watermark, capped at the log end, and
   * its log start offset. Rejects with NotFollowerError on the leader, and with the log's failures.
   */
  appendAsFollower(records: Buffer, leaderHighWatermark: bigint, leaderLogStartOffset: bigint): Promise<void> {
    return this.trackReplication(
      this.appendQueue.run(
        this.producerState(),
        (m) => this.followerAppend(m, records, leaderHighWatermark, leaderLogStartOffset),
        (err) => {
          throw err;
        },
      ),
    );
  }

  /** Remembers a follower write until it settles (see makeLeader). */
  private trackReplication(write: Promise<void>): Promise<void> {
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    this.replicating = Promise.all([this.replicating, settled]).then(() => undefined);
    return write;
  }

  private async followerAppend(producers: ProducerStateManager, records: Buffer, leaderHighWatermark: bigint, leaderLogStartOffset: bigint): Promise<void> {
    if (this.isLeaderNow()) throw new NotFollowerError(`${this.topic}-${this.partition} is led by this broker`);
    const { records: whole, registered, consistent } = registerReplicatedBatches(producers, records);
    if (whole.length > 0) {
      let result: AppendResult;
      try {
        result = await this.log.appendAsFollower(whole);
      } catch (err) {
        for (const r of registered) producers.fail(r.slot, err);
        throw err;
      }
      for (const r of registered) producers.complete(r.slot, r.appended);
      for (const r of registered) {
        if (!r.marker) continue;
        const completed = await r.slot.whenApplied();
        if (completed?.isAborted === true) await this.recordAbort(completed);
      }
      if (!consistent) {
        this.options.logger.info({ topic: this.topic, partition: this.partition, upTo: result.lastOffset.toString() }, 'rebuilding the producer state from the log after a replicated batch it did not expect');
        await this.replaceProducerState(() => Promise.resolve());
      }
    }
    const end = this.log.logEndOffset;
    const start = leaderLogStartOffset < end ? leaderLogStartOffset : end;
    if (start > this.log.logStartOffset) await this.log.deleteRecordsBefore(start);
    let hw = leaderHighWatermark < end ? leaderHighWatermark : end;
    if (hw < this.log.logStartOffset) hw = this.log.logStartOffset;
    this.hw = hw;
    this.offsetsMoved(whole.length > 0 ? whole.length : null);
  }

  /** Follower: removes everything at or after `offset` (divergence from the leader's log) and rebuilds the producer state. */
  truncateTo(offset: bigint): Promise<void> {
    return this.followerChange(async () => {
      await this.log.truncateTo(offset);
      if (this.hw > offset) this.hw = offset;
    });
  }

  /** Follower behind the leader's log start: empties the log, which continues at `offset` (Kafka's truncateFullyAndStartAt). */
  truncateFullyAndStartAt(offset: bigint): Promise<void> {
    return this.followerChange(async () => {
      await this.log.truncateFullyAndStartAt(offset);
      this.hw = offset;
    });
  }

  /** Runs a follower's truncation in the write order, with the producer state rebuilt after it. */
  private followerChange(change: () => Promise<void>): Promise<void> {
    return this.trackReplication(this.appendQueue.run(
      null,
      async () => {
        if (this.isLeaderNow()) throw new NotFollowerError(`${this.topic}-${this.partition} is led by this broker`);
        await this.replaceProducerState(change);
        this.offsetsMoved(null);
      },
      (err) => {
        throw err;
      },
    ));
  }

  /**
   * Drops the producer state, runs `change` and loads the state again from the log. Writes issued
   * meanwhile wait for the new state (they ask producerState()).
   */
  private replaceProducerState(change: () => Promise<void>): Promise<void> {
    const previous = this.producers;
    const previousLoading = this.loading;
    this.producers = null;
    const replaced = (async (): Promise<void> => {
      const old = previous ?? (await previousLoading?.catch(() => null)) ?? null;
      // Closing waits for a snapshot in flight; one beyond the new log end is deleted by the load.
      if (old) await old.close().catch((err: unknown) => { this.options.logger.warn({ err, topic: this.topic, partition: this.partition }, 'writing the producer state snapshot before a truncation failed'); });
      await change();
    })();
    return this.loadProducerState(replaced).then(() => undefined);
  }

  // -------------------------------------------------------------------------------------------
  // Producer state

  /** The producer state, loaded on first use (synchronously available afterwards). */
  producerState(): ProducerStateManager | Promise<ProducerStateManager> {
    if (this.producers) return this.producers;
    if (this.loading) return this.loading;
    return this.loadProducerState(Promise.resolve());
  }

  /** Loads the producer state from the log once `before` resolved. */
  private loadProducerState(before: Promise<void>): Promise<ProducerStateManager> {
    const { topic, partition } = this;
    const loading = before.then(() => ProducerStateManager.load(this.log, this.options.producerStateOptions())).then(
      (m) => {
        if (this.gone) m.abandon();
        // A later reload replaced this one.
        if (this.loading !== loading) return m;
        this.producers = m;
        this.options.onProducerStateLoaded?.();
        return m;
      },
      (err: unknown) => {
        if (this.loading === loading) this.loading = null;
        throw err instanceof StorageError ? err : new StorageError(`loading the producer state of ${topic}-${partition}`, err);
      },
    );
    this.loading = loading;
    return loading;
  }

  /** The ongoing transactions, oldest first (DescribeProducers, finding hanging transactions). */
  async ongoingTransactions(): Promise<OngoingTxn[]> {
    return (await this.producerState()).ongoingTransactions();
  }

  /** Aborted transactions overlapping [fromOffset, upperBoundOffset) (read_committed fetches). */
  abortedTransactions(fromOffset: bigint, upperBoundOffset: bigint): Promise<AbortedTxn[]> {
    return this.log.abortedTxns(fromOffset, upperBoundOffset);
  }

  // -------------------------------------------------------------------------------------------
  // Appends

  /**
   * The leader's append of one validated batch: checks it against the producer state, hands it to
   * the log in the same tick (call from the append queue, with the producer state loaded), then
   * moves the high watermark and wakes fetches. Rejects only with the log's failures.
   */
  appendAsLeader(
    producers: ProducerStateManager,
    records: Buffer,
    batch: ValidatedBatch | null,
    logAppendTimeMs: bigint | undefined,
  ): Promise<LeaderAppend> {
    const check = producers.tryAppend(
      batch !== null && batch.producerId >= 0n
        ? {
            producerId: batch.producerId,
            producerEpoch: batch.producerEpoch,
            baseSequence: batch.baseSequence,
            lastSequence: batch.lastSequence,
            isTransactional: batch.isTransactional,
          }
        : null,
      records.length,
    );
    if (check.kind === 'error') return Promise.resolve({ kind: 'rejected', errorCode: check.errorCode, message: check.message });
    if (check.kind === 'duplicate') return check.original.then((original) => ({ kind: 'duplicate', original }));
    const maxTimestamp = batch?.maxTimestamp ?? -1n;
    return this.appendSlot(producers, check.slot, records, logAppendTimeMs, maxTimestamp).then((result) => ({ kind: 'appended', result }));
  }

  /**
   * Appends one v2 batch built elsewhere (already valid) through the ordered path, with the
   * producer-state checks: for writers inside the broker and tests. Rejects with
   * AppendRejectedError when the producer state refuses it, and with the log's failures.
   */
  append(records: Buffer): Promise<AppendResult> {
    const view = new RecordBatchView(records, 0, records.length);
    const batch: ValidatedBatch = {
      producerId: view.producerId,
      producerEpoch: view.producerEpoch,
      baseSequence: view.baseSequence,
      lastSequence: view.baseSequence < 0 ? view.baseSequence : incrementSequence(view.baseSequence, view.lastOffsetDelta),
      lastOffsetDelta: view.lastOffsetDelta,
      recordCount: view.recordCount,
      isTransactional: view.isTransactional,
      maxTimestamp: view.maxTimestamp,
    };
    return this.appendQueue.run(
      this.producerState(),
      async (m) => {
        const r = await this.appendAsLeader(m, records, batch, undefined);
        if (r.kind === 'rejected') throw new AppendRejectedError(r.errorCode, r.message);
        if (r.kind === 'duplicate') throw new AppendRejectedError(ErrorCode.DuplicateSequenceNumber, 'duplicate of an appended batch');
        return r.result;
      },
      (err) => {
        throw err;
      },
    );
  }

  /** Hands a registered append to the log and settles it in the producer state. */
  private appendSlot(producers: ProducerStateManager, slot: AppendSlot, records: Buffer, logAppendTimeMs: bigint | undefined, maxTimestamp: bigint): Promise<AppendResult> {
    let appending: Promise<AppendResult>;
    try {
      appending = this.log.append(records, logAppendTimeMs === undefined ? { leaderEpoch: this.epoch } : { leaderEpoch: this.epoch, logAppendTimeMs });
    } catch (err) {
      producers.fail(slot, err);
      return Promise.reject(err instanceof Error ? err : new StorageError(String(err)));
    }
    return appending.then(
      (r) => {
        producers.complete(slot, { baseOffset: r.baseOffset, lastOffset: r.lastOffset, maxTimestamp: r.logAppendTimeMs >= 0n ? r.logAppendTimeMs : maxTimestamp });
        if (this.maybeIncrementHighWatermark()) this.waits.checkAll();
        this.offsetsMoved(records.length);
        return r;
      },
      (err: unknown) => {
        producers.fail(slot, err);
        throw err;
      },
    );
  }

  /**
   * Writes a COMMIT or ABORT marker (Kafka's WriteTxnMarkers on the partition leader) and resolves
   * the partition's error code: NONE once the control batch is appended, the transaction completed
   * in the producer state, an abort recorded in the aborted-transaction index and the LSO moved.
   */
  writeTxnMarker(marker: TxnMarker): Promise<number> {
    return this.appendQueue.run(
      this.producerState(),
      (m) => this.appendMarker(m, marker),
      (err) => this.markerFailure(err),
    );
  }

  private async appendMarker(producers: ProducerStateManager, marker: TxnMarker): Promise<number> {
    const records = buildEndTxnMarkerBatch({
      commit: marker.committed,
      coordinatorEpoch: marker.coordinatorEpoch,
      producerId: marker.producerId,
      producerEpoch: marker.producerEpoch,
      timestamp: this.options.clock.now(),
    });
    const check = producers.tryAppendMarker(marker, records.length);
    if (check.kind === 'error') {
      this.options.logger.debug({ topic: this.topic, partition: this.partition, errorCode: check.errorCode, reason: check.message }, 'transaction marker rejected');
      return check.errorCode;
    }
    const slot = check.slot;
    this.markers.set(marker.producerId, this.markersWritten(marker.producerId) + 1);
    const view = new RecordBatchView(records, 0, records.length);
    try {
      await this.appendSlot(producers, slot, records, undefined, view.maxTimestamp);
      const completed = await slot.whenApplied();
      if (completed?.isAborted === true) await this.recordAbort(completed);
    } catch (err) {
      return this.markerFailure(err);
    }
    // The LSO moved with the producer state: read_committed fetches waiting at it may go on.
    this.offsetsMoved(null);
    return ErrorCode.None;
  }

  /**
   * How many markers for the producer were issued here (KIP-890's verification guard: a batch
   * verified before a marker belongs to a transaction that is over).
   */
  markersWritten(producerId: bigint): number {
    return this.markers.get(producerId) ?? 0;
  }

  private recordAbort(completed: CompletedTxn): Promise<void> {
    const txn = { producerId: completed.producerId, firstOffset: completed.firstOffset, lastOffset: completed.lastOffset, lastStableOffset: completed.lastStableOffset };
    const next = this.indexing.catch(() => undefined).then(() => this.log.appendAbortedTxn(txn));
    this.indexing = next;
    return next;
  }

  /** KAFKA_STORAGE_ERROR for a disk failure, UNKNOWN_SERVER_ERROR otherwise (the coordinator retries both). */
  private markerFailure(err: unknown): number {
    return storageFailureCode(err, this.options.logger, { topic: this.topic, partition: this.partition }, 'writing a transaction marker failed');
  }

  // -------------------------------------------------------------------------------------------
  // Other moves of the offsets

  /** DeleteRecords: moves the log start offset (never past the high watermark; the caller checks). */
  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    const lowWatermark = await this.log.deleteRecordsBefore(offset);
    this.offsetsMoved(null);
    return lowWatermark;
  }

  /** Calls `listener` whenever the offsets move, until the returned function is called. */
  onOffsetsMoved(listener: OffsetsListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Tells the waiting fetches; `bytes` is what an append added, null for any other move. */
  offsetsMoved(bytes: number | null): void {
    if (this.listeners.size === 0) return;
    for (const listener of [...this.listeners]) listener(bytes);
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  /** Expires idle producers (producer.id.expiration.ms); returns how many were dropped. */
  removeExpiredProducers(nowMs: number, expirationMs: number): number {
    const producers = this.producers;
    if (!producers) return 0;
    const removed = producers.removeExpiredProducers(nowMs, expirationMs);
    for (const pid of this.markers.keys()) if (producers.lastEntry(pid) === undefined) this.markers.delete(pid);
    return removed;
  }

  /** Writes the producer state snapshot (clean shutdown, before the log closes). */
  async close(): Promise<void> {
    // Nothing will move the high watermark any more: the waiting produces answer now.
    this.waits.failAll(ErrorCode.NotLeaderOrFollower);
    const producers = this.producers ?? (await this.loading?.catch(() => null)) ?? null;
    if (!producers || this.gone) return;
    await producers.close();
  }

  /** The partition was deleted: nothing more is written for it, and waiting fetches are told. */
  abandon(): void {
    this.gone = true;
    this.producers?.abandon();
    this.waits.failAll(ErrorCode.NotLeaderOrFollower);
    this.offsetsMoved(null);
  }
}
