/**
 * The produce path (Kafka's KafkaApis.handleProduceRequest and ReplicaManager.appendRecords on one
 * broker): per partition, look the topic up, check acks and min.insync.replicas, validate the
 * records (log-validator.ts), verify a transaction's first batch (KIP-890) and hand the batch to its
 * Partition (partition.ts), which checks it against the producer state, appends it, moves the high
 * watermark and wakes waiting fetches.
 *
 * Request-level rules, Kafka's:
 * - Transactional batches with a null transactionalId: TRANSACTIONAL_ID_AUTHORIZATION_FAILED on
 *   every partition (Kafka's check before anything else).
 * - Transaction verification (KIP-890 part 1): with transaction.partition.verification.enable and a
 *   `verifyTransaction` option, the first transactional batch of a producer's transaction in a
 *   partition (no transaction of that producer ongoing there) is checked with the transaction
 *   coordinator before it is appended. Its error is the partition's, mapped as Kafka 3.9 does: a
 *   partition not in the transaction is TRANSACTION_ABORTABLE for Produce v11+ and
 *   INVALID_TXN_STATE below; PRODUCER_FENCED is INVALID_PRODUCER_EPOCH; COORDINATOR_NOT_AVAILABLE,
 *   NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS and NETWORK_EXCEPTION
 *   are NOT_ENOUGH_REPLICAS (retriable for every client, and no metadata refresh). The verification is
 *   part of the batch's input in the append queue, so the partition's later appends keep dispatch
 *   order behind it (the coordinator answers from memory); it may start while earlier appends are
 *   still queued, and a marker for the producer issued meanwhile makes the batch INVALID_TXN_STATE
 *   (Kafka's verification guard): the transaction it was verified for is over.
 * - Unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION; Produce v13 names topics by id, and an
 *   unknown id is UNKNOWN_TOPIC_ID. Produce never creates topics (only Metadata does, in Kafka).
 * - acks other than -1, 0, 1: INVALID_REQUIRED_ACKS on every known partition.
 * - Internal topics (__consumer_offsets, __transaction_state, __share_group_state) take writes only
 *   from the client id `__admin_client`: otherwise INVALID_TOPIC_EXCEPTION.
 * - A partition this broker does not lead: NOT_LEADER_OR_FOLLOWER (checked again when the append
 *   is issued, as leadership may move while it waits in the queue).
 * - acks=-1 with an ISR smaller than the topic's min.insync.replicas: NOT_ENOUGH_REPLICAS before
 *   anything is appended (one broker is an ISR of one). Once appended, an acks=-1 answer waits
 *   until the high watermark reaches the records (Kafka's DelayedProduce, Partition.waitForReplication)
 *   for up to the request's timeoutMs: NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below
 *   min.insync.replicas meanwhile, NOT_LEADER_OR_FOLLOWER if leadership moved, REQUEST_TIMED_OUT at
 *   the timeout; as in Kafka those answers keep the append's offsets. A duplicate waits the same
 *   way for the original's records. On one broker the high watermark is the log end, so the wait
 *   ends at once and acks=1 and acks=-1 behave the same.
 * - A failed write (StorageError) is KAFKA_STORAGE_ERROR, or NOT_LEADER_OR_FOLLOWER for Produce
 *   v0-3, whose clients may not know that code (Kafka's ProduceResponse does the same).
 * - Failed partitions answer baseOffset -1, logAppendTimeMs -1, logStartOffset -1 (Kafka's
 *   PartitionResponse(error)); errorMessage is set only with record errors and the verification
 *   failures Kafka rewords, with Kafka's messages.
 * - A duplicate of one of the producer's last 5 batches answers NONE with the original base offset,
 *   and (a quirk kept from Kafka) logAppendTimeMs set to the original batch's max timestamp.
 *
 * Ordering: a partition's appends are issued in the order requests were dispatched, which is what
 * pipelined idempotent producers rely on. The usual case (nothing to decode, producer state loaded)
 * issues the append synchronously in the handler's first tick; when validation must decode or the
 * partition's producer state is still loading, later requests for the partition queue behind it.
 *
 * Producer state belongs to the partitions (partition-manager.ts): loaded on first use, expired,
 * and snapshotted when the manager closes.
 */
import type { ResolvedBrokerConfig } from '../config/broker-config.js';
import type { MetadataStore, Topic } from '../metadata/metadata-store.js';
import { ADMIN_CLIENT_ID, isInternalTopic } from '../protocol/topic-name.js';
import { ErrorCode, errorInfo } from '../protocol/generated/errors.js';
import type {
  ProduceRequest,
  ProduceResponsePartitionProduceResponse,
  ProduceResponseTopicProduceResponse,
} from '../protocol/generated/messages/produce.js';
import { defaultProduceResponseLeaderIdAndEpoch } from '../protocol/generated/messages/produce.js';
import { hasTransactionalBatch, validateRecords, type LogValidatorConfig, type ValidationResult } from '../storage/log-validator.js';
import type { ProducerStateManager } from '../storage/producer-state.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Partition } from './partition.js';
import type { PartitionManager } from './partition-manager.js';
import { storageFailureCode } from './storage-failure.js';

export interface PartitionProduceResult {
  errorCode: number;
  baseOffset: bigint;
  /** Offset of the last record appended (or of the original's, for a duplicate); -1 when none was. */
  lastOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  errorMessage: string | null;
}

/** What a transactional batch's verification asks the transaction coordinator (KIP-890). */
export interface TransactionVerification {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  topic: string;
  partition: number;
}

export interface ProduceServiceOptions {
  metadata: MetadataStore;
  partitions: PartitionManager;
  clock: Clock;
  logger: Logger;
  /** The broker's configuration, read on use (it changes with dynamic AlterConfigs). */
  brokerConfig: () => ResolvedBrokerConfig;
  /**
   * Whether the partition is part of the producer's ongoing transaction: ErrorCode.None when it is,
   * the coordinator's error otherwise. Without it nothing is verified.
   */
  verifyTransaction?: (p: TransactionVerification) => Promise<number>;
}

export interface ProduceContext {
  apiVersion: number;
  clientId: string | null;
  /** The request's transactionalId (null for non-transactional producers). */
  transactionalId?: string | null;
  /** The request's timeoutMs: how long an acks=-1 answer waits for the ISR (0 when absent). */
  timeoutMs?: number;
}

function failed(errorCode: number, errorMessage: string | null = null, recordErrors: PartitionProduceResult['recordErrors'] = []): PartitionProduceResult {
  return { errorCode, baseOffset: -1n, lastOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors, errorMessage };
}

/**
 * Kafka's translation of a verification error into the partition's produce error
 * (ReplicaManager and AddPartitionsToTxnManager): a partition outside the transaction is
 * TRANSACTION_ABORTABLE for Produce v11+ and INVALID_TXN_STATE for older clients, a fenced producer
 * INVALID_PRODUCER_EPOCH, and the coordinator's retriable errors NOT_ENOUGH_REPLICAS, which every
 * client retries without refreshing its metadata.
 */
function verificationErrorCode(code: number, apiVersion: number): number {
  switch (code) {
    case ErrorCode.InvalidTxnState:
    case ErrorCode.TransactionAbortable:
      return apiVersion > 10 ? ErrorCode.TransactionAbortable : ErrorCode.InvalidTxnState;
    case ErrorCode.ProducerFenced:
      return ErrorCode.InvalidProducerEpoch;
    case ErrorCode.CoordinatorNotAvailable:
    case ErrorCode.NotCoordinator:
    case ErrorCode.CoordinatorLoadInProgress:
    case ErrorCode.ConcurrentTransactions:
    case ErrorCode.NetworkException:
      return ErrorCode.NotEnoughReplicas;
    default:
      return code;
  }
}

/** Kafka's own messages for the verification failures it rewords (null: the error's default). */
function verificationMessage(code: number, coordinatorError: number): string | null {
  if (code === ErrorCode.InvalidTxnState) return 'Partition was not added to the transaction';
  if (code === ErrorCode.NotEnoughReplicas) {
    return `Unable to verify the partition has been added to the transaction. Underlying error: ${errorInfo(coordinatorError)?.name ?? String(coordinatorError)}`;
  }
  return null;
}

/** A validated batch and the producer state, ready to issue; `verified` carries a verification's outcome. */
type Ready = [ValidationResult, ProducerStateManager, Verified | null];

interface Verified {
  errorCode: number;
  /** Markers the producer had had when the verification began (Kafka's verification guard). */
  markersBefore: number;
}

export class ProduceService {
  constructor(private readonly options: ProduceServiceOptions) {}

  /** Handles a whole Produce request; resolves once every partition has its answer. */
  async produce(request: ProduceRequest, ctx: ProduceContext): Promise<ProduceResponseTopicProduceResponse[]> {
    const { apiVersion } = ctx;
    if (request.transactionalId === null && request.topicData.some((t) => t.partitionData.some((p) => hasTransactionalBatch(p.records)))) {
      return this.everyPartition(request, failed(ErrorCode.TransactionalIdAuthorizationFailed));
    }
    const partitionCtx: ProduceContext = { ...ctx, transactionalId: request.transactionalId, timeoutMs: request.timeoutMs };
    const validAcks = request.acks === -1 || request.acks === 0 || request.acks === 1;
    const topics = request.topicData.map((t) => {
      const topic = apiVersion >= 13 ? this.options.metadata.topicById(t.topicId) : this.options.metadata.topic(t.name);
      const partitions = t.partitionData.map((p): Promise<PartitionProduceResult> | PartitionProduceResult => {
        if (!topic) return failed(apiVersion >= 13 ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition);
        if (p.index < 0 || p.index >= topic.partitions) return failed(ErrorCode.UnknownTopicOrPartition);
        if (!validAcks) return failed(ErrorCode.InvalidRequiredAcks);
        return this.producePartition(topic, p.index, p.records, request.acks, partitionCtx);
      });
      return { t, partitions };
    });
    const out: ProduceResponseTopicProduceResponse[] = [];
    for (const { t, partitions } of topics) {
      // Results and promises mixed on purpose: a partition that fails validation makes no promise.
      // eslint-disable-next-line @typescript-eslint/await-thenable
      const results = await Promise.all(partitions);
      out.push({
        name: apiVersion >= 13 ? '' : t.name,
        topicId: t.topicId,
        partitionResponses: results.map((r, i) => toResponse(t.partitionData[i].index, r)),
        _unknownTaggedFields: undefined,
      });
    }
    return out;
  }

  private everyPartition(request: ProduceRequest, result: PartitionProduceResult): ProduceResponseTopicProduceResponse[] {
    return request.topicData.map((t) => ({
      name: t.name,
      topicId: t.topicId,
      partitionResponses: t.partitionData.map((p) => toResponse(p.index, result)),
      _unknownTaggedFields: undefined,
    }));
  }

  /**
   * Appends one partition's records. The caller checked that the partition exists. Never rejects:
   * every failure is a Kafka error code.
   */
  producePartition(topic: Topic, partition: number, records: Buffer | null, acks: number, ctx: ProduceContext): Promise<PartitionProduceResult> | PartitionProduceResult {
    const { logger, clock } = this.options;
    const { apiVersion } = ctx;
    const tp = `${topic.name}-${partition}`;
    if (isInternalTopic(topic.name) && ctx.clientId !== ADMIN_CLIENT_ID) {
      return failed(ErrorCode.InvalidTopicException);
    }
    const p = this.options.partitions.get(topic.name, partition);
    if (!p) return failed(ErrorCode.UnknownTopicOrPartition);
    if (!p.isLeader) return failed(ErrorCode.NotLeaderOrFollower);
    const config = topic.config;
    if (acks === -1 && p.isr.length < config.minInsyncReplicas) {
      logger.debug({ partition: tp, isr: p.isr, minIsr: config.minInsyncReplicas }, 'NOT_ENOUGH_REPLICAS: the ISR is smaller than min.insync.replicas');
      return failed(ErrorCode.NotEnoughReplicas);
    }
    const validatorConfig: LogValidatorConfig = {
      maxMessageBytes: config.maxMessageBytes,
      segmentBytes: config.segmentBytes,
      compressionType: config.compressionType,
      timestampType: config.messageTimestampType,
      timestampBeforeMaxMs: config.messageTimestampBeforeMaxMs,
      timestampAfterMaxMs: config.messageTimestampAfterMaxMs,
      compact: config.compact,
    };
    const validation = validateRecords(records, { apiVersion, config: validatorConfig, nowMs: clock.now(), partitionName: tp });
    const manager = p.producerState();
    let ready: Ready | Promise<Ready> =
      validation instanceof Promise || manager instanceof Promise
        ? Promise.all([validation, manager]).then(([v, m]): Ready => [v, m, null])
        : [validation, manager, null];
    ready = this.maybeVerify(p, ready, ctx);
    const appended = p.appendQueue.run(
      ready,
      ([v, m, verified]) => this.issue(p, m, v, verified, apiVersion),
      (err) => this.failureOf(err, apiVersion, tp),
    );
    return acks === -1 ? appended.then((r) => this.awaitReplication(p, r, ctx.timeoutMs ?? 0)) : appended;
  }

  /** acks=-1: the answer once the ISR has the records (see the header); failures pass as they are. */
  private async awaitReplication(p: Partition, r: PartitionProduceResult, timeoutMs: number): Promise<PartitionProduceResult> {
    if (r.errorCode !== ErrorCode.None || r.lastOffset < 0n) return r;
    const errorCode = await p.waitForReplication(r.lastOffset + 1n, timeoutMs);
    if (errorCode !== ErrorCode.None) this.options.logger.debug({ partition: `${p.topic}-${p.partition}`, errorCode, requiredOffset: (r.lastOffset + 1n).toString() }, 'acks=all produce not acknowledged by the ISR');
    return errorCode === ErrorCode.None ? r : { ...r, errorCode };
  }

  /**
   * Adds the transaction verification a batch needs (KIP-890 part 1): only a transactional batch
   * whose producer has no transaction ongoing in the partition, and only when enabled.
   */
  private maybeVerify(p: Partition, ready: Ready | Promise<Ready>, ctx: ProduceContext): Ready | Promise<Ready> {
    const verify = this.options.verifyTransaction;
    const transactionalId = ctx.transactionalId ?? null;
    if (verify === undefined || transactionalId === null || !this.options.brokerConfig().config.transactionPartitionVerificationEnable) return ready;
    const check = ([v, m]: Ready): Ready | Promise<Ready> => {
      if (!v.ok || v.batch === null || !v.batch.isTransactional || m.hasOngoingTransaction(v.batch.producerId, v.batch.producerEpoch)) return [v, m, null];
      const { producerId, producerEpoch } = v.batch;
      const markersBefore = p.markersWritten(producerId);
      return verify({ transactionalId, producerId, producerEpoch, topic: p.topic, partition: p.partition }).then((errorCode): Ready => [v, m, { errorCode, markersBefore }]);
    };
    return ready instanceof Promise ? ready.then(check) : check(ready);
  }

  /** Hands the validated batch to its partition (synchronously) and maps the outcome. */
  private issue(p: Partition, manager: ProducerStateManager, v: ValidationResult, verified: Verified | null, apiVersion: number): Promise<PartitionProduceResult> {
    const tp = `${p.topic}-${p.partition}`;
    if (!v.ok) {
      this.options.logger.debug({ partition: tp, errorCode: v.errorCode, reason: v.message }, 'produce rejected');
      return Promise.resolve(failed(v.errorCode, v.errorMessage, v.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message }))));
    }
    if (v.records === null || v.batch === null) {
      // Produce v0-2 with an empty message set: nothing appended, as in Kafka.
      return Promise.resolve({ errorCode: ErrorCode.None, baseOffset: -1n, lastOffset: -1n, logAppendTimeMs: -1n, logStartOffset: p.logStartOffset, recordErrors: [], errorMessage: null });
    }
    if (!p.isLeader) return Promise.resolve(failed(ErrorCode.NotLeaderOrFollower));
    if (verified !== null) {
      if (verified.errorCode !== ErrorCode.None) {
        const code = verificationErrorCode(verified.errorCode, apiVersion);
        this.options.logger.debug({ partition: tp, errorCode: code, verificationError: verified.errorCode }, 'transactional produce failed verification');
        return Promise.resolve(failed(code, verificationMessage(code, verified.errorCode)));
      }
      if (p.markersWritten(v.batch.producerId) !== verified.markersBefore) {
        return Promise.resolve(failed(ErrorCode.InvalidTxnState));
      }
    }
    return p.appendAsLeader(manager, v.records, v.batch, v.logAppendTimeMs).then(
      (r): PartitionProduceResult => {
        switch (r.kind) {
          case 'rejected':
            this.options.logger.debug({ partition: tp, errorCode: r.errorCode, reason: r.message }, 'produce rejected by producer state');
            return failed(r.errorCode);
          case 'duplicate':
            return {
              errorCode: ErrorCode.None,
              baseOffset: r.original.firstOffset,
              lastOffset: r.original.lastOffset,
              logAppendTimeMs: r.original.timestamp,
              logStartOffset: p.logStartOffset,
              recordErrors: [],
              errorMessage: null,
            };
          case 'appended':
            return {
              errorCode: ErrorCode.None,
              baseOffset: r.result.baseOffset,
              lastOffset: r.result.lastOffset,
              logAppendTimeMs: r.result.logAppendTimeMs,
              logStartOffset: r.result.logStartOffset,
              recordErrors: [],
              errorMessage: null,
            };
        }
      },
      (err: unknown) => this.failureOf(err, apiVersion, tp),
    );
  }

  private failureOf(err: unknown, apiVersion: number, tp: string): PartitionProduceResult {
    const code = storageFailureCode(err, this.options.logger, { partition: tp }, 'produce failed');
    // Produce v0-3 clients may not know KAFKA_STORAGE_ERROR; Kafka sends them NOT_LEADER_OR_FOLLOWER.
    return failed(code === ErrorCode.KafkaStorageError && apiVersion <= 3 ? ErrorCode.NotLeaderOrFollower : code);
  }

  /** The producer state of a partition, loading it if needed (DescribeProducers, tests). */
  async producerState(topic: string, partition: number): Promise<ProducerStateManager | undefined> {
    return this.options.partitions.get(topic, partition)?.producerState();
  }
}

function toResponse(index: number, r: PartitionProduceResult): ProduceResponsePartitionProduceResponse {
  return {
    index,
    errorCode: r.errorCode,
    baseOffset: r.baseOffset,
    logAppendTimeMs: r.logAppendTimeMs,
    logStartOffset: r.logStartOffset,
    recordErrors: r.recordErrors.map((e) => ({ ...e, _unknownTaggedFields: undefined })),
    errorMessage: r.errorMessage,
    currentLeader: defaultProduceResponseLeaderIdAndEpoch(),
    _unknownTaggedFields: undefined,
  };
}
