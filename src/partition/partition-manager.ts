/**
 * The broker's partitions (Kafka's ReplicaManager role): creates the Partition of a log on first
 * use, looks it up for produce, fetch and offset requests, forgets a deleted topic's partitions,
 * expires idle producer ids across them, writes transaction markers into them and, on stop,
 * snapshots their producer state. The logs themselves belong to the LogManager; a Partition whose
 * log was replaced (a topic deleted and created again under the same name) is replaced too.
 *
 * Leader or follower is a property of each Partition; on one broker every partition is a leader.
 * The cluster work adds the transitions (become leader, become follower) here.
 */
import path from 'node:path';
import type { ResolvedBrokerConfig } from '../config/broker-config.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
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
}

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
  private closing: Promise<void> | undefined;

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

  private create(log: PartitionLog): Partition {
    const { logs, clock, logger } = this.options;
    return new Partition({
      log,
      clock,
      logger,
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

  /**
   * Writes a transaction marker into a partition (contract of the transaction coordinator's marker
   * writer): resolves Kafka's WriteTxnMarkers partition error code, UNKNOWN_TOPIC_OR_PARTITION for a
   * partition this broker does not have. Never rejects.
   */
  writeTxnMarker(topic: string, partition: number, marker: TxnMarkerRequest): Promise<number> {
    if (this.closing) return Promise.resolve(ErrorCode.NotLeaderOrFollower);
    const p = this.get(topic, partition);
    if (!p) return Promise.resolve(ErrorCode.UnknownTopicOrPartition);
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
