import { describe, expect, it } from '@jest/globals';
import type { BrokerAddress, ClusterView, PartitionLayout } from '../../src/metadata/cluster-view.js';
import type { MetadataStore, Topic } from '../../src/metadata/metadata-store.js';
import { LeaderHints } from '../../src/server/leader-hints.js';

const topic = { name: 'orders', topicId: 'id', partitions: 2 } as unknown as Topic;
const brokers: BrokerAddress[] = [
  { nodeId: 1, host: 'a', port: 9092, rack: null },
  { nodeId: 2, host: 'b', port: 9093, rack: 'r2' },
  { nodeId: 3, host: 'c', port: 9094, rack: null },
];
const leaders = [2, -1];

const cluster: ClusterView = {
  brokers: () => brokers,
  controllerId: () => 1,
  coordinator: () => brokers[0],
  partitionLayouts: (_t, from, to): PartitionLayout[] =>
    Array.from({ length: to - from }, (_, i) => ({ partitionIndex: from + i, leaderId: leaders[from + i], leaderEpoch: 7, replicaNodes: [1, 2, 3], isrNodes: [1, 2], offlineReplicas: [] })),
};
const metadata = {
  topic: (name: string) => (name === 'orders' ? topic : undefined),
  topicById: (id: string) => (id === 'id' ? topic : undefined),
} as unknown as MetadataStore;
const byName = (name: string) => ({ name, topicId: '' });

describe('leader hints (KIP-951)', () => {
  it('names the leader and epoch of a moved partition, and the endpoints of the leaders named', () => {
    const hints = new LeaderHints({ metadata, cluster });
    expect(hints.leaderOf(byName('orders'), 0)).toEqual({ leaderId: 2, leaderEpoch: 7 });
    // A response to a request by topic id names the topic by id only.
    expect(hints.leaderOf({ name: '', topicId: 'id' }, 0)).toEqual({ leaderId: 2, leaderEpoch: 7 });
    expect(hints.endpoints()).toEqual([{ nodeId: 2, host: 'b', port: 9093, rack: 'r2', _unknownTaggedFields: undefined }]);
  });

  it('names nothing for a partition without a leader, an unknown topic or partition', () => {
    const hints = new LeaderHints({ metadata, cluster });
    expect(hints.leaderOf(byName('orders'), 1)).toBeNull();
    expect(hints.leaderOf(byName('orders'), 2)).toBeNull();
    expect(hints.leaderOf(byName('missing'), 0)).toBeNull();
    expect(hints.leaderOf({ name: '', topicId: 'other' }, 0)).toBeNull();
    expect(hints.endpoints()).toEqual([]);
  });
});
