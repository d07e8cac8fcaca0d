import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultFindCoordinatorRequest } from '../../../src/protocol/generated/messages/find-coordinator.js';
import type { AdminHarness } from './admin-harness.js';
import { startGroupHarness } from './group-harness.js';

let h: AdminHarness;
beforeAll(async () => {
  h = await startGroupHarness();
});
afterAll(async () => {
  await h.stop();
});

describe('FindCoordinator', () => {
  const self = () => ({ nodeId: h.broker.services.nodeId, host: h.broker.services.advertised.host, port: h.broker.port });

  it.each([0, 1, 2, 3])('v%i: this broker coordinates every group', async (v) => {
    const r = await h.call(ApiKey.FindCoordinator, v, { ...defaultFindCoordinatorRequest(), key: 'any-group' });
    expect(r).toMatchObject({ errorCode: 0, ...self() });
    if (v >= 1) expect(r.errorMessage).toBe('NONE');
  });

  it('v1+: transactional ids too', async () => {
    const r = await h.call(ApiKey.FindCoordinator, 1, { ...defaultFindCoordinatorRequest(), key: 'txn', keyType: 1 });
    expect(r).toMatchObject({ errorCode: 0, ...self() });
  });

  it.each([4, 5, 6])('v%i: one result per key', async (v) => {
    const r = await h.call(ApiKey.FindCoordinator, v, { ...defaultFindCoordinatorRequest(), keyType: 0, coordinatorKeys: ['a', 'b', ''] });
    expect(r.coordinators).toEqual(['a', 'b', ''].map((key) => ({ key, ...self(), errorCode: 0, errorMessage: 'NONE', _unknownTaggedFields: undefined })));
  });

  it('share groups (key type 2) and unknown key types are INVALID_REQUEST', async () => {
    const share = await h.call(ApiKey.FindCoordinator, 6, { ...defaultFindCoordinatorRequest(), keyType: 2, coordinatorKeys: ['g:x:0'] });
    expect(share.coordinators[0]).toMatchObject({ errorCode: ErrorCode.InvalidRequest, nodeId: -1, host: '', port: -1 });
    const bad = await h.call(ApiKey.FindCoordinator, 3, { ...defaultFindCoordinatorRequest(), key: 'g', keyType: 9 });
    expect(bad).toMatchObject({ errorCode: ErrorCode.InvalidRequest, errorMessage: 'Unknown coordinator type received: 9', nodeId: -1 });
  });
});
