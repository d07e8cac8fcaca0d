/**
 * KafkaClient: the cluster as a client sees it. It reaches the cluster through the bootstrap
 * servers, learns brokers, topics, partitions and leaders from Metadata, keeps one pipelined
 * connection per broker address, and finds group coordinators. Producer, Consumer, GroupMember and
 * Admin are built on it.
 *
 * Failures: a broker that cannot be reached is retried with backoff until `retryTimeoutMs` has
 * passed since the operation started, then the last ConnectionError is thrown (with the address
 * and the reason: connection refused, unknown host, ...). A closed connection is reopened on the
 * next request that needs it.
 */
import { ApiKey } from '../protocol/generated/api-table.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import type { MetadataResponse } from '../protocol/generated/messages/metadata.js';
import { ZERO_UUID } from '../protocol/reader.js';
import { BrokerConnection, type ConnectionOptions } from './connection.js';
import { ConnectionError, KafkaProtocolError, isRetriable } from './errors.js';

export interface ClientOptions {
  /** "host:port[,host:port...]" or a list of them. */
  bootstrapServers: string | readonly string[];
  clientId?: string;
  /** Per-request timeout in milliseconds (Kafka's request.timeout.ms). Default 30000. */
  requestTimeoutMs?: number;
  /** Milliseconds to open one connection (Kafka's socket.connection.setup.timeout.ms). Default 10000. */
  connectTimeoutMs?: number;
  /** How long an operation keeps retrying unreachable brokers and retriable errors. Default 10000. */
  retryTimeoutMs?: number;
  /** Pause between retries in milliseconds (Kafka's retry.backoff.ms). Default 100. */
  retryBackoffMs?: number;
  /** Lowers this client's highest version per api key (tests use it to act as an older client). */
  versionCaps?: ConnectionOptions['versionCaps'];
}

export interface BrokerAddress {
  host: string;
  port: number;
}

export interface BrokerNode extends BrokerAddress {
  nodeId: number;
  rack: string | null;
}

export interface PartitionMetadata {
  partition: number;
  errorCode: number;
  /** -1 when the partition has no leader. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offline: number[];
}

export interface TopicMetadata {
  name: string;
  /** Hyphenated uuid; the zero uuid when the broker does not send topic ids (Metadata < v10). */
  topicId: string;
  isInternal: boolean;
  errorCode: number;
  /** Sorted by partition index. */
  partitions: PartitionMetadata[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerNode[];
  topics: Map<string, TopicMetadata>;
}

/**
 * Parses Kafka's bootstrap.servers value. Throws Error with a message fit for a usage line when an
 * entry is not host:port.
 */
export function parseBootstrapServers(value: string | readonly string[]): BrokerAddress[] {
  const entries = (typeof value === 'string' ? value.split(',') : value.flatMap((v) => v.split(',')))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (entries.length === 0) throw new Error('no bootstrap server given');
  return entries.map((entry) => {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(entry) ?? /^([^:\s]+):(\d+)$/.exec(entry);
    const port = m ? Number(m[2]) : NaN;
    if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`Please provide valid host:port like host1:9091,host2:9092 (got '${entry}')`);
    }
    return { host: m[1], port };
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class KafkaClient {
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly retryTimeoutMs: number;
  readonly retryBackoffMs: number;
  private readonly bootstrap: BrokerAddress[];
  private readonly connections = new Map<string, Promise<BrokerConnection>>();
  private brokers = new Map<number, BrokerNode>();
  private readonly topics = new Map<string, TopicMetadata>();
  private closed = false;
  private nextBootstrap = 0;

  constructor(private readonly options: ClientOptions) {
    this.bootstrap = parseBootstrapServers(options.bootstrapServers);
    this.clientId = options.clientId ?? 'gregor-client';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.retryTimeoutMs = options.retryTimeoutMs ?? 10_000;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
  }

  /** The brokers from the last Metadata response. */
  get knownBrokers(): BrokerNode[] {
    return [...this.brokers.values()];
  }

  /** Cached metadata of a topic (from the last Metadata response that named it). */
  cachedTopic(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  /**
   * A connection to some broker: an open one if there is one, else the first bootstrap server that
   * answers (each tried once; wrap in retrying() to keep trying).
   */
  async anyConnection(): Promise<BrokerConnection> {
    for (const [key, p] of this.connections) {
      const conn = await p.catch(() => undefined);
      if (conn && !conn.closed) return conn;
      if (this.connections.get(key) === p) this.connections.delete(key);
    }
    let lastError: unknown;
    for (let i = 0; i < this.bootstrap.length; i++) {
      const addr = this.bootstrap[this.nextBootstrap++ % this.bootstrap.length];
      try {
        return await this.connectionTo(addr);
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  /** The connection to a broker by node id (learnt from Metadata). */
  async nodeConnection(nodeId: number): Promise<BrokerConnection> {
    let node = this.brokers.get(nodeId);
    if (!node) {
      await this.metadataOnce([]);
      node = this.brokers.get(nodeId);
      // A broker that left the cluster (a dead leader not yet replaced in cached topic metadata):
      // unreachable like a refused connection, so callers retry after refreshing their metadata.
      if (!node) throw new ConnectionError(`broker ${nodeId} is not in the cluster metadata`, `node ${nodeId}`);
    }
    return this.connectionTo(node);
  }

  /** The connection to an address, opened on first use and reopened after it closed. */
  async connectionTo(addr: BrokerAddress): Promise<BrokerConnection> {
    if (this.closed) throw new ConnectionError('the client is closed', `${addr.host}:${addr.port}`);
    const key = `${addr.host}:${addr.port}`;
    const existing = this.connections.get(key);
    if (existing) {
      const conn = await existing.catch(() => undefined);
      if (conn && !conn.closed) return conn;
      if (this.connections.get(key) === existing) this.connections.delete(key);
    }
    const opening = BrokerConnection.connect({
      host: addr.host,
      port: addr.port,
      clientId: this.clientId,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000,
      requestTimeoutMs: this.requestTimeoutMs,
      ...(this.options.versionCaps ? { versionCaps: this.options.versionCaps } : {}),
    });
    this.connections.set(key, opening);
    try {
      const conn = await opening;
      // close() may have run while this awaited (the compiler's narrowing does not see it).
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (this.closed) conn.close();
      conn.onClose(() => {
        if (this.connections.get(key) === opening) this.connections.delete(key);
      });
      return conn;
    } catch (err) {
      if (this.connections.get(key) === opening) this.connections.delete(key);
      throw err;
    }
  }

  /**
   * Runs `fn` until it succeeds, retrying retriable errors (unreachable brokers, closed
   * connections, retriable Kafka codes) with backoff until retryTimeoutMs has passed.
   */
  async retrying<T>(fn: () => Promise<T>, timeoutMs = this.retryTimeoutMs): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let backoff = this.retryBackoffMs;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (this.closed || !isRetriable(err) || Date.now() + backoff > deadline) throw err;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 1000);
      }
    }
  }

  /**
   * Fetches metadata: `null` for every topic, a list for those topics (an empty list for brokers
   * only). Updates the cached brokers and topics. Topic-level errors are left in the result.
   */
  async metadata(topics: readonly string[] | null, options: { allowAutoTopicCreation?: boolean; timeoutMs?: number } = {}): Promise<ClusterMetadata> {
    return this.retrying(() => this.metadataOnce(topics, options), options.timeoutMs);
  }

  /** One Metadata request to some broker, without retries. */
  async metadataOnce(topics: readonly string[] | null, options: { allowAutoTopicCreation?: boolean } = {}): Promise<ClusterMetadata> {
    const conn = await this.anyConnection();
    const { body } = await conn.request(ApiKey.Metadata, (version) => ({
      topics: topics === null ? (version === 0 ? [] : null) : topics.map((name) => ({ topicId: ZERO_UUID, name, _unknownTaggedFields: undefined })),
      allowAutoTopicCreation: options.allowAutoTopicCreation ?? false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
      _unknownTaggedFields: undefined,
    }));
    return this.absorbMetadata(body);
  }

  private absorbMetadata(body: MetadataResponse): ClusterMetadata {
    if (body.errorCode) throw new KafkaProtocolError(body.errorCode);
    const brokers = body.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
    if (brokers.length > 0) this.brokers = new Map(brokers.map((b) => [b.nodeId, b]));
    const topics = new Map<string, TopicMetadata>();
    for (const t of body.topics) {
      if (t.name === null) continue;
      const info: TopicMetadata = {
        name: t.name,
        topicId: t.topicId,
        isInternal: t.isInternal,
        errorCode: t.errorCode,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partitionIndex,
            errorCode: p.errorCode,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            offline: p.offlineReplicas,
          }))
          .sort((a, b) => a.partition - b.partition),
      };
      topics.set(t.name, info);
      if (t.errorCode === 0) this.topics.set(t.name, info);
      else if (t.errorCode === ErrorCode.UnknownTopicOrPartition) this.topics.delete(t.name);
    }
    return { clusterId: body.clusterId, controllerId: body.controllerId, brokers, topics };
  }

  /**
   * Metadata of topics that must exist: retries LEADER_NOT_AVAILABLE and partitions without a
   * leader (a topic being created) until retryTimeoutMs; throws KafkaProtocolError for others.
   */
  async topicMetadata(
    names: readonly string[],
    options: { allowAutoTopicCreation?: boolean; timeoutMs?: number } = {},
  ): Promise<Map<string, TopicMetadata>> {
    return this.retrying(async () => {
      const md = await this.metadataOnce(names, options);
      for (const name of names) {
        const t = md.topics.get(name);
        if (!t) throw new KafkaProtocolError(ErrorCode.UnknownTopicOrPartition, `Topic '${name}' is not in the metadata response`);
        if (t.errorCode === ErrorCode.UnknownTopicOrPartition && options.allowAutoTopicCreation) {
          throw new KafkaProtocolError(ErrorCode.LeaderNotAvailable);
        }
        if (t.errorCode !== 0) throw new KafkaProtocolError(t.errorCode, topicErrorMessage(name, t.errorCode));
        if (t.partitions.some((p) => p.leader < 0)) throw new KafkaProtocolError(ErrorCode.LeaderNotAvailable);
      }
      return md.topics;
    }, options.timeoutMs);
  }

  /** The coordinator of a consumer group (keyType 0) or transactional id (1), retrying until found. */
  async findCoordinator(key: string, keyType = 0): Promise<BrokerNode> {
    return this.retrying(() => this.findCoordinatorOnce(key, keyType));
  }

  /** One FindCoordinator request, without retries. */
  async findCoordinatorOnce(key: string, keyType = 0): Promise<BrokerNode> {
    const conn = await this.anyConnection();
    const { version, body } = await conn.request(ApiKey.FindCoordinator, (v) => ({
      key: v < 4 ? key : '',
      keyType,
      coordinatorKeys: v >= 4 ? [key] : [],
      _unknownTaggedFields: undefined,
    }));
    if (version >= 4) {
      const c = body.coordinators.at(0);
      if (!c) throw new KafkaProtocolError(ErrorCode.CoordinatorNotAvailable);
      if (c.errorCode) throw new KafkaProtocolError(c.errorCode, c.errorMessage);
      return { nodeId: c.nodeId, host: c.host, port: c.port, rack: null };
    }
    if (body.errorCode) throw new KafkaProtocolError(body.errorCode, body.errorMessage);
    return { nodeId: body.nodeId, host: body.host, port: body.port, rack: null };
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    for (const p of all) {
      const conn = await p.catch(() => undefined);
      conn?.close();
    }
  }
}

/** Kafka's wording for topic errors the tools show. */
export function topicErrorMessage(topic: string, code: number): string | undefined {
  if (code === ErrorCode.UnknownTopicOrPartition) return `Topic '${topic}' does not exist`;
  if (code === ErrorCode.InvalidTopicException) return `Topic name '${topic}' is illegal`;
  return undefined;
}
