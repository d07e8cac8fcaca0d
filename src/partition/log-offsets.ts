/**
 * Offset questions about partition logs, answered as Kafka's leader answers them on a broker
 * without tiered storage: ListOffsets (by special target or by timestamp), the old v0 offset list,
 * OffsetForLeaderEpoch, and DeleteRecords (which moves the log start offset).
 *
 * The leader epoch of an answer is Kafka's: the partition's current epoch for LATEST, and for an
 * offset found in the log the epoch of the batch holding it (from the log's leader epoch cache); on a
 * single broker every partition stays in epoch 0. Offsets a client may read end at the partition's high watermark (read_uncommitted) or its last
 * stable offset (read_committed, partition.ts): ListOffsets answers LATEST with that bound and never
 * answers a timestamp or max-timestamp lookup with an offset at or past it (Kafka's
 * lastFetchableOffset). DeleteRecords goes up to the high watermark.
 */
import { ErrorCode } from '../protocol/generated/errors.js';
import type { MetadataStore, Topic } from '../metadata/metadata-store.js';
import { isInternalTopic } from '../protocol/topic-name.js';
import type { Logger } from '../util/logger.js';
import type { Partition } from './partition.js';
import type { PartitionManager } from './partition-manager.js';
import { storageFailureCode } from './storage-failure.js';

/** ListOffsets targets (Kafka's ListOffsetsRequest constants). */
export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;
/** v7+ (KIP-734): the record with the largest timestamp. */
export const MAX_TIMESTAMP = -3n;
/** v8+ (KIP-405): the local log start offset; without tiered storage the log start offset. */
export const EARLIEST_LOCAL_TIMESTAMP = -4n;
/** v9+ (KIP-1005): the highest offset in remote storage; -1 without tiered storage. */
export const LATEST_TIERED_TIMESTAMP = -5n;
/** v11+ (KIP-1023): the earliest offset not yet uploaded; -1 without tiered storage. */
export const EARLIEST_PENDING_UPLOAD_TIMESTAMP = -6n;

/** DeleteRecords: this offset means "up to the high watermark". */
export const DELETE_TO_HIGH_WATERMARK = -1n;


export interface ListOffsetResult {
  errorCode: number;
  offset: bigint;
  timestamp: bigint;
  leaderEpoch: number;
}

export interface EpochEndOffsetResult {
  errorCode: number;
  leaderEpoch: number;
  endOffset: bigint;
}

export interface DeleteRecordsResult {
  errorCode: number;
  lowWatermark: bigint;
}

const listError = (errorCode: number): ListOffsetResult => ({ errorCode, offset: -1n, timestamp: -1n, leaderEpoch: -1 });
const found = (offset: bigint, timestamp: bigint, leaderEpoch: number): ListOffsetResult => ({
  errorCode: ErrorCode.None,
  offset,
  timestamp,
  leaderEpoch,
});

/**
 * The leader epoch of the batch holding `offset` (Kafka's epochForOffset on the leader epoch cache);
 * at the log end (an empty log) the current epoch, which a leader's cache starts there.
 */
function epochAt(part: Partition, offset: bigint): number {
  return offset >= part.logEndOffset ? part.leaderEpoch : part.log.leaderEpochs.epochForOffset(offset);
}

export interface LogOffsetServiceOptions {
  metadata: MetadataStore;
  partitions: PartitionManager;
  logger: Logger;
}

/** ListOffsets isolation levels. */
export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;
/** Not a wire value: a replica's ListOffsets (replica id other than -1), bounded by the log end offset. */
export const FROM_REPLICA = -1;

export class LogOffsetService {
  private readonly metadata: MetadataStore;
  private readonly partitions: PartitionManager;
  private readonly logger: Logger;

  constructor(options: LogOffsetServiceOptions) {
    this.metadata = options.metadata;
    this.partitions = options.partitions;
    this.logger = options.logger;
  }

  /**
   * A partition this broker leads in `currentLeaderEpoch` (-1: any epoch), or the error to answer:
   * UNKNOWN_TOPIC_OR_PARTITION, or Partition.checkLeaderEpoch's (NOT_LEADER_OR_FOLLOWER on a
   * follower: every question here is the leader's to answer, as in Kafka).
   */
  private partitionOf(topicName: string, partition: number, currentLeaderEpoch: number): { topic: Topic; part: Partition } | number {
    const topic = this.metadata.topic(topicName);
    if (!topic || partition < 0 || partition >= topic.partitions) return ErrorCode.UnknownTopicOrPartition;
    const part = this.partitions.get(topic.name, partition);
    if (!part) return ErrorCode.UnknownTopicOrPartition;
    const epochError = part.checkLeaderEpoch(currentLeaderEpoch, true);
    if (epochError !== ErrorCode.None) return epochError;
    return { topic, part };
  }

  /**
   * ListOffsets v1+ for one partition. `timestamp` is a target (-1 latest, -2 earliest, -3 max
   * timestamp, -4 earliest local, -5 latest tiered, -6 earliest pending upload) or a time in ms: the
   * first offset whose record timestamp is at or after it, or -1 when every record is older.
   * `isolationLevel` caps offsets at the last stable offset (read_committed) or the high watermark,
   * or, for a replica (FROM_REPLICA, Kafka's isolation None), at the log end offset.
   */
  async listOffset(topicName: string, partition: number, timestamp: bigint, currentLeaderEpoch = -1, isolationLevel = READ_UNCOMMITTED): Promise<ListOffsetResult> {
    const target = this.partitionOf(topicName, partition, currentLeaderEpoch);
    if (typeof target === 'number') return listError(target);
    const { part } = target;
    const log = part.log;
    try {
      let lastFetchable = isolationLevel === FROM_REPLICA ? part.logEndOffset : part.highWatermark;
      if (isolationLevel === READ_COMMITTED) {
        // The last stable offset needs the producer state.
        const producers = part.producerState();
        if (producers instanceof Promise) await producers;
        lastFetchable = part.lastStableOffset;
      }
      switch (timestamp) {
        case LATEST_TIMESTAMP:
          return found(lastFetchable, -1n, part.leaderEpoch);
        case EARLIEST_TIMESTAMP:
        case EARLIEST_LOCAL_TIMESTAMP:
          return found(log.logStartOffset, -1n, epochAt(part, log.logStartOffset));
        case LATEST_TIERED_TIMESTAMP:
        case EARLIEST_PENDING_UPLOAD_TIMESTAMP:
          // No tiered storage: nothing is, or will be, in remote storage.
          return found(-1n, -1n, -1);
        case MAX_TIMESTAMP: {
          const max = await log.maxTimestamp();
          if (max === null || max.offset < log.logStartOffset || max.offset >= lastFetchable) return found(-1n, -1n, -1);
          return found(max.offset, max.timestamp, epochAt(part, max.offset));
        }
        default: {
          const hit = await log.offsetForTimestamp(timestamp);
          if (hit === null || hit.offset >= lastFetchable) return found(-1n, -1n, -1);
          return found(hit.offset, hit.timestamp, epochAt(part, hit.offset));
        }
      }
    } catch (err) {
      return listError(storageFailureCode(err, this.logger, { topic: topicName, partition }, 'offset lookup failed'));
    }
  }

  /**
   * ListOffsets v0: up to `maxNumOffsets` offsets in descending order. Latest gives the log end
   * offset (and the log start offset after it when more are asked for), earliest the log start
   * offset. Kafka v0 answers a timestamp with segment base offsets by file time; here it is the first
   * offset at or after the timestamp (the log end offset when every record is older), which is
   * where a consumer starting from that time begins either way. A follower answers
   * NOT_LEADER_OR_FOLLOWER.
   */
  async legacyOffsets(topicName: string, partition: number, timestamp: bigint, maxNumOffsets: number): Promise<{ errorCode: number; offsets: bigint[] }> {
    const target = this.partitionOf(topicName, partition, -1);
    if (typeof target === 'number') return { errorCode: target, offsets: [] };
    const log = target.part.log;
    let offsets: bigint[];
    try {
      const start = log.logStartOffset;
      const end = target.part.highWatermark;
      if (timestamp === LATEST_TIMESTAMP) offsets = end > start ? [end, start] : [end];
      else if (timestamp === EARLIEST_TIMESTAMP) offsets = [start];
      else {
        const hit = await log.offsetForTimestamp(timestamp);
        offsets = [hit === null ? end : hit.offset];
      }
    } catch (err) {
      return { errorCode: storageFailureCode(err, this.logger, { topic: topicName, partition }, 'offset lookup failed'), offsets: [] };
    }
    return { errorCode: ErrorCode.None, offsets: offsets.slice(0, Math.max(0, maxNumOffsets)) };
  }

  /**
   * OffsetForLeaderEpoch for one partition (Kafka's Partition.lastOffsetForLeaderEpoch): the largest
   * epoch at or below `leaderEpoch` in the log's leader epoch cache and where it ends (the next
   * epoch's start, or the log end offset for the latest), or (-1, -1) when the cache has none
   * (-1 itself, or an epoch after the latest). Asked of the leader only, whoever asks (followers,
   * consumers, and Kafka's debugging replica id alike): a follower replica answers
   * NOT_LEADER_OR_FOLLOWER, and currentLeaderEpoch is fenced as in Fetch.
   */
  endOffsetForEpoch(topicName: string, partition: number, leaderEpoch: number, currentLeaderEpoch = -1): EpochEndOffsetResult {
    const target = this.partitionOf(topicName, partition, currentLeaderEpoch);
    if (typeof target === 'number') return { errorCode: target, leaderEpoch: -1, endOffset: -1n };
    const { part } = target;
    const end = part.log.leaderEpochs.endOffsetFor(leaderEpoch, part.logEndOffset);
    if (end.endOffset < 0n) return { errorCode: ErrorCode.None, leaderEpoch: -1, endOffset: -1n };
    return { errorCode: ErrorCode.None, leaderEpoch: end.leaderEpoch, endOffset: end.endOffset };
  }

  /**
   * DeleteRecords for one partition: moves the log start offset to `offset` (-1: the high
   * watermark) and returns the new low watermark. Beyond the high watermark, or negative, is
   * OFFSET_OUT_OF_RANGE; a topic whose cleanup.policy lacks delete is POLICY_VIOLATION; internal
   * topics are INVALID_TOPIC_EXCEPTION unless `allowInternal` (Kafka's own admin client id); a
   * follower answers NOT_LEADER_OR_FOLLOWER (it takes its log start from the leader).
   */
  async deleteRecords(topicName: string, partition: number, offset: bigint, allowInternal = false): Promise<DeleteRecordsResult> {
    const target = this.partitionOf(topicName, partition, -1);
    if (typeof target === 'number') return { errorCode: target, lowWatermark: -1n };
    const { topic, part } = target;
    if (isInternalTopic(topic.name) && !allowInternal) return { errorCode: ErrorCode.InvalidTopicException, lowWatermark: -1n };
    if (!topic.config.delete) return { errorCode: ErrorCode.PolicyViolation, lowWatermark: -1n };
    const highWatermark = part.highWatermark;
    const to = offset === DELETE_TO_HIGH_WATERMARK ? highWatermark : offset;
    if (to < 0n || to > highWatermark) return { errorCode: ErrorCode.OffsetOutOfRange, lowWatermark: -1n };
    let lowWatermark: bigint;
    try {
      // The partition tells fetch sessions and waiting fetches that the log start offset moved.
      lowWatermark = await part.deleteRecordsBefore(to);
    } catch (err) {
      return { errorCode: storageFailureCode(err, this.logger, { topic: topicName, partition }, 'DeleteRecords failed'), lowWatermark: -1n };
    }
    return { errorCode: ErrorCode.None, lowWatermark };
  }
}
