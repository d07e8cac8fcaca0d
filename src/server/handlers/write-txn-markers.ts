/**
 * WriteTxnMarkers v0-2: writes COMMIT or ABORT markers for transactions, as a transaction
 * coordinator asks a partition leader to. The markers go through the broker's TxnMarkerWriter
 * (the same path the local transaction coordinator completes its transactions through):
 * partitions get a control batch, __consumer_offsets partitions complete the producer's pending
 * transactional offset commits.
 * - Partitions of unknown topics (other than __consumer_offsets): UNKNOWN_TOPIC_OR_PARTITION.
 * - v1: flexible. v2: each marker carries its transaction version (KIP-1228).
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultWriteTxnMarkersResponse } from '../../protocol/generated/messages/write-txn-markers.js';
import { OFFSETS_TOPIC } from '../../coordinator/transaction/transaction-coordinator.js';
import { defineHandler } from '../handler.js';

export const writeTxnMarkers = defineHandler({
  apiKey: ApiKey.WriteTxnMarkers,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const { metadata, txnMarkers } = ctx.services;
    const known = (name: string, partition: number): boolean => {
      if (name === OFFSETS_TOPIC) return true;
      const topic = metadata.topic(name);
      return topic !== undefined && partition >= 0 && partition < topic.partitions;
    };
    const response = defaultWriteTxnMarkersResponse();
    response.markers = await Promise.all(
      request.markers.map(async (m) => {
        const partitions = m.topics.flatMap((t) => t.partitionIndexes.filter((p) => known(t.name, p)).map((partition) => ({ topic: t.name, partition })));
        const results =
          partitions.length === 0
            ? []
            : await txnMarkers.writeMarkers({
                producerId: m.producerId,
                producerEpoch: m.producerEpoch,
                committed: m.transactionResult,
                coordinatorEpoch: m.coordinatorEpoch,
                transactionVersion: m.transactionVersion,
                partitions,
              });
        const errors = new Map(results.map((r) => [`${r.topic}\u0000${r.partition}`, r.errorCode]));
        return {
          producerId: m.producerId,
          topics: m.topics.map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((p) => ({
              partitionIndex: p,
              errorCode: errors.get(`${t.name}\u0000${p}`) ?? ErrorCode.UnknownTopicOrPartition,
              _unknownTaggedFields: undefined,
            })),
            _unknownTaggedFields: undefined,
          })),
          _unknownTaggedFields: undefined,
        };
      }),
    );
    return response;
  },
});
