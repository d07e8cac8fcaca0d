/**
 * The aborted-transaction index (Kafka's TransactionIndex): per segment, the transactions whose
 * ABORT marker lies in that segment, in marker order. A read_committed fetch asks for the aborted
 * transactions overlapping the range it returns and drops their records client side.
 *
 * The search rule (Kafka's TransactionIndex.collectAbortedTxns, applied segment after segment from
 * the one holding the fetch offset): an entry is returned when lastOffset >= fromOffset and
 * firstOffset < upperBoundOffset; the search is complete at the first entry whose lastStableOffset
 * >= upperBoundOffset (no transaction aborted later can have started inside the range, because the
 * last stable offset never passes the start of an ongoing transaction).
 */
import type { AbortedTxn } from './types.js';

/** What one segment's search found, and whether later segments need searching (Kafka's TxnIndexSearchResult). */
export interface TxnSearchResult {
  txns: AbortedTxn[];
  complete: boolean;
}

/** Kafka's collectAbortedTxns over one segment's entries, in order. */
export function collectAbortedTxns(entries: readonly AbortedTxn[], fromOffset: bigint, upperBoundOffset: bigint): TxnSearchResult {
  const txns: AbortedTxn[] = [];
  for (const t of entries) {
    if (t.lastOffset >= fromOffset && t.firstOffset < upperBoundOffset) txns.push({ ...t });
    if (t.lastStableOffset >= upperBoundOffset) return { txns, complete: true };
  }
  return { txns, complete: false };
}

/**
 * Refuses an entry that would break the index's order (Kafka: "the last offset of appended
 * transactions must increase sequentially") or whose marker is not in the log.
 */
export function checkAbortedTxn(txn: AbortedTxn, previous: AbortedTxn | undefined, logEndOffset: bigint): void {
  if (previous !== undefined && txn.lastOffset <= previous.lastOffset) {
    throw new Error(`aborted transaction marker offset ${txn.lastOffset} is not greater than the last indexed one, ${previous.lastOffset}`);
  }
  if (txn.lastOffset >= logEndOffset) throw new Error(`aborted transaction marker offset ${txn.lastOffset} is not in the log (end ${logEndOffset})`);
  if (txn.firstOffset > txn.lastOffset) throw new Error(`aborted transaction first offset ${txn.firstOffset} is after its marker ${txn.lastOffset}`);
}
