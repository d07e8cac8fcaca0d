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
import type { CommitPartition } from '../../coordinator/offsets/offset-manager.js';
import { defineHandler } from '../handler.js';

export const txnOffsetCommit = defineHandler({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const metadata = ctx.services.metadata;
    // Per request partition (flattened in request order): its error, or -1 while it waits for the
    // coordinator's answer, which comes in the order of `toCommit`.
    const errors: number[] = [];
    const toCommit: CommitPartition[] = [];
    for (const t of request.topics) {
      const topic = metadata.topic(t.name);
      for (const p of t.partitions) {
        if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions) {
          errors.push(ErrorCode.UnknownTopicOrPartition);
        } else {
          errors.push(-1);
          toCommit.push({
            topic: topic.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: v >= 2 ? p.committedLeaderEpoch : -1,
            metadata: p.committedMetadata,
            commitTimestamp: -1,
          });
        }
      }
    }
    if (toCommit.length > 0) {
      const results = await ctx.services.groups.txnOffsetCommit({
        transactionalId: request.transactionalId,
        groupId: request.groupId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        generationId: v >= 3 ? request.generationId : -1,
        memberId: v >= 3 ? request.memberId : '',
        groupInstanceId: v >= 3 ? request.groupInstanceId : null,
        apiVersion: v,
        partitions: toCommit,
      });
      for (let i = 0, r = 0; i < errors.length; i++) if (errors[i] === -1) errors[i] = results[r++];
    }
    const response = defaultTxnOffsetCommitResponse();
    let i = 0;
    response.topics = request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors[i++], _unknownTaggedFields: undefined })),
      _unknownTaggedFields: undefined,
    }));
    return response;
  },
});
