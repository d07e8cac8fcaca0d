import { describe, expect, it } from '@jest/globals';
import { SingleBrokerView } from '../../src/metadata/cluster-view.js';
import type { Topic } from '../../src/metadata/metadata-store.js';

const topic = { name: 't', topicId: 'id', partitions: 3 } as unknown as Topic;

describe('single broker view', () => {
  const view = new SingleBrokerView({ nodeId: 3, host: 'h', port: 9092, rack: 'r1' });

  it('is the only broker and the controller', () => {
    expect(view.brokers()).toEqual([{ nodeId: 3, host: 'h', port: 9092, rack: 'r1' }]);
    expect(view.controllerId()).toBe(3);
  });

  it('makes this broker the leader, only replica and ISR of each partition, at leader epoch 0', () => {
    expect(view.partitionLayouts(topic, 1, 3)).toEqual([
      { partitionIndex: 1, leaderId: 3, leaderEpoch: 0, replicaNodes: [3], isrNodes: [3], offlineReplicas: [] },
      { partitionIndex: 2, leaderId: 3, leaderEpoch: 0, replicaNodes: [3], isrNodes: [3], offlineReplicas: [] },
    ]);
    expect(view.partitionLayouts(topic, 2, 2)).toEqual([]);
  });
});
