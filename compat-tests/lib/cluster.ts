/**
 * A replicated cluster for the compat suite: the integration tests' TestCluster (etcd on loopback
 * and `gregor start` processes from dist/, killable and restartable on their data dirs), with the
 * compat brokers' settings, and what the scenarios ask of it through KafkaJS's admin as an operator's
 * tool would: who leads each partition, and whether every ISR is full again.
 */
import type { Admin } from 'kafkajs';
import { TestCluster } from '../../test/helpers/test-cluster.js';
import { COMPAT_BROKER_CONFIG } from './broker.js';

export { TestCluster };
export { until } from '../../test/helpers/kafkajs-txn.js';

/** `count` brokers with the compat suite's broker settings. */
export function startCluster(count: number): Promise<TestCluster> {
  return TestCluster.start(count, { ...COMPAT_BROKER_CONFIG });
}

export interface PartitionInfo {
  partitionId: number;
  leader: number;
  isr: number[];
}

export async function partitions(admin: Admin, topic: string): Promise<PartitionInfo[]> {
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  return meta.topics[0].partitions.map((p) => ({ partitionId: p.partitionId, leader: p.leader, isr: [...p.isr].sort() }));
}

/** Every partition of the topic led by a live broker with `size` replicas in sync. */
export async function settled(admin: Admin, topic: string, size: number): Promise<boolean> {
  try {
    return (await partitions(admin, topic)).every((p) => p.leader >= 0 && p.isr.length === size);
  } catch {
    return false;
  }
}

/** Every partition of the topic led by a broker other than `gone`. */
export async function ledWithout(admin: Admin, topic: string, gone: number): Promise<boolean> {
  try {
    return (await partitions(admin, topic)).every((p) => p.leader >= 0 && p.leader !== gone);
  } catch {
    return false;
  }
}
