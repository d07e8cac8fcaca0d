/**
 * DeleteGroups v0-2: an admin client deletes empty groups with their committed offsets (KIP-229).
 * - v1: same as v0. v2: flexible.
 * Classic and KIP-848 consumer groups alike.
 * Per group: NONE, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP (members are still in it), or
 * COORDINATOR_LOAD_IN_PROGRESS while loading. A group id named twice is answered once.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { defaultDeleteGroupsResponse } from '../../protocol/generated/messages/delete-groups.js';
import { defineHandler } from '../handler.js';

export const deleteGroups = defineHandler({
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const results = await ctx.services.groups.deleteGroups(request.groupsNames);
    const response = defaultDeleteGroupsResponse();
    response.results = [...results].map(([groupId, errorCode]) => ({ groupId, errorCode, _unknownTaggedFields: undefined }));
    return response;
  },
});
