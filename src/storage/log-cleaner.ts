/**
 * The log cleaner: compaction of the partitions whose topic has cleanup.policy=compact (Kafka's
 * LogCleaner, LogCleanerManager and Cleaner), one per broker.
 *
 * **Choosing.** Each round looks at every compacted log: its first dirty offset (the cleaner
 * checkpoint, or the log start), its first uncleanable offset (the lowest of the last stable
 * offset, the active segment's base, and the first segment holding a record newer than
 * min.compaction.lag.ms), and from them its clean and cleanable bytes. The log with the highest
 * dirty ratio above min.cleanable.dirty.ratio is cleaned, or one whose dirty section has held a
 * batch longer than max.compaction.lag.ms. When no log is due, the cleaner waits
 * log.cleaner.backoff.ms.
 *
 * **Cleaning** (Cleaner.doClean): the key -> latest offset map is built over the dirty section,
 * as far as log.cleaner.dedupe.buffer.size allows (the rest waits for the next round); then the
 * segments from the log start up to the end of what the map covers are rewritten in groups that
 * fit segment.bytes and segment.index.bytes, each group into one cleaned segment swapped in for it
 * (cleaner-rewrite.ts judges each batch). The checkpoint then records where the map ended.
 *
 * **Never in the way.** Reads go through the thread pool, the CPU work (decoding, recompressing)
 * runs in slices of 0.2 ms and takes at most log.cleaner.event.loop.share of the event loop's
 * time, sleeping on a timer for the rest (cleaner-pacing.ts), and the swap itself runs in
 * the log's own queue of changes (cleanable-log.ts), so produce and fetch go on throughout. A
 * swap the log refuses (a truncation or a retention ran meanwhile) abandons the round; the next
 * round starts afresh.
 *
 * **Threads and throttle.** log.cleaner.threads logs are cleaned at once in a round, each with its own
 * key map of log.cleaner.dedupe.buffer.size / threads bytes (Kafka divides the buffer the same
 * way); all of them share one Throttler of log.cleaner.io.max.bytes.per.second, fed with the bytes
 * read and written, as Kafka's cleaner threads share theirs.
 *
 * **State for tests and tools**: `cleanNow()` cleans every log that is due, now; `awaitCleaned()`
 * waits until a partition has been cleaned up to an offset.
 */
import { RecordBatchView } from '../protocol/records/index.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { CLEANER_READ_BYTES, isCleanable, type CleanableLog, type CleanerSegment, type CleanerView, type ReadScratch } from './cleanable-log.js';
import { CleanedTxnState } from './cleaned-txn-state.js';
import { checkpointKey, readCleanerCheckpoint, writeCleanerCheckpoint, type CheckpointEntry } from './cleaner-checkpoint.js';
import { cleanBatch, newCleanStats, type CleanContext, type CleanStats, type ProducerLastRecord } from './cleaner-rewrite.js';
import { DutyCycle, Slices } from './cleaner-pacing.js';
import { OffsetMap } from './offset-map.js';
import { Throttler } from './throttler.js';
import { baseOffsetOf, walkRecordKeys, type RecordKeyVisitor } from './record-keys.js';
import type { AbortedTxn, CompactionConfig, PartitionLog } from './types.js';

const DEFAULT_BACKOFF_MS = 15_000;
const DEFAULT_DEDUPE_BUFFER_SIZE = 128 * 1024 * 1024;
const DEFAULT_MAX_RECORDS_BYTES = 64 * 1024 * 1024;
const INT32_MAX = 0x7fffffffn;

export interface LogCleanerOptions {
  /** The logs to look at, asked afresh every round (e.g. `() => logManager.all()`). */
  logs: () => Iterable<PartitionLog>;
  /** The log dir holding a partition (its checkpoint goes there); undefined: kept in memory. */
  dirOf?: (topic: string, partition: number) => string | undefined;
  clock?: Clock;
  /** log.cleaner.backoff.ms. */
  backoffMs?: number;
  /** log.cleaner.dedupe.buffer.size. */
  dedupeBufferSize?: number;
  /** log.cleaner.io.buffer.load.factor. */
  loadFactor?: number;
  /** log.cleaner.threads: logs cleaned at once (at least 1). */
  threads?: number;
  /** log.cleaner.io.max.bytes.per.second, read at every throttle check. Default: no limit. */
  ioMaxBytesPerSecond?: () => number;
  /**
   * log.cleaner.event.loop.share (Gregor only): the share of the event loop's wall time the
   * cleaner may take, its own reads' waits included, in (0, 1] (cleaner-pacing.ts). Default:
   * DEFAULT_CLEANER_LOOP_SHARE.
   */
  loopShare?: number;
  logger?: Logger;
  /**
   * The partition's last stable offset (never cleaned past: an open transaction may still abort).
   * Default: read from the log's batch headers (the first batch of a transaction without its marker).
   */
  lastStableOffset?: (log: PartitionLog) => bigint | Promise<bigint>;
  /**
   * The partition's active producers and their last batch (Kafka's lastRecordsOfActiveProducers),
   * whose batches are kept at least as empty headers. Default: read from the log's batch headers.
   */
  producers?: (log: PartitionLog) => Promise<ReadonlyMap<bigint, ProducerLastRecord> | undefined>;
}

/** What Kafka's LogToClean computes for a log. */
export interface LogToClean {
  log: PartitionLog & CleanableLog;
  config: CompactionConfig;
  view: CleanerView;
  firstDirtyOffset: bigint;
  firstUncleanableOffset: bigint;
  cleanBytes: number;
  cleanableBytes: number;
  cleanableRatio: number;
  needCompactionNow: boolean;
}

export interface CleanResult {
  topic: string;
  partition: number;
  /** The checkpoint after the clean: the first offset not yet cleaned. */
  endOffset: bigint;
  /** Set when the log changed under the round and it was abandoned. */
  abandoned: boolean;
  stats: CleanStats;
  /** Aborted transactions whose markers remain in the cleaned segments. */
  retainedAbortedTxns: AbortedTxn[];
}

function byOffset(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** Puts the keys of a batch's records in the key map (one per clean, so no closure per batch). */
class KeyMapper implements RecordKeyVisitor {
  /** Base offset of the batch being walked. */
  base = 0;
  constructor(
    private readonly map: OffsetMap,
    /** Records below this offset are not mapped. */
    private readonly from: number,
  ) {}
  record(delta: number, buf: Buffer, keyStart: number, keyLength: number): boolean {
    const offset = this.base + delta;
    if (keyLength < 0 || offset < this.from) return true;
    // False only when the map is full: the walk stops there.
    return this.map.put(buf, keyStart, keyLength, offset);
  }
}

export class LogCleaner {
  private readonly clock: Clock;
  private readonly logger: Logger;
  readonly backoffMs: number;
  /** One key map per cleaner thread; a map in use is out of this list. */
  private readonly freeMaps: OffsetMap[] = [];
  private readonly allMaps: readonly OffsetMap[];
  /** Each thread's read buffer (by its key map), allocated at its first read and kept. */
  private readonly scratches = new WeakMap<OffsetMap, ReadScratch>();
  readonly threads: number;
  private readonly throttler: Throttler;
  private readonly duty: DutyCycle;
  private started = false;
  private timer: TimerHandle | undefined;
  private running: Promise<CleanResult[]> | undefined;
  /** First dirty offset per partition key, per checkpoint location (a log dir, or '' in memory). */
  private readonly checkpoints = new Map<string, Map<string, bigint>>();
  private readonly checkpointsLoaded = new Map<string, Promise<void>>();
  private readonly waiters = new Set<{ key: string; offset: bigint; resolve: () => void }>();
  /**
   * The log each checkpoint entry was last used with: a partition deleted and created again is a
   * new log object, whose offsets the old entry says nothing about (Kafka drops the entry when it
   * deletes the partition).
   */
  private readonly owners = new Map<string, PartitionLog>();
  private stopRequested = false;

  constructor(private readonly options: LogCleanerOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
    this.threads = Math.max(1, Math.floor(options.threads ?? 1));
    const perThread = Math.floor((options.dedupeBufferSize ?? DEFAULT_DEDUPE_BUFFER_SIZE) / this.threads);
    for (let i = 0; i < this.threads; i++) this.freeMaps.push(new OffsetMap(perThread, options.loadFactor ?? 0.9));
    this.allMaps = [...this.freeMaps];
    const limit = options.ioMaxBytesPerSecond ?? (() => Number.MAX_VALUE);
    this.throttler = new Throttler(limit, this.clock);
    this.duty = new DutyCycle(options.loopShare);
  }

  /** Starts the background rounds. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopRequested = false;
    this.arm(0);
  }

  /** Stops the rounds and waits for the one in progress (it stops between two groups); cleanNow() then cleans nothing. */
  async stop(): Promise<void> {
    this.started = false;
    this.stopRequested = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Read through a call: it changes while a clean awaits. */
  private stopping(): boolean {
    return this.stopRequested;
  }

  private arm(delayMs: number): void {
    this.timer = this.clock.setTimeout(() => { this.onTimer(); }, delayMs, { unref: true });
  }

  private onTimer(): void {
    this.timer = undefined;
    if (!this.started) return;
    void this.cleanNow().then(
      (results) => {
        // Kafka's CleanerThread: back off only when the round found nothing to do.
        if (this.started && this.timer === undefined) this.arm(results.length > 0 ? 0 : this.backoffMs);
      },
      (err: unknown) => {
        this.logger.error({ err }, 'log cleaner round failed');
        if (this.started && this.timer === undefined) this.arm(this.backoffMs);
      },
    );
  }

  /**
   * Cleans, one after the other, every log that is due now (each at most once), after any round in
   * progress. Resolves what was cleaned.
   */
  cleanNow(): Promise<CleanResult[]> {
    const previous = this.running ?? Promise.resolve([]);
    const run: Promise<CleanResult[]> = previous.catch(() => []).then(() => this.round());
    this.running = run;
    void run.finally(() => {
      if (this.running === run) this.running = undefined;
    }).catch(() => undefined);
    return run;
  }

  /** The first dirty offset recorded for a partition (-1n when it was never cleaned). */
  async firstDirtyOffset(topic: string, partition: number): Promise<bigint> {
    const where = this.options.dirOf?.(topic, partition) ?? '';
    return (await this.checkpointsOf(where)).get(checkpointKey(topic, partition)) ?? -1n;
  }

  /** Resolves once the partition's cleaner checkpoint is at `offset` or beyond (cleaned up to it). */
  async awaitCleaned(topic: string, partition: number, offset: bigint): Promise<void> {
    if ((await this.firstDirtyOffset(topic, partition)) >= offset) return;
    await new Promise<void>((resolve) => this.waiters.add({ key: checkpointKey(topic, partition), offset, resolve }));
  }

  private async checkpointsOf(where: string): Promise<Map<string, bigint>> {
    let loading = this.checkpointsLoaded.get(where);
    if (loading === undefined) {
      loading = (async () => {
        let found = new Map<string, bigint>();
        if (where !== '') {
          try {
            found = await readCleanerCheckpoint(where);
          } catch (err) {
            this.logger.warn({ err, dir: where }, 'cannot read the cleaner checkpoint: compacted logs are cleaned from their start');
          }
        }
        this.checkpoints.set(where, found);
      })();
      this.checkpointsLoaded.set(where, loading);
    }
    await loading;
    const map = this.checkpoints.get(where);
    if (map === undefined) throw new Error('internal error: cleaner checkpoint not loaded');
    return map;
  }

  /** Forgets the checkpoint entry of a partition when it was last used with another log object. */
  private async claimCheckpoint(log: PartitionLog): Promise<void> {
    const key = checkpointKey(log.topic, log.partition);
    const owner = this.owners.get(key);
    this.owners.set(key, log);
    if (owner === undefined || owner === log) return;
    const map = await this.checkpointsOf(this.options.dirOf?.(log.topic, log.partition) ?? '');
    if (map.delete(key)) this.logger.info({ topic: log.topic, partition: log.partition }, 'the partition was created again: its cleaner checkpoint is dropped');
  }

  private async updateCheckpoint(log: PartitionLog, offset: bigint): Promise<void> {
    const where = this.options.dirOf?.(log.topic, log.partition) ?? '';
    const map = await this.checkpointsOf(where);
    const key = checkpointKey(log.topic, log.partition);
    this.owners.set(key, log);
    map.set(key, offset);
    if (where !== '') {
      const entries: CheckpointEntry[] = [];
      for (const [k, v] of map) {
        const dash = k.lastIndexOf('-');
        entries.push({ topic: k.slice(0, dash), partition: Number(k.slice(dash + 1)), offset: v });
      }
      await writeCleanerCheckpoint(where, entries);
    }
    for (const w of this.waiters) {
      if (w.key === key && offset >= w.offset) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  private async round(): Promise<CleanResult[]> {
    const results: CleanResult[] = [];
    const done = new Set<PartitionLog>();
    // One pick at a time, so that two threads never take the same log.
    let picking: Promise<unknown> = Promise.resolve();
    const pick = (): Promise<LogToClean | null> => {
      const next = picking.then(async () => {
        if (this.stopRequested) return null;
        const ltc = await this.grabFilthiest(done);
        if (ltc !== null) done.add(ltc.log);
        return ltc;
      });
      picking = next.catch(() => undefined);
      return next;
    };
    const thread = async (map: OffsetMap): Promise<void> => {
      for (let next = await pick(); next !== null; next = await pick()) {
        try {
          results.push(await this.clean(next, map));
        } catch (err) {
          // Kafka marks the partition uncleanable; here it is retried next round, and said each time.
          this.logger.error({ err, topic: next.log.topic, partition: next.log.partition }, 'cleaning a partition failed');
        }
      }
    };
    const maps = this.freeMaps.splice(0);
    try {
      await Promise.all(maps.map(thread));
    } finally {
      this.freeMaps.push(...maps);
    }
    return results;
  }

  /** Kafka's grabFilthiestCompactedLog, over the logs not cleaned in this round yet. */
  private async grabFilthiest(skip: ReadonlySet<PartitionLog>): Promise<LogToClean | null> {
    const now = this.clock.now();
    let best: LogToClean | null = null;
    for (const log of this.options.logs()) {
      const config = log.config.compaction;
      if (config === undefined || skip.has(log) || !isCleanable(log)) continue;
      let ltc: LogToClean;
      try {
        ltc = await this.toClean(log, config, now);
      } catch (err) {
        this.logger.warn({ err, topic: log.topic, partition: log.partition }, 'cannot size a compacted log for cleaning');
        continue;
      }
      if (ltc.cleanBytes + ltc.cleanableBytes === 0) continue;
      const due = (ltc.needCompactionNow && ltc.cleanableBytes > 0) || ltc.cleanableRatio > config.minCleanableDirtyRatio;
      if (!due) continue;
      if (best === null || ltc.cleanableRatio > best.cleanableRatio) best = ltc;
    }
    return best;
  }

  /** Kafka's cleanableOffsets, maxCompactionDelay and LogToClean sizes for one log. */
  async toClean(log: PartitionLog & CleanableLog, config: CompactionConfig, now: number): Promise<LogToClean> {
    const view = await log.cleanerView();
    const start = view.logStartOffset;
    await this.claimCheckpoint(log);
    const checkpoint = await this.firstDirtyOffset(log.topic, log.partition);
    let firstDirty = checkpoint < 0n ? start : checkpoint;
    if (firstDirty < start || firstDirty > view.logEndOffset) {
      if (checkpoint >= 0n && !config.delete) {
        this.logger.warn({ topic: log.topic, partition: log.partition, checkpoint, logStartOffset: start }, 'resetting the first dirty offset to the log start offset: the checkpointed offset is out of range');
      }
      firstDirty = start;
    }
    const segments = view.segments;
    const active = segments[segments.length - 1];
    const lso = this.options.lastStableOffset !== undefined ? await this.options.lastStableOffset(log) : (await scanProducers(log)).lastStableOffset;
    let uncleanable = byOffset(lso, active.baseOffset);
    const nonActiveDirty = segments.slice(0, -1).filter((_, i) => segments[i + 1].baseOffset > firstDirty);
    if (config.minCompactionLagMs > 0) {
      const young = nonActiveDirty.find((s) => s.largestTimestamp > now - config.minCompactionLagMs);
      if (young !== undefined) uncleanable = byOffset(uncleanable, young.baseOffset);
    }
    if (uncleanable < firstDirty) uncleanable = firstDirty;
    // Kafka's calculateCleanableBytes: whole segments from the first dirty one to the first uncleanable one.
    let firstUncleanableBase = active.baseOffset;
    for (let i = 0; i < segments.length - 1; i++) {
      if (segments[i + 1].baseOffset > uncleanable) {
        firstUncleanableBase = segments[i].baseOffset;
        break;
      }
    }
    let cleanBytes = 0;
    let cleanableBytes = 0;
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i];
      const next = i + 1 < segments.length ? segments[i + 1].baseOffset : view.logEndOffset + 1n;
      if (next <= firstDirty) cleanBytes += s.size;
      else if (s.baseOffset < firstUncleanableBase) cleanableBytes += s.size;
    }
    const total = cleanBytes + cleanableBytes;
    let earliest = Number.MAX_SAFE_INTEGER;
    for (const s of nonActiveDirty) if (s.firstBatchTimestamp > 0n && Number(s.firstBatchTimestamp) < earliest) earliest = Number(s.firstBatchTimestamp);
    const cleanUntil = now - Math.max(config.maxCompactionLagMs, 0);
    return {
      log,
      config,
      view,
      firstDirtyOffset: firstDirty,
      firstUncleanableOffset: uncleanable,
      cleanBytes,
      cleanableBytes,
      cleanableRatio: total === 0 ? 0 : cleanableBytes / total,
      needCompactionNow: earliest < cleanUntil,
    };
  }

  private async activeProducers(log: PartitionLog): Promise<ReadonlyMap<bigint, ProducerLastRecord>> {
    return (await this.options.producers?.(log)) ?? (await scanProducers(log)).producers;
  }

  /** Cleans one log (Kafka's Cleaner.doClean). */
  async clean(ltc: LogToClean, map: OffsetMap = this.borrowMap()): Promise<CleanResult> {
    const { log, view, config } = ltc;
    const now = this.clock.now();
    const stats = newCleanStats();
    const upper = ltc.firstUncleanableOffset;
    const scratch = this.scratchOf(map);
    await this.buildOffsetMap(log, view, map, scratch, ltc.firstDirtyOffset, upper);
    if (this.stopping()) {
      return { topic: log.topic, partition: log.partition, endOffset: ltc.firstDirtyOffset, abandoned: true, stats, retainedAbortedTxns: [] };
    }
    const mapped = map.latestOffset + 1n;
    const endOffset = mapped > ltc.firstDirtyOffset ? mapped : ltc.firstDirtyOffset;
    const producers = await this.activeProducers(log);
    const txns = new CleanedTxnState();
    const ctx: CleanContext = {
      map,
      nowMs: now,
      deleteRetentionMs: config.deleteRetentionMs,
      txns,
      producers,
      upperBoundOffset: upper,
      maxRecordsBytes: DEFAULT_MAX_RECORDS_BYTES,
    };
    const segments = view.segments.slice(0, -1).filter((s) => s.baseOffset < endOffset);
    const groups = groupSegmentsBySize(segments, log.config.segmentBytes, log.config.segmentIndexBytes, upper, view);
    const result: CleanResult = { topic: log.topic, partition: log.partition, endOffset, abandoned: false, stats, retainedAbortedTxns: txns.retainedAborted };
    for (const group of groups) {
      if (this.stopping()) {
        result.abandoned = true;
        return result;
      }
      let swapped: boolean;
      try {
        swapped = await this.cleanGroup(log, view, group, ctx, stats, scratch);
      } catch (err) {
        // A truncation or a deletion of the segments being read ends the round, not in an error.
        if (!(await this.changedUnder(log, view))) throw err;
        swapped = false;
      }
      if (!swapped) {
        result.abandoned = true;
        return result;
      }
    }
    await this.updateCheckpoint(log, endOffset);
    this.logger.info(
      { topic: log.topic, partition: log.partition, endOffset, ...stats, bufferUtilization: map.utilization },
      `cleaned ${log.topic}-${log.partition} up to offset ${endOffset}: ${stats.bytesRead} bytes read, ${stats.bytesRetained} kept`,
    );
    return result;
  }

  private async changedUnder(log: PartitionLog & CleanableLog, view: CleanerView): Promise<boolean> {
    const now = await log.cleanerView().catch(() => null);
    return now === null || now.generation !== view.generation || now.logStartOffset !== view.logStartOffset;
  }

  private scratchOf(map: OffsetMap): ReadScratch {
    let scratch = this.scratches.get(map);
    if (scratch === undefined) this.scratches.set(map, (scratch = { buffer: Buffer.allocUnsafe(CLEANER_READ_BYTES) }));
    return scratch;
  }

  /** The key map of a clean called outside a round (tests and tools call clean() directly, not during rounds). */
  private borrowMap(): OffsetMap {
    return this.allMaps[0];
  }

  /** Kafka's buildOffsetMap: fills the map from `start`, up to `end` or until it is full. */
  private async buildOffsetMap(log: PartitionLog & CleanableLog, view: CleanerView, map: OffsetMap, scratch: ReadScratch, start: bigint, end: bigint): Promise<void> {
    map.clear();
    const segs = view.segments;
    const dirty: { seg: CleanerSegment; nextStart: bigint }[] = [];
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      const next = i + 1 < segs.length ? segs[i + 1].baseOffset : view.logEndOffset;
      if (next > start && s.baseOffset < end) dirty.push({ seg: s, nextStart: next < end ? next : end });
    }
    const txns = new CleanedTxnState();
    txns.addAborted(await log.abortedTxns(start, end));
    const slices = new Slices(this.duty);
    const from = Number(start);
    const until = Number(end);
    const mapper = new KeyMapper(map, from);
    for (const { seg, nextStart } of dirty) {
      for await (const chunk of log.segmentBatches(seg, scratch)) {
        await this.throttler.maybeThrottle(chunkBytes(chunk));
        for (const bytes of chunk) {
          if (slices.due()) await slices.yield();
          const batch = new RecordBatchView(bytes);
          const base = baseOffsetOf(batch);
          const last = base + batch.lastOffsetDelta;
          if (last < from) continue;
          if (base >= until) break;
          if (batch.isControl) txns.onControlBatch(batch);
          else if (!txns.onBatch(batch)) {
            mapper.base = base;
            if (!walkRecordKeys(batch, DEFAULT_MAX_RECORDS_BYTES, mapper)) return;
          }
          map.updateLatestOffset(last);
        }
      }
      map.updateLatestOffset(nextStart - 1n);
    }
  }

  /** Cleans one group of segments into one and swaps it in; false when the log refused the swap. */
  private async cleanGroup(log: PartitionLog & CleanableLog, view: CleanerView, group: readonly CleanerSegment[], ctx: CleanContext, stats: CleanStats, scratch: ReadScratch): Promise<boolean> {
    const writer = await log.newCleanedSegment(group[0].baseOffset);
    const retainedBefore = ctx.txns.retainedAborted.length;
    const slices = new Slices(this.duty);
    try {
      for (const seg of group) {
        const i = view.segments.indexOf(seg);
        const upper = view.segments[i + 1].baseOffset;
        ctx.txns.addAborted(await log.abortedTxns(seg.baseOffset, upper));
        for await (const chunk of log.segmentBatches(seg, scratch)) {
          const out: Buffer[] = [];
          for (const bytes of chunk) {
            if (slices.due()) await slices.yield();
            const kept = cleanBatch(new RecordBatchView(bytes), ctx, stats);
            if (kept !== null) out.push(kept);
          }
          if (out.length > 0) await writer.append(out);
          await this.throttler.maybeThrottle(chunkBytes(chunk) + chunkBytes(out));
        }
      }
      writer.setAbortedTxns(ctx.txns.retainedAborted.slice(retainedBefore));
      const swapped = await log.replaceSegments(view, group, writer);
      if (!swapped) await writer.abort();
      return swapped;
    } catch (err) {
      await writer.abort().catch(() => undefined);
      throw err;
    }
  }
}

function chunkBytes(chunk: readonly Buffer[]): number {
  let n = 0;
  for (const b of chunk) n += b.length;
  return n;
}

/**
 * What the batch headers say of a log's producers, for a cleaner given no producer state: each
 * producer's last data batch and epoch, and the last stable offset (the first offset of the
 * earliest transaction with no marker yet, else the log end).
 */
async function scanProducers(log: PartitionLog): Promise<{ producers: Map<bigint, ProducerLastRecord>; lastStableOffset: bigint }> {
  const producers = new Map<bigint, ProducerLastRecord>();
  const open = new Map<bigint, bigint>();
  for await (const b of log.batches(log.logStartOffset)) {
    if (b.producerId < 0n) continue;
    const prev = producers.get(b.producerId);
    producers.set(b.producerId, { lastDataOffset: b.isControl ? (prev?.lastDataOffset ?? null) : b.lastOffset, producerEpoch: b.producerEpoch });
    if (b.isControl) open.delete(b.producerId);
    else if (b.isTransactional && !open.has(b.producerId)) open.set(b.producerId, b.baseOffset);
  }
  let lastStableOffset = log.logEndOffset;
  for (const first of open.values()) if (first < lastStableOffset) lastStableOffset = first;
  return { producers, lastStableOffset };
}

/**
 * Kafka's groupSegmentsBySize: consecutive segments whose log bytes fit `maxSize` and whose index
 * bytes fit `maxIndexSize`, and whose offsets stay within an int32 of the group's base.
 */
export function groupSegmentsBySize(
  segments: readonly CleanerSegment[],
  maxSize: number,
  maxIndexSize: number,
  firstUncleanableOffset: bigint,
  view: CleanerView,
): CleanerSegment[][] {
  const groups: CleanerSegment[][] = [];
  let i = 0;
  const lastOffsetOf = (j: number): bigint => {
    const next = view.segments.indexOf(segments[j]) + 1;
    return next < view.segments.length && j + 1 < segments.length ? view.segments[next].baseOffset - 1n : firstUncleanableOffset - 1n;
  };
  while (i < segments.length) {
    const group = [segments[i]];
    let logSize = segments[i].size;
    let indexSize = segments[i].offsetIndexBytes;
    let timeIndexSize = segments[i].timeIndexBytes;
    i++;
    while (
      i < segments.length &&
      logSize + segments[i].size <= maxSize &&
      indexSize + segments[i].offsetIndexBytes <= maxIndexSize &&
      timeIndexSize + segments[i].timeIndexBytes <= maxIndexSize &&
      (segments[i].size === 0 || lastOffsetOf(i) - group[0].baseOffset <= INT32_MAX)
    ) {
      group.push(segments[i]);
      logSize += segments[i].size;
      indexSize += segments[i].offsetIndexBytes;
      timeIndexSize += segments[i].timeIndexBytes;
      i++;
    }
    groups.push(group);
  }
  return groups;
}
