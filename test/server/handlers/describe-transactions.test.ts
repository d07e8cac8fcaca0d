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

describe('DescribeTransactions', () => {
  it('v0: each id in request order: its state, or TRANSACTIONAL_ID_NOT_FOUND / INVALID_REQUEST', async () => {
    const p = await initTxn(h, 'described');
    expect(await addPartitions(h, p, [1, 0])).toEqual([0, 0]);
    const r = await h.call(ApiKey.DescribeTransactions, 0, { transactionalIds: ['nobody', 'described', ''], _unknownTaggedFields: undefined });
    expect(r.transactionStates.map((s) => [s.transactionalId, s.errorCode])).toEqual([
      ['nobody', ErrorCode.TransactionalIdNotFound],
      ['described', 0],
      ['', ErrorCode.InvalidRequest],
    ]);
    const d = r.transactionStates[1];
    expect(d).toMatchObject({ transactionState: 'Ongoing', transactionTimeoutMs: 60_000, producerId: p.producerId, producerEpoch: p.producerEpoch, topics: [{ topic: 't', partitions: [1, 0] }] });
    expect(d.transactionStartTimeMs).toBeGreaterThan(0n);
  });
});
