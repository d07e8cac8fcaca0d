/**
 * A partition's replication state as the cluster records it (Kafka's LeaderAndIsr / PartitionRecord):
 * which broker leads it in which leader epoch, which replicas are in sync, and every replica
 * assigned. The controller changes the leader; the leader changes the ISR; both write by
 * compare-and-swap on `version`, so neither overwrites a state it has not seen.
 */

/** Kafka's NO_LEADER: no replica of the ISR is alive (and unclean election is off). */
export const NO_LEADER = -1;

export interface PartitionState {
  /** Broker id of the leader, or NO_LEADER. */
  leader: number;
  /** Bumped by every leader change; stamped into each batch the leader appends. */
  leaderEpoch: number;
  /** In-sync replicas, leader included. */
  isr: number[];
  /** Every assigned replica, preferred leader first. */
  replicas: number[];
  /**
   * The version of this state in the cluster store (etcd's mod revision of its key; Kafka's partition
   * epoch / znode version). A compare-and-swap update names the version it read.
   */
  version: bigint;
}
