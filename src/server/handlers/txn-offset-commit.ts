/**
 * TxnOffsetCommit v0-5: a transactional producer commits a consumer group's offsets inside its
 * transaction. The offsets are written to the group coordinator's log and stay pending, invisible
 * to OffsetFetch, until the transaction's marker commits or aborts them.
 * - v0-1: transactionalId, groupId, producerId, producerEpoch and the offsets. v2: committedLeaderEpoch.
 * - v3: flexible; generationId, memberId and groupInstanceId (KIP-447): when any is set they are
 *   checked as OffsetCommit checks them (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID);
 *   a request without them commits to any group.
 * - v4: may answer TRANSACTION_ABORTABLE. v5: same format (transaction version 2).
 * Errors: per partition. Unknown topics and partitions get UNKNOWN_TOPIC_OR_PARTITION (checked here,
 * as KafkaApis does); an empty group id, INVALID_GROUP_ID; with transaction.partition.verification
 * the transaction coordinator's answer (for instance INVALID_TXN_STATE when AddOffsetsToTxn did not
 * add the group) applies to every partition; metadata longer than offset.metadata.max.bytes,
 * OFFSET_METADATA_TOO_LARGE.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultTxnOffsetCommitResponse } from '../../protocol/generated/messages/txn-offset-commit.js';
import { commitKnownPartitions } from '../commit-known-partitions.js';
import { defineHandler } from '../handler.js';

export const txnOffsetCommit = defineHandler({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const errors = await commitKnownPartitions(
      request.topics,
      (t) => ctx.services.metadata.topic(t.name) ?? ErrorCode.UnknownTopicOrPartition,
      (topic, p) => ({
        topic,
        partition: p.partitionIndex,
        offset: p.committedOffset,
        leaderEpoch: v >= 2 ? p.committedLeaderEpoch : -1,
        metadata: p.committedMetadata,
        commitTimestamp: -1,
      }),
      (partitions) =>
        ctx.services.groups.txnOffsetCommit({
          transactionalId: request.transactionalId,
          groupId: request.groupId,
          producerId: request.producerId,
          producerEpoch: request.producerEpoch,
          generationId: v >= 3 ? request.generationId : -1,
          memberId: v >= 3 ? request.memberId : '',
          groupInstanceId: v >= 3 ? request.groupInstanceId : null,
          apiVersion: v,
          partitions,
        }),
    );
    const response = defaultTxnOffsetCommitResponse();
    response.topics = request.topics.map((t, ti) => ({
      name: t.name,
      partitions: t.partitions.map((p, pi) => ({ partitionIndex: p.partitionIndex, errorCode: errors[ti][pi], _unknownTaggedFields: undefined })),
      _unknownTaggedFields: undefined,
    }));
    return response;
  },
});
