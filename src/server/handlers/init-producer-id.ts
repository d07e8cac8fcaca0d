/**
 * InitProducerId v0-6: a producer gets a producer id and epoch.
 * - Idempotent producers (null transactionalId, src/metadata/producer-ids.ts): a fresh id, epoch 0,
 *   never reused across restarts on disk, in every version.
 * - Transactional producers (src/coordinator/transaction): the id's producer id with its epoch
 *   bumped, fencing older producers of the same id; an ongoing transaction is aborted first and
 *   CONCURRENT_TRANSACTIONS answered until its markers are written; an exhausted epoch gets a new
 *   producer id. "" is INVALID_REQUEST, a timeout above transaction.max.timeout.ms
 *   INVALID_TRANSACTION_TIMEOUT.
 * - v0-1: transactionalId and transactionTimeoutMs; v1 only changes throttling behaviour.
 * - v2: flexible.
 * - v3: the client may send the producerId and producerEpoch it holds (KIP-360): the retry of a
 *   bump whose answer was lost gets the same epoch; an epoch the id has moved past is fenced.
 *   Exactly one of them -1 is INVALID_REQUEST.
 * - v4: PRODUCER_FENCED; below v4 it is answered INVALID_PRODUCER_EPOCH, as Kafka does for
 *   clients that do not know it. v5: TRANSACTION_ABORTABLE may be returned (KIP-890).
 * - v6: enable2Pc and keepPreparedTxn (KIP-939); ongoingTxnProducerId/Epoch in the response are
 *   -1. Two-phase commit is off (transaction.two.phase.commit.enable is not supported), so
 *   enable2Pc is answered TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka answers it then;
 *   keepPreparedTxn, which only means something with two-phase commit, is not looked at.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultInitProducerIdResponse } from '../../protocol/generated/messages/init-producer-id.js';
import { initProducerId } from '../../metadata/producer-ids.js';
import { defineHandler } from '../handler.js';

export const initProducerIdHandler = defineHandler({
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 6,
  async handle(request, ctx) {
    const { producerIds, transactions, logger } = ctx.services;
    const response = defaultInitProducerIdResponse();
    response.ongoingTxnProducerId = -1n;
    response.ongoingTxnProducerEpoch = -1;
    if (request.enable2Pc && request.transactionalId !== null) {
      response.errorCode = ErrorCode.TransactionalIdAuthorizationFailed;
      response.producerId = -1n;
      response.producerEpoch = -1;
      return response;
    }
    const result = await initProducerId(producerIds, request, {
      transactional: (id, timeoutMs, expected) => transactions.initProducerId(id, timeoutMs, expected),
      logger,
    });
    response.errorCode = ctx.apiVersion < 4 && result.errorCode === ErrorCode.ProducerFenced ? ErrorCode.InvalidProducerEpoch : result.errorCode;
    response.producerId = result.producerId;
    response.producerEpoch = result.producerEpoch;
    return response;
  },
});
