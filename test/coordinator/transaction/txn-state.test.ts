/**
 * The transaction state machine: every legal transition of Kafka's TransactionState, every other
 * one refused, and the transitions TransactionMetadata computes from each state.
 */
import { describe, expect, it } from '@jest/globals';
import { TransactionMetadata, MAX_PRODUCER_EPOCH, isEpochExhausted } from '../../../src/coordinator/transaction/txn-metadata.js';
import type { TxnLogValue } from '../../../src/coordinator/transaction/txn-log-records.js';
import { IllegalTxnTransitionError, TXN_STATES, isExpirationAllowed, isLegalTransition, txnStateByName, txnStateCode, txnStateOfCode, type TxnState } from '../../../src/coordinator/transaction/txn-state.js';

const LEGAL: Record<TxnState, TxnState[]> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareEpochFence: ['Ongoing'],
};

function value(state: TxnState, over: Partial<TxnLogValue> = {}): TxnLogValue {
  return {
    producerId: 10n,
    lastProducerId: -1n,
    nextProducerId: -1n,
    producerEpoch: 3,
    lastProducerEpoch: -1,
    txnTimeoutMs: 60_000,
    state,
    partitions: state === 'Ongoing' || state.startsWith('Prepare') ? [{ topic: 't', partition: 0 }] : [],
    txnStartTimestamp: state === 'Ongoing' || state.startsWith('Prepare') ? 1000 : -1,
    txnLastUpdateTimestamp: 1000,
    clientTransactionVersion: 0,
    ...over,
  };
}

const meta = (state: TxnState, over: Partial<TxnLogValue> = {}) => new TransactionMetadata('tx', value(state, over));

describe('transaction states', () => {
  it("codes are TransactionLogValue's transactionStatus, names are Kafka's", () => {
    expect(TXN_STATES.map(txnStateCode)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(txnStateOfCode(7)).toBe('PrepareEpochFence');
    expect(txnStateOfCode(6)).toBe('Dead');
    expect(() => txnStateOfCode(8)).toThrow();
    expect(txnStateByName('CompleteCommit')).toBe('CompleteCommit');
    expect(txnStateByName('completecommit')).toBeUndefined();
  });

  it.each(TXN_STATES)('%s is entered only from its legal previous states', (to) => {
    for (const from of TXN_STATES) expect([from, to, isLegalTransition(from, to)]).toEqual([from, to, LEGAL[to].includes(from)]);
  });

  it('only idle states may expire', () => {
    expect(TXN_STATES.filter(isExpirationAllowed)).toEqual(['Empty', 'CompleteCommit', 'CompleteAbort']);
  });
});

describe('TransactionMetadata transitions', () => {
  it('InitProducerId bumps the epoch from every idle state and refuses the others', () => {
    for (const s of ['Empty', 'CompleteCommit', 'CompleteAbort'] as const) {
      const m = meta(s);
      const next = m.prepareIncrementProducerEpoch(30_000, undefined, 2000);
      expect(next).toMatchObject({ state: 'Empty', producerEpoch: 4, lastProducerEpoch: -1, txnTimeoutMs: 30_000, partitions: [], txnStartTimestamp: -1 });
      expect(m.pendingState).toBe('Empty');
    }
    for (const s of ['Ongoing', 'PrepareCommit', 'PrepareAbort', 'Dead', 'PrepareEpochFence'] as const) {
      expect(() => meta(s).prepareIncrementProducerEpoch(30_000, undefined, 2000)).toThrow(IllegalTxnTransitionError);
    }
  });

  it('KIP-360: the expected epoch bumps when current, returns the same epoch when it is the last one, else fenced', () => {
    const m = meta('Empty', { producerEpoch: 5, lastProducerEpoch: 4 });
    expect(m.prepareIncrementProducerEpoch(1, 5, 0)).toMatchObject({ producerEpoch: 6, lastProducerEpoch: 5 });
    const retry = meta('Empty', { producerEpoch: 5, lastProducerEpoch: 4 });
    expect(retry.prepareIncrementProducerEpoch(1, 4, 0)).toMatchObject({ producerEpoch: 5, lastProducerEpoch: 4 });
    const fenced = meta('Empty', { producerEpoch: 5, lastProducerEpoch: 4 });
    expect(fenced.prepareIncrementProducerEpoch(1, 2, 0)).toBe('fenced');
    expect(fenced.pendingState).toBeNull();
  });

  it('an exhausted epoch rotates to a new producer id at epoch 0', () => {
    expect(isEpochExhausted(MAX_PRODUCER_EPOCH - 1)).toBe(true);
    expect(isEpochExhausted(MAX_PRODUCER_EPOCH - 2)).toBe(false);
    const m = meta('CompleteCommit', { producerEpoch: MAX_PRODUCER_EPOCH - 1 });
    expect(() => meta('Empty', { producerEpoch: MAX_PRODUCER_EPOCH - 1 }).prepareIncrementProducerEpoch(1, undefined, 0)).toThrow();
    expect(m.prepareProducerIdRotation(11n, 1, 0, true)).toMatchObject({ producerId: 11n, lastProducerId: 10n, producerEpoch: 0, lastProducerEpoch: MAX_PRODUCER_EPOCH - 1, state: 'Empty' });
  });

  it('adding partitions opens a transaction (start time set) or extends it (start time kept)', () => {
    const m = meta('CompleteAbort');
    expect(m.prepareAddPartitions([{ topic: 'a', partition: 1 }], 5000, 0)).toMatchObject({ state: 'Ongoing', txnStartTimestamp: 5000, partitions: [{ topic: 'a', partition: 1 }] });
    const o = meta('Ongoing');
    expect(o.prepareAddPartitions([{ topic: 'a', partition: 1 }], 5000, 0)).toMatchObject({ txnStartTimestamp: 1000, partitions: [{ topic: 't', partition: 0 }, { topic: 'a', partition: 1 }] });
    for (const s of ['PrepareCommit', 'PrepareAbort', 'Dead', 'PrepareEpochFence'] as const) expect(() => meta(s).prepareAddPartitions([], 0, 0)).toThrow(IllegalTxnTransitionError);
  });

  it('commit only from Ongoing; abort also from idle states (transaction version 2)', () => {
    expect(meta('Ongoing').prepareAbortOrCommit('PrepareCommit', 0, -1n, 9, false)).toMatchObject({ state: 'PrepareCommit', producerEpoch: 3 });
    for (const s of ['Empty', 'CompleteCommit', 'CompleteAbort', 'PrepareCommit', 'PrepareAbort', 'Dead'] as const) {
      expect(() => meta(s).prepareAbortOrCommit('PrepareCommit', 0, -1n, 9, false)).toThrow(IllegalTxnTransitionError);
    }
    for (const s of ['Empty', 'CompleteCommit', 'CompleteAbort'] as const) {
      expect(meta(s).prepareAbortOrCommit('PrepareAbort', 2, -1n, 9, true)).toMatchObject({ state: 'PrepareAbort', producerEpoch: 4, lastProducerEpoch: 3, txnStartTimestamp: 9 });
    }
    for (const s of ['PrepareCommit', 'PrepareAbort', 'Dead'] as const) expect(() => meta(s).prepareAbortOrCommit('PrepareAbort', 0, -1n, 9, false)).toThrow(IllegalTxnTransitionError);
  });

  it('a fence bumps the epoch in memory only (PrepareEpochFence), then its abort is logged with it', () => {
    const m = meta('Ongoing');
    expect(m.prepareFenceProducerEpoch()).toBe(4);
    expect(m.pendingState).toBe('PrepareEpochFence');
    expect(m.producerEpoch).toBe(3);
    expect(() => m.prepareAbortOrCommit('PrepareCommit', 0, -1n, 9, false)).toThrow(IllegalTxnTransitionError);
    const v = m.prepareAbortOrCommit('PrepareAbort', 0, -1n, 9, false, 4);
    expect(v).toMatchObject({ state: 'PrepareAbort', producerEpoch: 4, lastProducerEpoch: -1 });
    expect(m.pendingState).toBe('PrepareAbort');
    for (const s of ['Empty', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead'] as const) expect(() => meta(s).prepareFenceProducerEpoch()).toThrow(IllegalTxnTransitionError);
  });

  it('at the top epoch a fence keeps it, and a transaction version 2 abort does not bump it', () => {
    const m = meta('Ongoing', { producerEpoch: MAX_PRODUCER_EPOCH });
    expect(m.prepareFenceProducerEpoch()).toBe(MAX_PRODUCER_EPOCH);
    const tv2 = meta('Ongoing', { producerEpoch: MAX_PRODUCER_EPOCH });
    expect(tv2.prepareAbortOrCommit('PrepareAbort', 2, -1n, 9, false)).toMatchObject({ producerEpoch: MAX_PRODUCER_EPOCH, lastProducerEpoch: MAX_PRODUCER_EPOCH });
  });

  it('every transition records the producer id it leaves as the last one', () => {
    const m = meta('Empty', { lastProducerId: 3n });
    expect(m.prepareIncrementProducerEpoch(1, undefined, 0)).toMatchObject({ producerId: 10n, lastProducerId: 10n });
  });

  it('completion leaves Prepare* only, drops the partitions, and rotates a transaction version 2 id given a next id', () => {
    expect(meta('PrepareCommit').prepareComplete(7)).toMatchObject({ state: 'CompleteCommit', partitions: [], txnLastUpdateTimestamp: 7 });
    expect(meta('PrepareAbort').prepareComplete(7)).toMatchObject({ state: 'CompleteAbort' });
    expect(meta('PrepareCommit', { clientTransactionVersion: 2, nextProducerId: 99n, producerEpoch: MAX_PRODUCER_EPOCH }).prepareComplete(7)).toMatchObject({ producerId: 99n, lastProducerId: 10n, producerEpoch: 0, nextProducerId: -1n });
    for (const s of ['Empty', 'Ongoing', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'] as const) expect(() => meta(s).prepareComplete(7)).toThrow(IllegalTxnTransitionError);
  });

  it('expiry only from idle states; one transition at a time; a failed write leaves the state as it was', () => {
    for (const s of ['Empty', 'CompleteCommit', 'CompleteAbort'] as const) {
      const m = meta(s);
      m.prepareDead();
      expect(m.pendingState).toBe('Dead');
      expect(() => m.prepareAddPartitions([], 0, 0)).toThrow(/already under way/);
      m.abandonPending();
      expect(m.state).toBe(s);
      expect(m.pendingState).toBeNull();
    }
    for (const s of ['Ongoing', 'PrepareCommit', 'PrepareAbort', 'PrepareEpochFence'] as const) expect(() => { meta(s).prepareDead(); }).toThrow(IllegalTxnTransitionError);
  });

  it('complete() applies a logged value, refusing an illegal one unless replaying', () => {
    const m = meta('Ongoing');
    const v = m.prepareAbortOrCommit('PrepareCommit', 0, -1n, 9, false);
    m.complete(v, false);
    expect(m.state).toBe('PrepareCommit');
    expect(m.pendingState).toBeNull();
    expect(() => { m.complete(value('Ongoing'), false); }).toThrow(IllegalTxnTransitionError);
    m.complete(value('Ongoing'), true);
    expect(m.state).toBe('Ongoing');
  });
});
