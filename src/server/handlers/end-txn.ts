/**
 * EndTxn v0-5: a producer commits or aborts its ongoing transaction (src/coordinator/transaction).
 * The answer comes once PrepareCommit/PrepareAbort is logged; the markers follow. A retry of a
 * commit (abort) that already completed answers NONE, one still completing
 * CONCURRENT_TRANSACTIONS, the other outcome INVALID_TXN_STATE.
 * - v1: throttling only. v2: PRODUCER_FENCED (answered INVALID_PRODUCER_EPOCH below v2).
 * - v3: flexible. v4: TRANSACTION_ABORTABLE may be returned (KIP-890).
 * - v5: transaction version 2 (KIP-890 part 2): the epoch is bumped with every transaction (and
 *   the producer id rotated when it is exhausted); the response carries the producer id and epoch
 *   to use next.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultEndTxnResponse } from '../../protocol/generated/messages/end-txn.js';
import { defineHandler } from '../handler.js';

export const endTxn = defineHandler({
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const result = await ctx.services.transactions.endTxn(request, request.committed, ctx.apiVersion >= 5 ? 2 : 0);
    const response = defaultEndTxnResponse();
    response.errorCode = result.errorCode === ErrorCode.ProducerFenced && ctx.apiVersion < 2 ? ErrorCode.InvalidProducerEpoch : result.errorCode;
    response.producerId = result.producerId;
    response.producerEpoch = result.producerEpoch;
    return response;
  },
});
