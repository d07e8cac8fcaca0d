/**
 * DeleteTopics v0-6: deletes topics, their partition logs and their config overrides.
 * - v0-5 name topics by name (topicNames); v6 names each topic by name or by topic id.
 * - v1-2: throttle time. v3: TOPIC_DELETION_DISABLED when delete.topic.enable is false (v0-2:
 *   INVALID_REQUEST), for every topic, as Kafka answers it. v4 flexible. v5: error messages;
 *   THROTTLING_QUOTA_EXCEEDED (no quotas here). v6: ids; results carry the topic id.
 * Errors per topic, Kafka's controller's: UNKNOWN_TOPIC_OR_PARTITION (unknown name),
 * UNKNOWN_TOPIC_ID (unknown id; the result has a null name), INVALID_REQUEST for a name given twice
 * or an id given twice (one result each), for both a name and an id in one entry, for neither, and
 * for a name and an id naming the same topic (each of the two entries).
 * Results follow the request order (Kafka shuffles them; nothing depends on the order).
 * timeoutMs: the deletion is recorded and the partition logs are gone before the response is sent,
 * so no timeout can expire.
 * Not implemented: authorization (TOPIC_AUTHORIZATION_FAILED never happens), quotas.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  defaultDeleteTopicsResponse,
  defaultDeleteTopicsResponseDeletableTopicResult,
  type DeleteTopicsResponseDeletableTopicResult,
} from '../../protocol/generated/messages/delete-topics.js';
import { ZERO_UUID } from '../../protocol/reader.js';
import { defineHandler } from '../handler.js';

function result(name: string | null, topicId: string, errorCode: number, errorMessage: string | null): DeleteTopicsResponseDeletableTopicResult {
  return { ...defaultDeleteTopicsResponseDeletableTopicResult(), name, topicId, errorCode, errorMessage };
}

const SAME_TOPIC = 'The provided topic name maps to an ID that was already supplied.';

export const deleteTopics = defineHandler({
  apiKey: ApiKey.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  async handle(request, ctx) {
    const store = ctx.services.metadata;
    const version = ctx.apiVersion;
    const entries = version >= 6 ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const response = defaultDeleteTopicsResponse();

    if (!ctx.services.brokerConfig.config.deleteTopicEnable) {
      const code = version < 3 ? ErrorCode.InvalidRequest : ErrorCode.TopicDeletionDisabled;
      response.responses = entries.map((e) => result(e.name, e.topicId, code, null));
      return response;
    }

    const byName = (e: { name: string | null; topicId: string }): e is { name: string; topicId: string } => e.name !== null && e.topicId === ZERO_UUID;
    const byId = (e: { name: string | null; topicId: string }): boolean => e.name === null && e.topicId !== ZERO_UUID;
    const nameCounts = new Map<string, number>();
    const idCounts = new Map<string, number>();
    for (const e of entries) {
      if (byName(e)) nameCounts.set(e.name, (nameCounts.get(e.name) ?? 0) + 1);
      else if (byId(e)) idCounts.set(e.topicId, (idCounts.get(e.topicId) ?? 0) + 1);
    }
    // Topics named both by a name entry and by an id entry.
    const namedIds = new Set<string>();
    for (const [name, count] of nameCounts) {
      const id = store.topic(name)?.topicId;
      if (count === 1 && id !== undefined) namedIds.add(id);
    }

    const duplicatesReported = new Set<string>();
    for (const e of entries) {
      if (e.name !== null && e.topicId !== ZERO_UUID) {
        response.responses.push(result(e.name, e.topicId, ErrorCode.InvalidRequest, 'You may not specify both topic name and topic id.'));
      } else if (e.name === null && e.topicId === ZERO_UUID) {
        response.responses.push(result(null, ZERO_UUID, ErrorCode.InvalidRequest, 'Neither topic name nor id were specified.'));
      } else if (e.name !== null) {
        if ((nameCounts.get(e.name) ?? 0) > 1) {
          if (!duplicatesReported.has(`name:${e.name}`)) response.responses.push(result(e.name, ZERO_UUID, ErrorCode.InvalidRequest, 'Duplicate topic name.'));
          duplicatesReported.add(`name:${e.name}`);
          continue;
        }
        const topic = store.topic(e.name);
        if (!topic) {
          response.responses.push(result(e.name, ZERO_UUID, ErrorCode.UnknownTopicOrPartition, 'This server does not host this topic-partition.'));
        } else if (idCounts.has(topic.topicId)) {
          response.responses.push(result(e.name, topic.topicId, ErrorCode.InvalidRequest, SAME_TOPIC));
        } else {
          const deleted = await store.deleteTopic(e.name);
          response.responses.push(result(e.name, topic.topicId, deleted.errorCode, deleted.errorMessage));
        }
      } else {
        if ((idCounts.get(e.topicId) ?? 0) > 1) {
          if (!duplicatesReported.has(`id:${e.topicId}`)) response.responses.push(result(null, e.topicId, ErrorCode.InvalidRequest, 'Duplicate topic id.'));
          duplicatesReported.add(`id:${e.topicId}`);
          continue;
        }
        const topic = store.topicById(e.topicId);
        if (!topic) {
          response.responses.push(result(null, e.topicId, ErrorCode.UnknownTopicId, 'This server does not host this topic ID.'));
        } else if (namedIds.has(topic.topicId)) {
          response.responses.push(result(topic.name, topic.topicId, ErrorCode.InvalidRequest, SAME_TOPIC));
        } else {
          const deleted = await store.deleteTopic(topic.name);
          response.responses.push(result(topic.name, topic.topicId, deleted.errorCode, deleted.errorMessage));
        }
      }
    }
    return response;
  },
});
