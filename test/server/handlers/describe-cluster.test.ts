import { afterEach, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultDescribeClusterRequest, type DescribeClusterRequest } from '../../../src/protocol/generated/messages/describe-cluster.js';
import { startHarness, type AdminHarness } from './admin-harness.js';

let h: AdminHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const request = (extra: Partial<DescribeClusterRequest> = {}): DescribeClusterRequest => ({ ...defaultDescribeClusterRequest(), ...extra });

describe('DescribeCluster', () => {
  it('describes the cluster id, the controller and the one broker', async () => {
    h = await startHarness({ config: { 'broker.rack': 'r1' } });
    const s = h.broker.services;
    for (let version = 0; version <= 2; version++) {
      const r = await h.call(ApiKey.DescribeCluster, version, request({ includeFencedBrokers: version === 2 }));
      expect(r).toMatchObject({ errorCode: 0, errorMessage: null, clusterId: s.clusterId, controllerId: s.nodeId, clusterAuthorizedOperations: -2147483648 });
      expect(r.brokers).toEqual([expect.objectContaining({ brokerId: s.nodeId, host: s.advertised.host, port: h.broker.port, rack: 'r1', isFenced: false })]);
    }
  });

  it('reports the cluster authorized operations when asked', async () => {
    h = await startHarness();
    const r = await h.call(ApiKey.DescribeCluster, 1, request({ includeClusterAuthorizedOperations: true }));
    expect(r.clusterAuthorizedOperations).toBe(8096);
  });

  it('is a broker endpoint: MISMATCHED_ENDPOINT_TYPE for controllers, UNSUPPORTED_ENDPOINT_TYPE for others (v1+)', async () => {
    h = await startHarness();
    expect((await h.call(ApiKey.DescribeCluster, 1, request({ endpointType: 2 }))).errorCode).toBe(ErrorCode.MismatchedEndpointType);
    expect((await h.call(ApiKey.DescribeCluster, 2, request({ endpointType: 5 }))).errorCode).toBe(ErrorCode.UnsupportedEndpointType);
    const ok = await h.call(ApiKey.DescribeCluster, 1, request({ endpointType: 1 }));
    expect(ok).toMatchObject({ errorCode: 0, endpointType: 1 });
  });
});
