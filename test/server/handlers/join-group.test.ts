import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
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
const group = () => `join-${++n}`;

describe('JoinGroup', () => {
  it.each([0, 1, 2, 3])('v%i: a first join without a member id joins at once', async (v) => {
    const r = await h.call(ApiKey.JoinGroup, v, joinRequest({ groupId: group() }));
    expect(r).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range' });
    expect(r.leader).toBe(r.memberId);
    expect(r.memberId).toMatch(/^harness-/);
    expect(r.members).toHaveLength(1);
  });

  it.each([4, 5, 6, 7, 8, 9])('v%i: MEMBER_ID_REQUIRED, then the rejoin with the given id joins', async (v) => {
    const groupId = group();
    const first = await h.call(ApiKey.JoinGroup, v, joinRequest({ groupId }));
    expect(first.errorCode).toBe(ErrorCode.MemberIdRequired);
    expect(first.memberId).not.toBe('');
    const second = await h.call(ApiKey.JoinGroup, v, joinRequest({ groupId, memberId: first.memberId, reason: 'test' }));
    expect(second).toMatchObject({ errorCode: 0, memberId: first.memberId, leader: first.memberId, generationId: 1 });
    if (v >= 7) expect(second.protocolType).toBe('consumer');
  });

  it('v5+: a static member joins without MEMBER_ID_REQUIRED', async () => {
    const r = await h.call(ApiKey.JoinGroup, 5, joinRequest({ groupId: group(), groupInstanceId: 'pod-1' }));
    expect(r.errorCode).toBe(0);
    expect(r.memberId).toMatch(/^pod-1-/);
    expect(r.members[0].groupInstanceId).toBe('pod-1');
  });

  it('errors: protocol name null from v7, empty before; the member id echoed', async () => {
    const v6 = await h.call(ApiKey.JoinGroup, 6, joinRequest({ groupId: 'x', memberId: 'ghost' }));
    expect(v6).toMatchObject({ errorCode: ErrorCode.UnknownMemberId, memberId: 'ghost', protocolName: '', generationId: -1, leader: '' });
    const v7 = await h.call(ApiKey.JoinGroup, 7, joinRequest({ groupId: 'x', memberId: 'ghost' }));
    expect(v7).toMatchObject({ errorCode: ErrorCode.UnknownMemberId, protocolName: null, protocolType: null });
  });

  it('INVALID_GROUP_ID, INVALID_SESSION_TIMEOUT, INCONSISTENT_GROUP_PROTOCOL', async () => {
    expect((await h.call(ApiKey.JoinGroup, 5, joinRequest({ groupId: '' }))).errorCode).toBe(ErrorCode.InvalidGroupId);
    expect((await h.call(ApiKey.JoinGroup, 5, joinRequest({ groupId: group(), sessionTimeoutMs: 1000 }))).errorCode).toBe(ErrorCode.InvalidSessionTimeout);
    expect((await h.call(ApiKey.JoinGroup, 3, joinRequest({ groupId: group(), protocols: [] }))).errorCode).toBe(ErrorCode.InconsistentGroupProtocol);
  });

  it('records the client id and host (as Kafka prints them) for DescribeGroups', async () => {
    const groupId = group();
    await h.call(ApiKey.JoinGroup, 1, joinRequest({ groupId }));
    const d = h.broker.services.groups.describeGroup(groupId);
    expect(d.members[0]).toMatchObject({ clientId: 'harness', clientHost: '/test' });
  });
});
