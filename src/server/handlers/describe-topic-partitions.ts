/**
 * DescribeTopicPartitions v0 (KIP-966; flexible): pages through the partitions of topics. The Java
 * admin client's describeTopics uses it (falling back to Metadata only when it is missing).
 * - topics empty: every topic; otherwise the named topics (deduplicated). Topics are described in
 *   name order, starting at the cursor's topic and partition; names before the cursor's topic are
 *   skipped.
 * - At most min(responsePartitionLimit, max.request.partition.size.limit = 2000), and at least 1,
 *   partitions per response. When a topic does not fit, nextCursor names it and the first
 *   partition left out; when the limit is reached exactly and more topics follow, nextCursor names
 *   the next topic at partition 0; on the last page nextCursor is null. This is Kafka's paging.
 * - A named topic that does not exist: UNKNOWN_TOPIC_OR_PARTITION, or INVALID_TOPIC_EXCEPTION for
 *   an illegal name (listing every topic shows no such entries). A cursor whose topic is not among
 *   the named topics, or with a negative partition: INVALID_REQUEST for the whole request.
 * - Each partition: this broker as leader, only replica and ISR, the one leader epoch, no offline
 *   replicas, empty eligible and last-known-eligible leader replica lists (no ELR on one broker).
 * - topicAuthorizedOperations: every topic operation (no authorizer).
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  defaultDescribeTopicPartitionsResponse,
  defaultDescribeTopicPartitionsResponseCursor,
  defaultDescribeTopicPartitionsResponsePartition,
  defaultDescribeTopicPartitionsResponseTopic,
  errorResponseDescribeTopicPartitionsResponse,
  type DescribeTopicPartitionsResponseTopic,
} from '../../protocol/generated/messages/describe-topic-partitions.js';
import { ZERO_UUID } from '../../protocol/reader.js';
import { isInternalTopic, topicNameProblem } from '../../protocol/topic-name.js';
import { TOPIC_AUTHORIZED_OPERATIONS } from '../authorized-operations.js';
import { defineHandler } from '../handler.js';

/** Kafka's max.request.partition.size.limit default: the most partitions one response may hold. */
export const MAX_REQUEST_PARTITION_SIZE_LIMIT = 2000;

function topicEntry(errorCode: number, name: string, topicId: string): DescribeTopicPartitionsResponseTopic {
  return {
    ...defaultDescribeTopicPartitionsResponseTopic(),
    errorCode,
    name,
    topicId,
    isInternal: isInternalTopic(name),
    topicAuthorizedOperations: TOPIC_AUTHORIZED_OPERATIONS,
  };
}

export const describeTopicPartitions = defineHandler({
  apiKey: ApiKey.DescribeTopicPartitions,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx) {
    const store = ctx.services.metadata;
    const cursor = request.cursor;
    const cursorTopic = cursor?.topicName ?? '';
    const fetchAll = request.topics.length === 0;
    const names = fetchAll ? store.topics().map((t) => t.name) : [...new Set(request.topics.map((t) => t.name))];
    const selected = names.filter((n) => n >= cursorTopic).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (cursor !== null && !fetchAll && !selected.includes(cursor.topicName)) {
      return errorResponseDescribeTopicPartitionsResponse(request, ErrorCode.InvalidRequest);
    }
    if (cursor !== null && cursor.partitionIndex < 0) return errorResponseDescribeTopicPartitionsResponse(request, ErrorCode.InvalidRequest);

    const response = defaultDescribeTopicPartitionsResponse();
    let remaining = Math.max(Math.min(MAX_REQUEST_PARTITION_SIZE_LIMIT, request.responsePartitionLimit), 1);
    for (const name of selected) {
      if (remaining === 0) {
        response.nextCursor = { ...defaultDescribeTopicPartitionsResponseCursor(), topicName: name, partitionIndex: 0 };
        break;
      }
      const topic = store.topic(name);
      if (!topic) {
        if (!fetchAll) {
          const code = topicNameProblem(name) === null ? ErrorCode.UnknownTopicOrPartition : ErrorCode.InvalidTopicException;
          response.topics.push(topicEntry(code, name, ZERO_UUID));
        }
        continue;
      }
      const start = cursor !== null && name === cursorTopic ? cursor.partitionIndex : 0;
      const end = Math.min(topic.partitions, start + remaining);
      const entry = topicEntry(ErrorCode.None, name, topic.topicId);
      entry.partitions = ctx.services.cluster.partitionLayouts(topic, start, end).map((p) => ({
        ...defaultDescribeTopicPartitionsResponsePartition(),
        errorCode: p.leaderId < 0 ? ErrorCode.LeaderNotAvailable : ErrorCode.None,
        ...p,
        eligibleLeaderReplicas: [],
        lastKnownElr: [],
      }));
      response.topics.push(entry);
      if (end < topic.partitions) {
        response.nextCursor = { ...defaultDescribeTopicPartitionsResponseCursor(), topicName: name, partitionIndex: end };
        break;
      }
      remaining -= entry.partitions.length;
    }
    return response;
  },
});
