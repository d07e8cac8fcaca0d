/**
 * ConsumerGroupDescribe v0-1: an admin client reads the state, epochs, assignor and members (with
 * their subscriptions, current and target assignments) of KIP-848 consumer groups.
 * - v0: first version; always flexible.
 * - v1 (Kafka 4.0): each member's memberType (1: consumer protocol; classic-protocol members do not
 *   exist in Gregor's consumer groups).
 * Per group: GROUP_ID_NOT_FOUND ("Group g not found." / "Group g is not a consumer group." for a
 * classic group), INVALID_GROUP_ID for an empty id, COORDINATOR_LOAD_IN_PROGRESS while loading.
 * includeAuthorizedOperations: without an authorizer every group operation is allowed (READ,
 * DELETE, DESCRIBE), as Kafka reports then.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultConsumerGroupDescribeResponse, type ConsumerGroupDescribeResponseAssignment } from '../../protocol/generated/messages/consumer-group-describe.js';
import type { DescribedTopicPartitions } from '../../coordinator/consumer/consumer-group-manager.js';
import { AclOperation, AUTHORIZED_OPERATIONS_OMITTED } from '../authorized-operations.js';
import { defineHandler } from '../handler.js';

const GROUP_OPERATIONS = (1 << AclOperation.READ) | (1 << AclOperation.DELETE) | (1 << AclOperation.DESCRIBE);
const CONSUMER_MEMBER_TYPE = 1;

function assignment(list: DescribedTopicPartitions[]): ConsumerGroupDescribeResponseAssignment {
  return {
    topicPartitions: list.map((tp) => ({ topicId: tp.topicId, topicName: tp.topicName, partitions: tp.partitions, _unknownTaggedFields: undefined })),
    _unknownTaggedFields: undefined,
  };
}

export const consumerGroupDescribe = defineHandler({
  apiKey: ApiKey.ConsumerGroupDescribe,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    const response = defaultConsumerGroupDescribeResponse();
    const described = ctx.services.groups.consumerGroupDescribe(request.groupIds);
    response.groups = described.map((g) => {
      const errorCode = g.groupId === '' ? ErrorCode.InvalidGroupId : g.errorCode;
      return {
        errorCode,
        errorMessage: errorCode === ErrorCode.InvalidGroupId ? null : g.errorMessage,
        groupId: g.groupId,
        groupState: g.groupState,
        groupEpoch: g.groupEpoch,
        assignmentEpoch: g.assignmentEpoch,
        assignorName: g.assignorName,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          instanceId: m.instanceId,
          rackId: m.rackId,
          memberEpoch: m.memberEpoch,
          clientId: m.clientId,
          clientHost: m.clientHost,
          subscribedTopicNames: m.subscribedTopicNames,
          subscribedTopicRegex: m.subscribedTopicRegex,
          assignment: assignment(m.assignment),
          targetAssignment: assignment(m.targetAssignment),
          memberType: CONSUMER_MEMBER_TYPE,
          _unknownTaggedFields: undefined,
        })),
        authorizedOperations: request.includeAuthorizedOperations && errorCode === ErrorCode.None ? GROUP_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
        _unknownTaggedFields: undefined,
      };
    });
    return response;
  },
});
