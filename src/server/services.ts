/**
 * What handlers reach through their context: the broker's domain services. Handlers use these and
 * never open files or sockets themselves. broker.ts assembles them; tests can assemble their own.
 */
import type { ResolvedBrokerConfig } from '../config/broker-config.js';
import type { GroupCoordinator } from '../coordinator/group-coordinator.js';
import type { TransactionCoordinator } from '../coordinator/transaction/transaction-coordinator.js';
import type { TxnMarkerWriter } from '../coordinator/transaction/txn-marker-writer.js';
import type { ClusterView } from '../metadata/cluster-view.js';
import type { DynamicConfigStore } from '../metadata/dynamic-config-store.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { LogManager } from '../storage/log-manager.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { PartitionManager } from '../partition/partition-manager.js';
import type { ProduceService } from '../partition/produce-service.js';
import type { ProducerIdManager } from '../metadata/producer-ids.js';
import type { SessionFetchService } from './fetch/session-fetch-service.js';
import type { LogOffsetService } from '../partition/log-offsets.js';

/** One api's advertised range, as ApiVersions reports it. */
export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** The address clients are told to use for this broker (advertised.listeners). */
export interface AdvertisedEndpoint {
  host: string;
  port: number;
  listenerName: string;
  securityProtocol: string;
}

export interface BrokerServices {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly advertised: AdvertisedEndpoint;
  /** The broker's configuration; replaced when AlterConfigs changes a dynamic setting. */
  brokerConfig: ResolvedBrokerConfig;
  /** Dynamic broker configs (AlterConfigs on BROKER resources), persisted; changes update brokerConfig. */
  readonly dynamicConfig: DynamicConfigStore;
  readonly metadata: MetadataStore;
  /** The brokers, the controller and each partition's leader, replicas and ISR, as clients are told. */
  readonly cluster: ClusterView;
  readonly logs: LogManager;
  /** The partitions this broker holds: producer state, high watermark, LSO, fetch waiters, transaction markers. */
  readonly partitions: PartitionManager;
  /** Fetch reads, long polling and incremental fetch sessions. */
  readonly fetch: SessionFetchService;
  /** ListOffsets, OffsetForLeaderEpoch and DeleteRecords over the partition logs. */
  readonly logOffsets: LogOffsetService;
  /** The produce path: validation, idempotent producer state, appends. */
  readonly produce: ProduceService;
  /** Producer ids for InitProducerId, never reused across restarts. */
  readonly producerIds: ProducerIdManager;
  /** Classic consumer groups and committed offsets (FindCoordinator through DeleteGroups). */
  readonly groups: GroupCoordinator;
  /** Transactional ids and their transactions (InitProducerId with a transactional id through ListTransactions). */
  readonly transactions: TransactionCoordinator;
  /** Writes transaction markers to this broker's partitions (WriteTxnMarkers; the coordinator's completion). */
  readonly txnMarkers: TxnMarkerWriter;
  /** What ApiVersions advertises: the registered handlers' ranges. */
  readonly apiVersions: readonly ApiVersionRange[];
}
