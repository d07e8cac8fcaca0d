/**
 * JoinGroup v0-9: a member joins a classic group and takes part in its rebalance. The response is
 * sent when the join phase completes (long polling): the leader receives every member with its
 * metadata for the chosen protocol.
 * - v0: rebalance timeout = session timeout. v1: adds rebalanceTimeoutMs. v2-3: throttle time.
 * - v4: a first join without a member id is answered MEMBER_ID_REQUIRED with a new id to rejoin with.
 * - v5: groupInstanceId (static membership, KIP-345). v6: flexible.
 * - v7: the response carries protocolType, and a null protocolName on errors (KIP-559).
 * - v8: reason (KIP-800; logged). v9: skipAssignment for a static leader rejoining a stable group.
 * Logic: coordinator/group/group-manager.ts.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { defaultJoinGroupResponse } from '../../protocol/generated/messages/join-group.js';
import type { ConnectionInfo } from '../connection.js';
import { defineHandler } from '../handler.js';

/** Kafka's client host: the peer address as Java prints an InetAddress ("/127.0.0.1"). */
export function clientHostOf(connection: ConnectionInfo): string {
  const addr = connection.remoteAddress;
  const i = addr.lastIndexOf(':');
  const host = i > 0 ? addr.slice(0, i) : addr;
  return `/${host.startsWith('::ffff:') ? host.slice(7) : host}`;
}

export const joinGroup = defineHandler({
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const groupInstanceId = v >= 5 ? request.groupInstanceId : null;
    const result = await ctx.services.groups.joinGroup({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId,
      requireKnownMemberId: v >= 4 && groupInstanceId === null,
      supportSkippingAssignment: v >= 9,
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx.connection),
      rebalanceTimeoutMs: v === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
      sessionTimeoutMs: request.sessionTimeoutMs,
      protocolType: request.protocolType,
      // Copies: the request's byte fields are views of its frame, and members keep them for long.
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      reason: v >= 8 ? request.reason : null,
    });
    const response = defaultJoinGroupResponse();
    response.errorCode = result.errorCode;
    response.generationId = result.generationId;
    response.protocolType = result.protocolType;
    response.protocolName = v >= 7 ? result.protocolName : (result.protocolName ?? '');
    response.leader = result.leaderId;
    response.skipAssignment = result.skipAssignment;
    response.memberId = result.memberId;
    response.members = result.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata,
      _unknownTaggedFields: undefined,
    }));
    return response;
  },
});
