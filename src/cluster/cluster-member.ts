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
import { StaleVersionError, type BrokerRegistration, type ClusterEvent, type ClusterStore } from './cluster-store.js';

/** How long after a failed campaign (the store unreachable) the broker campaigns again. */
const CAMPAIGN_RETRY_MS = 1000;

/** The controller while this broker is elected. */
export interface RunningController {
  stop(): Promise<void>;
}

export interface ClusterMemberOptions {
  store: ClusterStore;
  state: ClusterState;
  nodeId: number;
  logger: Logger;
  /** Applies a partition state to this broker's replica (becomes leader or follower). */
  applyPartitionState: (topic: string, partition: number, state: PartitionState) => Promise<void>;
  /** Resolves when local logs exist for every topic the state has shown so far. */
  metadataSettled: () => Promise<void>;
  /** Starts the controller once this broker is elected. */
  startController: () => Promise<RunningController>;
  /** Moves leadership of this broker's partitions away (controlled shutdown). */
  controlledShutdown: () => Promise<void>;
}

export class ClusterMember {
  private registration: BrokerRegistration | undefined;
  private stopWatch: (() => void) | undefined;
  private stopState: (() => void) | undefined;
  /** Per partition, the chain of states being applied: each waits for the one before. */
  private readonly applying = new Map<string, Promise<void>>();
  private controller: RunningController | undefined;
  private campaigning: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: ClusterMemberOptions) {}

  get nodeId(): number {
    return this.options.nodeId;
  }

  /** This broker's registration epoch (Kafka's broker epoch). */
  get brokerEpoch(): bigint {
    return this.registration?.epoch ?? -1n;
  }

  get isController(): boolean {
    return this.controller !== undefined;
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
    for (const topic of state.topics()) this.applyTopic(topic.name, topic.assignment.length);
    await this.settled();
  }

  /**
   * Registers (once the listener accepts: the registration is what tells other brokers and clients
   * where to reach it), takes up its replicas, and starts campaigning for controller.
   */
  async join(self: BrokerAddress): Promise<void> {
    const { store } = this.options;
    await this.watch();
    this.registration = await store.register(self);
    this.options.logger.info({ nodeId: this.nodeId, epoch: String(this.registration.epoch), clusterId: store.clusterId }, 'cluster: registered');
    this.campaign();
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
    await this.resignController();
    this.stopWatch?.();
    this.stopState?.();
    await this.settled();
    await store.close({ graceful: options.graceful });
  }

  private onEvent(event: ClusterEvent): void {
    if (event.kind === 'topic') this.applyTopic(event.topic.name, event.topic.assignment.length);
    else if (event.kind === 'partition') this.applyPartition(event.topic, event.partition);
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
      if (!latest?.replicas.includes(this.nodeId)) return;
      await this.options.metadataSettled();
      await this.options.applyPartitionState(topic, partition, latest);
    }).catch((err: unknown) => { logger.error({ err, topic, partition }, 'cluster: could not apply a partition state'); });
    this.applying.set(key, next);
    void next.then(() => {
      if (this.applying.get(key) === next) this.applying.delete(key);
    });
  }

  private campaign(): void {
    if (this.stopped || this.campaigning) return;
    const { store, logger } = this.options;
    this.campaigning = store
      .campaign(this.nodeId, () => {
        logger.warn({ nodeId: this.nodeId }, 'cluster: no longer the controller');
        void this.resignController().then(() => { this.campaign(); });
      })
      .then(async (info) => {
        if (this.stopped) return;
        logger.info({ nodeId: this.nodeId, epoch: String(info.epoch) }, 'cluster: elected controller');
        this.controller = await this.options.startController();
      })
      .catch((err: unknown) => {
        if (this.stopped) return;
        // The store is unreachable (or closing): try again later rather than give up the role for good.
        logger.warn({ err }, 'cluster: campaign for controller failed; retrying');
        setTimeout(() => { this.campaign(); }, CAMPAIGN_RETRY_MS).unref();
      })
      .finally(() => { this.campaigning = undefined; });
  }

  private async resignController(): Promise<void> {
    const running = this.controller;
    this.controller = undefined;
    if (running) await running.stop();
    if (this.stopped) await this.options.store.resign().catch(() => undefined);
  }
}
