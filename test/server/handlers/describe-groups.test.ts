import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import type { AdminHarness } from './admin-harness.js';
import { joinRequest, stableMember, startGroupHarness, subscription } from './group-harness.js';

let h: AdminHarness;
beforeAll(async () => {
  h = await startGroupHarness();
  await stableMember(h, 'stable', Buffer.from('my-assignment'));
  await h.call(ApiKey.JoinGroup, 5, joinRequest({ groupId: 'completing', groupInstanceId: 'pod-7' }));
});
afterAll(async () => {
  await h.stop();
});

const req = (groups: string[], includeAuthorizedOperations = false) => ({ groups, includeAuthorizedOperations, _unknownTaggedFields: undefined });

describe('DescribeGroups', () => {
  it.each([0, 1, 2, 3, 4, 5, 6])('v%i: a stable group with its protocol and members\' metadata and assignments', async (v) => {
    const r = await h.call(ApiKey.DescribeGroups, v, req(['stable']));
    const g = r.groups[0];
    expect(g).toMatchObject({ errorCode: 0, errorMessage: null, groupId: 'stable', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range', authorizedOperations: -2147483648 });
    expect(g.members).toHaveLength(1);
    expect(g.members[0]).toMatchObject({ clientId: 'harness', clientHost: '/test' });
    expect(g.members[0].memberMetadata).toEqual(subscription(['t']));
    expect(g.members[0].memberAssignment.toString()).toBe('my-assignment');
  });

  it('a group that is not Stable: no protocol, no metadata or assignment; v4+ static ids', async () => {
    const g = (await h.call(ApiKey.DescribeGroups, 4, req(['completing']))).groups[0];
    expect(g).toMatchObject({ groupState: 'CompletingRebalance', protocolData: '' });
    expect(g.members[0]).toMatchObject({ groupInstanceId: 'pod-7' });
    expect(g.members[0].memberMetadata.length + g.members[0].memberAssignment.length).toBe(0);
  });

  it('a missing group: Dead before v6, GROUP_ID_NOT_FOUND with a message from v6', async () => {
    expect((await h.call(ApiKey.DescribeGroups, 5, req(['ghost']))).groups[0]).toMatchObject({ errorCode: 0, groupState: 'Dead', members: [] });
    expect((await h.call(ApiKey.DescribeGroups, 6, req(['ghost']))).groups[0]).toMatchObject({ errorCode: ErrorCode.GroupIdNotFound, errorMessage: 'Group ghost not found.', groupState: 'Dead' });
  });

  it('v3+: authorized operations when asked (READ, DELETE, DESCRIBE without an authorizer)', async () => {
    const r = await h.call(ApiKey.DescribeGroups, 3, req(['stable', 'ghost'], true));
    expect(r.groups.map((g) => g.authorizedOperations)).toEqual([328, 328]);
  });

  it('one entry per requested group, in order, errors included', async () => {
    h.broker.services.groups.groups.loading = true;
    try {
      const r = await h.call(ApiKey.DescribeGroups, 6, req(['stable', 'ghost']));
      expect(r.groups.map((g) => [g.groupId, g.errorCode, g.groupState])).toEqual([
        ['stable', ErrorCode.CoordinatorLoadInProgress, ''],
        ['ghost', ErrorCode.CoordinatorLoadInProgress, ''],
      ]);
      expect(r.groups[0].errorMessage).not.toBeNull();
    } finally {
      h.broker.services.groups.groups.loading = false;
    }
  });
});
