import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultLeaveGroupRequest } from '../../../src/protocol/generated/messages/leave-group.js';
import type { AdminHarness } from './admin-harness.js';
import { joinRequest, stableMember, startGroupHarness } from './group-harness.js';

let h: AdminHarness;
beforeAll(async () => {
  h = await startGroupHarness();
});
afterAll(async () => {
  await h.stop();
});

describe('LeaveGroup', () => {
  it.each([0, 1, 2])('v%i: one member; its error is the response error', async (v) => {
    const groupId = `leave-${v}`;
    const m = await stableMember(h, groupId);
    const unknown = await h.call(ApiKey.LeaveGroup, v, { ...defaultLeaveGroupRequest(), groupId, memberId: 'ghost' });
    expect(unknown.errorCode).toBe(ErrorCode.UnknownMemberId);
    const ok = await h.call(ApiKey.LeaveGroup, v, { ...defaultLeaveGroupRequest(), groupId, memberId: m.memberId });
    expect(ok.errorCode).toBe(0);
    expect(h.broker.services.groups.describeGroup(groupId).state).toBe('Empty');
  });

  it.each([3, 4, 5])('v%i: several members, by member id or group instance id, one result each', async (v) => {
    const groupId = `leave-batch-${v}`;
    await h.call(ApiKey.JoinGroup, 5, joinRequest({ groupId, groupInstanceId: 'a' }));
    const r = await h.call(ApiKey.LeaveGroup, v, {
      ...defaultLeaveGroupRequest(),
      groupId,
      members: [
        { memberId: '', groupInstanceId: 'a', reason: 'scale down', _unknownTaggedFields: undefined },
        { memberId: 'ghost', groupInstanceId: null, reason: null, _unknownTaggedFields: undefined },
      ],
    });
    expect(r.errorCode).toBe(0);
    expect(r.members).toEqual([
      { memberId: '', groupInstanceId: 'a', errorCode: 0, _unknownTaggedFields: undefined },
      { memberId: 'ghost', groupInstanceId: null, errorCode: ErrorCode.UnknownMemberId, _unknownTaggedFields: undefined },
    ]);
  });

  it('a group error is top-level with no member results', async () => {
    const r = await h.call(ApiKey.LeaveGroup, 4, { ...defaultLeaveGroupRequest(), groupId: '', members: [{ memberId: 'm', groupInstanceId: null, reason: null, _unknownTaggedFields: undefined }] });
    expect(r).toMatchObject({ errorCode: ErrorCode.InvalidGroupId, members: [] });
  });
});
