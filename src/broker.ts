/**
 * Broker.start(options) wires the parts together: configuration, the log manager (disk or
 * memory), the metadata store replayed from its state log, the domain services, the dispatcher
 * with the handler list, and the TCP listener. stop() shuts down in the reverse order: stop
 * accepting and finish in-flight requests, stop background work, then close logs cleanly so the
 * next start skips recovery.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadBrokerConfig, withClusterId, type FlagValue } from './config/broker-config.js';
import { listenerShorthandFlags } from './config/listeners.js';
import { ensureClusterId, generateClusterId } from './config/meta-properties.js';
import { GroupCoordinator } from './coordinator/group-coordinator.js';
import { TransactionCoordinator } from './coordinator/transaction/transaction-coordinator.js';
import { txnVerifier } from './server/txn-verifier.js';
import { TxnMarkerRouter } from './server/txn-marker-router.js';
import { DynamicConfigStore } from './metadata/dynamic-config-store.js';
import { LocalMetadataStore } from './metadata/metadata-store.js';
import { ApiKey } from './protocol/generated/api-table.js';
import { PartitionManager } from './partition/partition-manager.js';
import { FetchService, fetchSettingsFrom } from './partition/fetch-service.js';
import { SessionFetchService, fetchSessionSettingsFrom } from './server/fetch/session-fetch-service.js';
import { LogOffsetService } from './partition/log-offsets.js';
import { ProduceService } from './partition/produce-service.js';
import { ProducerIdManager } from './metadata/producer-ids.js';
import { SingleBrokerView } from './metadata/cluster-view.js';
import { ClusterNode } from './cluster-node.js';
import { advertisedVersions, Dispatcher } from './server/dispatcher.js';
import { HANDLERS } from './server/handlers/index.js';
import type { AdvertisedEndpoint, BrokerServices } from './server/services.js';
import type { RequestMemoryPool } from './server/request-memory-pool.js';
import { TcpServer } from './server/tcp-server.js';
import { openLogManager, type LogManager } from './storage/log-manager.js';
import type { PartitionLog } from './storage/types.js';
import { LogCleaner } from './storage/log-cleaner.js';
import type { ProducerLastRecord } from './storage/cleaner-rewrite.js';
import { RetentionScheduler } from './storage/retention-scheduler.js';
import { MemoryStateLogStore, openStateLog, type StateLog } from './storage/state-log.js';
import { systemClock, type Clock } from './util/clock.js';
import { createLogger, silentLogger, type Logger, type LogLevel } from './util/logger.js';

export interface BrokerOptions {
  /** Port to listen on; 0 picks a free one. Default: the port of `listeners` (9092). */
  port?: number;
  /**
   * Interface to bind. Default: 127.0.0.1 when `port` is given, otherwise the host of `listeners`.
   * Either shorthand moves only the client listener; an advertised.listeners from a file or the
   * environment follows its port.
   */
  host?: string;
  /** Data directory (log.dirs). Setting it implies disk storage. */
  dataDir?: string;
  /** 'memory' keeps everything in the process (the default without dataDir); 'disk' uses dataDir. */
  storage?: 'disk' | 'memory';
  /** Kafka server.properties keys, e.g. { 'num.partitions': 3, 'auto.create.topics.enable': false }. */
  config?: Readonly<Record<string, FlagValue>>;
  /** A server.properties file to read first (flags and config above override it). */
  configFile?: string;
  /** Environment variables to read GREGOR_* settings from (the CLI passes process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  /** Shorthand for a logger at this level. Default: silent for an in-process broker. */
  logLevel?: LogLevel;
  clock?: Clock;
}

export class Broker {
  private stopping: Promise<void> | undefined;

  private constructor(
    /** The services handlers use; exposed for tests and tools embedding the broker. */
    readonly services: BrokerServices,
    private readonly server: TcpServer,
    private readonly retention: RetentionScheduler,
    /** The log cleaner (compaction), null when log.cleaner.enable is false; exposed for tests and tools. */
    readonly logCleaner: LogCleaner | null,
    private readonly stateLog: StateLog,
    private readonly logs: LogManager,
    /** Cluster mode's parts, or null on a single broker. */
    private readonly clusterNode: ClusterNode | null,
    /** The bound address. */
    readonly host: string,
    readonly port: number,
    readonly dataDir: string | null,
  ) {}

  /** "host:port" to give a client as its bootstrap server. */
  get bootstrap(): string {
    return `${this.services.advertised.host}:${this.services.advertised.port}`;
  }

  get logger(): Logger {
    return this.services.logger;
  }

  /** The request memory budget (queued.max.request.bytes): bytes held, connections waiting for room. */
  get requestMemory(): Pick<RequestMemoryPool, 'capacity' | 'used' | 'waiting'> {
    return this.server.memory;
  }

  static async start(options: BrokerOptions = {}): Promise<Broker> {
    const startedAt = performance.now();
    const logger = options.logger ?? (options.logLevel ? createLogger({ level: options.logLevel }) : silentLogger);
    const clock = options.clock ?? systemClock;
    const storage = options.storage ?? (options.dataDir !== undefined ? 'disk' : 'memory');
    const flags: Record<string, FlagValue> = { ...(options.config ?? {}) };
    if (options.dataDir !== undefined) flags['log.dirs'] = resolve(options.dataDir);
    let resolved = await loadBrokerConfig({ configFile: options.configFile, env: options.env ?? {}, flags, logger });
    if (options.port !== undefined || options.host !== undefined) {
      Object.assign(flags, listenerShorthandFlags(resolved, options.host ?? '127.0.0.1', options.port));
      resolved = await loadBrokerConfig({ configFile: options.configFile, env: options.env ?? {}, flags, logger });
    }
    const config = resolved.config;
    const listener = config.listeners.find((l) => !config.controllerListenerNames.includes(l.name));
    if (!listener) throw new Error('listeners names no listener for clients');
    const bindHost = listener.host === '' ? '0.0.0.0' : listener.host;

    if (config.metadataEtcdEndpoints.length > 0 && config.clusterId === null) {
      // A generated id would differ per broker, and the id names the cluster's keys in etcd.
      throw new Error('cluster mode (metadata.etcd.endpoints) needs cluster.id: every broker of a cluster is started with the same one');
    }
    const dirs = config.logDirs.map((d) => resolve(d));
    if (storage === 'disk') for (const d of dirs) await makeLogDir(d);
    const clusterId =
      storage === 'disk'
        ? await ensureClusterId({ logDirs: dirs, nodeId: config.nodeId, clusterId: config.clusterId })
        : (config.clusterId ?? generateClusterId());
    resolved = withClusterId(resolved, clusterId);

    // Everything opened so far is closed again, in reverse order, if a later step fails.
    const opened: (() => Promise<void>)[] = [];
    try {
      const logs = await openLogManager({ storage, ...(storage === 'disk' ? { dirs } : {}), clock, logger });
      opened.push(() => logs.close());
      const stateLocation = storage === 'disk' ? join(dirs[0], '__gregor_metadata') : new MemoryStateLogStore();
      const stateLog = await openStateLog(stateLocation, { name: 'metadata', logger });
      opened.push(() => stateLog.close());
      // Dynamic broker configs (AlterConfigs) are replayed over the static ones before anything reads them.
      const dynamicConfig = await DynamicConfigStore.open({ stateLog: await openStateLog(stateLocation, { name: 'dynamic-config', logger }), base: resolved, logger });
      opened.push(() => dynamicConfig.close());
      resolved = dynamicConfig.current;
      // Cluster mode: topics, replica states and producer id blocks come from etcd (cluster-node.ts).
      const clusterNode = config.metadataEtcdEndpoints.length > 0 ? await ClusterNode.open({ config: resolved, clusterId, logs, clock, logger }) : null;
      if (clusterNode) opened.push(() => clusterNode.leave({ graceful: false }));
      const metadata = clusterNode ? clusterNode.metadata : await LocalMetadataStore.open({ stateLog, logs, brokerConfig: resolved, logger });
      const producerIds = clusterNode
        ? new ProducerIdManager(clusterNode.producerIdBlocks)
        : await ProducerIdManager.open(await openStateLog(stateLocation, { name: 'producer-ids', logger }), { logger });
      opened.push(() => producerIds.close());
      // The partitions (producer state, high watermark, LSO, markers) over the logs, made on first use.
      const partitions = new PartitionManager({
        metadata,
        logs,
        clock,
        logger,
        brokerConfig: () => metadata.broker,
        ...(clusterNode ? { alterIsr: clusterNode.alterIsr, isReplicaEligible: clusterNode.isReplicaEligible } : {}),
      });
      if (clusterNode) {
        clusterNode.attach(partitions);
        // Lead and follow as the cluster says before any client can produce or fetch.
        await clusterNode.watch();
      }
      // Consumer groups and committed offsets: loaded before the listener opens.
      const groups = await GroupCoordinator.open({
        location: storage === 'disk' ? join(dirs[0], '__gregor_groups') : stateLocation,
        clock,
        logger,
        config: () => metadata.broker.config,
        metadata,
      });
      opened.push(() => groups.close());
      // Markers go to the partitions' logs and to the group coordinator's pending offsets.
      const txnMarkers = new TxnMarkerRouter({
        writePartitionMarker: (topic, partition, marker) => partitions.writeTxnMarker(topic, partition, marker),
        completeGroupOffsets: (producerId, producerEpoch, committed) => groups.completeTxnOffsets(producerId, producerEpoch, committed),
        logger,
      });
      // Transactional ids: loaded, and transactions left half complete resumed, before the listener opens.
      const transactions = await TransactionCoordinator.open({
        location: storage === 'disk' ? join(dirs[0], '__gregor_transactions') : stateLocation,
        clock,
        logger,
        config: () => metadata.broker.config,
        producerIds,
        markers: txnMarkers,
      });
      opened.push(() => transactions.close());
      // TxnOffsetCommit asks the transaction coordinator, as the produce path does (KIP-890 part 1).
      groups.verifyTransaction = txnVerifier(transactions);

      const server = new TcpServer(
        // Set once the dispatcher exists; connections arrive only after listen().
        (frame, conn) => dispatcher.handleFrame(frame, conn),
        {
          host: bindHost,
          port: listener.port,
          maxRequestBytes: config.socketRequestMaxBytes,
          maxPendingResponses: 100,
          maxPendingWriteBytes: 16 * 1024 * 1024,
          queuedMaxRequestBytes: config.queuedMaxRequestBytes,
          // Produce answers only once its batches are written and copied where they are kept.
          reusableFrameApis: [ApiKey.Produce],
          connectionsMaxIdleMs: config.connectionsMaxIdleMs,
          requestReceiveTimeoutMs: config.socketRequestReceiveTimeoutMs,
          clock,
          logger,
        },
      );
      const port = await server.listen();
      opened.push(() => server.close());
      const advertisedListener = config.advertisedListeners.find((l) => l.name === listener.name) ?? listener;
      const advertised: AdvertisedEndpoint = {
        host: advertisedListener.host === '' || advertisedListener.host === '0.0.0.0' ? 'localhost' : advertisedListener.host,
        // With port 0 the bound port is the one to advertise.
        port: advertisedListener.port === 0 ? port : advertisedListener.port,
        listenerName: listener.name,
        securityProtocol: listener.securityProtocol,
      };
      const services: BrokerServices = {
        logger,
        clock,
        nodeId: config.nodeId,
        clusterId,
        advertised,
        brokerConfig: resolved,
        dynamicConfig,
        metadata,
        cluster: clusterNode ? clusterNode.view : new SingleBrokerView({ nodeId: config.nodeId, host: advertised.host, port: advertised.port, rack: config.brokerRack }),
        logs,
        partitions,
        fetch: new SessionFetchService({
          reads: new FetchService({ metadata, partitions, clock, logger, ...fetchSettingsFrom(resolved) }),
          clock,
          ...fetchSessionSettingsFrom(resolved),
        }),
        logOffsets: new LogOffsetService({ metadata, partitions, logger }),
        produce: new ProduceService({ metadata, partitions, clock, logger, brokerConfig: () => services.brokerConfig, verifyTransaction: txnVerifier(transactions) }),
        producerIds,
        groups,
        transactions,
        txnMarkers,
        apiVersions: advertisedVersions(HANDLERS),
      };
      dynamicConfig.onChange((next) => {
        services.brokerConfig = next;
        metadata.updateBrokerConfig(next);
      });
      const dispatcher = new Dispatcher(HANDLERS, services);
      const retention = new RetentionScheduler({ logs: () => logs.all(), clock, intervalMs: config.logRetentionCheckIntervalMs, logger });
      retention.start();
      const logCleaner = config.logCleanerEnable && config.logCleanerThreads > 0 ? newLogCleaner(services, clock, logger) : null;
      logCleaner?.start();
      opened.push(async () => { await logCleaner?.stop(); });
      // Registered only now that the listener accepts: the registration tells others where to reach it.
      await clusterNode?.join({ nodeId: config.nodeId, host: advertised.host, port: advertised.port, rack: config.brokerRack });
      logStartSummary(logger, { host: bindHost, port, storage, dirs }, logs, groups, performance.now() - startedAt);
      return new Broker(services, server, retention, logCleaner, stateLog, logs, clusterNode, bindHost, port, storage === 'disk' ? dirs[0] : null);
    } catch (err) {
      for (const close of opened.reverse()) await close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Graceful shutdown: in a cluster, first move leadership away (controlled shutdown) and leave;
   * then finish in-flight requests, flush, and mark the logs cleanly closed.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.clusterNode?.leave({ graceful: true }).catch((err: unknown) => { this.logger.warn({ err }, 'cluster: leaving the cluster failed'); });
      // Waiting fetches answer now instead of holding the close for up to max.wait.ms.
      this.services.fetch.shutdown();
      // Parked JoinGroup/SyncGroup requests answer now instead of holding the close.
      this.services.groups.shutdown();
      // Every step runs even when one before it failed: the logs must still close, and their
      // clean-shutdown marker depends only on them.
      const steps: (() => Promise<void>)[] = [
        () => this.server.close(),
        // Completions under way stop before the group coordinator they complete offsets in.
        () => this.services.transactions.close(),
        () => this.services.groups.close(),
        // Producer state snapshots go into the partition folders before the logs close.
        () => this.services.partitions.close(),
        () => this.services.producerIds.close(),
        () => this.retention.stop(),
        // Before the logs close: a clean in progress stops between two groups of segments.
        async () => { await this.logCleaner?.stop(); },
        () => this.stateLog.close(),
        () => this.services.dynamicConfig.close(),
        () => this.logs.close(),
      ];
      const errors: unknown[] = [];
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, `stopping the broker: ${errors.length} failures`);
    })();
    return this.stopping;
  }
}

/**
 * The broker's log cleaner: every compacted partition of the log manager, with each partition's
 * producer state (the producers whose last batch it keeps, and the last stable offset it never
 * cleans past). Topic config changes reach it through each log's config, read every round.
 */
function newLogCleaner(services: BrokerServices, clock: Clock, logger: Logger): LogCleaner {
  const config = services.brokerConfig.config;
  const partitionOf = (log: PartitionLog) => services.partitions.get(log.topic, log.partition);
  const producerState = async (log: PartitionLog) => partitionOf(log)?.producerState();
  return new LogCleaner({
    logs: () => services.logs.all(),
    dirOf: (topic, partition) => services.logs.dirOf(topic, partition),
    clock,
    logger,
    backoffMs: config.logCleanerBackoffMs,
    dedupeBufferSize: config.logCleanerDedupeBufferSize,
    loadFactor: config.logCleanerIoBufferLoadFactor,
    threads: config.logCleanerThreads,
    // Read at every throttle check: AlterConfigs on the broker changes it without a restart.
    ioMaxBytesPerSecond: () => services.brokerConfig.config.logCleanerIoMaxBytesPerSecond,
    loopShare: config.logCleanerEventLoopShare,
    producers: async (log) => {
      const state = await producerState(log);
      if (state === undefined) return undefined;
      const out = new Map<bigint, ProducerLastRecord>();
      for (const [id, entry] of state.activeProducers()) out.set(id, { lastDataOffset: entry.batches.at(-1)?.lastOffset ?? null, producerEpoch: entry.producerEpoch });
      return out;
    },
    lastStableOffset: async (log) => {
      const partition = partitionOf(log);
      if (partition === undefined) return log.logEndOffset;
      // Loaded first: the last stable offset counts open transactions only once their state is known.
      await partition.producerState();
      return partition.lastStableOffset;
    },
  });
}

/** Thrown when a log directory cannot be used; `dir` is the one named in the configuration. */
export class LogDirError extends Error {
  constructor(
    message: string,
    readonly dir: string,
  ) {
    super(message);
  }
}

/** Creates a log directory, saying in words when a file stands where it or a parent should be. */
async function makeLogDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new LogDirError(`log directory ${dir} is a file, not a directory`, dir);
    if (code === 'ENOTDIR') throw new LogDirError(`log directory ${dir} cannot be created: a file stands where one of its parent directories should be`, dir);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new LogDirError(`log directory ${dir} cannot be created: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'}`, dir);
    throw err;
  }
}

/**
 * The one line a start prints about what it brought back: partitions and topics opened, what log
 * recovery did (segments scanned or re-indexed, bytes cut), the groups and committed offsets
 * loaded, and how long the start took.
 */
function logStartSummary(logger: Logger, where: Record<string, unknown>, logs: LogManager, groups: GroupCoordinator, elapsedMs: number): void {
  const topics = new Set<string>();
  let partitions = 0;
  let segmentsRecovered = 0;
  let bytesTruncated = 0;
  for (const log of logs.all()) {
    topics.add(log.topic);
    partitions++;
    segmentsRecovered += log.recovered?.segments ?? 0;
    bytesTruncated += log.recovered?.truncatedBytes ?? 0;
  }
  const groupCount = groups.groups.groups.size + groups.consumerGroups.groups.size;
  let offsets = 0;
  groups.offsets.forEach(() => offsets++);
  const ms = Math.round(elapsedMs);
  logger.info(
    { ...where, topics: topics.size, partitions, segmentsRecovered, bytesTruncated, groups: groupCount, offsets, ms },
    `started in ${ms} ms: ${partitions} partitions of ${topics.size} topics, ${segmentsRecovered} segments recovered, ` +
      `${bytesTruncated} bytes truncated, ${groupCount} groups and ${offsets} committed offsets loaded`,
  );
}
