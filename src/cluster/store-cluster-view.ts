/**
 * The cluster view (metadata/cluster-view.ts) of a broker in cluster mode: the live brokers, the
 * controller and each partition's leader, leader epoch, replicas and ISR as this broker last saw
 * them in the cluster store. A replica whose broker is not registered is offline, as Kafka reports
 * it; a partition whose state has not arrived yet has no leader.
 */
import type { BrokerAddress, ClusterView, PartitionLayout } from '../metadata/cluster-view.js';
import type { Topic } from '../metadata/metadata-store.js';
import { NO_LEADER } from '../metadata/partition-state.js';
import type { ClusterState } from './cluster-state.js';

/** A registration as clients are told it (without its epoch). */
const address = ({ nodeId, host, port, rack }: BrokerAddress): BrokerAddress => ({ nodeId, host, port, rack });

export class StoreClusterView implements ClusterView {
  constructor(private readonly state: ClusterState) {}

  brokers(): readonly BrokerAddress[] {
    return this.state.brokers().map(address);
  }

  controllerId(): number {
    return this.state.controller()?.nodeId ?? -1;
  }

  /**
   * The controller's broker. Coordinator state is kept on the broker that runs it (its own state
   * logs), not yet in a replicated internal topic, so one broker coordinates every group and
   * transaction, and the role moves with the controller.
   */
  coordinator(): BrokerAddress | undefined {
    const controller = this.state.controller();
    const broker = controller ? this.state.broker(controller.nodeId) : undefined;
    return broker ? address(broker) : undefined;
  }

  partitionLayouts(topic: Topic, from: number, to: number): PartitionLayout[] {
    const assignment = this.state.topic(topic.name)?.assignment ?? [];
    const out: PartitionLayout[] = [];
    for (let p = from; p < to; p++) {
      const s = this.state.partitionState(topic.name, p);
      const replicaNodes = s?.replicas ?? (p < assignment.length ? assignment[p] : []);
      out.push({
        partitionIndex: p,
        leaderId: s?.leader ?? NO_LEADER,
        leaderEpoch: s?.leaderEpoch ?? -1,
        replicaNodes: [...replicaNodes],
        isrNodes: [...(s?.isr ?? [])],
        offlineReplicas: replicaNodes.filter((id) => !this.state.isAlive(id)),
      });
    }
    return out;
  }
}
