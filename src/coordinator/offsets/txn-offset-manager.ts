/**
 * Transactional offset commits: TxnOffsetCommit and the end of the transactions that carry them, as
 * Kafka 4's OffsetMetadataManager (commitTransactionalOffset, replayEndTransactionMarker) and its
 * coordinator runtime (scheduleTransactionalWriteOperation, scheduleTransactionCompletion) do them.
 *
 * A TxnOffsetCommit is checked against the group (generation, member and static instance when the
 * request carries any of them, v3+; a stale consumer-group member epoch answers ILLEGAL_GENERATION;
 * a group that does not exist is created as a simple group for generation -1, ILLEGAL_GENERATION
 * otherwise; unlike OffsetCommit, a request without member id and generation is accepted even while
 * the group has members, and CompletingRebalance is not refused), then, when a verifier is set
 * (transaction.partition.verification.enable), against the transaction coordinator: the group's
 * __consumer_offsets partition must be in the producer's ongoing transaction (AddOffsetsToTxn).
 * The offsets are then written as one transactional batch carrying the producer id and epoch, and
 * stay pending (invisible to OffsetFetch) until the producer's transaction ends: `completeTxnOffsets`
 * writes the COMMIT or ABORT marker, which moves them to the committed offsets or drops them.
 *
 * Producer epochs: like the producer state of Kafka's __consumer_offsets partition, a write or marker
 * with an epoch older than the producer's pending transactional writes is refused
 * (INVALID_PRODUCER_EPOCH). The epoch is known while the producer has pending offsets here; beyond
 * that, the transaction coordinator fences stale producers.
 */
import { ErrorCode } from '../../protocol/generated/errors.js';
import type { Clock } from '../../util/clock.js';
import { coordinatorPartitionFor } from '../../util/java-string-hash.js';
import type { CoordinatorLog } from '../coordinator-log.js';
import type { ConsumerGroupManager } from '../consumer/consumer-group-manager.js';
import type { GroupConfig, GroupManager } from '../group/group-manager.js';
import { RecordBatchBuilder } from '../records.js';
import { commitErrorCode, type CommitPartition } from './offset-manager.js';
import type { TxnOffsetStore } from './txn-offset-store.js';

/** Kafka's __consumer_offsets: the partition a TxnOffsetCommit is verified against is one of its. */
export const GROUP_METADATA_TOPIC = '__consumer_offsets';

/**
 * Asks the transaction coordinator whether a partition is part of the producer's ongoing
 * transaction: ErrorCode.None when it is, Kafka's error otherwise (INVALID_TXN_STATE, PRODUCER_FENCED, ...).
 */
export type TransactionVerifier = (p: { transactionalId: string; producerId: bigint; producerEpoch: number; topic: string; partition: number }) => Promise<number>;

export interface TxnOffsetConfig extends GroupConfig {
  /** offsets.topic.num.partitions: places the group on a __consumer_offsets partition. Default 50. */
  readonly offsetsTopicNumPartitions?: number;
  /** transaction.partition.verification.enable. Default true. */
  readonly transactionPartitionVerificationEnable?: boolean;
}

export interface TxnOffsetCommitParams {
  transactionalId: string;
  groupId: string;
  producerId: bigint;
  producerEpoch: number;
  /** v3+; -1 before (and from clients outside group management). */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  apiVersion: number;
  /** Topics already checked to exist (the handler's job, as KafkaApis). `commitTimestamp` is ignored. */
  partitions: readonly CommitPartition[];
}

/** Thrown by completeTxnOffsets when the marker cannot be written; `errorCode` is Kafka's WriteTxnMarkers error. */
export class TxnMarkerError extends Error {
  constructor(
    message: string,
    readonly errorCode: number,
  ) {
    super(message);
  }
}

export class TxnOffsetManager {
  constructor(
    private readonly groups: GroupManager,
    private readonly consumerGroups: ConsumerGroupManager,
    private readonly pending: TxnOffsetStore,
    private readonly log: CoordinatorLog,
    private readonly clock: Clock,
    private readonly config: () => TxnOffsetConfig,
    private readonly verifier: () => TransactionVerifier | undefined,
  ) {}

  /** One error code per partition, in request order. */
  async commit(p: TxnOffsetCommitParams): Promise<number[]> {
    const all = (code: number): number[] => p.partitions.map(() => code);
    const status = this.groups.validateGroupStatus(p.groupId, false);
    if (status !== null) return all(status);
    const invalid = this.validateGroup(p);
    if (invalid !== null) return all(invalid);

    const cfg = this.config();
    const verify = cfg.transactionPartitionVerificationEnable === false ? undefined : this.verifier();
    if (verify) {
      const partition = coordinatorPartitionFor(p.groupId, cfg.offsetsTopicNumPartitions ?? 50);
      const code = await verify({ transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, topic: GROUP_METADATA_TOPIC, partition });
      if (code !== ErrorCode.None) return all(code);
      // The group may have changed while the transaction coordinator answered.
      const again = this.groups.validateGroupStatus(p.groupId, false) ?? this.validateGroup(p);
      if (again !== null) return all(again);
    }
    const epoch = this.pending.epochOf(p.producerId);
    if (epoch !== undefined && p.producerEpoch < epoch) return all(ErrorCode.InvalidProducerEpoch);

    const now = this.clock.now();
    const errors: number[] = new Array<number>(p.partitions.length);
    const records = new RecordBatchBuilder(128 + 64 * p.partitions.length);
    for (let i = 0; i < p.partitions.length; i++) {
      const part = p.partitions[i];
      if (part.metadata !== null && part.metadata.length > cfg.offsetMetadataMaxBytes) {
        errors[i] = ErrorCode.OffsetMetadataTooLarge;
        continue;
      }
      errors[i] = ErrorCode.None;
      records.offset(p.groupId, part.topic, part.partition, { offset: part.offset, leaderEpoch: part.leaderEpoch, metadata: part.metadata ?? '', commitTimestamp: now, expireTimestamp: -1 });
    }
    if (records.count === 0) return errors;
    try {
      await this.log.write(records, { producerId: p.producerId, producerEpoch: p.producerEpoch });
    } catch (err) {
      const code = commitErrorCode(err);
      for (let i = 0; i < errors.length; i++) if (errors[i] === ErrorCode.None) errors[i] = code;
    }
    return errors;
  }

  /** Kafka 4's validateTransactionalOffsetCommit with the groups' validateOffsetCommit(isTransactional = true). */
  private validateGroup(p: TxnOffsetCommitParams): number | null {
    if (this.consumerGroups.groups.has(p.groupId)) {
      // Without member id, generation and instance id, TxnOffsetCommit is not checked against members.
      if (p.generationId === -1 && p.memberId === '' && p.groupInstanceId === null) return null;
      const invalid = this.consumerGroups.validateOffsetCommit(p.groupId, p.memberId, p.generationId, 9);
      return invalid === ErrorCode.StaleMemberEpoch ? ErrorCode.IllegalGeneration : invalid;
    }
    let group = this.groups.groups.get(p.groupId);
    if (!group) {
      if (p.generationId >= 0) return ErrorCode.IllegalGeneration;
      group = this.groups.createGroup(p.groupId);
    }
    return this.groups.validateOffsetCommit(group, p, true);
  }

  /**
   * Ends the producer's transaction in the coordinator log: COMMIT makes its pending offsets the
   * committed ones (unless a commit written after them already replaced them), ABORT drops them.
   * Resolves once the marker is written and applied; a marker for a producer without pending
   * offsets is written too, as Kafka appends it to the partition. Rejects with a TxnMarkerError:
   * INVALID_PRODUCER_EPOCH for an epoch older than the pending offsets', COORDINATOR_NOT_AVAILABLE
   * or NOT_COORDINATOR while loading or stopped, KAFKA_STORAGE_ERROR when the write fails.
   */
  async complete(producerId: bigint, producerEpoch: number, committed: boolean): Promise<void> {
    const status = this.groups.validateGroupStatus('-', true);
    if (status !== null) {
      throw new TxnMarkerError('the group coordinator is not active', status === ErrorCode.CoordinatorLoadInProgress ? ErrorCode.CoordinatorLoadInProgress : ErrorCode.NotCoordinator);
    }
    const epoch = this.pending.epochOf(producerId);
    if (epoch !== undefined && producerEpoch < epoch) {
      throw new TxnMarkerError(`a transaction marker of producer ${producerId} with epoch ${producerEpoch} is older than its pending offsets' epoch ${epoch}`, ErrorCode.InvalidProducerEpoch);
    }
    try {
      await this.log.writeTxnEnd({ producerId, producerEpoch, committed });
    } catch (err) {
      throw new TxnMarkerError(`writing the transaction marker of producer ${producerId} failed: ${err instanceof Error ? err.message : String(err)}`, ErrorCode.KafkaStorageError);
    }
  }
}
