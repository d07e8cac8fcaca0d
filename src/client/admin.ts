/**
 * Admin operations over the wire, as Kafka's Java Admin client performs them: topics are listed
 * with Metadata, described with DescribeTopicPartitions (falling back to Metadata on brokers
 * without it, as the Java Admin does), created, deleted and grown with CreateTopics, DeleteTopics
 * and CreatePartitions (sent to the controller the broker names), and configs read with
 * DescribeConfigs. Per-topic failures come back as KafkaProtocolError with the broker's message.
 */
import { ConfigSource, type ConfigResourceType } from '../config/config-def.js';
import { ApiKey } from '../protocol/generated/api-table.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import type { BrokerConnection } from './connection.js';
import { KafkaClient, topicErrorMessage, type BrokerNode, type ClientOptions } from './cluster.js';
import { KafkaProtocolError } from './errors.js';

export interface TopicListing {
  name: string;
  topicId: string;
  isInternal: boolean;
}

export interface TopicPartitionInfo {
  partition: number;
  /** The leader's node id, or -1 without a leader. */
  leader: number;
  replicas: number[];
  isr: number[];
  /** Eligible leader replicas (KIP-966); null when the broker did not report them (Metadata). */
  elr: number[] | null;
  lastKnownElr: number[] | null;
}

export interface TopicDescription {
  name: string;
  topicId: string;
  isInternal: boolean;
  /** Sorted by partition index. */
  partitions: TopicPartitionInfo[];
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  /** A ConfigSource id; v0 responses only tell default from not. */
  source: number;
  /** True when the value is Kafka's default (ConfigEntry.isDefault: source DEFAULT_CONFIG). */
  isDefault: boolean;
  readOnly: boolean;
  isSensitive: boolean;
}

export interface NewTopic {
  name: string;
  /** -1 for the broker's default. */
  numPartitions?: number;
  /** -1 for the broker's default. */
  replicationFactor?: number;
  /** Manual placement: partition index -> broker ids. */
  assignments?: ReadonlyMap<number, readonly number[]>;
  configs?: Readonly<Record<string, string>>;
}

export interface CreatedTopic {
  name: string;
  topicId: string;
  numPartitions: number;
  replicationFactor: number;
}

export class Admin {
  readonly client: KafkaClient;
  private readonly ownsClient: boolean;

  constructor(clientOrOptions: KafkaClient | ClientOptions) {
    this.ownsClient = !(clientOrOptions instanceof KafkaClient);
    this.client = clientOrOptions instanceof KafkaClient ? clientOrOptions : new KafkaClient(clientOrOptions);
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  /** Every topic (internal ones only with listInternal), sorted by name. */
  async listTopics(options: { listInternal?: boolean } = {}): Promise<TopicListing[]> {
    const md = await this.client.metadata(null);
    return [...md.topics.values()]
      .filter((t) => t.errorCode === 0 && (options.listInternal || !t.isInternal))
      .map((t) => ({ name: t.name, topicId: t.topicId, isInternal: t.isInternal }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Topic descriptions in the order asked; a missing topic throws KafkaProtocolError. */
  async describeTopics(names: readonly string[], options: { partitionsPerResponse?: number } = {}): Promise<TopicDescription[]> {
    if (names.length === 0) return [];
    return this.client.retrying(() => this.describeTopicsOnce(names, options.partitionsPerResponse ?? 2000));
  }

  private async describeTopicsOnce(names: readonly string[], partitionsPerResponse: number): Promise<TopicDescription[]> {
    const conn = await this.client.anyConnection();
    if (conn.supports(ApiKey.DescribeTopicPartitions)) {
      const found = await this.describeTopicPartitions(conn, names, partitionsPerResponse);
      return names.map((n) => found.get(n)!);
    }
    const md = await this.client.metadataOnce(names);
    return names.map((name) => {
      const t = md.topics.get(name);
      if (!t) throw new KafkaProtocolError(ErrorCode.UnknownTopicOrPartition, topicErrorMessage(name, ErrorCode.UnknownTopicOrPartition));
      if (t.errorCode) throw new KafkaProtocolError(t.errorCode, topicErrorMessage(name, t.errorCode));
      return {
        name,
        topicId: t.topicId,
        isInternal: t.isInternal,
        partitions: t.partitions.map((p) => ({ partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr, elr: null, lastKnownElr: null })),
      };
    });
  }

  private async describeTopicPartitions(conn: BrokerConnection, names: readonly string[], limit: number): Promise<Map<string, TopicDescription>> {
    const out = new Map<string, TopicDescription>();
    let cursor: { topicName: string; partitionIndex: number; _unknownTaggedFields: undefined } | null = null;
    const sorted = [...new Set(names)].sort();
    for (let page = 0; page < 100_000; page++) {
      const { body } = await conn.request(ApiKey.DescribeTopicPartitions, () => ({
        topics: sorted.map((name) => ({ name, _unknownTaggedFields: undefined })),
        responsePartitionLimit: limit,
        cursor,
        _unknownTaggedFields: undefined,
      }));
      for (const t of body.topics) {
        const name = t.name ?? '';
        if (t.errorCode) throw new KafkaProtocolError(t.errorCode, topicErrorMessage(name, t.errorCode));
        let d = out.get(name);
        if (!d) {
          d = { name, topicId: t.topicId, isInternal: t.isInternal, partitions: [] };
          out.set(name, d);
        }
        for (const p of t.partitions) {
          d.partitions.push({
            partition: p.partitionIndex,
            leader: p.leaderId,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            elr: p.eligibleLeaderReplicas ?? [],
            lastKnownElr: p.lastKnownElr ?? [],
          });
        }
      }
      if (!body.nextCursor) break;
      cursor = { topicName: body.nextCursor.topicName, partitionIndex: body.nextCursor.partitionIndex, _unknownTaggedFields: undefined };
    }
    for (const name of sorted) {
      const d = out.get(name);
      if (!d) throw new KafkaProtocolError(ErrorCode.UnknownTopicOrPartition, topicErrorMessage(name, ErrorCode.UnknownTopicOrPartition));
      d.partitions.sort((a, b) => a.partition - b.partition);
    }
    return out;
  }

  /** Config entries of resources, in the order the broker sent them. */
  async describeConfigs(resources: readonly { type: ConfigResourceType; name: string }[]): Promise<ConfigEntry[][]> {
    return this.client.retrying(() => this.describeConfigsOnce(resources));
  }

  private async describeConfigsOnce(resources: readonly { type: ConfigResourceType; name: string }[]): Promise<ConfigEntry[][]> {
    const conn = await this.client.anyConnection();
    const { version, body } = await conn.request(ApiKey.DescribeConfigs, () => ({
      resources: resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configurationKeys: null, _unknownTaggedFields: undefined })),
      includeSynonyms: false,
      includeDocumentation: false,
      _unknownTaggedFields: undefined,
    }));
    return resources.map((r) => {
      const result = body.results.find((x) => x.resourceType === r.type && x.resourceName === r.name);
      if (!result) throw new KafkaProtocolError(ErrorCode.UnknownServerError, `no DescribeConfigs result for ${r.name}`);
      if (result.errorCode) throw new KafkaProtocolError(result.errorCode, result.errorMessage ?? topicErrorMessage(r.name, result.errorCode));
      return result.configs.map((c) => {
        const source = version === 0 ? (c.isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.UNKNOWN) : c.configSource;
        return {
          name: c.name,
          value: c.value,
          source,
          isDefault: source === ConfigSource.DEFAULT_CONFIG,
          readOnly: c.readOnly,
          isSensitive: c.isSensitive,
        };
      });
    });
  }

  /** The brokers and the controller id. */
  async describeCluster(): Promise<{ clusterId: string | null; controllerId: number; brokers: BrokerNode[] }> {
    const md = await this.client.metadata([]);
    return { clusterId: md.clusterId, controllerId: md.controllerId, brokers: md.brokers };
  }

  /** The controller's connection (where Java's Admin sends topic changes), or any broker's. */
  private controllerConnection(): Promise<BrokerConnection> {
    return this.client.retrying(async () => {
      const md = await this.client.metadataOnce([]);
      if (md.controllerId >= 0 && md.brokers.some((b) => b.nodeId === md.controllerId)) {
        return this.client.nodeConnection(md.controllerId);
      }
      return this.client.anyConnection();
    });
  }

  /** Creates topics; resolves per topic with what the broker reports, or rejects on the first error. */
  async createTopics(topics: readonly NewTopic[], options: { validateOnly?: boolean } = {}): Promise<CreatedTopic[]> {
    const conn = await this.controllerConnection();
    const { body } = await conn.request(ApiKey.CreateTopics, () => ({
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.assignments?.size ? -1 : (t.numPartitions ?? -1),
        replicationFactor: t.assignments?.size ? -1 : (t.replicationFactor ?? -1),
        assignments: [...(t.assignments ?? new Map<number, readonly number[]>())].map(([partitionIndex, brokerIds]) => ({
          partitionIndex,
          brokerIds: [...brokerIds],
          _unknownTaggedFields: undefined,
        })),
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value, _unknownTaggedFields: undefined })),
        _unknownTaggedFields: undefined,
      })),
      timeoutMs: this.client.requestTimeoutMs,
      validateOnly: options.validateOnly ?? false,
      _unknownTaggedFields: undefined,
    }));
    return topics.map((t) => {
      const r = body.topics.find((x) => x.name === t.name);
      if (!r) throw new KafkaProtocolError(ErrorCode.UnknownServerError, `no CreateTopics result for ${t.name}`);
      if (r.errorCode) throw new KafkaProtocolError(r.errorCode, r.errorMessage);
      return { name: r.name, topicId: r.topicId, numPartitions: r.numPartitions, replicationFactor: r.replicationFactor };
    });
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    const conn = await this.controllerConnection();
    const { body } = await conn.request(ApiKey.DeleteTopics, (v) => ({
      topics: v >= 6 ? names.map((name) => ({ name, topicId: '00000000-0000-0000-0000-000000000000', _unknownTaggedFields: undefined })) : [],
      topicNames: v < 6 ? [...names] : [],
      timeoutMs: this.client.requestTimeoutMs,
      _unknownTaggedFields: undefined,
    }));
    for (const r of body.responses) {
      if (r.errorCode) throw new KafkaProtocolError(r.errorCode, r.errorMessage ?? topicErrorMessage(r.name ?? '', r.errorCode));
    }
  }

  /** Grows topics to the given partition counts. */
  async createPartitions(counts: ReadonlyMap<string, number>): Promise<void> {
    if (counts.size === 0) return;
    const conn = await this.controllerConnection();
    const { body } = await conn.request(ApiKey.CreatePartitions, () => ({
      topics: [...counts].map(([name, count]) => ({ name, count, assignments: null, _unknownTaggedFields: undefined })),
      timeoutMs: this.client.requestTimeoutMs,
      validateOnly: false,
      _unknownTaggedFields: undefined,
    }));
    for (const r of body.results) {
      if (r.errorCode) throw new KafkaProtocolError(r.errorCode, r.errorMessage);
    }
  }
}
