/**
 * OffsetCommit and TxnOffsetCommit check each partition's topic at the broker, as KafkaApis does,
 * before the group coordinator sees the commit: an unknown topic or partition index answers
 * UNKNOWN_TOPIC_OR_PARTITION (or the version's own topic error) and is left out of the commit; the
 * coordinator answers the rest, each in its place in the request.
 */
import type { CommitPartition } from '../coordinator/offsets/offset-manager.js';
import type { Topic } from '../metadata/metadata-store.js';
import { ErrorCode } from '../protocol/generated/errors.js';

/** One error code per partition of each request topic, in request order. */
export async function commitKnownPartitions<T extends { partitions: readonly { partitionIndex: number }[] }>(
  topics: readonly T[],
  /** The request topic's metadata, or the error its partitions get when there is none. */
  resolve: (t: T) => Topic | number,
  toCommit: (topic: string, p: T['partitions'][number]) => CommitPartition,
  commit: (partitions: CommitPartition[]) => Promise<number[]>,
): Promise<number[][]> {
  // -1 while a partition waits for the coordinator's answer, which comes in the order of `known`.
  const errors: number[][] = [];
  const known: CommitPartition[] = [];
  for (const t of topics) {
    const topic = resolve(t);
    errors.push(
      t.partitions.map((p) => {
        if (typeof topic === 'number') return topic;
        if (p.partitionIndex < 0 || p.partitionIndex >= topic.partitions) return ErrorCode.UnknownTopicOrPartition;
        known.push(toCommit(topic.name, p));
        return -1;
      }),
    );
  }
  if (known.length > 0) {
    const results = await commit(known);
    let r = 0;
    for (const list of errors) for (let i = 0; i < list.length; i++) if (list[i] === -1) list[i] = results[r++];
  }
  return errors;
}
