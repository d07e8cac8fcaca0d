import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultHeartbeatRequest } from '../../../src/protocol/generated/messages/heartbeat.js';
import type { AdminHarness } from './admin-harness.js';
import { joinRequest, stableMember, startGroupHarness } from './group-harness.js';

let h: AdminHarness;
beforeAll(async () => {
  h = await startGroupHarness();
});
afterAll(async () => {
  await h.stop();
});

describe('Heartbeat', () => {
  it.each([0, 1, 2, 3, 4])('v%i: NONE for a member of a stable group, REBALANCE_IN_PROGRESS once a rebalance starts', async (v) => {
    const groupId = `hb-${v}`;
    const m = await stableMember(h, groupId);
    const hb = () => h.call(ApiKey.Heartbeat, v, { ...defaultHeartbeatRequest(), groupId, generationId: m.generationId, memberId: m.memberId });
    expect((await hb()).errorCode).toBe(0);
    void h.call(ApiKey.JoinGroup, 3, joinRequest({ groupId, memberId: '' })).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    expect((await hb()).errorCode).toBe(ErrorCode.RebalanceInProgress);
  });

  it('v3+: a stale member id of a static instance is FENCED_INSTANCE_ID', async () => {
    const groupId = 'hb-static';
    const j = await h.call(ApiKey.JoinGroup, 5, joinRequest({ groupId, groupInstanceId: 'pod' }));
    const r = await h.call(ApiKey.Heartbeat, 3, { ...defaultHeartbeatRequest(), groupId, generationId: j.generationId, memberId: 'old', groupInstanceId: 'pod' });
    expect(r.errorCode).toBe(ErrorCode.FencedInstanceId);
  });

  it('UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, INVALID_GROUP_ID', async () => {
    const m = await stableMember(h, 'hb-errors');
    const hb = (body: Partial<typeof m & { groupId: string }>) => h.call(ApiKey.Heartbeat, 4, { ...defaultHeartbeatRequest(), groupId: 'hb-errors', generationId: m.generationId, memberId: m.memberId, ...body });
    expect((await hb({ memberId: 'x' })).errorCode).toBe(ErrorCode.UnknownMemberId);
    expect((await hb({ generationId: 5 })).errorCode).toBe(ErrorCode.IllegalGeneration);
    expect((await hb({ groupId: 'nope' })).errorCode).toBe(ErrorCode.UnknownMemberId);
    expect((await hb({ groupId: '' })).errorCode).toBe(ErrorCode.InvalidGroupId);
  });
});
