import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultListTransactionsRequest, type ListTransactionsRequest } from '../../../src/protocol/generated/messages/list-transactions.js';
import type { AdminHarness } from './admin-harness.js';
import { addPartitions, initTxn, startTxnHarness, type Producer } from './txn-harness.js';

let h: AdminHarness;
let open: Producer;
let idle: Producer;
beforeAll(async () => {
  h = await startTxnHarness();
  open = await initTxn(h, 'app-open');
  await addPartitions(h, open, [0]);
  idle = await initTxn(h, 'app-idle');
});
afterAll(async () => {
  await h.stop();
});

const list = async (v: number, over: Partial<ListTransactionsRequest> = {}) => {
  const r = await h.call(ApiKey.ListTransactions, v, { ...defaultListTransactionsRequest(), ...over });
  return { errorCode: r.errorCode, unknown: r.unknownStateFilters, ids: r.transactionStates.map((t) => `${t.transactionalId}:${t.transactionState}`).sort() };
};

describe('ListTransactions', () => {
  it.each([0, 1, 2])('v%i: every transaction, or those in the states and of the producer ids asked', async (v) => {
    expect(await list(v)).toEqual({ errorCode: 0, unknown: [], ids: ['app-idle:Empty', 'app-open:Ongoing'] });
    expect(await list(v, { stateFilters: ['Ongoing', 'Nonsense'] })).toEqual({ errorCode: 0, unknown: ['Nonsense'], ids: ['app-open:Ongoing'] });
    expect((await list(v, { producerIdFilters: [idle.producerId] })).ids).toEqual(['app-idle:Empty']);
  });

  it('v1: durationFilter keeps transactions running longer than it', async () => {
    expect((await list(1, { stateFilters: ['Ongoing'], durationFilter: 3_600_000n })).ids).toEqual([]);
    expect((await list(1, { stateFilters: ['Ongoing'], durationFilter: -1n })).ids).toEqual(['app-open:Ongoing']);
  });

  it('v2: transactionalIdPattern matches whole ids; a pattern that does not compile is INVALID_REGULAR_EXPRESSION', async () => {
    expect((await list(2, { transactionalIdPattern: 'app-.*' })).ids).toEqual(['app-idle:Empty', 'app-open:Ongoing']);
    expect((await list(2, { transactionalIdPattern: 'open' })).ids).toEqual([]);
    expect((await list(2, { transactionalIdPattern: '.*open' })).ids).toEqual(['app-open:Ongoing']);
    expect((await list(2, { transactionalIdPattern: '(?i)APP-IDLE' })).ids).toEqual(['app-idle:Empty']);
    expect((await list(2, { transactionalIdPattern: '(ab(cd' })).errorCode).toBe(ErrorCode.InvalidRegularExpression);
  });
});
