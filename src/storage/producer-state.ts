/**
 * Per-partition state of idempotent and transactional producers: Kafka's ProducerStateManager,
 * ProducerStateEntry and ProducerAppendInfo.
 *
 * For each producer id the partition keeps the producer epoch and the metadata of its last 5
 * batches (sequence range, offsets, max timestamp). With it the produce path:
 * - acknowledges a retried batch whose sequence range equals one of the last 5 (same epoch) with the
 *   ORIGINAL offsets, appending nothing (Kafka's findDuplicateBatch);
 * - answers INVALID_PRODUCER_EPOCH to an epoch lower than the one seen (Kafka 2.7+ uses this for
 *   every Produce version, never PRODUCER_FENCED, so the client can abort and retry);
 * - answers OUT_OF_ORDER_SEQUENCE_NUMBER to a sequence that does not follow the last one (the next
 *   sequence after 2147483647 is 0), and to a non-zero first sequence of a new epoch;
 * - accepts ANY sequence from a producer id it does not know, as current Kafka does (KIP-360: the
 *   state may have expired or been deleted with the log; UNKNOWN_PRODUCER_ID is no longer sent).
 *
 * **Transactions.** A producer's first transactional batch starts its transaction at the batch's
 * base offset (currentTxnFirstOffset); its COMMIT or ABORT marker (a control batch, `tryAppendMarker`)
 * ends it. Kafka's checks, in its order: the epoch (INVALID_PRODUCER_EPOCH), the sequence, then a
 * non-transactional batch while the producer's transaction is ongoing is INVALID_TXN_STATE. A
 * marker with an epoch below the producer's is INVALID_PRODUCER_EPOCH, one from an older
 * coordinator epoch TRANSACTION_COORDINATOR_FENCED; a marker for a producer with no ongoing
 * transaction is written all the same (it may be a retry) and completes nothing. The first offset
 * of the ongoing transactions is the partition's first unstable offset (the last stable offset's
 * bound); a completed transaction is reported to the caller (CompletedTxn) once its marker is
 * applied, for the aborted-transaction index.
 *
 * **In-flight appends.** A partition log serializes appends in call order, but resolves them later.
 * The check and the registration of a batch (`tryAppend`) happen synchronously right before the
 * caller hands the batch to the log, so the next batch of the same producer is checked against it
 * at once (pipelined producers send up to 5). Two views are kept:
 * - the live view (checks): the applied state plus the batches still in flight;
 * - the applied state (snapshots, expiry): batches whose append completed, applied in log order.
 * A duplicate of a batch still in flight is answered when that append completes. A failed append
 * is removed from the live view; batches of the same producer behind it stay, so a retry of the
 * failed batch may then be out of order, as after any lost write (the client bumps its epoch).
 *
 * **Snapshots, Kafka's format and place.** `<partition dir>/<offset, 20 digits>.snapshot` holds the
 * applied state as of that offset (every batch below it applied, none at or above):
 *
 * ```
 * version int16 (1) | crc uint32 (CRC32C of everything after it) | count int32 |
 * count x { producerId int64 | epoch int16 | lastSequence int32 | lastOffset int64 |
 *           offsetDelta int32 | timestamp int64 | coordinatorEpoch int32 | currentTxnFirstOffset int64 }
 * ```
 *
 * As in Kafka, a snapshot keeps only the last batch of each producer, so after a restart only the
 * last batch of each producer is recognized as a duplicate. currentTxnFirstOffset carries an open
 * transaction across restarts; batches replayed after the snapshot start and end transactions as
 * they did when appended (a crash rebuilds the same ongoing transactions, hence the same LSO). Snapshots are written on close (clean
 * shutdown), after every `snapshotIntervalBytes` appended, and after a load that had to scan; each
 * replaces its file durably (replaceFileDurably), and only the newest two are kept.
 *
 * **Loading.** Snapshots beyond the log end (a log cut back by recovery) are deleted; the newest
 * readable one is loaded (a corrupt one is deleted and the next older tried), entries idle past
 * producer.id.expiration.ms are dropped, then the batch headers from the snapshot offset (or the log
 * start) to the log end are replayed with `PartitionLog.batches`. After a clean shutdown the
 * snapshot sits at the log end and nothing is scanned.
 *
 * **Expiry.** `removeExpiredProducers(now)` drops producers without an ongoing transaction whose
 * last batch's max timestamp is producer.id.expiration.ms old (Kafka compares that timestamp, the
 * producer's own clock under CreateTime, with the broker's).
 *
 * Concurrency: one event loop; the caller keeps `tryAppend` and the log's `append` in the same tick.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode } from '../protocol/generated/errors.js';
import { crc32c } from '../protocol/records/crc32c.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { errorCode, offsetPrefix, replaceFileDurably } from './segment-files.js';
import { StorageError, type BatchInfo, type PartitionLog } from './types.js';
import { present } from '../util/must-get.js';

/** Batches remembered per producer for duplicate detection (Kafka's NUM_BATCHES_TO_RETAIN). */
const NUM_BATCHES_TO_RETAIN = 5;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;

const INT32_MAX = 0x7fffffff;

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from 2147483647 to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

/** Kafka's DefaultRecordBatch.decrementSequence. */
export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1;
  return sequence - decrement;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/** One appended batch of a producer (Kafka's BatchMetadata). */
export interface BatchMetadata {
  lastSeq: number;
  lastOffset: bigint;
  /** lastOffset - firstOffset (= lastSeq - firstSeq). */
  offsetDelta: number;
  /** The batch's max timestamp as stored (the LogAppendTime under LogAppendTime). */
  timestamp: bigint;
}

function firstSeqOf(m: BatchMetadata): number {
  return decrementSequence(m.lastSeq, m.offsetDelta);
}

function firstOffsetOf(m: BatchMetadata): bigint {
  return m.lastOffset - BigInt(m.offsetDelta);
}

/** A producer's applied state in one partition (Kafka's ProducerStateEntry). */
export interface ProducerStateEntry {
  readonly producerId: bigint;
  producerEpoch: number;
  /** The last (up to 5) batches, oldest first. */
  batches: BatchMetadata[];
  coordinatorEpoch: number;
  /** First offset of the ongoing transaction, or -1n. */
  currentTxnFirstOffset: bigint;
  /** Max timestamp of the last batch (expiry compares it with producer.id.expiration.ms). */
  lastTimestamp: bigint;
}

/** What the produce path knows of a batch before it is appended. */
export interface ProducerBatch {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  lastSequence: number;
  isTransactional: boolean;
}

/** A COMMIT or ABORT marker about to be appended (Kafka's EndTransactionMarker with its batch's producer fields). */
export interface TxnMarker {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  committed: boolean;
}

/** A transaction ended by a marker (Kafka's CompletedTxn): lastOffset is the marker's offset. */
export interface CompletedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  isAborted: boolean;
  /** The last stable offset right after it ended (lastStableOffsetAfter, as of the marker). */
  lastStableOffset: bigint;
}

/** A transaction still open in the partition (DescribeProducers, find-hanging). */
export interface OngoingTxn {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  firstOffset: bigint;
  /** Max timestamp of the producer's last batch. */
  lastTimestamp: bigint;
}

/** Where an append landed. */
export interface AppendedBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The batch's max timestamp as stored. */
  maxTimestamp: bigint;
}

/** The original append a duplicate is acknowledged with. */
export interface DuplicateBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  timestamp: bigint;
}

export type AppendCheck =
  | { kind: 'append'; slot: AppendSlot }
  /** Settles when the original append does (rejects with its error if it failed). */
  | { kind: 'duplicate'; original: Promise<DuplicateBatch> }
  | { kind: 'error'; errorCode: number; message: string };

interface LiveBatch {
  firstSeq: number;
  lastSeq: number;
  /** The append while it is in flight, then null... */
  slot: AppendSlot | null;
  /** ...and where it landed once applied. */
  meta: BatchMetadata | null;
}

interface LiveEntry {
  epoch: number;
  batches: LiveBatch[];
  /** A transaction is ongoing once its first batch is registered, until its marker is. */
  txnOngoing: boolean;
  coordinatorEpoch: number;
}

/** An append registered by tryAppend; settle it with complete() or fail(). */
export class AppendSlot {
  /** @internal */ state: 'pending' | 'done' | 'failed' = 'pending';
  /** @internal */ meta: BatchMetadata | null = null;
  /** @internal */ appended: AppendedBatch | null = null;
  /** @internal */ error: unknown = null;
  /** @internal */ waiters: { resolve: (d: DuplicateBatch) => void; reject: (e: unknown) => void }[] = [];
  /** @internal */ completedTxn: CompletedTxn | null = null;
  /** @internal */ applied = false;
  /** @internal */ appliedWaiters: { resolve: (t: CompletedTxn | null) => void; reject: (e: unknown) => void }[] = [];

  constructor(
    /** @internal */ readonly batch: ProducerBatch | null,
    /** @internal */ readonly bytes: number,
    /** @internal */ readonly marker: TxnMarker | null = null,
  ) {}

  /**
   * Settles once the append is applied to the producer state (every earlier append settled): with
   * the transaction a marker completed (null for data, or a marker that found none ongoing).
   */
  whenApplied(): Promise<CompletedTxn | null> {
    if (this.state === 'failed') return Promise.reject(this.error);
    if (this.applied) return Promise.resolve(this.completedTxn);
    return new Promise((resolve, reject) => this.appliedWaiters.push({ resolve, reject }));
  }

  /** @internal */ original(): Promise<DuplicateBatch> {
    if (this.state === 'done') return Promise.resolve(duplicateOf(present(this.meta, 'metadata of a done append')));
    if (this.state === 'failed') return Promise.reject(this.error);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}

function duplicateOf(m: BatchMetadata): DuplicateBatch {
  return { firstOffset: firstOffsetOf(m), lastOffset: m.lastOffset, timestamp: m.timestamp };
}

export interface ProducerStateOptions {
  /** producer.id.expiration.ms */
  producerIdExpirationMs: number;
  /** Broker time, ms since the epoch. */
  clock: () => number;
  /** The partition directory for snapshot files; null keeps the state in memory only. */
  dir: string | null;
  /** Write a snapshot after this many bytes appended (default 16 MiB). */
  snapshotIntervalBytes?: number;
  logger?: Logger;
}

const SNAPSHOT_SUFFIX = '.snapshot';
const SNAPSHOT_VERSION = 1;
const SNAPSHOT_HEADER_BYTES = 10;
const SNAPSHOT_ENTRY_BYTES = 46;
const SNAPSHOTS_KEPT = 2;
const DEFAULT_SNAPSHOT_INTERVAL_BYTES = 16 * 1024 * 1024;

/** `00000000000000000042.snapshot` (Kafka's LogFileUtils.producerSnapshotFile). */
export function snapshotFileName(offset: bigint): string {
  return offsetPrefix(offset) + SNAPSHOT_SUFFIX;
}

/** Thrown by readSnapshot for a file that is not a valid snapshot. */
export class CorruptSnapshotError extends Error {
  override readonly name = 'CorruptSnapshotError';
}

/** Encodes entries in Kafka's producer snapshot format (version 1). */
export function encodeSnapshot(entries: Iterable<ProducerStateEntry>): Buffer {
  const list = [...entries];
  const buf = Buffer.alloc(SNAPSHOT_HEADER_BYTES + list.length * SNAPSHOT_ENTRY_BYTES);
  buf.writeInt16BE(SNAPSHOT_VERSION, 0);
  buf.writeInt32BE(list.length, 6);
  let pos = SNAPSHOT_HEADER_BYTES;
  for (const e of list) {
    const last = e.batches.at(-1);
    buf.writeBigInt64BE(e.producerId, pos);
    buf.writeInt16BE(e.producerEpoch, pos + 8);
    buf.writeInt32BE(last ? last.lastSeq : NO_SEQUENCE, pos + 10);
    buf.writeBigInt64BE(last ? last.lastOffset : -1n, pos + 14);
    buf.writeInt32BE(last ? last.offsetDelta : 0, pos + 22);
    buf.writeBigInt64BE(e.lastTimestamp, pos + 26);
    buf.writeInt32BE(e.coordinatorEpoch, pos + 34);
    buf.writeBigInt64BE(e.currentTxnFirstOffset, pos + 38);
    pos += SNAPSHOT_ENTRY_BYTES;
  }
  buf.writeUInt32BE(crc32c(buf, 6), 2);
  return buf;
}

/** Decodes a snapshot written by encodeSnapshot (or by Kafka); throws CorruptSnapshotError. */
export function decodeSnapshot(buf: Buffer): ProducerStateEntry[] {
  if (buf.length < SNAPSHOT_HEADER_BYTES) throw new CorruptSnapshotError(`snapshot of ${buf.length} bytes is too short`);
  const version = buf.readInt16BE(0);
  if (version !== SNAPSHOT_VERSION) throw new CorruptSnapshotError(`Snapshot contained an unknown file version ${version}`);
  const stored = buf.readUInt32BE(2);
  const computed = crc32c(buf, 6);
  if (stored !== computed) {
    throw new CorruptSnapshotError(`Snapshot is corrupt (CRC is no longer valid). Stored crc: ${stored}. Computed crc: ${computed}`);
  }
  const count = buf.readInt32BE(6);
  if (count < 0 || buf.length !== SNAPSHOT_HEADER_BYTES + count * SNAPSHOT_ENTRY_BYTES) {
    throw new CorruptSnapshotError(`snapshot of ${buf.length} bytes does not hold ${count} entries`);
  }
  const entries: ProducerStateEntry[] = [];
  let pos = SNAPSHOT_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const lastSeq = buf.readInt32BE(pos + 10);
    const lastOffset = buf.readBigInt64BE(pos + 14);
    const offsetDelta = buf.readInt32BE(pos + 22);
    const timestamp = buf.readBigInt64BE(pos + 26);
    entries.push({
      producerId: buf.readBigInt64BE(pos),
      producerEpoch: buf.readInt16BE(pos + 8),
      batches: lastOffset >= 0n ? [{ lastSeq, lastOffset, offsetDelta, timestamp }] : [],
      lastTimestamp: timestamp,
      coordinatorEpoch: buf.readInt32BE(pos + 34),
      currentTxnFirstOffset: buf.readBigInt64BE(pos + 38),
    });
    pos += SNAPSHOT_ENTRY_BYTES;
  }
  return entries;
}

function emptyEntry(producerId: bigint): ProducerStateEntry {
  return { producerId, producerEpoch: NO_PRODUCER_EPOCH, batches: [], coordinatorEpoch: -1, currentTxnFirstOffset: -1n, lastTimestamp: -1n };
}

/** ProducerStateEntry.addBatch: a new epoch forgets the old epoch's batches. */
function addBatch(e: ProducerStateEntry, epoch: number, m: BatchMetadata): void {
  if (e.producerEpoch !== epoch) {
    e.producerEpoch = epoch;
    e.batches = [];
  }
  e.batches.push(m);
  if (e.batches.length > NUM_BATCHES_TO_RETAIN) e.batches.shift();
  e.lastTimestamp = m.timestamp;
}

function addLive(le: LiveEntry | undefined, epoch: number, b: LiveBatch): LiveEntry {
  if (!le || le.epoch !== epoch) le = { epoch, batches: [], txnOngoing: le?.txnOngoing ?? false, coordinatorEpoch: le?.coordinatorEpoch ?? -1 };
  le.batches.push(b);
  if (le.batches.length > NUM_BATCHES_TO_RETAIN) le.batches.shift();
  return le;
}

export class ProducerStateManager {
  private readonly applied = new Map<bigint, ProducerStateEntry>();
  private readonly live = new Map<bigint, LiveEntry>();
  /** First offset of each applied ongoing transaction, by producer id. */
  private readonly ongoing = new Map<bigint, bigint>();
  /** Appends not yet applied, in log order. */
  private readonly slots: AppendSlot[] = [];
  private endOffset = 0n;
  /** Offset of the newest snapshot on disk, or -1n. */
  private lastSnapOffset = -1n;
  private snapshotOffsets: bigint[] = [];
  private bytesSinceSnapshot = 0;
  private snapshotting: Promise<void> | null = null;
  private closed = false;
  private readonly logger: Logger;
  private readonly snapshotIntervalBytes: number;

  private constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly options: ProducerStateOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.snapshotIntervalBytes = options.snapshotIntervalBytes ?? DEFAULT_SNAPSHOT_INTERVAL_BYTES;
  }

  /** Rebuilds a partition's producer state from its newest usable snapshot and the log after it. */
  static async load(log: PartitionLog, options: ProducerStateOptions): Promise<ProducerStateManager> {
    const m = new ProducerStateManager(log.topic, log.partition, options);
    await m.loadFrom(log);
    return m;
  }

  /** Where the next append will be applied from: every batch below it is in the applied state. */
  get mapEndOffset(): bigint {
    return this.endOffset;
  }

  /** Offset of the newest snapshot written or loaded, or -1n. */
  get latestSnapshotOffset(): bigint {
    return this.lastSnapOffset;
  }

  /** Producers with applied state (Kafka's activeProducers; DescribeProducers). */
  activeProducers(): ReadonlyMap<bigint, Readonly<ProducerStateEntry>> {
    return this.applied;
  }

  /** The applied state of one producer. */
  lastEntry(producerId: bigint): Readonly<ProducerStateEntry> | undefined {
    return this.applied.get(producerId);
  }

  /** Appends registered and not yet applied. */
  get inFlight(): number {
    return this.slots.length;
  }

  /**
   * The smallest first offset of the applied ongoing transactions, or null when none (Kafka's
   * firstUnstableOffset); the last stable offset is the smaller of it and the high watermark.
   */
  firstUnstableOffset(): bigint | null {
    let min: bigint | null = null;
    for (const first of this.ongoing.values()) if (min === null || first < min) min = first;
    return min;
  }

  /** The applied ongoing transactions, oldest first. */
  ongoingTransactions(): OngoingTxn[] {
    const out: OngoingTxn[] = [];
    for (const [producerId, firstOffset] of this.ongoing) {
      const e = this.applied.get(producerId);
      if (!e) continue;
      out.push({ producerId, producerEpoch: e.producerEpoch, coordinatorEpoch: e.coordinatorEpoch, firstOffset, lastTimestamp: e.lastTimestamp });
    }
    return out.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  /**
   * Whether the producer has a transaction ongoing here in this epoch, counting appends still in
   * flight (KIP-890: only a producer's first transactional batch in a partition needs verification).
   */
  hasOngoingTransaction(producerId: bigint, producerEpoch: number): boolean {
    const live = this.live.get(producerId);
    return live !== undefined && live.txnOngoing && live.epoch === producerEpoch;
  }

  /**
   * The last stable offset right after `completed` ended (Kafka's lastStableOffset(CompletedTxn)):
   * the first offset of the oldest other ongoing transaction, else the offset after the marker.
   * Recorded with an aborted transaction, so a fetch knows where the aborted range's effect ends.
   */
  lastStableOffsetAfter(completed: Pick<CompletedTxn, 'producerId' | 'lastOffset'>): bigint {
    let min: bigint | null = null;
    for (const [pid, first] of this.ongoing) if (pid !== completed.producerId && (min === null || first < min)) min = first;
    return min ?? completed.lastOffset + 1n;
  }

  /**
   * Checks a batch about to be appended against the producer's state and, when it may be appended,
   * registers it (in log order: call the log's append right after, in the same tick). `batch` is
   * null for a batch without a producer id (only registered, for the snapshot offsets).
   */
  tryAppend(batch: ProducerBatch | null, bytes: number): AppendCheck {
    if (batch === null || batch.producerId < 0n) {
      const slot = new AppendSlot(null, bytes);
      this.slots.push(slot);
      return { kind: 'append', slot };
    }
    const pid = batch.producerId;
    const live = this.live.get(pid);
    const tp = `${this.topic}-${this.partition}`;

    // A retry of one of the last 5 batches: acknowledge it with its original offsets.
    if (live && live.epoch === batch.producerEpoch) {
      for (const lb of live.batches) {
        if (lb.firstSeq === batch.baseSequence && lb.lastSeq === batch.lastSequence) {
          return { kind: 'duplicate', original: lb.slot ? lb.slot.original() : Promise.resolve(duplicateOf(present(lb.meta, 'metadata of an applied batch'))) };
        }
      }
    }

    const currentEpoch = live ? live.epoch : NO_PRODUCER_EPOCH;
    if (batch.producerEpoch < currentEpoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.InvalidProducerEpoch,
        message: `Epoch of producer ${pid} in ${tp} is ${batch.producerEpoch}, which is smaller than the last seen epoch ${currentEpoch}`,
      };
    }
    if (batch.producerEpoch !== currentEpoch) {
      if (batch.baseSequence !== 0 && currentEpoch !== NO_PRODUCER_EPOCH) {
        return {
          kind: 'error',
          errorCode: ErrorCode.OutOfOrderSequenceNumber,
          message:
            `Invalid sequence number for new epoch of producer ${pid} in partition ${tp}: ${batch.producerEpoch} (request epoch), ` +
            `${batch.baseSequence} (seq. number), ${currentEpoch} (current producer epoch)`,
        };
      }
    } else if (currentEpoch !== NO_PRODUCER_EPOCH) {
      const lastSeq = live?.batches.at(-1)?.lastSeq ?? NO_SEQUENCE;
      if (!inSequence(lastSeq, batch.baseSequence)) {
        return {
          kind: 'error',
          errorCode: ErrorCode.OutOfOrderSequenceNumber,
          message:
            `Out of order sequence number for producer ${pid} in partition ${tp}: ${batch.baseSequence} (incoming seq. number), ` +
            `${lastSeq} (current end sequence number)`,
        };
      }
    }

    if (live?.txnOngoing === true && !batch.isTransactional) {
      return { kind: 'error', errorCode: ErrorCode.InvalidTxnState, message: `Expected transactional write from producer ${pid} in partition ${tp}` };
    }

    const slot = new AppendSlot(batch, bytes);
    this.slots.push(slot);
    const next = addLive(live, batch.producerEpoch, { firstSeq: batch.baseSequence, lastSeq: batch.lastSequence, slot, meta: null });
    if (batch.isTransactional) next.txnOngoing = true;
    this.live.set(pid, next);
    return { kind: 'append', slot };
  }

  /**
   * Checks a COMMIT/ABORT marker about to be appended (Kafka's appendEndTxnMarker from the
   * coordinator) and registers it, like tryAppend: call the log's append right after.
   */
  tryAppendMarker(marker: TxnMarker, bytes: number): { kind: 'append'; slot: AppendSlot } | { kind: 'error'; errorCode: number; message: string } {
    const pid = marker.producerId;
    const live = this.live.get(pid);
    const tp = `${this.topic}-${this.partition}`;
    if (live && marker.producerEpoch < live.epoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.InvalidProducerEpoch,
        message: `Epoch of producer ${pid} in ${tp} is ${marker.producerEpoch}, which is smaller than the last seen epoch ${live.epoch}`,
      };
    }
    if (live && live.coordinatorEpoch > marker.coordinatorEpoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.TransactionCoordinatorFenced,
        message: `Invalid coordinator epoch for producer ${pid} in partition ${tp}: ${marker.coordinatorEpoch} (zombie), ${live.coordinatorEpoch} (current)`,
      };
    }
    const slot = new AppendSlot(null, bytes, marker);
    this.slots.push(slot);
    // Kafka's maybeUpdateProducerEpoch: a new epoch forgets the batches of the old one.
    const next: LiveEntry = live && live.epoch === marker.producerEpoch ? live : { epoch: marker.producerEpoch, batches: [], txnOngoing: false, coordinatorEpoch: -1 };
    next.txnOngoing = false;
    next.coordinatorEpoch = marker.coordinatorEpoch;
    this.live.set(pid, next);
    return { kind: 'append', slot };
  }

  /** The append of `slot` succeeded. */
  complete(slot: AppendSlot, appended: AppendedBatch): void {
    if (slot.state !== 'pending') return;
    slot.state = 'done';
    slot.appended = appended;
    if (slot.batch) {
      slot.meta = {
        lastSeq: slot.batch.lastSequence,
        lastOffset: appended.lastOffset,
        offsetDelta: Number(appended.lastOffset - appended.baseOffset),
        timestamp: appended.maxTimestamp,
      };
      for (const w of slot.waiters) w.resolve(duplicateOf(slot.meta));
    }
    slot.waiters = [];
    this.drain();
  }

  /** The append of `slot` failed: it is forgotten (duplicates waiting on it get `err`). */
  fail(slot: AppendSlot, err: unknown): void {
    if (slot.state !== 'pending') return;
    slot.state = 'failed';
    slot.error = err;
    for (const w of slot.waiters) w.reject(err);
    slot.waiters = [];
    for (const w of slot.appliedWaiters) w.reject(err);
    slot.appliedWaiters = [];
    if (slot.batch) this.rebuildLive(slot.batch.producerId);
    if (slot.marker) this.rebuildLive(slot.marker.producerId);
    this.drain();
  }

  /** Applies settled appends from the head of the queue, in log order. */
  private drain(): void {
    for (let s = this.slots.at(0); s !== undefined && s.state !== 'pending'; s = this.slots.at(0)) {
      this.slots.shift();
      if (s.state !== 'done') continue;
      const appended = present(s.appended, 'offsets of a done append');
      if (s.marker) {
        s.completedTxn = this.applyMarker(s.marker, appended.lastOffset, appended.maxTimestamp);
      } else if (s.batch) {
        const pid = s.batch.producerId;
        const e = this.applied.get(pid) ?? emptyEntry(pid);
        addBatch(e, s.batch.producerEpoch, present(s.meta, 'metadata of a done append'));
        if (s.batch.isTransactional && e.currentTxnFirstOffset < 0n) {
          e.currentTxnFirstOffset = appended.baseOffset;
          this.ongoing.set(pid, appended.baseOffset);
        }
        this.applied.set(pid, e);
        // The live view now reads the applied metadata for this batch.
        const lb = this.live.get(pid)?.batches.find((b) => b.slot === s);
        if (lb) {
          lb.slot = null;
          lb.meta = s.meta;
        }
      }
      if (appended.lastOffset + 1n > this.endOffset) this.endOffset = appended.lastOffset + 1n;
      this.bytesSinceSnapshot += s.bytes;
      s.applied = true;
      for (const w of s.appliedWaiters) w.resolve(s.completedTxn);
      s.appliedWaiters = [];
    }
    if (this.bytesSinceSnapshot >= this.snapshotIntervalBytes && this.options.dir !== null && !this.snapshotting && !this.closed) {
      void this.takeSnapshot().catch((err: unknown) => { this.logger.warn({ err, topic: this.topic, partition: this.partition }, 'writing a producer state snapshot failed'); });
    }
  }

  /** The live view of one producer from its applied state and its appends still in flight. */
  private rebuildLive(pid: bigint): void {
    const e = this.applied.get(pid);
    let le: LiveEntry | undefined = e
      ? {
          epoch: e.producerEpoch,
          batches: e.batches.map((m) => ({ firstSeq: firstSeqOf(m), lastSeq: m.lastSeq, slot: null, meta: m })),
          txnOngoing: e.currentTxnFirstOffset >= 0n,
          coordinatorEpoch: e.coordinatorEpoch,
        }
      : undefined;
    for (const s of this.slots) {
      if (s.state === 'failed') continue;
      if (s.marker !== null && s.marker.producerId === pid) {
        if (!le || le.epoch !== s.marker.producerEpoch) le = { epoch: s.marker.producerEpoch, batches: [], txnOngoing: false, coordinatorEpoch: -1 };
        le.txnOngoing = false;
        le.coordinatorEpoch = s.marker.coordinatorEpoch;
        continue;
      }
      if (s.batch === null || s.batch.producerId !== pid) continue;
      le = addLive(le, s.batch.producerEpoch, { firstSeq: s.batch.baseSequence, lastSeq: s.batch.lastSequence, slot: s, meta: null });
      if (s.batch.isTransactional) le.txnOngoing = true;
    }
    if (le) this.live.set(pid, le);
    else this.live.delete(pid);
  }

  /**
   * Applies a stored batch's header (log recovery; Kafka's REPLICATION origin: no sequence checks,
   * a lower epoch is taken as it is). Control batches end the producer's transaction.
   */
  private replay(b: BatchInfo): void {
    if (b.producerId < 0n) return;
    const e = this.applied.get(b.producerId) ?? emptyEntry(b.producerId);
    if (b.isControl) {
      if (e.producerEpoch !== b.producerEpoch) {
        e.producerEpoch = b.producerEpoch;
        e.batches = [];
      }
      e.currentTxnFirstOffset = -1n;
      e.lastTimestamp = b.maxTimestamp;
    } else {
      const offsetDelta = Number(b.lastOffset - b.baseOffset);
      const lastSeq = b.baseSequence < 0 ? NO_SEQUENCE : incrementSequence(b.baseSequence, offsetDelta);
      addBatch(e, b.producerEpoch, { lastSeq, lastOffset: b.lastOffset, offsetDelta, timestamp: b.maxTimestamp });
      if (b.isTransactional && e.currentTxnFirstOffset < 0n) e.currentTxnFirstOffset = b.baseOffset;
    }
    this.applied.set(b.producerId, e);
  }

  /** Ends the producer's transaction at the marker's offset (Kafka's appendEndTxnMarker, applied). */
  private applyMarker(marker: TxnMarker, offset: bigint, timestamp: bigint): CompletedTxn | null {
    const pid = marker.producerId;
    const e = this.applied.get(pid) ?? emptyEntry(pid);
    // Only a transaction with data completes: an empty one moves no LSO and indexes nothing.
    const firstOffset = e.currentTxnFirstOffset;
    if (e.producerEpoch !== marker.producerEpoch) {
      e.producerEpoch = marker.producerEpoch;
      e.batches = [];
    }
    e.currentTxnFirstOffset = -1n;
    e.coordinatorEpoch = marker.coordinatorEpoch;
    e.lastTimestamp = timestamp;
    this.applied.set(pid, e);
    this.ongoing.delete(pid);
    if (firstOffset < 0n) return null;
    const completed = { producerId: pid, firstOffset, lastOffset: offset, isAborted: !marker.committed, lastStableOffset: -1n };
    completed.lastStableOffset = this.lastStableOffsetAfter(completed);
    return completed;
  }

  private isExpired(e: ProducerStateEntry, nowMs: number, expirationMs = this.options.producerIdExpirationMs): boolean {
    return e.currentTxnFirstOffset < 0n && BigInt(nowMs) - e.lastTimestamp >= BigInt(expirationMs);
  }

  /**
   * Drops producers idle for producer.id.expiration.ms (none with an append in flight); the
   * setting may be passed in, as it is a dynamic broker config. Returns how many were dropped.
   */
  removeExpiredProducers(nowMs: number, producerIdExpirationMs = this.options.producerIdExpirationMs): number {
    const busy = new Set<bigint>();
    for (const s of this.slots) {
      if (s.batch) busy.add(s.batch.producerId);
      if (s.marker) busy.add(s.marker.producerId);
    }
    let removed = 0;
    for (const [pid, e] of this.applied) {
      if (busy.has(pid) || !this.isExpired(e, nowMs, producerIdExpirationMs)) continue;
      this.applied.delete(pid);
      this.live.delete(pid);
      removed++;
    }
    return removed;
  }

  // -------------------------------------------------------------------------------------------
  // Loading and snapshots

  private async loadFrom(log: PartitionLog): Promise<void> {
    const dir = this.options.dir;
    const logStart = log.logStartOffset;
    const logEnd = log.logEndOffset;
    let from = logStart;
    if (dir !== null) {
      const offsets = await this.listSnapshots(dir);
      for (let i = offsets.length - 1; i >= 0; i--) {
        const offset = offsets[i];
        const file = path.join(dir, snapshotFileName(offset));
        if (offset > logEnd) {
          // The log was cut back below it (recovery after a crash): it describes batches that are gone.
          await unlink(file).catch(() => undefined);
          offsets.splice(i, 1);
          continue;
        }
        let bytes = -1;
        try {
          const content = await readFile(file);
          bytes = content.length;
          const entries = decodeSnapshot(content);
          const now = this.options.clock();
          for (const e of entries) if (!this.isExpired(e, now)) this.applied.set(e.producerId, e);
          this.lastSnapOffset = offset;
          from = offset > logStart ? offset : logStart;
          break;
        } catch (err) {
          if (!(err instanceof CorruptSnapshotError) && errorCode(err) !== 'ENOENT') throw new StorageError(`reading ${file}`, err);
          // Kafka's choice: the snapshot is derived from the log, which is read again instead.
          this.logger.warn(
            { file, bytes, err: (err as Error).message, topic: this.topic, partition: this.partition },
            `producer state snapshot ${file} is unreadable (${(err as Error).message}${bytes >= 0 ? `; ${bytes} bytes from byte 0` : ''}): removing it and rebuilding the producer state from the log (an older snapshot or the log start)`,
          );
          await unlink(file).catch(() => undefined);
          offsets.splice(i, 1);
        }
      }
      this.snapshotOffsets = offsets;
    }
    this.endOffset = from;
    if (from < logEnd) {
      for await (const b of log.batches(from)) {
        if (b.lastOffset < from) continue;
        this.replay(b);
        if (b.lastOffset + 1n > this.endOffset) this.endOffset = b.lastOffset + 1n;
      }
    }
    if (this.endOffset < logEnd) this.endOffset = logEnd;
    for (const [pid, e] of this.applied) {
      if (e.currentTxnFirstOffset >= 0n) this.ongoing.set(pid, e.currentTxnFirstOffset);
      this.rebuildLive(pid);
    }
    this.logger.debug(
      { topic: this.topic, partition: this.partition, producers: this.applied.size, snapshot: this.lastSnapOffset.toString(), scannedFrom: from.toString() },
      'loaded producer state',
    );
    if (dir !== null && this.lastSnapOffset !== this.endOffset && this.endOffset > logStart) {
      // Spare the next start this scan.
      void this.takeSnapshot().catch((err: unknown) => { this.logger.warn({ err, topic: this.topic, partition: this.partition }, 'writing a producer state snapshot failed'); });
    }
  }

  /** Snapshot offsets in `dir`, ascending; leftover temporary files are removed. */
  private async listSnapshots(dir: string): Promise<bigint[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return [];
      throw new StorageError(`listing ${dir}`, err);
    }
    const offsets: bigint[] = [];
    for (const name of names) {
      if (name.endsWith(SNAPSHOT_SUFFIX + '.tmp')) {
        await unlink(path.join(dir, name)).catch(() => undefined);
        continue;
      }
      const m = /^(\d{20})\.snapshot$/.exec(name);
      if (m) offsets.push(BigInt(m[1]));
    }
    return offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * Writes the applied state at mapEndOffset, unless a snapshot at that offset exists. One at a
   * time; the newest two snapshots are kept. No-op for memory-only state.
   */
  takeSnapshot(): Promise<void> {
    const dir = this.options.dir;
    if (dir === null) return Promise.resolve();
    const run = async (): Promise<void> => {
      const offset = this.endOffset;
      if (offset <= this.lastSnapOffset) return;
      const bytes = encodeSnapshot(this.applied.values());
      this.bytesSinceSnapshot = 0;
      const name = snapshotFileName(offset);
      try {
        await replaceFileDurably(dir, name, bytes);
      } catch (err) {
        throw new StorageError(`writing producer snapshot ${path.join(dir, name)}`, err);
      }
      this.lastSnapOffset = offset;
      this.snapshotOffsets.push(offset);
      for (let old = this.snapshotOffsets.at(0); this.snapshotOffsets.length > SNAPSHOTS_KEPT && old !== undefined; old = this.snapshotOffsets.at(0)) {
        this.snapshotOffsets.shift();
        await unlink(path.join(dir, snapshotFileName(old))).catch(() => undefined);
      }
    };
    const previous = this.snapshotting ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(run);
    // The caller gets `next` and its failure; the tracking chain must never reject, or a failed
    // snapshot would also be an unhandled rejection (which ends a Node process by default).
    const tracked: Promise<void> = next.then(
      () => { this.settled(tracked); },
      () => { this.settled(tracked); },
    );
    this.snapshotting = tracked;
    return next;
  }

  private settled(snapshot: Promise<void>): void {
    if (this.snapshotting === snapshot) this.snapshotting = null;
  }

  /** Writes a final snapshot (clean shutdown). Later appends are not expected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await (this.snapshotting ?? Promise.resolve()).catch(() => undefined);
    await this.takeSnapshot();
  }

  /** Stops without writing anything (the partition was deleted). */
  abandon(): void {
    this.closed = true;
  }
}
