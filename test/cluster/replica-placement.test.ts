/**
 * Replica placement as Kafka's AdminUtils places replicas; the expected tables are worked out by
 * hand from Kafka's rules (start index, shift growing every n partitions, rack alternation).
 */
import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { assignAddedPartitions, assignReplicas, type PlacementBroker, type PlacementResult } from '../../src/cluster/replica-placement.js';

const noRack = (...ids: number[]): PlacementBroker[] => ids.map((nodeId) => ({ nodeId, rack: null }));

function assignment(r: PlacementResult): number[][] {
  if (!('assignment' in r)) throw new Error(`placement failed: ${r.errorMessage}`);
  return r.assignment;
}

describe('without racks', () => {
  it('walks the brokers round-robin from the start index, the followers at a shift that grows every n partitions', () => {
    // Kafka's AdminUtilsTest table for 5 brokers, 10 partitions, factor 3, fixed start 0.
    expect(assignment(assignReplicas(noRack(0, 1, 2, 3, 4), 10, 3, { fixedStartIndex: 0 }))).toEqual([
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
      [0, 2, 3],
      [1, 3, 4],
      [2, 4, 0],
      [3, 0, 1],
      [4, 1, 2],
    ]);
  });

  it('takes start and shift from the injected random source, over the brokers sorted by id', () => {
    // random 0.5 over 3 brokers: start index 1 and shift 1.
    expect(assignment(assignReplicas(noRack(30, 10, 20), 4, 2, { random: () => 0.5 }))).toEqual([
      [20, 10],
      [30, 20],
      [10, 30],
      [20, 30],
    ]);
  });

  it('never puts two replicas of a partition on one broker and spreads leaders evenly', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const placed = assignment(assignReplicas(noRack(1, 2, 3, 4, 5, 6), 60, 3, { random }));
    for (const replicas of placed) expect(new Set(replicas).size).toBe(3);
    const leaders = new Map<number, number>();
    for (const [leader] of placed) leaders.set(leader, (leaders.get(leader) ?? 0) + 1);
    expect([...leaders.values()]).toEqual([10, 10, 10, 10, 10, 10]);
  });

  it('answers INVALID_REPLICATION_FACTOR with Kafka message when the factor exceeds the brokers', () => {
    expect(assignReplicas(noRack(1, 2), 3, 3)).toEqual({
      errorCode: ErrorCode.InvalidReplicationFactor,
      errorMessage: 'Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 2 broker(s) are registered.',
    });
    expect(assignReplicas(noRack(1, 2), 3, 0)).toMatchObject({ errorCode: ErrorCode.InvalidReplicationFactor });
    expect(assignReplicas(noRack(1, 2), 0, 1)).toMatchObject({ errorCode: ErrorCode.InvalidPartitions });
  });
});

describe('with racks', () => {
  it('alternates racks in the broker list and puts each partition in as many racks as it can', () => {
    const brokers: PlacementBroker[] = [
      { nodeId: 0, rack: 'rack1' },
      { nodeId: 1, rack: 'rack3' },
      { nodeId: 2, rack: 'rack3' },
      { nodeId: 3, rack: 'rack2' },
      { nodeId: 4, rack: 'rack2' },
      { nodeId: 5, rack: 'rack1' },
    ];
    // Rack-alternated list: 0 (rack1), 3 (rack2), 1 (rack3), 5 (rack1), 4 (rack2), 2 (rack3).
    const placed = assignment(assignReplicas(brokers, 6, 3, { fixedStartIndex: 2 }));
    expect(placed).toEqual([
      [1, 4, 0],
      [5, 2, 3],
      [4, 0, 1],
      [2, 3, 5],
      [0, 1, 4],
      [3, 5, 2],
    ]);
    const rackOf = new Map(brokers.map((b) => [b.nodeId, b.rack]));
    for (const replicas of placed) expect(new Set(replicas.map((id) => rackOf.get(id))).size).toBe(3);
  });

  it('with fewer racks than replicas, fills every rack before repeating one', () => {
    const brokers: PlacementBroker[] = [
      { nodeId: 1, rack: 'a' },
      { nodeId: 2, rack: 'a' },
      { nodeId: 3, rack: 'b' },
      { nodeId: 4, rack: 'b' },
    ];
    const placed = assignment(assignReplicas(brokers, 8, 3, { random: () => 0.3 }));
    const rackOf = new Map(brokers.map((b) => [b.nodeId, b.rack]));
    for (const replicas of placed) {
      expect(new Set(replicas).size).toBe(3);
      expect(new Set(replicas.map((id) => rackOf.get(id))).size).toBe(2);
    }
  });

  it('places as if there were no racks when only some brokers have one', () => {
    const brokers: PlacementBroker[] = [
      { nodeId: 0, rack: 'a' },
      { nodeId: 1, rack: null },
      { nodeId: 2, rack: 'b' },
    ];
    expect(assignment(assignReplicas(brokers, 3, 2, { fixedStartIndex: 0 }))).toEqual(
      assignment(assignReplicas(noRack(0, 1, 2), 3, 2, { fixedStartIndex: 0 })),
    );
  });
});

describe('new partitions of an existing topic', () => {
  it('continue the leaders from partition 0 first replica and the existing count', () => {
    const brokers = noRack(0, 1, 2, 3, 4);
    const all = assignment(assignReplicas(brokers, 10, 3, { fixedStartIndex: 0 }));
    const added = assignment(assignAddedPartitions(brokers, all.slice(0, 6), 10));
    expect(added.map((r) => r[0])).toEqual(all.slice(6).map((r) => r[0]));
    // As in Kafka, the shift restarts from the fixed start (0) rather than the one partition 5 reached.
    expect(added).toEqual([
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
    ]);
  });

  it('start at the first broker not below partition 0 first replica', () => {
    // Partition 0 led by 3, which is gone: start index 2 (broker 4, the next id up), shift 2.
    expect(assignment(assignAddedPartitions(noRack(1, 2, 4, 5), [[3, 1]], 3))).toEqual([
      [5, 4],
      [1, 5],
    ]);
  });

  it('keep the factor of the existing partitions', () => {
    expect(assignAddedPartitions(noRack(1, 2), [[1, 2, 3]], 2)).toMatchObject({ errorCode: ErrorCode.InvalidReplicationFactor });
  });
});
