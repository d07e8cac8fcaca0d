/**
 * Assignments of a KIP-848 consumer group: partitions by topic id (Kafka's `Assignment`,
 * Map<Uuid, Set<Integer>>). Values are treated as immutable: every change builds a new map, so a
 * member object can be kept as the "before" of a change while its "after" is computed.
 */
import type { TopicPartitionsValue } from '../records.js';

export type Assignment = ReadonlyMap<string, ReadonlySet<number>>;

export const EMPTY_ASSIGNMENT: Assignment = new Map();

export function assignmentHas(a: Assignment, topicId: string, partition: number): boolean {
  return a.get(topicId)?.has(partition) ?? false;
}

export function assignmentEquals(a: Assignment, b: Assignment): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [topicId, pa] of a) {
    const pb = b.get(topicId);
    if (!pb || pa.size !== pb.size) return false;
    for (const p of pa) if (!pb.has(p)) return false;
  }
  return true;
}

/** Drops topics without partitions, so that equal assignments compare equal. */
export function normalizeAssignment(a: Map<string, Set<number>>): Assignment {
  for (const [topicId, ps] of a) if (ps.size === 0) a.delete(topicId);
  return a;
}

export function assignmentFromRecord(list: readonly TopicPartitionsValue[]): Assignment {
  const out = new Map<string, Set<number>>();
  for (const tp of list) if (tp.partitions.length > 0) out.set(tp.topicId, new Set(tp.partitions));
  return out;
}

/** Topics in insertion order, partitions ascending. */
export function assignmentToRecord(a: Assignment): TopicPartitionsValue[] {
  const out: TopicPartitionsValue[] = [];
  for (const [topicId, ps] of a) if (ps.size > 0) out.push({ topicId, partitions: [...ps].sort((x, y) => x - y) });
  return out;
}

/** Is every partition of `owned` in `target`? (Kafka's isSubset; null owned partitions are not.) */
export function isSubset(owned: readonly TopicPartitionsValue[] | null, target: Assignment): boolean {
  if (owned === null) return false;
  for (const tp of owned) {
    const ps = target.get(tp.topicId);
    if (!ps) {
      if (tp.partitions.length === 0) continue;
      return false;
    }
    for (const p of tp.partitions) if (!ps.has(p)) return false;
  }
  return true;
}

export function formatAssignment(a: Assignment): string {
  return [...a].map(([t, ps]) => `${t}-[${[...ps].sort((x, y) => x - y).join(',')}]`).join(', ');
}
