/**
 * One transactional id's state (Kafka's TransactionMetadata), and the transitions that compute its
 * next logged value (Kafka's TxnTransitMetadata).
 *
 * A change is two steps, as in Kafka: `prepare...` checks the transition and returns the value to
 * log, marking the id with the pending state (so every other request for it answers
 * CONCURRENT_TRANSACTIONS until the write is done); once the record is written, the coordinator's
 * replay function calls `complete(value)`, the only place the state changes. A failed write calls
 * `abandonPending()`.
 */
import type { TxnLogValue, TxnTopicPartition } from './txn-log-records.js';
import { IllegalTxnTransitionError, isLegalTransition, type TxnState } from './txn-state.js';

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
/** Short.MaxValue: the highest producer epoch. */
export const MAX_PRODUCER_EPOCH = 32767;

/** Kafka's TransactionMetadata.isEpochExhausted: a bump would reach the top epoch, which fencing needs. */
export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_PRODUCER_EPOCH - 1;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class TransactionMetadata {
  producerId!: bigint;
  lastProducerId!: bigint;
  nextProducerId!: bigint;
  producerEpoch!: number;
  lastProducerEpoch!: number;
  txnTimeoutMs!: number;
  state!: TxnState;
  /** The partitions of the transaction; while markers are written, those still without one. */
  readonly partitions = new Map<string, TxnTopicPartition>();
  txnStartTimestamp!: number;
  txnLastUpdateTimestamp!: number;
  clientTransactionVersion!: number;
  /** The state a write under way moves to; null when none is. */
  pendingState: TxnState | null = null;

  constructor(
    readonly transactionalId: string,
    value: TxnLogValue,
  ) {
    this.take(value);
  }

  /** Every field as the logged value has it. */
  private take(value: TxnLogValue): void {
    this.producerId = value.producerId;
    this.lastProducerId = value.lastProducerId;
    this.nextProducerId = value.nextProducerId;
    this.producerEpoch = value.producerEpoch;
    this.lastProducerEpoch = value.lastProducerEpoch;
    this.txnTimeoutMs = value.txnTimeoutMs;
    this.state = value.state;
    this.partitions.clear();
    for (const p of value.partitions) this.partitions.set(partitionKey(p.topic, p.partition), p);
    this.txnStartTimestamp = value.txnStartTimestamp;
    this.txnLastUpdateTimestamp = value.txnLastUpdateTimestamp;
    this.clientTransactionVersion = value.clientTransactionVersion;
  }

  /** A new id: Empty with no epoch yet (the first InitProducerId bumps it to 0). */
  static fresh(transactionalId: string, producerId: bigint, txnTimeoutMs: number, now: number): TransactionMetadata {
    return new TransactionMetadata(transactionalId, {
      producerId,
      lastProducerId: NO_PRODUCER_ID,
      nextProducerId: NO_PRODUCER_ID,
      producerEpoch: NO_PRODUCER_EPOCH,
      lastProducerEpoch: NO_PRODUCER_EPOCH,
      txnTimeoutMs,
      state: 'Empty',
      partitions: [],
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: now,
      clientTransactionVersion: 0,
    });
  }

  get pendingTransitionInProgress(): boolean {
    return this.pendingState !== null;
  }

  get isProducerEpochExhausted(): boolean {
    return isEpochExhausted(this.producerEpoch);
  }

  hasPartition(topic: string, partition: number): boolean {
    return this.partitions.has(partitionKey(topic, partition));
  }

  /** The value as it stands (a snapshot writes it). */
  current(): TxnLogValue {
    return {
      producerId: this.producerId,
      lastProducerId: this.lastProducerId,
      nextProducerId: this.nextProducerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      txnTimeoutMs: this.txnTimeoutMs,
      state: this.state,
      partitions: [...this.partitions.values()],
      txnStartTimestamp: this.txnStartTimestamp,
      txnLastUpdateTimestamp: this.txnLastUpdateTimestamp,
      clientTransactionVersion: this.clientTransactionVersion,
    };
  }

  /**
   * Marks the transition to `value` as under way, after checking it is legal. As in Kafka, every
   * transition records the producer id it leaves as the last one (so after a rotation it names the
   * old id, and otherwise the current one).
   */
  private transitTo(value: TxnLogValue): TxnLogValue {
    if (this.pendingState !== null) throw new Error(`transactional id ${this.transactionalId}: a transition to ${this.pendingState} is already under way`);
    if (!isLegalTransition(this.state, value.state)) throw new IllegalTxnTransitionError(this.transactionalId, this.state, value.state);
    this.pendingState = value.state;
    return { ...value, lastProducerId: this.producerId };
  }

  /**
   * InitProducerId on an idle id: the epoch bumped (Kafka's prepareIncrementProducerEpoch).
   * `expectedEpoch` (KIP-360, InitProducerId v3+) is the epoch the producer holds: equal to the
   * current one, it bumps; equal to the last one, it is a retry of a bump whose answer was lost,
   * and gets the current epoch again; anything else is PRODUCER_FENCED (returned as 'fenced').
   */
  prepareIncrementProducerEpoch(txnTimeoutMs: number, expectedEpoch: number | undefined, now: number): TxnLogValue | 'fenced' {
    if (this.isProducerEpochExhausted) throw new Error(`transactional id ${this.transactionalId}: cannot bump the exhausted epoch ${this.producerEpoch}`);
    const bumped = this.producerEpoch + 1;
    let epoch: number;
    let lastEpoch: number;
    if (expectedEpoch === undefined) {
      epoch = bumped;
      lastEpoch = NO_PRODUCER_EPOCH;
    } else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === this.producerEpoch) {
      epoch = bumped;
      lastEpoch = this.producerEpoch;
    } else if (expectedEpoch === this.lastProducerEpoch) {
      epoch = this.producerEpoch;
      lastEpoch = this.lastProducerEpoch;
    } else {
      return 'fenced';
    }
    return this.transitTo({ ...this.idle(now), producerEpoch: epoch, lastProducerEpoch: lastEpoch, txnTimeoutMs });
  }

  /** InitProducerId when the epoch is exhausted: a new producer id at epoch 0 (Kafka's prepareProducerIdRotation). */
  prepareProducerIdRotation(newProducerId: bigint, txnTimeoutMs: number, now: number, recordLastEpoch: boolean): TxnLogValue {
    return this.transitTo({
      ...this.idle(now),
      producerId: newProducerId,
      producerEpoch: 0,
      lastProducerEpoch: recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH,
      txnTimeoutMs,
    });
  }

  /** Empty, no partitions: what InitProducerId leaves. */
  private idle(now: number): TxnLogValue {
    return { ...this.current(), nextProducerId: NO_PRODUCER_ID, state: 'Empty', partitions: [], txnStartTimestamp: -1, txnLastUpdateTimestamp: now };
  }

  /**
   * An ongoing transaction is fenced (a new producer's InitProducerId, or its timeout): the epoch
   * is bumped in memory only, and the abort logged with it (Kafka's prepareFenceProducerEpoch).
   * Returns the epoch the abort is to be written with: the top epoch stays as it is, so that it
   * cannot overflow. (Kafka keeps a fence whose abort failed to log in memory and reuses its epoch;
   * here the epoch changes only once logged, so a second fence computes the same epoch.)
   */
  prepareFenceProducerEpoch(): number {
    const epoch = this.producerEpoch >= MAX_PRODUCER_EPOCH ? this.producerEpoch : this.producerEpoch + 1;
    this.transitTo({ ...this.current(), producerEpoch: epoch, lastProducerEpoch: NO_PRODUCER_EPOCH, state: 'PrepareEpochFence' });
    return epoch;
  }

  /** AddPartitionsToTxn / AddOffsetsToTxn: Ongoing with the partitions added (Kafka's prepareAddPartitions). */
  prepareAddPartitions(added: readonly TxnTopicPartition[], now: number, clientTransactionVersion: number): TxnLogValue {
    const starting = this.state === 'Empty' || this.state === 'CompleteCommit' || this.state === 'CompleteAbort';
    const partitions = new Map(this.partitions);
    for (const p of added) partitions.set(partitionKey(p.topic, p.partition), { topic: p.topic, partition: p.partition });
    return this.transitTo({
      ...this.current(),
      state: 'Ongoing',
      partitions: [...partitions.values()],
      txnStartTimestamp: starting ? now : this.txnStartTimestamp,
      txnLastUpdateTimestamp: now,
      clientTransactionVersion,
    });
  }

  /**
   * EndTxn (or an abort by the coordinator): PrepareCommit or PrepareAbort (Kafka's
   * prepareAbortOrCommit). With transaction version 2 the epoch is bumped with every transaction
   * (KIP-890 part 2), and `nextProducerId` is the id to rotate to when the epoch is exhausted.
   * `fenceEpoch`: the abort of a fence, logged with the fenced epoch (transaction version below 2).
   */
  prepareAbortOrCommit(
    state: 'PrepareCommit' | 'PrepareAbort',
    clientTransactionVersion: number,
    nextProducerId: bigint,
    now: number,
    noPartitionAdded: boolean,
    fenceEpoch?: number,
  ): TxnLogValue {
    if (this.pendingState === 'PrepareEpochFence') {
      if (state !== 'PrepareAbort') throw new IllegalTxnTransitionError(this.transactionalId, 'PrepareEpochFence', state);
      this.pendingState = null;
    }
    let epoch = this.producerEpoch;
    let lastEpoch = this.lastProducerEpoch;
    if (clientTransactionVersion >= 2) {
      // An abort at the top epoch goes through without a bump, so that a broken producer can recover.
      if (!(this.producerEpoch >= MAX_PRODUCER_EPOCH && state === 'PrepareAbort')) epoch = this.producerEpoch + 1;
      lastEpoch = this.producerEpoch;
    } else if (fenceEpoch !== undefined) {
      epoch = fenceEpoch;
      lastEpoch = NO_PRODUCER_EPOCH;
    }
    return this.transitTo({
      ...this.current(),
      state,
      nextProducerId,
      producerEpoch: epoch,
      lastProducerEpoch: lastEpoch,
      txnStartTimestamp: noPartitionAdded ? now : this.txnStartTimestamp,
      txnLastUpdateTimestamp: now,
      clientTransactionVersion,
    });
  }

  /** Every marker is written: CompleteCommit or CompleteAbort, no partitions (Kafka's prepareComplete). */
  prepareComplete(now: number): TxnLogValue {
    if (this.state !== 'PrepareCommit' && this.state !== 'PrepareAbort') throw new IllegalTxnTransitionError(this.transactionalId, this.state, 'CompleteCommit');
    const rotate = this.clientTransactionVersion >= 2 && this.nextProducerId !== NO_PRODUCER_ID;
    return this.transitTo({
      ...this.current(),
      state: this.state === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort',
      producerId: rotate ? this.nextProducerId : this.producerId,
      nextProducerId: NO_PRODUCER_ID,
      producerEpoch: rotate ? 0 : this.producerEpoch,
      partitions: [],
      txnLastUpdateTimestamp: now,
    });
  }

  /** transactional.id.expiration.ms passed: the id is removed (a tombstone is logged). */
  prepareDead(): void {
    this.transitTo({ ...this.current(), state: 'Dead' });
  }

  /** The write of the pending transition failed: the state stays as it was. */
  abandonPending(): void {
    this.pendingState = null;
  }

  /** The logged value takes effect (called by the replay function only). */
  complete(value: TxnLogValue, replaying: boolean): void {
    if (!replaying && !isLegalTransition(this.state, value.state)) throw new IllegalTxnTransitionError(this.transactionalId, this.state, value.state);
    this.take(value);
    this.pendingState = null;
  }
}
