/**
 * Shared setup for the group handlers' tests: a broker driven through its dispatcher (admin
 * harness) with no initial rebalance delay, and request builders for the group APIs.
 */
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { defaultJoinGroupRequest, type JoinGroupRequest, type JoinGroupResponse } from '../../../src/protocol/generated/messages/join-group.js';
import { defaultSyncGroupRequest } from '../../../src/protocol/generated/messages/sync-group.js';
import { subscription } from '../../coordinator/helpers.js';
import { startHarness, type AdminHarness } from './admin-harness.js';

export { assignment, subscription } from '../../coordinator/helpers.js';

export function startGroupHarness(config: Record<string, string | number | boolean> = {}): Promise<AdminHarness> {
  return startHarness({ storage: 'memory', config: { 'group.initial.rebalance.delay.ms': 0, 'auto.create.topics.enable': false, ...config } });
}

export function joinRequest(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    ...defaultJoinGroupRequest(),
    groupId: 'g',
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 60_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']), _unknownTaggedFields: undefined }],
    ...overrides,
  };
}

/** Joins (v5, answering MEMBER_ID_REQUIRED is not needed below v4) and syncs one member as leader. */
export async function stableMember(h: AdminHarness, groupId = 'g', memberAssignment = Buffer.from('a')): Promise<JoinGroupResponse> {
  const joined = await h.call(ApiKey.JoinGroup, 3, joinRequest({ groupId }));
  if (joined.errorCode !== 0) throw new Error(`join failed: ${joined.errorCode}`);
  const synced = await h.call(ApiKey.SyncGroup, 3, {
    ...defaultSyncGroupRequest(),
    groupId,
    generationId: joined.generationId,
    memberId: joined.memberId,
    assignments: [{ memberId: joined.memberId, assignment: memberAssignment, _unknownTaggedFields: undefined }],
  });
  if (synced.errorCode !== 0) throw new Error(`sync failed: ${synced.errorCode}`);
  return joined;
}
