import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import type { AdminHarness } from './admin-harness.js';
import { stableMember, startGroupHarness } from './group-harness.js';

let h: AdminHarness;
beforeAll(async () => {
  h = await startGroupHarness();
});
afterAll(async () => {
  await h.stop();
});

describe('DeleteGroups', () => {
  it.each([0, 1, 2])('v%i: empty groups are deleted, others answer NON_EMPTY_GROUP or GROUP_ID_NOT_FOUND', async (v) => {
    const empty = `empty-${v}`;
    const busy = `busy-${v}`;
    expect(await h.broker.services.groups.commitOffsets({ groupId: empty, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, partitions: [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] })).toEqual([0]);
    await stableMember(h, busy);
    const r = await h.call(ApiKey.DeleteGroups, v, { groupsNames: [empty, busy, 'ghost', empty], _unknownTaggedFields: undefined });
    expect(r.results.map((x) => [x.groupId, x.errorCode])).toEqual([
      [empty, 0],
      [busy, ErrorCode.NonEmptyGroup],
      ['ghost', ErrorCode.GroupIdNotFound],
    ]);
    expect(h.broker.services.groups.describeGroup(empty).exists).toBe(false);
  });
});
