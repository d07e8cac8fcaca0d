/**
 * DescribeTransactions v0 (KIP-664, flexible): the state of each transactional id asked for.
 * Unknown (or expiring) ids answer TRANSACTIONAL_ID_NOT_FOUND, "" INVALID_REQUEST. The topics are
 * the transaction's partitions; while it completes, those still without a marker.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { defaultDescribeTransactionsResponse } from '../../protocol/generated/messages/describe-transactions.js';
import { defineHandler } from '../handler.js';

export const describeTransactions = defineHandler({
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx) {
    const response = defaultDescribeTransactionsResponse();
    response.transactionStates = request.transactionalIds.map((id) => {
      const d = ctx.services.transactions.describe(id);
      const byTopic = new Map<string, number[]>();
      for (const p of d.partitions) {
        const list = byTopic.get(p.topic);
        if (list) list.push(p.partition);
        else byTopic.set(p.topic, [p.partition]);
      }
      return {
        errorCode: d.errorCode,
        transactionalId: id,
        transactionState: d.state,
        transactionTimeoutMs: d.txnTimeoutMs,
        transactionStartTimeMs: BigInt(d.txnStartTimestamp),
        producerId: d.producerId,
        producerEpoch: d.producerEpoch,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions, _unknownTaggedFields: undefined })),
        _unknownTaggedFields: undefined,
      };
    });
    return response;
  },
});
