/**
 * InitProducerId v0-6: a producer gets a producer id and epoch (src/metadata/producer-ids.ts).
 * - v0-1: transactionalId and transactionTimeoutMs; v1 only changes throttling behaviour.
 * - v2: flexible.
 * - v3: the client may send the producerId and producerEpoch it holds (KIP-360); with a null
 *   transactionalId Kafka still hands out a new id, and so do we. Exactly one of them -1 is
 *   INVALID_REQUEST.
 * - v4: PRODUCER_FENCED may be returned; v5: TRANSACTION_ABORTABLE (KIP-890); v6: enable2Pc and
 *   keepPreparedTxn (KIP-939), and ongoingTxnProducerId/Epoch in the response (always -1 here).
 * - Idempotent producers (null transactionalId) work in every version: a fresh id, epoch 0, never
 *   reused across restarts on disk.
 * - Not implemented: transactions. A non-null transactionalId is checked ("" is INVALID_REQUEST, a
 *   bad timeout INVALID_TRANSACTION_TIMEOUT) and then answered INVALID_REQUEST with a warning in
 *   the broker's log naming the cause, so that transactional clients fail at once instead of
 *   retrying for a minute (producer-ids.ts says why this code). FindCoordinator still names this
 *   broker for a transactional id: KafkaJS would turn an error there into "Failed to find group
 *   coordinator", which says less than the standard INVALID_REQUEST message ("... sent to an
 *   incompatible broker. See the broker logs for more details").
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { defaultInitProducerIdResponse } from '../../protocol/generated/messages/init-producer-id.js';
import { initProducerId } from '../../metadata/producer-ids.js';
import { defineHandler } from '../handler.js';

export const initProducerIdHandler = defineHandler({
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 6,
  async handle(request, ctx) {
    const result = await initProducerId(ctx.services.producerIds, request, {
      transactionMaxTimeoutMs: ctx.services.brokerConfig.config.transactionMaxTimeoutMs,
      logger: ctx.services.logger,
      warn: (kind, fields, message) => { ctx.connection.warn(kind, fields, message); },
    });
    const response = defaultInitProducerIdResponse();
    response.errorCode = result.errorCode;
    response.producerId = result.producerId;
    response.producerEpoch = result.producerEpoch;
    response.ongoingTxnProducerId = -1n;
    response.ongoingTxnProducerEpoch = -1;
    return response;
  },
});
