/**
 * A cleaned segment being written on disk (Kafka's createNewCleanedSegment and the swap of
 * replaceSegments): `<base>.log.cleaned` with its `.index.cleaned` and `.timeindex.cleaned`, indexes
 * built as batches are appended (index.interval.bytes, as appends do).
 *
 * The swap, crash-safe in Kafka's order:
 * 1. `finish()`: the log file is fsynced, the indexes written trimmed and fsynced (`.cleaned`).
 * 2. `.cleaned` -> `.swap` for the three files, directory fsynced: from here on the cleaned
 *    segment is the truth. A crash before leaves only `.cleaned` files, which opening deletes.
 * 3. The replaced segments are renamed to `.deleted` (removed later), then `.swap` -> final names,
 *    directory fsynced. Opening after a crash in between completes it (recovery.ts): segments whose
 *    offsets the `.swap` log covers are deleted and the `.swap` files renamed.
 */
import { rename, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { IndexAccounting } from './log-rules.js';
import { MAX_TIMESTAMP_OFFSET, LAST_OFFSET_DELTA_OFFSET, BASE_OFFSET_OFFSET } from '../protocol/records/index.js';
import { OffsetIndex } from './offset-index.js';
import { segmentFileName, writeFully, type OpenFile, type SegmentFileKind, type StorageFile } from './segment-files.js';
import { TimeIndex } from './time-index.js';
import type { CleanedSegmentWriter } from './cleanable-log.js';
import { encodeAbortedTxns } from './transaction-index.js';
import type { AbortedTxn } from './types.js';

export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
const KINDS: readonly SegmentFileKind[] = ['log', 'index', 'timeindex', 'txnindex'];

export class DiskCleanedSegment implements CleanedSegmentWriter {
  size = 0;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  private readonly accounting = new IndexAccounting();
  firstBatchTimestamp = -1n;
  /** Offset after the last batch written (the base offset while empty). */
  nextOffset: bigint;
  private file: StorageFile | null = null;
  private aborted = false;
  /** Set once its files are `.swap`: from then on they are the truth, and only opening may settle them. */
  swapped = false;
  /** The aborted transactions whose markers it holds: its `.txnindex` (none: no file). */
  abortedTxns: AbortedTxn[] = [];

  private constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    private readonly indexIntervalBytes: number,
    maxIndexBytes: number,
    private readonly openFile: OpenFile,
  ) {
    this.offsetIndex = new OffsetIndex(baseOffset, maxIndexBytes);
    this.timeIndex = new TimeIndex(baseOffset, maxIndexBytes);
    this.nextOffset = baseOffset;
  }

  static async create(dir: string, baseOffset: bigint, indexIntervalBytes: number, maxIndexBytes: number, openFile: OpenFile): Promise<DiskCleanedSegment> {
    const seg = new DiskCleanedSegment(dir, baseOffset, indexIntervalBytes, maxIndexBytes, openFile);
    seg.file = await openFile(seg.path('log', CLEANED_SUFFIX), 'w+');
    return seg;
  }

  path(kind: SegmentFileKind, suffix = ''): string {
    return join(this.dir, segmentFileName(this.baseOffset, kind) + suffix);
  }

  get maxTimestamp(): bigint {
    return this.accounting.maxTimestamp;
  }
  get offsetOfMaxTimestamp(): bigint {
    return this.accounting.offsetOfMaxTimestamp;
  }

  setAbortedTxns(txns: readonly AbortedTxn[]): void {
    this.abortedTxns = txns.map((t) => ({ ...t }));
  }

  async append(batches: readonly Buffer[]): Promise<void> {
    const file = this.file;
    if (file === null) throw new Error(`cleaned segment ${this.baseOffset} is closed`);
    let position = this.size;
    for (const b of batches) {
      const last = b.readBigInt64BE(BASE_OFFSET_OFFSET) + BigInt(b.readInt32BE(LAST_OFFSET_DELTA_OFFSET));
      const ts = b.readBigInt64BE(MAX_TIMESTAMP_OFFSET);
      if (position === 0) this.firstBatchTimestamp = ts;
      if (this.accounting.add(b.length, last, ts, this.indexIntervalBytes)) {
        if (!this.offsetIndex.isFull) this.offsetIndex.append(last, position);
        if (!this.timeIndex.isFull) this.timeIndex.maybeAppend(this.accounting.maxTimestamp, this.accounting.offsetOfMaxTimestamp);
      }
      position += b.length;
      this.nextOffset = last + 1n;
    }
    await writeFully(file, [...batches], this.size);
    this.size = position;
  }

  /** Step 1 of the swap: everything durable under the `.cleaned` names; keeps `lastModifiedMs` as the file's time. */
  async finish(lastModifiedMs: number): Promise<void> {
    const file = this.file;
    if (file === null) throw new Error(`cleaned segment ${this.baseOffset} is closed`);
    if (this.accounting.maxTimestamp >= 0n) this.timeIndex.maybeAppend(this.accounting.maxTimestamp, this.accounting.offsetOfMaxTimestamp, true);
    await file.sync();
    await file.close();
    this.file = null;
    for (const [kind, index] of [['index', this.offsetIndex], ['timeindex', this.timeIndex]] as const) {
      const fh = await this.openFile(this.path(kind, CLEANED_SUFFIX), 'w');
      try {
        await index.writeTo(fh, false);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    if (this.abortedTxns.length > 0) {
      const fh = await this.openFile(this.path('txnindex', CLEANED_SUFFIX), 'w');
      try {
        await writeFully(fh, [encodeAbortedTxns(this.abortedTxns)], 0);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    const seconds = lastModifiedMs / 1000;
    await utimes(this.path('log', CLEANED_SUFFIX), seconds, seconds).catch(() => undefined);
  }

  /** Renames its files (the `.txnindex` only when it has one) from one suffix to another ('' for the final names). */
  async renameAll(from: string, to: string): Promise<void> {
    for (const kind of KINDS) {
      if (kind === 'txnindex' && this.abortedTxns.length === 0) continue;
      await rename(this.path(kind, from), this.path(kind, to));
    }
  }

  async abort(): Promise<void> {
    if (this.aborted) return;
    this.aborted = true;
    const file = this.file;
    this.file = null;
    await file?.close().catch(() => undefined);
    if (this.swapped) return;
    for (const kind of KINDS) await unlink(this.path(kind, CLEANED_SUFFIX)).catch(() => undefined);
  }
}
