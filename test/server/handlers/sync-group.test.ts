import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultSyncGroupRequest } from '../../../src/protocol/generated/messages/sync-group.js';
import type { AdminHarness } from './admin-harness.js';
import { joinRequest, startGroupHarness } from './group-harness.js';

let h: AdminHarness;
let n = 0;
beforeAll(async () => {
  h = await startGroupHarness();
});
afterAll(async () => {
  await h.stop();
});

describe('SyncGroup', () => {
  it.each([0, 1, 2, 3, 4, 5])('v%i: the leader hands in the assignment and gets its own back', async (v) => {
    const groupId = `sync-${++n}`;
    const j = await h.call(ApiKey.JoinGroup, 3, joinRequest({ groupId }));
    const r = await h.call(ApiKey.SyncGroup, v, {
      ...defaultSyncGroupRequest(),
      groupId,
      generationId: j.generationId,
      memberId: j.memberId,
      protocolType: v >= 5 ? 'consumer' : null,
      protocolName: v >= 5 ? 'range' : null,
      assignments: [{ memberId: j.memberId, assignment: Buffer.from('mine'), _unknownTaggedFields: undefined }],
    });
    expect(r.errorCode).toBe(0);
    expect(r.assignment.toString()).toBe('mine');
    if (v >= 5) expect(r).toMatchObject({ protocolType: 'consumer', protocolName: 'range' });
    else expect(r).toMatchObject({ protocolType: null, protocolName: null });
  });

  it('v5: a protocol name that differs from the group\'s is INCONSISTENT_GROUP_PROTOCOL', async () => {
    const groupId = `sync-${++n}`;
    const j = await h.call(ApiKey.JoinGroup, 3, joinRequest({ groupId }));
    const r = await h.call(ApiKey.SyncGroup, 5, { ...defaultSyncGroupRequest(), groupId, generationId: 1, memberId: j.memberId, protocolType: 'consumer', protocolName: 'sticky' });
    expect(r.errorCode).toBe(ErrorCode.InconsistentGroupProtocol);
  });

  it('UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, INVALID_GROUP_ID', async () => {
    const groupId = `sync-${++n}`;
    const j = await h.call(ApiKey.JoinGroup, 3, joinRequest({ groupId }));
    expect((await h.call(ApiKey.SyncGroup, 3, { ...defaultSyncGroupRequest(), groupId, generationId: 1, memberId: 'x' })).errorCode).toBe(ErrorCode.UnknownMemberId);
    expect((await h.call(ApiKey.SyncGroup, 3, { ...defaultSyncGroupRequest(), groupId, generationId: 9, memberId: j.memberId })).errorCode).toBe(ErrorCode.IllegalGeneration);
    expect((await h.call(ApiKey.SyncGroup, 3, { ...defaultSyncGroupRequest(), groupId: '', generationId: 1, memberId: j.memberId })).errorCode).toBe(ErrorCode.InvalidGroupId);
  });
});
