/**
 * How this broker describes the cluster to clients (Metadata, DescribeCluster,
 * DescribeTopicPartitions, FindCoordinator): the live brokers, the controller, and each partition's
 * leader, leader epoch, replicas and ISR.
 *
 * A single broker is the only broker, the controller, and the leader and only replica of every
 * partition, always in sync, never offline, in leader epoch 0 (SingleBrokerView). In cluster mode
 * the view is what the broker last saw of the cluster store.
 */
import type { Topic } from './metadata-store.js';

/** A broker as clients are told to reach it. */
export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionLayout {
  partitionIndex: number;
  /** -1 when the partition has no leader (Kafka's NO_LEADER; clients see LEADER_NOT_AVAILABLE). */
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

export interface ClusterView {
  /** The live brokers, by node id. */
  brokers(): readonly BrokerAddress[];
  /** The controller's node id, or -1 when there is none. */
  controllerId(): number;
  /** Partitions [from, to) of a topic. */
  partitionLayouts(topic: Topic, from: number, to: number): PartitionLayout[];
  /**
   * The broker that coordinates groups and transactions (FindCoordinator), or undefined when none
   * can now. Every key maps to the same broker, so group members and transactional producers that
   * ask different brokers meet at one coordinator.
   */
  coordinator(): BrokerAddress | undefined;
}

/** A single broker's view: this broker alone leads every partition, in epoch 0, forever. */
export class SingleBrokerView implements ClusterView {
  constructor(private readonly self: BrokerAddress) {}

  brokers(): readonly BrokerAddress[] {
    return [this.self];
  }

  controllerId(): number {
    return this.self.nodeId;
  }

  coordinator(): BrokerAddress {
    return this.self;
  }

  partitionLayouts(_topic: Topic, from: number, to: number): PartitionLayout[] {
    const nodeId = this.self.nodeId;
    const out: PartitionLayout[] = [];
    for (let p = from; p < to; p++) {
      out.push({ partitionIndex: p, leaderId: nodeId, leaderEpoch: 0, replicaNodes: [nodeId], isrNodes: [nodeId], offlineReplicas: [] });
    }
    return out;
  }
}
