/**
 * The storage engine's contract. Handlers and the coordinator depend on these interfaces only,
 * never on an engine: the disk log (Kafka's segment layout) and the in-memory twin both implement
 * them and pass one behavioural test suite.
 *
 * Offsets and timestamps are bigint, as on the wire. A partition's appends are serialized by the
 * log itself (one at a time, in call order); reads may run concurrently with appends and never see
 * a half-appended batch.
 */
import type { LeaderEpochCache } from './leader-epoch-cache.js';

/** Per-partition settings, Kafka's topic config names in camelCase with Kafka's defaults. */
export interface LogConfig {
  /** segment.bytes: roll when the active segment would exceed this (default 1 GiB). */
  segmentBytes: number;
  /** segment.ms: roll when the active segment's first batch is older than this (default 7 days). */
  segmentMs: number;
  /** segment.index.bytes: maximum size of an offset or time index file (default 10 MiB). */
  segmentIndexBytes: number;
  /** index.interval.bytes: bytes of log between two offset index entries (default 4096). */
  indexIntervalBytes: number;
  /** retention.ms: delete segments whose newest record is older (default 7 days; -1 = forever). */
  retentionMs: number;
  /** retention.bytes: delete oldest segments while the log is larger (default -1 = no limit). */
  retentionBytes: number;
  /** flush.messages: fsync after this many messages (default: never, leave it to the OS). */
  flushMessages: number;
  /** flush.ms: fsync when the oldest unflushed append is this old (default: never). */
  flushMs: number;
  /** file.delete.delay.ms: how long deleted segments linger renamed before removal (default 60 s). */
  fileDeleteDelayMs: number;
  /** Present when cleanup.policy contains compact: the log cleaner keeps the latest record per key. */
  compaction?: CompactionConfig;
}

/** The settings of a compacted log (cleanup.policy=compact or compact,delete), Kafka's topic configs. */
export interface CompactionConfig {
  /** cleanup.policy also contains delete: retention.ms and retention.bytes apply too. */
  delete: boolean;
  /** delete.retention.ms: how long tombstones and transaction markers outlive their first clean (default 1 day). */
  deleteRetentionMs: number;
  /** min.cleanable.dirty.ratio (default 0.5). */
  minCleanableDirtyRatio: number;
  /** min.compaction.lag.ms: records at least this old only are compacted (default 0). */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: a dirty record this old makes the log due for cleaning whatever its ratio. */
  maxCompactionLagMs: number;
}

export const DEFAULT_COMPACTION_CONFIG: CompactionConfig = {
  delete: false,
  deleteRetentionMs: 86_400_000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
};

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  fileDeleteDelayMs: 60_000,
};

export interface AppendOptions {
  /** Written into each batch's partitionLeaderEpoch field. */
  leaderEpoch: number;
  /** When the topic uses LogAppendTime: the broker time to stamp into each batch's maxTimestamp. */
  logAppendTimeMs?: bigint;
}

export interface AppendResult {
  /** Offset given to the first record of the first batch. */
  baseOffset: bigint;
  /** Offset of the last record of the last batch. */
  lastOffset: bigint;
  /** The LogAppendTime stamped, or -1n when batches keep their CreateTime. */
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
}

export interface ReadOptions {
  /** Stop before this many bytes, except that the first batch is always returned whole. */
  maxBytes: number;
  /** Never return batches at or beyond this offset (high watermark / last stable offset). */
  maxOffset?: bigint;
  /**
   * Where the read gets the buffers it reads into (the returned batches are views of them); by
   * default fresh ones. The caller decides when their bytes may be overwritten (a fetch: once the
   * socket has written them).
   */
  buffers?: ReadBufferSource;
}

/** Hands a read `size` bytes to fill; they are the read result's until the caller says otherwise. */
export interface ReadBufferSource {
  allocate(size: number): Buffer;
}

export interface ReadResult {
  /**
   * Whole stored batches, as stored (base offsets assigned), starting with the batch that contains
   * the requested offset. Consumers skip records below their fetch offset themselves.
   */
  records: Buffer[];
  /** Total bytes in `records`. */
  size: number;
  logStartOffset: bigint;
  /** The next offset to be assigned (log end offset). */
  logEndOffset: bigint;
}

/** An offset together with the timestamp found for it (ListOffsets). */
export interface TimestampOffset {
  offset: bigint;
  timestamp: bigint;
}

/** Thrown by reads outside [logStartOffset, logEndOffset]: Kafka's OFFSET_OUT_OF_RANGE. */
export class OffsetOutOfRangeError extends Error {
  override readonly name = 'OffsetOutOfRangeError';
  constructor(
    readonly offset: bigint,
    readonly logStartOffset: bigint,
    readonly logEndOffset: bigint,
  ) {
    super(`offset ${offset} is outside [${logStartOffset}, ${logEndOffset}]`);
  }
}

/** A disk failure (ENOSPC, EIO, ...) surfaced to the caller: Kafka's KAFKA_STORAGE_ERROR. */
export class StorageError extends Error {
  override readonly name: string = 'StorageError';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/**
 * A follower append whose batches do not continue the log (Kafka's UnexpectedAppendOffsetException
 * and OffsetsOutOfOrderException): they overlap what the log holds or go backwards. The replica
 * fetcher truncates, or starts the log afresh, and fetches again.
 */
export class UnexpectedAppendOffsetError extends StorageError {
  override readonly name = 'UnexpectedAppendOffsetError';
  constructor(
    message: string,
    /** Base offset of the first batch of the append. */
    readonly firstOffset: bigint,
    /** Last offset of the first batch of the append. */
    readonly lastOffsetOfFirstBatch: bigint,
    /** The log end offset the append had to continue at; -1 when its offsets go backwards (checked before its turn). */
    readonly logEndOffset: bigint,
  ) {
    super(message);
  }
}

/**
 * Damaged bytes met by a read where a whole batch should be (Kafka's CorruptRecordException:
 * CORRUPT_MESSAGE to a fetching client). A StorageError, so callers that know no better answer
 * KAFKA_STORAGE_ERROR. `firstReport` is true only the first time this damage is met, so that a
 * consumer retrying the same fetch logs it once, not once per try.
 */
export class CorruptRecordError extends StorageError {
  override readonly name = 'CorruptRecordError';
  constructor(
    /** The segment file. */
    readonly file: string,
    /** Byte position of the damage in the file. */
    readonly position: number,
    readonly reason: string,
    readonly firstReport: boolean,
  ) {
    super(`${file} is damaged at byte ${position}: ${reason}`);
  }
}

/** Batch header facts the log keeps per batch for producer-state recovery and listings. */
export interface BatchInfo {
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  isControl: boolean;
  /** For a control batch, the type of its control record: 0 ABORT, 1 COMMIT; -1 otherwise. */
  controlType: number;
  /** The epoch of the leader that appended the batch (-1 when none was stamped). */
  partitionLeaderEpoch: number;
}

/**
 * A transaction aborted by the marker at `lastOffset` (Kafka's AbortedTxn, one entry of a segment's
 * .txnindex). A read_committed consumer drops the producer's records in [firstOffset, lastOffset].
 */
export interface AbortedTxn {
  producerId: bigint;
  /** Offset of the transaction's first batch. */
  firstOffset: bigint;
  /** Offset of the ABORT marker. */
  lastOffset: bigint;
  /** The last stable offset once the marker was written: the search stops at an entry past the fetch range. */
  lastStableOffset: bigint;
}

export interface PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly config: LogConfig;

  /** First offset still readable. */
  readonly logStartOffset: bigint;
  /** The next offset to be assigned. */
  readonly logEndOffset: bigint;
  /** Bytes of all segments. */
  readonly size: number;
  /**
   * What opening the log recovered (disk logs): segments scanned and checked or whose indexes were
   * rebuilt, and the bytes cut off as torn or corrupt. For the broker's start summary.
   */
  readonly recovered?: { segments: number; truncatedBytes: number };

  /**
   * The leader epochs of the log and the offset each began at (Kafka's leader epoch cache): kept
   * by appends, truncations and log start moves; a disk log keeps it in `leader-epoch-checkpoint`.
   */
  readonly leaderEpochs: LeaderEpochCache;

  /**
   * Appends `batches` (one or more validated v2 record batches, concatenated): assigns base
   * offsets, stamps leader epoch (and LogAppendTime when asked), fixes the CRC when it changed
   * something, and writes. Resolves once the bytes are in the OS page cache.
   */
  append(batches: Buffer, options: AppendOptions): Promise<AppendResult>;

  /**
   * Follower append: `batches` come from the leader with offsets, epochs and timestamps set. Checks
   * each batch (magic 2, lengths, CRC32C, record count against the offset delta) and that they
   * continue the log: the first at or after logEndOffset (a compacted leader's log has gaps),
   * offsets increasing. Writes them unchanged and assigns each new partitionLeaderEpoch in
   * leaderEpochs. As Kafka, an incomplete batch at the end (a fetch response may end in one) is
   * left out, and no whole batch appends nothing (the result then has lastOffset = baseOffset - 1).
   * Throws UnexpectedAppendOffsetError (a StorageError) when they overlap the log or go backwards,
   * StorageError when a batch is damaged.
   */
  appendAsFollower(batches: Buffer): Promise<AppendResult>;

  /** Reads from `offset`; throws OffsetOutOfRangeError outside [logStartOffset, logEndOffset]. */
  read(offset: bigint, options: ReadOptions): Promise<ReadResult>;

  /** First offset whose batch max timestamp is >= `timestamp`, or null when none (ListOffsets). */
  offsetForTimestamp(timestamp: bigint): Promise<TimestampOffset | null>;

  /** The offset and timestamp of the record with the largest timestamp (ListOffsets -3), or null. */
  maxTimestamp(): Promise<TimestampOffset | null>;

  /** Batch headers from `fromOffset` to the end, in order (producer-state rebuild). */
  batches(fromOffset: bigint): AsyncIterable<BatchInfo>;

  /**
   * Records the transaction aborted by the marker at txn.lastOffset (Kafka's .txnindex of that
   * offset's segment). Call after the marker's append resolved.
   */
  appendAbortedTxn(txn: AbortedTxn): Promise<void>;

  /**
   * Aborted transactions with lastOffset >= fromOffset and firstOffset < upperBoundOffset, oldest
   * first (Kafka's collectAbortedTransactions).
   */
  abortedTxns(fromOffset: bigint, upperBoundOffset: bigint): Promise<AbortedTxn[]>;

  /** Removes everything at or after `offset`; the leader epochs starting there go too. */
  truncateTo(offset: bigint): Promise<void>;

  /**
   * Kafka's truncateFullyAndStartAt: deletes every segment and starts the log empty at `offset`
   * (log start and end), wherever that is, and forgets the leader epochs. A follower whose log
   * ends below the leader's log start does this.
   */
  truncateFullyAndStartAt(offset: bigint): Promise<void>;

  /** DeleteRecords: moves the log start offset forward (never past the end), deleting whole segments below it. */
  deleteRecordsBefore(offset: bigint): Promise<bigint>;

  /** Starts a new active segment now. */
  roll(): Promise<void>;

  /** Deletes whole segments beyond retention.ms / retention.bytes; never the active one. Returns how many. */
  applyRetention(nowMs: number): Promise<number>;

  /** Applies new per-partition settings (AlterConfigs). */
  updateConfig(config: LogConfig): void;

  /** Calls fsync on unflushed data. */
  flush(): Promise<void>;

  /** Flushes and closes files; a later open skips recovery when every log closed cleanly. */
  close(): Promise<void>;
}
