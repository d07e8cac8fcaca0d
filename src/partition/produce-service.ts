/**
 * The produce path (Kafka's KafkaApis.handleProduceRequest, ReplicaManager.appendRecords and
 * UnifiedLog.appendAsLeader on one broker): per partition, look the topic up, check acks and
 * min.insync.replicas, validate the records (log-validator.ts), check them against the producer
 * state (producer-state.ts), append them with the partition's log, update the producer state and
 * wake waiting fetches (services.appends).
 *
 * Request-level rules, Kafka's:
 * - Transactional batches with a null transactionalId: TRANSACTIONAL_ID_AUTHORIZATION_FAILED on
 *   every partition (Kafka's check before anything else). With a transactionalId they reach the
 *   producer state, which answers INVALID_TXN_STATE until transactions exist (see producer-state.ts).
 * - Unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION; Produce v13 names topics by id, and an
 *   unknown id is UNKNOWN_TOPIC_ID. Produce never creates topics (only Metadata does, in Kafka).
 * - acks other than -1, 0, 1: INVALID_REQUIRED_ACKS on every known partition.
 * - Internal topics (__consumer_offsets, __transaction_state, __share_group_state) take writes only
 *   from the client id `__admin_client`: otherwise INVALID_TOPIC_EXCEPTION.
 * - acks=-1 with min.insync.replicas above 1: NOT_ENOUGH_REPLICAS (one broker is an ISR of one).
 *   acks=1 and acks=-1 otherwise behave the same here.
 * - A failed write (StorageError) is KAFKA_STORAGE_ERROR, or NOT_LEADER_OR_FOLLOWER for Produce
 *   v0-3, whose clients may not know that code (Kafka's ProduceResponse does the same).
 * - Failed partitions answer baseOffset -1, logAppendTimeMs -1, logStartOffset -1 (Kafka's
 *   PartitionResponse(error)); errorMessage is set only with record errors, as in Kafka.
 * - A duplicate of one of the producer's last 5 batches answers NONE with the original base offset,
 *   and (a quirk kept from Kafka) logAppendTimeMs set to the original batch's max timestamp.
 *
 * Ordering: a partition's appends are issued in the order requests were dispatched, which is what
 * pipelined idempotent producers rely on. The usual case (nothing to decode, producer state loaded)
 * issues the append synchronously in the handler's first tick; when validation must decode or the
 * partition's producer state is still loading, later requests for the partition queue behind it.
 *
 * Producer state is loaded per partition on the first produce to it, kept until the partition is
 * deleted, expired every producer.id.expiration.check.interval.ms, and snapshotted on close().
 */
import path from 'node:path';
import type { ResolvedBrokerConfig } from '../config/broker-config.js';
import type { MetadataStore, Topic } from '../metadata/metadata-store.js';
import { ADMIN_CLIENT_ID, isInternalTopic } from '../protocol/topic-name.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import type {
  ProduceRequest,
  ProduceResponsePartitionProduceResponse,
  ProduceResponseTopicProduceResponse,
} from '../protocol/generated/messages/produce.js';
import { defaultProduceResponseLeaderIdAndEpoch } from '../protocol/generated/messages/produce.js';
import type { LogManager } from '../storage/log-manager.js';
import { hasTransactionalBatch, validateRecords, type LogValidatorConfig, type ValidationResult } from '../storage/log-validator.js';
import { ProducerStateManager } from '../storage/producer-state.js';
import { partitionDirName } from '../storage/segment-files.js';
import { StorageError, type AppendResult, type PartitionLog } from '../storage/types.js';
import { forEachBounded } from '../util/bounded.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { AppendEvents } from './append-events.js';
import { LEADER_EPOCH } from './leader-epoch.js';
import { storageFailureCode } from './storage-failure.js';

/** Producer state snapshots written at once on close (each holds a file and its directory open). */
const SNAPSHOT_CONCURRENCY = 16;

export interface PartitionProduceResult {
  errorCode: number;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  errorMessage: string | null;
}

export interface ProduceServiceOptions {
  metadata: MetadataStore;
  logs: LogManager;
  appends: AppendEvents;
  clock: Clock;
  logger: Logger;
  /** The broker's configuration, read on use (it changes with dynamic AlterConfigs). */
  brokerConfig: () => ResolvedBrokerConfig;
  /** Producer state snapshot interval in appended bytes (see producer-state.ts). */
  snapshotIntervalBytes?: number;
}

export interface ProduceContext {
  apiVersion: number;
  clientId: string | null;
}

function failed(errorCode: number, errorMessage: string | null = null, recordErrors: PartitionProduceResult['recordErrors'] = []): PartitionProduceResult {
  return { errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors, errorMessage };
}

/**
 * Issues a partition's appends in call order. A task runs synchronously when nothing is queued and
 * its input is ready; otherwise it waits for its input and for every earlier task to have issued.
 */
class IssueQueue {
  private tail: Promise<void> | null = null;
  private queued = 0;

  run<T, R>(ready: T | Promise<T>, issue: (value: T) => Promise<R>, onError: (err: unknown) => R): Promise<R> {
    if (this.queued === 0 && !(ready instanceof Promise)) return issue(ready);
    this.queued++;
    const previous = this.tail;
    let issued!: () => void;
    this.tail = new Promise<void>((resolve) => {
      issued = resolve;
    });
    return (async (): Promise<R> => {
      let value: T | undefined;
      let error: unknown;
      let ok = true;
      try {
        value = await ready;
      } catch (err) {
        ok = false;
        error = err;
      }
      if (previous) await previous;
      this.queued--;
      try {
        // Not awaited: `issued` marks the hand-off to the log, which the next request waits for, not its completion.
        // eslint-disable-next-line @typescript-eslint/return-await
        return ok ? issue(value as T) : Promise.resolve(onError(error));
      } finally {
        issued();
      }
    })();
  }
}

interface PartitionEntry {
  readonly log: PartitionLog;
  manager: ProducerStateManager | null;
  loading: Promise<ProducerStateManager> | null;
  readonly queue: IssueQueue;
}

export class ProduceService {
  private readonly partitions = new Map<PartitionLog, PartitionEntry>();
  private expiryTimer: TimerHandle | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ProduceServiceOptions) {
    options.metadata.onTopicDeleted((topic) => { this.forgetTopic(topic.name); });
  }

  /** Handles a whole Produce request; resolves once every partition has its answer. */
  async produce(request: ProduceRequest, ctx: ProduceContext): Promise<ProduceResponseTopicProduceResponse[]> {
    const { apiVersion } = ctx;
    if (request.transactionalId === null && request.topicData.some((t) => t.partitionData.some((p) => hasTransactionalBatch(p.records)))) {
      return this.everyPartition(request, failed(ErrorCode.TransactionalIdAuthorizationFailed));
    }
    const validAcks = request.acks === -1 || request.acks === 0 || request.acks === 1;
    const topics = request.topicData.map((t) => {
      const topic = apiVersion >= 13 ? this.options.metadata.topicById(t.topicId) : this.options.metadata.topic(t.name);
      const partitions = t.partitionData.map((p): Promise<PartitionProduceResult> | PartitionProduceResult => {
        if (!topic) return failed(apiVersion >= 13 ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition);
        if (p.index < 0 || p.index >= topic.partitions) return failed(ErrorCode.UnknownTopicOrPartition);
        if (!validAcks) return failed(ErrorCode.InvalidRequiredAcks);
        return this.producePartition(topic, p.index, p.records, request.acks, ctx);
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
    const { logs, logger, clock } = this.options;
    const { apiVersion } = ctx;
    const tp = `${topic.name}-${partition}`;
    if (isInternalTopic(topic.name) && ctx.clientId !== ADMIN_CLIENT_ID) {
      return failed(ErrorCode.InvalidTopicException);
    }
    const log = logs.get(topic.name, partition);
    if (!log) return failed(ErrorCode.UnknownTopicOrPartition);
    const config = topic.config;
    if (acks === -1 && config.minInsyncReplicas > 1) {
      logger.debug({ partition: tp, minIsr: config.minInsyncReplicas }, 'NOT_ENOUGH_REPLICAS: one broker cannot satisfy min.insync.replicas');
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
    const entry = this.entryFor(log);
    const manager = entry.manager ?? this.load(entry);
    const ready: [ValidationResult, ProducerStateManager] | Promise<[ValidationResult, ProducerStateManager]> =
      validation instanceof Promise || manager instanceof Promise ? Promise.all([validation, manager]) : [validation, manager];
    return entry.queue.run(
      ready,
      ([v, m]) => this.issue(log, m, v, apiVersion),
      (err) => this.failureOf(err, apiVersion, tp),
    );
  }

  /** Checks the validated batch against the producer state and hands it to the log (synchronously). */
  private issue(log: PartitionLog, manager: ProducerStateManager, v: ValidationResult, apiVersion: number): Promise<PartitionProduceResult> {
    const tp = `${log.topic}-${log.partition}`;
    if (!v.ok) {
      this.options.logger.debug({ partition: tp, errorCode: v.errorCode, reason: v.message }, 'produce rejected');
      return Promise.resolve(failed(v.errorCode, v.errorMessage, v.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message }))));
    }
    if (v.records === null || v.batch === null) {
      // Produce v0-2 with an empty message set: nothing appended, as in Kafka.
      return Promise.resolve({ errorCode: ErrorCode.None, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: log.logStartOffset, recordErrors: [], errorMessage: null });
    }
    const batch = v.batch;
    const check = manager.tryAppend(
      batch.producerId >= 0n
        ? {
            producerId: batch.producerId,
            producerEpoch: batch.producerEpoch,
            baseSequence: batch.baseSequence,
            lastSequence: batch.lastSequence,
            isTransactional: batch.isTransactional,
          }
        : null,
      v.records.length,
    );
    if (check.kind === 'error') {
      this.options.logger.debug({ partition: tp, errorCode: check.errorCode, reason: check.message }, 'produce rejected by producer state');
      return Promise.resolve(failed(check.errorCode));
    }
    if (check.kind === 'duplicate') {
      return check.original.then(
        (d) => ({ errorCode: ErrorCode.None, baseOffset: d.firstOffset, logAppendTimeMs: d.timestamp, logStartOffset: log.logStartOffset, recordErrors: [], errorMessage: null }),
        (err: unknown) => this.failureOf(err, apiVersion, tp),
      );
    }
    const slot = check.slot;
    const records = v.records;
    let appending: Promise<AppendResult>;
    try {
      appending = log.append(v.records, v.logAppendTimeMs === undefined ? { leaderEpoch: LEADER_EPOCH } : { leaderEpoch: LEADER_EPOCH, logAppendTimeMs: v.logAppendTimeMs });
    } catch (err) {
      manager.fail(slot, err);
      return Promise.resolve(this.failureOf(err, apiVersion, tp));
    }
    return appending.then(
      (r) => {
        manager.complete(slot, { baseOffset: r.baseOffset, lastOffset: r.lastOffset, maxTimestamp: r.logAppendTimeMs >= 0n ? r.logAppendTimeMs : batch.maxTimestamp });
        this.options.appends.notify(log.topic, log.partition, records.length);
        return { errorCode: ErrorCode.None, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTimeMs, logStartOffset: r.logStartOffset, recordErrors: [], errorMessage: null };
      },
      (err: unknown) => {
        manager.fail(slot, err);
        return this.failureOf(err, apiVersion, tp);
      },
    );
  }

  private failureOf(err: unknown, apiVersion: number, tp: string): PartitionProduceResult {
    const code = storageFailureCode(err, this.options.logger, { partition: tp }, 'produce failed');
    // Produce v0-3 clients may not know KAFKA_STORAGE_ERROR; Kafka sends them NOT_LEADER_OR_FOLLOWER.
    return failed(code === ErrorCode.KafkaStorageError && apiVersion <= 3 ? ErrorCode.NotLeaderOrFollower : code);
  }

  // -------------------------------------------------------------------------------------------
  // Producer state per partition

  private entryFor(log: PartitionLog): PartitionEntry {
    let entry = this.partitions.get(log);
    if (!entry) {
      entry = { log, manager: null, loading: null, queue: new IssueQueue() };
      this.partitions.set(log, entry);
    }
    return entry;
  }

  private load(entry: PartitionEntry): Promise<ProducerStateManager> {
    if (entry.loading) return entry.loading;
    const { logs, clock, logger } = this.options;
    const { topic, partition } = entry.log;
    const dataDir = logs.storage === 'disk' ? logs.dirOf(topic, partition) : undefined;
    const loading = ProducerStateManager.load(entry.log, {
      producerIdExpirationMs: this.options.brokerConfig().config.producerIdExpirationMs,
      clock: () => clock.now(),
      dir: dataDir === undefined ? null : path.join(dataDir, partitionDirName(topic, partition)),
      logger,
      ...(this.options.snapshotIntervalBytes === undefined ? {} : { snapshotIntervalBytes: this.options.snapshotIntervalBytes }),
    }).then(
      (m) => {
        entry.manager = m;
        // Expiry runs once there is producer state to expire.
        if (this.expiryTimer === undefined) this.scheduleExpiry();
        return m;
      },
      (err: unknown) => {
        entry.loading = null;
        throw err instanceof StorageError ? err : new StorageError(`loading the producer state of ${topic}-${partition}`, err);
      },
    );
    entry.loading = loading;
    return loading;
  }

  /** The producer state of a partition, loading it if needed (DescribeProducers, tests). */
  async producerState(topic: string, partition: number): Promise<ProducerStateManager | undefined> {
    const log = this.options.logs.get(topic, partition);
    if (!log) return undefined;
    const entry = this.entryFor(log);
    return entry.manager ?? this.load(entry);
  }

  private forgetTopic(name: string): void {
    for (const [log, entry] of this.partitions) {
      if (log.topic !== name) continue;
      entry.manager?.abandon();
      this.partitions.delete(log);
    }
  }

  private scheduleExpiry(): void {
    if (this.closing) return;
    const interval = this.options.brokerConfig().config.producerIdExpirationCheckIntervalMs;
    this.expiryTimer = this.options.clock.setTimeout(
      () => {
        this.expireProducers();
        this.scheduleExpiry();
      },
      interval,
      { unref: true },
    );
  }

  /** Removes idle producer ids from every loaded partition (producer.id.expiration.ms). */
  expireProducers(): void {
    const { logs, clock, logger } = this.options;
    const now = clock.now();
    const expirationMs = this.options.brokerConfig().config.producerIdExpirationMs;
    for (const [log, entry] of this.partitions) {
      if (logs.get(log.topic, log.partition) !== log) {
        entry.manager?.abandon();
        this.partitions.delete(log);
        continue;
      }
      const removed = entry.manager?.removeExpiredProducers(now, expirationMs) ?? 0;
      if (removed > 0) logger.debug({ topic: log.topic, partition: log.partition, removed }, 'expired idle producer ids');
    }
  }

  /** Stops expiry and writes every loaded partition's producer state snapshot (before the logs close). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.expiryTimer !== undefined) this.options.clock.clearTimeout(this.expiryTimer);
      const { logs, logger } = this.options;
      // Bounded: with thousands of partitions, writing every snapshot at once runs out of file descriptors.
      await forEachBounded([...this.partitions.values()], SNAPSHOT_CONCURRENCY, async (entry) => {
        const manager = entry.manager ?? (await entry.loading?.catch(() => null)) ?? null;
        if (!manager || logs.get(entry.log.topic, entry.log.partition) !== entry.log) return;
        try {
          await manager.close();
        } catch (err) {
          logger.warn({ err, topic: entry.log.topic, partition: entry.log.partition }, 'writing the producer state snapshot on close failed');
        }
      });
    })();
    return this.closing;
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
