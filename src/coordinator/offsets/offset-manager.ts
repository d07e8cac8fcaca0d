/**
 * Committed offsets: OffsetCommit, OffsetFetch and OffsetDelete as Kafka's group coordinator
 * answers them (OffsetMetadataManager in Kafka 4), with the group checks of the classic protocol.
 *
 * A commit is validated against the group (generation, member, static instance; simple commits
 * with generation -1 and no member id are accepted for groups without members and create the
 * group), then written as one batch of OffsetCommit records and applied once written; the response
 * waits for the write. Topic existence is checked by the handler (as KafkaApis does) before this.
 *
 * KIP-848 consumer groups check the member epoch instead (OffsetCommit v9+ and OffsetFetch v9+):
 * a commit or fetch from a member with another epoch gets STALE_MEMBER_EPOCH, from an unknown member
 * UNKNOWN_MEMBER_ID; a commit with epoch -1 is accepted only while the group has no members.
 */
import { ErrorCode } from '../../protocol/generated/errors.js';
import type { Clock } from '../../util/clock.js';
import type { CoordinatorLog } from '../coordinator-log.js';
import type { GroupConfig, GroupManager } from '../group/group-manager.js';
import type { ConsumerGroupManager } from '../consumer/consumer-group-manager.js';
import { RecordBatchBuilder } from '../records.js';
import type { OffsetStore, TopicPartitionRef } from './offset-store.js';
import type { TxnOffsetStore } from './txn-offset-store.js';

export interface CommitPartition {
  topic: string;
  partition: number;
  offset: bigint;
  /** -1 when unknown. */
  leaderEpoch: number;
  metadata: string | null;
  /** OffsetCommit v1's per-partition commit time, or -1 (now). */
  commitTimestamp: number;
}

export interface CommitOffsetsParams {
  groupId: string;
  /** -1 for simple commits (and v0, which has no generation); the member epoch for consumer groups. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v2-v4's retention time in ms, or -1 for the broker's offsets.retention.minutes. */
  retentionTimeMs: number;
  apiVersion: number;
  partitions: readonly CommitPartition[];
}

export interface FetchedOffset {
  topic: string;
  partition: number;
  /** -1 when nothing is committed. */
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export class OffsetManager {
  constructor(
    private readonly groups: GroupManager,
    private readonly offsets: OffsetStore,
    private readonly log: CoordinatorLog,
    private readonly clock: Clock,
    private readonly config: () => GroupConfig,
    private readonly consumerGroups?: ConsumerGroupManager,
    private readonly txnOffsets?: TxnOffsetStore,
  ) {}

  /** One error code per partition, in request order. */
  async commitOffsets(p: CommitOffsetsParams): Promise<number[]> {
    const all = (code: number): number[] => p.partitions.map(() => code);
    const status = this.groups.validateGroupStatus(p.groupId, true);
    if (status !== null) return all(status);
    if (this.consumerGroups?.groups.has(p.groupId)) {
      const invalid = this.consumerGroups.validateOffsetCommit(p.groupId, p.memberId, p.generationId, p.apiVersion);
      if (invalid !== null) return all(invalid);
    } else {
      let group = this.groups.groups.get(p.groupId);
      if (!group) {
        if (p.generationId >= 0) {
          // A member of a group that no longer exists (v9+ says so; before, the generation is wrong).
          return all(p.apiVersion >= 9 ? ErrorCode.GroupIdNotFound : ErrorCode.IllegalGeneration);
        }
        // A consumer that does not use group management (or an admin client): a "simple" group.
        group = this.groups.createGroup(p.groupId);
      }
      const invalid = this.groups.validateOffsetCommit(group, p, false);
      if (invalid !== null) return all(invalid);
      // Commits keep a member's session alive while the group is stable or rebalancing.
      if ((group.is('Stable') || group.is('PreparingRebalance')) && group.has(p.memberId)) {
        this.groups.rescheduleHeartbeat(group, group.get(p.memberId));
      }
    }

    const now = this.clock.now();
    const expireTimestamp = p.retentionTimeMs === -1 ? -1 : now + p.retentionTimeMs;
    const maxMetadata = this.config().offsetMetadataMaxBytes;
    const parts = p.partitions;
    const errors: number[] = new Array<number>(parts.length);
    const records = new RecordBatchBuilder(128 + 64 * parts.length);
    // The partitions being written: the request's own array unless some are refused.
    let committed: CommitPartition[] | null = null;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part.metadata !== null && part.metadata.length > maxMetadata) {
        errors[i] = ErrorCode.OffsetMetadataTooLarge;
        committed ??= parts.slice(0, i);
        continue;
      }
      errors[i] = ErrorCode.None;
      committed?.push(part);
      records.offset(p.groupId, part.topic, part.partition, {
        offset: part.offset,
        leaderEpoch: part.leaderEpoch,
        metadata: part.metadata ?? '',
        commitTimestamp: part.commitTimestamp === -1 ? now : part.commitTimestamp,
        expireTimestamp,
      });
    }
    if (records.count === 0) return errors;
    const inFlight: readonly TopicPartitionRef[] = committed ?? parts;
    this.offsets.beginPending(p.groupId, inFlight);
    try {
      await this.log.write(records);
    } catch (err) {
      const code = commitErrorCode(err);
      for (let i = 0; i < errors.length; i++) if (errors[i] === ErrorCode.None) errors[i] = code;
    } finally {
      this.offsets.endPending(p.groupId, inFlight);
    }
    return errors;
  }

  /**
   * Committed offsets of a group: of the given partitions, or all (null). Partitions without a
   * commit (or a group that does not exist) answer offset -1 with empty metadata. With
   * `requireStable`, a partition with transactional offsets pending answers UNSTABLE_OFFSET_COMMIT
   * (offset -1) until its transaction ends; without it, the last committed offset.
   */
  fetchOffsets(
    groupId: string,
    partitions: readonly TopicPartitionRef[] | null,
    member?: { memberId: string | null; memberEpoch: number },
    requireStable = false,
  ): { errorCode: number; offsets: FetchedOffset[] } {
    const status = this.groups.validateGroupStatus(groupId, true);
    if (status !== null) return { errorCode: status, offsets: [] };
    if (member && this.consumerGroups?.groups.has(groupId)) {
      const invalid = this.consumerGroups.validateOffsetFetch(groupId, member.memberId, member.memberEpoch);
      if (invalid !== null) return { errorCode: invalid, offsets: [] };
    }
    const pending = requireStable && this.txnOffsets !== undefined && this.txnOffsets.hasPending(groupId) ? this.txnOffsets : null;
    const fetched = (topic: string, partition: number): FetchedOffset => {
      if (pending !== null && pending.hasPending(groupId, topic, partition)) {
        return { topic, partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.UnstableOffsetCommit };
      }
      const o = this.offsets.get(groupId, topic, partition);
      return o
        ? { topic, partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.None }
        : { topic, partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.None };
    };
    if (partitions === null) {
      const offsets: FetchedOffset[] = [];
      for (const [topic, partition] of this.offsets.offsetsOf(groupId)) offsets.push(fetched(topic, partition));
      return { errorCode: ErrorCode.None, offsets };
    }
    return { errorCode: ErrorCode.None, offsets: partitions.map((tp) => fetched(tp.topic, tp.partition)) };
  }
}

/** Kafka's mapping of offset-log append failures to OffsetCommit errors (never NOT_COORDINATOR here). */
export function commitErrorCode(err: unknown): number {
  if (err instanceof RangeError) return ErrorCode.InvalidCommitOffsetSize;
  return ErrorCode.CoordinatorNotAvailable;
}
