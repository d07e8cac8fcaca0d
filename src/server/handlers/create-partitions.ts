/**
 * CreatePartitions v0-3 (KIP-195): raises the partition count of existing topics, optionally with
 * a replica assignment for each new partition; validateOnly checks without changing anything.
 * - v1: the broker throttles after answering. v2 flexible. v3: THROTTLING_QUOTA_EXCEEDED (no
 *   quotas here).
 * Errors per topic, Kafka's controller's: UNKNOWN_TOPIC_OR_PARTITION, INVALID_PARTITIONS (not an
 * increase), INVALID_REPLICA_ASSIGNMENT (wrong number of assignments, unknown broker, duplicates,
 * empty), INVALID_REQUEST for a topic named twice (one result for it, first, as Kafka answers),
 * POLICY_VIOLATION for every topic when the request would add more than 10,000 partitions in all
 * (partition-limit.ts).
 * New partitions take the topic's current config; their logs exist when the response is sent, so
 * timeoutMs can never expire.
 * Not implemented: authorization, quotas.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  defaultCreatePartitionsResponse,
  defaultCreatePartitionsResponseCreatePartitionsTopicResult,
} from '../../protocol/generated/messages/create-partitions.js';
import { defineHandler } from '../handler.js';
import { MAX_NEW_PARTITIONS_PER_REQUEST, TOO_MANY_PARTITIONS } from './partition-limit.js';

export const createPartitions = defineHandler({
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(request, ctx) {
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const response = defaultCreatePartitionsResponse();
    for (const [name, count] of counts) {
      if (count > 1) {
        response.results.push({ ...defaultCreatePartitionsResponseCreatePartitionsTopicResult(), name, errorCode: ErrorCode.InvalidRequest, errorMessage: 'Duplicate topic name.' });
      }
    }
    let newPartitions = 0;
    for (const t of request.topics) {
      const current = ctx.services.metadata.topic(t.name)?.partitions;
      if (counts.get(t.name) === 1 && current !== undefined && t.count > current) newPartitions += t.count - current;
    }
    const tooMany = newPartitions > MAX_NEW_PARTITIONS_PER_REQUEST;
    for (const t of request.topics) {
      if ((counts.get(t.name) ?? 0) > 1) continue;
      if (tooMany) {
        response.results.push({ ...defaultCreatePartitionsResponseCreatePartitionsTopicResult(), name: t.name, ...TOO_MANY_PARTITIONS });
        continue;
      }
      const assignments = t.assignments === null ? null : t.assignments.map((a) => ({ brokerIds: a.brokerIds }));
      const result = await ctx.services.metadata.createPartitions(t.name, t.count, assignments, request.validateOnly);
      response.results.push({
        ...defaultCreatePartitionsResponseCreatePartitionsTopicResult(),
        name: t.name,
        errorCode: result.errorCode,
        errorMessage: result.errorMessage,
      });
    }
    return response;
  },
});
