/**
 * LeaveGroup v0-5: members leave a classic group so it rebalances without waiting for their
 * sessions to expire. Answered once the group's new state is stored.
 * - v0-2: one member; its error is the response's error. v1: throttle time.
 * - v3: several members, by member id or (administratively, with an empty member id) by group
 *   instance id; one result each (KIP-345). v4: flexible. v5: a reason per member (KIP-800; logged).
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultLeaveGroupResponse } from '../../protocol/generated/messages/leave-group.js';
import { defineHandler } from '../handler.js';

export const leaveGroup = defineHandler({
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const leaving =
      v >= 3
        ? request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: v >= 5 ? m.reason : null }))
        : [{ memberId: request.memberId, groupInstanceId: null, reason: null }];
    const result = await ctx.services.groups.leaveGroup(request.groupId, leaving);
    const response = defaultLeaveGroupResponse();
    if (v >= 3) {
      response.errorCode = result.errorCode;
      response.members = result.members.map((m) => ({ ...m, _unknownTaggedFields: undefined }));
    } else {
      response.errorCode = result.errorCode !== ErrorCode.None ? result.errorCode : (result.members.find((m) => m.errorCode !== ErrorCode.None)?.errorCode ?? ErrorCode.None);
    }
    return response;
  },
});
