/**
 * The consumer protocol pieces of GroupMember: Kafka's range assignor and the ConsumerProtocol
 * encoding of subscriptions and assignments, checked against KafkaJS's encoder and decoder (what
 * other members of a shared group write and read).
 */
import { describe, expect, it } from '@jest/globals';
import { AssignerProtocol } from 'kafkajs';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, rangeAssign } from '../../src/client/group.js';

describe('rangeAssign (Kafka RangeAssignor)', () => {
  const member = (memberId: string, topics: string[], groupInstanceId: string | null = null): { memberId: string; groupInstanceId: string | null; topics: string[] } => ({
    memberId,
    groupInstanceId,
    topics,
  });

  it('gives contiguous ranges, the extra partitions to the first members by id', () => {
    const plan = rangeAssign([member('c2', ['t']), member('c1', ['t']), member('c3', ['t'])], new Map([['t', 7]]));
    expect(plan.get('c1')!.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(plan.get('c2')!.map((p) => p.partition)).toEqual([3, 4]);
    expect(plan.get('c3')!.map((p) => p.partition)).toEqual([5, 6]);
  });

  it('assigns each topic among its own subscribers only', () => {
    const plan = rangeAssign([member('a', ['t1', 't2']), member('b', ['t2'])], new Map([['t1', 2], ['t2', 2]]));
    expect(plan.get('a')).toEqual([
      { topic: 't1', partition: 0 },
      { topic: 't1', partition: 1 },
      { topic: 't2', partition: 0 },
    ]);
    expect(plan.get('b')).toEqual([{ topic: 't2', partition: 1 }]);
  });

  it('leaves members without partitions when there are more members than partitions, and skips unknown topics', () => {
    const plan = rangeAssign([member('a', ['t', 'gone']), member('b', ['t'])], new Map([['t', 1]]));
    expect(plan.get('a')).toEqual([{ topic: 't', partition: 0 }]);
    expect(plan.get('b')).toEqual([]);
  });

  it('orders static members by their instance id', () => {
    const plan = rangeAssign([member('m1', ['t'], 'zz'), member('m2', ['t'], 'aa')], new Map([['t', 2]]));
    expect(plan.get('m2')).toEqual([{ topic: 't', partition: 0 }]);
    expect(plan.get('m1')).toEqual([{ topic: 't', partition: 1 }]);
  });
});

describe('ConsumerProtocol encoding', () => {
  it('writes subscriptions KafkaJS reads, and reads what KafkaJS writes', () => {
    const ours = encodeSubscription(['a', 'b'], [{ topic: 'a', partition: 1 }], 3);
    const decoded = AssignerProtocol.MemberMetadata.decode(ours)!;
    expect(decoded.topics).toEqual(['a', 'b']);
    expect(decoded.version).toBe(3);
    const theirs = AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['x', 'y'], userData: Buffer.alloc(0) });
    expect(decodeSubscription(theirs).topics).toEqual(['x', 'y']);
    expect(decodeSubscription(ours)).toMatchObject({ topics: ['a', 'b'], ownedPartitions: [{ topic: 'a', partitions: [1] }], generationId: 3 });
  });

  it('writes assignments KafkaJS reads, and reads what KafkaJS writes', () => {
    const ours = encodeAssignment([
      { topic: 't', partition: 2 },
      { topic: 't', partition: 0 },
      { topic: 'u', partition: 5 },
    ]);
    expect(AssignerProtocol.MemberAssignment.decode(ours)!.assignment).toEqual({ t: [0, 2], u: [5] });
    const theirs = AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { t: [1, 3] }, userData: Buffer.alloc(0) });
    expect(decodeAssignment(theirs)).toEqual([
      { topic: 't', partition: 1 },
      { topic: 't', partition: 3 },
    ]);
    // A member with nothing assigned may get an empty assignment.
    expect(decodeAssignment(Buffer.alloc(0))).toEqual([]);
  });
});
