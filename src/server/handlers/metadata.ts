/**
 * Metadata v0-13: the brokers, the cluster id, the controller and the partition layout of topics.
 * - v0: an empty topic list means every topic; v1+: null means every topic, empty means none (the
 *   response still lists the brokers). v1 adds racks, the controller id and isInternal; v2 the
 *   cluster id; v3 throttle time; v5 offline replicas; v7 the leader epoch.
 * - v4+: allowAutoTopicCreation; v0-3 always allow it. A missing topic is created when
 *   auto.create.topics.enable is on and the client allows it, with num.partitions and
 *   default.replication.factor, and answered LEADER_NOT_AVAILABLE with no partitions, as Kafka's
 *   broker answers a topic it has just started creating; clients retry and see it on the next
 *   request. A creation that fails answers its error (INVALID_REPLICATION_FACTOR when
 *   default.replication.factor exceeds the one broker, ...). Listing every topic never creates.
 * - Missing topics otherwise: UNKNOWN_TOPIC_OR_PARTITION, or INVALID_TOPIC_EXCEPTION for an
 *   illegal name.
 * - v8+: topic (and, v8-10, cluster) authorized operations when asked for; no authorizer, so every
 *   operation; INT32_MIN when not asked.
 * - v9 flexible; v10 topic ids in the response; v12 topics can be asked for by id (unknown ids:
 *   UNKNOWN_TOPIC_ID, null name); when any topic is asked for by id, names are ignored, as in
 *   Kafka. A null name or a topic id in v10-11 is an INVALID_REQUEST for the whole request.
 * - v13: top-level error code (always NONE).
 * Brokers, the controller and each partition's leader, replicas and ISR come from the cluster view
 * (metadata/cluster-view.ts): on a single broker, this broker leads every partition alone.
 * Not implemented: authorization (no ACLs), several listeners (the one advertised listener is
 * returned whatever listener the request came in on).
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  defaultMetadataResponse,
  defaultMetadataResponseBroker,
  defaultMetadataResponsePartition,
  defaultMetadataResponseTopic,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseTopic,
} from '../../protocol/generated/messages/metadata.js';
import { ZERO_UUID } from '../../protocol/reader.js';
import { isInternalTopic, topicNameProblem } from '../../protocol/topic-name.js';
import type { ClusterView } from '../../metadata/cluster-view.js';
import type { Topic } from '../../metadata/metadata-store.js';
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_AUTHORIZED_OPERATIONS, TOPIC_AUTHORIZED_OPERATIONS } from '../authorized-operations.js';
import { defineHandler, type RequestContext } from '../handler.js';

function topicResult(errorCode: number, name: string | null, topicId: string): MetadataResponseTopic {
  return { ...defaultMetadataResponseTopic(), errorCode, name, topicId, isInternal: name !== null && isInternalTopic(name) };
}

function describedTopic(topic: Topic, cluster: ClusterView): MetadataResponseTopic {
  const result = topicResult(ErrorCode.None, topic.name, topic.topicId);
  result.partitions = cluster.partitionLayouts(topic, 0, topic.partitions).map((p) => ({
    ...defaultMetadataResponsePartition(),
    // Kafka answers a partition without a leader LEADER_NOT_AVAILABLE, its replicas still listed.
    errorCode: p.leaderId < 0 ? ErrorCode.LeaderNotAvailable : ErrorCode.None,
    ...p,
  }));
  return result;
}

/** A missing topic: created when allowed (LEADER_NOT_AVAILABLE), else UNKNOWN_TOPIC_OR_PARTITION. */
async function missingTopic(name: string, autoCreate: boolean, ctx: RequestContext): Promise<MetadataResponseTopic> {
  if (topicNameProblem(name) !== null) return topicResult(ErrorCode.InvalidTopicException, name, ZERO_UUID);
  if (!autoCreate) return topicResult(ErrorCode.UnknownTopicOrPartition, name, ZERO_UUID);
  const created = await ctx.services.metadata.createTopic({
    name,
    numPartitions: -1,
    replicationFactor: -1,
    configs: new Map(),
    validateOnly: false,
  });
  if (created.errorCode === ErrorCode.None || created.errorCode === ErrorCode.TopicAlreadyExists) {
    return topicResult(ErrorCode.LeaderNotAvailable, name, ZERO_UUID);
  }
  ctx.services.logger.info({ topic: name, error: created.errorMessage }, 'automatic topic creation failed');
  return topicResult(created.errorCode, name, ZERO_UUID);
}

function invalidRequest(request: MetadataRequest): MetadataResponse {
  const response = defaultMetadataResponse();
  response.topics = (request.topics ?? []).map((t) => topicResult(ErrorCode.InvalidRequest, t.name ?? '', t.topicId));
  return response;
}

export const metadata = defineHandler({
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 13,
  async handle(request, ctx) {
    const version = ctx.apiVersion;
    const { services } = ctx;
    const store = services.metadata;
    const requested = request.topics;
    const allTopics = requested === null || (version === 0 && requested.length === 0);

    if (requested !== null) {
      for (const t of requested) {
        if ((version < 12 && (t.name === null || t.topicId !== ZERO_UUID)) || (t.name === null && t.topicId === ZERO_UUID)) {
          return invalidRequest(request);
        }
      }
    }

    const topics: MetadataResponseTopic[] = [];
    if (allTopics) {
      for (const t of store.topics()) topics.push(describedTopic(t, services.cluster));
    } else {
      const ids = [...new Set(requested.map((t) => t.topicId).filter((id) => id !== ZERO_UUID))];
      if (ids.length > 0) {
        for (const id of ids) {
          const t = store.topicById(id);
          topics.push(t ? describedTopic(t, services.cluster) : topicResult(ErrorCode.UnknownTopicId, null, id));
        }
      } else {
        const autoCreate = services.brokerConfig.config.autoCreateTopicsEnable && request.allowAutoTopicCreation;
        // No topic ids, so every entry has a name (the checks above).
        const names = [...new Set(requested.flatMap((t) => (t.name === null ? [] : [t.name])))];
        // Sequential: creations are appended to the metadata log one at a time in request order.
        for (const name of names) {
          const t = store.topic(name);
          topics.push(t ? describedTopic(t, services.cluster) : await missingTopic(name, autoCreate, ctx));
        }
      }
    }

    if (version >= 8 && request.includeTopicAuthorizedOperations) {
      for (const t of topics) if (t.errorCode !== ErrorCode.UnknownTopicId) t.topicAuthorizedOperations = TOPIC_AUTHORIZED_OPERATIONS;
    }

    const response = defaultMetadataResponse();
    response.brokers = services.cluster.brokers().map((b) => ({ ...defaultMetadataResponseBroker(), nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
    response.clusterId = services.clusterId;
    response.controllerId = services.cluster.controllerId();
    response.topics = topics;
    response.clusterAuthorizedOperations =
      version >= 8 && version <= 10 && request.includeClusterAuthorizedOperations ? CLUSTER_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    response.errorCode = ErrorCode.None;
    return response;
  },
});
