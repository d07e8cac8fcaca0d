/**
 * OffsetDelete v0: an admin client deletes a group's committed offsets for chosen partitions
 * (KIP-496). Only v0 exists; it is not flexible.
 * - Unknown topics or partitions: UNKNOWN_TOPIC_OR_PARTITION for those partitions.
 * - An empty group: the offsets are deleted (and the group, once it has none left).
 * - A consumer group with members: GROUP_SUBSCRIBED_TO_TOPIC for partitions of topics its members
 *   subscribe to, the others are deleted. Another kind of group with members: NON_EMPTY_GROUP.
 * - A group error (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, INVALID_GROUP_ID, ...) is top-level, with no topics.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultOffsetDeleteResponse } from '../../protocol/generated/messages/offset-delete.js';
import { defineHandler } from '../handler.js';

export const offsetDelete = defineHandler({
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    const { metadata, groups } = ctx.services;
    const errors: number[][] = [];
    const eligible: { topic: string; partition: number }[] = [];
    const slots: [number, number][] = [];
    request.topics.forEach((t, ti) => {
      const topic = metadata.topic(t.name);
      errors.push(
        t.partitions.map((p, pi) => {
          if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions) return ErrorCode.UnknownTopicOrPartition;
          slots.push([ti, pi]);
          eligible.push({ topic: t.name, partition: p.partitionIndex });
          return ErrorCode.None;
        }),
      );
    });
    const result = await groups.deleteOffsets(request.groupId, eligible);
    const response = defaultOffsetDeleteResponse();
    if (result.errorCode !== ErrorCode.None) {
      response.errorCode = result.errorCode;
      return response;
    }
    slots.forEach(([ti, pi], i) => (errors[ti][pi] = result.partitions[i]));
    response.topics = request.topics.map((t, ti) => ({
      name: t.name,
      partitions: t.partitions.map((p, pi) => ({ partitionIndex: p.partitionIndex, errorCode: errors[ti][pi] })),
    }));
    return response;
  },
});
