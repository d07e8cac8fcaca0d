/**
 * The follower side of replication on one broker (Kafka's ReplicaFetcherManager over
 * AbstractFetcherManager): which fetcher follows which partition.
 *
 * Each leader gets up to `num.replica.fetchers` fetchers, each with its own connection; a partition
 * goes to fetcher `abs(31 * hash(topic) + partition) % num.replica.fetchers` of its leader (Kafka's
 * getFetcherId, Java's String.hashCode), so partitions of one leader share connections and a
 * partition keeps its fetcher. Adding a partition that another leader's fetcher follows moves it;
 * a fetcher left without partitions is shut down (Kafka's shutdownIdleFetcherThreads). Stopping the
 * manager stops every fetcher and closes their connections.
 */
import type { BrokerAddress } from '../cluster/cluster-store.js';
import type { Clock } from '../util/clock.js';
import { javaStringHash } from '../util/java-string-hash.js';
import type { Logger } from '../util/logger.js';
import { partitionKey, ReplicaFetcher, type FollowedPartition } from './replica-fetcher.js';
import type { ReplicationSettings } from './replication-settings.js';

export interface ReplicaFetcherManagerOptions {
  /** This broker's id. */
  nodeId: number;
  /** A broker's address by id, as registered; undefined while unknown. */
  brokerAddress: (nodeId: number) => BrokerAddress | undefined;
  /** This broker's epoch (its registration's), sent in ReplicaState; -1 when there is none. */
  brokerEpoch?: () => bigint;
  /** The highest version to use per api key (Kafka's inter.broker.protocol.version); none by default. */
  versionCaps?: Readonly<Partial<Record<number, number>>>;
  settings: ReplicationSettings;
  clock: Clock;
  logger: Logger;
}

/** Kafka's getFetcherId. */
export function fetcherIdFor(topic: string, partition: number, numFetchers: number): number {
  const h = (Math.imul(31, javaStringHash(topic)) + partition) | 0;
  return (h === -0x80000000 ? 0 : Math.abs(h)) % numFetchers;
}

export class ReplicaFetcherManager {
  private readonly fetchers = new Map<string, ReplicaFetcher>();
  /** Which fetcher follows each partition. */
  private readonly assigned = new Map<string, ReplicaFetcher>();
  private readonly stopping = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: ReplicaFetcherManagerOptions) {}

  /** The fetchers running, for inspection. */
  get fetcherCount(): number {
    return this.fetchers.size;
  }

  /** The fetcher following a partition, if any. */
  fetcherOf(topic: string, partition: number): ReplicaFetcher | undefined {
    return this.assigned.get(partitionKey(topic, partition));
  }

  /** Follows the partitions from `leaderId` (their leader in their `leaderEpoch`). */
  async addPartitions(leaderId: number, partitions: readonly FollowedPartition[]): Promise<void> {
    if (this.closed) return;
    const moved = partitions.filter((p) => {
      const current = this.assigned.get(partitionKey(p.replica.topic, p.replica.partition));
      return current !== undefined && current.leaderId !== leaderId;
    });
    if (moved.length > 0) {
      await this.removePartitions(moved.map((p) => p.replica));
      // The manager may have been stopped meanwhile.
      if (this.isClosed()) return;
    }
    const byFetcher = new Map<ReplicaFetcher, FollowedPartition[]>();
    for (const p of partitions) {
      const fetcher = this.fetcherFor(leaderId, fetcherIdFor(p.replica.topic, p.replica.partition, this.options.settings.numFetchers));
      this.assigned.set(partitionKey(p.replica.topic, p.replica.partition), fetcher);
      const list = byFetcher.get(fetcher);
      if (list === undefined) byFetcher.set(fetcher, [p]);
      else list.push(p);
    }
    for (const [fetcher, list] of byFetcher) fetcher.addPartitions(list);
  }

  /** Stops following the partitions; resolves once no fetcher applies anything to them. */
  async removePartitions(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    const byFetcher = new Map<ReplicaFetcher, { topic: string; partition: number }[]>();
    for (const p of partitions) {
      const key = partitionKey(p.topic, p.partition);
      const fetcher = this.assigned.get(key);
      if (fetcher === undefined) continue;
      this.assigned.delete(key);
      const list = byFetcher.get(fetcher);
      if (list === undefined) byFetcher.set(fetcher, [{ topic: p.topic, partition: p.partition }]);
      else list.push({ topic: p.topic, partition: p.partition });
    }
    await Promise.all([...byFetcher].map(([fetcher, list]) => fetcher.removePartitions(list)));
    for (const fetcher of byFetcher.keys()) {
      if (fetcher.partitionCount === 0) this.retire(fetcher);
    }
  }

  /** Stops every fetcher and closes their connections. */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.assigned.clear();
    for (const f of [...this.fetchers.values()]) this.retire(f);
    await Promise.all([...this.stopping]);
  }

  private isClosed(): boolean {
    return this.closed;
  }

  private fetcherFor(leaderId: number, fetcherId: number): ReplicaFetcher {
    const key = `${String(leaderId)}:${String(fetcherId)}`;
    let fetcher = this.fetchers.get(key);
    if (fetcher === undefined) {
      const { nodeId, brokerAddress, settings, clock, logger } = this.options;
      fetcher = new ReplicaFetcher({
        nodeId,
        leaderId,
        fetcherId,
        leaderAddress: () => brokerAddress(leaderId),
        brokerEpoch: this.options.brokerEpoch ?? (() => -1n),
        settings,
        clock,
        logger,
        ...(this.options.versionCaps === undefined ? {} : { versionCaps: this.options.versionCaps }),
      });
      this.fetchers.set(key, fetcher);
      fetcher.start();
    }
    return fetcher;
  }

  private retire(fetcher: ReplicaFetcher): void {
    const key = `${String(fetcher.leaderId)}:${String(fetcher.fetcherId)}`;
    if (this.fetchers.get(key) !== fetcher) return;
    this.fetchers.delete(key);
    const stopped = fetcher.shutdown().finally(() => { this.stopping.delete(stopped); });
    this.stopping.add(stopped);
  }
}
