/**
 * A follower's producer state follows the leader's log (Kafka's follower append with origin
 * REPLICATION): every batch the leader sent is registered in the producer state before the log
 * writes it, so the sequences, epochs and open transactions of every idempotent or transactional
 * producer are known when this replica becomes leader, and a producer retrying after a failover is
 * recognized.
 *
 * The registration uses the leader's checks. The leader already applied them, and this replica's
 * state was built from the same log, so they pass; when they do not (the two replicas expired a
 * producer at different times, or a coordinator epoch went back), Kafka's replication origin would
 * take the batch as it is: the caller then rebuilds the state from the log, which replays batches
 * exactly that way.
 */
import { ControlRecordType, readControlRecordKey, readEndTxnMarkerValue, RecordBatchView, forEachBatch } from '../protocol/records/record-batch.js';
import { incrementSequence, type AppendedBatch, type AppendSlot, type ProducerStateManager, type TxnMarker } from '../storage/producer-state.js';

export interface RegisteredBatch {
  slot: AppendSlot;
  appended: AppendedBatch;
  /** The batch is a COMMIT or ABORT marker. */
  marker: boolean;
}

export interface Registration {
  /** The whole batches at the start of the records: a fetch answer may end in a partial one, which is left for the next fetch (as Kafka's follower does). */
  records: Buffer;
  registered: RegisteredBatch[];
  /** False when a batch was refused or taken for a duplicate: the state must be rebuilt from the log. */
  consistent: boolean;
}

/** The COMMIT/ABORT marker a control batch carries, or null (another control type, or unreadable). */
function markerOf(view: RecordBatchView): TxnMarker | null {
  try {
    for (const r of view.records()) {
      const { type } = readControlRecordKey(r.key);
      if (type !== ControlRecordType.Abort && type !== ControlRecordType.Commit) return null;
      const { coordinatorEpoch } = readEndTxnMarkerValue(r.value);
      return { producerId: view.producerId, producerEpoch: view.producerEpoch, committed: type === ControlRecordType.Commit, coordinatorEpoch };
    }
  } catch {
    // An unreadable control record is not a marker anyone can act on.
  }
  return null;
}

/**
 * Registers every whole v2 batch of `records` (offsets set by the leader) in `producers`, in order;
 * call the log's follower append of `records` as returned right after, in the same tick, then
 * `complete` or `fail` the slots. Stops registering at the first batch the state refuses. Throws
 * ProtocolDecodeError for records that are not batches, with nothing left registered.
 */
export function registerReplicatedBatches(producers: ProducerStateManager, records: Buffer): Registration {
  const registered: RegisteredBatch[] = [];
  let consistent = true;
  try {
    const whole = forEachBatch(records, visit, { allowPartialTail: true });
    return { records: whole === records.length ? records : records.subarray(0, whole), registered, consistent };
  } catch (err) {
    for (const r of registered) producers.fail(r.slot, err);
    throw err;
  }

  function visit(start: number, end: number): void {
    if (!consistent) return;
    const view = new RecordBatchView(records, start, end);
    const appended: AppendedBatch = { baseOffset: view.baseOffset, lastOffset: view.lastOffset, maxTimestamp: view.maxTimestamp };
    const bytes = end - start;
    if (view.isControl) {
      const marker = view.producerId >= 0n ? markerOf(view) : null;
      if (marker !== null) {
        const check = producers.tryAppendMarker(marker, bytes);
        if (check.kind === 'error') consistent = false;
        else registered.push({ slot: check.slot, appended, marker: true });
        return;
      }
    }
    const batch =
      view.producerId >= 0n && !view.isControl
        ? {
            producerId: view.producerId,
            producerEpoch: view.producerEpoch,
            baseSequence: view.baseSequence,
            lastSequence: view.baseSequence < 0 ? view.baseSequence : incrementSequence(view.baseSequence, view.lastOffsetDelta),
            isTransactional: view.isTransactional,
          }
        : null;
    const check = producers.tryAppend(batch, bytes);
    if (check.kind === 'append') registered.push({ slot: check.slot, appended, marker: false });
    else consistent = false;
  }
}
