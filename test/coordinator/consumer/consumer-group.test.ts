/**
 * The consumer group model rebuilt from its records: members, static members, target assignment,
 * partition owners and the derived state; snapshots and tombstones.
 */
import { describe, expect, it } from '@jest/globals';
import { ConsumerGroup, memberTombstones } from '../../../src/coordinator/consumer/consumer-group.js';
import type { ConsumerGroupRecord } from '../../../src/coordinator/records.js';

const member = (memberId: string, instanceId: string | null = null): ConsumerGroupRecord => ({
  type: 'cg-member',
  group: 'g',
  memberId,
  value: { instanceId, rackId: null, clientId: 'c', clientHost: '/h', subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, rebalanceTimeoutMs: 1000 },
});
const current = (memberId: string, memberEpoch: number, partitions: number[], state = 'stable'): ConsumerGroupRecord => ({
  type: 'cg-current',
  group: 'g',
  memberId,
  value: { memberEpoch, previousMemberEpoch: memberEpoch - 1, state, assignedPartitions: [{ topicId: 'T', partitions }], partitionsPendingRevocation: [] },
});

function build(records: ConsumerGroupRecord[]): ConsumerGroup {
  const g = new ConsumerGroup('g');
  for (const r of records) g.replay(r);
  return g;
}

describe('ConsumerGroup replay', () => {
  it('derives Empty, Assigning, Reconciling and Stable', () => {
    const g = build([{ type: 'cg-epoch', group: 'g', value: { epoch: 2, metadataHash: 'h' } }]);
    expect(g.state).toBe('Empty');
    g.replay(member('a'));
    expect(g.state).toBe('Assigning');
    g.replay({ type: 'cg-target-epoch', group: 'g', value: { assignmentEpoch: 2 } });
    expect(g.state).toBe('Reconciling');
    g.replay(current('a', 2, [0, 1]));
    expect(g.state).toBe('Stable');
    g.replay(current('a', 2, [0], 'unreleased_partitions'));
    expect(g.state).toBe('Reconciling');
  });

  it('tracks partition owners and subscriptions, and forgets them with the member', () => {
    const g = build([member('a', 'A'), current('a', 3, [0, 1])]);
    expect(g.currentPartitionEpoch('T', 1)).toBe(3);
    expect(g.currentPartitionEpoch('T', 2)).toBe(-1);
    expect(g.staticMember('A')?.memberId).toBe('a');
    expect(g.isSubscribedToTopicName('t')).toBe(true);
    for (const r of memberTombstones('g', 'a')) g.replay(r);
    expect(g.members.size).toBe(0);
    expect(g.currentPartitionEpoch('T', 1)).toBe(-1);
    expect(g.staticMember('A')).toBeUndefined();
    expect(g.isSubscribedToTopicName('t')).toBe(false);
  });

  it('snapshot records rebuild the same group; tombstones kill it', () => {
    const g = build([
      { type: 'cg-epoch', group: 'g', value: { epoch: 4, metadataHash: 'h' } },
      member('a'),
      member('b', 'B'),
      { type: 'cg-target-member', group: 'g', memberId: 'a', value: { topicPartitions: [{ topicId: 'T', partitions: [0] }] } },
      { type: 'cg-target-member', group: 'g', memberId: 'b', value: { topicPartitions: [{ topicId: 'T', partitions: [1] }] } },
      { type: 'cg-target-epoch', group: 'g', value: { assignmentEpoch: 4 } },
      current('a', 4, [0]),
      current('b', 4, [1]),
    ]);
    const copy = build(g.snapshotRecords());
    expect(copy.snapshotRecords()).toEqual(g.snapshotRecords());
    expect(copy.state).toBe('Stable');
    const empty = build([{ type: 'cg-epoch', group: 'g', value: { epoch: 1, metadataHash: '' } }]);
    for (const r of empty.tombstoneRecords()) empty.replay(r);
    expect(empty.state).toBe('Dead');
  });
});
