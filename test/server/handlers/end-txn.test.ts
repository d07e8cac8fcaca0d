/**
 * EndTxn through the broker. Transactions here hold only consumer offsets (AddOffsetsToTxn), which
 * complete through the group coordinator, so they finish without a partition marker.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import type { AdminHarness } from './admin-harness.js';
import { initTxn, startTxnHarness, type Producer } from './txn-harness.js';

let h: AdminHarness;
beforeAll(async () => {
  h = await startTxnHarness();
});
afterAll(async () => {
  await h.stop();
});

const end = (v: number, p: Producer, committed: boolean) => h.call(ApiKey.EndTxn, v, { ...p, committed, _unknownTaggedFields: undefined });
const state = async (id: string) => (await h.call(ApiKey.DescribeTransactions, 0, { transactionalIds: [id], _unknownTaggedFields: undefined })).transactionStates[0];

async function withOffsets(id: string): Promise<Producer> {
  const p = await initTxn(h, id);
  const r = await h.call(ApiKey.AddOffsetsToTxn, 3, { ...p, groupId: `g-${id}`, _unknownTaggedFields: undefined });
  if (r.errorCode !== 0) throw new Error(`AddOffsetsToTxn: ${r.errorCode}`);
  return p;
}

async function completed(id: string, expected: string): Promise<void> {
  await h.broker.services.transactions.idle();
  expect((await state(id)).transactionState).toBe(expected);
}

describe('EndTxn', () => {
  it.each([0, 1, 2, 3, 4])('v%i: commit completes; a retry answers NONE, the other outcome INVALID_TXN_STATE', async (v) => {
    const p = await withOffsets(`end-${v}`);
    const r = await end(v, p, true);
    expect(r.errorCode).toBe(0);
    await completed(p.transactionalId, 'CompleteCommit');
    expect((await end(v, p, true)).errorCode).toBe(0);
    expect((await end(v, p, false)).errorCode).toBe(ErrorCode.InvalidTxnState);
  });

  it('abort completes as CompleteAbort', async () => {
    const p = await withOffsets('end-abort');
    expect((await end(3, p, false)).errorCode).toBe(0);
    await completed(p.transactionalId, 'CompleteAbort');
  });

  it('v5 (KIP-890 part 2): the epoch is bumped and returned; a retry gets the same answer', async () => {
    const p = await withOffsets('end-v5');
    const r = await end(5, p, true);
    expect(r).toMatchObject({ errorCode: 0, producerId: p.producerId, producerEpoch: p.producerEpoch + 1 });
    await completed(p.transactionalId, 'CompleteCommit');
    expect(await end(5, p, true)).toMatchObject({ errorCode: 0, producerId: p.producerId, producerEpoch: p.producerEpoch + 1 });
    expect((await state(p.transactionalId)).producerEpoch).toBe(p.producerEpoch + 1);
  });

  it('v4 and below carry no producer id; errors at v5 carry -1', async () => {
    const p = await initTxn(h, 'end-empty');
    expect(await end(5, p, true)).toMatchObject({ errorCode: ErrorCode.InvalidTxnState, producerId: -1n, producerEpoch: -1 });
  });

  it('a fenced producer: INVALID_PRODUCER_EPOCH below v2, PRODUCER_FENCED from v2', async () => {
    const old = await withOffsets('end-fenced');
    const fresh = await h.call(ApiKey.InitProducerId, 4, { transactionalId: 'end-fenced', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false, _unknownTaggedFields: undefined });
    expect(fresh.errorCode).toBe(ErrorCode.ConcurrentTransactions);
    await completed('end-fenced', 'CompleteAbort');
    expect((await end(1, old, true)).errorCode).toBe(ErrorCode.InvalidProducerEpoch);
    expect((await end(2, old, true)).errorCode).toBe(ErrorCode.ProducerFenced);
  });
});
