/**
 * OffsetCommit v0-10: a group stores the offsets its members have processed. Answered once the
 * commit is written to the coordinator log.
 * - v0: no generation or member: a simple commit (accepted for groups without members).
 * - v1: generationId and memberId, and a per-partition commit timestamp.
 * - v2-v4: retentionTimeMs (the offsets expire that long after the commit; -1: the broker's
 *   offsets.retention.minutes). v3: throttle time.
 * - v5: no retention time. v6: committedLeaderEpoch. v7: groupInstanceId (KIP-345). v8: flexible.
 * - v9: a commit with a generation to a group that does not exist answers GROUP_ID_NOT_FOUND
 *   (ILLEGAL_GENERATION before); for a KIP-848 consumer group generationIdOrMemberEpoch is the
 *   member epoch: another epoch answers STALE_MEMBER_EPOCH, an unknown member UNKNOWN_MEMBER_ID, and
 *   epoch -1 is accepted only while the group has no members. A consumer-protocol member committing
 *   with v8 or older gets UNSUPPORTED_VERSION, as in Kafka.
 * - v10: topics by id (UNKNOWN_TOPIC_ID for an unknown id).
 * Errors: per partition. Unknown topics and partitions get UNKNOWN_TOPIC_OR_PARTITION (checked here,
 * as KafkaApis does); metadata longer than offset.metadata.max.bytes, OFFSET_METADATA_TOO_LARGE;
 * group and member checks (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID,
 * REBALANCE_IN_PROGRESS, ...) apply to every partition that passed the topic checks.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultOffsetCommitResponse } from '../../protocol/generated/messages/offset-commit.js';
import { commitKnownPartitions } from '../commit-known-partitions.js';
import { defineHandler } from '../handler.js';

export const offsetCommit = defineHandler({
  apiKey: ApiKey.OffsetCommit,
  minVersion: 0,
  maxVersion: 10,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const metadata = ctx.services.metadata;
    const errors = await commitKnownPartitions(
      request.topics,
      (t) => (v >= 10 ? (metadata.topicById(t.topicId) ?? ErrorCode.UnknownTopicId) : (metadata.topic(t.name) ?? ErrorCode.UnknownTopicOrPartition)),
      (topic, p) => ({
        topic,
        partition: p.partitionIndex,
        offset: p.committedOffset,
        leaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
        metadata: p.committedMetadata,
        commitTimestamp: v === 1 ? Number(p.commitTimestamp) : -1,
      }),
      (partitions) =>
        ctx.services.groups.commitOffsets({
          groupId: request.groupId,
          generationId: v >= 1 ? request.generationIdOrMemberEpoch : -1,
          memberId: v >= 1 ? request.memberId : '',
          groupInstanceId: v >= 7 ? request.groupInstanceId : null,
          retentionTimeMs: v >= 2 && v <= 4 ? Number(request.retentionTimeMs) : -1,
          apiVersion: v,
          partitions,
        }),
    );
    const response = defaultOffsetCommitResponse();
    response.topics = request.topics.map((t, ti) => ({
      name: t.name,
      topicId: t.topicId,
      partitions: t.partitions.map((p, pi) => ({ partitionIndex: p.partitionIndex, errorCode: errors[ti][pi], _unknownTaggedFields: undefined })),
      _unknownTaggedFields: undefined,
    }));
    return response;
  },
});
