/**
 * The definitions of every server.properties key Gregor knows: Kafka's name, type, default,
 * validator and importance (Kafka 3.9's KafkaConfig, the last line that still serves message formats
 * v0/v1 as Gregor does), and how each may change at runtime (Kafka 3.9's DynamicBrokerConfig). One
 * table, read by resolution, dynamic changes, DescribeConfigs and the topic configs' broker synonyms.
 *
 * Gregor's defaults differ from Kafka's in these places, each noted on its definition: node.id and
 * broker.id default to 1 (Kafka: -1, KRaft requires node.id), log.dir is ./data (Kafka:
 * /tmp/kafka-logs), queued.max.request.bytes is 256 MiB (Kafka: -1, no limit), and the Gregor-only
 * keys cluster.id and socket.request.receive.timeout.ms (not reported by DescribeConfigs).
 */
import {
  JAVA_INT_MAX,
  JAVA_LONG_MAX,
  atLeast,
  between,
  canonicalDefault,
  lambda,
  listOf,
  oneOf,
  type ConfigDefinition,
  type ConfigType,
  type Importance,
  type Validator,
} from './config-def.js';

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
/** The security protocols a listener may speak (Kafka's SecurityProtocol names). */
export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
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
/** A share of time: above 0 (a cleaner that never runs would be log.cleaner.threads=0) and at most 1. */
const shareValidator: Validator = lambda(
  (_name, v) => (typeof v === 'number' && v > 0 && v <= 1 ? null : 'Value must be above 0 and no more than 1'),
  '(0,...,1]',
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
  def('metadata.etcd.endpoints', 'list', '', 'high', 'Gregor only: the etcd client URLs (http://host:2379,...) of the cluster this broker joins. Empty: a single broker with its metadata on its own disk.', { internal: true }),
  def('broker.session.timeout.ms', 'int', '3000', 'high', 'In a cluster: how long a broker that stopped renewing its registration (its etcd lease) stays registered before its partitions are led elsewhere.', { kafkaDefault: '9000', validator: atLeast(1000) }),
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
  def('log.cleaner.threads', 'int', '1', 'medium', 'Logs the cleaner cleans at once, each with its share of the dedupe buffer (0: no cleaning); read at start.', { validator: atLeast(0) }),
  def('log.cleaner.io.max.bytes.per.second', 'double', '1.7976931348623157E308', 'medium', 'Bytes per second the cleaner may read and write, all threads together.'),
  def(
    'log.cleaner.event.loop.share',
    'double',
    '0.25',
    'medium',
    'Gregor only: the share of the event loop\'s time the cleaner may take (its CPU work and the waits for its own reads), above 0 and at most 1 (1: no pause); it sleeps for the rest, so that produce and fetch requests are served without waiting behind it. Read at start.',
    { internal: true, validator: shareValidator },
  ),
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
  def('replica.fetch.backoff.ms', 'int', '1000', 'medium', 'How long a follower waits before fetching again after a fetch error.', { validator: atLeast(0) }),
  def('replica.socket.timeout.ms', 'int', '30000', 'high', 'How long a follower waits for a fetch answer beyond replica.fetch.wait.max.ms before it reconnects.'),
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
