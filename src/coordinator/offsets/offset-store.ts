/**
 * Committed offsets in memory, by group, topic and partition. Changed only by the coordinator's
 * `apply` (replayed records); everything else reads. Also tracks commits being written, so that
 * offset expiry never deletes an offset a commit in flight is about to set (Kafka's
 * pendingOffsetCommits).
 */
import type { OffsetAndMetadata } from '../records.js';

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, OffsetAndMetadata>>>();
  /** group -> topic -> partition -> commits in flight */
  private readonly pending = new Map<string, Map<string, Map<number, number>>>();

  get(group: string, topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition);
  }

  put(group: string, topic: string, partition: number, offset: OffsetAndMetadata): void {
    let topics = this.byGroup.get(group);
    if (!topics) this.byGroup.set(group, (topics = new Map()));
    let partitions = topics.get(topic);
    if (!partitions) topics.set(topic, (partitions = new Map()));
    partitions.set(partition, offset);
  }

  delete(group: string, topic: string, partition: number): void {
    const topics = this.byGroup.get(group);
    const partitions = topics?.get(topic);
    if (!topics || !partitions) return;
    partitions.delete(partition);
    if (partitions.size === 0) topics.delete(topic);
    if (topics.size === 0) this.byGroup.delete(group);
  }

  hasOffsets(group: string): boolean {
    return this.byGroup.has(group);
  }

  groups(): IterableIterator<string> {
    return this.byGroup.keys();
  }

  /** Every committed offset of a group, topics then partitions in commit order. */
  *offsetsOf(group: string): Generator<[topic: string, partition: number, offset: OffsetAndMetadata]> {
    const topics = this.byGroup.get(group);
    if (!topics) return;
    for (const [topic, partitions] of topics) for (const [p, o] of partitions) yield [topic, p, o];
  }

  /** Every (group, partition) with a committed offset of this topic. */
  *partitionsOfTopic(topic: string): Generator<[group: string, partition: number]> {
    for (const [group, topics] of this.byGroup) {
      const partitions = topics.get(topic);
      if (partitions) for (const p of partitions.keys()) yield [group, p];
    }
  }

  *all(): Generator<[group: string, topic: string, partition: number, offset: OffsetAndMetadata]> {
    for (const [group, topics] of this.byGroup) for (const [topic, partitions] of topics) for (const [p, o] of partitions) yield [group, topic, p, o];
  }

  beginPending(group: string, partitions: readonly TopicPartitionRef[]): void {
    let topics = this.pending.get(group);
    if (!topics) this.pending.set(group, (topics = new Map()));
    for (const { topic, partition } of partitions) {
      let counts = topics.get(topic);
      if (!counts) topics.set(topic, (counts = new Map()));
      counts.set(partition, (counts.get(partition) ?? 0) + 1);
    }
  }

  endPending(group: string, partitions: readonly TopicPartitionRef[]): void {
    const topics = this.pending.get(group);
    if (!topics) return;
    for (const { topic, partition } of partitions) {
      const counts = topics.get(topic);
      if (!counts) continue;
      const n = (counts.get(partition) ?? 0) - 1;
      if (n > 0) counts.set(partition, n);
      else {
        counts.delete(partition);
        if (counts.size === 0) topics.delete(topic);
      }
    }
    if (topics.size === 0) this.pending.delete(group);
  }

  hasPending(group: string, topic?: string, partition?: number): boolean {
    const topics = this.pending.get(group);
    if (!topics) return false;
    if (topic === undefined) return true;
    return topics.get(topic)?.has(partition!) ?? false;
  }

  /**
   * Offsets of a group that have expired (Kafka's removeExpiredOffsets): an offset committed with
   * an explicit retention time (OffsetCommit v1-v4) expires at its expire timestamp; otherwise when
   * `retentionMs` has passed since `baseTimestamp(offset)`. Offsets of topics in `keepTopics` and
   * offsets with a commit in flight never expire.
   */
  expired(
    group: string,
    nowMs: number,
    retentionMs: number,
    baseTimestamp: (o: OffsetAndMetadata) => number,
    keepTopics: ReadonlySet<string> = new Set(),
  ): TopicPartitionRef[] {
    const out: TopicPartitionRef[] = [];
    for (const [topic, partition, o] of this.offsetsOf(group)) {
      if (keepTopics.has(topic) || this.hasPending(group, topic, partition)) continue;
      const isExpired = o.expireTimestamp >= 0 ? nowMs >= o.expireTimestamp : nowMs - baseTimestamp(o) >= retentionMs;
      if (isExpired) out.push({ topic, partition });
    }
    return out;
  }
}
