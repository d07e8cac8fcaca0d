/**
 * AddPartitionsToTxn v0-5: partitions join a producer's ongoing transaction
 * (src/coordinator/transaction).
 * - v0-3: one transaction per request, as producers send it. Partitions of unknown topics (or
 *   beyond a topic's partitions) answer UNKNOWN_TOPIC_OR_PARTITION and then every other partition
 *   OPERATION_NOT_ATTEMPTED, as Kafka does; otherwise all partitions carry the coordinator's answer.
 *   PRODUCER_FENCED is answered INVALID_PRODUCER_EPOCH below v2 (clients before it do not know it).
 * - v3: flexible.
 * - v4-5: the broker-to-broker form (KIP-890): many transactions per request, each answered on its
 *   own, with a top-level error code (NONE). verifyOnly asks whether the partitions are already
 *   in the transaction (TRANSACTION_ABORTABLE for those that are not) and adds nothing; otherwise
 *   the partitions are added (v5: for a transaction version 2 producer, whose partition leader
 *   adds them on its behalf).
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  defaultAddPartitionsToTxnResponse,
  type AddPartitionsToTxnRequestAddPartitionsToTxnTopic,
  type AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult,
} from '../../protocol/generated/messages/add-partitions-to-txn.js';
import type { TxnProducer } from '../../coordinator/transaction/transaction-coordinator.js';
import { defineHandler, type RequestContext } from '../handler.js';

type Topics = readonly AddPartitionsToTxnRequestAddPartitionsToTxnTopic[];

export const addPartitionsToTxn = defineHandler({
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const response = defaultAddPartitionsToTxnResponse();
    if (ctx.apiVersion <= 3) {
      const producer = { transactionalId: request.v3AndBelowTransactionalId, producerId: request.v3AndBelowProducerId, producerEpoch: request.v3AndBelowProducerEpoch };
      response.resultsByTopicV3AndBelow = await addOne(ctx, producer, request.v3AndBelowTopics, false, 0);
      return response;
    }
    response.errorCode = ErrorCode.None;
    response.resultsByTransaction = await Promise.all(
      request.transactions.map(async (t) => ({
        transactionalId: t.transactionalId,
        topicResults: await addOne(ctx, t, t.topics, t.verifyOnly, ctx.apiVersion >= 5 ? 2 : 0),
        _unknownTaggedFields: undefined,
      })),
    );
    return response;
  },
});

async function addOne(ctx: RequestContext, producer: TxnProducer, topics: Topics, verifyOnly: boolean, clientTransactionVersion: number): Promise<AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[]> {
  const { metadata, transactions } = ctx.services;
  const known = (name: string, partition: number): boolean => {
    const topic = metadata.topic(name);
    return topic !== undefined && partition >= 0 && partition < topic.partitions;
  };
  const answer = (errorOf: (topic: string, partition: number) => number): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[] =>
    topics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: errorOf(t.name, p), _unknownTaggedFields: undefined })),
      _unknownTaggedFields: undefined,
    }));
  const partitions = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  if (partitions.some((p) => !known(p.topic, p.partition))) {
    return answer((topic, partition) => (known(topic, partition) ? ErrorCode.OperationNotAttempted : ErrorCode.UnknownTopicOrPartition));
  }
  if (verifyOnly) {
    const errors = new Map(transactions.verifyPartitions(producer, partitions).map((r) => [`${r.topic}\u0000${r.partition}`, r.errorCode]));
    return answer((topic, partition) => errors.get(`${topic}\u0000${partition}`) ?? ErrorCode.None);
  }
  let error = await transactions.addPartitions(producer, partitions, clientTransactionVersion);
  if (error === ErrorCode.ProducerFenced && ctx.apiVersion < 2) error = ErrorCode.InvalidProducerEpoch;
  return answer(() => error);
}
