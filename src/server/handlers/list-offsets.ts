/**
 * ListOffsets v0-11: offsets of partitions by target or timestamp (partition/log-offsets.ts answers).
 * - v0: per partition, up to maxNumOffsets offsets in descending order (oldStyleOffsets): latest (-1)
 *   gives the log end offset, earliest (-2) the log start offset, a timestamp the first offset at or
 *   after it (Kafka's v0 used segment file times; see log-offsets.ts).
 * - v1: one offset and its timestamp per partition: -1 latest, -2 earliest (timestamp -1), a time
 *   in ms: the first offset whose timestamp is >= it, or offset -1 / timestamp -1 when none is.
 * - v2: isolationLevel: read_committed answers LATEST with the last stable offset and never a
 *   timestamp lookup at or past it; read_uncommitted is bounded by the high watermark. v3: same.
 * - v4: currentLeaderEpoch fencing against the partition's epoch (FENCED_LEADER_EPOCH /
 *   UNKNOWN_LEADER_EPOCH; NOT_LEADER_OR_FOLLOWER on a follower) and the answer's leaderEpoch (the
 *   partition's epoch for latest, the found offset's batch epoch otherwise, -1 when none). v5: same. v6: flexible.
 * - v7: -3, the offset of the largest timestamp (KIP-734). v8: -4, earliest local = earliest here.
 * - v9: -5, latest tiered: -1 (no tiered storage). v10: timeoutMs (nothing is remote: ignored).
 * - v11: -6, earliest pending upload: -1 (no tiered storage).
 * A replica's request (replica id other than -1: a follower, or Kafka's debugging id -2) answers
 * LATEST with the log end offset, as Kafka does for followers finding where the leader's log ends.
 * A partition named twice in one request is INVALID_REQUEST (v1+, as Kafka); an unknown topic or
 * partition UNKNOWN_TOPIC_OR_PARTITION.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  defaultListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from '../../protocol/generated/messages/list-offsets.js';
import { FROM_REPLICA } from '../../partition/log-offsets.js';
import { defineHandler } from '../handler.js';

/** Kafka's ListOffsetsRequest.CONSUMER_REPLICA_ID. */
const CONSUMER_REPLICA_ID = -1;

export const listOffsets = defineHandler({
  apiKey: ApiKey.ListOffsets,
  minVersion: 0,
  maxVersion: 11,
  async handle(request, ctx) {
    const version = ctx.apiVersion;
    const offsets = ctx.services.logOffsets;
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const t of request.topics) {
      for (const p of t.partitions) {
        const key = `${t.name}\u0000${p.partitionIndex}`;
        if (seen.has(key)) duplicates.add(key);
        seen.add(key);
      }
    }
    const response = defaultListOffsetsResponse();
    for (const t of request.topics) {
      const partitions: ListOffsetsResponseListOffsetsPartitionResponse[] = [];
      for (const p of t.partitions) {
        const out: ListOffsetsResponseListOffsetsPartitionResponse = {
          partitionIndex: p.partitionIndex,
          errorCode: ErrorCode.None,
          oldStyleOffsets: [],
          timestamp: -1n,
          offset: -1n,
          leaderEpoch: -1,
          _unknownTaggedFields: undefined,
        };
        if (version === 0) {
          const r = await offsets.legacyOffsets(t.name, p.partitionIndex, p.timestamp, p.maxNumOffsets);
          out.errorCode = r.errorCode;
          out.oldStyleOffsets = r.offsets;
        } else if (duplicates.has(`${t.name}\u0000${p.partitionIndex}`)) {
          out.errorCode = ErrorCode.InvalidRequest;
        } else {
          // Kafka: only a consumer's (replica id -1) answer is bounded by an isolation level.
          const isolation = request.replicaId !== CONSUMER_REPLICA_ID ? FROM_REPLICA : version >= 2 ? request.isolationLevel : 0;
          const r = await offsets.listOffset(t.name, p.partitionIndex, p.timestamp, p.currentLeaderEpoch, isolation);
          out.errorCode = r.errorCode;
          out.offset = r.offset;
          out.timestamp = r.timestamp;
          out.leaderEpoch = r.leaderEpoch;
        }
        partitions.push(out);
      }
      response.topics.push({ name: t.name, partitions, _unknownTaggedFields: undefined });
    }
    return response;
  },
});
