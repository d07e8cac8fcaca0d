/**
 * Opening a partition directory (Kafka's LogLoader): finds the segments, removes what a previous
 * run left half done, and recovers the log after an unclean shutdown.
 *
 * - `*.deleted` files (segments deleted before a restart) and the `.tmp` files of the small state
 *   files (`log-start-offset`, `leader-epoch-checkpoint`, ...) are removed;
 *   an index without its `.log` is removed.
 * - A log cleaner's swap interrupted by a crash (cleaned-segment.ts) is settled first, as Kafka's
 *   LogLoader does: `*.cleaned` files are removed (the swap had not begun); a `*.log.swap` replaces
 *   every segment whose base offset lies in the offsets it covers, and the `.swap` files take their
 *   final names.
 * - Sealed segments (all but the last) were fsynced when they were rolled, so they are trusted and
 *   opened lazily: a stat each, nothing read. A sealed segment whose index file is missing gets it
 *   rebuilt now; a corrupt one is rebuilt when first loaded (log-segment.ts).
 * - The last (active) segment:
 *   - after a clean shutdown, its indexes are loaded and only the batches after the last offset
 *     index entry are walked (the open is O(segments), whatever the log's size);
 *   - after a crash (or when the clean path finds anything amiss), it is scanned batch by batch:
 *     length, magic 2, CRC32C, offsets in order. The first torn or corrupt batch and everything
 *     after it are cut off; both indexes are rebuilt. A batch whose write completed before the crash
 *     is whole in the page cache and survives; a partial one is never served. Every cut is logged
 *     (a warning: file, position, bytes, the offsets kept and those the cut bytes still name).
 * - Nothing else is written: the active segment's offset and time indexes live in memory and
 *   reach their files when it is rolled or the log is closed (a crash rebuilds them anyway), and
 *   its log file is closed again and reopened on first use, so a broker of thousands of idle
 *   partitions holds no descriptor for them and a clean start costs a listing, a stat and a few
 *   small reads per partition.
 * - Transaction indexes (`.txnindex`, transaction-index.ts) are read whole when present (a segment
 *   without aborted transactions has none). One that is damaged is rebuilt from its segment's
 *   batches, with a warning; the active segment's is rebuilt whenever the segment is scanned (a crash
 *   may have lost or torn its unsynced entries, and a cut tail takes its entries with it). How the
 *   transactions begun in earlier segments are found is in txn-index-recovery.ts. Record data is
 *   never deleted for a damaged index. While `transaction-index-recovery-point` exists (a segment
 *   was rolled before one of its aborts was indexed), the indexes of the sealed segments from that
 *   offset on are rebuilt too, clean shutdown or not, and the file is removed.
 * - A scan of the active segment also reports the leader epochs its batches carry (Kafka's segment
 *   recovery assigns them to the epoch cache): the checkpoint may not have been written for the
 *   last appends before a crash. The log loads the checkpoint itself (disk-partition-log.ts).
 * - The log start offset is the larger of the first segment's base offset and the persisted
 *   `log-start-offset` (DeleteRecords), never beyond the log end offset.
 */
import { readdirSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../util/logger.js';
import { blockingReadText } from './blocking-file.js';
import { BatchScanner } from './batch-scanner.js';
import { CLEANED_SUFFIX, SWAP_SUFFIX } from './cleaned-segment.js';
import { LogSegment } from './log-segment.js';
import type { RecoveryResult } from './log-segment.js';
import { inspectLogStartOffset, LOG_START_OFFSET_FILE, parseSegmentFileName, segmentFileName, syncDir } from './segment-files.js';
import type { OpenFile } from './segment-files.js';
import { DamagedTxnIndexError, TransactionIndex } from './transaction-index.js';
import {
  ongoingTxnsBefore,
  readTxnRecoveryPoint,
  removeTxnRecoveryPoint,
  scanTxnBatches,
  TXN_RECOVERY_POINT_FILE,
  TxnBatchCollector,
  txnBatchAt,
} from './txn-index-recovery.js';
import type { OngoingTxns, TxnBatch } from './txn-index-recovery.js';
import { floorSegment } from './log-rules.js';
import type { AbortedTxn, LogConfig } from './types.js';
import type { EpochEntry } from './leader-epoch-cache.js';
import { LEADER_EPOCH_CHECKPOINT_FILE } from './leader-epoch-checkpoint.js';

export interface LoadOptions {
  cleanShutdown: boolean;
  openFile: OpenFile;
  nowMs: number;
  /** Where what recovery cuts or rebuilds is reported. Default: silent. */
  logger?: Logger;
  /**
   * Reads the partition with synchronous calls through this opener (blocking-file.ts: loading
   * thousands of partitions at start); the segments then use `openFile`. Default: `openFile`.
   */
  loadFile?: OpenFile;
}

export interface LoadedLog {
  segments: LogSegment[];
  logStartOffset: bigint;
  logEndOffset: bigint;
  /** Set when the active segment was scanned (unclean shutdown, or a clean open that failed its checks). */
  recovery: (RecoveryResult & { segment: bigint }) | null;
  /** Base offsets of sealed segments whose missing index files were rebuilt. */
  rebuiltIndexes: bigint[];
  /** True when the active segment's index files hold exactly its in-memory indexes (read from them after a clean shutdown). */
  indexFilesCurrent: boolean;
  /** When the active segment was scanned: each leader epoch its batches begin, in order (none stamped: empty). */
  activeSegmentEpochs: EpochEntry[];
}

/**
 * Says what recovery of a segment did: every byte cut is a warning naming the file, the position,
 * the bytes and the offsets (kept and dropped); a scan that cut nothing is a debug line.
 */
function reportRecovery(logger: Logger, file: string, baseOffset: bigint, r: RecoveryResult, cleanShutdown: boolean): void {
  const why = cleanShutdown ? 'its indexes or tail did not check out after a clean shutdown' : 'unclean shutdown';
  if (r.truncatedBytes === 0) {
    logger.debug({ file, bytes: r.validBytes, nextOffset: r.nextOffset, why }, 'recovered a segment: every batch is valid');
    return;
  }
  const dropped = r.droppedOffsets;
  logger.warn(
    {
      file,
      position: r.validBytes,
      bytes: r.truncatedBytes,
      reason: r.stop,
      keptOffsets: r.nextOffset > baseOffset ? `${baseOffset}-${r.nextOffset - 1n}` : 'none',
      droppedOffsets: dropped === null ? 'unreadable' : `${dropped.first}-${dropped.last}`,
      why,
    },
    `recovery cut ${r.truncatedBytes} bytes at byte ${r.validBytes} of ${file}: ${r.stop}`,
  );
}

const SNAPSHOT_RE = /^(\d{20})\.snapshot$/;

/**
 * Reads the `.txnindex` of `segments[i]` into it; a damaged one is rebuilt from the segment's
 * batches (warning), never by touching the log.
 */
async function loadTxnIndex(
  ctx: { dir: string; segments: LogSegment[]; snapshotOffsets: bigint[]; logger: Logger; readFile: OpenFile },
  i: number,
): Promise<void> {
  const seg = ctx.segments[i];
  let entries: AbortedTxn[];
  try {
    entries = await TransactionIndex.read(seg.txnIndexPath, seg.baseOffset, ctx.readFile);
  } catch (e) {
    if (!(e instanceof DamagedTxnIndexError)) throw e;
    const collector = new TxnBatchCollector();
    const scan = (visit: (b: TxnBatch) => void): Promise<void> => scanTxnBatches(seg, seg.size, visit);
    await scan((b) => { collector.add(b); });
    const rebuilt = await collector.entries(() => ongoingTxnsBefore(ctx.dir, ctx.segments, i, ctx.snapshotOffsets), scan);
    await seg.txnIndex.replace(rebuilt, seg.opener);
    ctx.logger.warn(
      { file: seg.txnIndexPath, problem: e.message, entries: rebuilt.length },
      `the transaction index ${seg.txnIndexPath} is damaged (${e.message}): rebuilt from its segment with ${rebuilt.length} entries`,
    );
    return;
  }
  seg.txnIndex = new TransactionIndex(seg.txnIndexPath, seg.baseOffset, entries);
}

/** Loads (creating it if needed) the partition directory `dir`. */
export async function loadLog(dir: string, config: LogConfig, options: LoadOptions): Promise<LoadedLog> {
  const logger = options.logger ?? silentLogger;
  // Listing first: the folder almost always exists, and this spares a mkdir for each of thousands of partitions.
  const blocking = options.loadFile !== undefined;
  let names: string[];
  try {
    names = blocking ? readdirSync(dir) : await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(dir, { recursive: true });
    names = [];
  }
  if (names.some((n) => n.endsWith(CLEANED_SUFFIX) || n.endsWith(SWAP_SUFFIX))) {
    await completeSwaps(dir, names, options.openFile, logger);
    names = await readdir(dir);
  }
  const logs = new Map<bigint, boolean>();
  const indexFiles: { name: string; baseOffset: bigint; kind: 'index' | 'timeindex' | 'txnindex' }[] = [];
  const snapshotOffsets: bigint[] = [];
  const removals: Promise<void>[] = [];
  for (const name of names) {
    if (name === LOG_START_OFFSET_FILE + '.tmp' || name === TXN_RECOVERY_POINT_FILE + '.tmp' || name === LEADER_EPOCH_CHECKPOINT_FILE + '.tmp') {
      removals.push(unlink(join(dir, name)).catch(() => undefined));
      continue;
    }
    const parsed = parseSegmentFileName(name);
    if (parsed === null) {
      const snapshot = SNAPSHOT_RE.exec(name);
      if (snapshot !== null) snapshotOffsets.push(BigInt(snapshot[1]));
      continue;
    }
    if (parsed.deleted) {
      removals.push(unlink(join(dir, name)).catch(() => undefined));
      continue;
    }
    if (parsed.kind === 'log') logs.set(parsed.baseOffset, true);
    else indexFiles.push({ name, baseOffset: parsed.baseOffset, kind: parsed.kind });
  }
  const haveIndex = new Set<string>();
  for (const f of indexFiles) {
    if (!logs.has(f.baseOffset)) removals.push(unlink(join(dir, f.name)).catch(() => undefined));
    else haveIndex.add(`${f.baseOffset}.${f.kind}`);
  }
  await Promise.all(removals);

  const bases = [...logs.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const stats = blocking
    ? bases.map((b) => statSync(join(dir, segmentFileName(b, 'log'))))
    : await Promise.all(bases.map((b) => stat(join(dir, segmentFileName(b, 'log')))));
  const segments = bases.map((b, i) =>
    LogSegment.existing(dir, b, stats[i].size, stats[i].mtimeMs, config.segmentIndexBytes, options.openFile, options.nowMs),
  );
  let persistedStart: bigint | null = null;
  if (names.includes(LOG_START_OFFSET_FILE)) {
    const read = await inspectLogStartOffset(dir, blocking ? blockingReadText : undefined);
    if ('offset' in read) persistedStart = read.offset;
    else if ('problem' in read) {
      // As Kafka treats a log-start-offset-checkpoint it cannot read: reported, then counted as none.
      logger.warn(
        { dir, file: join(dir, LOG_START_OFFSET_FILE), problem: read.problem },
        `${read.problem}: ignored, so the log starts at the base offset of its first segment (records below a DeleteRecords offset that were not yet removed are readable again until the next DeleteRecords)`,
      );
    }
  }

  if (segments.length === 0) {
    const seg = await LogSegment.create(dir, persistedStart ?? 0n, config.segmentIndexBytes, options.openFile, options.nowMs);
    await syncDir(dir);
    return { segments: [seg], logStartOffset: seg.baseOffset, logEndOffset: seg.baseOffset, recovery: null, rebuiltIndexes: [], indexFilesCurrent: false, activeSegmentEpochs: [] };
  }

  // Sealed segments with a missing index: rebuild now (a corrupt one is caught on first load).
  const rebuiltIndexes: bigint[] = [];
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i];
    if (haveIndex.has(`${seg.baseOffset}.index`) && haveIndex.has(`${seg.baseOffset}.timeindex`)) continue;
    await seg.rebuildIndexes(config, false);
    await seg.writeIndexes(false, true);
    rebuiltIndexes.push(seg.baseOffset);
    logger.info({ file: seg.logPath }, 'rebuilt the missing index files of a segment');
  }

  const readFile = options.loadFile ?? options.openFile;
  const txnIndexes = { dir, segments, snapshotOffsets, logger, readFile };
  const activeIndex = segments.length - 1;
  const active = segments[activeIndex];
  // Sealed segments from the transaction index recovery point on may lack entries: rebuilt.
  let rebuildFrom = activeIndex;
  const recoveryPointFile = names.includes(TXN_RECOVERY_POINT_FILE);
  if (recoveryPointFile) {
    const point = await readTxnRecoveryPoint(dir, blocking ? blockingReadText : undefined);
    if (point === 'unreadable') logger.warn({ dir, file: TXN_RECOVERY_POINT_FILE }, 'the transaction index recovery point cannot be read: every transaction index is rebuilt');
    const from = point === 'unreadable' || point === null ? segments[0].baseOffset : point;
    if (from < active.baseOffset) rebuildFrom = floorSegment(segments, from);
  }
  for (let i = 0; i < rebuildFrom; i++) {
    if (haveIndex.has(`${segments[i].baseOffset}.txnindex`)) await loadTxnIndex(txnIndexes, i);
  }
  let ongoingAtActive: OngoingTxns | null = null;
  if (rebuildFrom < activeIndex) {
    const ongoing = await ongoingTxnsBefore(dir, segments, rebuildFrom, snapshotOffsets);
    for (let i = rebuildFrom; i < activeIndex; i++) {
      const seg = segments[i];
      const entries: AbortedTxn[] = [];
      await scanTxnBatches(seg, seg.size, (b) => {
        const t = ongoing.apply(b);
        if (t !== null) entries.push(t);
      });
      if (entries.length > 0 || haveIndex.has(`${seg.baseOffset}.txnindex`)) await seg.txnIndex.replace(entries, seg.opener);
    }
    ongoingAtActive = ongoing;
    logger.info({ dir, from: segments[rebuildFrom].baseOffset }, 'rebuilt the transaction indexes of segments rolled before an abort was indexed');
  }

  let recovery: LoadedLog['recovery'] = null;
  const activeTxns = new TxnBatchCollector();
  const activeSegmentEpochs: EpochEntry[] = [];
  const indexesPresent = haveIndex.has(`${active.baseOffset}.index`) && haveIndex.has(`${active.baseOffset}.timeindex`);
  let opened: boolean;
  if (options.loadFile) active.useOpener(options.loadFile);
  try {
    opened = options.cleanShutdown && indexesPresent && (await active.openActive());
    if (!opened) {
      const result = await active.rebuildIndexes(config, true, (s) => {
        const b = txnBatchAt(s);
        if (b !== null) activeTxns.add(b);
        const epoch = s.partitionLeaderEpoch;
        if (epoch >= 0 && epoch > (activeSegmentEpochs.at(-1)?.epoch ?? -1)) activeSegmentEpochs.push({ epoch, startOffset: s.baseOffset });
      });
      recovery = { ...result, segment: active.baseOffset };
      reportRecovery(logger, active.logPath, active.baseOffset, result, options.cleanShutdown);
    }
  } finally {
    // The active segment's indexes live in memory: its files are written when it is rolled or the
    // log is closed, and a crash rebuilds them anyway, so nothing is written here. Its log file is
    // opened again on first use, so that thousands of idle partitions hold no descriptors.
    await active.closeHandle();
    active.useOpener(options.openFile);
  }
  if (!opened) {
    const known = ongoingAtActive;
    const entries = await activeTxns.entries(
      () => (known === null ? ongoingTxnsBefore(dir, segments, activeIndex, snapshotOffsets) : Promise.resolve(known)),
      (visit) => scanTxnBatches(active, active.size, visit),
    );
    if (entries.length > 0 || haveIndex.has(`${active.baseOffset}.txnindex`)) await active.txnIndex.replace(entries, options.openFile);
  } else if (haveIndex.has(`${active.baseOffset}.txnindex`)) {
    await loadTxnIndex(txnIndexes, activeIndex);
  }
  if (recoveryPointFile) await removeTxnRecoveryPoint(dir);

  const logEndOffset = active.nextOffset;
  let logStartOffset = segments[0].baseOffset;
  if (persistedStart !== null && persistedStart > logStartOffset) logStartOffset = persistedStart;
  if (logStartOffset > logEndOffset) logStartOffset = logEndOffset;
  return { segments, logStartOffset, logEndOffset, recovery, rebuiltIndexes, indexFilesCurrent: opened, activeSegmentEpochs };
}

/**
 * Settles what the log cleaner left half done: `.cleaned` files go; each `.log.swap` replaces the
 * segments whose base offsets fall in [its base, its next offset), then every `.swap` file is
 * renamed to its final name. Everything it does is logged.
 */
async function completeSwaps(dir: string, names: readonly string[], openFile: OpenFile, logger: Logger): Promise<void> {
  for (const name of names) {
    if (!name.endsWith(CLEANED_SUFFIX)) continue;
    await unlink(join(dir, name)).catch(() => undefined);
    logger.info({ file: join(dir, name) }, 'removed a cleaned segment whose swap never began');
  }
  const swaps = names.filter((n) => n.endsWith(SWAP_SUFFIX));
  for (const name of swaps) {
    const parsed = parseSegmentFileName(name.slice(0, -SWAP_SUFFIX.length));
    if (parsed?.kind !== 'log' || parsed.deleted) continue;
    const base = parsed.baseOffset;
    const next = await nextOffsetOf(join(dir, name), base, openFile);
    for (const other of names) {
      const p = parseSegmentFileName(other);
      if (p === null || p.deleted || p.baseOffset < base || p.baseOffset >= next) continue;
      await unlink(join(dir, other)).catch(() => undefined);
      logger.info({ file: join(dir, other), replacedBy: join(dir, name) }, 'completing a cleaner swap: removed a replaced segment file');
    }
  }
  for (const name of swaps) {
    const final = name.slice(0, -SWAP_SUFFIX.length);
    const parsed = parseSegmentFileName(final);
    if (parsed === null || parsed.deleted) continue;
    if (parsed.kind !== 'log' && !swaps.includes(segmentFileName(parsed.baseOffset, 'log') + SWAP_SUFFIX) && !names.includes(segmentFileName(parsed.baseOffset, 'log'))) {
      await unlink(join(dir, name)).catch(() => undefined);
      continue;
    }
    await rename(join(dir, name), join(dir, final));
    logger.info({ file: join(dir, final) }, 'completed a cleaner swap');
  }
  await syncDir(dir);
}

/** The offset after the last whole batch of a segment file (its base when it holds none). */
async function nextOffsetOf(path: string, base: bigint, openFile: OpenFile): Promise<bigint> {
  const file = await openFile(path, 'r');
  try {
    const { size } = await file.stat();
    const scanner = new BatchScanner(file, 0, size, 1 << 20, false);
    let next = base;
    while (await scanner.fill()) {
      while (scanner.next()) next = scanner.lastOffset + 1n;
      if (scanner.stop !== null) break;
    }
    return next;
  } finally {
    await file.close();
  }
}
