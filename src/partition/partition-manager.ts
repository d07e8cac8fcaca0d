/**
 * The broker's partitions (Kafka's ReplicaManager role): creates the Partition of a log on first
 * use, looks it up for produce, fetch and offset requests, forgets a deleted topic's partitions,
 * expires idle producer ids across them, writes transaction markers into them and, on stop,
 * snapshots their producer state. The logs themselves belong to the LogManager; a Partition whose
 * log was replaced (a topic deleted and created again under the same name) is replaced too.
 *
 * Leader or follower is a property of each Partition; on one broker every partition is a leader
 * in epoch 0, its ISR this broker alone, and nothing here changes that. In a cluster the states the
 * cluster store holds arrive through `applyPartitionState` (Kafka's LeaderAndIsr handling in
 * ReplicaManager.becomeLeaderOrFollower): the local log is created if missing, the Partition made
 * leader or follower, and the role-change listeners told (the replica fetchers follow them). A
 * leader's ISR changes go out through the `alterIsr` option, and the ISR-expiry check runs every
 * half replica.lag.time.max.ms once a partition has been given a state (Kafka's isr-expiration
 * task).
 */
import path from 'node:path';
import type { ResolvedBrokerConfig } from '../config/broker-config.js';
import { toLogConfig } from '../config/topic-config.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { PartitionState } from '../metadata/partition-state.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import type { LogManager } from '../storage/log-manager.js';
import type { ProducerStateOptions } from '../storage/producer-state.js';
import { partitionDirName } from '../storage/segment-files.js';
import type { PartitionLog } from '../storage/types.js';
import { forEachBounded } from '../util/bounded.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { Partition } from './partition.js';

/** Producer state snapshots written at once on close (each holds a file and its directory open). */
const SNAPSHOT_CONCURRENCY = 16;

export interface PartitionManagerOptions {
  metadata: MetadataStore;
  logs: LogManager;
  clock: Clock;
  logger: Logger;
  /** The broker's configuration, read on use (it changes with dynamic AlterConfigs). */
  brokerConfig: () => ResolvedBrokerConfig;
  /** Producer state snapshot interval in appended bytes (see producer-state.ts). */
  snapshotIntervalBytes?: number;
  /**
   * Writes a leader's ISR change to the cluster store by compare-and-swap on `proposed.version`:
   * resolves the state written, or null when the swap lost (a newer state will arrive through
   * applyPartitionState). Absent on a single broker, whose ISR never changes.
   */
  alterIsr?: (topic: string, partition: number, proposed: PartitionState) => Promise<PartitionState | null>;
  /** Whether a broker may be in an ISR now (registered, not shutting down); see Partition. */
  isReplicaEligible?: (brokerId: number) => boolean;
}

/** Told when a partition became leader or follower, or changed leader epoch, by an applied state. */
export type RoleChangeListener = (p: Partition, state: PartitionState) => void;

/** A COMMIT/ABORT marker as the transaction coordinator sends it (WriteTxnMarkers). */
export interface TxnMarkerRequest {
  producerId: bigint;
  producerEpoch: number;
  committed: boolean;
  coordinatorEpoch: number;
}

export class PartitionManager {
  /** By log: a log replaced (its topic deleted and created again) is a new partition. */
  private readonly partitions = new Map<PartitionLog, Partition>();
  private expiryTimer: TimerHandle | undefined;
  private isrExpiryTimer: TimerHandle | undefined;
  private closing: Promise<void> | undefined;
  private readonly roleListeners = new Set<RoleChangeListener>();
  /** States being applied, by partition: one at a time each, in arrival order. */
  private readonly applying = new Map<string, Promise<void>>();

  constructor(private readonly options: PartitionManagerOptions) {
    options.metadata.onTopicDeleted((topic) => { this.forgetTopic(topic.name); });
  }

  /** The partition, or undefined when this broker has no log for it. */
  get(topic: string, partition: number): Partition | undefined {
    const log = this.options.logs.get(topic, partition);
    if (!log) return undefined;
    let p = this.partitions.get(log);
    if (!p) {
      p = this.create(log);
      this.partitions.set(log, p);
    }
    return p;
  }

  /** This broker's id (node.id). */
  get brokerId(): number {
    return this.options.brokerConfig().config.nodeId;
  }

  private create(log: PartitionLog): Partition {
    const { logs, clock, logger, metadata, alterIsr, isReplicaEligible } = this.options;
    const { topic, partition } = log;
    return new Partition({
      log,
      clock,
      logger,
      brokerId: this.brokerId,
      minInsyncReplicas: () => metadata.topic(topic)?.config.minInsyncReplicas ?? 1,
      replicaLagTimeMaxMs: () => this.options.brokerConfig().config.replicaLagTimeMaxMs,
      ...(alterIsr === undefined ? {} : { alterIsr: (proposed: PartitionState) => alterIsr(topic, partition, proposed) }),
      ...(isReplicaEligible === undefined ? {} : { isReplicaEligible }),
      producerStateOptions: (): ProducerStateOptions => {
        const dataDir = logs.storage === 'disk' ? logs.dirOf(log.topic, log.partition) : undefined;
        return {
          producerIdExpirationMs: this.options.brokerConfig().config.producerIdExpirationMs,
          clock: () => clock.now(),
          dir: dataDir === undefined ? null : path.join(dataDir, partitionDirName(log.topic, log.partition)),
          logger,
          ...(this.options.snapshotIntervalBytes === undefined ? {} : { snapshotIntervalBytes: this.options.snapshotIntervalBytes }),
        };
      },
      // Expiry runs once there is producer state to expire.
      onProducerStateLoaded: () => {
        if (this.expiryTimer === undefined) this.scheduleExpiry();
      },
    });
  }

  /** Calls `listener` after each applied state that changed a partition's role or leader epoch; returns its removal. */
  onRoleChange(listener: RoleChangeListener): () => void {
    this.roleListeners.add(listener);
    return () => {
      this.roleListeners.delete(listener);
    };
  }

  /**
   * Applies a partition's state from the cluster store: creates the local log if missing (the
   * topic must be known to the metadata), then makes the partition leader or follower. A state that
   * does not assign this broker, or is older than the one applied (lower leader epoch, or the same
   * epoch and a version not above it), is ignored. States of one partition apply in call order.
   */
  applyPartitionState(topic: string, partition: number, state: PartitionState): Promise<void> {
    const key = `${topic}\u0000${partition}`;
    const previous = this.applying.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.apply(topic, partition, state));
    this.applying.set(key, next);
    const forget = (): void => {
      if (this.applying.get(key) === next) this.applying.delete(key);
    };
    next.then(forget, forget);
    return next;
  }

  private async apply(topic: string, partition: number, state: PartitionState): Promise<void> {
    if (this.closing) return;
    const brokerId = this.brokerId;
    if (!state.replicas.includes(brokerId)) {
      this.options.logger.debug({ topic, partition, replicas: state.replicas, brokerId }, 'ignoring a partition state that does not assign this broker');
      return;
    }
    let p = this.get(topic, partition);
    if (!p) {
      const t = this.options.metadata.topic(topic);
      if (!t) throw new Error(`cannot create a replica of ${topic}-${partition}: the topic is not known`);
      await this.options.logs.create(topic, partition, toLogConfig(t.config), t.topicId);
      p = this.get(topic, partition);
      if (!p) throw new Error(`the log of ${topic}-${partition} is missing after its creation`);
    }
    const applied = p.partitionStateVersion >= 0n;
    if (applied && (state.leaderEpoch < p.leaderEpoch || (state.leaderEpoch === p.leaderEpoch && state.version <= p.partitionStateVersion))) {
      this.options.logger.debug({ topic, partition, leaderEpoch: state.leaderEpoch, version: state.version.toString(), current: p.leaderEpoch }, 'ignoring an older partition state');
      return;
    }
    const epochBefore = p.leaderEpoch;
    const leaderBefore = p.leader;
    if (state.leader === brokerId) await p.makeLeader(state);
    else await p.makeFollower(state);
    this.scheduleIsrExpiry();
    // Leadership moving to or from this broker is a change of leader.
    if (!applied || epochBefore !== p.leaderEpoch || leaderBefore !== p.leader) {
      for (const listener of [...this.roleListeners]) {
        try {
          listener(p, state);
        } catch (err) {
          this.options.logger.error({ err, topic, partition }, 'a role change listener failed');
        }
      }
    }
  }

  /** The ISR-expiry check (Kafka's isr-expiration task): every half replica.lag.time.max.ms, from the first applied state. */
  private scheduleIsrExpiry(): void {
    if (this.closing || this.isrExpiryTimer !== undefined) return;
    const interval = Math.max(1, Math.floor(this.options.brokerConfig().config.replicaLagTimeMaxMs / 2));
    this.isrExpiryTimer = this.options.clock.setTimeout(
      () => {
        this.isrExpiryTimer = undefined;
        this.maybeShrinkIsrs();
        this.scheduleIsrExpiry();
      },
      interval,
      { unref: true },
    );
  }

  /** Drops lagging followers from the ISR of every partition this broker leads. */
  maybeShrinkIsrs(): void {
    for (const [log, p] of this.partitions) {
      if (this.options.logs.get(p.topic, p.partition) !== log) continue;
      p.maybeShrinkIsr();
    }
  }

  /**
   * Writes a transaction marker into a partition (contract of the transaction coordinator's marker
   * writer): resolves Kafka's WriteTxnMarkers partition error code, UNKNOWN_TOPIC_OR_PARTITION for a
   * partition this broker does not have. Never rejects.
   */
  writeTxnMarker(topic: string, partition: number, marker: TxnMarkerRequest): Promise<number> {
    if (this.closing) return Promise.resolve(ErrorCode.NotLeaderOrFollower);
    const p = this.get(topic, partition);
    if (!p) return Promise.resolve(ErrorCode.UnknownTopicOrPartition);
    if (!p.isLeader) return Promise.resolve(ErrorCode.NotLeaderOrFollower);
    return p.writeTxnMarker(marker);
  }

  /** Drops a deleted topic's partitions: their producer state is not snapshotted. */
  forgetTopic(name: string): void {
    for (const [log, p] of this.partitions) {
      if (p.topic !== name) continue;
      p.abandon();
      this.partitions.delete(log);
    }
  }

  private scheduleExpiry(): void {
    if (this.closing) return;
    const interval = this.options.brokerConfig().config.producerIdExpirationCheckIntervalMs;
    this.expiryTimer = this.options.clock.setTimeout(
      () => {
        this.expireProducers();
        this.scheduleExpiry();
      },
      interval,
      { unref: true },
    );
  }

  /** Removes idle producer ids from every loaded partition (producer.id.expiration.ms). */
  expireProducers(): void {
    const { logs, clock, logger } = this.options;
    const now = clock.now();
    const expirationMs = this.options.brokerConfig().config.producerIdExpirationMs;
    for (const [log, p] of this.partitions) {
      if (logs.get(p.topic, p.partition) !== log) {
        p.abandon();
        this.partitions.delete(log);
        continue;
      }
      const removed = p.removeExpiredProducers(now, expirationMs);
      if (removed > 0) logger.debug({ topic: p.topic, partition: p.partition, removed }, 'expired idle producer ids');
    }
  }

  /** Stops expiry and writes every loaded partition's producer state snapshot (before the logs close). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.expiryTimer !== undefined) this.options.clock.clearTimeout(this.expiryTimer);
      if (this.isrExpiryTimer !== undefined) this.options.clock.clearTimeout(this.isrExpiryTimer);
      const { logs, logger } = this.options;
      // Bounded: with thousands of partitions, writing every snapshot at once runs out of file descriptors.
      await forEachBounded([...this.partitions.values()], SNAPSHOT_CONCURRENCY, async (p) => {
        if (logs.get(p.topic, p.partition) !== p.log) return;
        try {
          await p.close();
        } catch (err) {
          logger.warn({ err, topic: p.topic, partition: p.partition }, 'writing the producer state snapshot on close failed');
        }
      });
    })();
    return this.closing;
  }
}
