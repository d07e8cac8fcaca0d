import { describe, expect, it } from '@jest/globals';
import { partitionLayouts } from '../../src/partition/topic-layout.js';

describe('topic layout', () => {
  it('makes this broker the leader, only replica and ISR of each partition, at leader epoch 0', () => {
    expect(partitionLayouts(3, 1, 3)).toEqual([
      { partitionIndex: 1, leaderId: 3, leaderEpoch: 0, replicaNodes: [3], isrNodes: [3], offlineReplicas: [] },
      { partitionIndex: 2, leaderId: 3, leaderEpoch: 0, replicaNodes: [3], isrNodes: [3], offlineReplicas: [] },
    ]);
    expect(partitionLayouts(1, 2, 2)).toEqual([]);
  });

});
