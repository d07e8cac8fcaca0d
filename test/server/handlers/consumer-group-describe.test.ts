/**
 * ConsumerGroupDescribe v0-1, ListGroups v5 and DescribeGroups/DeleteGroups on consumer groups, and
 * the group.version feature in ApiVersions v3+.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultApiVersionsRequest } from '../../../src/protocol/generated/messages/api-versions.js';
import { defaultConsumerGroupHeartbeatRequest } from '../../../src/protocol/generated/messages/consumer-group-heartbeat.js';
import type { AdminHarness } from './admin-harness.js';
import { stableMember, startGroupHarness } from './group-harness.js';

let h: AdminHarness;
let topicId: string;
beforeAll(async () => {
  h = await startGroupHarness();
  await h.broker.services.metadata.createTopic({ name: 't', numPartitions: 2, replicationFactor: -1, configs: new Map(), validateOnly: false });
  topicId = h.broker.services.metadata.topic('t')!.topicId;
  const r = await h.call(ApiKey.ConsumerGroupHeartbeat, 1, {
    ...defaultConsumerGroupHeartbeatRequest(),
    groupId: 'cg',
    memberId: 'm',
    memberEpoch: 0,
    instanceId: 'inst',
    rackId: 'rack-a',
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['t'],
    serverAssignor: 'range',
    topicPartitions: [],
  });
  if (r.errorCode !== 0) throw new Error(`join failed ${r.errorCode}`);
  await stableMember(h, 'classic');
});
afterAll(async () => {
  await h.stop();
});

const describeReq = (groupIds: string[], includeAuthorizedOperations = false) => ({ groupIds, includeAuthorizedOperations, _unknownTaggedFields: undefined });

describe('ConsumerGroupDescribe', () => {
  it.each([0, 1])('v%i: state, epochs, assignor, members with their assignments', async (v) => {
    const r = await h.call(ApiKey.ConsumerGroupDescribe, v, describeReq(['cg'], true));
    const g = r.groups[0];
    expect(g).toMatchObject({ errorCode: 0, errorMessage: null, groupId: 'cg', groupState: 'Stable', groupEpoch: 1, assignmentEpoch: 1, assignorName: 'range', authorizedOperations: 328 });
    const tps = { topicPartitions: [{ topicId, topicName: 't', partitions: [0, 1], _unknownTaggedFields: undefined }], _unknownTaggedFields: undefined };
    expect(g.members).toEqual([
      {
        memberId: 'm',
        instanceId: 'inst',
        rackId: 'rack-a',
        memberEpoch: 1,
        clientId: 'harness',
        clientHost: '/test',
        subscribedTopicNames: ['t'],
        subscribedTopicRegex: null,
        assignment: tps,
        targetAssignment: tps,
        memberType: v >= 1 ? 1 : -1,
        _unknownTaggedFields: undefined,
      },
    ]);
  });

  it('GROUP_ID_NOT_FOUND for unknown and classic groups; INVALID_GROUP_ID for an empty id', async () => {
    const r = await h.call(ApiKey.ConsumerGroupDescribe, 1, describeReq(['nope', 'classic', '']));
    expect(r.groups.map((g) => [g.groupId, g.errorCode, g.errorMessage])).toEqual([
      ['nope', ErrorCode.GroupIdNotFound, 'Group nope not found.'],
      ['classic', ErrorCode.GroupIdNotFound, 'Group classic is not a consumer group.'],
      ['', ErrorCode.InvalidGroupId, null],
    ]);
    expect(r.groups[0].authorizedOperations).toBe(-2147483648);
  });
});

describe('the classic group APIs and consumer groups', () => {
  it('ListGroups v5: type "consumer", protocol type "consumer", and the types filter', async () => {
    const r = await h.call(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['consumer'], _unknownTaggedFields: undefined });
    expect(r.groups.map((g) => [g.groupId, g.protocolType, g.groupState, g.groupType])).toEqual([['cg', 'consumer', 'Stable', 'consumer']]);
    const classic = await h.call(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['classic'], _unknownTaggedFields: undefined });
    expect(classic.groups.map((g) => g.groupId)).toEqual(['classic']);
  });

  it('DescribeGroups v6: a consumer group is not a classic group; v5 describes it as Dead', async () => {
    const v6 = await h.call(ApiKey.DescribeGroups, 6, { groups: ['cg'], includeAuthorizedOperations: false, _unknownTaggedFields: undefined });
    expect(v6.groups[0]).toMatchObject({ errorCode: ErrorCode.GroupIdNotFound, errorMessage: 'Group cg is not a classic group.' });
    const v5 = await h.call(ApiKey.DescribeGroups, 5, { groups: ['cg'], includeAuthorizedOperations: false, _unknownTaggedFields: undefined });
    expect(v5.groups[0]).toMatchObject({ errorCode: 0, groupState: 'Dead', members: [] });
  });

  it('DeleteGroups: NON_EMPTY_GROUP while the consumer group has members', async () => {
    const r = await h.call(ApiKey.DeleteGroups, 2, { groupsNames: ['cg'], _unknownTaggedFields: undefined });
    expect(r.results[0]).toMatchObject({ groupId: 'cg', errorCode: ErrorCode.NonEmptyGroup });
  });
});

describe('ApiVersions features', () => {
  it('v3+: group.version finalized at level 1; v4 also lists it as supported 0-1', async () => {
    const v4 = await h.call(ApiKey.ApiVersions, 4, { ...defaultApiVersionsRequest(), clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    expect(v4.apiKeys.find((k) => k.apiKey === ApiKey.ConsumerGroupHeartbeat)).toMatchObject({ minVersion: 0, maxVersion: 1 });
    expect(v4.apiKeys.find((k) => k.apiKey === ApiKey.ConsumerGroupDescribe)).toMatchObject({ minVersion: 0, maxVersion: 1 });
    expect(v4.finalizedFeaturesEpoch).toBe(1n);
    expect(v4.finalizedFeatures).toEqual([{ name: 'group.version', maxVersionLevel: 1, minVersionLevel: 1, _unknownTaggedFields: undefined }]);
    expect(v4.supportedFeatures).toEqual([{ name: 'group.version', minVersion: 0, maxVersion: 1, _unknownTaggedFields: undefined }]);
    const v3 = await h.call(ApiKey.ApiVersions, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    expect(v3.supportedFeatures).toEqual([]);
    expect(v3.finalizedFeatures).toHaveLength(1);
  });
});
