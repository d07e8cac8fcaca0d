/**
 * OffsetFetch v0-10: a group's committed offsets. Partitions without a commit answer offset -1 with
 * empty metadata.
 * - v0: unknown topics or partitions answer UNKNOWN_TOPIC_OR_PARTITION (Kafka read v0 offsets from
 *   ZooKeeper and checked the partition; from v1 on no topic check is made).
 * - v1: same layout. v2: topics may be null (every committed partition of the group); a top-level
 *   error code (group errors move there, with no topics). v3: throttle time. v4: same.
 * - v5: committedLeaderEpoch. v6: flexible.
 * - v7: requireStable: a partition with transactional offsets pending (TxnOffsetCommit before its
 *   transaction's marker) answers UNSTABLE_OFFSET_COMMIT with offset -1, as Kafka's group
 *   coordinator; without it, the last committed offset.
 * - v8: several groups per request, one result each. v9: memberId and memberEpoch (KIP-848): for a
 *   consumer group, a member with another epoch gets STALE_MEMBER_EPOCH and an unknown member
 *   UNKNOWN_MEMBER_ID (group level); a null member id with epoch -1 (admin tools) always reads; not
 *   checked for classic groups, as Kafka. v10: topics by id (UNKNOWN_TOPIC_ID for an unknown id).
 * v0-1 carry group errors (COORDINATOR_LOAD_IN_PROGRESS, ...) on every partition.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  defaultOffsetFetchResponse,
  type OffsetFetchResponsePartitions,
  type OffsetFetchResponseTopics,
} from '../../protocol/generated/messages/offset-fetch.js';
import { ZERO_UUID } from '../../protocol/reader.js';
import type { FetchedOffset } from '../../coordinator/offsets/offset-manager.js';
import type { RequestContext } from '../handler.js';
import { defineHandler } from '../handler.js';

interface RequestedTopic {
  name: string;
  topicId: string;
  partitionIndexes: number[];
}

function partitionOf(partitionIndex: number, errorCode: number, o?: FetchedOffset): OffsetFetchResponsePartitions {
  return {
    partitionIndex,
    committedOffset: o ? o.offset : -1n,
    committedLeaderEpoch: o ? o.leaderEpoch : -1,
    metadata: o ? o.metadata : '',
    errorCode,
    _unknownTaggedFields: undefined,
  };
}

/** One group's result: its error code and topics (with names, and ids for v10). */
function fetchGroup(
  ctx: RequestContext,
  groupId: string,
  topics: RequestedTopic[] | null,
  byId: boolean,
  member: { memberId: string | null; memberEpoch: number } | undefined,
  requireStable: boolean,
): { errorCode: number; topics: OffsetFetchResponseTopics[] } {
  const { groups, metadata } = ctx.services;
  const v = ctx.apiVersion;
  if (topics === null) {
    const result = groups.fetchOffsets(groupId, null, member, requireStable);
    if (result.errorCode !== ErrorCode.None) return { errorCode: result.errorCode, topics: [] };
    const byTopic = new Map<string, OffsetFetchResponseTopics>();
    for (const o of result.offsets) {
      let t = byTopic.get(o.topic);
      if (!t) {
        const topicId = byId ? metadata.topic(o.topic)?.topicId : ZERO_UUID;
        if (topicId === undefined) continue;
        byTopic.set(o.topic, (t = { name: o.topic, topicId, partitions: [], _unknownTaggedFields: undefined }));
      }
      t.partitions.push(o.errorCode === ErrorCode.None ? partitionOf(o.partition, ErrorCode.None, o) : partitionOf(o.partition, o.errorCode));
    }
    return { errorCode: ErrorCode.None, topics: [...byTopic.values()] };
  }
  // Resolve names (v10: from ids) and, for v0, check the partitions exist.
  const resolved = topics.map((t) => {
    if (!byId) {
      if (v === 0) {
        const topic = metadata.topic(t.name);
        return { name: t.name, check: (p: number) => (topic && p >= 0 && p < topic.partitions ? ErrorCode.None : ErrorCode.UnknownTopicOrPartition) };
      }
      return { name: t.name, check: () => ErrorCode.None };
    }
    const topic = metadata.topicById(t.topicId);
    return { name: topic?.name ?? null, check: () => (topic ? ErrorCode.None : ErrorCode.UnknownTopicId) };
  });
  const wanted: { topic: string; partition: number }[] = [];
  resolved.forEach((r, i) => {
    if (r.name === null) return;
    for (const p of topics[i].partitionIndexes) if (r.check(p) === ErrorCode.None) wanted.push({ topic: r.name, partition: p });
  });
  const result = groups.fetchOffsets(groupId, wanted, member, requireStable);
  if (result.errorCode !== ErrorCode.None) return { errorCode: result.errorCode, topics: [] };
  const found = new Map<string, FetchedOffset>();
  for (const o of result.offsets) found.set(`${o.topic}\0${o.partition}`, o);
  return {
    errorCode: ErrorCode.None,
    topics: topics.map((t, i) => {
      const r = resolved[i];
      return {
        name: t.name,
        topicId: t.topicId,
        partitions: t.partitionIndexes.map((p) => {
          const err = r.check(p);
          if (err !== ErrorCode.None) return partitionOf(p, err);
          const o = found.get(`${r.name}\0${p}`);
          return o && o.errorCode !== ErrorCode.None ? partitionOf(p, o.errorCode) : partitionOf(p, ErrorCode.None, o);
        }),
        _unknownTaggedFields: undefined,
      };
    }),
  };
}

export const offsetFetch = defineHandler({
  apiKey: ApiKey.OffsetFetch,
  minVersion: 0,
  maxVersion: 10,
  handle(request, ctx) {
    const v = ctx.apiVersion;
    const response = defaultOffsetFetchResponse();
    if (v >= 8) {
      response.groups = request.groups.map((g) => {
        const topics = g.topics === null ? null : g.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitionIndexes: t.partitionIndexes }));
        const member = v >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : undefined;
        const result = fetchGroup(ctx, g.groupId, topics, v >= 10, member, request.requireStable);
        return { groupId: g.groupId, topics: result.topics, errorCode: result.errorCode, _unknownTaggedFields: undefined };
      });
      return response;
    }
    const topics = request.topics === null ? null : request.topics.map((t) => ({ name: t.name, topicId: ZERO_UUID, partitionIndexes: t.partitionIndexes }));
    const result = fetchGroup(ctx, request.groupId, topics, false, undefined, v >= 7 && request.requireStable);
    if (result.errorCode !== ErrorCode.None && v < 2) {
      // No top-level error code before v2: every partition carries the group's error.
      response.topics = (request.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ ...partitionOf(p, result.errorCode) })),
        _unknownTaggedFields: undefined,
      }));
      return response;
    }
    response.errorCode = result.errorCode;
    response.topics = result.topics.map((t) => ({ name: t.name, partitions: t.partitions, _unknownTaggedFields: undefined }));
    return response;
  },
});
