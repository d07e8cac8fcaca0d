/**
 * OffsetForLeaderEpoch v0-4: where a leader epoch ends (KIP-101: followers truncate with it; consumers
 * since KIP-320 check their position after a leader change). Answered from the partition's leader
 * epoch cache (partition/log-offsets.ts, Kafka's LeaderEpochFileCache.endOffsetFor):
 * - the largest epoch at or below the one asked, and where it ends: the next epoch's start offset,
 *   or the log end offset for the latest epoch;
 * - -1, and epochs after the latest, are unknown: (-1, -1) with no error;
 * - an epoch older than the first known one "ends" where the first known one starts.
 * - v1: the answer's leaderEpoch. v2: currentLeaderEpoch fencing (FENCED_LEADER_EPOCH for an older
 *   one, UNKNOWN_LEADER_EPOCH for a newer one; -1 is not checked). v3: replicaId (a follower, -1 a
 *   consumer, -2 debugging: all are answered by the leader only, as Kafka does). v4: flexible.
 * A partition this broker follows: NOT_LEADER_OR_FOLLOWER. Unknown topic or partition:
 * UNKNOWN_TOPIC_OR_PARTITION with (-1, -1).
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import {
  defaultOffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochResponseEpochEndOffset,
} from '../../protocol/generated/messages/offset-for-leader-epoch.js';
import { defineHandler } from '../handler.js';

export const offsetForLeaderEpoch = defineHandler({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const offsets = ctx.services.logOffsets;
    const response = defaultOffsetForLeaderEpochResponse();
    for (const t of request.topics) {
      const partitions: OffsetForLeaderEpochResponseEpochEndOffset[] = t.partitions.map((p) => {
        const r = offsets.endOffsetForEpoch(t.topic, p.partition, p.leaderEpoch, p.currentLeaderEpoch);
        return {
          errorCode: r.errorCode,
          partition: p.partition,
          leaderEpoch: r.leaderEpoch,
          endOffset: r.endOffset,
          _unknownTaggedFields: undefined,
        };
      });
      response.topics.push({ topic: t.topic, partitions, _unknownTaggedFields: undefined });
    }
    return response;
  },
});
