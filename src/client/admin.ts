/**
 * Admin operations over the wire, as Kafka's Java Admin client performs them: topics are listed
 * with Metadata, described with DescribeTopicPartitions (falling back to Metadata on brokers
 * without it, as the Java Admin does), created, deleted and grown with CreateTopics, DeleteTopics
 * and CreatePartitions (sent to the controller the broker names), configs read with
 * DescribeConfigs and changed with IncrementalAlterConfigs (a broker's own configs with that broker),
 * offsets listed with ListOffsets and records deleted with DeleteRecords (each partition's leader),
 * log directories described with DescribeLogDirs, and each broker's ApiVersions answer reported.
 * Per-topic failures come back as KafkaProtocolError with the broker's message; the per-partition
 * operations answer per partition instead (PartitionOutcome).
 */
import { ConfigResourceType, ConfigSource } from '../config/config-def.js';
import { ApiKey } from '../protocol/generated/api-table.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import type { BrokerConnection } from './connection.js';
import { topicErrorMessage, type BrokerNode } from './cluster.js';
import { KafkaProtocolError } from './errors.js';
import { OwnedClient } from './owned-client.js';
import { byLeader, groupByTopic, partitionKey, type PartitionOutcome } from './partition-leaders.js';
import { mustGet } from '../util/must-get.js';

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
  /** Where the value comes from and what it overrides, most specific first (only when asked for). */
  synonyms: ConfigSynonym[];
  /** A ConfigResponseType id (DescribeConfigs v3+), else 0. */
  type: number;
  documentation: string | null;
}

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
}

/** IncrementalAlterConfigs operations (Kafka's AlterConfigOp.OpType). */
export const AlterConfigOpType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
export type AlterConfigOpType = (typeof AlterConfigOpType)[keyof typeof AlterConfigOpType];

export interface AlterConfigOp {
  name: string;
  op: AlterConfigOpType;
  /** Null for DELETE. */
  value: string | null;
}

export interface ConfigResourceRef {
  type: ConfigResourceType;
  name: string;
}

/** An offset ListOffsets found: -1 offset when there is none (a timestamp after every record). */
export interface ListedOffset {
  offset: bigint;
  timestamp: bigint;
  leaderEpoch: number;
}

/** ListOffsets targets, as Kafka's ListOffsetsRequest names them. */
export const OffsetSpec = { LATEST: -1n, EARLIEST: -2n, MAX_TIMESTAMP: -3n, EARLIEST_LOCAL: -4n, LATEST_TIERED: -5n } as const;

export type { PartitionOutcome } from './partition-leaders.js';

export interface LogDirDescription {
  logDir: string;
  /** Null when the directory is fine. */
  error: KafkaProtocolError | null;
  totalBytes: bigint;
  usableBytes: bigint;
  replicas: { topic: string; partition: number; size: bigint; offsetLag: bigint; isFuture: boolean }[];
}

export interface BrokerApiVersions {
  node: BrokerNode;
  /** api key -> [min, max] as the broker advertised them. */
  ranges: ReadonlyMap<number, readonly [number, number]>;
  finalizedFeatures: readonly { name: string; minVersionLevel: number; maxVersionLevel: number }[];
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

export class Admin extends OwnedClient {
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
      return names.map((n) => mustGet(found, n));
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

  /**
   * Config entries of resources, in the order the broker sent them. A broker's own configs are
   * asked of that broker (as the Java Admin does: only it knows its static settings); the rest of
   * any broker.
   */
  async describeConfigs(resources: readonly ConfigResourceRef[], options: { includeSynonyms?: boolean; includeDocumentation?: boolean } = {}): Promise<ConfigEntry[][]> {
    const out: ConfigEntry[][] = new Array<ConfigEntry[]>(resources.length);
    const groups = new Map<number, number[]>();
    resources.forEach((r, i) => {
      const node = brokerResourceNode(r);
      let g = groups.get(node);
      if (!g) groups.set(node, (g = []));
      g.push(i);
    });
    for (const [node, indexes] of groups) {
      const entries = await this.client.retrying(() => this.describeConfigsOnce(node, indexes.map((i) => resources[i]), options));
      indexes.forEach((idx, j) => (out[idx] = entries[j]));
    }
    return out;
  }

  private async describeConfigsOnce(node: number, resources: readonly ConfigResourceRef[], options: { includeSynonyms?: boolean; includeDocumentation?: boolean }): Promise<ConfigEntry[][]> {
    const conn = node >= 0 ? await this.client.nodeConnection(node) : await this.client.anyConnection();
    const { version, body } = await conn.request(ApiKey.DescribeConfigs, () => ({
      resources: resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configurationKeys: null, _unknownTaggedFields: undefined })),
      includeSynonyms: options.includeSynonyms ?? false,
      includeDocumentation: options.includeDocumentation ?? false,
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
          synonyms: c.synonyms.map((x) => ({ name: x.name, value: x.value, source: x.source })),
          type: c.configType,
          documentation: c.documentation,
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

  /**
   * Changes configs of one resource with IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT
   * per key, applied by the broker all or nothing. A broker's configs go to that broker.
   */
  async incrementalAlterConfigs(resource: ConfigResourceRef, ops: readonly AlterConfigOp[], options: { validateOnly?: boolean } = {}): Promise<void> {
    const node = brokerResourceNode(resource);
    const conn = await this.client.retrying(() => (node >= 0 ? this.client.nodeConnection(node) : this.client.anyConnection()));
    const { body } = await conn.request(ApiKey.IncrementalAlterConfigs, () => ({
      resources: [
        {
          resourceType: resource.type,
          resourceName: resource.name,
          configs: ops.map((o) => ({ name: o.name, configOperation: o.op, value: o.value, _unknownTaggedFields: undefined })),
          _unknownTaggedFields: undefined,
        },
      ],
      validateOnly: options.validateOnly ?? false,
      _unknownTaggedFields: undefined,
    }));
    for (const r of body.responses) {
      if (r.errorCode) throw new KafkaProtocolError(r.errorCode, r.errorMessage);
    }
  }

  /**
   * Offsets by timestamp or target (OffsetSpec) per partition, asked of each partition's leader.
   * Results are keyed "topic:partition"; a partition whose leader is unknown gets
   * LEADER_NOT_AVAILABLE.
   */
  async listOffsets(
    requests: readonly { topic: string; partition: number; timestamp: bigint }[],
    options: { isolationLevel?: 0 | 1 } = {},
  ): Promise<Map<string, PartitionOutcome<ListedOffset>>> {
    const out = new Map<string, PartitionOutcome<ListedOffset>>();
    const leaders = await byLeader(this.client, requests, out);
    for (const [node, list] of leaders) {
      const conn = await this.client.retrying(() => this.client.nodeConnection(node));
      const { version, body } = await conn.request(ApiKey.ListOffsets, () => ({
        replicaId: -1,
        isolationLevel: options.isolationLevel ?? 0,
        topics: groupByTopic(list).map(([name, ps]) => ({
          name,
          partitions: ps.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp: p.timestamp, maxNumOffsets: 1, _unknownTaggedFields: undefined })),
          _unknownTaggedFields: undefined,
        })),
        timeoutMs: this.client.requestTimeoutMs,
        _unknownTaggedFields: undefined,
      }));
      for (const t of body.topics) {
        for (const p of t.partitions) {
          const key = partitionKey(t.name, p.partitionIndex);
          if (p.errorCode) out.set(key, { ok: false, error: new KafkaProtocolError(p.errorCode) });
          else out.set(key, { ok: true, value: { offset: version === 0 ? (p.oldStyleOffsets[0] ?? -1n) : p.offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch } });
        }
      }
    }
    return out;
  }

  /**
   * Deletes the records before an offset (-1: the high watermark) in each partition, asking each
   * leader. Results are keyed "topic:partition" with the new low watermark.
   */
  async deleteRecords(requests: readonly { topic: string; partition: number; offset: bigint }[]): Promise<Map<string, PartitionOutcome<bigint>>> {
    const out = new Map<string, PartitionOutcome<bigint>>();
    const leaders = await byLeader(this.client, requests, out);
    for (const [node, list] of leaders) {
      const conn = await this.client.retrying(() => this.client.nodeConnection(node));
      const { body } = await conn.request(ApiKey.DeleteRecords, () => ({
        topics: groupByTopic(list).map(([name, ps]) => ({
          name,
          partitions: ps.map((p) => ({ partitionIndex: p.partition, offset: p.offset, _unknownTaggedFields: undefined })),
          _unknownTaggedFields: undefined,
        })),
        timeoutMs: this.client.requestTimeoutMs,
        _unknownTaggedFields: undefined,
      }));
      for (const t of body.topics) {
        for (const p of t.partitions) {
          const key = partitionKey(t.name, p.partitionIndex);
          if (p.errorCode) out.set(key, { ok: false, error: new KafkaProtocolError(p.errorCode) });
          else out.set(key, { ok: true, value: p.lowWatermark });
        }
      }
    }
    return out;
  }

  /** Each broker's log directories with the size of every partition replica in them. */
  async describeLogDirs(brokerIds: readonly number[], topics?: readonly string[]): Promise<Map<number, LogDirDescription[]>> {
    const out = new Map<number, LogDirDescription[]>();
    let filter: { topic: string; partitions: number[]; _unknownTaggedFields: undefined }[] | null = null;
    if (topics !== undefined) {
      const md = await this.client.metadata(topics);
      filter = topics.flatMap((t) => {
        const tm = md.topics.get(t);
        return tm && !tm.errorCode ? [{ topic: t, partitions: tm.partitions.map((p) => p.partition), _unknownTaggedFields: undefined }] : [];
      });
    }
    for (const id of brokerIds) {
      const conn = await this.client.retrying(() => this.client.nodeConnection(id));
      const { body } = await conn.request(ApiKey.DescribeLogDirs, () => ({ topics: filter, _unknownTaggedFields: undefined }));
      if (body.errorCode) throw new KafkaProtocolError(body.errorCode);
      out.set(
        id,
        body.results.map((r) => ({
          logDir: r.logDir,
          error: r.errorCode ? new KafkaProtocolError(r.errorCode) : null,
          totalBytes: r.totalBytes,
          usableBytes: r.usableBytes,
          replicas: r.topics.flatMap((t) =>
            t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, size: p.partitionSize, offsetLag: p.offsetLag, isFuture: p.isFutureKey })),
          ),
        })),
      );
    }
    return out;
  }

  /** What each broker answered to ApiVersions: its api ranges and finalized features. */
  async brokerApiVersions(): Promise<BrokerApiVersions[]> {
    const { brokers } = await this.describeCluster();
    const out: BrokerApiVersions[] = [];
    for (const node of brokers) {
      const conn = await this.client.retrying(() => this.client.nodeConnection(node.nodeId));
      out.push({ node, ranges: conn.apiRanges(), finalizedFeatures: conn.finalizedFeatures });
    }
    return out;
  }

}

/** The node a config resource must be asked of: a broker's own id, else -1 (any broker). */
function brokerResourceNode(r: ConfigResourceRef): number {
  return (r.type === ConfigResourceType.BROKER || r.type === ConfigResourceType.BROKER_LOGGER) && /^\d+$/.test(r.name) ? Number(r.name) : -1;
}

