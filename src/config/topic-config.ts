/**
 * Topic configuration: every Kafka topic config (Kafka 3.9's LogConfig, plus the 3.8 compression
 * levels and the 3.9 remote-log switches) with its type, default, validator and broker synonyms.
 *
 * A topic's effective value is its override (a TOPIC_CONFIG, set by CreateTopics or AlterConfigs),
 * else the broker's value of the first broker synonym that is set, converted (hours to ms, ...),
 * else the topic default. Broker synonyms in priority order, as Kafka's ServerTopicConfigSynonyms:
 *   retention.ms <- log.retention.ms <- log.retention.minutes <- log.retention.hours
 *   segment.ms <- log.roll.ms <- log.roll.hours;  segment.bytes <- log.segment.bytes;
 *   max.message.bytes <- message.max.bytes;  flush.ms <- log.flush.interval.ms <- log.flush.scheduler.interval.ms; ...
 * (see TOPIC_CONFIG_DEFINITIONS). Validation follows Kafka's: unknown names, null values, parse
 * errors and range/allowed-value errors, each INVALID_CONFIG with Kafka's message, then the
 * cross-key rules (min.compaction.lag.ms <= max.compaction.lag.ms; no tiered storage).
 *
 * Validators are Kafka 3.9's. Kafka 4.0 (KIP-1030) raised segment.bytes to >= 1 MiB and removed
 * message.format.version, message.timestamp.difference.max.ms and message.downconversion.enable;
 * Gregor keeps 3.9's rules because it still serves the clients that use them, and small segments
 * are what tests of rolling and retention need.
 */
import { ErrorCode } from '../protocol/generated/errors.js';
import type { LogConfig } from '../storage/types.js';
import { mustGet } from '../util/must-get.js';
import { BROKER_CONFIG_DEFINITIONS, COMPRESSION_TYPES, LONG_MAX, gzipLevel, lz4Level, metadataVersion, zstdLevel } from './broker-config-defs.js';
import type { ResolvedBrokerConfig } from './broker-config.js';
import { brokerConfigSynonyms } from './broker-config-describe.js';
import {
  ConfigException,
  ConfigResourceType,
  ConfigSource,
  JAVA_LONG_MAX,
  atLeast,
  between,
  canonicalDefault,
  configResponseType,
  formatTyped,
  lambda,
  listOf,
  longToNumber,
  mergeListValue,
  oneOf,
  parseAndValidate,
  wantsKey,
  type ConfigDefinition,
  type ConfigType,
  type DescribeConfigsEntry,
  type DescribeConfigsOptions,
  type DescribeConfigsResourceResult,
  type DescribeConfigsSynonym,
  type ParsedValue,
  type Validator,
} from './config-def.js';

// ------------------------------------------------------------------------------------------------
// Definitions

/** How a broker synonym's value becomes the topic value. */
export type SynonymUnit = 'same' | 'minutes' | 'hours';

export interface BrokerSynonym {
  name: string;
  unit: SynonymUnit;
}

export interface TopicConfigDefinition extends ConfigDefinition {
  /** Broker configs that supply the default, highest priority first; empty when Kafka has none. */
  brokerSynonyms: readonly BrokerSynonym[];
}

/** Kafka's ThrottledReplicaListValidator: `*`, or a list of partitionId:brokerId. */
export const throttledReplicas: Validator = lambda(
  (name, v) => {
    const items = Array.isArray(v) ? v.map((s) => s.trim()) : [];
    return items.every((s) => /^([0-9]+:[0-9]+)?$/.test(s)) || items.join('') === '*'
      ? null
      : `${name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`;
  },
  '[partitionId]:[brokerId],[partitionId]:[brokerId],...',
);

function topic(
  name: string,
  type: ConfigType,
  dflt: string | null,
  validator: Validator | undefined,
  synonyms: readonly (string | [string, SynonymUnit])[],
  doc: string,
  importance: 'medium' | 'low' = 'medium',
): TopicConfigDefinition {
  const d: TopicConfigDefinition = {
    name,
    type,
    default: dflt,
    importance,
    doc,
    brokerSynonyms: synonyms.map((s) => (typeof s === 'string' ? { name: s, unit: 'same' } : { name: s[0], unit: s[1] })),
  };
  if (validator !== undefined) d.validator = validator;
  return d;
}

const DEFINITIONS: TopicConfigDefinition[] = [
  topic('segment.bytes', 'int', '1073741824', atLeast(14), ['log.segment.bytes'], 'Segment file size; retention and compaction work a whole segment at a time.'),
  topic('segment.ms', 'long', '604800000', atLeast(1), ['log.roll.ms', ['log.roll.hours', 'hours']], 'Roll a new segment after this long even if the active one is not full.'),
  topic('segment.jitter.ms', 'long', '0', atLeast(0), ['log.roll.jitter.ms', ['log.roll.jitter.hours', 'hours']], 'Largest random jitter subtracted from the roll time.'),
  topic('segment.index.bytes', 'int', '10485760', atLeast(4), ['log.index.size.max.bytes'], 'Size of the offset and time index files.'),
  topic('flush.messages', 'long', LONG_MAX, atLeast(1), ['log.flush.interval.messages'], 'fsync after this many messages (default: leave it to the OS).'),
  topic('flush.ms', 'long', LONG_MAX, atLeast(0), ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'], 'fsync data older than this many ms (default: leave it to the OS).'),
  topic('retention.bytes', 'long', '-1', undefined, ['log.retention.bytes'], 'Delete old segments while a partition is larger than this; -1 for no limit.'),
  topic('retention.ms', 'long', '604800000', atLeast(-1), ['log.retention.ms', ['log.retention.minutes', 'minutes'], ['log.retention.hours', 'hours']], 'Delete segments whose newest record is older than this; -1 for no limit.'),
  topic('max.message.bytes', 'int', '1048588', atLeast(0), ['message.max.bytes'], 'The largest record batch accepted (after compression).'),
  topic('index.interval.bytes', 'int', '4096', atLeast(0), ['log.index.interval.bytes'], 'Bytes of log between two offset index entries.'),
  topic('delete.retention.ms', 'long', '86400000', atLeast(0), ['log.cleaner.delete.retention.ms'], 'How long tombstones are kept on compacted topics.'),
  topic('min.compaction.lag.ms', 'long', '0', atLeast(0), ['log.cleaner.min.compaction.lag.ms'], 'Minimum age before a record may be compacted.'),
  topic('max.compaction.lag.ms', 'long', LONG_MAX, atLeast(1), ['log.cleaner.max.compaction.lag.ms'], 'Maximum age before a record must be compacted.'),
  topic('file.delete.delay.ms', 'long', '60000', atLeast(0), ['log.segment.delete.delay.ms'], 'How long a deleted segment lingers before its files are removed.'),
  topic('min.cleanable.dirty.ratio', 'double', '0.5', between(0, 1), ['log.cleaner.min.cleanable.ratio'], 'Dirty ratio above which the log is compacted.'),
  topic('cleanup.policy', 'list', 'delete', listOf('compact', 'delete'), ['log.cleanup.policy'], 'delete (retention), compact (log compaction) or both.'),
  topic('unclean.leader.election.enable', 'boolean', 'false', undefined, ['unclean.leader.election.enable'], 'Allow an out-of-sync replica to become leader, losing data.'),
  topic('min.insync.replicas', 'int', '1', atLeast(1), ['min.insync.replicas'], 'With acks=all, the replicas that must have a write.'),
  topic('compression.type', 'string', 'producer', oneOf(...COMPRESSION_TYPES), ['compression.type'], 'Final compression of stored batches; producer keeps the producer\'s codec.'),
  topic('compression.gzip.level', 'int', '-1', gzipLevel, ['compression.gzip.level'], 'gzip level when compression.type is gzip.'),
  topic('compression.lz4.level', 'int', '9', lz4Level, ['compression.lz4.level'], 'lz4 level when compression.type is lz4.'),
  topic('compression.zstd.level', 'int', '3', zstdLevel, ['compression.zstd.level'], 'zstd level when compression.type is zstd.'),
  topic('preallocate', 'boolean', 'false', undefined, ['log.preallocate'], 'Preallocate segment files on disk.'),
  topic('message.format.version', 'string', '3.0-IV1', metadataVersion, ['log.message.format.version'], 'Deprecated message format version; ignored, as in Kafka 3.x.'),
  topic('message.timestamp.type', 'string', 'CreateTime', oneOf('CreateTime', 'LogAppendTime'), ['log.message.timestamp.type'], 'CreateTime keeps the producer\'s timestamps; LogAppendTime stamps the broker\'s.'),
  topic('message.timestamp.difference.max.ms', 'long', LONG_MAX, atLeast(0), ['log.message.timestamp.difference.max.ms'], 'Deprecated: largest difference between a CreateTime timestamp and the broker clock.'),
  topic('message.timestamp.before.max.ms', 'long', LONG_MAX, atLeast(0), ['log.message.timestamp.before.max.ms'], 'How far a CreateTime timestamp may be behind the broker clock.'),
  topic('message.timestamp.after.max.ms', 'long', LONG_MAX, atLeast(0), ['log.message.timestamp.after.max.ms'], 'How far a CreateTime timestamp may be ahead of the broker clock.'),
  topic('leader.replication.throttled.replicas', 'list', '', throttledReplicas, [], 'Replicas throttled on the leader side, as partition:broker pairs or *.'),
  topic('follower.replication.throttled.replicas', 'list', '', throttledReplicas, [], 'Replicas throttled on the follower side, as partition:broker pairs or *.'),
  topic('message.downconversion.enable', 'boolean', 'true', undefined, ['log.message.downconversion.enable'], 'Whether fetches from old consumers may be down-converted.', 'low'),
  topic('remote.storage.enable', 'boolean', 'false', undefined, [], 'Tiered storage for this topic; Gregor has none, so only false is accepted.'),
  topic('local.retention.ms', 'long', '-2', atLeast(-2), ['log.local.retention.ms'], 'Local retention with tiered storage; -2 means retention.ms.'),
  topic('local.retention.bytes', 'long', '-2', atLeast(-2), ['log.local.retention.bytes'], 'Local retention size with tiered storage; -2 means retention.bytes.'),
  topic('remote.log.copy.disable', 'boolean', 'false', undefined, [], 'Stop copying segments to tiered storage.'),
  topic('remote.log.delete.on.disable', 'boolean', 'false', undefined, [], 'Delete tiered data when tiered storage is turned off.'),
];
for (const d of DEFINITIONS) d.default = canonicalDefault(d);

/** Every topic config definition, in Kafka's definition order. */
export const TOPIC_CONFIG_DEFINITIONS: readonly TopicConfigDefinition[] = DEFINITIONS;
const BY_NAME = new Map(DEFINITIONS.map((d) => [d.name, d]));

export function topicConfigDefinition(name: string): TopicConfigDefinition | undefined {
  return BY_NAME.get(name);
}

export function isTopicConfigName(name: string): boolean {
  return BY_NAME.has(name);
}

// Broker definitions are checked to exist for every synonym (a typo here would silently drop a default).
const BROKER_NAMES = new Set(BROKER_CONFIG_DEFINITIONS.map((d) => d.name));
for (const d of DEFINITIONS) {
  for (const s of d.brokerSynonyms) if (!BROKER_NAMES.has(s.name)) throw new Error(`topic config ${d.name}: unknown broker synonym ${s.name}`);
}

// ------------------------------------------------------------------------------------------------
// Broker-supplied defaults

export interface TopicDefault {
  /** Typed value (longs as bigint). */
  parsed: ParsedValue;
  /** The broker key it came from, or null for the topic default. */
  from: string | null;
}

const UNIT_MS: Record<SynonymUnit, bigint> = { same: 1n, minutes: 60_000n, hours: 3_600_000n };

/**
 * The value a topic without an override gets, as Kafka's KafkaConfig.extractLogConfigMap computes
 * it: the first broker synonym with a value (dynamic, static or default), converted to the topic
 * unit; retention.ms below zero becomes -1.
 */
export function topicDefaultFromBroker(name: string, broker: ResolvedBrokerConfig | undefined): TopicDefault {
  const d = BY_NAME.get(name);
  if (d === undefined) throw new RangeError(`unknown topic config ${name}`);
  if (broker !== undefined) {
    for (const s of d.brokerSynonyms) {
      const v = broker.entries.get(s.name)?.parsed ?? null;
      if (v === null) continue;
      if (s.unit === 'same' && d.type !== 'long') return { parsed: v, from: s.name };
      let ms = (typeof v === 'bigint' ? v : BigInt(v as number)) * UNIT_MS[s.unit];
      if (name === 'retention.ms' && ms < 0n) ms = -1n;
      return { parsed: ms, from: s.name };
    }
  }
  return { parsed: parseAndValidate(d, d.default), from: null };
}

// ------------------------------------------------------------------------------------------------
// Validation

export interface TopicConfigError {
  key: string;
  /** Always INVALID_CONFIG (40), as Kafka answers CreateTopics / AlterConfigs with a bad config. */
  errorCode: number;
  message: string;
}

export interface TopicConfigValidation {
  /** Every problem found, one per key (cross-key rules attach to the first key named). */
  errors: TopicConfigError[];
  /** The error Kafka would return (it stops at the first), or null when valid. */
  error: TopicConfigError | null;
  /** The valid overrides in canonical form (as DescribeConfigs reports them). */
  configs: Map<string, string>;
}

export type TopicConfigInput = ReadonlyMap<string, string | null> | Readonly<Record<string, string | null>>;

function entriesOf(input: TopicConfigInput): [string, string | null][] {
  return input instanceof Map ? [...(input as ReadonlyMap<string, string | null>).entries()] : Object.entries(input as Record<string, string | null>);
}

/**
 * Validates topic config overrides (CreateTopics configs, or the result of an AlterConfigs) as
 * Kafka's controller does, in Kafka's order: null values, unknown names, each value in definition
 * order, then the cross-key rules against the combined (override + broker) values.
 */
export function validateTopicConfigs(input: TopicConfigInput, broker?: ResolvedBrokerConfig): TopicConfigValidation {
  const errors: TopicConfigError[] = [];
  const err = (key: string, message: string): void => {
    errors.push({ key, errorCode: ErrorCode.InvalidConfig, message });
  };
  const given = entriesOf(input);
  const nulls = given.filter(([, v]) => v === null).map(([k]) => k);
  if (nulls.length > 0) for (const k of nulls) err(k, `Null value not supported for topic configs: ${nulls.join(',')}`);
  for (const [k] of given) if (!BY_NAME.has(k)) err(k, `Unknown topic config name: ${k}`);

  const values = new Map(given.filter((e): e is [string, string] => e[1] !== null));
  const configs = new Map<string, string>();
  const parsed = new Map<string, ParsedValue>();
  for (const d of DEFINITIONS) {
    const raw = values.get(d.name);
    if (raw === undefined) continue;
    try {
      const v = parseAndValidate(d, raw);
      parsed.set(d.name, v);
      // A value parsed from text formats back to text (null only for a null value).
      const text = formatTyped(d.type, v);
      if (text !== null) configs.set(d.name, text);
    } catch (e) {
      if (!(e instanceof ConfigException)) throw e;
      err(d.name, e.message);
    }
  }

  const effective = (name: string): ParsedValue => (parsed.has(name) ? mustGet(parsed, name) : topicDefaultFromBroker(name, broker).parsed);
  const minLag = effective('min.compaction.lag.ms') as bigint;
  const maxLag = effective('max.compaction.lag.ms') as bigint;
  if (minLag > maxLag) {
    err(parsed.has('min.compaction.lag.ms') ? 'min.compaction.lag.ms' : 'max.compaction.lag.ms', `conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`);
  }
  if (parsed.get('remote.storage.enable') === true) {
    err('remote.storage.enable', 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.');
  }
  return { errors, error: errors[0] ?? null, configs };
}

// ------------------------------------------------------------------------------------------------
// Effective config

/** A topic's effective configuration, Kafka's names camelCased. Longs saturate at Number.MAX_SAFE_INTEGER. */
export interface EffectiveTopicConfig {
  cleanupPolicy: string[];
  /** cleanup.policy contains compact. */
  compact: boolean;
  /** cleanup.policy contains delete. */
  delete: boolean;
  compressionType: (typeof COMPRESSION_TYPES)[number];
  compressionGzipLevel: number;
  compressionLz4Level: number;
  compressionZstdLevel: number;
  deleteRetentionMs: number;
  fileDeleteDelayMs: number;
  flushMessages: number;
  flushMs: number;
  followerReplicationThrottledReplicas: string[];
  indexIntervalBytes: number;
  leaderReplicationThrottledReplicas: string[];
  localRetentionBytes: number;
  localRetentionMs: number;
  maxCompactionLagMs: number;
  maxMessageBytes: number;
  messageDownconversionEnable: boolean;
  messageFormatVersion: string;
  /** Effective: message.timestamp.after.max.ms, or the deprecated difference setting while it is left at its default (Kafka 3.6+). */
  messageTimestampAfterMaxMs: number;
  /** Effective: message.timestamp.before.max.ms, or the deprecated difference setting while it is left at its default. */
  messageTimestampBeforeMaxMs: number;
  messageTimestampDifferenceMaxMs: number;
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  minInsyncReplicas: number;
  preallocate: boolean;
  remoteLogCopyDisable: boolean;
  remoteLogDeleteOnDisable: boolean;
  remoteStorageEnable: boolean;
  retentionBytes: number;
  retentionMs: number;
  segmentBytes: number;
  segmentIndexBytes: number;
  segmentJitterMs: number;
  segmentMs: number;
  uncleanLeaderElectionEnable: boolean;
}

/** Typed effective values by topic config name (override, else broker, else default). */
export function effectiveTopicValues(overrides: TopicConfigInput, broker?: ResolvedBrokerConfig): Map<string, { parsed: ParsedValue; source: 'topic' | 'broker' | 'default' }> {
  const given = new Map(entriesOf(overrides));
  const out = new Map<string, { parsed: ParsedValue; source: 'topic' | 'broker' | 'default' }>();
  for (const d of DEFINITIONS) {
    const raw = given.get(d.name);
    if (raw !== undefined && raw !== null) {
      out.set(d.name, { parsed: parseAndValidate(d, raw), source: 'topic' });
    } else {
      const t = topicDefaultFromBroker(d.name, broker);
      out.set(d.name, { parsed: t.parsed, source: t.from === null ? 'default' : 'broker' });
    }
  }
  return out;
}

/**
 * The effective topic config from its overrides and the broker config. Overrides must be valid
 * (see validateTopicConfigs); an invalid one throws ConfigException.
 */
export function resolveTopicConfig(overrides: TopicConfigInput, broker?: ResolvedBrokerConfig): EffectiveTopicConfig {
  const v = effectiveTopicValues(overrides, broker);
  const get = (k: string): ParsedValue => mustGet(v, k).parsed;
  const num = (k: string): number => {
    const x = get(k);
    return typeof x === 'bigint' ? longToNumber(x) : (x as number);
  };
  const bool = (k: string): boolean => get(k) as boolean;
  const list = (k: string): string[] => (get(k) as string[]).map((s) => s.toLowerCase());
  const cleanupPolicy = list('cleanup.policy');
  const difference = get('message.timestamp.difference.max.ms') as bigint;
  const before = get('message.timestamp.before.max.ms') as bigint;
  const after = get('message.timestamp.after.max.ms') as bigint;
  return {
    cleanupPolicy,
    compact: cleanupPolicy.includes('compact'),
    delete: cleanupPolicy.includes('delete'),
    compressionType: (get('compression.type') as string).toLowerCase() as EffectiveTopicConfig['compressionType'],
    compressionGzipLevel: num('compression.gzip.level'),
    compressionLz4Level: num('compression.lz4.level'),
    compressionZstdLevel: num('compression.zstd.level'),
    deleteRetentionMs: num('delete.retention.ms'),
    fileDeleteDelayMs: num('file.delete.delay.ms'),
    flushMessages: num('flush.messages'),
    flushMs: num('flush.ms'),
    followerReplicationThrottledReplicas: get('follower.replication.throttled.replicas') as string[],
    indexIntervalBytes: num('index.interval.bytes'),
    leaderReplicationThrottledReplicas: get('leader.replication.throttled.replicas') as string[],
    localRetentionBytes: num('local.retention.bytes'),
    localRetentionMs: num('local.retention.ms'),
    maxCompactionLagMs: num('max.compaction.lag.ms'),
    maxMessageBytes: num('max.message.bytes'),
    messageDownconversionEnable: bool('message.downconversion.enable'),
    messageFormatVersion: get('message.format.version') as string,
    messageTimestampAfterMaxMs: longToNumber(after !== JAVA_LONG_MAX ? after : difference),
    messageTimestampBeforeMaxMs: longToNumber(before !== JAVA_LONG_MAX ? before : difference),
    messageTimestampDifferenceMaxMs: longToNumber(difference),
    messageTimestampType: get('message.timestamp.type') as EffectiveTopicConfig['messageTimestampType'],
    minCleanableDirtyRatio: num('min.cleanable.dirty.ratio'),
    minCompactionLagMs: num('min.compaction.lag.ms'),
    minInsyncReplicas: num('min.insync.replicas'),
    preallocate: bool('preallocate'),
    remoteLogCopyDisable: bool('remote.log.copy.disable'),
    remoteLogDeleteOnDisable: bool('remote.log.delete.on.disable'),
    remoteStorageEnable: bool('remote.storage.enable'),
    retentionBytes: num('retention.bytes'),
    retentionMs: num('retention.ms'),
    segmentBytes: num('segment.bytes'),
    segmentIndexBytes: num('segment.index.bytes'),
    segmentJitterMs: num('segment.jitter.ms'),
    segmentMs: num('segment.ms'),
    uncleanLeaderElectionEnable: bool('unclean.leader.election.enable'),
  };
}

/**
 * The storage engine's per-partition settings. segment.ms is Kafka's `maxSegmentMs`: on a
 * compacted topic a positive max.compaction.lag.ms shortens it.
 */
export function toLogConfig(c: EffectiveTopicConfig): LogConfig {
  const config: LogConfig = {
    segmentBytes: c.segmentBytes,
    segmentMs: c.compact && c.maxCompactionLagMs > 0 ? Math.min(c.maxCompactionLagMs, c.segmentMs) : c.segmentMs,
    segmentIndexBytes: c.segmentIndexBytes,
    indexIntervalBytes: c.indexIntervalBytes,
    retentionMs: c.retentionMs,
    retentionBytes: c.retentionBytes,
    flushMessages: c.flushMessages,
    flushMs: c.flushMs,
    fileDeleteDelayMs: c.fileDeleteDelayMs,
  };
  if (c.compact) {
    config.compaction = {
      delete: c.delete,
      deleteRetentionMs: c.deleteRetentionMs,
      minCleanableDirtyRatio: c.minCleanableDirtyRatio,
      minCompactionLagMs: c.minCompactionLagMs,
      maxCompactionLagMs: c.maxCompactionLagMs,
    };
  }
  return config;
}

// ------------------------------------------------------------------------------------------------
// DescribeConfigs

export interface TopicDescribeOptions extends DescribeConfigsOptions {
  topic: string;
}

/**
 * DescribeConfigs entries of a topic, as Kafka's ConfigHelper.createTopicConfigEntry builds them:
 * every topic config with its effective value; source TOPIC_CONFIG for an override, else the
 * source of the first broker synonym reported, else DEFAULT_CONFIG; synonyms are the override
 * first, then the broker synonyms by source (dynamic broker, dynamic default, static, default).
 * Kafka drops broker synonyms listed before the first one of the primary name, so retention.ms
 * shows no broker synonym when only log.retention.hours is set; Gregor reports what Kafka reports.
 * Topic configs are never read-only and none is sensitive.
 */
export function describeTopicConfigs(overrides: TopicConfigInput, broker: ResolvedBrokerConfig, options: TopicDescribeOptions): DescribeConfigsResourceResult {
  const values = effectiveTopicValues(overrides, broker);
  const given = new Map(entriesOf(overrides));
  const configs: DescribeConfigsEntry[] = [];
  for (const d of DEFINITIONS) {
    if (!wantsKey(options, d.name)) continue;
    const value = formatTyped(d.type, mustGet(values, d.name).parsed);
    const primary = d.brokerSynonyms.at(0)?.name;
    const synonyms: DescribeConfigsSynonym[] = primary === undefined ? [] : brokerConfigSynonyms(broker, primary, false);
    const override = given.get(d.name);
    if (override !== undefined && override !== null) synonyms.unshift({ name: d.name, value, source: ConfigSource.TOPIC_CONFIG });
    const configSource = synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
    configs.push({
      name: d.name,
      value,
      readOnly: false,
      isDefault: configSource === ConfigSource.DEFAULT_CONFIG,
      configSource,
      isSensitive: false,
      synonyms: options.includeSynonyms ? synonyms : [],
      configType: configResponseType(d.type),
      documentation: options.includeDocumentation ? d.doc : null,
    });
  }
  return { errorCode: ErrorCode.None, errorMessage: null, resourceType: ConfigResourceType.TOPIC, resourceName: options.topic, configs };
}

// ------------------------------------------------------------------------------------------------
// IncrementalAlterConfigs on a topic

/** IncrementalAlterConfigs operation codes. */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface AlterConfigOperation {
  name: string;
  configOperation: number;
  value: string | null;
}

export type AlterTopicConfigsResult =
  | { ok: true; configs: Map<string, string> }
  | { ok: false; errorCode: number; errorMessage: string };

/**
 * Applies IncrementalAlterConfigs operations to a topic's overrides, as Kafka's controller does:
 * SET, DELETE (back to the broker/default value), and APPEND / SUBTRACT on list configs, starting
 * from the topic default when there is no override. The result still needs validateTopicConfigs.
 */
export function applyTopicConfigOps(current: TopicConfigInput, ops: readonly AlterConfigOperation[]): AlterTopicConfigsResult {
  const configs = new Map<string, string>();
  for (const [k, v] of entriesOf(current)) if (v !== null) configs.set(k, v);
  for (const op of ops) {
    const d = BY_NAME.get(op.name);
    switch (op.configOperation) {
      case AlterConfigOp.SET:
        if (op.value === null) return { ok: false, errorCode: ErrorCode.InvalidConfig, errorMessage: `Null value not supported for topic configs: ${op.name}` };
        configs.set(op.name, op.value);
        break;
      case AlterConfigOp.DELETE:
        configs.delete(op.name);
        break;
      case AlterConfigOp.APPEND:
      case AlterConfigOp.SUBTRACT: {
        const opName = op.configOperation === AlterConfigOp.APPEND ? 'APPEND' : 'SUBTRACT';
        if (d === undefined || d.type !== 'list') {
          return { ok: false, errorCode: ErrorCode.InvalidConfig, errorMessage: `Can't ${opName} to key ${op.name} because its type is not LIST.` };
        }
        const old = configs.get(op.name) ?? d.default ?? '';
        configs.set(op.name, mergeListValue(old, op.value, op.configOperation === AlterConfigOp.APPEND));
        break;
      }
      default:
        return { ok: false, errorCode: ErrorCode.InvalidRequest, errorMessage: `Unknown alter configs operation type ${op.configOperation}` };
    }
  }
  return { ok: true, configs };
}
