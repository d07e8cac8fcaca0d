/**
 * WriteTxnMarkers: the request's markers reach the broker's TxnMarkerWriter (here a fake that
 * records them) and its per-partition answers come back; unknown partitions never reach it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TxnMarker, TxnMarkerPartitionResult } from '../../../src/coordinator/transaction/txn-marker-writer.js';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import type { AdminHarness } from './admin-harness.js';
import { startTxnHarness } from './txn-harness.js';

const written: TxnMarker[] = [];
let h: AdminHarness;
beforeAll(async () => {
  h = await startTxnHarness({
    txnMarkers: {
      writeMarkers(marker): Promise<TxnMarkerPartitionResult[]> {
        written.push(marker);
        return Promise.resolve(marker.partitions.map((p) => ({ ...p, errorCode: p.partition === 2 ? ErrorCode.NotLeaderOrFollower : ErrorCode.None })));
      },
    },
  });
});
afterAll(async () => {
  await h.stop();
});

describe('WriteTxnMarkers', () => {
  it.each([0, 1, 2])('v%i: one result per partition of each marker', async (v) => {
    written.length = 0;
    const topics = [
      { name: 't', partitionIndexes: [0, 2, 9], _unknownTaggedFields: undefined },
      { name: '__consumer_offsets', partitionIndexes: [13], _unknownTaggedFields: undefined },
      { name: 'gone', partitionIndexes: [0], _unknownTaggedFields: undefined },
    ];
    const r = await h.call(ApiKey.WriteTxnMarkers, v, {
      markers: [
        { producerId: 7n, producerEpoch: 3, transactionResult: true, topics, coordinatorEpoch: 0, transactionVersion: v >= 2 ? 2 : 0, _unknownTaggedFields: undefined },
        { producerId: 8n, producerEpoch: 1, transactionResult: false, topics: [{ name: 'gone', partitionIndexes: [1], _unknownTaggedFields: undefined }], coordinatorEpoch: 0, transactionVersion: 0, _unknownTaggedFields: undefined },
      ],
      _unknownTaggedFields: undefined,
    });
    expect(r.markers.map((m) => [m.producerId, m.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])])])).toEqual([
      [
        7n,
        [
          ['t', [[0, ErrorCode.None], [2, ErrorCode.NotLeaderOrFollower], [9, ErrorCode.UnknownTopicOrPartition]]],
          ['__consumer_offsets', [[13, ErrorCode.None]]],
          ['gone', [[0, ErrorCode.UnknownTopicOrPartition]]],
        ],
      ],
      [8n, [['gone', [[1, ErrorCode.UnknownTopicOrPartition]]]]],
    ]);
    expect(written).toEqual([
      {
        producerId: 7n,
        producerEpoch: 3,
        committed: true,
        coordinatorEpoch: 0,
        transactionVersion: v >= 2 ? 2 : 0,
        partitions: [
          { topic: 't', partition: 0 },
          { topic: 't', partition: 2 },
          { topic: '__consumer_offsets', partition: 13 },
        ],
      },
    ]);
  });
});
