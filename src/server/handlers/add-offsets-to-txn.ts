/**
 * AddOffsetsToTxn v0-4: a consumer group's offset commits join a producer's ongoing transaction:
 * the group's __consumer_offsets partition (coordinatorPartitionFor the group over
 * offsets.topic.num.partitions) is added to the transaction, so that its completion commits or
 * drops the producer's TxnOffsetCommits.
 * - v1: throttling only. v2: PRODUCER_FENCED (answered INVALID_PRODUCER_EPOCH below v2).
 * - v3: flexible. v4: TRANSACTION_ABORTABLE may be returned (KIP-890).
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultAddOffsetsToTxnResponse } from '../../protocol/generated/messages/add-offsets-to-txn.js';
import { defineHandler } from '../handler.js';

export const addOffsetsToTxn = defineHandler({
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    const error = await ctx.services.transactions.addOffsets(request, request.groupId);
    const response = defaultAddOffsetsToTxnResponse();
    response.errorCode = error === ErrorCode.ProducerFenced && ctx.apiVersion < 2 ? ErrorCode.InvalidProducerEpoch : error;
    return response;
  },
});
