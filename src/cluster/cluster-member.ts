/**
 * This broker's part in a cluster: it registers under a lease, keeps its ClusterState fed from the
 * store's watch, hands every state of a partition it holds a replica of to the partition layer (in
 * the order the store applied them, one partition's states never overlapping), campaigns for
 * controller and runs the controller while elected, and on a graceful stop moves leadership away
 * before it leaves (Kafka's controlled shutdown).
 *
 * It knows the partition layer, the replica fetchers and the controller only through the functions
 * it is given, so the cluster layer stays below them.
 */
import type { BrokerAddress } from '../metadata/cluster-view.js';
import type { PartitionState } from '../metadata/partition-state.js';
import type { Logger } from '../util/logger.js';
import type { ClusterState } from './cluster-state.js';
import { DuplicateBrokerError, StaleVersionError, type BrokerRegistration, type ClusterEvent, type ClusterStore } from './cluster-store.js';

/** Pause between attempts to register while a previous run's registration holds the node id. */
const REGISTER_RETRY_MS = 250;

/** This broker's part in the controller election (controller-election.ts). */
export interface ElectionRole {
  /** Starts campaigning, and runs the controller whenever this broker is elected. */
  start(): void;
  /** Stops the controller if it runs here and gives controllership up. */
  close(): Promise<void>;
}

export interface ClusterMemberOptions {
  store: ClusterStore;
  state: ClusterState;
  nodeId: number;
  /** The registration lease's time to live (broker.session.timeout.ms). */
  sessionTimeoutMs: number;
  logger: Logger;
  /** Applies a partition state to this broker's replica (becomes leader or follower). */
  applyPartitionState: (topic: string, partition: number, state: PartitionState) => Promise<void>;
  /** Resolves when local logs exist for every topic the state has shown so far. */
  metadataSettled: () => Promise<void>;
  election: ElectionRole;
  /** Moves leadership of this broker's partitions away (controlled shutdown). */
  controlledShutdown: () => Promise<void>;
}

export class ClusterMember {
  private registration: BrokerRegistration | undefined;
  private stopWatch: (() => void) | undefined;
  private stopState: (() => void) | undefined;
  /** Per partition, the chain of states being applied: each waits for the one before. */
  private readonly applying = new Map<string, Promise<void>>();
  /** The version of the state last applied per partition: a topic event and a partition event of one write apply it once. */
  private readonly appliedVersions = new Map<string, bigint>();
  private stopped = false;

  constructor(private readonly options: ClusterMemberOptions) {}

  get nodeId(): number {
    return this.options.nodeId;
  }

  /** This broker's registration epoch (Kafka's broker epoch). */
  get brokerEpoch(): bigint {
    return this.registration?.epoch ?? -1n;
  }

  /**
   * Starts feeding the cluster state from the store and applying the states of this broker's
   * replicas (resolves once the store's current contents are in and applied), so the broker knows
   * the topics and leads or follows as the cluster says before it opens its listener.
   */
  async watch(): Promise<void> {
    const { store, state } = this.options;
    if (this.stopWatch) return;
    this.stopState = state.onChange((event) => { this.onEvent(event); });
    this.stopWatch = await store.watch((event) => { state.apply(event); });
    await this.settled();
  }

  /**
   * Registers (once the listener accepts: the registration is what tells other brokers and clients
   * where to reach it), takes up its replicas, and starts campaigning for controller.
   */
  async join(self: BrokerAddress): Promise<void> {
    const { store } = this.options;
    await this.watch();
    this.registration = await this.register(self);
    this.options.logger.info({ nodeId: this.nodeId, epoch: String(this.registration.epoch), clusterId: store.clusterId }, 'cluster: registered');
    this.options.election.start();
  }

  /**
   * Registers; a broker restarted before the lease of its previous run lapsed finds its id still
   * held, and waits for that lease (at most one session timeout) as KRaft brokers wait to register.
   */
  private async register(self: BrokerAddress): Promise<BrokerRegistration> {
    const deadline = Date.now() + this.options.sessionTimeoutMs * 2 + REGISTER_RETRY_MS;
    for (;;) {
      try {
        return await this.options.store.register(self);
      } catch (err) {
        if (!(err instanceof DuplicateBrokerError) || Date.now() > deadline || this.stopped) throw err;
        this.options.logger.info({ nodeId: this.nodeId }, 'cluster: node id still registered by this broker\'s previous run; waiting for its lease to lapse');
        await new Promise((resolve) => setTimeout(resolve, REGISTER_RETRY_MS));
      }
    }
  }

  /**
   * ISR changes from this broker's leaders (the partition manager's alterIsr): written by
   * compare-and-swap; null when another writer got there first (the newer state arrives by watch).
   */
  async alterIsr(topic: string, partition: number, proposed: PartitionState): Promise<PartitionState | null> {
    try {
      return await this.options.store.updatePartitionState(topic, partition, proposed);
    } catch (err) {
      if (err instanceof StaleVersionError) return null;
      throw err;
    }
  }

  /** Resolves when every partition state seen so far has been applied. */
  async settled(): Promise<void> {
    await Promise.all([...this.applying.values()]);
  }

  /** Graceful: moves leadership away and unregisters; otherwise just lets the lease go. */
  async stop(options: { graceful: boolean }): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const { store, logger } = this.options;
    if (options.graceful && this.registration) {
      await this.options.controlledShutdown().catch((err: unknown) => { logger.warn({ err }, 'cluster: controlled shutdown failed; the lease expiry will move leadership'); });
    }
    await this.options.election.close();
    this.stopWatch?.();
    this.stopState?.();
    await this.settled();
    await store.close({ graceful: options.graceful });
  }

  private onEvent(event: ClusterEvent): void {
    if (event.kind === 'topic') this.applyTopic(event.topic.name, event.topic.assignment.length);
    else if (event.kind === 'partition') this.applyPartition(event.topic, event.partition);
    else if (event.kind === 'topic-deleted') this.forgetTopic(event.name);
  }

  /** Drops a deleted topic's applied versions, so topics come and go without the map growing. */
  private forgetTopic(topic: string): void {
    const prefix = `${topic}\u0000`;
    for (const key of this.appliedVersions.keys()) {
      if (key.startsWith(prefix)) this.appliedVersions.delete(key);
    }
  }

  private applyTopic(topic: string, partitions: number): void {
    for (let p = 0; p < partitions; p++) this.applyPartition(topic, p);
  }

  /** Queues the partition's current state (read when its turn comes, so a burst applies only the newest). */
  private applyPartition(topic: string, partition: number): void {
    const { state, logger } = this.options;
    const current = state.partitionState(topic, partition);
    if (!current?.replicas.includes(this.nodeId) || state.topic(topic) === undefined) return;
    const key = `${topic}\u0000${partition}`;
    const before = this.applying.get(key) ?? Promise.resolve();
    const next = before.then(async () => {
      if (this.stopped) return;
      const latest = state.partitionState(topic, partition);
      if (!latest?.replicas.includes(this.nodeId) || this.appliedVersions.get(key) === latest.version) return;
      await this.options.metadataSettled();
      await this.options.applyPartitionState(topic, partition, latest);
      // A deletion that came meanwhile has already forgotten the topic; it stays forgotten.
      if (state.partitionState(topic, partition) !== undefined) this.appliedVersions.set(key, latest.version);
    }).catch((err: unknown) => { logger.error({ err, topic, partition }, 'cluster: could not apply a partition state'); });
    this.applying.set(key, next);
    void next.then(() => {
      if (this.applying.get(key) === next) this.applying.delete(key);
    });
  }
}
