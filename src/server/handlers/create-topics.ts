/**
 * CreateTopics v0-7: creates topics with their partition count, replication factor (1 on a single
 * broker), optional manual replica assignment and config overrides.
 * - v1: validateOnly (check everything, create nothing) and per-topic error messages.
 * - v2-3: throttle time. v4: numPartitions and replicationFactor may be -1 for num.partitions and
 *   default.replication.factor (accepted in every version: the broker has nothing to check).
 * - v5 flexible: each result carries the topic's partition count, replication factor and every
 *   topic config (name, value, readOnly, source, isSensitive; sorted by name, as Kafka's
 *   controller returns them), also for validateOnly. v6: THROTTLING_QUOTA_EXCEEDED (no quotas here).
 *   v7: the new topic's id.
 * Errors per topic, Kafka's: INVALID_TOPIC_EXCEPTION (illegal name, or a '.'/'_' collision),
 * TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR (above the one broker),
 * INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG (unknown key, bad value, null value), INVALID_REQUEST
 * (assignments together with a partition count or replication factor; a name given twice: one
 * result per such name, after the others, as Kafka's controller answers; __cluster_metadata).
 * POLICY_VIOLATION for every topic when the request would create more than 10,000 partitions in all
 * (partition-limit.ts).
 * timeoutMs: creation is complete (recorded in the metadata log, partition logs created) before the
 * response is sent, so there is nothing to wait for and no timeout can expire.
 * Not implemented: create.topic.policy.class.name, quotas.
 */
import { describeTopicConfigs } from '../../config/topic-config.js';
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  defaultCreateTopicsResponse,
  defaultCreateTopicsResponseCreatableTopicConfigs,
  defaultCreateTopicsResponseCreatableTopicResult,
  type CreateTopicsResponseCreatableTopicResult,
} from '../../protocol/generated/messages/create-topics.js';
import { defineHandler } from '../handler.js';
import { MAX_NEW_PARTITIONS_PER_REQUEST, TOO_MANY_PARTITIONS } from './partition-limit.js';

/** Kafka's own metadata log: never a user topic. */
const CLUSTER_METADATA_TOPIC = '__cluster_metadata';

function failed(name: string, errorCode: number, errorMessage: string | null): CreateTopicsResponseCreatableTopicResult {
  return { ...defaultCreateTopicsResponseCreatableTopicResult(), name, errorCode, errorMessage };
}

export const createTopics = defineHandler({
  apiKey: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  async handle(request, ctx) {
    const { metadata } = ctx.services;
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);

    const results: CreateTopicsResponseCreatableTopicResult[] = [];
    const creatable = request.topics.filter((t) => counts.get(t.name) === 1 && t.name !== CLUSTER_METADATA_TOPIC);
    let newPartitions = 0;
    for (const t of creatable) {
      if (t.assignments.length > 0) newPartitions += t.assignments.length;
      else if (t.numPartitions === -1) newPartitions += ctx.services.brokerConfig.config.numPartitions;
      else if (t.numPartitions > 0) newPartitions += t.numPartitions;
    }
    const tooMany = newPartitions > MAX_NEW_PARTITIONS_PER_REQUEST;
    for (const t of creatable) {
      if (tooMany) {
        results.push(failed(t.name, TOO_MANY_PARTITIONS.errorCode, TOO_MANY_PARTITIONS.errorMessage));
        continue;
      }
      const assignments = t.assignments.map((a) => ({ partitionIndex: a.partitionIndex, brokerIds: a.brokerIds }));
      const result = await metadata.createTopic({
        name: t.name,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        assignments,
        configs: new Map(t.configs.map((c) => [c.name, c.value])),
        validateOnly: request.validateOnly,
      });
      if (result.errorCode !== ErrorCode.None || !result.topic) {
        results.push(failed(t.name, result.errorCode, result.errorMessage));
        continue;
      }
      const topic = result.topic;
      const described = describeTopicConfigs(topic.overrides, ctx.services.brokerConfig, { topic: topic.name });
      const configs = described.configs
        .map((c) => ({
          ...defaultCreateTopicsResponseCreatableTopicConfigs(),
          name: c.name,
          value: c.isSensitive ? null : c.value,
          readOnly: c.readOnly,
          configSource: c.configSource,
          isSensitive: c.isSensitive,
        }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      results.push({
        ...defaultCreateTopicsResponseCreatableTopicResult(),
        name: topic.name,
        topicId: topic.topicId,
        errorCode: ErrorCode.None,
        errorMessage: null,
        topicConfigErrorCode: ErrorCode.None,
        numPartitions: topic.partitions,
        // A single broker holds the one replica of each partition (larger factors are refused).
        replicationFactor: 1,
        configs,
      });
    }
    for (const [name, count] of counts) {
      if (count > 1) results.push(failed(name, ErrorCode.InvalidRequest, 'Duplicate topic name.'));
    }
    if (counts.has(CLUSTER_METADATA_TOPIC) && counts.get(CLUSTER_METADATA_TOPIC) === 1) {
      results.push(failed(CLUSTER_METADATA_TOPIC, ErrorCode.InvalidRequest, `Creation of internal topic ${CLUSTER_METADATA_TOPIC} is prohibited.`));
    }

    const response = defaultCreateTopicsResponse();
    response.topics = results;
    return response;
  },
});
