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
  /**
   * group -> the partitions of each commit being written (one array per commit, as the commit
   * passed it). Begin and end are O(1) on the commit path; the per-partition question is asked
   * only by offset expiry, which walks these lists.
   */
  private readonly pending = new Map<string, (readonly TopicPartitionRef[])[]>();

  get(group: string, topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition);
  }

  put(group: string, topic: string, partition: number, offset: OffsetAndMetadata): void {
    this.partitionsOf(group, topic).set(partition, offset);
  }

  /** The partition map of a group's topic, created if needed (replay puts many offsets through one). */
  partitionsOf(group: string, topic: string): Map<number, OffsetAndMetadata> {
    let topics = this.byGroup.get(group);
    if (!topics) this.byGroup.set(group, (topics = new Map<string, Map<number, OffsetAndMetadata>>()));
    let partitions = topics.get(topic);
    if (!partitions) topics.set(topic, (partitions = new Map<number, OffsetAndMetadata>()));
    return partitions;
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

  /** Every committed offset, by callback: no iterator objects (snapshots walk them all). */
  forEach(fn: (group: string, topic: string, partition: number, offset: OffsetAndMetadata) => void): void {
    for (const [group, topics] of this.byGroup) for (const [topic, partitions] of topics) for (const [p, o] of partitions) fn(group, topic, p, o);
  }

  /** A commit of these partitions is being written (pass the same array to endPending). */
  beginPending(group: string, partitions: readonly TopicPartitionRef[]): void {
    let list = this.pending.get(group);
    if (!list) this.pending.set(group, (list = []));
    list.push(partitions);
  }

  endPending(group: string, partitions: readonly TopicPartitionRef[]): void {
    const list = this.pending.get(group);
    if (!list) return;
    const i = list.indexOf(partitions);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.pending.delete(group);
  }

  hasPending(group: string, topic?: string, partition?: number): boolean {
    const list = this.pending.get(group);
    if (!list) return false;
    if (topic === undefined) return true;
    for (const l of list) for (const tp of l) if (tp.topic === topic && tp.partition === partition) return true;
    return false;
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
