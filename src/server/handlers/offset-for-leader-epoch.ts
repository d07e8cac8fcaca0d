/**
 * OffsetForLeaderEpoch v0-4: where a leader epoch ends (KIP-101; consumers since KIP-320 use it to
 * check their position after a leader change). Every partition here has one epoch, 0
 * (partition/leader-epoch.ts), so:
 * - epoch 0 ends at the log end offset: (0, log end);
 * - -1 and any epoch after 0 are unknown: (-1, -1) with no error, as Kafka's epoch cache answers;
 * - an epoch below 0 other than -1 precedes epoch 0: (that epoch, the log start offset).
 * - v1: the answer's leaderEpoch. v2: currentLeaderEpoch fencing: a current epoch above 0 is
 *   UNKNOWN_LEADER_EPOCH (none can be older than 0, so FENCED_LEADER_EPOCH does not occur; -1 means
 *   "not known" and is not checked). v3: replicaId (accepted; followers are not distinguished).
 *   v4: flexible.
 * Unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION with (-1, -1).
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
