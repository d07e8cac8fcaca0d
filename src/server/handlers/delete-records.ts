/**
 * DeleteRecords v0-2 (KIP-107): moves partitions' log start offset forward (partition/log-offsets.ts).
 * - offset -1 means the high watermark; an offset beyond the high watermark, or negative, is
 *   OFFSET_OUT_OF_RANGE; the answer's lowWatermark is the new log start offset (-1 on error).
 * - cleanup.policy without delete: POLICY_VIOLATION; internal topics: INVALID_TOPIC_EXCEPTION (unless
 *   the client id is Kafka's own admin client, "__admin_client"); unknown topic or partition:
 *   UNKNOWN_TOPIC_OR_PARTITION.
 * - v1: same (throttling after the response). v2: flexible.
 * One broker: the low watermark is reached at once, so timeoutMs never expires (no
 * REQUEST_TIMED_OUT).
 */
import { ADMIN_CLIENT_ID } from '../../protocol/topic-name.js';
import { ApiKey } from '../../protocol/generated/api-table.js';
import {
  defaultDeleteRecordsResponse,
  type DeleteRecordsResponseDeleteRecordsPartitionResult,
} from '../../protocol/generated/messages/delete-records.js';
import { defineHandler } from '../handler.js';


export const deleteRecords = defineHandler({
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const offsets = ctx.services.logOffsets;
    const allowInternal = ctx.clientId === ADMIN_CLIENT_ID;
    const response = defaultDeleteRecordsResponse();
    for (const t of request.topics) {
      const partitions: DeleteRecordsResponseDeleteRecordsPartitionResult[] = [];
      for (const p of t.partitions) {
        const r = await offsets.deleteRecords(t.name, p.partitionIndex, p.offset, allowInternal);
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: r.lowWatermark, errorCode: r.errorCode, _unknownTaggedFields: undefined });
      }
      response.topics.push({ name: t.name, partitions, _unknownTaggedFields: undefined });
    }
    return response;
  },
});
