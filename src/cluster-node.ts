/**
 * Cluster mode's parts on one broker, as Broker.start wires them when metadata.etcd.endpoints is set
 * (docs/architecture.md, "Cluster mode"):
 *
 * - the cluster store on etcd and this broker's ClusterState fed by its watch;
 * - the cluster-mode metadata store (topics from the state, local logs for this broker's replicas,
 *   topic changes through the controller) and the cluster view clients are told;
 * - producer id blocks reserved in the store, so no two brokers hand out one id;
 * - the member: registration, the states of this broker's replicas applied to its partitions, the
 *   controller campaign and, while elected, the controller;
 * - the replica fetchers, told by the partition layer's role changes which leader each follower
 *   partition fetches from;
 * - on a graceful stop, Kafka's controlled shutdown: this broker stops fetching, moves the
 *   leadership of its partitions to other in-sync replicas and leaves every ISR, then unregisters.
 *
 * Open it before the partition manager (which takes `alterIsr`), `attach` the partition manager,
 * `watch` before the listener opens, and `join` once it accepts.
 */
import type { ResolvedBrokerConfig } from './config/broker-config.js';
import { ClusterMember } from './cluster/cluster-member.js';
import { ClusterMetadataStore } from './cluster/cluster-metadata-store.js';
import { ClusterState } from './cluster/cluster-state.js';
import { StaleVersionError, type ClusterStore } from './cluster/cluster-store.js';
import { ControllerElection } from './cluster/controller-election.js';
import { ControllerChannel } from './cluster/controller-channel.js';
import { EtcdClusterStore } from './cluster/etcd-cluster-store.js';
import { controlledShutdownChange } from './cluster/leader-election.js';
import { StoreClusterView } from './cluster/store-cluster-view.js';
import { ControllerTopicChanges } from './cluster/topic-changes.js';
import type { BrokerAddress } from './metadata/cluster-view.js';
import { NO_LEADER, type PartitionState } from './metadata/partition-state.js';
import type { ProducerIdBlocks } from './metadata/producer-ids.js';
import type { PartitionManager } from './partition/partition-manager.js';
import { ZERO_UUID } from './protocol/reader.js';
import { ReplicaFetcherManager } from './replication/replica-fetcher-manager.js';
import { replicationSettingsFrom } from './replication/replication-settings.js';
import type { LogManager } from './storage/log-manager.js';
import type { Clock } from './util/clock.js';
import type { Logger } from './util/logger.js';

/** How often a graceful stop retries moving a leadership whose compare-and-swap lost. */
const SHUTDOWN_CAS_ATTEMPTS = 10;
/** How long forwarded controller requests may take, retries included. */
const CONTROLLER_REQUEST_TIMEOUT_MS = 30_000;

export interface ClusterNodeOptions {
  config: ResolvedBrokerConfig;
  clusterId: string;
  logs: LogManager;
  clock: Clock;
  logger: Logger;
}

export class ClusterNode {
  readonly metadata: ClusterMetadataStore;
  readonly view: StoreClusterView;
  readonly producerIdBlocks: ProducerIdBlocks;
  private readonly channel: ControllerChannel;
  private readonly member: ClusterMember;
  private readonly election: ControllerElection;
  private partitions: PartitionManager | undefined;
  private fetchers: ReplicaFetcherManager | undefined;
  /** Fetcher changes in the order the roles changed. */
  private fetcherWork: Promise<void> = Promise.resolve();
  private readonly nodeId: number;

  private constructor(
    private readonly store: ClusterStore,
    private readonly state: ClusterState,
    private readonly options: ClusterNodeOptions,
  ) {
    const { config, logs, clock, logger } = options;
    this.nodeId = config.config.nodeId;
    const nodeId = this.nodeId;
    this.channel = new ControllerChannel({ state, nodeId, logger, timeoutMs: CONTROLLER_REQUEST_TIMEOUT_MS });
    this.election = new ControllerElection({ store, nodeId, brokerConfig: () => this.metadata.broker, clock, logger });
    const changes = new ControllerTopicChanges({
      localController: () => this.election.controller,
      channel: this.channel,
      store,
      timeoutMs: CONTROLLER_REQUEST_TIMEOUT_MS,
      logger,
    });
    this.metadata = new ClusterMetadataStore({ state, changes, logs, nodeId, brokerConfig: config, logger });
    this.view = new StoreClusterView(state);
    this.producerIdBlocks = { reserve: (size) => store.allocateProducerIds(size), close: () => Promise.resolve() };
    this.member = new ClusterMember({
      store,
      state,
      nodeId,
      sessionTimeoutMs: config.config.brokerSessionTimeoutMs,
      logger,
      applyPartitionState: (topic, partition, s) => this.attached().applyPartitionState(topic, partition, s),
      metadataSettled: () => this.metadata.settled(),
      election: this.election,
      controlledShutdown: () => this.controlledShutdown(),
    });
  }

  /** Connects to etcd; nothing is registered yet. */
  static async open(options: ClusterNodeOptions): Promise<ClusterNode> {
    const { config, clusterId, logger } = options;
    const store = await EtcdClusterStore.connect({
      endpoints: config.config.metadataEtcdEndpoints,
      clusterId,
      leaseTtlSeconds: Math.ceil(config.config.brokerSessionTimeoutMs / 1000),
      logger,
      onSessionLost: (event) => {
        logger.warn({ previousEpoch: String(event.previous.epoch), epoch: event.current ? String(event.current.epoch) : null }, 'cluster: the registration expired; registered again');
      },
    });
    return new ClusterNode(store, new ClusterState(), options);
  }

  /** ISR changes of this broker's leaders, for the partition manager. */
  readonly alterIsr = (topic: string, partition: number, proposed: PartitionState): Promise<PartitionState | null> => this.member.alterIsr(topic, partition, proposed);

  /** A follower on a broker that is not registered (dead, or gone after a controlled shutdown) is not waited for. */
  readonly isReplicaEligible = (brokerId: number): boolean => this.state.isAlive(brokerId);

  /** Takes the partition manager: its role changes start and stop the replica fetchers. */
  attach(partitions: PartitionManager): void {
    const { config, clock, logger } = this.options;
    this.partitions = partitions;
    const fetchers = new ReplicaFetcherManager({
      nodeId: this.nodeId,
      brokerAddress: (id) => this.state.broker(id),
      brokerEpoch: () => this.member.brokerEpoch,
      settings: replicationSettingsFrom(config),
      clock,
      logger,
    });
    this.fetchers = fetchers;
    partitions.onRoleChange((p, s) => {
      const ref = [{ topic: p.topic, partition: p.partition }];
      this.fetcherWork = this.fetcherWork
        .then(async () => {
          if (s.leader === this.nodeId || s.leader === NO_LEADER) await fetchers.removePartitions(ref);
          else await fetchers.addPartitions(s.leader, [{ replica: p, topicId: this.metadata.topic(p.topic)?.topicId ?? ZERO_UUID, leaderEpoch: s.leaderEpoch }]);
        })
        .catch((err: unknown) => { logger.error({ err, topic: p.topic, partition: p.partition }, 'cluster: could not change what the replica fetchers follow'); });
    });
  }

  /** Reads the cluster and takes up this broker's replicas (before the listener opens). */
  watch(): Promise<void> {
    return this.member.watch();
  }

  /** Registers this broker where clients and other brokers reach it, and campaigns for controller. */
  join(self: BrokerAddress): Promise<void> {
    return this.member.join(self);
  }

  /** Leaves the cluster: graceful moves leadership away first; otherwise the lease simply lapses. */
  async leave(options: { graceful: boolean }): Promise<void> {
    await this.member.stop(options);
    this.channel.close();
    this.metadata.close();
    await this.fetcherWork;
    await this.fetchers?.shutdown();
  }

  private attached(): PartitionManager {
    if (!this.partitions) throw new Error('cluster node used before a partition manager was attached');
    return this.partitions;
  }

  /**
   * Kafka's controlled shutdown, done by the stopping broker itself with the controller's rule: it
   * stops fetching (so no leader adds it back to an ISR), then for each partition it leads moves
   * leadership to another live in-sync replica with the next epoch, and leaves every other ISR. Each
   * move is a compare-and-swap, so it never overwrites what the controller or a leader just wrote.
   */
  private async controlledShutdown(): Promise<void> {
    const { logger } = this.options;
    await this.fetcherWork;
    await this.fetchers?.shutdown();
    const live = new Set(this.state.brokers().map((b) => b.nodeId));
    const stopping = new Set([this.nodeId]);
    let moved = 0;
    let kept = 0;
    for (const topic of this.state.topics()) {
      for (let p = 0; p < topic.assignment.length; p++) {
        if (!topic.assignment[p].includes(this.nodeId)) continue;
        for (let attempt = 0; attempt < SHUTDOWN_CAS_ATTEMPTS; attempt++) {
          const current = await this.store.partitionState(topic.name, p);
          const next = current ? controlledShutdownChange(current, this.nodeId, live, stopping) : null;
          if (!next) {
            if (current?.leader === this.nodeId) kept++;
            break;
          }
          try {
            await this.store.updatePartitionState(topic.name, p, next);
            moved++;
            break;
          } catch (err) {
            if (!(err instanceof StaleVersionError)) throw err;
          }
        }
      }
    }
    logger.info({ moved, kept }, `cluster: controlled shutdown moved ${moved} partition states; ${kept} partitions had no other in-sync replica to lead them`);
  }
}
