/**
 * What the cleaner knows of transactions while it walks a log in offset order (Kafka's
 * CleanedTransactionMetadata): which producers are inside an aborted transaction (their batches are
 * discarded) or a committed one (their batches are data like any other), and whether a COMMIT or
 * ABORT marker still has batches of its transaction before it.
 *
 * A marker may go only once no batch of its transaction remains: an ABORT marker whose aborted
 * batches were all met and dropped in this walk, or a COMMIT marker whose transaction had no batch in
 * the walk (cleaned away earlier). The caller then keeps it until delete.retention.ms after its first
 * such clean (the delete horizon), as it does for tombstones.
 */
import { ControlRecordType, type RecordBatchView } from '../protocol/records/index.js';
import { controlTypeOf } from './log-rules.js';
import type { AbortedTxn } from './types.js';

export class CleanedTxnState {
  /** Aborted transactions not yet reached, by first offset. */
  private pending: AbortedTxn[] = [];
  private next = 0;
  private readonly ongoingCommitted = new Set<bigint>();
  private readonly ongoingAborted = new Map<bigint, { txn: AbortedTxn; lastObservedBatchOffset: bigint | null }>();
  /** Aborted transactions whose ABORT marker was kept (what the cleaned segments' index must list). */
  readonly retainedAborted: AbortedTxn[] = [];

  /** Adds aborted transactions to look out for (those of the range about to be walked). */
  addAborted(txns: readonly AbortedTxn[]): void {
    if (txns.length === 0) return;
    const rest = this.pending.slice(this.next).concat(txns);
    rest.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
    this.pending = rest;
    this.next = 0;
  }

  /** Moves the aborted transactions starting at or before `view`'s last offset to the ongoing ones. */
  private reach(view: RecordBatchView): void {
    // Most batches have none to move: their last offset (a bigint) is not read.
    if (this.next >= this.pending.length) return;
    const offset = view.lastOffset;
    while (this.next < this.pending.length && this.pending[this.next].firstOffset <= offset) {
      const txn = this.pending[this.next++];
      if (!this.ongoingAborted.has(txn.producerId)) this.ongoingAborted.set(txn.producerId, { txn, lastObservedBatchOffset: null });
    }
  }

  /** A control batch: true when its marker may be discarded (no batch of its transaction is left). */
  onControlBatch(view: RecordBatchView): boolean {
    this.reach(view);
    const type = controlTypeOf(view);
    const pid = view.producerId;
    if (type === ControlRecordType.Abort) {
      const aborted = this.ongoingAborted.get(pid);
      this.ongoingAborted.delete(pid);
      if (aborted !== undefined && aborted.lastObservedBatchOffset !== null) {
        this.retainedAborted.push(aborted.txn);
        return false;
      }
      return true;
    }
    if (type === ControlRecordType.Commit) return !this.ongoingCommitted.delete(pid);
    return false;
  }

  /** A data batch: true when it belongs to an aborted transaction (to be discarded). */
  onBatch(view: RecordBatchView): boolean {
    this.reach(view);
    if (!view.isTransactional) return false;
    const aborted = this.ongoingAborted.get(view.producerId);
    if (aborted !== undefined) {
      aborted.lastObservedBatchOffset = view.lastOffset;
      return true;
    }
    this.ongoingCommitted.add(view.producerId);
    return false;
  }
}
