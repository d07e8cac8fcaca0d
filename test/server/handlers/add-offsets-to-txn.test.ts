import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { coordinatorPartitionFor } from '../../../src/util/java-string-hash.js';
import type { AdminHarness } from './admin-harness.js';
import { initTxn, startTxnHarness } from './txn-harness.js';

let h: AdminHarness;
beforeAll(async () => {
  h = await startTxnHarness();
});
afterAll(async () => {
  await h.stop();
});

describe('AddOffsetsToTxn', () => {
  it.each([0, 1, 2, 3, 4])("v%i: the group's __consumer_offsets partition joins the transaction", async (v) => {
    const p = await initTxn(h, `offsets-${v}`);
    const r = await h.call(ApiKey.AddOffsetsToTxn, v, { ...p, groupId: 'my-group', _unknownTaggedFields: undefined });
    expect(r.errorCode).toBe(0);
    const d = await h.call(ApiKey.DescribeTransactions, 0, { transactionalIds: [p.transactionalId], _unknownTaggedFields: undefined });
    expect(d.transactionStates[0].topics).toEqual([{ topic: '__consumer_offsets', partitions: [coordinatorPartitionFor('my-group', 50)], _unknownTaggedFields: undefined }]);
  });

  it('a fenced producer: INVALID_PRODUCER_EPOCH below v2, PRODUCER_FENCED from v2; an unknown one INVALID_PRODUCER_ID_MAPPING', async () => {
    const old = await initTxn(h, 'offsets-fenced');
    await initTxn(h, 'offsets-fenced');
    const call = (v: number, p = old) => h.call(ApiKey.AddOffsetsToTxn, v, { ...p, groupId: 'g', _unknownTaggedFields: undefined });
    expect((await call(1)).errorCode).toBe(ErrorCode.InvalidProducerEpoch);
    expect((await call(2)).errorCode).toBe(ErrorCode.ProducerFenced);
    expect((await call(3, { ...old, transactionalId: 'never-seen' })).errorCode).toBe(ErrorCode.InvalidProducerIdMapping);
  });
});
