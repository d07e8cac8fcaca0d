/**
 * What the log cleaner needs of a partition log, implemented by the disk log and its in-memory
 * twin: a view of its segments, their batches, a place to write a cleaned segment, and an atomic
 * swap of a group of segments for the cleaned one.
 *
 * The swap runs in the log's own order of changes (the disk log's queue), so appends, reads,
 * retention, DeleteRecords and truncation never see half of it; it refuses (resolves false) when
 * the log changed under the cleaner in a way that makes the cleaned segment wrong: a truncation
 * since the view was taken, or any of the group's segments gone (retention, DeleteRecords).
 */
import type { AbortedTxn, PartitionLog } from './types.js';

export interface CleanerSegment {
  readonly baseOffset: bigint;
  /** Bytes of the log file. */
  readonly size: number;
  /** Bytes of the offset and time indexes (Kafka groups segments within segment.index.bytes). */
  readonly offsetIndexBytes: number;
  readonly timeIndexBytes: number;
  /** Largest record timestamp, or the file's modification time when none (Kafka's largestTimestamp). */
  readonly largestTimestamp: number;
  /** Max timestamp of the first batch, -1 when empty (max.compaction.lag.ms). */
  readonly firstBatchTimestamp: bigint;
  /** The file's modification time (kept by the cleaned segment). */
  readonly lastModifiedMs: number;
}

export interface CleanerView {
  /** Every segment, oldest first; the last one is the active segment. */
  readonly segments: readonly CleanerSegment[];
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  /** Changes with every truncation: a swap against an older view is refused. */
  readonly generation: number;
}

/** A cleaned segment being written; its batches are in offset order. */
export interface CleanedSegmentWriter {
  readonly baseOffset: bigint;
  /** Adds whole batches at the end. */
  append(batches: readonly Buffer[]): Promise<void>;
  /** Bytes written so far. */
  readonly size: number;
  /** The aborted transactions whose ABORT markers it holds (its transaction index). */
  setAbortedTxns(txns: readonly AbortedTxn[]): void;
  /** Drops what was written. */
  abort(): Promise<void>;
}

/** Bytes the cleaner reads from a segment at a time. */
export const CLEANER_READ_BYTES = 1 << 20;

/** A read buffer a cleaner thread reuses for every segment it reads. */
export interface ReadScratch {
  buffer: Buffer;
}

export interface CleanableLog {
  /** The segments as they are now, with their indexes loaded (their sizes count in grouping). */
  cleanerView(): Promise<CleanerView>;
  /**
   * The whole batches of a segment of `view`, in chunks (each a list of batches in offset order,
   * valid until the next chunk is asked for). A disk log reads them into `scratch.buffer`, which
   * the caller keeps from walk to walk (a megabyte allocated per walk drove full collections that
   * paused produce), and leaves there a larger one when a batch needed it.
   */
  segmentBatches(segment: CleanerSegment, scratch?: ReadScratch): AsyncIterable<Buffer[]>;
  /** Starts a cleaned segment that will replace segments from `baseOffset` on. */
  newCleanedSegment(baseOffset: bigint): Promise<CleanedSegmentWriter>;
  /**
   * Replaces `group` (consecutive segments of `view`, never the active one) with the cleaned
   * segment, atomically and crash-safely; resolves false, writing nothing, when the log changed so
   * that the swap would be wrong (the caller aborts the writer).
   */
  replaceSegments(view: CleanerView, group: readonly CleanerSegment[], cleaned: CleanedSegmentWriter): Promise<boolean>;
}

export function isCleanable(log: PartitionLog): log is PartitionLog & CleanableLog {
  const l = log as Partial<CleanableLog>;
  return typeof l.cleanerView === 'function' && typeof l.replaceSegments === 'function';
}
