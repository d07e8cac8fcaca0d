/**
 * Broker configuration: Kafka's server.properties keys with Kafka's types, defaults and validators
 * (Kafka 3.9's KafkaConfig, the last line that still serves message formats v0/v1 as Gregor does),
 * resolved from four layers and reported the way Kafka's DescribeConfigs reports them.
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
 *
 * Gregor's defaults differ from Kafka's in these places, each noted on its definition: node.id and
 * broker.id default to 1 (Kafka: -1, KRaft requires node.id), log.dir is ./data (Kafka:
 * /tmp/kafka-logs), queued.max.request.bytes is 256 MiB (Kafka: -1, no limit), and the Gregor-only
 * keys cluster.id and socket.request.receive.timeout.ms (not reported by DescribeConfigs).
 */
import { ErrorCode } from '../protocol/generated/errors.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { nearestName } from '../util/nearest-name.js';
import { readFile } from 'node:fs/promises';
import { parsePropertyEntries, type PropertyEntry } from './properties.js';
import {
  ConfigException,
  ConfigResourceType,
  ConfigSource,
  JAVA_INT_MAX,
  JAVA_LONG_MAX,
  atLeast,
  between,
  canonicalDefault,
  configResponseType,
  formatTyped,
  lambda,
  listOf,
  longToNumber,
  oneOf,
  parseAndValidate,
  wantsKey,
  type ConfigDefinition,
  type ConfigType,
  type DescribeConfigsEntry,
  type DescribeConfigsOptions,
  type DescribeConfigsResourceResult,
  type DescribeConfigsSynonym,
  type Importance,
  type ParsedValue,
  type Validator,
} from './config-def.js';
import { mustGet } from '../util/must-get.js';

// ------------------------------------------------------------------------------------------------
// Definitions

/** How a key can change at runtime, as Kafka's docs and DescribeConfigs (readOnly) report it. */
export type DynamicUpdateMode = 'read-only' | 'per-broker' | 'cluster-wide';

export interface BrokerConfigDefinition extends ConfigDefinition {
  dynamic: DynamicUpdateMode;
  /** Gregor-only keys: accepted from every layer but not reported by DescribeConfigs. */
  internal: boolean;
  /** Set where Gregor's default differs from Kafka's: Kafka's default. */
  kafkaDefault?: string | null;
}

/** Long.MAX_VALUE as a default string: "no limit" for many long keys, broker and topic alike. */
export const LONG_MAX = String(JAVA_LONG_MAX);
const INT_MAX = String(JAVA_INT_MAX);
const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
export const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const;

/** Kafka's `MetadataVersionValidator`, approximated: a release version, optionally `-IVn`. */
export const metadataVersion: Validator = lambda(
  (_name, v) =>
    typeof v === 'string' && /^(0\.(8\.[0-2]|9\.0|10\.[0-2]|11\.0)|1\.[01]|2\.[0-8]|3\.[0-9]|4\.[0-9])(-IV[0-9]+|(\.[0-9]+)*)$/.test(v)
      ? null
      : `Version ${String(v)} is not a valid version`,
  '[0.8.0, 0.8.1, 0.8.2, 0.9.0, 0.10.0-IV0, ..., 3.9-IV0]',
);

/** Kafka's gzip level validator: 1..9 or -1 (Deflater.DEFAULT_COMPRESSION). */
export const gzipLevel: Validator = lambda(
  (_name, v) => (typeof v === 'number' && ((v >= 1 && v <= 9) || v === -1) ? null : 'Value must be between 1 and 9 or equal to -1'),
  '[1,...,9] or -1',
);
export const lz4Level: Validator = between(1, 17);
export const zstdLevel: Validator = between(-131072, 22);

interface DefOptions {
  validator?: Validator;
  internal?: boolean;
  kafkaDefault?: string | null;
}

function def(name: string, type: ConfigType, dflt: string | null, importance: Importance, doc: string, o: DefOptions = {}): BrokerConfigDefinition {
  const d: BrokerConfigDefinition = { name, type, default: dflt, importance, doc, dynamic: 'read-only', internal: o.internal ?? false };
  if (o.validator !== undefined) d.validator = o.validator;
  if (o.kafkaDefault !== undefined) d.kafkaDefault = o.kafkaDefault;
  return d;
}

const DEFINITIONS: BrokerConfigDefinition[] = [
  // ---- General / KRaft
  def('node.id', 'int', '1', 'high', 'The id of this node (broker.id is a synonym). Gregor defaults to 1; Kafka has no usable default.', { kafkaDefault: '-1' }),
  def('broker.id', 'int', '1', 'high', 'The id of this broker; a synonym of node.id. Gregor defaults to 1.', { kafkaDefault: '-1' }),
  def('process.roles', 'list', '', 'high', 'The roles of this process: broker, controller or both. Gregor is always a combined single process.', { validator: listOf('broker', 'controller') }),
  def('cluster.id', 'string', null, 'high', 'Gregor only: the cluster id. When unset, one is generated and stored in meta.properties in each log directory.', { internal: true }),
  def('controller.listener.names', 'string', null, 'high', 'Comma-separated names of the listeners used by the controller; they are not advertised to clients.'),
  def('controller.quorum.voters', 'list', '', 'high', 'The controller quorum as id@host:port entries. Accepted and ignored: Gregor has no controller quorum.'),
  def('controller.quorum.bootstrap.servers', 'list', '', 'high', 'Bootstrap addresses of the controller quorum. Accepted and ignored by Gregor.'),
  def('metadata.log.dir', 'string', null, 'high', 'Where the cluster metadata log is kept; when unset, the first log directory.'),
  def('inter.broker.listener.name', 'string', null, 'medium', 'The listener brokers use to talk to each other.'),
  def('security.inter.broker.protocol', 'string', 'PLAINTEXT', 'medium', 'The security protocol brokers use to talk to each other (when inter.broker.listener.name is unset).', { validator: oneOf(...SECURITY_PROTOCOLS) }),
  def('inter.broker.protocol.version', 'string', '3.9-IV0', 'medium', 'The inter-broker protocol version. Accepted for compatibility.', { validator: metadataVersion }),
  def('zookeeper.connect', 'string', null, 'high', 'ZooKeeper connection string. Accepted and ignored: Gregor does not use ZooKeeper.'),
  def('zookeeper.connection.timeout.ms', 'int', null, 'high', 'ZooKeeper connection timeout. Accepted and ignored.'),
  def('zookeeper.session.timeout.ms', 'int', '18000', 'high', 'ZooKeeper session timeout. Accepted and ignored.'),
  def('broker.id.generation.enable', 'boolean', 'true', 'medium', 'Whether broker ids were generated (ZooKeeper mode). Accepted and ignored.'),
  def('reserved.broker.max.id', 'int', '1000', 'medium', 'The highest broker id that may be configured by hand (ZooKeeper mode).', { validator: atLeast(0) }),
  def('broker.rack', 'string', null, 'medium', 'The rack of this broker, for rack-aware replica placement.'),
  def('message.max.bytes', 'int', '1048588', 'high', 'The largest record batch the broker accepts; topic synonym: max.message.bytes.', { validator: atLeast(0) }),
  def('num.network.threads', 'int', '3', 'high', 'Threads receiving requests and sending responses (Kafka). Gregor runs one event loop.', { validator: atLeast(1) }),
  def('num.io.threads', 'int', '8', 'high', 'Threads processing requests (Kafka). Gregor runs one event loop.', { validator: atLeast(1) }),
  def('background.threads', 'int', '10', 'high', 'Threads for background tasks (Kafka).', { validator: atLeast(1) }),
  def('queued.max.requests', 'int', '500', 'high', 'Requests queued before network threads stop reading.', { validator: atLeast(1) }),
  def(
    'queued.max.request.bytes',
    'long',
    '268435456',
    'medium',
    'The bytes of requests being received or handled, across all connections, before no more are read; -1 for no limit. At least socket.request.max.bytes. Gregor defaults to 256 MiB so that a broker stays within a memory budget; Kafka has no limit by default.',
    { kafkaDefault: '-1' },
  ),
  def('request.timeout.ms', 'int', '30000', 'high', 'How long the broker waits for a response to its own requests.'),
  def('delete.topic.enable', 'boolean', 'true', 'high', 'Whether topics can be deleted.'),
  def('auto.create.topics.enable', 'boolean', 'true', 'high', 'Whether a metadata request or produce for an unknown topic creates it.'),
  def('authorizer.class.name', 'string', '', 'low', 'The authorizer class; empty for none.'),
  def('principal.builder.class', 'class', 'org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder', 'medium', 'The class that builds the principal of a connection.'),
  def('metric.reporters', 'list', '', 'low', 'Classes that receive metrics.'),
  def('create.topic.policy.class.name', 'class', null, 'low', 'A policy that validates topic creation.'),
  def('alter.config.policy.class.name', 'class', null, 'low', 'A policy that validates config changes.'),

  // ---- Socket server
  def('listeners', 'string', 'PLAINTEXT://:9092', 'high', 'Comma-separated NAME://host:port addresses to listen on; an empty host means all interfaces.'),
  def('advertised.listeners', 'string', null, 'high', 'The addresses given to clients; when unset, listeners (without controller listeners).'),
  def('listener.security.protocol.map', 'string', 'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT', 'low', 'Listener name to security protocol, as NAME:PROTOCOL pairs.'),
  def('socket.send.buffer.bytes', 'int', '102400', 'high', 'SO_SNDBUF of server sockets; -1 for the OS default.'),
  def('socket.receive.buffer.bytes', 'int', '102400', 'high', 'SO_RCVBUF of server sockets; -1 for the OS default.'),
  def('socket.request.max.bytes', 'int', '104857600', 'high', 'The largest request frame accepted; larger frames close the connection.', { validator: atLeast(1) }),
  def('socket.listen.backlog.size', 'int', '50', 'medium', 'The listen backlog of server sockets.', { validator: atLeast(1) }),
  def('max.connections.per.ip', 'int', INT_MAX, 'medium', 'Connections allowed from one IP address.', { validator: atLeast(0) }),
  def('max.connections.per.ip.overrides', 'string', '', 'medium', 'Per-IP or per-host overrides of max.connections.per.ip, as host:count pairs.'),
  def('max.connections', 'int', INT_MAX, 'medium', 'Connections allowed in the broker at any time.', { validator: atLeast(0) }),
  def('max.connection.creation.rate', 'int', INT_MAX, 'medium', 'New connections allowed per second.', { validator: atLeast(0) }),
  def('connections.max.idle.ms', 'long', '600000', 'medium', 'Idle connections are closed after this many milliseconds; -1 never closes them.'),
  def(
    'socket.request.receive.timeout.ms',
    'long',
    '30000',
    'medium',
    'Gregor only: a request whose bytes have not all arrived this many milliseconds after its first byte closes the connection; -1 for no limit. The time the broker itself stops reading (backpressure, queued.max.request.bytes) does not count.',
    { internal: true },
  ),

  // ---- Log basics
  def('num.partitions', 'int', '1', 'medium', 'The default number of partitions of a new topic.', { validator: atLeast(1) }),
  def('log.dir', 'string', './data', 'high', 'The directory holding the log data when log.dirs is unset. Gregor: ./data.', { kafkaDefault: '/tmp/kafka-logs' }),
  def('log.dirs', 'string', null, 'high', 'Comma-separated directories holding the log data; when unset, log.dir.'),
  def('num.recovery.threads.per.data.dir', 'int', '1', 'high', 'Threads per data directory for recovery at startup and flush at shutdown (Kafka).', { validator: atLeast(1) }),
  def('log.segment.bytes', 'int', '1073741824', 'high', 'The largest segment file; topic synonym: segment.bytes.', { validator: atLeast(14) }),
  def('log.roll.ms', 'long', null, 'high', 'Roll a new segment after this many milliseconds; when unset, log.roll.hours. Topic synonym: segment.ms.'),
  def('log.roll.hours', 'int', '168', 'high', 'Roll a new segment after this many hours; secondary to log.roll.ms.', { validator: atLeast(1) }),
  def('log.roll.jitter.ms', 'long', null, 'high', 'Random jitter subtracted from the roll time, in ms; when unset, log.roll.jitter.hours.'),
  def('log.roll.jitter.hours', 'int', '0', 'high', 'Random jitter subtracted from the roll time, in hours; secondary to log.roll.jitter.ms.', { validator: atLeast(0) }),
  def('log.retention.ms', 'long', null, 'high', 'Keep log segments this many ms (-1: forever); when unset, log.retention.minutes. Topic synonym: retention.ms.'),
  def('log.retention.minutes', 'int', null, 'high', 'Keep log segments this many minutes; secondary to log.retention.ms; when unset, log.retention.hours.'),
  def('log.retention.hours', 'int', '168', 'high', 'Keep log segments this many hours; tertiary to log.retention.ms.'),
  def('log.retention.bytes', 'long', '-1', 'high', 'Delete old segments while a partition is larger than this (-1: no limit). Topic synonym: retention.bytes.'),
  def('log.retention.check.interval.ms', 'long', '300000', 'medium', 'How often retention is applied.', { validator: atLeast(1) }),
  def('log.cleanup.policy', 'list', 'delete', 'medium', 'Default cleanup policy: delete, compact or both. Topic synonym: cleanup.policy.', { validator: listOf('compact', 'delete') }),
  def('log.index.size.max.bytes', 'int', '10485760', 'medium', 'The largest offset index file. Topic synonym: segment.index.bytes.', { validator: atLeast(4) }),
  def('log.index.interval.bytes', 'int', '4096', 'medium', 'Bytes of log between two offset index entries. Topic synonym: index.interval.bytes.', { validator: atLeast(0) }),
  def('log.flush.interval.messages', 'long', LONG_MAX, 'high', 'fsync a partition after this many messages. Topic synonym: flush.messages.', { validator: atLeast(1) }),
  def('log.flush.interval.ms', 'long', null, 'high', 'fsync data older than this many ms; when unset, log.flush.scheduler.interval.ms. Topic synonym: flush.ms.'),
  def('log.flush.scheduler.interval.ms', 'long', LONG_MAX, 'high', 'How often the flusher checks for logs to fsync.'),
  def('log.flush.offset.checkpoint.interval.ms', 'int', '60000', 'high', 'How often the recovery point is checkpointed.', { validator: atLeast(0) }),
  def('log.flush.start.offset.checkpoint.interval.ms', 'int', '60000', 'high', 'How often log start offsets are checkpointed.', { validator: atLeast(0) }),
  def('log.segment.delete.delay.ms', 'long', '60000', 'high', 'How long a deleted segment lingers before its files are removed. Topic synonym: file.delete.delay.ms.', { validator: atLeast(0) }),
  def('log.preallocate', 'boolean', 'false', 'medium', 'Preallocate segment files. Topic synonym: preallocate.'),
  def('log.message.format.version', 'string', '3.0-IV1', 'medium', 'Deprecated message format version; ignored as in Kafka 3.x. Topic synonym: message.format.version.', { validator: metadataVersion }),
  def('log.message.timestamp.type', 'string', 'CreateTime', 'medium', 'CreateTime or LogAppendTime. Topic synonym: message.timestamp.type.', { validator: oneOf('CreateTime', 'LogAppendTime') }),
  def('log.message.timestamp.difference.max.ms', 'long', LONG_MAX, 'medium', 'Deprecated: the largest allowed difference between a CreateTime timestamp and the broker clock.', { validator: atLeast(0) }),
  def('log.message.timestamp.before.max.ms', 'long', LONG_MAX, 'medium', 'How far a CreateTime timestamp may be behind the broker clock.', { validator: atLeast(0) }),
  def('log.message.timestamp.after.max.ms', 'long', LONG_MAX, 'medium', 'How far a CreateTime timestamp may be ahead of the broker clock.', { validator: atLeast(0) }),
  def('log.message.downconversion.enable', 'boolean', 'true', 'low', 'Whether fetches from old consumers may be down-converted to older message formats.'),
  def('log.local.retention.ms', 'long', '-2', 'medium', 'Local retention with tiered storage (-2: retention.ms). Gregor has no tiered storage.', { validator: atLeast(-2) }),
  def('log.local.retention.bytes', 'long', '-2', 'medium', 'Local retention size with tiered storage (-2: retention.bytes).', { validator: atLeast(-2) }),
  def('min.insync.replicas', 'int', '1', 'high', 'With acks=all, the replicas that must have a write. Topic synonym: min.insync.replicas.', { validator: atLeast(1) }),
  def('compression.type', 'string', 'producer', 'high', 'Final compression of stored batches; producer keeps the producer\'s codec.', { validator: oneOf(...COMPRESSION_TYPES) }),
  def('compression.gzip.level', 'int', '-1', 'medium', 'gzip level when compression.type is gzip.', { validator: gzipLevel }),
  def('compression.lz4.level', 'int', '9', 'medium', 'lz4 level when compression.type is lz4.', { validator: lz4Level }),
  def('compression.zstd.level', 'int', '3', 'medium', 'zstd level when compression.type is zstd.', { validator: zstdLevel }),

  // ---- Log cleaner
  def('log.cleaner.enable', 'boolean', 'true', 'medium', 'Run the log cleaner (compaction).'),
  def('log.cleaner.threads', 'int', '1', 'medium', 'Log cleaner threads (Kafka).', { validator: atLeast(0) }),
  def('log.cleaner.io.max.bytes.per.second', 'double', '1.7976931348623157E308', 'medium', 'Cleaner I/O throttle.'),
  def('log.cleaner.dedupe.buffer.size', 'long', '134217728', 'medium', 'Memory for cleaner deduplication.'),
  def('log.cleaner.io.buffer.size', 'int', '524288', 'medium', 'Memory for cleaner I/O buffers.', { validator: atLeast(0) }),
  def('log.cleaner.io.buffer.load.factor', 'double', '0.9', 'medium', 'Load factor of the cleaner dedupe buffer.'),
  def('log.cleaner.backoff.ms', 'long', '15000', 'medium', 'Sleep when there is nothing to clean.', { validator: atLeast(0) }),
  def('log.cleaner.min.cleanable.ratio', 'double', '0.5', 'medium', 'Minimum dirty ratio before a log is cleaned. Topic synonym: min.cleanable.dirty.ratio.', { validator: between(0, 1) }),
  def('log.cleaner.delete.retention.ms', 'long', '86400000', 'medium', 'How long tombstones are kept. Topic synonym: delete.retention.ms.', { validator: atLeast(0) }),
  def('log.cleaner.min.compaction.lag.ms', 'long', '0', 'medium', 'Minimum age before a record may be compacted. Topic synonym: min.compaction.lag.ms.', { validator: atLeast(0) }),
  def('log.cleaner.max.compaction.lag.ms', 'long', LONG_MAX, 'medium', 'Maximum age before a record must be compacted. Topic synonym: max.compaction.lag.ms.', { validator: atLeast(1) }),

  // ---- Replication
  def('default.replication.factor', 'int', '1', 'medium', 'The default replication factor of new topics (1 on a single broker).'),
  def('replica.lag.time.max.ms', 'long', '30000', 'high', 'A follower that has not caught up for this long leaves the ISR.'),
  def('replica.fetch.max.bytes', 'int', '1048576', 'medium', 'Bytes per partition a follower fetches.', { validator: atLeast(0) }),
  def('fetch.max.bytes', 'int', '57671680', 'medium', 'The most bytes a consumer fetch response carries (at least one batch is always returned).', { validator: atLeast(1024) }),
  def('max.incremental.fetch.session.cache.slots', 'int', '1000', 'medium', 'How many incremental fetch sessions (KIP-227) the broker keeps.', { validator: atLeast(0) }),
  def('replica.fetch.wait.max.ms', 'int', '500', 'high', 'Max wait of follower fetches.'),
  def('replica.fetch.min.bytes', 'int', '1', 'high', 'Min bytes of follower fetches.'),
  def('replica.fetch.response.max.bytes', 'int', '10485760', 'medium', 'Bytes of a whole follower fetch response.', { validator: atLeast(0) }),
  def('num.replica.fetchers', 'int', '1', 'high', 'Follower fetcher threads (Kafka).'),
  def('auto.leader.rebalance.enable', 'boolean', 'true', 'high', 'Move leadership back to preferred replicas.'),
  def('unclean.leader.election.enable', 'boolean', 'false', 'high', 'Allow out-of-sync replicas to become leader. Topic synonym: unclean.leader.election.enable.'),
  def('controlled.shutdown.enable', 'boolean', 'true', 'medium', 'Move leadership away before shutting down.'),

  // ---- Group coordinator and offsets
  def('group.min.session.timeout.ms', 'int', '6000', 'medium', 'The smallest session timeout a consumer may ask for.'),
  def('group.max.session.timeout.ms', 'int', '1800000', 'medium', 'The largest session timeout a consumer may ask for.'),
  def('group.initial.rebalance.delay.ms', 'int', '3000', 'medium', 'How long a new group waits for more members before its first rebalance.'),
  def('group.max.size', 'int', INT_MAX, 'medium', 'The most members a group may have.', { validator: atLeast(1) }),
  def('group.consumer.heartbeat.interval.ms', 'int', '5000', 'medium', 'How often members of a consumer (KIP-848) group are told to heartbeat.', { validator: atLeast(1) }),
  def('group.consumer.min.heartbeat.interval.ms', 'int', '5000', 'medium', 'The smallest heartbeat interval of consumer groups.', { validator: atLeast(1) }),
  def('group.consumer.max.heartbeat.interval.ms', 'int', '15000', 'medium', 'The largest heartbeat interval of consumer groups.', { validator: atLeast(1) }),
  def('group.consumer.session.timeout.ms', 'int', '45000', 'medium', 'A consumer group member that sends no heartbeat for this long is removed.', { validator: atLeast(1) }),
  def('group.consumer.min.session.timeout.ms', 'int', '45000', 'medium', 'The smallest session timeout of consumer groups.', { validator: atLeast(1) }),
  def('group.consumer.max.session.timeout.ms', 'int', '60000', 'medium', 'The largest session timeout of consumer groups.', { validator: atLeast(1) }),
  def('group.consumer.max.size', 'int', INT_MAX, 'medium', 'The most members a consumer group may have.', { validator: atLeast(1) }),
  def('group.consumer.assignors', 'list', 'uniform,range', 'medium', 'The server-side assignors of consumer groups (uniform, range); the first is the default.', { validator: listOf('uniform', 'range') }),
  def('offset.metadata.max.bytes', 'int', '4096', 'high', 'The largest metadata string of an offset commit.'),
  def('offsets.load.buffer.size', 'int', '5242880', 'high', 'Read batch size when loading offsets.', { validator: atLeast(1) }),
  def('offsets.topic.replication.factor', 'short', '3', 'high', 'Replication factor of __consumer_offsets (a single broker uses 1 whatever is set).', { validator: atLeast(1) }),
  def('offsets.topic.num.partitions', 'int', '50', 'high', 'Partitions of __consumer_offsets; do not change after the first start.', { validator: atLeast(1) }),
  def('offsets.topic.segment.bytes', 'int', '104857600', 'high', 'Segment size of __consumer_offsets.', { validator: atLeast(1) }),
  def('offsets.topic.compression.codec', 'int', '0', 'high', 'Compression codec of __consumer_offsets records.'),
  def('offsets.retention.minutes', 'int', '10080', 'high', 'Committed offsets of an empty group expire after this many minutes.', { validator: atLeast(1) }),
  def('offsets.retention.check.interval.ms', 'long', '600000', 'high', 'How often expired offsets are removed.', { validator: atLeast(1) }),
  def('offsets.commit.timeout.ms', 'int', '5000', 'high', 'How long an offset commit waits for the offsets topic.', { validator: atLeast(1) }),

  // ---- Transactions and producer ids
  def('transactional.id.expiration.ms', 'int', '604800000', 'high', 'A transactional id with no activity for this long expires.', { validator: atLeast(1) }),
  def('transaction.max.timeout.ms', 'int', '900000', 'high', 'The largest transaction timeout a producer may ask for.', { validator: atLeast(1) }),
  def('transaction.state.log.load.buffer.size', 'int', '5242880', 'high', 'Read batch size when loading transaction state.', { validator: atLeast(1) }),
  def('transaction.state.log.replication.factor', 'short', '3', 'high', 'Replication factor of __transaction_state.', { validator: atLeast(1) }),
  def('transaction.state.log.num.partitions', 'int', '50', 'high', 'Partitions of __transaction_state.', { validator: atLeast(1) }),
  def('transaction.state.log.segment.bytes', 'int', '104857600', 'high', 'Segment size of __transaction_state.', { validator: atLeast(1) }),
  def('transaction.state.log.min.isr', 'int', '2', 'high', 'min.insync.replicas of __transaction_state.', { validator: atLeast(1) }),
  def('transaction.abort.timed.out.transaction.cleanup.interval.ms', 'int', '10000', 'low', 'How often timed-out transactions are aborted.', { validator: atLeast(1) }),
  def('transaction.remove.expired.transaction.cleanup.interval.ms', 'int', '3600000', 'low', 'How often expired transactional ids are removed.', { validator: atLeast(1) }),
  def('transaction.partition.verification.enable', 'boolean', 'true', 'low', 'Verify that a partition was added to the transaction before a transactional write.'),
  def('producer.id.expiration.ms', 'int', '86400000', 'low', 'Producer state of an idle producer id is dropped after this long.', { validator: atLeast(1) }),
  def('producer.id.expiration.check.interval.ms', 'int', '600000', 'low', 'How often expired producer ids are removed.', { validator: atLeast(1) }),
  def('share.coordinator.state.topic.replication.factor', 'short', '3', 'high', 'Replication factor of the share-group state topic (Kafka 4).', { validator: atLeast(1) }),
  def('share.coordinator.state.topic.min.isr', 'short', '2', 'high', 'min.insync.replicas of the share-group state topic (Kafka 4).', { validator: atLeast(1) }),

  // ---- Security (per listener in Kafka; Gregor reads the base names)
  def('sasl.enabled.mechanisms', 'list', 'GSSAPI', 'medium', 'SASL mechanisms enabled on the broker.'),
  def('sasl.mechanism.inter.broker.protocol', 'string', 'GSSAPI', 'medium', 'SASL mechanism between brokers.'),
  def('sasl.jaas.config', 'password', null, 'medium', 'JAAS login context for SASL connections.'),
  def('ssl.keystore.type', 'string', 'JKS', 'medium', 'Key store format.'),
  def('ssl.keystore.location', 'string', null, 'high', 'Key store file.'),
  def('ssl.keystore.password', 'password', null, 'high', 'Key store password.'),
  def('ssl.key.password', 'password', null, 'high', 'Private key password.'),
  def('ssl.truststore.type', 'string', 'JKS', 'medium', 'Trust store format.'),
  def('ssl.truststore.location', 'string', null, 'high', 'Trust store file.'),
  def('ssl.truststore.password', 'password', null, 'high', 'Trust store password.'),
  def('ssl.client.auth', 'string', 'none', 'medium', 'Client certificate authentication: required, requested or none.', { validator: oneOf('required', 'requested', 'none') }),
  def('ssl.protocol', 'string', 'TLSv1.3', 'medium', 'TLS protocol used to create the SSL context.'),
  def('ssl.enabled.protocols', 'list', 'TLSv1.2,TLSv1.3', 'medium', 'TLS protocols enabled for connections.'),
  def('ssl.endpoint.identification.algorithm', 'string', 'https', 'low', 'Host name verification algorithm.'),
];

// Kafka 3.9 DynamicBrokerConfig: what AlterConfigs may change, and at which level.
const PER_BROKER = new Set([
  'listeners',
  'advertised.listeners',
  'listener.security.protocol.map',
  'principal.builder.class',
  'sasl.enabled.mechanisms',
  'sasl.mechanism.inter.broker.protocol',
  'sasl.jaas.config',
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.key.password',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.client.auth',
  'ssl.protocol',
  'ssl.enabled.protocols',
  'ssl.endpoint.identification.algorithm',
]);
const CLUSTER_WIDE = new Set([
  // DynamicLogConfig: the first broker synonym of every topic config (log.message.format.version excluded)
  'log.segment.bytes',
  'log.roll.ms',
  'log.roll.jitter.ms',
  'log.index.size.max.bytes',
  'log.flush.interval.messages',
  'log.flush.interval.ms',
  'log.retention.bytes',
  'log.retention.ms',
  'message.max.bytes',
  'log.index.interval.bytes',
  'log.cleaner.delete.retention.ms',
  'log.cleaner.min.compaction.lag.ms',
  'log.cleaner.max.compaction.lag.ms',
  'log.segment.delete.delay.ms',
  'log.cleaner.min.cleanable.ratio',
  'log.cleanup.policy',
  'unclean.leader.election.enable',
  'min.insync.replicas',
  'compression.type',
  'compression.gzip.level',
  'compression.lz4.level',
  'compression.zstd.level',
  'log.preallocate',
  'log.message.timestamp.type',
  'log.message.timestamp.difference.max.ms',
  'log.message.timestamp.before.max.ms',
  'log.message.timestamp.after.max.ms',
  'log.message.downconversion.enable',
  'log.local.retention.ms',
  'log.local.retention.bytes',
  // LogCleaner
  'log.cleaner.threads',
  'log.cleaner.dedupe.buffer.size',
  'log.cleaner.io.buffer.load.factor',
  'log.cleaner.io.buffer.size',
  'log.cleaner.io.max.bytes.per.second',
  'log.cleaner.backoff.ms',
  // thread pools, metrics, connection limits, producer state
  'num.io.threads',
  'num.replica.fetchers',
  'num.recovery.threads.per.data.dir',
  'background.threads',
  'num.network.threads',
  'metric.reporters',
  'max.connections',
  'max.connection.creation.rate',
  'max.connections.per.ip',
  'max.connections.per.ip.overrides',
  'producer.id.expiration.ms',
  'transaction.partition.verification.enable',
]);

for (const d of DEFINITIONS) d.dynamic = PER_BROKER.has(d.name) ? 'per-broker' : CLUSTER_WIDE.has(d.name) ? 'cluster-wide' : 'read-only';
// Canonical defaults, checked against their own validators once (Kafka's ConfigKey constructor does the same).
for (const d of DEFINITIONS) d.default = canonicalDefault(d);

/** Every broker config definition, in a stable order. */
export const BROKER_CONFIG_DEFINITIONS: readonly BrokerConfigDefinition[] = DEFINITIONS;
const BY_NAME = new Map(DEFINITIONS.map((d) => [d.name, d]));

export function brokerConfigDefinition(name: string): BrokerConfigDefinition | undefined {
  return BY_NAME.get(name);
}

/** The environment variable that sets a key: GREGOR_ + upper case, '.' and '-' as '_'. */
export function envVarName(key: string): string {
  return `GREGOR_${key.toUpperCase().replace(/[.-]/g, '_')}`;
}
const BY_ENV = new Map(DEFINITIONS.map((d) => [envVarName(d.name), d.name]));

/**
 * Kafka's broker synonyms of a key, highest priority first (DynamicBrokerConfig.brokerConfigSynonyms):
 * the retention, roll, roll jitter and flush families; every other key is its own only synonym.
 */
export function brokerSynonymNames(name: string): string[] {
  const families = [
    ['log.roll.ms', 'log.roll.hours'],
    ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
    ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  ];
  for (const f of families) if (f.includes(name)) return f;
  // log.flush.scheduler.interval.ms is the default of log.flush.interval.ms, not the other way round.
  if (name === 'log.flush.interval.ms') return ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'];
  return [name];
}

// ------------------------------------------------------------------------------------------------
// Resolution

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

/** A parsed listener address. */
export interface Endpoint {
  /** Listener name, upper case (PLAINTEXT, CONTROLLER, ...). */
  name: string;
  /** Host or IP; empty = all interfaces (listeners) / the machine's host name (advertised). */
  host: string;
  port: number;
  securityProtocol: string;
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
  logDirs: string[];
  numPartitions: number;
  defaultReplicationFactor: number;
  autoCreateTopicsEnable: boolean;
  deleteTopicEnable: boolean;
  messageMaxBytes: number;
  fetchMaxBytes: number;
  maxIncrementalFetchSessionCacheSlots: number;
  logRetentionCheckIntervalMs: number;
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
  producerIdExpirationMs: number;
  producerIdExpirationCheckIntervalMs: number;
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
    const suggestion = nearestName(i.name, BY_NAME.keys());
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

function resolveLayers(layers: BrokerConfigLayers): ResolvedBrokerConfig {
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

  for (const d of DEFINITIONS) {
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
  for (const [k, v] of layers.dynamicBroker) if (!BY_NAME.has(k)) unknown(k, v, ConfigSource.DYNAMIC_BROKER_CONFIG, 'dynamic-broker');
  for (const [k, v] of layers.dynamicDefault) if (!BY_NAME.has(k)) unknown(k, v, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, 'dynamic-default');
  for (const [k, v] of staticLayer) if (!BY_NAME.has(k)) unknown(k, v.value, ConfigSource.STATIC_BROKER_CONFIG, v.origin, v.where);

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

/** Kafka's Csv.parseCsvList: split on commas, trim, drop empty items. */
function csv(s: string | null): string[] {
  return s === null ? [] : s.split(/\s*,\s*/).map((x) => x.trim()).filter((x) => x.length > 0);
}

/** Parses `NAME:PROTOCOL,...` (Kafka's Csv.parseCsvMap); throws with Kafka's message. */
export function parseListenerSecurityProtocolMap(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const trimmed = value.trim();
  if (trimmed.length === 0) return out;
  for (const pair of trimmed.split(/\s*,\s*/)) {
    const parts = pair.split(/\s*:\s*/);
    if (parts.length !== 2 || parts[0].length === 0) {
      throw new ConfigException(`Error parsing configuration property 'listener.security.protocol.map': '${pair}' is not a NAME:PROTOCOL pair`);
    }
    const protocol = parts[1].toUpperCase();
    if (!SECURITY_PROTOCOLS.includes(protocol)) {
      throw new ConfigException(`Invalid security protocol \`${parts[1]}\` defined in listener.security.protocol.map`);
    }
    out[parts[0].toUpperCase()] = protocol;
  }
  return out;
}

const ENDPOINT = /^(.*):\/\/\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$/;

function formatEndpoint(name: string, host: string, port: number): string {
  return `${name}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * The flags that move the client listener (the first that is not a controller's) to `host` and
 * `port` (either kept as configured when undefined): the `--host`/`--port` shorthands of
 * `gregor start` and Broker.start. Other listeners stay as configured, and an advertised.listeners
 * set in a file or the environment gets the new port for that listener, so clients are told the
 * port actually served; one given as a flag is left alone.
 */
export function listenerShorthandFlags(resolved: ResolvedBrokerConfig, newHost: string | undefined, newPort: number | undefined): Record<string, string> {
  const { config } = resolved;
  const client = config.listeners.find((l) => !config.controllerListenerNames.includes(l.name));
  const host = newHost ?? client?.host ?? '';
  const port = newPort ?? client?.port ?? 9092;
  if (client === undefined) return { listeners: formatEndpoint('PLAINTEXT', host, port) };
  const flags: Record<string, string> = {
    listeners: config.listeners.map((l) => (l === client ? formatEndpoint(l.name, host, port) : formatEndpoint(l.name, l.host, l.port))).join(','),
  };
  // An advertised.listeners given beside the shorthands (a flag) is meant as it is: a proxy, say.
  const entry = resolved.entries.get('advertised.listeners');
  const advertised = entry?.value ?? null;
  if (entry !== undefined && advertised !== null && (entry.origin === 'file' || entry.origin === 'env')) {
    flags['advertised.listeners'] = csv(advertised)
      .map((item) => {
        const m = ENDPOINT.exec(item);
        return m !== null && m[1].toUpperCase() === client.name ? formatEndpoint(client.name, m[2], port) : item;
      })
      .join(',');
  }
  return flags;
}

/** Parses a listeners value (`NAME://host:port,...`, IPv6 hosts in brackets) into endpoints. */
export function parseListeners(key: string, value: string, protocols: Record<string, string>): Endpoint[] {
  const endpoints: Endpoint[] = [];
  for (const item of csv(value)) {
    const m = ENDPOINT.exec(item);
    if (m === null) throw new ConfigException(key, value, `Unable to parse ${item} to a broker endpoint`);
    const name = m[1].toUpperCase();
    const port = Number(m[3]);
    if (port < 0 || port > 65535) throw new ConfigException(key, value, `Port ${port} of listener ${name} is not in [0, 65535]`);
    const securityProtocol = protocols[name] as string | undefined;
    if (securityProtocol === undefined) throw new ConfigException(key, value, `No security protocol defined for listener ${name}`);
    endpoints.push({ name, host: m[2], port, securityProtocol });
  }
  const names = endpoints.map((e) => e.name);
  if (new Set(names).size !== names.length) throw new ConfigException(key, value, `Each listener must have a different name, listeners: ${value}`);
  const ports = endpoints.filter((e) => e.port !== 0).map((e) => `${e.host}|${e.port}`);
  if (new Set(ports).size !== ports.length) throw new ConfigException(key, value, `Each listener must have a different port, listeners: ${value}`);
  return endpoints;
}

/** Kafka's checks of advertised.listeners: routable hosts, names that are listeners. */
function checkAdvertised(advertised: readonly Endpoint[], listeners: readonly Endpoint[]): void {
  for (const a of advertised) {
    if (a.host === '0.0.0.0' || a.host === '::') {
      throw new ConfigException(`advertised.listeners cannot use the nonroutable meta-address ${a.host}. Use a routable IP address.`);
    }
  }
  const listenerNames = listeners.map((l) => l.name);
  if (listeners.length > 0 && advertised.some((a) => !listenerNames.includes(a.name))) {
    throw new ConfigException(
      `advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found ${advertised.map((a) => a.name).join(',')}. The valid options based on the current configuration are ${listenerNames.join(',')}`,
    );
  }
}

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
  const controllerListenerNames = csv(str('controller.listener.names')).map((n) => n.toUpperCase());
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
  const logDirs = csv(str('log.dirs') ?? str('log.dir'));
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
    logDirs,
    numPartitions: int('num.partitions'),
    defaultReplicationFactor: int('default.replication.factor'),
    autoCreateTopicsEnable: bool('auto.create.topics.enable'),
    deleteTopicEnable: bool('delete.topic.enable'),
    messageMaxBytes: int('message.max.bytes'),
    fetchMaxBytes: int('fetch.max.bytes'),
    maxIncrementalFetchSessionCacheSlots: int('max.incremental.fetch.session.cache.slots'),
    logRetentionCheckIntervalMs: long('log.retention.check.interval.ms'),
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
    producerIdExpirationMs: int('producer.id.expiration.ms'),
    producerIdExpirationCheckIntervalMs: int('producer.id.expiration.check.interval.ms'),
  };
}

/** The same resolution with the cluster id filled in (after `ensureClusterId`). */
export function withClusterId(resolved: ResolvedBrokerConfig, clusterId: string): ResolvedBrokerConfig {
  return { ...resolved, config: { ...resolved.config, clusterId } };
}

// ------------------------------------------------------------------------------------------------
// Dynamic changes (AlterConfigs / IncrementalAlterConfigs on a BROKER resource)

export interface BrokerConfigChange {
  name: string;
  /** null removes the dynamic value (the static or default value applies again). */
  value: string | null;
}

export type AlterBrokerConfigsResult =
  | { ok: true; resolved: ResolvedBrokerConfig }
  | { ok: false; errorCode: number; errorMessage: string };

/**
 * Applies dynamic broker config changes, checked as Kafka's DynamicBrokerConfig checks them:
 * read-only keys are refused ("Cannot update these configs dynamically: [...]"), per-broker keys
 * are refused at the cluster-default level, values are parsed and validated, and the result is
 * re-resolved (cross-key rules included). Every refusal is INVALID_REQUEST, as Kafka answers
 * broker config changes it cannot apply (see KAFKA-13609).
 */
export function alterBrokerConfigs(
  resolved: ResolvedBrokerConfig,
  changes: readonly BrokerConfigChange[],
  target: { perBroker: boolean },
): AlterBrokerConfigsResult {
  const nonDynamic = changes.filter((c) => BY_NAME.get(c.name)?.dynamic === 'read-only').map((c) => c.name);
  if (nonDynamic.length > 0) {
    return { ok: false, errorCode: ErrorCode.InvalidRequest, errorMessage: `Cannot update these configs dynamically: [${nonDynamic.join(', ')}]` };
  }
  if (!target.perBroker) {
    const perBroker = changes.filter((c) => BY_NAME.get(c.name)?.dynamic === 'per-broker').map((c) => c.name);
    if (perBroker.length > 0) {
      return {
        ok: false,
        errorCode: ErrorCode.InvalidRequest,
        errorMessage: `Cannot update these configs at default cluster level, broker id must be specified: [${perBroker.join(', ')}]`,
      };
    }
  }
  for (const c of changes) {
    const d = BY_NAME.get(c.name);
    if (d === undefined || c.value === null) continue;
    try {
      parseAndValidate(d, c.value);
    } catch (e) {
      if (!(e instanceof ConfigException)) throw e;
      return { ok: false, errorCode: ErrorCode.InvalidRequest, errorMessage: e.message };
    }
  }
  const layer = new Map(target.perBroker ? resolved.layers.dynamicBroker : resolved.layers.dynamicDefault);
  for (const c of changes) {
    if (c.value === null) layer.delete(c.name);
    else layer.set(c.name, c.value);
  }
  const layers: BrokerConfigLayers = target.perBroker ? { ...resolved.layers, dynamicBroker: layer } : { ...resolved.layers, dynamicDefault: layer };
  try {
    const next = resolveLayers(layers);
    return { ok: true, resolved: resolved.config.clusterId === null ? next : withClusterId(next, resolved.config.clusterId) };
  } catch (e) {
    if (!(e instanceof BrokerConfigError)) throw e;
    return { ok: false, errorCode: ErrorCode.InvalidRequest, errorMessage: e.problems.map((p) => p.message).join('; ') };
  }
}

// ------------------------------------------------------------------------------------------------
// DescribeConfigs

/** The string value of `name` in each layer, as Kafka's DynamicBrokerConfig keeps them. */
function layerValue(resolved: ResolvedBrokerConfig, name: string, source: ConfigSource): string | undefined {
  switch (source) {
    case ConfigSource.DYNAMIC_BROKER_CONFIG:
      return resolved.layers.dynamicBroker.get(name);
    case ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG:
      return resolved.layers.dynamicDefault.get(name);
    case ConfigSource.STATIC_BROKER_CONFIG:
      return resolved.layers.static.get(name)?.value;
    case ConfigSource.DEFAULT_CONFIG:
      return BY_NAME.get(name)?.default ?? undefined;
    default:
      return undefined;
  }
}

/**
 * Kafka's ConfigHelper.configSynonyms: for each source in precedence order (dynamic broker, dynamic
 * default, static, default), the synonyms set in that source in priority order; then everything
 * before the first entry named `name` is dropped (so describing log.retention.ms shows nothing when
 * only log.retention.hours is set: Kafka's behaviour, kept on purpose).
 */
export function brokerConfigSynonyms(resolved: ResolvedBrokerConfig, name: string, isSensitive: boolean): DescribeConfigsSynonym[] {
  const names = brokerSynonymNames(name);
  const all: DescribeConfigsSynonym[] = [];
  for (const source of [ConfigSource.DYNAMIC_BROKER_CONFIG, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, ConfigSource.STATIC_BROKER_CONFIG, ConfigSource.DEFAULT_CONFIG]) {
    for (const n of names) {
      const v = layerValue(resolved, n, source);
      if (v !== undefined) all.push({ name: n, value: isSensitive ? null : v, source });
    }
  }
  const first = all.findIndex((s) => s.name === name);
  return first < 0 ? [] : all.slice(first);
}

export interface BrokerDescribeOptions extends DescribeConfigsOptions {
  /** The DescribeConfigs resource name: this node's id, or "" for the cluster-wide defaults. */
  resourceName: string;
}

/**
 * DescribeConfigs for a BROKER resource, as Kafka's ConfigHelper builds it: for the node's id,
 * every broker config (and every unknown key that was supplied: type unknown, so sensitive) with
 * its source, read-only flag, synonyms, type and documentation; for "", only the dynamic
 * cluster-default values. Another broker id gives INVALID_REQUEST, as in Kafka.
 */
export function describeBrokerConfigs(resolved: ResolvedBrokerConfig, options: BrokerDescribeOptions): DescribeConfigsResourceResult {
  const result = (errorCode: number, errorMessage: string | null, configs: DescribeConfigsEntry[]): DescribeConfigsResourceResult => ({
    errorCode,
    errorMessage,
    resourceType: ConfigResourceType.BROKER,
    resourceName: options.resourceName,
    configs,
  });
  const perBroker = options.resourceName !== '';
  if (perBroker) {
    if (!/^[+-]?[0-9]+$/.test(options.resourceName)) {
      return result(ErrorCode.InvalidRequest, `Broker id must be an integer, but it is: ${options.resourceName}`, []);
    }
    if (Number(options.resourceName) !== resolved.config.nodeId) {
      return result(ErrorCode.InvalidRequest, `Unexpected broker id, expected ${resolved.config.nodeId} or empty string, but received ${options.resourceName}`, []);
    }
  }

  const entry = (name: string, value: string | null): DescribeConfigsEntry => {
    const d = BY_NAME.get(name);
    const isSensitive = d === undefined || d.type === 'password';
    const allSynonyms = brokerConfigSynonyms(resolved, name, isSensitive).filter(
      (s) => perBroker || s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
    );
    const configSource = allSynonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
    return {
      name,
      value: isSensitive ? null : value,
      readOnly: d === undefined || d.dynamic === 'read-only',
      isDefault: configSource === ConfigSource.DEFAULT_CONFIG,
      configSource,
      isSensitive,
      synonyms: options.includeSynonyms ? allSynonyms : [],
      configType: configResponseType(d?.type),
      documentation: options.includeDocumentation ? (d?.doc ?? null) : null,
    };
  };

  const configs: DescribeConfigsEntry[] = [];
  if (perBroker) {
    for (const [name, e] of resolved.entries) {
      if (e.definition?.internal) continue;
      if (wantsKey(options, name)) configs.push(entry(name, e.value));
    }
  } else {
    for (const [name, value] of resolved.layers.dynamicDefault) {
      if (BY_NAME.get(name)?.internal) continue;
      if (wantsKey(options, name)) configs.push(entry(name, value));
    }
  }
  return result(ErrorCode.None, null, configs);
}
