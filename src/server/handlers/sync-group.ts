/**
 * SyncGroup v0-5: after a join, the leader hands in every member's assignment and each member
 * receives its own. Followers' requests wait (long polling) until the leader's assignment is
 * stored; in a stable group the current assignment is returned at once.
 * - v1: throttle time. v2: same. v3: groupInstanceId (KIP-345). v4: flexible.
 * - v5: protocolType and protocolName, checked against the group's (INCONSISTENT_GROUP_PROTOCOL)
 *   and echoed in the response (KIP-559).
 * Logic: coordinator/group/group-manager.ts.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { defaultSyncGroupResponse } from '../../protocol/generated/messages/sync-group.js';
import { defineHandler } from '../handler.js';

export const syncGroup = defineHandler({
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const result = await ctx.services.groups.syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: v >= 3 ? request.groupInstanceId : null,
      protocolType: v >= 5 ? request.protocolType : null,
      protocolName: v >= 5 ? request.protocolName : null,
      // Copies: stored with the group, they must not pin the request frame.
      assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
    });
    const response = defaultSyncGroupResponse();
    response.errorCode = result.errorCode;
    response.protocolType = result.protocolType;
    response.protocolName = result.protocolName;
    response.assignment = result.assignment;
    return response;
  },
});
