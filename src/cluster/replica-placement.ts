/**
 * Where the replicas of new partitions go (Kafka's AdminUtils.assignReplicasToBrokers, the
 * ZooKeeper-era placement), and the checks of an assignment a client gives itself.
 *
 * Without racks, the first replica of partition p is broker (start + p) mod n of the brokers sorted
 * by id, and the others follow at a shift that grows by one every n partitions, so the leaders and
 * followers of many partitions spread over every pair of brokers. Start and shift are random unless
 * fixed; new partitions of an existing topic fix them from partition 0's first replica and go on
 * numbering from the existing count, which continues the topic's pattern.
 *
 * When every broker has a `broker.rack`, the brokers are first listed alternating between racks
 * (rack a's first broker, rack b's first, ..., rack a's second, ...), the same walk runs over that
 * list, and a follower is skipped while it would put a second replica in a rack when another rack
 * has none, or a second replica on a broker when another broker has none. Brokers without a rack
 * next to brokers with one are placed as if no broker had a rack (Kafka's "safe" rack mode).
 *
 * Results are Kafka's error codes and messages, not exceptions. The checks of a client's own
 * assignment are in metadata/topic-request-checks.ts, shared with the single broker.
 */
import { replicationFactorProblem } from '../metadata/topic-request-checks.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { mustGet } from '../util/must-get.js';

export interface PlacementBroker {
  nodeId: number;
  rack: string | null;
}

export type PlacementResult =
  | { errorCode: typeof ErrorCode.None; assignment: number[][] }
  | { errorCode: number; errorMessage: string };

export interface PlacementOptions {
  /** A number in [0, 1), as Math.random (the default); picks the start and shift. */
  random?: () => number;
  /** Fixes both the start index and the shift (new partitions of an existing topic). */
  fixedStartIndex?: number;
  /** The id of the first partition placed (existing partitions count). */
  startPartitionId?: number;
}

const failed = (errorCode: number, errorMessage: string): PlacementResult => ({ errorCode, errorMessage });

/** Replicas for `partitions` new partitions, `replicationFactor` each, over `brokers` (the live ones). */
export function assignReplicas(
  brokers: readonly PlacementBroker[],
  partitions: number,
  replicationFactor: number,
  options: PlacementOptions = {},
): PlacementResult {
  if (partitions <= 0) return failed(ErrorCode.InvalidPartitions, 'Number of partitions must be larger than 0.');
  if (replicationFactor <= 0) return failed(ErrorCode.InvalidReplicationFactor, 'Replication factor must be larger than 0.');
  if (replicationFactor > brokers.length) {
    return replicationFactorProblem(replicationFactor, brokers.length);
  }
  const sorted = [...brokers].sort((a, b) => a.nodeId - b.nodeId);
  const random = options.random ?? Math.random;
  const pick = (n: number): number => options.fixedStartIndex ?? Math.min(n - 1, Math.floor(random() * n));
  const firstPartition = Math.max(0, options.startPartitionId ?? 0);
  // Without racks every broker counts as one rack: the walk is then the plain one, no follower skipped.
  const racked = sorted.every((b) => b.rack !== null);
  const rackOf = new Map(sorted.map((b) => [b.nodeId, racked ? (b.rack ?? '') : '']));
  return { errorCode: ErrorCode.None, assignment: place(rackOf, partitions, replicationFactor, firstPartition, pick) };
}

/**
 * Replicas for the partitions added to a topic so its count becomes `count`, continuing the pattern
 * of `existing` (Kafka's AdminZkClient.addPartitions): the factor of partition 0, the start at the
 * first broker whose id is not below partition 0's first replica.
 */
export function assignAddedPartitions(
  brokers: readonly PlacementBroker[],
  existing: readonly (readonly number[])[],
  count: number,
): PlacementResult {
  const first = existing.at(0);
  if (!first) return failed(ErrorCode.InvalidPartitions, 'The topic has no partitions to continue from.');
  const sortedIds = brokers.map((b) => b.nodeId).sort((a, b) => a - b);
  const preferred = first[0];
  const startIndex = Math.max(0, sortedIds.findIndex((id) => id >= preferred));
  return assignReplicas(brokers, count - existing.length, first.length, {
    fixedStartIndex: startIndex,
    startPartitionId: existing.length,
  });
}

/** The index of the (j+2)-th replica: the first replica moved on by 1 + (shift + j) mod (n - 1). */
function replicaIndex(firstReplicaIndex: number, shift: number, j: number, n: number): number {
  return (firstReplicaIndex + 1 + ((shift + j) % (n - 1))) % n;
}

/** The walk of the header over the rack-alternated list, skipping followers that would crowd a rack or broker. */
function place(
  rackOf: ReadonlyMap<number, string>,
  partitions: number,
  replicationFactor: number,
  firstPartition: number,
  pick: (n: number) => number,
): number[][] {
  const arranged = rackAlternatedList(rackOf);
  const numRacks = new Set(rackOf.values()).size;
  const n = arranged.length;
  const startIndex = pick(n);
  let shift = pick(n);
  const out: number[][] = [];
  for (let p = firstPartition; p < firstPartition + partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + startIndex) % n;
    const leader = arranged[first];
    const replicas = [leader];
    const racksUsed = new Set([mustGet(rackOf, leader)]);
    const brokersUsed = new Set([leader]);
    let k = 0;
    for (let r = 0; r < replicationFactor - 1; r++) {
      for (;;) {
        const broker = arranged[replicaIndex(first, shift * numRacks, k, n)];
        const rack = mustGet(rackOf, broker);
        k++;
        const rackOk = !racksUsed.has(rack) || racksUsed.size === numRacks;
        const brokerOk = !brokersUsed.has(broker) || brokersUsed.size === n;
        if (rackOk && brokerOk) {
          replicas.push(broker);
          racksUsed.add(rack);
          brokersUsed.add(broker);
          break;
        }
      }
    }
    out.push(replicas);
  }
  return out;
}

/** The brokers taken one per rack in turn, racks in name order, brokers of a rack in id order. */
function rackAlternatedList(rackOf: ReadonlyMap<number, string>): number[] {
  const byRack = new Map<string, number[]>();
  for (const [id, rack] of rackOf) {
    const list = byRack.get(rack);
    if (list) list.push(id);
    else byRack.set(rack, [id]);
  }
  const racks = [...byRack.keys()].sort();
  for (const list of byRack.values()) list.sort((a, b) => a - b);
  const out: number[] = [];
  for (let round = 0; out.length < rackOf.size; round++) {
    for (const rack of racks) {
      const id = mustGet(byRack, rack).at(round);
      if (id !== undefined) out.push(id);
    }
  }
  return out;
}
