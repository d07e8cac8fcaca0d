/**
 * Heartbeat v0-4: a member of a classic group tells its coordinator it is alive; the answer tells
 * it whether a rebalance is under way (REBALANCE_IN_PROGRESS: rejoin).
 * - v1: throttle time. v2: same. v3: groupInstanceId (KIP-345). v4: flexible.
 * While the coordinator loads, heartbeats are answered NONE, as Kafka does.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { defaultHeartbeatResponse } from '../../protocol/generated/messages/heartbeat.js';
import { defineHandler } from '../handler.js';

export const heartbeat = defineHandler({
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const response = defaultHeartbeatResponse();
    response.errorCode = ctx.services.groups.heartbeat({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: ctx.apiVersion >= 3 ? request.groupInstanceId : null,
    });
    return response;
  },
});
