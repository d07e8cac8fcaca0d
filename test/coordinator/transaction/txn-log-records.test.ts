/**
 * The transaction coordinator's records: Kafka's TransactionLogKey/Value bytes, read back.
 */
import { describe, expect, it } from '@jest/globals';
import { TxnLogBatch, decodeTxnLogBatch, txnLogKey, txnLogValue, decodeTxnLogValue, type TxnLogValue } from '../../../src/coordinator/transaction/txn-log-records.js';
import { Writer } from '../../../src/protocol/writer.js';
import { encodeTransactionLogValue } from '../../../src/protocol/generated/records/transaction-log.js';

const v: TxnLogValue = {
  producerId: 1234n,
  lastProducerId: 1000n,
  nextProducerId: -1n,
  producerEpoch: 7,
  lastProducerEpoch: 6,
  txnTimeoutMs: 60_000,
  state: 'PrepareCommit',
  partitions: [
    { topic: 'a', partition: 0 },
    { topic: 'b', partition: 3 },
    { topic: 'a', partition: 2 },
  ],
  txnStartTimestamp: 1_700_000_000_000,
  txnLastUpdateTimestamp: 1_700_000_000_500,
  clientTransactionVersion: 2,
};

describe('transaction log records', () => {
  it("the key is int16 type 0 then the transactional id, as Kafka's", () => {
    expect(txnLogKey('tx')).toEqual(Buffer.from([0, 0, 0, 2, 0x74, 0x78]));
  });

  it('a value round-trips (v1, partitions grouped by topic); the last epoch is not stored', () => {
    const bytes = txnLogValue(v);
    expect(bytes.readInt16BE(0)).toBe(1);
    expect(decodeTxnLogValue(bytes)).toEqual({
      ...v,
      lastProducerEpoch: -1,
      partitions: [
        { topic: 'a', partition: 0 },
        { topic: 'a', partition: 2 },
        { topic: 'b', partition: 3 },
      ],
    });
  });

  it('reads v0 values (what older Kafka wrote)', () => {
    const w = new Writer(64, false);
    w.int16(0);
    encodeTransactionLogValue(w, 0, {
      producerId: 5n,
      previousProducerId: -1n,
      nextProducerId: -1n,
      producerEpoch: 1,
      transactionTimeoutMs: 1000,
      transactionStatus: 1,
      transactionPartitions: [{ topic: 't', partitionIds: [4], _unknownTaggedFields: undefined }],
      transactionLastUpdateTimestampMs: 20n,
      transactionStartTimestampMs: 10n,
      clientTransactionVersion: 0,
      _unknownTaggedFields: undefined,
    });
    expect(decodeTxnLogValue(w.toBuffer())).toMatchObject({ producerId: 5n, producerEpoch: 1, state: 'Ongoing', partitions: [{ topic: 't', partition: 4 }], txnStartTimestamp: 10, clientTransactionVersion: 0 });
  });

  it('a batch of values and tombstones reads back in order', () => {
    const batch = new TxnLogBatch().add({ transactionalId: 'x', value: v }).add({ transactionalId: 'y', value: null });
    const read = decodeTxnLogBatch(batch.finish());
    expect(read.map((r) => [r.transactionalId, r.value?.state ?? null])).toEqual([
      ['x', 'PrepareCommit'],
      ['y', null],
    ]);
    expect(batch.records).toHaveLength(2);
  });
});
