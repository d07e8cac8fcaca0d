/**
 * Fetch v0-18: consumers read record batches (sessions in fetch/session-fetch-service.ts, the read path in partition/fetch-service.ts).
 * - v0-1: message format 0: stored batches are down-converted to magic 0 messages (v1 adds
 *   throttleTimeMs). v2-3: magic 1 (timestamps); v3 adds the response's maxBytes (KIP-74).
 * - v4: isolationLevel (read_committed reads stop at the last stable offset), lastStableOffset and
 *   abortedTransactions (null for read_uncommitted; for read_committed the aborted transactions
 *   overlapping the records returned, possibly none); record batches as stored.
 * - v5: logStartOffset. v6: KAFKA_STORAGE_ERROR may be answered (older versions get
 *   NOT_LEADER_OR_FOLLOWER instead, as Kafka does).
 * - v7: incremental fetch sessions (KIP-227, fetch/fetch-sessions.ts) and the top-level errorCode.
 * - v9: currentLeaderEpoch fencing against the partition's epoch (FENCED_LEADER_EPOCH /
 *   UNKNOWN_LEADER_EPOCH); a partition this broker follows is NOT_LEADER_OR_FOLLOWER.
 * - v10: zstd batches (older versions get UNSUPPORTED_COMPRESSION_TYPE for zstd data).
 * - v11: rackId (ignored: one broker) and preferredReadReplica (always -1).
 * - v12: flexible; a follower's lastFetchedEpoch: divergingEpoch when its log parts from the leader's.
 * - v13+: topics named by id (UNKNOWN_TOPIC_ID); v15 replicaState; v12+ currentLeader and v16+
 *   nodeEndpoints on NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH: the leader this broker knows and
 *   how to reach it (KIP-951; leader-hints.ts);
 *   v17 replicaDirectoryId, v18 highWatermark (follower fields, ignored).
 * A replica id >= 0 (replicaId before v15, replicaState with its broker epoch from v15) is a follower's
 * fetch: it reads to the log end offset and records the follower's position (partition/fetch-service.ts).
 * Not implemented: consumers fetching from followers (KIP-392), snapshot answers (KRaft), quotas
 * (throttleTimeMs is 0).
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  defaultFetchResponse,
  defaultFetchResponseEpochEndOffset,
  defaultFetchResponseLeaderIdAndEpoch,
  defaultFetchResponseSnapshotId,
  type FetchResponseFetchableTopicResponse,
  type FetchResponseLeaderIdAndEpoch,
  type FetchResponsePartitionData,
} from '../../protocol/generated/messages/fetch.js';
import type { FetchPartitionRequest } from '../../partition/fetch-service.js';
import { defineHandler } from '../handler.js';
import { LeaderHints } from '../leader-hints.js';

export const fetch = defineHandler({
  apiKey: ApiKey.Fetch,
  minVersion: 0,
  maxVersion: 18,
  async handle(request, ctx) {
    const version = ctx.apiVersion;
    const usesTopicIds = version >= 13;
    const partitions: FetchPartitionRequest[] = [];
    for (const t of request.topics) {
      for (const p of t.partitions) {
        partitions.push({
          topic: usesTopicIds ? '' : t.topic,
          topicId: t.topicId,
          partition: p.partition,
          fetchOffset: p.fetchOffset,
          partitionMaxBytes: p.partitionMaxBytes,
          currentLeaderEpoch: p.currentLeaderEpoch,
          logStartOffset: p.logStartOffset,
          lastFetchedEpoch: p.lastFetchedEpoch,
        });
      }
    }
    const replicaId = version >= 15 ? request.replicaState.replicaId : request.replicaId;
    const result = await ctx.services.fetch.fetch({
      maxWaitMs: request.maxWaitMs,
      minBytes: request.minBytes,
      maxBytes: request.maxBytes,
      isolationLevel: request.isolationLevel,
      sessionId: request.sessionId,
      sessionEpoch: request.sessionEpoch,
      usesTopicIds,
      partitions,
      forgotten: request.forgottenTopicsData.map((f) => ({
        topic: usesTopicIds ? '' : f.topic,
        topicId: f.topicId,
        partitions: f.partitions,
      })),
      recordMagic: version <= 1 ? 0 : version <= 3 ? 1 : 2,
      allowZstd: version >= 10,
      privileged: replicaId >= 0,
      replicaId,
      replicaEpoch: version >= 15 ? request.replicaState.replicaEpoch : -1n,
    });
    // The records are views of the read buffers: they go back to the pool only once written.
    if (ctx.releaseAfterWrite !== undefined) ctx.releaseAfterWrite(result.release);

    const response = defaultFetchResponse();
    response.errorCode = result.errorCode;
    response.sessionId = result.sessionId;
    let current: FetchResponseFetchableTopicResponse | undefined;
    const hints = new LeaderHints(ctx.services);
    // KIP-951: a partition that moved names its leader (v12+), whose address is in nodeEndpoints (v16+).
    const hintedLeader = (name: string, topicId: string, partition: number, errorCode: number): FetchResponseLeaderIdAndEpoch => {
      if (version < 12 || (errorCode !== ErrorCode.NotLeaderOrFollower && errorCode !== ErrorCode.FencedLeaderEpoch)) return defaultFetchResponseLeaderIdAndEpoch();
      const leader = hints.leaderOf({ name, topicId }, partition);
      return leader ? { ...leader, _unknownTaggedFields: undefined } : defaultFetchResponseLeaderIdAndEpoch();
    };
    for (const r of result.partitions) {
      if (current === undefined || !(usesTopicIds ? current.topicId === r.topicId : current.topic === r.topic)) {
        current = { topic: r.topic, topicId: r.topicId, partitions: [], _unknownTaggedFields: undefined };
        response.responses.push(current);
      }
      let errorCode = r.errorCode;
      if (errorCode === ErrorCode.KafkaStorageError && version <= 5) errorCode = ErrorCode.NotLeaderOrFollower;
      const partition: FetchResponsePartitionData = {
        partitionIndex: r.partition,
        errorCode,
        highWatermark: r.highWatermark,
        lastStableOffset: r.lastStableOffset,
        logStartOffset: r.logStartOffset,
        divergingEpoch:
          r.divergingEpoch === null
            ? defaultFetchResponseEpochEndOffset()
            : { epoch: r.divergingEpoch.epoch, endOffset: r.divergingEpoch.endOffset, _unknownTaggedFields: undefined },
        currentLeader: hintedLeader(r.topic, r.topicId, r.partition, errorCode),
        snapshotId: defaultFetchResponseSnapshotId(),
        // A follower's read has no isolation (Kafka's FetchLogEnd): no aborted list, whatever it asked.
        abortedTransactions:
          request.isolationLevel === 1 && replicaId < 0
            ? (r.abortedTransactions ?? []).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset, _unknownTaggedFields: undefined }))
            : null,
        preferredReadReplica: -1,
        records: r.records,
        _unknownTaggedFields: undefined,
      };
      current.partitions.push(partition);
    }
    if (version >= 16) response.nodeEndpoints = hints.endpoints();
    return response;
  },
});
