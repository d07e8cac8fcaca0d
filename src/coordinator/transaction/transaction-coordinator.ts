/**
 * The transaction coordinator service (ctx.services.transactions): Kafka's TransactionCoordinator
 * and TransactionStateManager for every transactional id, on this single broker.
 *
 * State: one TransactionMetadata per transactional id, changed only by replaying the records it
 * writes to its coordinator log (Kafka's __transaction_state records in the broker's state log,
 * under `<first log dir>/__gregor_transactions`), with snapshots so the log stops growing. A request
 * that changes an id marks it with the pending state before its write and every other request for
 * the id answers CONCURRENT_TRANSACTIONS until the write is applied, which is how Kafka serializes
 * them.
 *
 * Completion: once PrepareCommit or PrepareAbort is logged, the producer gets its answer and the
 * markers are written through the TxnMarkerWriter (Kafka's TransactionMarkerChannelManager):
 * partitions answering a retriable error are retried after a backoff, partitions that no longer
 * exist (or cannot take the marker, GIVE_UP_MARKER_ERRORS) are given up. Only when every
 * partition has its marker is CompleteCommit or CompleteAbort logged. A restart finds the
 * transactions left in PrepareCommit/PrepareAbort and writes their markers again (a partition
 * takes a repeated marker as Kafka's does). Requests that begin the id's next transaction wait a
 * bounded time for the completion before they answer CONCURRENT_TRANSACTIONS (see
 * DEFAULT_COMPLETION_WAIT_MS).
 *
 * Housekeeping, on the injected clock: every
 * transaction.abort.timed.out.transaction.cleanup.interval.ms, ongoing transactions older than
 * their timeout are aborted with a bumped epoch, so that their producer is fenced; every
 * transaction.remove.expired.transaction.cleanup.interval.ms, ids idle (Empty or Complete*) for
 * transactional.id.expiration.ms are removed with a tombstone.
 *
 * The coordinator epoch is always 0: there is one coordinator, and it never moves.
 */
import { ErrorCode } from '../../protocol/generated/errors.js';
import { MemoryStateLogStore, openStateLog, type StateLog } from '../../storage/state-log.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { coordinatorPartitionFor } from '../../util/java-string-hash.js';
import { CoordinatorLog } from '../coordinator-log.js';
import { TxnLogBatch, decodeTxnLogBatch, type TxnLogRecord, type TxnLogValue, type TxnTopicPartition } from './txn-log-records.js';
import type { TxnMarkerPartitionResult, TxnMarkerWriter } from './txn-marker-writer.js';
import { MAX_PRODUCER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, TransactionMetadata, isEpochExhausted, partitionKey } from './txn-metadata.js';
import { isExpirationAllowed, txnStateByName, type TxnState } from './txn-state.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
const COORDINATOR_EPOCH = 0;
/** The transaction.version feature level this broker finalizes (none): what its own aborts use. */
const SERVER_TRANSACTION_VERSION = 0;
/** Kafka's retry.backoff.ms default, between rounds of markers that failed with a retriable error. */
const DEFAULT_MARKER_RETRY_BACKOFF_MS = 100;
/**
 * How long InitProducerId, AddPartitionsToTxn and AddOffsetsToTxn wait for the completion of the
 * id's previous transaction before answering CONCURRENT_TRANSACTIONS. On one broker the markers
 * are written in process, usually within a millisecond, so a producer that begins its next
 * transaction at once gets the answer its retry would get, without the client's backoff (20 ms in
 * the Java producer and librdkafka, 300 ms to 1 s in others). A completion that takes longer
 * (markers retried after an error) is answered as Kafka does.
 */
const DEFAULT_COMPLETION_WAIT_MS = 200;

export interface TxnCoordinatorConfig {
  transactionMaxTimeoutMs: number;
  transactionalIdExpirationMs: number;
  transactionAbortTimedOutTransactionCleanupIntervalMs: number;
  transactionRemoveExpiredTransactionCleanupIntervalMs: number;
  /** offsets.topic.num.partitions: where AddOffsetsToTxn places a group's offsets. */
  offsetsTopicNumPartitions: number;
}

export interface TransactionCoordinatorOptions {
  /** Where the coordinator's state log lives: a directory, or a memory store (tests, memory storage). */
  location: string | MemoryStateLogStore;
  clock: Clock;
  logger: Logger;
  /** The broker settings, read on every use. */
  config: () => TxnCoordinatorConfig;
  /** Producer ids never handed out before (the metadata's ProducerIdManager). */
  producerIds: { generate(): Promise<bigint> };
  /** Writes the markers of a completing transaction. */
  markers: TxnMarkerWriter;
  snapshotMinBytes?: number;
  fsync?: boolean;
  markerRetryBackoffMs?: number;
  /** How long a request waits for the id's completing transaction before CONCURRENT_TRANSACTIONS. */
  completionWaitMs?: number;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface TxnProducer {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
}

export interface EndTxnResult {
  errorCode: number;
  /** Transaction version 2: the id and epoch for the next transaction; -1 otherwise or on error. */
  producerId: bigint;
  producerEpoch: number;
}

export interface PartitionError extends TxnTopicPartition {
  errorCode: number;
}

export interface DescribedTransaction {
  transactionalId: string;
  errorCode: number;
  state: string;
  producerId: bigint;
  producerEpoch: number;
  txnTimeoutMs: number;
  txnStartTimestamp: number;
  partitions: TxnTopicPartition[];
}

export interface ListTransactionsFilter {
  states: readonly string[];
  producerIds: readonly bigint[];
  /** Keep only transactions running longer than this; negative keeps all. */
  durationMs: number;
  /** Keep only transactional ids this pattern matches in full; null keeps all. */
  transactionalIdPattern: RegExp | null;
}

export interface ListedTransaction {
  transactionalId: string;
  producerId: bigint;
  state: TxnState;
}

const initError = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
const endError = (errorCode: number): EndTxnResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });

/**
 * Marker errors after which a partition is given up rather than retried, after Kafka's
 * TransactionMarkerRequestCompletionHandler: a deleted partition, a log that cannot take markers,
 * and a producer or coordinator epoch the partition has seen pass (Kafka then leaves the
 * transaction to the coordinator that fenced it; with one coordinator there is none, so the
 * partition is left out and the transaction completes).
 */
const GIVE_UP_MARKER_ERRORS = new Set<number>([ErrorCode.UnknownTopicOrPartition, ErrorCode.UnsupportedForMessageFormat, ErrorCode.UnsupportedVersion, ErrorCode.InvalidProducerEpoch, ErrorCode.TransactionCoordinatorFenced]);

export class TransactionCoordinator {
  private readonly txns = new Map<string, TransactionMetadata>();
  private readonly log: CoordinatorLog<TxnLogRecord>;
  private loaded = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Completions (markers, then the Complete record) under way, by transactional id. */
  private readonly completions = new Map<string, Promise<void>>();
  private readonly sleeps = new Set<{ handle: TimerHandle; resolve: () => void }>();
  private abortTimer: TimerHandle | null = null;
  private expireTimer: TimerHandle | null = null;
  private housekeeping: Promise<void> | null = null;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly config: () => TxnCoordinatorConfig;
  private readonly markerRetryBackoffMs: number;
  private readonly completionWaitMs: number;

  private constructor(
    private readonly stateLog: StateLog,
    private readonly options: TransactionCoordinatorOptions,
  ) {
    this.clock = options.clock;
    this.logger = options.logger;
    this.config = options.config;
    this.markerRetryBackoffMs = options.markerRetryBackoffMs ?? DEFAULT_MARKER_RETRY_BACKOFF_MS;
    this.completionWaitMs = options.completionWaitMs ?? DEFAULT_COMPLETION_WAIT_MS;
    this.log = new CoordinatorLog<TxnLogRecord>(stateLog, {
      apply: (records) => { this.apply(records); },
      snapshot: () => this.snapshotRecords(),
      decode: decodeTxnLogBatch,
      name: 'transaction coordinator',
      logger: options.logger,
      ...(options.snapshotMinBytes !== undefined ? { snapshotMinBytes: options.snapshotMinBytes } : {}),
    });
  }

  /** Opens the state log, replays it, completes the transactions left half done, and starts the housekeeping timers. */
  static async open(options: TransactionCoordinatorOptions): Promise<TransactionCoordinator> {
    const stateLog = await openStateLog(options.location, { name: 'transactions', logger: options.logger, fsync: options.fsync ?? false });
    const coordinator = new TransactionCoordinator(stateLog, options);
    try {
      const { records } = await coordinator.log.load();
      coordinator.loaded = true;
      for (const d of stateLog.damage) {
        if (d.stateLost || (d.kind === 'log' && !d.torn)) options.logger.error({ file: d.file }, 'transaction coordinator: part of the transaction state log was damaged and could not be loaded; the transactional ids it held start over');
      }
      options.logger.debug({ transactionalIds: coordinator.txns.size, records }, 'transaction coordinator loaded');
    } catch (err) {
      await stateLog.close().catch(() => undefined);
      throw err;
    }
    for (const txn of coordinator.txns.values()) {
      if (txn.state === 'PrepareCommit' || txn.state === 'PrepareAbort') coordinator.startCompletion(txn);
    }
    coordinator.scheduleAbortTimedOut();
    coordinator.scheduleExpiry();
    return coordinator;
  }

  // ---------------------------------------------------------------------------------------------
  // Replay: the only place durable state changes

  private apply(records: readonly TxnLogRecord[]): void {
    for (const r of records) {
      if (r.value === null) {
        this.txns.delete(r.transactionalId);
        continue;
      }
      const txn = this.txns.get(r.transactionalId);
      if (txn) txn.complete(r.value, !this.loaded);
      else this.txns.set(r.transactionalId, new TransactionMetadata(r.transactionalId, r.value));
    }
  }

  private snapshotRecords(): TxnLogBatch {
    const batch = new TxnLogBatch();
    for (const txn of this.txns.values()) {
      // An id created by an InitProducerId whose write has not been applied is not state yet.
      if (txn.producerEpoch === NO_PRODUCER_EPOCH && txn.state === 'Empty') continue;
      batch.add({ transactionalId: txn.transactionalId, value: txn.current() });
    }
    return batch;
  }

  /** Logs the pending transition; on failure the id stays as it was. Resolves an error code. */
  private async logTransition(txn: TransactionMetadata, value: TxnLogValue | null): Promise<number> {
    try {
      await this.log.write(new TxnLogBatch().add({ transactionalId: txn.transactionalId, value }));
      return ErrorCode.None;
    } catch (err) {
      txn.abandonPending();
      this.logger.error({ err, transactionalId: txn.transactionalId }, 'transaction coordinator: writing to the transaction state log failed');
      // Kafka's answer when its transaction log cannot be appended to: retriable for clients.
      return ErrorCode.CoordinatorNotAvailable;
    }
  }

  private async generateProducerId(): Promise<bigint | undefined> {
    try {
      return await this.options.producerIds.generate();
    } catch (err) {
      this.logger.error({ err }, 'transaction coordinator: cannot record a new block of producer ids');
      return undefined;
    }
  }

  private get unavailable(): boolean {
    return this.closed;
  }

  // ---------------------------------------------------------------------------------------------
  // InitProducerId

  /**
   * InitProducerId with a transactional id (Kafka's handleInitProducerId). `expected` is the id
   * and epoch the producer holds (v3+, KIP-360), or undefined.
   */
  async initProducerId(transactionalId: string, txnTimeoutMs: number, expected?: { producerId: bigint; producerEpoch: number }): Promise<InitProducerIdResult> {
    if (transactionalId === '') return initError(ErrorCode.InvalidRequest);
    if (txnTimeoutMs <= 0 || txnTimeoutMs > this.config().transactionMaxTimeoutMs) return initError(ErrorCode.InvalidTransactionTimeout);
    await this.awaitCompletion(transactionalId);
    if (this.unavailable) return initError(ErrorCode.CoordinatorNotAvailable);
    let txn = this.txns.get(transactionalId);
    if (!txn) {
      const producerId = await this.generateProducerId();
      if (producerId === undefined) return initError(ErrorCode.CoordinatorLoadInProgress);
      txn = this.txns.get(transactionalId);
      if (!txn) {
        txn = TransactionMetadata.fresh(transactionalId, producerId, txnTimeoutMs, this.clock.now());
        this.txns.set(transactionalId, txn);
      }
    }
    if (txn.pendingTransitionInProgress) return initError(ErrorCode.ConcurrentTransactions);
    if (expected && !this.isValidExpectedProducer(txn, expected)) return initError(ErrorCode.ProducerFenced);
    switch (txn.state) {
      case 'PrepareCommit':
      case 'PrepareAbort':
        return initError(ErrorCode.ConcurrentTransactions);
      case 'Empty':
      case 'CompleteCommit':
      case 'CompleteAbort': {
        let value: TxnLogValue;
        if (txn.isProducerEpochExhausted && (!expected || expected.producerEpoch === txn.producerEpoch)) {
          // Reserved while the new id is generated, so no other request changes the id meanwhile.
          txn.pendingState = 'Empty';
          const producerId = await this.generateProducerId();
          txn.abandonPending();
          if (producerId === undefined) return initError(ErrorCode.CoordinatorLoadInProgress);
          value = txn.prepareProducerIdRotation(producerId, txnTimeoutMs, this.clock.now(), expected !== undefined);
        } else {
          const next = txn.prepareIncrementProducerEpoch(txnTimeoutMs, expected?.producerEpoch, this.clock.now());
          if (next === 'fenced') return initError(ErrorCode.ProducerFenced);
          value = next;
        }
        const error = await this.logTransition(txn, value);
        if (error !== ErrorCode.None) return initError(error);
        this.logger.info({ transactionalId, producerId: value.producerId.toString(), producerEpoch: value.producerEpoch }, 'initialized a transactional id');
        return { errorCode: ErrorCode.None, producerId: value.producerId, producerEpoch: value.producerEpoch };
      }
      case 'Ongoing': {
        // The open transaction is aborted with a bumped epoch first, fencing its producer; this
        // producer retries on CONCURRENT_TRANSACTIONS and bumps the epoch again once it is done.
        const error = await this.fenceAndAbort(txn);
        return initError(error === ErrorCode.None ? ErrorCode.ConcurrentTransactions : error);
      }
      case 'Dead':
      case 'PrepareEpochFence':
        throw new Error(`transactional id ${transactionalId} found in state ${txn.state}, which is never current`);
    }
  }

  /**
   * KIP-360: the id and epoch a producer says it holds are acceptable when the id has no epoch yet
   * (it was just created), when the producer id is the current one (the epoch is checked by the
   * bump), or when it is the previous one with an exhausted epoch (a retry of a rotation).
   */
  private isValidExpectedProducer(txn: TransactionMetadata, expected: { producerId: bigint; producerEpoch: number }): boolean {
    return (
      txn.producerEpoch === NO_PRODUCER_EPOCH ||
      expected.producerId === txn.producerId ||
      (expected.producerId === txn.lastProducerId && isEpochExhausted(expected.producerEpoch))
    );
  }

  /**
   * Aborts an ongoing transaction with a bumped epoch (fencing its producer), then writes its
   * markers. The coordinator aborts at the server's transaction version, as Kafka does; this
   * broker finalizes no transaction.version feature, so that is version 0: the abort is logged
   * with the fenced epoch.
   */
  private async fenceAndAbort(txn: TransactionMetadata): Promise<number> {
    const fenceEpoch = txn.prepareFenceProducerEpoch();
    const value = txn.prepareAbortOrCommit('PrepareAbort', SERVER_TRANSACTION_VERSION, NO_PRODUCER_ID, this.clock.now(), false, fenceEpoch);
    const error = await this.logTransition(txn, value);
    if (error === ErrorCode.None) this.startCompletion(txn);
    return error;
  }

  // ---------------------------------------------------------------------------------------------
  // AddPartitionsToTxn, AddOffsetsToTxn

  /**
   * Adds partitions to the producer's transaction (Kafka's handleAddPartitionsToTransaction).
   * `clientTransactionVersion` 2 is a KIP-890 producer's implicit add by a partition leader.
   * Resolves one error code for all of the partitions.
   */
  async addPartitions(producer: TxnProducer, partitions: readonly TxnTopicPartition[], clientTransactionVersion = 0): Promise<number> {
    if (producer.transactionalId === '') return ErrorCode.InvalidRequest;
    await this.awaitCompletion(producer.transactionalId);
    if (this.unavailable) return ErrorCode.CoordinatorNotAvailable;
    const txn = this.txns.get(producer.transactionalId);
    if (!txn || txn.producerId !== producer.producerId) return ErrorCode.InvalidProducerIdMapping;
    if (txn.producerEpoch !== producer.producerEpoch) return ErrorCode.ProducerFenced;
    if (txn.pendingTransitionInProgress) return ErrorCode.ConcurrentTransactions;
    if (txn.state === 'PrepareCommit' || txn.state === 'PrepareAbort') return ErrorCode.ConcurrentTransactions;
    if (txn.state === 'Ongoing' && partitions.every((p) => txn.hasPartition(p.topic, p.partition))) return ErrorCode.None;
    return this.logTransition(txn, txn.prepareAddPartitions(partitions, this.clock.now(), clientTransactionVersion));
  }

  /** The __consumer_offsets partition of a group, which AddOffsetsToTxn adds to the transaction. */
  offsetsPartitionFor(groupId: string): TxnTopicPartition {
    return { topic: OFFSETS_TOPIC, partition: coordinatorPartitionFor(groupId, this.config().offsetsTopicNumPartitions) };
  }

  /** AddOffsetsToTxn: the group's __consumer_offsets partition joins the transaction. */
  addOffsets(producer: TxnProducer, groupId: string): Promise<number> {
    return this.addPartitions(producer, [this.offsetsPartitionFor(groupId)]);
  }

  /**
   * AddPartitionsToTxn v4+ with verifyOnly (KIP-890 part 1; Kafka's
   * handleVerifyPartitionsInTransaction): whether each partition is in the producer's ongoing
   * transaction, as Kafka's coordinator answers (TRANSACTION_ABORTABLE for one that is not).
   */
  verifyPartitions(producer: TxnProducer, partitions: readonly TxnTopicPartition[]): PartitionError[] {
    const all = (errorCode: number): PartitionError[] => partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode }));
    if (producer.transactionalId === '') return all(ErrorCode.InvalidRequest);
    if (this.unavailable) return all(ErrorCode.CoordinatorNotAvailable);
    const txn = this.txns.get(producer.transactionalId);
    if (!txn || txn.producerId !== producer.producerId) return all(ErrorCode.InvalidProducerIdMapping);
    if (txn.producerEpoch !== producer.producerEpoch) return all(ErrorCode.ProducerFenced);
    // Pending writes are not waited for: a partition is in the transaction once its add is logged.
    if (txn.state === 'PrepareCommit' || txn.state === 'PrepareAbort') return all(ErrorCode.ConcurrentTransactions);
    return partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode: txn.hasPartition(p.topic, p.partition) ? ErrorCode.None : ErrorCode.TransactionAbortable }));
  }

  /**
   * The verification of one transactional produce batch (contract with the partition layer), as
   * Kafka's AddPartitionsToTxnManager and ReplicaManager turn the coordinator's answer into the
   * produce error: NONE when the partition is in the ongoing transaction; INVALID_TXN_STATE when
   * it is not; INVALID_PRODUCER_EPOCH for a fenced producer; NOT_ENOUGH_REPLICAS (retriable) while
   * the transaction is completing; INVALID_PRODUCER_ID_MAPPING for an unknown producer.
   */
  verifyPartitionInTransaction(p: TxnProducer & TxnTopicPartition): number {
    const [result] = this.verifyPartitions(p, [{ topic: p.topic, partition: p.partition }]);
    switch (result.errorCode) {
      case ErrorCode.TransactionAbortable:
        return ErrorCode.InvalidTxnState;
      case ErrorCode.ProducerFenced:
        return ErrorCode.InvalidProducerEpoch;
      case ErrorCode.ConcurrentTransactions:
      case ErrorCode.CoordinatorLoadInProgress:
      case ErrorCode.CoordinatorNotAvailable:
      case ErrorCode.NotCoordinator:
        return ErrorCode.NotEnoughReplicas;
      default:
        return result.errorCode;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // EndTxn

  /**
   * EndTxn (Kafka's handleEndTransaction). `clientTransactionVersion` is 2 for EndTxn v5+ (KIP-890
   * part 2: the epoch is bumped with every transaction and the answer carries the id and epoch to
   * use next), 0 below. A retry of a commit or abort that already completed answers NONE.
   */
  async endTxn(producer: TxnProducer, committed: boolean, clientTransactionVersion: number): Promise<EndTxnResult> {
    if (producer.transactionalId === '') return endError(ErrorCode.InvalidRequest);
    if (this.unavailable) return endError(ErrorCode.CoordinatorNotAvailable);
    const txn = this.txns.get(producer.transactionalId);
    if (!txn) return endError(ErrorCode.InvalidProducerIdMapping);
    const tv2 = clientTransactionVersion >= 2;
    const { producerId, producerEpoch } = producer;
    // Transaction version 2 retries: the first attempt bumped the epoch, or rotated the id.
    const retryOnOverflow = tv2 && txn.lastProducerId === producerId && producerEpoch === MAX_PRODUCER_EPOCH - 1 && txn.producerEpoch === 0;
    const retryOnEpochBump = tv2 && txn.producerEpoch === producerEpoch + 1;
    const isRetry = retryOnEpochBump || retryOnOverflow;
    if (txn.producerId !== producerId && !retryOnOverflow) return endError(ErrorCode.InvalidProducerIdMapping);
    let validEpoch: boolean;
    if (!tv2) validEpoch = producerEpoch === txn.producerEpoch;
    else if (txn.state === 'PrepareCommit' || txn.state === 'PrepareAbort') validEpoch = retryOnEpochBump;
    else if (txn.state === 'CompleteCommit' || txn.state === 'CompleteAbort') validEpoch = isRetry || producerEpoch === txn.producerEpoch;
    else validEpoch = producerEpoch === txn.producerEpoch;
    if (!validEpoch) return endError(ErrorCode.ProducerFenced);
    if (txn.pendingTransitionInProgress) return endError(ErrorCode.ConcurrentTransactions);
    const current = (): EndTxnResult => (tv2 ? { errorCode: ErrorCode.None, producerId: txn.producerId, producerEpoch: txn.producerEpoch } : endError(ErrorCode.None));
    switch (txn.state) {
      case 'Ongoing':
        return this.prepareEnd(txn, committed, clientTransactionVersion, false);
      case 'CompleteCommit':
        if (committed) return !tv2 || isRetry ? current() : endError(ErrorCode.InvalidTxnState);
        if (tv2 && !isRetry) return this.prepareEnd(txn, false, clientTransactionVersion, true);
        return endError(ErrorCode.InvalidTxnState);
      case 'CompleteAbort':
        if (!committed) {
          if (!tv2 || isRetry) return current();
          return this.prepareEnd(txn, false, clientTransactionVersion, true);
        }
        return endError(ErrorCode.InvalidTxnState);
      case 'PrepareCommit':
        return endError(committed ? ErrorCode.ConcurrentTransactions : ErrorCode.InvalidTxnState);
      case 'PrepareAbort':
        return endError(committed ? ErrorCode.InvalidTxnState : ErrorCode.ConcurrentTransactions);
      case 'Empty':
        // KIP-890: a transaction version 2 producer may abort without having added a partition.
        if (!committed && tv2) return this.prepareEnd(txn, false, clientTransactionVersion, true);
        return endError(ErrorCode.InvalidTxnState);
      case 'Dead':
      case 'PrepareEpochFence':
        throw new Error(`transactional id ${producer.transactionalId} found in state ${txn.state}, which is never current`);
    }
  }

  private async prepareEnd(txn: TransactionMetadata, committed: boolean, clientTransactionVersion: number, noPartitionAdded: boolean): Promise<EndTxnResult> {
    let nextProducerId = NO_PRODUCER_ID;
    if (clientTransactionVersion >= 2 && txn.isProducerEpochExhausted) {
      txn.pendingState = committed ? 'PrepareCommit' : 'PrepareAbort';
      const id = await this.generateProducerId();
      txn.abandonPending();
      if (id === undefined) return endError(ErrorCode.CoordinatorLoadInProgress);
      nextProducerId = id;
    }
    const value = txn.prepareAbortOrCommit(committed ? 'PrepareCommit' : 'PrepareAbort', clientTransactionVersion, nextProducerId, this.clock.now(), noPartitionAdded);
    const error = await this.logTransition(txn, value);
    if (error !== ErrorCode.None) return endError(error);
    this.startCompletion(txn);
    if (clientTransactionVersion < 2) return endError(ErrorCode.None);
    // The id and epoch the producer continues with: the rotated id at epoch 0, or the bumped epoch.
    return nextProducerId !== NO_PRODUCER_ID
      ? { errorCode: ErrorCode.None, producerId: nextProducerId, producerEpoch: 0 }
      : { errorCode: ErrorCode.None, producerId: value.producerId, producerEpoch: value.producerEpoch };
  }

  // ---------------------------------------------------------------------------------------------
  // Markers and completion

  /** Writes the markers of a transaction in PrepareCommit/PrepareAbort, then logs its completion, in the background. */
  private startCompletion(txn: TransactionMetadata): void {
    const run: Promise<void> = this.complete(txn)
      .catch((err: unknown) => { this.logger.error({ err, transactionalId: txn.transactionalId }, 'transaction coordinator: completing a transaction failed'); })
      .finally(() => {
        // The id's next transaction may already be completing.
        if (this.completions.get(txn.transactionalId) === run) this.completions.delete(txn.transactionalId);
      });
    this.completions.set(txn.transactionalId, run);
  }

  private async complete(txn: TransactionMetadata): Promise<void> {
    const committed = txn.state === 'PrepareCommit';
    const value = txn.prepareComplete(this.clock.now());
    const marker = { producerId: txn.producerId, producerEpoch: txn.producerEpoch, committed, coordinatorEpoch: COORDINATOR_EPOCH, transactionVersion: txn.clientTransactionVersion };
    while (txn.partitions.size > 0) {
      if (this.closed) return;
      const partitions = [...txn.partitions.values()];
      let results: TxnMarkerPartitionResult[];
      try {
        results = await this.options.markers.writeMarkers({ ...marker, partitions });
      } catch (err) {
        this.logger.error({ err, transactionalId: txn.transactionalId }, 'transaction coordinator: writing markers failed; retrying');
        results = partitions.map((p) => ({ ...p, errorCode: ErrorCode.UnknownServerError }));
      }
      for (const r of results) {
        if (r.errorCode === ErrorCode.None) {
          txn.partitions.delete(partitionKey(r.topic, r.partition));
        } else if (GIVE_UP_MARKER_ERRORS.has(r.errorCode)) {
          this.logger.warn(
            { transactionalId: txn.transactionalId, topic: r.topic, partition: r.partition, errorCode: r.errorCode },
            `transaction coordinator: the ${committed ? 'COMMIT' : 'ABORT'} marker cannot be written to ${r.topic}-${r.partition} (error ${r.errorCode}); the partition is left out of the transaction's completion`,
          );
          txn.partitions.delete(partitionKey(r.topic, r.partition));
        }
      }
      if (txn.partitions.size > 0) await this.sleep(this.markerRetryBackoffMs);
    }
    // The Complete record is retried until written: the transaction cannot be left half complete.
    for (;;) {
      if (this.closed) return;
      try {
        await this.log.write(new TxnLogBatch().add({ transactionalId: txn.transactionalId, value }));
        return;
      } catch (err) {
        this.logger.error({ err, transactionalId: txn.transactionalId }, 'transaction coordinator: logging the completion of a transaction failed; retrying');
        await this.sleep(this.markerRetryBackoffMs);
      }
    }
  }

  /**
   * Waits, at most completionWaitMs, for the completion under way of the id's previous
   * transaction, so that the request is then answered from the completed state; returns at once
   * when none is under way. The caller checks the state afterwards as before: a completion still
   * under way is answered CONCURRENT_TRANSACTIONS.
   */
  private async awaitCompletion(transactionalId: string): Promise<void> {
    const run = this.completions.get(transactionalId);
    if (run === undefined || this.closed || this.completionWaitMs <= 0) return;
    let handle: TimerHandle | undefined;
    const bound = new Promise<void>((resolve) => {
      handle = this.clock.setTimeout(resolve, this.completionWaitMs, { unref: true });
    });
    try {
      await Promise.race([run, bound]);
    } finally {
      if (handle !== undefined) this.clock.clearTimeout(handle);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        handle: this.clock.setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, ms, { unref: true }),
        resolve,
      };
      this.sleeps.add(entry);
    });
  }

  /** Resolves when no transaction is completing (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.completions.size > 0) await Promise.all([...this.completions.values()]);
  }

  // ---------------------------------------------------------------------------------------------
  // DescribeTransactions, ListTransactions

  describe(transactionalId: string): DescribedTransaction {
    const described: DescribedTransaction = { transactionalId, errorCode: ErrorCode.None, state: '', producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH, txnTimeoutMs: 0, txnStartTimestamp: -1, partitions: [] };
    if (this.unavailable) return { ...described, errorCode: ErrorCode.CoordinatorNotAvailable };
    if (transactionalId === '') return { ...described, errorCode: ErrorCode.InvalidRequest };
    const txn = this.txns.get(transactionalId);
    // A new id whose first InitProducerId is not yet logged is not known yet. (An id being removed
    // is described until its tombstone is written, as in Kafka.)
    if (!txn || txn.state === 'Dead' || txn.producerEpoch === NO_PRODUCER_EPOCH) return { ...described, errorCode: ErrorCode.TransactionalIdNotFound };
    return {
      transactionalId,
      errorCode: ErrorCode.None,
      state: txn.state,
      producerId: txn.producerId,
      producerEpoch: txn.producerEpoch,
      txnTimeoutMs: txn.txnTimeoutMs,
      txnStartTimestamp: txn.txnStartTimestamp,
      partitions: [...txn.partitions.values()],
    };
  }

  /** Kafka's listTransactionStates: the state filters it does not know, and the matching ids. */
  list(filter: ListTransactionsFilter): { errorCode: number; unknownStateFilters: string[]; transactions: ListedTransaction[] } {
    if (this.unavailable) return { errorCode: ErrorCode.CoordinatorNotAvailable, unknownStateFilters: [], transactions: [] };
    const unknownStateFilters: string[] = [];
    const states = new Set<TxnState>();
    for (const name of filter.states) {
      const state = txnStateByName(name);
      if (state === undefined) unknownStateFilters.push(name);
      else states.add(state);
    }
    const producerIds = new Set(filter.producerIds);
    const now = this.clock.now();
    const transactions: ListedTransaction[] = [];
    for (const txn of this.txns.values()) {
      if (txn.state === 'Dead' || txn.producerEpoch === NO_PRODUCER_EPOCH) continue;
      if (producerIds.size > 0 && !producerIds.has(txn.producerId)) continue;
      if (filter.states.length > 0 && !states.has(txn.state)) continue;
      if (filter.durationMs >= 0 && now - txn.txnStartTimestamp <= filter.durationMs) continue;
      if (filter.transactionalIdPattern && !filter.transactionalIdPattern.test(txn.transactionalId)) continue;
      transactions.push({ transactionalId: txn.transactionalId, producerId: txn.producerId, state: txn.state });
    }
    return { errorCode: ErrorCode.None, unknownStateFilters, transactions };
  }

  // ---------------------------------------------------------------------------------------------
  // Housekeeping

  private scheduleAbortTimedOut(): void {
    if (this.closed) return;
    this.abortTimer = this.clock.setTimeout(() => {
      this.abortTimer = null;
      this.runHousekeeping(() => this.abortTimedOutTransactions(), () => { this.scheduleAbortTimedOut(); });
    }, this.config().transactionAbortTimedOutTransactionCleanupIntervalMs, { unref: true });
  }

  private scheduleExpiry(): void {
    if (this.closed) return;
    this.expireTimer = this.clock.setTimeout(() => {
      this.expireTimer = null;
      this.runHousekeeping(() => this.removeExpiredTransactionalIds(), () => { this.scheduleExpiry(); });
    }, this.config().transactionRemoveExpiredTransactionCleanupIntervalMs, { unref: true });
  }

  private runHousekeeping(job: () => Promise<void>, then: () => void): void {
    const run = (this.housekeeping ?? Promise.resolve())
      .then(job)
      .catch((err: unknown) => { this.logger.warn({ err }, 'transaction coordinator: housekeeping failed'); })
      .finally(() => {
        if (this.housekeeping === run) this.housekeeping = null;
        then();
      });
    this.housekeeping = run;
  }

  /** Aborts ongoing transactions older than their timeout, bumping the epoch so their producer is fenced. */
  async abortTimedOutTransactions(): Promise<void> {
    const now = this.clock.now();
    const timedOut = [...this.txns.values()].filter((t) => t.state === 'Ongoing' && !t.pendingTransitionInProgress && t.txnStartTimestamp + t.txnTimeoutMs < now);
    for (const txn of timedOut) {
      if (this.closed || txn.state !== 'Ongoing' || txn.pendingTransitionInProgress) continue;
      this.logger.info({ transactionalId: txn.transactionalId, producerId: txn.producerId.toString(), producerEpoch: txn.producerEpoch }, 'transaction coordinator: aborting a transaction that outlived its timeout');
      await this.fenceAndAbort(txn);
    }
  }

  /** Removes ids with no transaction that have been idle for transactional.id.expiration.ms. */
  async removeExpiredTransactionalIds(): Promise<void> {
    const now = this.clock.now();
    const expirationMs = this.config().transactionalIdExpirationMs;
    const expired = [...this.txns.values()].filter((t) => isExpirationAllowed(t.state) && !t.pendingTransitionInProgress && t.txnLastUpdateTimestamp <= now - expirationMs);
    for (const txn of expired) {
      if (this.closed || txn.pendingTransitionInProgress || !isExpirationAllowed(txn.state)) continue;
      txn.prepareDead();
      if ((await this.logTransition(txn, null)) === ErrorCode.None) {
        this.logger.info({ transactionalId: txn.transactionalId }, 'transaction coordinator: removed an expired transactional id');
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /** The ids and their state, for tests and tools. */
  get transactionalIds(): ReadonlyMap<string, TransactionMetadata> {
    return this.txns;
  }

  /** Writes the whole state as one snapshot of the coordinator log (tests, tools). */
  snapshot(): Promise<void> {
    return this.log.snapshotNow();
  }

  /**
   * Stops: timers stop, new requests answer COORDINATOR_NOT_AVAILABLE, completions under way stop
   * at their next step (their Prepare record is in the log, so the next start completes them),
   * and the state log is closed. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      if (this.abortTimer) this.clock.clearTimeout(this.abortTimer);
      if (this.expireTimer) this.clock.clearTimeout(this.expireTimer);
      for (const s of this.sleeps) {
        this.clock.clearTimeout(s.handle);
        s.resolve();
      }
      this.sleeps.clear();
      await this.housekeeping;
      await this.idle();
      await this.log.snapshotBeforeClose();
      await this.stateLog.close();
    })();
    return this.closing;
  }
}
