/**
 * How this broker describes a topic's partitions to clients (Metadata, DescribeTopicPartitions):
 * one broker is the leader and the only replica of every partition, always in sync, never offline,
 * at the one leader epoch (leader-epoch.ts). Cluster mode will take these from the partition
 * leadership service instead.
 */
import { LEADER_EPOCH } from './leader-epoch.js';

export interface PartitionLayout {
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

/** Partitions [from, to) of a topic led by `nodeId`. */
export function partitionLayouts(nodeId: number, from: number, to: number): PartitionLayout[] {
  const out: PartitionLayout[] = [];
  for (let p = from; p < to; p++) {
    out.push({ partitionIndex: p, leaderId: nodeId, leaderEpoch: LEADER_EPOCH, replicaNodes: [nodeId], isrNodes: [nodeId], offlineReplicas: [] });
  }
  return out;
}
