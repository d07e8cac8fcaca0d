/**
 * KIP-951's hints: a partition answered NOT_LEADER_OR_FOLLOWER (or, for Fetch, FENCED_LEADER_EPOCH)
 * carries the leader this broker knows and its epoch, and the response lists how to reach those
 * leaders, so a client goes straight to the new leader without a Metadata round trip first
 * (Produce v10+, Fetch v16+). On a single broker no partition ever moves, so none is added.
 */
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { ClusterView } from '../metadata/cluster-view.js';

export interface LeaderHint {
  leaderId: number;
  leaderEpoch: number;
}

export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
  _unknownTaggedFields: undefined;
}

/** Collects the hints of one response: the leader of each moved partition and their endpoints. */
export class LeaderHints {
  private readonly leaders = new Set<number>();

  constructor(private readonly services: { metadata: MetadataStore; cluster: ClusterView }) {}

  /**
   * The known leader of a partition another broker leads, or null when none is known. The topic is
   * named as the response names it: by name, or (the name empty: requests by topic id) by id.
   */
  leaderOf(named: { name: string; topicId: string }, partition: number): LeaderHint | null {
    const metadata = this.services.metadata;
    const topic = named.name !== '' ? metadata.topic(named.name) : metadata.topicById(named.topicId);
    if (!topic || partition >= topic.partitions) return null;
    const [layout] = this.services.cluster.partitionLayouts(topic, partition, partition + 1);
    if (layout.leaderId < 0) return null;
    this.leaders.add(layout.leaderId);
    return { leaderId: layout.leaderId, leaderEpoch: layout.leaderEpoch };
  }

  /** How to reach every leader named so far. */
  endpoints(): NodeEndpoint[] {
    // The common answer names no moved partition: no broker list is built for it.
    if (this.leaders.size === 0) return [];
    return this.services.cluster
      .brokers()
      .filter((b) => this.leaders.has(b.nodeId))
      .map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack, _unknownTaggedFields: undefined }));
  }
}
