/**
 * ListGroups v0-5: the groups this broker coordinates (all of them, on a single broker).
 * - v1: throttle time. v2: same. v3: flexible.
 * - v4: statesFilter, and each group's state (PreparingRebalance, CompletingRebalance, Stable,
 *   Empty; KIP-518). v5: typesFilter, and each group's type ("classic", or "consumer" for KIP-848
 *   groups, whose states are Empty, Assigning, Reconciling and Stable).
 * Filters match case-insensitively, as Kafka 4 does; an empty filter matches everything.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { defaultListGroupsResponse } from '../../protocol/generated/messages/list-groups.js';
import { defineHandler } from '../handler.js';

export const listGroups = defineHandler({
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    const v = ctx.apiVersion;
    const result = ctx.services.groups.listGroups(v >= 4 ? request.statesFilter : [], v >= 5 ? request.typesFilter : []);
    const response = defaultListGroupsResponse();
    response.errorCode = result.errorCode;
    response.groups = result.groups.map((g) => ({
      groupId: g.groupId,
      protocolType: g.protocolType,
      groupState: g.state,
      groupType: g.type,
      _unknownTaggedFields: undefined,
    }));
    return response;
  },
});
