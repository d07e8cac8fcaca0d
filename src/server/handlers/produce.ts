/**
 * Produce v0-13 (ProduceService does the work; see src/partition/produce-service.ts).
 * - v0: message sets of magic 0/1 (converted to record batches v2 on append); v1 adds throttleTimeMs;
 *   v2 adds logAppendTimeMs to the response.
 * - v3: transactionalId; exactly one record batch v2 per partition (KIP-98).
 * - v4: KAFKA_STORAGE_ERROR may be returned (v0-3 get NOT_LEADER_OR_FOLLOWER instead).
 * - v5: logStartOffset in the response. v6: same as v5.
 * - v7: zstd batches (KIP-110); v3-6 get UNSUPPORTED_COMPRESSION_TYPE for them.
 * - v8: recordErrors and errorMessage in the response (KIP-467).
 * - v9: flexible. v10: currentLeader / nodeEndpoints tagged fields on NOT_LEADER_OR_FOLLOWER: the
 *   leader this broker knows and how to reach it (KIP-951; leader-hints.ts).
 * - v11: TRANSACTION_ABORTABLE may be returned: a transactional batch for a partition its
 *   transaction does not hold (KIP-890 verification), INVALID_TXN_STATE below v11 (the mapping is
 *   ProduceService's, next to the verification); v12: same wire format (KIP-890 part 2).
 * - v13: topics named by topicId (KIP-516): an unknown id is UNKNOWN_TOPIC_ID.
 * - acks=0: no response is written (null). When any partition failed, the connection is closed
 *   after the responses due before it, as Kafka does, so the client refreshes its metadata.
 * - timeoutMs bounds an acks=all wait for the ISR (REQUEST_TIMED_OUT after it).
 * - Transactional batches with a null transactionalId: TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
 * - Not implemented: quotas (throttleTimeMs is always 0).
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultProduceResponse } from '../../protocol/generated/messages/produce.js';
import { defineHandler } from '../handler.js';
import { LeaderHints } from '../leader-hints.js';

export const produce = defineHandler({
  apiKey: ApiKey.Produce,
  minVersion: 0,
  maxVersion: 13,
  async handle(request, ctx) {
    const responses = await ctx.services.produce.produce(request, { apiVersion: ctx.apiVersion, clientId: ctx.clientId });
    if (request.acks === 0) {
      const failures = responses.flatMap((t) =>
        t.partitionResponses.filter((p) => p.errorCode !== ErrorCode.None).map((p) => `${t.name || t.topicId}-${p.index}: ${p.errorCode}`),
      );
      if (failures.length > 0) {
        ctx.services.logger.info({ conn: ctx.connection.remoteAddress, clientId: ctx.clientId, failures }, 'produce with acks=0 failed; closing connection');
        ctx.connection.closeAfterPendingResponses();
      }
      return null;
    }
    const response = defaultProduceResponse();
    response.responses = responses;
    if (ctx.apiVersion >= 10) {
      const hints = new LeaderHints(ctx.services);
      for (const t of responses) {
        for (const p of t.partitionResponses) {
          if (p.errorCode !== ErrorCode.NotLeaderOrFollower) continue;
          const leader = hints.leaderOf(t, p.index);
          if (leader) p.currentLeader = { ...leader, _unknownTaggedFields: undefined };
        }
      }
      response.nodeEndpoints = hints.endpoints();
    }
    return response;
  },
});
