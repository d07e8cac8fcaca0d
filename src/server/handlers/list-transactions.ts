/**
 * ListTransactions v0-2 (KIP-664, flexible): the transactions this coordinator owns.
 * - stateFilters: keep those in one of the named states; names the coordinator does not know are
 *   returned in unknownStateFilters (and match nothing). producerIdFilters: keep those of the ids.
 * - v1: durationFilter keeps transactions that started more than that many milliseconds ago
 *   (KIP-994); negative keeps all.
 * - v2: transactionalIdPattern keeps ids the regular expression matches in full (KIP-1152); null
 *   or "" keeps all; a pattern that does not compile is INVALID_REGULAR_EXPRESSION, as Kafka
 *   answers. Kafka compiles the pattern with RE2/J, as subscription regexes; it is translated to a
 *   RegExp the same way (coordinator/consumer/topic-regex.ts says what differs).
 * Ids being removed (Dead) are never listed.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultListTransactionsResponse } from '../../protocol/generated/messages/list-transactions.js';
import { compileTopicRegex } from '../../coordinator/consumer/topic-regex.js';
import { defineHandler } from '../handler.js';

export const listTransactions = defineHandler({
  apiKey: ApiKey.ListTransactions,
  minVersion: 0,
  maxVersion: 2,
  handle(request, ctx) {
    const response = defaultListTransactionsResponse();
    let pattern: RegExp | null = null;
    if (request.transactionalIdPattern !== null && request.transactionalIdPattern !== '') {
      const compiled = compileTopicRegex(request.transactionalIdPattern);
      if (compiled instanceof Error) {
        response.errorCode = ErrorCode.InvalidRegularExpression;
        return response;
      }
      pattern = compiled;
    }
    const result = ctx.services.transactions.list({
      states: request.stateFilters,
      producerIds: request.producerIdFilters,
      durationMs: Number(request.durationFilter),
      transactionalIdPattern: pattern,
    });
    response.errorCode = result.errorCode;
    response.unknownStateFilters = result.unknownStateFilters;
    response.transactionStates = result.transactions.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.state, _unknownTaggedFields: undefined }));
    return response;
  },
});
