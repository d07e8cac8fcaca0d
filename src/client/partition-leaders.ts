/**
 * Requests about partitions go to each partition's leader: the admin clients group them by the
 * leader the metadata names, and answer at once the partitions without one.
 */
import { ErrorCode } from '../protocol/generated/errors.js';
import type { KafkaClient } from './cluster.js';
import { KafkaProtocolError } from './errors.js';

/** A partition's answer: the value the broker gave, or its error. */
export type PartitionOutcome<T> = { ok: true; value: T } | { ok: false; error: KafkaProtocolError };

/** How per-partition results are keyed: "topic:partition". */
export const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

/**
 * Requests grouped by their partition's leader; those of an unknown topic or partition, or of one
 * without a leader, are answered in `out` with the error.
 */
export async function byLeader<R extends { topic: string; partition: number }, T>(client: KafkaClient, requests: readonly R[], out: Map<string, PartitionOutcome<T>>): Promise<Map<number, R[]>> {
  const { topics } = await client.metadata([...new Set(requests.map((r) => r.topic))]);
  const byNode = new Map<number, R[]>();
  for (const r of requests) {
    const t = topics.get(r.topic);
    const p = t?.partitions.find((x) => x.partition === r.partition);
    if (!t || t.errorCode || !p) {
      out.set(partitionKey(r.topic, r.partition), { ok: false, error: new KafkaProtocolError(t?.errorCode || ErrorCode.UnknownTopicOrPartition) });
      continue;
    }
    if (p.leader < 0) {
      out.set(partitionKey(r.topic, r.partition), { ok: false, error: new KafkaProtocolError(ErrorCode.LeaderNotAvailable) });
      continue;
    }
    let list = byNode.get(p.leader);
    if (!list) byNode.set(p.leader, (list = []));
    list.push(r);
  }
  return byNode;
}

/** Requests grouped by topic, topics in the order they first appear. */
export function groupByTopic<R extends { topic: string }>(list: readonly R[]): [string, R[]][] {
  const m = new Map<string, R[]>();
  for (const r of list) {
    let l = m.get(r.topic);
    if (!l) m.set(r.topic, (l = []));
    l.push(r);
  }
  return [...m];
}
