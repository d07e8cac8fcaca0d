/**
 * What the brokers of a cluster share through the coordination service (etcd; ZooKeeper's role in
 * Kafka): which brokers are alive, which one is controller, the topics with their replica
 * assignments, and each partition's leader, leader epoch and ISR.
 *
 * Rules every implementation keeps:
 * - A broker's registration lives under a lease that its store keeps alive; when the process dies
 *   or loses the service for longer than the lease, the registration expires (ZooKeeper's ephemeral
 *   node) and watchers see the broker gone.
 * - Partition states change only by compare-and-swap on the version the writer read
 *   (`updatePartitionState`); a stale writer gets StaleVersionError and must re-read.
 * - `watch` delivers the current contents first, then every later change in the order the service
 *   applied them, so a watcher's view is always some past state of the store, never a mix.
 * - When the service cannot be reached, calls reject with ClusterUnavailableError within the
 *   store's request timeout, and the store keeps retrying its lease and watch in the background.
 */
import type { BrokerAddress } from '../metadata/cluster-view.js';
import type { PartitionState } from '../metadata/partition-state.js';

export type { BrokerAddress };

export interface BrokerRegistration extends BrokerAddress {
  /**
   * Grows each time a broker registers (Kafka's broker epoch): a request from an older
   * registration of the same node id is stale.
   */
  epoch: bigint;
}

export interface TopicRecord {
  name: string;
  /** Kafka's topic id, as MetadataStore keeps it. */
  topicId: string;
  /** Replica broker ids of each partition, preferred leader first. */
  assignment: number[][];
  /** Topic config overrides. */
  configs: Record<string, string>;
}

export interface ControllerInfo {
  nodeId: number;
  /** Grows with every election (Kafka's controller epoch). */
  epoch: bigint;
}

export type ClusterEvent =
  | { kind: 'brokers'; brokers: BrokerRegistration[] }
  | { kind: 'controller'; controller: ControllerInfo | null }
  /** A topic created, or its assignment or configs changed. */
  | { kind: 'topic'; topic: TopicRecord }
  | { kind: 'topic-deleted'; name: string; topicId: string }
  | { kind: 'partition'; topic: string; partition: number; state: PartitionState };

/** A compare-and-swap lost: the key changed since the writer read it. */
export class StaleVersionError extends Error {
  override readonly name = 'StaleVersionError';
}

/** The coordination service did not answer in time. */
export class ClusterUnavailableError extends Error {
  override readonly name = 'ClusterUnavailableError';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** Another live broker is registered under the node id (Kafka's DUPLICATE_BROKER_REGISTRATION). */
export class DuplicateBrokerError extends Error {
  override readonly name = 'DuplicateBrokerError';
}

export interface ClusterStore {
  readonly clusterId: string;

  /** Registers this broker under a lease kept alive until close(). */
  register(broker: BrokerAddress): Promise<BrokerRegistration>;
  /** Removes this broker's registration now (a graceful stop), without waiting for the lease. */
  unregister(): Promise<void>;
  brokers(): Promise<BrokerRegistration[]>;

  /**
   * Campaigns for controller; resolves when this broker is elected. `onLost` is called if it later
   * stops being controller (its lease expired, or resign()). Rejects when the store closes first.
   */
  campaign(nodeId: number, onLost: () => void): Promise<ControllerInfo>;
  resign(): Promise<void>;
  controller(): Promise<ControllerInfo | null>;

  topics(): Promise<TopicRecord[]>;
  /**
   * Creates the topic and the initial state of each of its partitions in one transaction. False when
   * a topic of that name exists.
   */
  createTopic(topic: TopicRecord, states: Omit<PartitionState, 'version'>[]): Promise<boolean>;
  /**
   * Adds partitions: `assignment` is the whole new assignment (the existing partitions' replicas
   * unchanged), `states` the initial states of the added ones. False when the topic is gone or its
   * partition count is no longer `fromCount`.
   */
  addPartitions(name: string, fromCount: number, assignment: number[][], states: Omit<PartitionState, 'version'>[]): Promise<boolean>;
  setTopicConfigs(name: string, configs: Record<string, string>): Promise<boolean>;
  /** Deletes the topic and its partition states. False when it does not exist. */
  deleteTopic(name: string): Promise<boolean>;

  partitionState(topic: string, partition: number): Promise<PartitionState | null>;
  /**
   * Writes `state` if the stored state's version is still `state.version`; resolves the written
   * state with its new version. StaleVersionError otherwise.
   */
  updatePartitionState(topic: string, partition: number, state: PartitionState): Promise<PartitionState>;

  /** Reserves `size` producer ids cluster-wide; resolves the first. Never hands an id out twice. */
  allocateProducerIds(size: number): Promise<bigint>;

  /** Current contents as events, then every change in order. Resolves a function that stops it. */
  watch(listener: (event: ClusterEvent) => void): Promise<() => void>;

  /** Stops keeping the lease alive (the registration expires, or is revoked when `graceful`). */
  close(options?: { graceful?: boolean }): Promise<void>;
}
