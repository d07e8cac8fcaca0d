import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import type { AdminHarness } from './admin-harness.js';
import { addPartitions, initTxn, startTxnHarness } from './txn-harness.js';

let h: AdminHarness;
beforeAll(async () => {
  h = await startTxnHarness();
});
afterAll(async () => {
  await h.stop();
});

describe('AddPartitionsToTxn', () => {
  it.each([0, 1, 2, 3])('v%i: partitions join the transaction (DescribeTransactions shows them)', async (v) => {
    const p = await initTxn(h, `add-${v}`);
    expect(await addPartitions(h, p, [0, 2], v)).toEqual([0, 0]);
    const d = await h.call(ApiKey.DescribeTransactions, 0, { transactionalIds: [p.transactionalId], _unknownTaggedFields: undefined });
    expect(d.transactionStates[0]).toMatchObject({ errorCode: 0, transactionState: 'Ongoing', topics: [{ topic: 't', partitions: [0, 2] }] });
  });

  it('a fenced producer: INVALID_PRODUCER_EPOCH below v2, PRODUCER_FENCED from v2', async () => {
    const old = await initTxn(h, 'fence');
    await initTxn(h, 'fence');
    for (const v of [0, 1]) expect(await addPartitions(h, old, [0], v)).toEqual([ErrorCode.InvalidProducerEpoch]);
    for (const v of [2, 3]) expect(await addPartitions(h, old, [0], v)).toEqual([ErrorCode.ProducerFenced]);
  });

  it('unknown topics or partitions: UNKNOWN_TOPIC_OR_PARTITION, and OPERATION_NOT_ATTEMPTED for the rest', async () => {
    const p = await initTxn(h, 'unknown');
    expect(await addPartitions(h, p, [1, 7], 3)).toEqual([ErrorCode.OperationNotAttempted, ErrorCode.UnknownTopicOrPartition]);
    expect(await addPartitions(h, p, [0], 3, 'nope')).toEqual([ErrorCode.UnknownTopicOrPartition]);
    const d = await h.call(ApiKey.DescribeTransactions, 0, { transactionalIds: ['unknown'], _unknownTaggedFields: undefined });
    expect(d.transactionStates[0]).toMatchObject({ transactionState: 'Empty', topics: [] });
  });

  it.each([4, 5])('v%i: batched transactions, each answered; verifyOnly checks without adding', async (v) => {
    const a = await initTxn(h, `batch-a-${v}`);
    const b = await initTxn(h, `batch-b-${v}`);
    expect(await addPartitions(h, a, [0], 3)).toEqual([0]);
    const topics = (partitions: number[]) => [{ name: 't', partitions, _unknownTaggedFields: undefined }];
    const tx = (p: typeof a, verifyOnly: boolean, partitions: number[]) => ({ ...p, verifyOnly, topics: topics(partitions), _unknownTaggedFields: undefined });
    const r = await h.call(ApiKey.AddPartitionsToTxn, v, {
      transactions: [tx(a, true, [0, 1]), tx({ ...b, producerEpoch: b.producerEpoch + 1 }, true, [0]), tx(b, false, [2])],
      v3AndBelowTransactionalId: '',
      v3AndBelowProducerId: 0n,
      v3AndBelowProducerEpoch: 0,
      v3AndBelowTopics: [],
      _unknownTaggedFields: undefined,
    });
    expect(r.errorCode).toBe(0);
    const codes = r.resultsByTransaction.map((t) => [t.transactionalId, t.topicResults.flatMap((x) => x.resultsByPartition.map((p) => [p.partitionIndex, p.partitionErrorCode]))]);
    expect(codes).toEqual([
      [a.transactionalId, [[0, ErrorCode.None], [1, ErrorCode.TransactionAbortable]]],
      [b.transactionalId, [[0, ErrorCode.ProducerFenced]]],
      [b.transactionalId, [[2, ErrorCode.None]]],
    ]);
    const d = await h.call(ApiKey.DescribeTransactions, 0, { transactionalIds: [a.transactionalId, b.transactionalId], _unknownTaggedFields: undefined });
    expect(d.transactionStates.map((s) => s.topics)).toEqual([[{ topic: 't', partitions: [0], _unknownTaggedFields: undefined }], [{ topic: 't', partitions: [2], _unknownTaggedFields: undefined }]]);
  });
});
