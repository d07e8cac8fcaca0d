/**
 * A partition's log on disk (Kafka's UnifiedLog + LocalLog): the segments of
 * `<log dir>/<topic>-<partition>/` (segment-files.ts lists the files), appends, reads, rolls,
 * retention, truncation and the log start offset.
 *
 * **Ordering.** Every change (append, roll, truncation, DeleteRecords, retention, flush, close) goes
 * through one queue and runs alone, in call order. Appends waiting in the queue together are written
 * as one group: each gets its offsets and its roll check as if it were alone, and the group reaches
 * the file in one vectored write (group commit), so concurrent producers cost one trip to the thread
 * pool, not one each. After a group of several, the next group waits one turn of the event loop
 * for producers that are still handing in appends (a lone producer never waits). Reads do not queue; they see only published state: the log end offset and a
 * segment's readable size move forward only after the write that covers them completed, so a read
 * never meets a half-written batch.
 *
 * **I/O.** Reads go through libuv's thread pool: a read of cold data must not stall the event loop
 * and with it every other connection. They are positional and sized to the request (one read of
 * about maxBytes; the returned batches are slices of it). Appends up to 1 MiB are written on the
 * event loop's thread while writes stay fast (SyncWritePolicy), bigger ones through the pool. The
 * last small appends of the log are also copied into the broker's in-memory BatchCache, so a consumer
 * keeping up with small produces is served without any I/O.
 *
 * **Durability.** An append resolves once its bytes are written to the OS (Kafka's meaning of
 * acknowledged). flush.messages / flush.ms add fsync; a rolled segment is fsynced before the next
 * one is created, so after a crash only the active segment needs a scan (recovery.ts), which also
 * rebuilds its aborted-transaction index (transaction-index.ts, txn-index-recovery.ts). close()
 * fsyncs and trims the index files; the caller records the clean shutdown.
 *
 * **Failures.** A failed write (ENOSPC, EIO, ...) rejects the appends it carried with StorageError
 * and is undone (the file is cut back to its last good size, the in-memory indexes forget its
 * entries); the log stays usable. If the undo itself fails, or an fsync fails (the page cache state
 * is then unknown), the log goes offline: changes are refused with StorageError until it is
 * reopened, which recovers it. Reads keep working. Damaged bytes that a read meets (a clean shutdown
 * skips recovery, so damage written after it is found only then) end the read after the intact
 * batches before them; a read that starts at them throws CorruptRecordError (CORRUPT_MESSAGE).
 */
import { ConcurrencyLimit } from '../util/bounded.js';
import { join } from 'node:path';
import { ATTRIBUTES_OFFSET, BASE_OFFSET_OFFSET, CONTROL_FLAG, LAST_OFFSET_DELTA_OFFSET, MAX_TIMESTAMP_OFFSET, PARTITION_LEADER_EPOCH_OFFSET, RecordBatchView } from '../protocol/records/index.js';
import { BatchCache, TailWindow } from './batch-cache.js';
import { BatchScanner } from './batch-scanner.js';
import {
  IndexAccounting,
  appendShape,
  batchInfoOf,
  checkFollowerAppendStart,
  controlTypeOf,
  firstRecordAtOrAfter,
  floorSegment,
  recordWithTimestamp,
  rollReason,
  splitForAppend,
  splitForFollowerAppend,
  stampBatch,
} from './log-rules.js';
import type { FollowerAppend } from './log-rules.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import type { EpochEntry } from './leader-epoch-cache.js';
import { LEADER_EPOCH_CHECKPOINT_FILE, readLeaderEpochCheckpoint, writeLeaderEpochCheckpoint } from './leader-epoch-checkpoint.js';
import { blockingReadText } from './blocking-file.js';
import { silentLogger } from '../util/logger.js';
import { LogSegment } from './log-segment.js';
import { CLEANED_SUFFIX, DiskCleanedSegment, SWAP_SUFFIX } from './cleaned-segment.js';
import { CLEANER_READ_BYTES, type CleanableLog, type CleanedSegmentWriter, type CleanerSegment, type CleanerView, type ReadScratch } from './cleanable-log.js';
import { loadLog } from './recovery.js';
import type { LoadedLog, LoadOptions } from './recovery.js';
import type { Logger } from '../util/logger.js';
import { errorCode, openStorageFile, syncDir, writeLogStartOffset } from './segment-files.js';
import { SyncWritePolicy } from './sync-write-policy.js';
import type { OpenFile } from './segment-files.js';
import { CorruptRecordError, OffsetOutOfRangeError, StorageError } from './types.js';
import { present } from '../util/must-get.js';
import { checkAbortedTxn, TransactionIndex } from './transaction-index.js';
import { removeTxnRecoveryPoint, writeTxnRecoveryPoint } from './txn-index-recovery.js';
import type {
  AbortedTxn,
  AppendOptions,
  AppendResult,
  BatchInfo,
  LogConfig,
  PartitionLog,
  ReadBufferSource,
  ReadOptions,
  ReadResult,
  TimestampOffset,
} from './types.js';

export interface DiskPartitionLogOptions {
  /** True when the previous run closed every log (the log manager's clean-shutdown marker). */
  cleanShutdown: boolean;
  /** Milliseconds clock (segment.ms, flush.ms); defaults to Date.now. */
  clock?: () => number;
  /**
   * Cache of recently appended batches, shared by the logs of one broker (the log manager owns it);
   * null or absent: none.
   */
  batchCache?: BatchCache | null;
  /** Opens files; tests wrap it to inject disk errors. */
  openFile?: OpenFile;
  /**
   * Opens files while loading, with synchronous calls (blocking-file.ts): the log manager's start.
   * Ignored when `openFile` is given, so that injected faults apply to loading too.
   */
  loadFile?: OpenFile;
  /**
   * Which appends are written synchronously, shared by the logs of one broker (the log manager
   * owns it); absent: a policy of this log's own.
   */
  syncWritePolicy?: SyncWritePolicy;
  /**
   * Bounds the broker's durable writes of leader-epoch-checkpoint files: the first append to each of
   * thousands of partitions writes one (a temporary file and the folder, two descriptors each), and
   * all at once they would run the broker out of descriptors. Absent: unbounded.
   */
  checkpointWrites?: ConcurrencyLimit;
  /** Where recovery reports what it cut (recovery.ts). Default: silent. */
  logger?: Logger;
}

const ABORT = 0;

/** A group write never exceeds this (more waits for the next group) nor 1024 appends. */
const MAX_GROUP_BYTES = 8 * 1024 * 1024;
const MAX_GROUP_APPENDS = 1024;
/** Read positions remembered for consumers that continue where their last read ended. */
const MAX_HINTS = 256;

interface PendingAppend {
  kind: 'append';
  buffer: Buffer;
  starts: number[];
  ends: number[];
  /** Offsets the batches take (sum of lastOffsetDelta + 1). */
  span: bigint;
  options: AppendOptions;
  /** A follower append: the batches keep the leader's offsets, epochs and timestamps. */
  follower: FollowerAppend | null;
  /** Filled when stamped. */
  baseOffsets: bigint[];
  lastOffsets: bigint[];
  /** Offsets given to ABORT markers among the batches. */
  abortMarkers: bigint[];
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

interface PendingTask {
  kind: 'task';
  name: string;
  /** Runs even when the log is offline (close). */
  whenOffline: boolean;
  run: () => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** What to restore when a group write fails. */
interface Snapshot {
  seg: LogSegment;
  writePosition: number;
  offsetEntries: number;
  timeEntries: number;
  accounting: IndexAccounting;
  firstBatchTimestamp: bigint;
}

/** Wraps an fs error as StorageError (Kafka's KAFKA_STORAGE_ERROR); passes StorageError through. */
function toStorageError(op: string, e: unknown): StorageError {
  if (e instanceof StorageError) return e;
  const code = errorCode(e);
  const message = e instanceof Error ? e.message : String(e);
  return new StorageError(`${op} failed${code === undefined ? '' : ` (${code})`}: ${message}`, e);
}

/**
 * Opens (creating it if needed) the log of `topic`-`partition` whose partition directory is `dir`
 * (`<log dir>/<topic>-<partition>`, see partitionDirName), recovering it when the previous run did
 * not shut down cleanly.
 */
export async function openDiskPartitionLog(
  dir: string,
  topic: string,
  partition: number,
  config: LogConfig,
  options: DiskPartitionLogOptions,
): Promise<DiskPartitionLog> {
  const clock = options.clock ?? Date.now;
  const openFile = options.openFile ?? openStorageFile;
  const partitionDir = dir;
  const logger = options.logger ?? silentLogger;
  let loaded: LoadedLog;
  let checkpoint: Awaited<ReturnType<typeof readLeaderEpochCheckpoint>>;
  try {
    const loadFile = options.openFile === undefined ? options.loadFile : undefined;
    const load: LoadOptions = { cleanShutdown: options.cleanShutdown, openFile, nowMs: clock() };
    if (options.logger !== undefined) load.logger = options.logger;
    if (loadFile !== undefined) load.loadFile = loadFile;
    loaded = await loadLog(partitionDir, config, load);
    checkpoint = await readLeaderEpochCheckpoint(partitionDir, loadFile === undefined ? undefined : blockingReadText);
  } catch (e) {
    throw toStorageError(`opening ${partitionDir}`, e);
  }
  const writes = options.checkpointWrites;
  const epochs = new LeaderEpochCache('entries' in checkpoint ? checkpoint.entries : [], (entries) =>
    writes ? writes.run(() => writeLeaderEpochCheckpoint(partitionDir, entries, openFile)) : writeLeaderEpochCheckpoint(partitionDir, entries, openFile),
  );
  const cache = options.batchCache ?? null;
  const policy = options.syncWritePolicy ?? new SyncWritePolicy();
  const log = new DiskPartitionLog(topic, partition, partitionDir, config, loaded, clock, openFile, cache, policy, epochs);
  try {
    await log.settleLeaderEpochs(checkpoint, loaded.activeSegmentEpochs, logger);
  } catch (e) {
    await log.close().catch(() => undefined);
    throw toStorageError(`loading the leader epochs of ${partitionDir}`, e);
  }
  return log;
}

/** A segment as the cleaner sees it, tied to the segment object it was taken from. */
class DiskCleanerSegment implements CleanerSegment {
  readonly baseOffset: bigint;
  readonly size: number;
  readonly offsetIndexBytes: number;
  readonly timeIndexBytes: number;
  readonly largestTimestamp: number;
  readonly firstBatchTimestamp: bigint;
  readonly lastModifiedMs: number;
  constructor(readonly seg: LogSegment) {
    this.baseOffset = seg.baseOffset;
    this.size = seg.size;
    this.offsetIndexBytes = seg.loadedOffsetIndex.entries * 8;
    this.timeIndexBytes = seg.loadedTimeIndex.entries * 12;
    this.largestTimestamp = seg.largestTimestampForRetention();
    this.firstBatchTimestamp = seg.firstBatchTimestamp;
    this.lastModifiedMs = seg.mtimeMs;
  }
}

export class DiskPartitionLog implements PartitionLog, CleanableLog {
  readonly topic: string;
  readonly partition: number;
  /** The partition directory. */
  readonly dir: string;
  /** What opening found: the active segment's scan after an unclean shutdown, rebuilt indexes. */
  readonly recovery: LoadedLog['recovery'];
  readonly rebuiltIndexes: bigint[];
  readonly recovered: { segments: number; truncatedBytes: number };
  readonly leaderEpochs: LeaderEpochCache;
  private cfg: LogConfig;
  private segments: LogSegment[];
  private startOffset: bigint;
  private endOffset: bigint;
  private readonly clock: () => number;
  private readonly openFile: OpenFile;
  private readonly window: TailWindow | null;
  private readonly syncWritePolicy: SyncWritePolicy;
  private readonly queue: (PendingAppend | PendingTask)[] = [];
  private draining = false;
  /** Appends in the last group write (see drain). */
  private lastGroupSize = 0;
  private failure: StorageError | null = null;
  /** Set when close() is called: later changes are refused. */
  private closing = false;
  /** Set when close() has run: reads are refused too. */
  private closed = false;
  private closePromise: Promise<void> | null = null;
  private truncations = 0;
  private unflushedMessages = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly pendingDeletes = new Map<LogSegment, NodeJS.Timeout>();
  private readonly hints = new Map<bigint, { seg: LogSegment; position: number }>();
  /** ABORT markers appended whose index entry was not yet recorded (appendAbortedTxn), in offset order. */
  private unindexedAborts: bigint[] = [];
  /** The offset in the transaction index recovery point file, null when there is none (txn-index-recovery.ts). */
  private txnRecoveryPoint: bigint | null = null;
  /**
   * The active segment as opened, when its files on disk were then exactly its state (a clean
   * shutdown before): close() has nothing to fsync or write while it stays so.
   */
  private readonly asOpened: { seg: LogSegment; size: number; truncations: number } | null;

  /** Use openDiskPartitionLog. */
  constructor(
    topic: string,
    partition: number,
    dir: string,
    config: LogConfig,
    loaded: LoadedLog,
    clock: () => number,
    openFile: OpenFile,
    cache: BatchCache | null,
    syncWritePolicy: SyncWritePolicy,
    leaderEpochs: LeaderEpochCache,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.dir = dir;
    this.cfg = config;
    this.segments = loaded.segments;
    this.startOffset = loaded.logStartOffset;
    this.endOffset = loaded.logEndOffset;
    this.leaderEpochs = leaderEpochs;
    this.recovery = loaded.recovery;
    this.rebuiltIndexes = loaded.rebuiltIndexes;
    this.recovered = {
      segments: loaded.rebuiltIndexes.length + (loaded.recovery === null ? 0 : 1),
      truncatedBytes: loaded.recovery?.truncatedBytes ?? 0,
    };
    this.clock = clock;
    this.openFile = openFile;
    this.window = cache === null ? null : cache.window();
    this.syncWritePolicy = syncWritePolicy;
    const active = this.segments[this.segments.length - 1];
    this.asOpened = loaded.indexFilesCurrent ? { seg: active, size: active.size, truncations: 0 } : null;
  }

  /**
   * Opening, after the segments are loaded: the checkpoint's epochs, or when it is missing or
   * damaged the epochs rebuilt from every batch's partitionLeaderEpoch (reported; nothing else is
   * touched), plus those of a recovered active segment; then trimmed to the log's offsets (recovery
   * may have cut a torn tail, a crash may have lost a trim), as Kafka's LogLoader does.
   */
  async settleLeaderEpochs(
    checkpoint: Awaited<ReturnType<typeof readLeaderEpochCheckpoint>>,
    recovered: readonly EpochEntry[],
    logger: Logger,
  ): Promise<void> {
    const epochs = this.leaderEpochs;
    if (!('entries' in checkpoint)) {
      const found = await this.scanLeaderEpochs();
      const empty = this.startOffset === this.endOffset;
      const count = `${found.length} ${found.length === 1 ? 'entry' : 'entries'}`;
      if ('problem' in checkpoint) {
        logger.warn(
          { file: join(this.dir, LEADER_EPOCH_CHECKPOINT_FILE), problem: checkpoint.problem, entries: found.length },
          `${checkpoint.problem}: the leader epochs were rebuilt from the log's batches (${count})`,
        );
      } else if (!empty) {
        logger.info({ file: join(this.dir, LEADER_EPOCH_CHECKPOINT_FILE), entries: found.length }, `no ${LEADER_EPOCH_CHECKPOINT_FILE}: the leader epochs were rebuilt from the log's batches (${count})`);
      }
      await epochs.assignAll(found);
      // A damaged file gives way to what was found, even nothing; a new log's file waits for its first epoch.
      if (found.length === 0 && 'problem' in checkpoint) await writeLeaderEpochCheckpoint(this.dir, [], this.openFile);
    } else {
      await epochs.assignAll(recovered);
    }
    await epochs.truncateFromEnd(this.endOffset);
    await epochs.truncateFromStart(this.startOffset);
  }

  /** Each leader epoch the log's batches begin, in order (Kafka's assign rules: a smaller epoch than the last is ignored). */
  private async scanLeaderEpochs(): Promise<EpochEntry[]> {
    const found = new LeaderEpochCache();
    for (const seg of this.segments) {
      if (seg.size === 0) continue;
      await this.scanSegment(seg, 0, (s) => {
        const epoch = s.partitionLeaderEpoch;
        if (epoch > found.latestEpoch()) void found.assign(epoch, s.baseOffset);
        return undefined;
      });
    }
    return [...found.entries()];
  }

  /** Whether the active segment's files still hold exactly what opening found in them. */
  private unchangedSinceOpen(): boolean {
    const o = this.asOpened;
    const active = this.active;
    return o !== null && o.seg === active && o.size === active.size && o.size === active.writePosition && o.truncations === this.truncations;
  }

  get config(): LogConfig {
    return this.cfg;
  }
  get logStartOffset(): bigint {
    return this.startOffset;
  }
  get logEndOffset(): bigint {
    return this.endOffset;
  }
  get size(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }
  /** Number of segments (tests, metrics). */
  get segmentCount(): number {
    return this.segments.length;
  }
  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): bigint[] {
    return this.segments.map((s) => s.baseOffset);
  }
  /** True once a disk error took the log offline. */
  get offline(): boolean {
    return this.failure !== null;
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1];
  }

  updateConfig(config: LogConfig): void {
    this.cfg = config;
  }

  // -------------------------------------------------------------------------------------------
  // The queue.
  // -------------------------------------------------------------------------------------------

  private checkUsable(): void {
    if (this.closed) throw new StorageError(`partition ${this.topic}-${this.partition} is closed`);
  }

  private offlineError(): StorageError {
    return new StorageError(`partition ${this.topic}-${this.partition} is offline after a disk error: ${this.failure?.message ?? 'unknown'}`, this.failure);
  }

  private task<T>(name: string, run: () => Promise<T>, whenOffline = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closing) {
        reject(new StorageError(`partition ${this.topic}-${this.partition} is closed`));
        return;
      }
      this.queue.push({ kind: 'task', name, whenOffline, run, resolve: resolve as (v: unknown) => void, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0];
        if (head.kind === 'task') {
          this.queue.shift();
          if (this.failure !== null && !head.whenOffline) {
            head.reject(this.offlineError());
            continue;
          }
          try {
            head.resolve(await head.run());
          } catch (e) {
            head.reject(toStorageError(head.name, e));
          }
          continue;
        }
        // After a group of several, producers are likely still handing in their next appends:
        // give them one turn of the event loop so that they join this group rather than the next.
        if (this.lastGroupSize > 1 && this.queue.length < this.lastGroupSize) await new Promise<void>((r) => setImmediate(r));
        let n = 0;
        let bytes = 0;
        while (n < this.queue.length && n < MAX_GROUP_APPENDS) {
          const q = this.queue[n];
          if (q.kind !== 'append' || (n > 0 && bytes + q.buffer.length > MAX_GROUP_BYTES)) break;
          bytes += q.buffer.length;
          n++;
        }
        const group = this.queue.splice(0, n) as PendingAppend[];
        this.lastGroupSize = n;
        try {
          await this.appendGroup(group);
        } catch (e) {
          // A bug, not a disk error (those are settled per append): never leave an append hanging.
          for (const m of group) m.reject(toStorageError('append', e));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Appends.
  // -------------------------------------------------------------------------------------------

  append(batches: Buffer, options: AppendOptions): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      if (this.closing) {
        reject(new StorageError(`partition ${this.topic}-${this.partition} is closed`));
        return;
      }
      let split;
      try {
        split = splitForAppend(batches);
      } catch (e) {
        reject(e);
        return;
      }
      const { starts, ends, span } = split;
      this.queue.push({ kind: 'append', buffer: batches, starts, ends, span, options, follower: null, baseOffsets: [], lastOffsets: [], abortMarkers: [], resolve, reject });
      this.kick();
    });
  }

  appendAsFollower(batches: Buffer): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      if (this.closing) {
        reject(new StorageError(`partition ${this.topic}-${this.partition} is closed`));
        return;
      }
      let follower: FollowerAppend;
      try {
        follower = splitForFollowerAppend(batches);
      } catch (e) {
        reject(e);
        return;
      }
      const { bytes, starts, ends, span } = follower;
      if (starts.length === 0) {
        resolve({ baseOffset: this.endOffset, lastOffset: this.endOffset - 1n, logAppendTimeMs: -1n, logStartOffset: this.startOffset });
        return;
      }
      // The leader's epoch field is what matters; options.leaderEpoch is not written.
      const options: AppendOptions = { leaderEpoch: -1 };
      this.queue.push({ kind: 'append', buffer: bytes, starts, ends, span, options, follower, baseOffsets: [], lastOffsets: [], abortMarkers: [], resolve, reject });
      this.kick();
    });
  }

  private snapshot(seg: LogSegment): Snapshot {
    return {
      seg,
      writePosition: seg.writePosition,
      offsetEntries: seg.loadedOffsetIndex.entries,
      timeEntries: seg.loadedTimeIndex.entries,
      accounting: seg.accounting.clone(),
      firstBatchTimestamp: seg.firstBatchTimestamp,
    };
  }

  private restore(s: Snapshot): void {
    s.seg.writePosition = s.writePosition;
    s.seg.loadedOffsetIndex.truncateToEntries(s.offsetEntries);
    s.seg.loadedTimeIndex.truncateToEntries(s.timeEntries);
    s.seg.accounting.copyFrom(s.accounting);
    s.seg.firstBatchTimestamp = s.firstBatchTimestamp;
  }

  /**
   * Gives the batches of `m` their offsets from `nextOffset`, the leader epoch and (when asked)
   * LogAppendTime with a new CRC, and enters them in the active segment's in-memory indexes at
   * the write position. Per batch, never per record.
   */
  private stamp(m: PendingAppend, seg: LogSegment, nextOffset: bigint): void {
    const buf = m.buffer;
    const follower = m.follower !== null;
    const epoch = m.options.leaderEpoch;
    const lat = m.options.logAppendTimeMs;
    const interval = this.cfg.indexIntervalBytes;
    const oi = seg.loadedOffsetIndex;
    const ti = seg.loadedTimeIndex;
    const acct = seg.accounting;
    let offset = nextOffset;
    for (let i = 0; i < m.starts.length; i++) {
      const s = m.starts[i];
      const e = m.ends[i];
      // A follower's batches keep the leader's offsets (gaps included) and bytes.
      if (follower) offset = buf.readBigInt64BE(s + BASE_OFFSET_OFFSET);
      const last = follower ? offset + BigInt(buf.readInt32BE(s + LAST_OFFSET_DELTA_OFFSET)) : stampBatch(buf, s, e, offset, epoch, lat);
      const ts = buf.readBigInt64BE(s + MAX_TIMESTAMP_OFFSET);
      const position = seg.writePosition + s;
      if (position === 0) seg.firstBatchTimestamp = ts;
      if (acct.add(e - s, last, ts, interval)) {
        if (!oi.isFull) oi.append(last, position);
        if (!ti.isFull) ti.maybeAppend(acct.maxTimestamp, acct.offsetOfMaxTimestamp);
      }
      m.baseOffsets.push(offset);
      m.lastOffsets.push(last);
      if ((buf.readInt16BE(s + ATTRIBUTES_OFFSET) & CONTROL_FLAG) !== 0 && controlTypeOf(new RecordBatchView(buf, s, e)) === ABORT) m.abortMarkers.push(offset);
      offset = last + 1n;
    }
    seg.writePosition += buf.length;
  }

  /** Appends a group of queued appends and settles each of them; throws only on a bug. */
  private async appendGroup(group: PendingAppend[]): Promise<void> {
    let pending: PendingAppend[] = [];
    let snap: Snapshot | null = null;
    let next = this.endOffset;
    for (const m of group) {
      if (this.failure !== null) {
        m.reject(this.offlineError());
        continue;
      }
      if (m.follower !== null) {
        try {
          checkFollowerAppendStart(m.follower, next);
        } catch (e) {
          m.reject(e);
          continue;
        }
      }
      const span = m.follower === null ? m.span : (m.follower.lastOffsets.at(-1) ?? next) + 1n - next;
      const shape = appendShape(m.buffer, m.starts, span, next, m.options.logAppendTimeMs);
      if (rollReason(this.active.rollState(), this.cfg, shape, this.clock()) !== null) {
        if (pending.length > 0) {
          const expected = next;
          await this.commit(pending, present(snap, 'producer state snapshot'), next);
          pending = [];
          snap = null;
          next = this.endOffset;
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the awaited commit may have set it
          if (this.failure !== null) {
            m.reject(this.offlineError());
            continue;
          }
          // A follower append checked against appends that then failed would leave a hole.
          if (m.follower !== null && next !== expected) {
            m.reject(new StorageError(`partition ${this.topic}-${this.partition}: the append before this follower append failed`));
            continue;
          }
        }
        try {
          await this.rollNow();
        } catch (e) {
          m.reject(toStorageError('roll', e));
          continue;
        }
      }
      snap ??= this.snapshot(this.active);
      try {
        this.stamp(m, this.active, next);
      } catch (e) {
        // stamp() throws only on a bug, so rather than snapshot before every append, undo all that
        // is stamped and not yet written and give up on the group (the caller rejects what is
        // still unsettled in it).
        this.restore(snap);
        throw e;
      }
      next += span;
      pending.push(m);
    }
    if (pending.length > 0) await this.commit(pending, present(snap, 'producer state snapshot'), next);
  }

  /** Writes stamped appends in one go, then publishes them (or undoes them on failure). */
  private async commit(pending: PendingAppend[], snap: Snapshot, next: bigint): Promise<void> {
    const seg = snap.seg;
    const buffers = pending.map((m) => m.buffer);
    let messages = 0;
    let bytes = 0;
    for (const m of pending) {
      messages += Number(m.span);
      bytes += m.buffer.length;
    }
    const fsyncNow = this.unflushedMessages + messages >= this.cfg.flushMessages;
    let step = 'append';
    try {
      if (!seg.writeSync(buffers, snap.writePosition, bytes, this.syncWritePolicy)) await seg.write(buffers, snap.writePosition);
      if (fsyncNow) {
        step = 'fsync';
        await seg.sync();
      }
    } catch (e) {
      const err = toStorageError(step, e);
      this.restore(snap);
      try {
        await (await seg.file()).truncate(snap.writePosition);
      } catch (e2) {
        this.failure = toStorageError('undoing a failed append', e2);
      }
      if (step === 'fsync') this.failure ??= err;
      for (const m of pending) m.reject(err);
      return;
    }
    // New epochs are recorded, and their checkpoint written, before the batches are visible (Kafka
    // assigns them before its segment append), so that nothing is served or acknowledged in an
    // epoch the checkpoint does not know.
    const epochWrites: Promise<void>[] = [];
    const assign = (epoch: number, startOffset: bigint): void => {
      if (epoch > this.leaderEpochs.latestEpoch()) epochWrites.push(this.leaderEpochs.assign(epoch, startOffset));
    };
    for (const m of pending) {
      // A leader's append stamped its one epoch into every batch; a follower's batches carry the leader's.
      if (m.follower === null) assign(m.options.leaderEpoch, m.baseOffsets[0]);
      else for (let i = 0; i < m.starts.length; i++) assign(m.buffer.readInt32BE(m.starts[i] + PARTITION_LEADER_EPOCH_OFFSET), m.baseOffsets[i]);
    }
    if (epochWrites.length > 0) {
      try {
        await Promise.all(epochWrites);
      } catch (e) {
        // The batches are written but not published; the state on disk is no longer known to match
        // memory, so, as after a failed fsync, the log goes offline until reopened (recovery).
        this.failure = toStorageError('writing the leader epoch checkpoint', e);
        this.restore(snap);
        for (const m of pending) m.reject(this.failure);
        return;
      }
    }
    // Publish: from here on readers see the batches.
    seg.size = seg.writePosition;
    seg.maxTimestamp = seg.accounting.maxTimestamp;
    seg.offsetOfMaxTimestamp = seg.accounting.offsetOfMaxTimestamp;
    seg.nextOffset = next;
    seg.mtimeMs = this.clock();
    this.endOffset = next;
    if (fsyncNow) this.unflushedMessages = 0;
    else {
      this.unflushedMessages += messages;
      this.scheduleFlush();
    }
    for (const m of pending) {
      for (const o of m.abortMarkers) this.unindexedAborts.push(o);
      this.window?.add(m.buffer, m.starts, m.ends, m.baseOffsets, m.lastOffsets);
      m.resolve({
        baseOffset: m.baseOffsets[0],
        lastOffset: m.lastOffsets[m.lastOffsets.length - 1],
        logAppendTimeMs: m.options.logAppendTimeMs ?? -1n,
        logStartOffset: this.startOffset,
      });
    }
  }

  private scheduleFlush(): void {
    const ms = this.cfg.flushMs;
    if (this.flushTimer !== null || !(ms < Number.MAX_SAFE_INTEGER) || ms < 0) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      if (!this.closed && this.failure === null) this.flush().catch(() => undefined);
    }, Math.min(ms, 0x7fffffff));
    this.flushTimer.unref();
  }

  // -------------------------------------------------------------------------------------------
  // Reads.
  // -------------------------------------------------------------------------------------------

  private async ensureIndexes(segments: LogSegment[], i: number): Promise<LogSegment> {
    const seg = segments[i];
    const next = segments.at(i + 1);
    await seg.ensureIndexes(this.cfg, next === undefined ? null : next.baseOffset - 1n);
    return seg;
  }

  async read(offset: bigint, options: ReadOptions): Promise<ReadResult> {
    this.checkUsable();
    const maxBytes = Math.max(0, options.maxBytes);
    const maxOffset = options.maxOffset;
    for (let attempt = 0; ; attempt++) {
      const start = this.startOffset;
      const end = this.endOffset;
      if (offset < start || offset > end) throw new OffsetOutOfRangeError(offset, start, end);
      if (offset === end || (maxOffset !== undefined && offset >= maxOffset)) {
        return { records: [], size: 0, logStartOffset: start, logEndOffset: end };
      }
      const cached = this.window?.read(offset, maxBytes, maxOffset, options.buffers);
      if (cached != null) return { records: cached.batches, size: cached.bytes, logStartOffset: start, logEndOffset: end };
      const generation = this.truncations;
      try {
        const r = await this.readSegments(offset, maxBytes, maxOffset, options.buffers);
        if (generation !== this.truncations && attempt < 3) continue;
        return { records: r.records, size: r.size, logStartOffset: this.startOffset, logEndOffset: this.endOffset };
      } catch (e) {
        // A truncation or a segment deletion raced with the read: try again on the new state.
        if ((generation !== this.truncations || (e as { segmentDeleted?: boolean }).segmentDeleted === true) && attempt < 3) continue;
        if (e instanceof OffsetOutOfRangeError) throw e;
        throw toStorageError('read', e);
      }
    }
  }

  private async readSegments(
    offset: bigint,
    maxBytes: number,
    maxOffset: bigint | undefined,
    buffers: ReadBufferSource | undefined,
  ): Promise<{ records: Buffer[]; size: number }> {
    const segments = this.segments;
    const records: Buffer[] = [];
    let size = 0;
    let next = offset;
    for (let i = floorSegment(segments, offset); i < segments.length; i++) {
      const seg = segments[i];
      let startPosition = 0;
      let slack = 0;
      if (records.length === 0) {
        const hint = this.hints.get(next);
        if (hint !== undefined && hint.seg === seg && hint.position <= seg.size) startPosition = hint.position;
        else {
          await this.ensureIndexes(segments, i);
          startPosition = seg.loadedOffsetIndex.lookup(next).position;
          slack = this.cfg.indexIntervalBytes;
        }
      }
      seg.readers++;
      let r;
      try {
        r = await seg.read(next, startPosition, seg.size, maxBytes - size, records.length === 0, maxOffset, slack, buffers);
      } catch (e) {
        if (seg.deleted) throw Object.assign(toStorageError('read', e), { segmentDeleted: true });
        // Damage at the start of the next segment: the batches read so far are intact, serve them.
        if (e instanceof CorruptRecordError && records.length > 0) break;
        throw e;
      } finally {
        seg.release();
      }
      for (const b of r.batches) records.push(b);
      size += r.bytes;
      next = r.nextOffset;
      if (r.batches.length > 0) this.remember(next, seg, r.position);
      if (r.limited || size >= maxBytes || next >= this.endOffset) break;
    }
    return { records, size };
  }

  private remember(offset: bigint, seg: LogSegment, position: number): void {
    if (this.hints.size >= MAX_HINTS) {
      const oldest = this.hints.keys().next();
      if (oldest.done !== true) this.hints.delete(oldest.value);
    }
    this.hints.set(offset, { seg, position });
  }

  async offsetForTimestamp(timestamp: bigint): Promise<TimestampOffset | null> {
    this.checkUsable();
    try {
      const segments = this.segments;
      const start = this.startOffset;
      for (let i = floorSegment(segments, start); i < segments.length; i++) {
        const seg = await this.ensureIndexes(segments, i);
        if (seg.maxTimestamp < timestamp) continue;
        const entry = seg.loadedTimeIndex.lookup(timestamp);
        const from = entry.offset > start ? entry.offset : start;
        const found = await this.scanSegment(seg, seg.loadedOffsetIndex.lookup(from).position, (s) => {
          if (s.lastOffset < start || s.maxTimestamp < timestamp) return undefined;
          return firstRecordAtOrAfter(s.view(), timestamp, start) ?? undefined;
        });
        if (found !== undefined) return found;
      }
      return null;
    } catch (e) {
      throw toStorageError('offsetForTimestamp', e);
    }
  }

  async maxTimestamp(): Promise<TimestampOffset | null> {
    this.checkUsable();
    try {
      const segments = this.segments;
      let best: LogSegment | null = null;
      for (let i = 0; i < segments.length; i++) {
        const seg = await this.ensureIndexes(segments, i);
        if (seg.maxTimestamp >= 0n && (best === null || seg.maxTimestamp > best.maxTimestamp)) best = seg;
      }
      if (best === null) return null;
      const ts = best.maxTimestamp;
      const off = best.offsetOfMaxTimestamp;
      const found = await this.scanSegment(best, best.loadedOffsetIndex.lookup(off).position, (s) =>
        s.lastOffset >= off && s.maxTimestamp === ts ? recordWithTimestamp(s.view(), ts) : undefined,
      );
      return found ?? { offset: off, timestamp: ts };
    } catch (e) {
      throw toStorageError('maxTimestamp', e);
    }
  }

  /** Walks the published batches of `seg` from `position` until `visit` returns a value. */
  private async scanSegment<T>(seg: LogSegment, position: number, visit: (s: BatchScanner) => T | undefined): Promise<T | undefined> {
    seg.readers++;
    try {
      const scanner = new BatchScanner(await seg.file(), position, seg.size, 64 * 1024, false);
      while (await scanner.fill()) {
        while (scanner.next()) {
          const r = visit(scanner);
          if (r !== undefined) return r;
        }
        if (scanner.stop !== null) break;
      }
      return undefined;
    } finally {
      seg.release();
    }
  }

  async *batches(fromOffset: bigint): AsyncIterable<BatchInfo> {
    this.checkUsable();
    const segments = this.segments;
    const from = fromOffset > this.startOffset ? fromOffset : this.startOffset;
    const first = floorSegment(segments, from);
    for (let i = first; i < segments.length; i++) {
      const seg = segments[i];
      let position = 0;
      if (i === first) {
        await this.ensureIndexes(segments, i);
        position = seg.loadedOffsetIndex.lookup(from).position;
      }
      seg.readers++;
      try {
        const scanner = new BatchScanner(await seg.file(), position, seg.size, 1 << 20, false);
        while (await scanner.fill()) {
          const infos: BatchInfo[] = [];
          while (scanner.next()) {
            if (scanner.lastOffset < from) continue;
            infos.push(batchInfoOf(scanner.view()));
          }
          for (const info of infos) yield info;
          if (scanner.stop !== null) break;
        }
      } finally {
        seg.release();
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Changes other than appends.
  // -------------------------------------------------------------------------------------------

  roll(): Promise<void> {
    return this.task('roll', () => this.rollNow());
  }

  /** Seals the active segment (fsync, final index entry, trimmed index files) and starts a new one. */
  private async rollNow(): Promise<void> {
    const old = this.active;
    if (old.size === 0) return;
    try {
      await old.sync();
    } catch (e) {
      this.failure = toStorageError('fsync on roll', e);
      throw this.failure;
    }
    await old.seal();
    // An abort whose entry is still to come now sits in a segment recovery will not scan: say so
    // on disk before the new segment exists.
    const oldest = this.unindexedAborts.at(0);
    if (oldest !== undefined && (this.txnRecoveryPoint === null || oldest < this.txnRecoveryPoint)) {
      await writeTxnRecoveryPoint(this.dir, oldest, this.openFile);
      this.txnRecoveryPoint = oldest;
    }
    const seg = await LogSegment.create(this.dir, this.endOffset, this.cfg.segmentIndexBytes, this.openFile, this.clock());
    this.segments = [...this.segments, seg];
    await syncDir(this.dir);
  }

  flush(): Promise<void> {
    return this.task('flush', async () => {
      if (this.flushTimer !== null) {
        clearTimeout(this.flushTimer);
        this.flushTimer = null;
      }
      try {
        await this.active.sync();
        await this.active.txnIndex.flush(this.openFile);
      } catch (e) {
        this.failure = toStorageError('fsync', e);
        throw this.failure;
      }
      this.unflushedMessages = 0;
    });
  }

  appendAbortedTxn(txn: AbortedTxn): Promise<void> {
    return this.task('appendAbortedTxn', async () => {
      const segments = this.segments;
      let previous: AbortedTxn | undefined;
      for (let i = segments.length - 1; i >= 0 && previous === undefined; i--) previous = segments[i].txnIndex.last;
      checkAbortedTxn(txn, previous, this.endOffset);
      // The marker's segment is already gone (retention or DeleteRecords overtook the caller).
      if (txn.lastOffset < segments[0].baseOffset) return;
      const i = floorSegment(segments, txn.lastOffset);
      const seg = segments[i];
      // A segment sealed since the marker was appended is not scanned by a crash recovery: its
      // entry must be on disk before this resolves. The active segment's is rebuilt by recovery.
      const sealed = i < segments.length - 1;
      try {
        await seg.txnIndex.append(txn, seg.opener, sealed);
      } catch (e) {
        if (sealed) this.failure = toStorageError('writing the transaction index', e);
        throw e;
      }
      this.unindexedAborts = this.unindexedAborts.filter((o) => o !== txn.lastOffset);
      await this.settleTxnRecoveryPoint();
    });
  }

  /**
   * Removes the transaction index recovery point once no sealed segment holds an ABORT marker
   * without its entry, after the markers it covered were indexed, truncated away or deleted.
   */
  private async settleTxnRecoveryPoint(): Promise<void> {
    if (this.txnRecoveryPoint === null) return;
    const activeBase = this.active.baseOffset;
    if (this.unindexedAborts.some((o) => o < activeBase)) return;
    await removeTxnRecoveryPoint(this.dir);
    this.txnRecoveryPoint = null;
  }

  abortedTxns(fromOffset: bigint, upperBoundOffset: bigint): Promise<AbortedTxn[]> {
    try {
      this.checkUsable();
    } catch (e) {
      return Promise.reject(e);
    }
    const segments = this.segments;
    const out: AbortedTxn[] = [];
    // From the segment holding fromOffset on, until an entry's last stable offset reaches the bound.
    for (let i = floorSegment(segments, fromOffset); i < segments.length; i++) {
      const r = segments[i].txnIndex.collect(fromOffset, upperBoundOffset);
      for (const t of r.txns) out.push(t);
      if (r.complete) break;
    }
    return Promise.resolve(out);
  }

  truncateTo(offset: bigint): Promise<void> {
    return this.task('truncateTo', async () => {
      // Nothing to cut, but as Kafka: an epoch this replica assigned as leader at its end, with
      // nothing appended in it, goes (another leader's epoch may claim that offset).
      if (offset >= this.endOffset) {
        await this.leaderEpochs.truncateFromEnd(this.endOffset);
        return;
      }
      this.truncations++;
      this.window?.clear();
      this.hints.clear();
      const segments = this.segments;
      if (offset < segments[0].baseOffset) {
        await this.startAfresh(offset);
        return;
      }
      const keep = segments.filter((s) => s.baseOffset <= offset);
      const victims = segments.filter((s) => s.baseOffset > offset);
      const seg = await this.ensureIndexes(segments, keep.length - 1);
      // Later segments go first: a crash half way leaves a longer log, never a gap.
      this.segments = keep;
      await this.deleteSegments(victims);
      if (victims.length > 0) await syncDir(this.dir);
      const newEnd = await seg.truncateTo(offset);
      seg.createdMs = seg.size === 0 ? this.clock() : seg.createdMs;
      await seg.writeIndexes(true, false);
      this.endOffset = newEnd;
      await this.leaderEpochs.truncateFromEnd(newEnd);
      this.unindexedAborts = this.unindexedAborts.filter((o) => o < newEnd);
      await this.settleTxnRecoveryPoint();
      if (this.startOffset > newEnd) {
        this.startOffset = newEnd;
        await writeLogStartOffset(this.dir, newEnd, this.openFile);
      }
    });
  }

  truncateFullyAndStartAt(offset: bigint): Promise<void> {
    return this.task('truncateFullyAndStartAt', async () => {
      this.truncations++;
      this.window?.clear();
      this.hints.clear();
      await this.startAfresh(offset);
    });
  }

  /** Drops every segment and starts empty at `offset` (truncation below the first segment). */
  private async startAfresh(offset: bigint): Promise<void> {
    await writeLogStartOffset(this.dir, offset, this.openFile);
    const victims = this.segments;
    await this.deleteSegments(victims);
    const seg = await LogSegment.create(this.dir, offset, this.cfg.segmentIndexBytes, this.openFile, this.clock());
    this.segments = [seg];
    await syncDir(this.dir);
    this.startOffset = offset;
    this.endOffset = offset;
    await this.leaderEpochs.clear();
    this.unindexedAborts = [];
    await this.settleTxnRecoveryPoint();
  }

  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return this.task('deleteRecordsBefore', async () => {
      const target = offset > this.endOffset ? this.endOffset : offset;
      if (target <= this.startOffset) return this.startOffset;
      // Durable before it is acknowledged: DeleteRecords must survive a restart.
      await writeLogStartOffset(this.dir, target, this.openFile);
      this.startOffset = target;
      await this.leaderEpochs.truncateFromStart(target);
      const segments = this.segments;
      let n = 0;
      while (n < segments.length - 1 && segments[n + 1].baseOffset <= target) n++;
      if (n > 0) {
        const victims = segments.slice(0, n);
        this.segments = segments.slice(n);
        await this.deleteSegments(victims);
      }
      return target;
    });
  }

  applyRetention(nowMs: number): Promise<number> {
    return this.task('applyRetention', async () => {
      const segments = this.segments;
      const last = segments.length - 1; // the active segment is never deleted
      let n = 0;
      while (n < last && segments[n + 1].baseOffset <= this.startOffset) n++;
      // A compact-only log keeps its segments whatever their age or size (Kafka: only cleanup.policy=delete retains by time and size).
      const byTimeAndSize = this.cfg.compaction === undefined || this.cfg.compaction.delete;
      if (byTimeAndSize && this.cfg.retentionMs >= 0) {
        while (n < last) {
          const seg = await this.ensureIndexes(segments, n);
          if (nowMs - seg.largestTimestampForRetention() > this.cfg.retentionMs) n++;
          else break;
        }
      }
      if (byTimeAndSize && this.cfg.retentionBytes >= 0) {
        let diff = this.size - this.cfg.retentionBytes;
        for (let i = 0; i < n; i++) diff -= segments[i].size;
        while (n < last && diff - segments[n].size >= 0) {
          diff -= segments[n].size;
          n++;
        }
      }
      if (n === 0) return 0;
      const victims = segments.slice(0, n);
      const newStart = segments[n].baseOffset;
      this.segments = segments.slice(n);
      await this.deleteSegments(victims);
      if (newStart > this.startOffset) {
        this.startOffset = newStart;
        await writeLogStartOffset(this.dir, newStart, this.openFile);
        await this.leaderEpochs.truncateFromStart(newStart);
      }
      return n;
    });
  }

  /**
   * Renames segments (already out of `this.segments`) to `.deleted` and removes them after
   * file.delete.delay.ms, so reads that still hold them finish undisturbed.
   */
  private async deleteSegments(victims: LogSegment[]): Promise<void> {
    const first = this.segments[0].baseOffset;
    if (this.unindexedAborts.length > 0 && this.unindexedAborts[0] < first) {
      this.unindexedAborts = this.unindexedAborts.filter((o) => o >= first);
      await this.settleTxnRecoveryPoint();
    }
    const results = await Promise.allSettled(victims.map((s) => s.markDeleted()));
    this.scheduleRemoval(victims);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw toStorageError('deleting segments', failed.reason);
  }

  /** Removes segments renamed to `.deleted` once file.delete.delay.ms has passed. */
  private scheduleRemoval(victims: readonly LogSegment[]): void {
    for (const s of victims) {
      const timer = setTimeout(
        () => {
          this.pendingDeletes.delete(s);
          void s.destroy().catch(() => undefined);
        },
        Math.max(0, Math.min(this.cfg.fileDeleteDelayMs, 0x7fffffff)),
      );
      timer.unref();
      this.pendingDeletes.set(s, timer);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Compaction (cleanable-log.ts): the log cleaner reads segments like any reader and swaps its
  // cleaned segments in through the queue.
  // -------------------------------------------------------------------------------------------

  async cleanerView(): Promise<CleanerView> {
    this.checkUsable();
    const segments = this.segments;
    const generation = this.truncations;
    for (let i = 0; i < segments.length; i++) await this.ensureIndexes(segments, i);
    if (segments.length > 1 && segments[0].firstBatchTimestamp < 0n) {
      // A sealed segment opened lazily does not know its first batch's timestamp (max.compaction.lag.ms needs it).
      for (const seg of segments.slice(0, -1)) if (seg.firstBatchTimestamp < 0n && seg.size > 0) await this.loadFirstBatchTimestamp(seg);
    }
    return {
      segments: segments.map((s) => new DiskCleanerSegment(s)),
      logStartOffset: this.startOffset,
      logEndOffset: this.endOffset,
      generation,
    };
  }

  private async loadFirstBatchTimestamp(seg: LogSegment): Promise<void> {
    await this.scanSegment(seg, 0, (s) => {
      seg.firstBatchTimestamp = s.maxTimestamp;
      return true;
    });
  }

  async *segmentBatches(segment: CleanerSegment, scratch?: ReadScratch): AsyncIterable<Buffer[]> {
    if (!(segment instanceof DiskCleanerSegment)) throw new Error('internal error: not a segment of a disk log');
    const seg = segment.seg;
    seg.readers++;
    try {
      const scanner = new BatchScanner(await seg.file(), 0, segment.size, CLEANER_READ_BYTES, false, false, scratch?.buffer);
      try {
        while (await scanner.fill()) {
          const chunk: Buffer[] = [];
          while (scanner.next()) chunk.push(scanner.buffer.subarray(scanner.start, scanner.end));
          if (chunk.length > 0) yield chunk;
          if (scanner.stop !== null) break;
        }
      } finally {
        if (scratch !== undefined && scanner.buffer.length > scratch.buffer.length) scratch.buffer = scanner.buffer;
      }
      if (scanner.stop !== 'end') throw new StorageError(`cleaning ${seg.logPath}: the segment's batches end at byte ${scanner.position} of ${segment.size} (${scanner.stop ?? 'unknown'})`);
    } finally {
      seg.release();
    }
  }

  async newCleanedSegment(baseOffset: bigint): Promise<CleanedSegmentWriter> {
    this.checkUsable();
    return DiskCleanedSegment.create(this.dir, baseOffset, this.cfg.indexIntervalBytes, this.cfg.segmentIndexBytes, this.openFile);
  }

  replaceSegments(view: CleanerView, group: readonly CleanerSegment[], cleaned: CleanedSegmentWriter): Promise<boolean> {
    if (!(cleaned instanceof DiskCleanedSegment)) return Promise.reject(new Error('internal error: not a cleaned segment of a disk log'));
    const olds: LogSegment[] = [];
    for (const g of group) {
      if (!(g instanceof DiskCleanerSegment)) return Promise.reject(new Error('internal error: not a segment of a disk log'));
      olds.push(g.seg);
    }
    if (olds.length === 0) return Promise.resolve(false);
    const last = group[group.length - 1];
    return this.task('replaceSegments', async () => {
      const segments = this.segments;
      const at = segments.indexOf(olds[0]);
      if (view.generation !== this.truncations || at < 0 || at + olds.length >= segments.length) return false;
      for (let i = 0; i < olds.length; i++) if (segments[at + i] !== olds[i] || olds[i].size !== group[i].size) return false;
      await cleaned.finish(last.lastModifiedMs);
      // Readers holding the old segments keep reading them: their handles and indexes are taken
      // now, before the new files take their names.
      for (let i = 0; i < olds.length; i++) {
        await olds[i].file();
        await this.ensureIndexes(segments, at + i);
      }
      await cleaned.renameAll(CLEANED_SUFFIX, SWAP_SUFFIX);
      cleaned.swapped = true;
      let results: PromiseSettledResult<void>[];
      try {
        await syncDir(this.dir);
        results = await Promise.allSettled(olds.map((s) => s.markDeleted()));
        await cleaned.renameAll(SWAP_SUFFIX, '');
        await syncDir(this.dir);
      } catch (e) {
        // Half swapped: the files on disk no longer match the segments in memory. Offline until
        // reopened, when recovery completes the swap from the `.swap` files.
        this.failure = toStorageError('swapping in a cleaned segment', e);
        throw this.failure;
      }
      const seg = LogSegment.existing(this.dir, cleaned.baseOffset, cleaned.size, last.lastModifiedMs, this.cfg.segmentIndexBytes, this.openFile, this.clock());
      seg.offsetIndex = cleaned.offsetIndex;
      seg.timeIndex = cleaned.timeIndex;
      seg.maxTimestamp = cleaned.maxTimestamp;
      seg.offsetOfMaxTimestamp = cleaned.offsetOfMaxTimestamp;
      seg.firstBatchTimestamp = cleaned.firstBatchTimestamp;
      seg.nextOffset = cleaned.nextOffset;
      seg.txnIndex = new TransactionIndex(seg.txnIndexPath, seg.baseOffset, cleaned.abortedTxns);
      this.segments = [...segments.slice(0, at), seg, ...segments.slice(at + olds.length)];
      this.hints.clear();
      this.scheduleRemoval(olds);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw toStorageError('deleting cleaned segments', failed.reason);
      return true;
    });
  }

  close(): Promise<void> {
    if (this.closePromise !== null) return this.closePromise;
    const done = this.task(
      'close',
      async () => {
        if (this.flushTimer !== null) clearTimeout(this.flushTimer);
        this.flushTimer = null;
        // An epoch assigned from outside the queue (a partition becoming leader) is still being written.
        await this.leaderEpochs.whenWritten();
        let error: unknown = null;
        // A partition nobody wrote to since a clean start is already on disk as it is: with thousands
        // of them, skipping its fsync and index writes is most of a clean shutdown's time.
        if (this.failure === null && !this.unchangedSinceOpen()) {
          try {
            const active = this.active;
            await active.sync();
            // The log's handles go before the index files are opened: a broker short of
            // descriptors frees one here before it needs two.
            await Promise.all(this.segments.map((s) => s.closeHandle().catch(() => undefined)));
            await active.writeIndexes(false, true);
          } catch (e) {
            error = e;
          }
        }
        if (this.failure === null) {
          try {
            // Entries written since the last fsync (a truncation can leave a sealed segment's dirty too).
            for (const s of this.segments) await s.txnIndex.flush(this.openFile);
          } catch (e) {
            error ??= e;
          }
        }
        this.closed = true;
        this.window?.clear();
        for (const [seg, timer] of this.pendingDeletes) {
          clearTimeout(timer);
          await seg.destroy().catch(() => undefined);
        }
        this.pendingDeletes.clear();
        await Promise.all(this.segments.map((s) => s.closeHandle().catch(() => undefined)));
        if (error !== null) throw toStorageError('close', error);
        if (this.failure !== null) throw this.offlineError();
      },
      true,
    );
    this.closing = true;
    this.closePromise = done;
    return done;
  }
}
