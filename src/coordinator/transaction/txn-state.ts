/**
 * The states of a transactional id and the transitions between them (Kafka's TransactionState).
 *
 *   Empty             no transaction; the producer id and epoch are set
 *   Ongoing           partitions have been added; the transaction is open
 *   PrepareCommit     EndTxn(commit) is logged; markers are being written
 *   PrepareAbort      EndTxn(abort), a fence or a timeout is logged; markers are being written
 *   CompleteCommit    every COMMIT marker is written
 *   CompleteAbort     every ABORT marker is written
 *   PrepareEpochFence a new producer fences an ongoing transaction: never logged, only held in memory
 *                     until the abort (PrepareAbort with the bumped epoch) is logged
 *   Dead              the id expired; its tombstone is being written
 *
 * The codes are the transactionStatus values of Kafka's TransactionLogValue.
 */
export type TxnState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort' | 'Dead' | 'PrepareEpochFence';

export const TXN_STATES: readonly TxnState[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];

/** TransactionLogValue's transactionStatus of each state. */
export function txnStateCode(state: TxnState): number {
  return TXN_STATES.indexOf(state);
}

export function txnStateOfCode(code: number): TxnState {
  const state = TXN_STATES.at(code);
  if (state === undefined || code < 0) throw new Error(`unknown transaction status ${code}`);
  return state;
}

/** The state named `name` (ListTransactions' state filters), or undefined. */
export function txnStateByName(name: string): TxnState | undefined {
  return TXN_STATES.find((s) => s === name);
}

/**
 * The states each state may be entered from. A KIP-890 (transaction version 2) producer may abort
 * without having added a partition, hence PrepareAbort from Empty and the Complete states.
 */
const VALID_PREVIOUS: Readonly<Record<TxnState, readonly TxnState[]>> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareEpochFence: ['Ongoing'],
};

export function isLegalTransition(from: TxnState, to: TxnState): boolean {
  return VALID_PREVIOUS[to].includes(from);
}

/** A transition the coordinator must never attempt: a bug, as Kafka's IllegalStateException. */
export class IllegalTxnTransitionError extends Error {
  constructor(transactionalId: string, from: TxnState, to: TxnState) {
    super(`transactional id ${transactionalId}: illegal transition from ${from} to ${to}`);
    this.name = 'IllegalTxnTransitionError';
  }
}

/** Kafka's TransactionState.isExpirationAllowed: no transaction open or completing. */
export function isExpirationAllowed(state: TxnState): boolean {
  return state === 'Empty' || state === 'CompleteCommit' || state === 'CompleteAbort';
}
