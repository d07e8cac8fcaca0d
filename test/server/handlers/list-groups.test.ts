import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import type { AdminHarness } from './admin-harness.js';
import { joinRequest, stableMember, startGroupHarness } from './group-harness.js';

let h: AdminHarness;
beforeAll(async () => {
  h = await startGroupHarness();
  await stableMember(h, 'stable');
  await h.call(ApiKey.JoinGroup, 3, joinRequest({ groupId: 'connect', protocolType: 'connect' }));
  await h.broker.services.groups.commitOffsets({ groupId: 'simple', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, partitions: [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] });
});
afterAll(async () => {
  await h.stop();
});

const filters = (statesFilter: string[] = [], typesFilter: string[] = []) => ({ statesFilter, typesFilter, _unknownTaggedFields: undefined });
const summary = (r: { groups: { groupId: string; protocolType: string; groupState: string; groupType: string }[] }) =>
  r.groups.map((g) => [g.groupId, g.protocolType, g.groupState, g.groupType]).sort((a, b) => (a[0] < b[0] ? -1 : 1));

describe('ListGroups', () => {
  it.each([0, 1, 2, 3])('v%i: every group with its protocol type', async (v) => {
    const r = await h.call(ApiKey.ListGroups, v, filters());
    expect(r.errorCode).toBe(0);
    expect(r.groups.map((g) => [g.groupId, g.protocolType]).sort()).toEqual([
      ['connect', 'connect'],
      ['simple', ''],
      ['stable', 'consumer'],
    ]);
  });

  it('v4: states, and the states filter', async () => {
    expect(summary(await h.call(ApiKey.ListGroups, 4, filters()))).toEqual([
      ['connect', 'connect', 'CompletingRebalance', ''],
      ['simple', '', 'Empty', ''],
      ['stable', 'consumer', 'Stable', ''],
    ]);
    expect(summary(await h.call(ApiKey.ListGroups, 4, filters(['Stable', 'empty']))).map((g) => g[0])).toEqual(['simple', 'stable']);
  });

  it('v5: types ("classic"), and the types filter', async () => {
    expect(summary(await h.call(ApiKey.ListGroups, 5, filters())).map((g) => g[3])).toEqual(['classic', 'classic', 'classic']);
    expect((await h.call(ApiKey.ListGroups, 5, filters([], ['classic']))).groups).toHaveLength(3);
    expect((await h.call(ApiKey.ListGroups, 5, filters([], ['consumer', 'share']))).groups).toHaveLength(0);
  });
});
