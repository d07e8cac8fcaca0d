/**
 * Broker configuration resolved from its layers, and the typed view the rest of Gregor reads.
 * The keys themselves are defined in broker-config-defs.ts; listeners are parsed by listeners.ts;
 * dynamic changes and DescribeConfigs live in broker-config-alter.ts and broker-config-describe.ts.
 *
 * Precedence of the effective value (highest first):
 *   DYNAMIC_BROKER_CONFIG          set at runtime for this broker (AlterConfigs, resource name = node id)
 *   DYNAMIC_DEFAULT_BROKER_CONFIG  set at runtime as the cluster default (resource name "")
 *   STATIC_BROKER_CONFIG           command-line flags > GREGOR_* environment variables > --config file
 *   DEFAULT_CONFIG                 the definition's default
 *
 * Environment variables: `GREGOR_` + the key upper-cased with `.` and `-` as `_`
 * (GREGOR_LOG_DIRS -> log.dirs). Only GREGOR_ variables are read.
 *
 * Derived values, as Kafka derives them: log.dirs <- log.dir; node.id and broker.id are synonyms
 * (one set fills the other; both set must agree); advertised.listeners <- listeners (minus
 * controller listeners). The log.* time keys (log.retention.ms <- .minutes <- .hours, log.roll.ms <-
 * log.roll.hours, ...) are read only as topic defaults, so topic-config.ts's broker synonyms derive
 * them.
 *
 * The typed BrokerConfig holds the settings the broker reads directly; every other key is still
 * parsed, validated and reported through `entries`.
 *
 * Keys no definition knows are kept, logged as ignored, and reported by DescribeConfigs as Kafka
 * does (type unknown, hence sensitive, value hidden), so Kafka's own server.properties loads as is.
 */
import { silentLogger, type Logger } from '../util/logger.js';
import { nearestName } from '../util/nearest-name.js';
import { readFile } from 'node:fs/promises';
import { parsePropertyEntries, type PropertyEntry } from './properties.js';
import {
  ConfigException,
  ConfigSource,
  formatTyped,
  longToNumber,
  parseAndValidate,
  parseCsvList,
  type ParsedValue,
} from './config-def.js';
import { BROKER_CONFIG_DEFINITIONS, brokerConfigDefinition, type BrokerConfigDefinition } from './broker-config-defs.js';
import { checkAdvertised, parseListenerSecurityProtocolMap, parseListeners, type Endpoint } from './listeners.js';
import { mustGet } from '../util/must-get.js';

/** The environment variable that sets a key: GREGOR_ + upper case, '.' and '-' as '_'. */
export function envVarName(key: string): string {
  return `GREGOR_${key.toUpperCase().replace(/[.-]/g, '_')}`;
}
const BY_ENV = new Map(BROKER_CONFIG_DEFINITIONS.map((d) => [envVarName(d.name), d.name]));

/** Where a static or dynamic value came from. */
export type ConfigOrigin = 'default' | 'file' | 'env' | 'flag' | 'derived' | 'dynamic-default' | 'dynamic-broker';

export interface BrokerConfigEntry {
  name: string;
  /** The value as DescribeConfigs reports it (Kafka's canonical form); null when unset. */
  value: string | null;
  parsed: ParsedValue;
  source: ConfigSource;
  origin: ConfigOrigin;
  /** The file and line, environment variable or flag that set it. */
  where?: string;
  /** Undefined for keys no definition knows (kept and ignored). */
  definition?: BrokerConfigDefinition;
}

export interface IgnoredConfig {
  name: string;
  value: string;
  origin: ConfigOrigin;
  where?: string;
}

/** A raw value in one layer. */
export interface LayerValue {
  value: string;
  origin: ConfigOrigin;
  where?: string;
}

export interface BrokerConfigLayers {
  /** Flags > env > file merged: what Kafka calls the static broker configs. */
  readonly static: ReadonlyMap<string, LayerValue>;
  readonly dynamicDefault: ReadonlyMap<string, string>;
  readonly dynamicBroker: ReadonlyMap<string, string>;
}


/** The typed configuration the rest of Gregor uses. Longs beyond 2^53 saturate to Number.MAX_SAFE_INTEGER. */
export interface BrokerConfig {
  nodeId: number;
  /** Null until the cluster id is known (see meta-properties.ts `ensureClusterId`). */
  clusterId: string | null;
  listeners: Endpoint[];
  advertisedListeners: Endpoint[];
  controllerListenerNames: string[];
  brokerRack: string | null;
  /** etcd client URLs: set, the broker is a member of the cluster they coordinate; empty, it is a single broker. */
  metadataEtcdEndpoints: string[];
  /** How long a broker's registration outlives its last renewal (the etcd lease). */
  brokerSessionTimeoutMs: number;
  logDirs: string[];
  numPartitions: number;
  defaultReplicationFactor: number;
  autoCreateTopicsEnable: boolean;
  deleteTopicEnable: boolean;
  /** transaction.partition.verification.enable (KIP-890 part 1). */
  transactionPartitionVerificationEnable: boolean;
  messageMaxBytes: number;
  fetchMaxBytes: number;
  maxIncrementalFetchSessionCacheSlots: number;
  logRetentionCheckIntervalMs: number;
  /** log.cleaner.enable: run the log cleaner (compaction of cleanup.policy=compact topics). */
  logCleanerEnable: boolean;
  /** log.cleaner.backoff.ms: pause between cleaner rounds that found nothing to clean. */
  logCleanerBackoffMs: number;
  /** log.cleaner.dedupe.buffer.size: memory for the cleaner's key map (bounds the keys of one round). */
  logCleanerDedupeBufferSize: number;
  /** log.cleaner.io.buffer.load.factor: how full the key map is filled. */
  logCleanerIoBufferLoadFactor: number;
  /** log.cleaner.threads: logs cleaned at once; 0 runs no cleaner. */
  logCleanerThreads: number;
  /** log.cleaner.io.max.bytes.per.second: the cleaner's read and write throttle. */
  logCleanerIoMaxBytesPerSecond: number;
  /** log.cleaner.event.loop.share (Gregor only): the cleaner's share of the event loop. */
  logCleanerEventLoopShare: number;
  socketRequestMaxBytes: number;
  /** queued.max.request.bytes; 0 or less: no limit. */
  queuedMaxRequestBytes: number;
  /** connections.max.idle.ms; negative: never. */
  connectionsMaxIdleMs: number;
  /** socket.request.receive.timeout.ms; 0 or less: no limit. */
  socketRequestReceiveTimeoutMs: number;
  /** offsets.retention.minutes in milliseconds. */
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  offsetMetadataMaxBytes: number;
  groupInitialRebalanceDelayMs: number;
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  groupMaxSize: number;
  consumerGroupHeartbeatIntervalMs: number;
  consumerGroupSessionTimeoutMs: number;
  consumerGroupMaxSize: number;
  consumerGroupAssignors: string[];
  transactionMaxTimeoutMs: number;
  transactionalIdExpirationMs: number;
  transactionAbortTimedOutTransactionCleanupIntervalMs: number;
  transactionRemoveExpiredTransactionCleanupIntervalMs: number;
  /** offsets.topic.num.partitions: places groups on __consumer_offsets partitions (transaction verification). */
  offsetsTopicNumPartitions: number;
  producerIdExpirationMs: number;
  producerIdExpirationCheckIntervalMs: number;
  /** replica.lag.time.max.ms: a follower not caught up for this long leaves the ISR. */
  replicaLagTimeMaxMs: number;
}

export interface ResolvedBrokerConfig {
  readonly config: BrokerConfig;
  /** Every defined key (internal ones included) and every unknown key supplied, by name. */
  readonly entries: ReadonlyMap<string, BrokerConfigEntry>;
  /** Keys no definition knows; kept and reported, otherwise ignored. */
  readonly ignored: readonly IgnoredConfig[];
  readonly layers: BrokerConfigLayers;
}

/** Values accepted from code and command-line flags; arrays are joined with commas, undefined and null skipped. */
export type FlagValue = string | number | boolean | bigint | readonly string[] | null | undefined;

export interface BrokerConfigSources {
  /** The parsed --config file: entries (with line numbers) or a map. */
  file?: readonly PropertyEntry[] | ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** Used in messages: the file's path. */
  filePath?: string;
  /** Usually process.env; only GREGOR_* variables are read. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Command-line flags (and programmatic options) by Kafka key. */
  flags?: Readonly<Record<string, FlagValue>>;
  dynamicDefault?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  dynamicBroker?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  logger?: Logger;
}

export interface BrokerConfigProblem {
  key: string;
  message: string;
  /** Where the offending value came from, when it was not a default. */
  where?: string;
}

/** Startup configuration errors, all of them at once; each names its key. */
export class BrokerConfigError extends Error {
  override readonly name = 'BrokerConfigError';
  constructor(readonly problems: readonly BrokerConfigProblem[]) {
    super(
      problems.length === 1
        ? withWhere(problems[0])
        : `${problems.length} configuration errors:\n${problems.map((p) => `  - ${withWhere(p)}`).join('\n')}`,
    );
  }
}

function withWhere(p: BrokerConfigProblem): string {
  return p.where === undefined ? p.message : `${p.message} (set by ${p.where})`;
}

function flagToString(v: FlagValue): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

function toMap(m: ReadonlyMap<string, string> | Readonly<Record<string, string>> | undefined): Map<string, string> {
  if (m === undefined) return new Map();
  return m instanceof Map ? new Map(m as ReadonlyMap<string, string>) : new Map(Object.entries(m as Record<string, string>));
}

/** Picks the GREGOR_* variables that name a known key. */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): Map<string, LayerValue> {
  const out = new Map<string, LayerValue>();
  for (const [name, value] of Object.entries(env)) {
    const key = BY_ENV.get(name);
    if (key !== undefined && value !== undefined) out.set(key, { value, origin: 'env', where: name });
  }
  return out;
}

/**
 * Resolves the effective broker configuration from its layers. Pure apart from logging; throws
 * BrokerConfigError listing every invalid value (each message names its key, Kafka-style).
 */
export function resolveBrokerConfig(sources: BrokerConfigSources = {}): ResolvedBrokerConfig {
  const logger = sources.logger ?? silentLogger;
  const staticLayer = new Map<string, LayerValue>();

  // file < env < flags
  const file = sources.file;
  if (Array.isArray(file)) {
    for (const e of file as readonly PropertyEntry[]) {
      staticLayer.set(e.key, { value: e.value, origin: 'file', where: `${sources.filePath ?? 'config file'}:${e.line}` });
    }
  } else if (file !== undefined) {
    for (const [k, v] of toMap(file as ReadonlyMap<string, string>)) {
      staticLayer.set(k, { value: v, origin: 'file', where: sources.filePath ?? 'config file' });
    }
  }
  if (sources.env !== undefined) for (const [k, v] of configFromEnv(sources.env)) staticLayer.set(k, v);
  for (const [k, v] of Object.entries(sources.flags ?? {})) {
    const s = flagToString(v);
    if (s !== undefined) staticLayer.set(k, { value: s, origin: 'flag', where: `the command line (${k})` });
  }

  const layers: BrokerConfigLayers = {
    static: staticLayer,
    dynamicDefault: toMap(sources.dynamicDefault),
    dynamicBroker: toMap(sources.dynamicBroker),
  };
  const resolved = resolveLayers(layers);
  // A warning, as Kafka's AbstractConfig.logUnused gives: an unknown key is most often a typo of a known one.
  for (const i of resolved.ignored) {
    const suggestion = nearestName(i.name, BROKER_CONFIG_DEFINITIONS.map((d) => d.name));
    logger.warn(
      { key: i.name, origin: i.origin, where: i.where, ...(suggestion ? { suggestion } : {}) },
      `ignoring unknown configuration key ${i.name}${i.where ? ` (${i.where})` : ''}${suggestion ? `; did you mean ${suggestion}?` : ''}`,
    );
  }
  for (const name of Object.keys(sources.env ?? {})) {
    if (!name.startsWith('GREGOR_') || BY_ENV.has(name)) continue;
    // Other GREGOR_ variables may belong to other tools; one a letter or two from a key is a typo.
    const near = nearestName(name.slice('GREGOR_'.length), [...BY_ENV.keys()].map((k) => k.slice('GREGOR_'.length)));
    const suggestion = near === undefined ? undefined : `GREGOR_${near}`;
    if (suggestion) logger.warn({ env: name, suggestion }, `environment variable ${name} names no configuration key; did you mean ${suggestion}?`);
    else logger.debug({ env: name }, `environment variable ${name} names no configuration key`);
  }
  return resolved;
}

/** Reads the --config file (if any) and resolves it with env and flags. */
export async function loadBrokerConfig(options: {
  configFile?: string | undefined;
  env?: Readonly<Record<string, string | undefined>>;
  flags?: Readonly<Record<string, FlagValue>>;
  logger?: Logger;
}): Promise<ResolvedBrokerConfig> {
  const sources: BrokerConfigSources = {};
  if (options.configFile !== undefined) {
    sources.file = parsePropertyEntries(await readFile(options.configFile, 'utf8'), options.configFile);
    sources.filePath = options.configFile;
  }
  if (options.env !== undefined) sources.env = options.env;
  if (options.flags !== undefined) sources.flags = options.flags;
  if (options.logger !== undefined) sources.logger = options.logger;
  return resolveBrokerConfig(sources);
}

/** Resolves the layers as they stand; dynamic changes re-resolve through it. */
export function resolveLayers(layers: BrokerConfigLayers): ResolvedBrokerConfig {
  const problems: BrokerConfigProblem[] = [];
  const entries = new Map<string, BrokerConfigEntry>();

  // node.id and broker.id fill each other in the static layer (Kafka's KafkaConfig.populateSynonyms).
  const staticLayer = new Map(layers.static);
  const nodeStatic = staticLayer.get('node.id');
  const brokerStatic = staticLayer.get('broker.id');
  if (nodeStatic !== undefined && brokerStatic === undefined) {
    staticLayer.set('broker.id', { value: nodeStatic.value, origin: 'derived', where: 'node.id' });
  } else if (brokerStatic !== undefined && nodeStatic === undefined) {
    staticLayer.set('node.id', { value: brokerStatic.value, origin: 'derived', where: 'broker.id' });
  }

  for (const d of BROKER_CONFIG_DEFINITIONS) {
    const dyn = layers.dynamicBroker.get(d.name);
    const dynDefault = layers.dynamicDefault.get(d.name);
    const st = staticLayer.get(d.name);
    let raw: string | null;
    let source: ConfigSource;
    let origin: ConfigOrigin;
    let where: string | undefined;
    if (dyn !== undefined) {
      [raw, source, origin, where] = [dyn, ConfigSource.DYNAMIC_BROKER_CONFIG, 'dynamic-broker', 'a dynamic broker config'];
    } else if (dynDefault !== undefined) {
      [raw, source, origin, where] = [dynDefault, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, 'dynamic-default', 'a dynamic cluster default'];
    } else if (st !== undefined) {
      [raw, source, origin, where] = [st.value, ConfigSource.STATIC_BROKER_CONFIG, st.origin, st.where];
    } else {
      [raw, source, origin, where] = [d.default, ConfigSource.DEFAULT_CONFIG, 'default', undefined];
    }
    let parsed: ParsedValue;
    try {
      parsed = parseAndValidate(d, raw);
    } catch (e) {
      if (!(e instanceof ConfigException)) throw e;
      problems.push(problem(d.name, e.message, where));
      continue;
    }
    const entry: BrokerConfigEntry = { name: d.name, value: formatTyped(d.type, parsed), parsed, source, origin, definition: d };
    if (where !== undefined) entry.where = where;
    entries.set(d.name, entry);
  }

  const ignored: IgnoredConfig[] = [];
  const unknown = (name: string, value: string, source: ConfigSource, origin: ConfigOrigin, where?: string): void => {
    const i: IgnoredConfig = { name, value, origin };
    if (where !== undefined) i.where = where;
    ignored.push(i);
    const entry: BrokerConfigEntry = { name, value, parsed: value, source, origin };
    if (where !== undefined) entry.where = where;
    if (!entries.has(name)) entries.set(name, entry);
  };
  for (const [k, v] of layers.dynamicBroker) if (brokerConfigDefinition(k) === undefined) unknown(k, v, ConfigSource.DYNAMIC_BROKER_CONFIG, 'dynamic-broker');
  for (const [k, v] of layers.dynamicDefault) if (brokerConfigDefinition(k) === undefined) unknown(k, v, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, 'dynamic-default');
  for (const [k, v] of staticLayer) if (brokerConfigDefinition(k) === undefined) unknown(k, v.value, ConfigSource.STATIC_BROKER_CONFIG, v.origin, v.where);

  if (problems.length > 0) throw new BrokerConfigError(problems);
  const config = buildTyped(entries, problems);
  if (problems.length > 0) throw new BrokerConfigError(problems);
  return { config, entries, ignored, layers: { ...layers, static: staticLayer } };
}

function problem(key: string, message: string, where?: string): BrokerConfigProblem {
  const p: BrokerConfigProblem = { key, message };
  if (where !== undefined) p.where = where;
  return p;
}

// ------------------------------------------------------------------------------------------------
// Typed view and cross-key rules

function buildTyped(entries: Map<string, BrokerConfigEntry>, problems: BrokerConfigProblem[]): BrokerConfig {
  const get = (k: string): ParsedValue => mustGet(entries, k).parsed;
  const int = (k: string): number => get(k) as number;
  const long = (k: string): number => longToNumber(get(k) as bigint);
  const bool = (k: string): boolean => get(k) as boolean;
  const str = (k: string): string | null => get(k) as string | null;
  const list = (k: string): string[] => get(k) as string[];
  const where = (k: string): string | undefined => mustGet(entries, k).where;
  const fail = (k: string, e: unknown): void => {
    if (!(e instanceof ConfigException)) throw e;
    problems.push(problem(k, e.message, where(k)));
  };

  // node.id / broker.id
  const nodeId = int('node.id');
  const brokerId = int('broker.id');
  if (nodeId !== brokerId) {
    problems.push(problem('broker.id', `Invalid value ${brokerId} for configuration broker.id: broker.id and node.id are synonyms and must be equal; node.id is ${nodeId}`, where('broker.id')));
  }

  // listeners
  const controllerListenerNames = parseCsvList(str('controller.listener.names')).map((n) => n.toUpperCase());
  let protocols: Record<string, string> = {};
  let protocolsOk = true;
  try {
    protocols = parseListenerSecurityProtocolMap(str('listener.security.protocol.map') ?? '');
    // KRaft: with the default map, controller listeners not in it speak PLAINTEXT.
    if (mustGet(entries, 'listener.security.protocol.map').source === ConfigSource.DEFAULT_CONFIG) {
      for (const n of controllerListenerNames) protocols[n] ??= 'PLAINTEXT';
    }
  } catch (e) {
    fail('listener.security.protocol.map', e);
    protocolsOk = false;
  }
  let listeners: Endpoint[] = [];
  let advertisedListeners: Endpoint[] = [];
  try {
    if (protocolsOk) listeners = parseListeners('listeners', str('listeners') ?? '', protocols);
  } catch (e) {
    fail('listeners', e);
  }
  const advertisedRaw = str('advertised.listeners');
  if (protocolsOk) {
    try {
      advertisedListeners = (advertisedRaw === null ? listeners : parseListeners('advertised.listeners', advertisedRaw, protocols)).filter(
        (l) => !controllerListenerNames.includes(l.name),
      );
      if (advertisedRaw !== null) checkAdvertised(advertisedListeners, listeners);
    } catch (e) {
      fail('advertised.listeners', e);
    }
  }

  // inter-broker listener: unused by a single broker, but a file Kafka would refuse is refused here too
  const ibln = str('inter.broker.listener.name')?.toUpperCase() ?? null;
  const interBrokerProtocolSet = mustGet(entries, 'security.inter.broker.protocol').source !== ConfigSource.DEFAULT_CONFIG;
  if (ibln !== null && interBrokerProtocolSet) {
    problems.push(problem('inter.broker.listener.name', 'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.', where('inter.broker.listener.name')));
  } else if (ibln !== null && advertisedListeners.length > 0 && !advertisedListeners.some((a) => a.name === ibln)) {
    problems.push(
      problem(
        'inter.broker.listener.name',
        `inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${advertisedListeners.map((a) => a.name).join(',')}`,
        where('inter.broker.listener.name'),
      ),
    );
  }

  // Kafka's KafkaConfig.validateValues: a frame must fit in the budget, so it can always be read.
  const queuedMaxBytes = long('queued.max.request.bytes');
  if (queuedMaxBytes > 0 && queuedMaxBytes < int('socket.request.max.bytes')) {
    problems.push(
      problem(
        'queued.max.request.bytes',
        `Invalid value ${queuedMaxBytes} for configuration queued.max.request.bytes: queued.max.request.bytes must be larger or equal to socket.request.max.bytes (${int('socket.request.max.bytes')}), or -1 for no limit`,
        where('queued.max.request.bytes'),
      ),
    );
  }

  // log directories
  const logDirs = parseCsvList(str('log.dirs') ?? str('log.dir'));
  if (logDirs.length === 0) {
    const key = str('log.dirs') !== null ? 'log.dirs' : 'log.dir';
    problems.push(problem(key, `Invalid value ${str(key) ?? 'null'} for configuration ${key}: At least one log directory must be defined via log.dirs or log.dir.`, where(key)));
  } else if (new Set(logDirs).size !== logDirs.length) {
    problems.push(problem('log.dirs', `Invalid value ${str('log.dirs')} for configuration log.dirs: Duplicate log directories are not allowed`, where('log.dirs')));
  }

  return {
    nodeId,
    clusterId: str('cluster.id'),
    listeners,
    advertisedListeners,
    controllerListenerNames,
    brokerRack: str('broker.rack'),
    metadataEtcdEndpoints: list('metadata.etcd.endpoints'),
    brokerSessionTimeoutMs: int('broker.session.timeout.ms'),
    logDirs,
    numPartitions: int('num.partitions'),
    defaultReplicationFactor: int('default.replication.factor'),
    autoCreateTopicsEnable: bool('auto.create.topics.enable'),
    deleteTopicEnable: bool('delete.topic.enable'),
    transactionPartitionVerificationEnable: bool('transaction.partition.verification.enable'),
    messageMaxBytes: int('message.max.bytes'),
    fetchMaxBytes: int('fetch.max.bytes'),
    maxIncrementalFetchSessionCacheSlots: int('max.incremental.fetch.session.cache.slots'),
    logRetentionCheckIntervalMs: long('log.retention.check.interval.ms'),
    logCleanerEnable: bool('log.cleaner.enable'),
    logCleanerBackoffMs: long('log.cleaner.backoff.ms'),
    logCleanerDedupeBufferSize: long('log.cleaner.dedupe.buffer.size'),
    logCleanerIoBufferLoadFactor: get('log.cleaner.io.buffer.load.factor') as number,
    logCleanerThreads: int('log.cleaner.threads'),
    logCleanerIoMaxBytesPerSecond: get('log.cleaner.io.max.bytes.per.second') as number,
    logCleanerEventLoopShare: get('log.cleaner.event.loop.share') as number,
    socketRequestMaxBytes: int('socket.request.max.bytes'),
    queuedMaxRequestBytes: long('queued.max.request.bytes'),
    connectionsMaxIdleMs: long('connections.max.idle.ms'),
    socketRequestReceiveTimeoutMs: long('socket.request.receive.timeout.ms'),
    offsetsRetentionMs: int('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: long('offsets.retention.check.interval.ms'),
    offsetMetadataMaxBytes: int('offset.metadata.max.bytes'),
    groupInitialRebalanceDelayMs: int('group.initial.rebalance.delay.ms'),
    groupMinSessionTimeoutMs: int('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: int('group.max.session.timeout.ms'),
    groupMaxSize: int('group.max.size'),
    consumerGroupHeartbeatIntervalMs: int('group.consumer.heartbeat.interval.ms'),
    consumerGroupSessionTimeoutMs: int('group.consumer.session.timeout.ms'),
    consumerGroupMaxSize: int('group.consumer.max.size'),
    consumerGroupAssignors: list('group.consumer.assignors'),
    transactionMaxTimeoutMs: int('transaction.max.timeout.ms'),
    transactionalIdExpirationMs: int('transactional.id.expiration.ms'),
    transactionAbortTimedOutTransactionCleanupIntervalMs: int('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    transactionRemoveExpiredTransactionCleanupIntervalMs: int('transaction.remove.expired.transaction.cleanup.interval.ms'),
    offsetsTopicNumPartitions: int('offsets.topic.num.partitions'),
    producerIdExpirationMs: int('producer.id.expiration.ms'),
    producerIdExpirationCheckIntervalMs: int('producer.id.expiration.check.interval.ms'),
    replicaLagTimeMaxMs: long('replica.lag.time.max.ms'),
  };
}

/** The same resolution with the cluster id filled in (after `ensureClusterId`). */
export function withClusterId(resolved: ResolvedBrokerConfig, clusterId: string): ResolvedBrokerConfig {
  return { ...resolved, config: { ...resolved.config, clusterId } };
}
