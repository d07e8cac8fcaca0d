/**
 * One partition as its leader holds it on this broker (Kafka's Partition with UnifiedLog as leader):
 * the log, the producer state, the high watermark, the last stable offset, the aborted-transaction
 * index (kept by the log) and the fetches waiting for it to grow. Every write to the partition goes
 * through here, in call order (the append queue): produce batches and transaction markers.
 *
 * **High watermark.** Held as a field of its own and moved by `maybeIncrementHighWatermark` after
 * every append: on one broker the in-sync replicas are this one, so it follows the log end offset.
 * Follower state (the cluster work) moves it to what the ISR has instead; readers use it, never
 * the log end offset, as their bound.
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
import { LEADER_EPOCH } from './leader-epoch.js';
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

export interface PartitionOptions {
  log: PartitionLog;
  logger: Logger;
  clock: Clock;
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

  constructor(private readonly options: PartitionOptions) {
    this.log = options.log;
    this.topic = options.log.topic;
    this.partition = options.log.partition;
    // What a single broker finds on disk at start is committed: the ISR is this broker alone.
    this.hw = options.log.logEndOffset;
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
   * Moves the high watermark to what the in-sync replicas have: on one broker, the log end offset.
   * Returns whether it moved.
   */
  maybeIncrementHighWatermark(): boolean {
    const end = this.log.logEndOffset;
    if (end === this.hw) return false;
    this.hw = end;
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Producer state

  /** The producer state, loaded on first use (synchronously available afterwards). */
  producerState(): ProducerStateManager | Promise<ProducerStateManager> {
    if (this.producers) return this.producers;
    if (this.loading) return this.loading;
    const { topic, partition } = this;
    const loading = ProducerStateManager.load(this.log, this.options.producerStateOptions()).then(
      (m) => {
        if (this.gone) m.abandon();
        this.producers = m;
        this.options.onProducerStateLoaded?.();
        return m;
      },
      (err: unknown) => {
        this.loading = null;
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
      appending = this.log.append(records, logAppendTimeMs === undefined ? { leaderEpoch: LEADER_EPOCH } : { leaderEpoch: LEADER_EPOCH, logAppendTimeMs });
    } catch (err) {
      producers.fail(slot, err);
      return Promise.reject(err instanceof Error ? err : new StorageError(String(err)));
    }
    return appending.then(
      (r) => {
        producers.complete(slot, { baseOffset: r.baseOffset, lastOffset: r.lastOffset, maxTimestamp: r.logAppendTimeMs >= 0n ? r.logAppendTimeMs : maxTimestamp });
        this.maybeIncrementHighWatermark();
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
    const producers = this.producers ?? (await this.loading?.catch(() => null)) ?? null;
    if (!producers || this.gone) return;
    await producers.close();
  }

  /** The partition was deleted: nothing more is written for it, and waiting fetches are told. */
  abandon(): void {
    this.gone = true;
    this.producers?.abandon();
    this.offsetsMoved(null);
  }
}
