/**
 * DescribeGroups v0-6: state, protocol and members of classic groups.
 * - v1: throttle time. v2: same.
 * - v3: includeAuthorizedOperations: without an authorizer every group operation is allowed
 *   (READ, DELETE, DESCRIBE), as Kafka reports then.
 * - v4: members' groupInstanceId (KIP-345). v5: flexible.
 * - v6: a group that does not exist is described as Dead with GROUP_ID_NOT_FOUND and an error
 *   message (KIP-1043); before, as Dead with no error.
 * Members carry their metadata and assignment only while the group is Stable, as in Kafka; the
 * protocol (protocolData) too. A KIP-848 consumer group is not a classic group: it is described
 * like a group that does not exist (ConsumerGroupDescribe describes it).
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode, errorInfo } from '../../protocol/generated/errors.js';
import { defaultDescribeGroupsResponse } from '../../protocol/generated/messages/describe-groups.js';
import { AclOperation, AUTHORIZED_OPERATIONS_OMITTED } from '../authorized-operations.js';
import { defineHandler } from '../handler.js';

/** A group's operations without an authorizer: READ, DELETE, DESCRIBE (328). */
const GROUP_OPERATIONS = (1 << AclOperation.READ) | (1 << AclOperation.DELETE) | (1 << AclOperation.DESCRIBE);

export const describeGroups = defineHandler({
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 6,
  handle(request, ctx) {
    const v = ctx.apiVersion;
    const response = defaultDescribeGroupsResponse();
    response.groups = request.groups.map((groupId) => {
      const s = ctx.services.groups.describeGroup(groupId);
      let errorCode = s.errorCode;
      let errorMessage: string | null = null;
      const state = s.state;
      if (errorCode === ErrorCode.None && !s.exists && v >= 6) {
        errorCode = ErrorCode.GroupIdNotFound;
        errorMessage = s.errorMessage;
      } else if (errorCode !== ErrorCode.None && v >= 6) {
        errorMessage = errorInfo(errorCode)?.message ?? null;
      }
      return {
        errorCode,
        errorMessage,
        groupId,
        groupState: state,
        protocolType: s.protocolType,
        protocolData: s.protocol,
        members: s.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
          _unknownTaggedFields: undefined,
        })),
        authorizedOperations: v >= 3 && request.includeAuthorizedOperations && errorCode === ErrorCode.None ? GROUP_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
        _unknownTaggedFields: undefined,
      };
    });
    return response;
  },
});
