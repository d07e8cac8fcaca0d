/**
 * Transactional offset commits waiting for their transaction's end (Kafka's
 * pendingTransactionalOffsets and openTransactions in OffsetMetadataManager): per producer id, the
 * offsets its TxnOffsetCommit requests wrote, invisible to OffsetFetch until a COMMIT marker moves
 * them to the committed offsets, or an ABORT marker drops them. Changed only by the coordinator's
 * replay, like the committed offsets.
 *
 * Ordering: Kafka keeps, per partition, the offset whose record is last in the log, so a regular
 * commit written after a transactional one (but before its marker) wins over it at COMMIT. The
 * coordinator log has no record offsets, so each pending offset carries the order it was applied
 * in (`seq`, replay order) and whether a committed offset applied after it already supersedes it.
 * A snapshot writes superseded pending offsets before the committed ones and the others after them,
 * each in `seq` order, which replays to the same decisions.
 */
import type { OffsetAndMetadata } from '../records.js';
import type { TopicPartitionRef } from './offset-store.js';

export interface PendingTxnOffset {
  producerId: bigint;
  group: string;
  topic: string;
  partition: number;
  value: OffsetAndMetadata;
  /** The order this offset was applied in, among pending offsets. */
  seq: number;
  /** A committed offset applied after this one exists: at COMMIT this one is not materialized. */
  superseded: boolean;
}

interface ProducerOffsets {
  /** The producer epoch of its last transactional write (the offsets log's producer state). */
  epoch: number;
  /** By `group \0 topic \0 partition`. */
  offsets: Map<string, PendingTxnOffset>;
}

function key(group: string, topic: string, partition: number): string {
  return `${group}\0${topic}\0${partition}`;
}

export class TxnOffsetStore {
  private readonly byProducer = new Map<bigint, ProducerOffsets>();
  /** group -> `topic \0 partition` -> the producers with an offset pending there. */
  private readonly open = new Map<string, Map<string, Set<bigint>>>();
  private seq = 0;

  /** A transactional offset commit record of this producer was applied. */
  add(producerId: bigint, producerEpoch: number, group: string, topic: string, partition: number, value: OffsetAndMetadata): void {
    let p = this.byProducer.get(producerId);
    if (!p) this.byProducer.set(producerId, (p = { epoch: producerEpoch, offsets: new Map<string, PendingTxnOffset>() }));
    p.epoch = Math.max(p.epoch, producerEpoch);
    p.offsets.set(key(group, topic, partition), { producerId, group, topic, partition, value, seq: this.seq++, superseded: false });
    let topics = this.open.get(group);
    if (!topics) this.open.set(group, (topics = new Map<string, Set<bigint>>()));
    const tp = `${topic}\0${partition}`;
    let producers = topics.get(tp);
    if (!producers) topics.set(tp, (producers = new Set<bigint>()));
    producers.add(producerId);
  }

  /**
   * A committed offset was applied to this partition: pending offsets applied before it (all of
   * them for a regular commit; those before `seq` for a materialized transactional one) lose to it.
   */
  supersede(group: string, topic: string, partition: number, beforeSeq = Infinity): void {
    const producers = this.open.get(group)?.get(`${topic}\0${partition}`);
    if (!producers) return;
    const k = key(group, topic, partition);
    for (const id of producers) {
      const o = this.byProducer.get(id)?.offsets.get(k);
      if (o && o.seq < beforeSeq) o.superseded = true;
    }
  }

  /** A tombstone of this partition: every pending offset of it goes too (Kafka's replay of a tombstone). */
  remove(group: string, topic: string, partition: number): void {
    const topics = this.open.get(group);
    const tp = `${topic}\0${partition}`;
    const producers = topics?.get(tp);
    if (!topics || !producers) return;
    const k = key(group, topic, partition);
    for (const id of producers) {
      const p = this.byProducer.get(id);
      p?.offsets.delete(k);
      if (p && p.offsets.size === 0) this.byProducer.delete(id);
    }
    topics.delete(tp);
    if (topics.size === 0) this.open.delete(group);
  }

  /** The transaction of this producer ended: its pending offsets, in the order they were applied, removed from the store. */
  complete(producerId: bigint): PendingTxnOffset[] {
    const p = this.byProducer.get(producerId);
    if (!p) return [];
    this.byProducer.delete(producerId);
    const out = [...p.offsets.values()].sort((a, b) => a.seq - b.seq);
    for (const o of out) {
      const topics = this.open.get(o.group);
      const tp = `${o.topic}\0${o.partition}`;
      const producers = topics?.get(tp);
      if (!topics || !producers) continue;
      producers.delete(producerId);
      if (producers.size === 0) topics.delete(tp);
      if (topics.size === 0) this.open.delete(o.group);
    }
    return out;
  }

  /** Whether the group has pending transactional offsets (of this partition, when given). */
  hasPending(group: string, topic?: string, partition?: number): boolean {
    const topics = this.open.get(group);
    if (!topics) return false;
    if (topic === undefined) return true;
    return topics.has(`${topic}\0${partition ?? -1}`);
  }

  /** The partitions of a group with pending transactional offsets. */
  *partitionsOf(group: string): Generator<TopicPartitionRef> {
    const topics = this.open.get(group);
    if (!topics) return;
    for (const tp of topics.keys()) {
      const cut = tp.lastIndexOf('\0');
      yield { topic: tp.slice(0, cut), partition: Number(tp.slice(cut + 1)) };
    }
  }

  /** Every (group, partition) of this topic with pending transactional offsets. */
  *partitionsOfTopic(topic: string): Generator<[group: string, partition: number]> {
    for (const [group, topics] of this.open) {
      for (const tp of topics.keys()) {
        const cut = tp.lastIndexOf('\0');
        if (tp.slice(0, cut) === topic) yield [group, Number(tp.slice(cut + 1))];
      }
    }
  }

  groups(): IterableIterator<string> {
    return this.open.keys();
  }

  /** The epoch of the producer's pending transactional writes; undefined when it has none. */
  epochOf(producerId: bigint): number | undefined {
    return this.byProducer.get(producerId)?.epoch;
  }

  /** Every pending offset, in the order applied (snapshots). */
  all(): PendingTxnOffset[] {
    const out: PendingTxnOffset[] = [];
    for (const p of this.byProducer.values()) for (const o of p.offsets.values()) out.push(o);
    return out.sort((a, b) => a.seq - b.seq);
  }

  get size(): number {
    let n = 0;
    for (const p of this.byProducer.values()) n += p.offsets.size;
    return n;
  }
}
