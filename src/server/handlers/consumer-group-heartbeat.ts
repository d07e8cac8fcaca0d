/**
 * ConsumerGroupHeartbeat v0-1: a member of a KIP-848 consumer group joins (memberEpoch 0), stays
 * alive, updates its subscription and acknowledges its assignment, or leaves (memberEpoch -1; -2
 * for a static member that will come back), all with this one request. The broker assigns the
 * partitions itself (serverAssignor: uniform, the default, or range).
 * - v0: the coordinator gives a joining member its member id (the member sends '').
 * - v1 (Kafka 4.0): subscribedTopicRegex (a regular expression over topic names; JavaScript RegExp
 *   here, see coordinator/consumer/topic-regex.ts for the differences from Kafka's RE2/J), and the
 *   member chooses its own member id (an empty one is INVALID_REQUEST).
 * Errors are top-level with Kafka's messages: INVALID_REQUEST, UNSUPPORTED_ASSIGNOR,
 * INVALID_REGULAR_EXPRESSION, GROUP_ID_NOT_FOUND, UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH,
 * UNRELEASED_INSTANCE_ID, FENCED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED, COORDINATOR_LOAD_IN_PROGRESS,
 * COORDINATOR_NOT_AVAILABLE.
 * Not implemented: rack-aware assignment (rackId is stored and described only), classic-protocol
 * members in the same group (Kafka's online migration).
 * Logic: coordinator/consumer/consumer-group-manager.ts.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { defaultConsumerGroupHeartbeatResponse } from '../../protocol/generated/messages/consumer-group-heartbeat.js';
import { defineHandler } from '../handler.js';
import { clientHostOf } from './join-group.js';

export const consumerGroupHeartbeat = defineHandler({
  apiKey: ApiKey.ConsumerGroupHeartbeat,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx) {
    const result = await ctx.services.groups.consumerGroupHeartbeat({
      groupId: request.groupId,
      memberId: request.memberId,
      memberEpoch: request.memberEpoch,
      instanceId: request.instanceId,
      rackId: request.rackId,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      subscribedTopicNames: request.subscribedTopicNames,
      subscribedTopicRegex: ctx.apiVersion >= 1 ? request.subscribedTopicRegex : null,
      serverAssignor: request.serverAssignor,
      topicPartitions: request.topicPartitions === null ? null : request.topicPartitions.map((tp) => ({ topicId: tp.topicId, partitions: tp.partitions })),
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx.connection),
      apiVersion: ctx.apiVersion,
    });
    const response = defaultConsumerGroupHeartbeatResponse();
    response.errorCode = result.errorCode;
    response.errorMessage = result.errorMessage;
    response.memberId = result.memberId;
    response.memberEpoch = result.memberEpoch;
    response.heartbeatIntervalMs = result.heartbeatIntervalMs;
    response.assignment =
      result.assignment === null
        ? null
        : {
            topicPartitions: result.assignment.map((tp) => ({ topicId: tp.topicId, partitions: tp.partitions, _unknownTaggedFields: undefined })),
            _unknownTaggedFields: undefined,
          };
    return response;
  },
});
