/**
 * Rebuilding a segment's aborted-transaction index (transaction-index.ts) from its batches, as
 * Kafka's LogSegment.recover does through the producer state: after a crash for the scanned active
 * segment, and on any start for a segment whose `.txnindex` is damaged.
 *
 * Walking the batches in offset order with, per producer, the first offset of its ongoing
 * transaction: a transactional data batch starts one when the producer has none; a COMMIT or ABORT
 * marker ends it, and an ABORT adds the entry (producer, first offset (the marker's own offset when
 * no batch of it was seen, as Kafka), marker offset, last stable offset). The last stable offset is
 * the smallest first offset of the transactions of other producers still ongoing after the marker,
 * or the marker offset + 1 (Kafka's ProducerStateManager.lastStableOffset).
 *
 * Transactions open when the segment starts have begun in earlier segments. Kafka rebuilds the
 * producer state up to the segment's base offset before scanning it (LogLoader: the latest producer
 * snapshot at or below that offset, then the batches from there). Gregor's log loading runs before
 * the producer state (the partition layer owns it), so this does the same from the files: the newest
 * readable `<offset>.snapshot` at or below the segment's base offset gives the transactions ongoing
 * at its offset (currentTxnFirstOffset), and the batch headers of the sealed segments from there to
 * the segment are replayed; with no such snapshot, from the first segment (a transaction that began
 * below the log start then counts from its first batch still in the log). That walk is only made
 * when the segment holds an ABORT marker: without one there is nothing to index.
 */
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ATTRIBUTES_OFFSET,
  CONTROL_FLAG,
  PRODUCER_ID_OFFSET,
  TRANSACTIONAL_FLAG,
} from '../protocol/records/index.js';
import { BatchScanner } from './batch-scanner.js';
import { controlTypeOf } from './log-rules.js';
import type { LogSegment } from './log-segment.js';
import { decodeSnapshot, snapshotFileName } from './producer-state.js';
import { errorCode, replaceFileDurably, syncDir } from './segment-files.js';
import type { OpenFile, ReadText } from './segment-files.js';
import type { AbortedTxn } from './types.js';

const ABORT = 0;
const COMMIT = 1;

/** The facts of a transactional batch or marker that the rebuild needs. */
export interface TxnBatch {
  producerId: bigint;
  baseOffset: bigint;
  isControl: boolean;
  /** For a control batch: its control record type (log-rules.ts controlTypeOf). */
  controlType: number;
}

/** The batch under `s` when it matters to transactions (transactional or control, with a producer id); otherwise null. */
export function txnBatchAt(s: BatchScanner): TxnBatch | null {
  const attributes = s.buffer.readInt16BE(s.start + ATTRIBUTES_OFFSET);
  if ((attributes & (TRANSACTIONAL_FLAG | CONTROL_FLAG)) === 0) return null;
  const producerId = s.buffer.readBigInt64BE(s.start + PRODUCER_ID_OFFSET);
  if (producerId < 0n) return null;
  const isControl = (attributes & CONTROL_FLAG) !== 0;
  return { producerId, baseOffset: s.baseOffset, isControl, controlType: isControl ? controlTypeOf(s.view()) : -1 };
}

/** Per producer, the first offset of its ongoing transaction. */
export class OngoingTxns {
  private readonly first = new Map<bigint, bigint>();

  /** Applies one batch in offset order; returns the index entry when it is an ABORT marker. */
  apply(b: TxnBatch): AbortedTxn | null {
    if (!b.isControl) {
      if (!this.first.has(b.producerId)) this.first.set(b.producerId, b.baseOffset);
      return null;
    }
    if (b.controlType !== ABORT && b.controlType !== COMMIT) return null;
    const firstOffset = this.first.get(b.producerId) ?? b.baseOffset;
    this.first.delete(b.producerId);
    if (b.controlType !== ABORT) return null;
    let lastStableOffset = b.baseOffset + 1n;
    for (const f of this.first.values()) if (f < lastStableOffset) lastStableOffset = f;
    return { producerId: b.producerId, firstOffset, lastOffset: b.baseOffset, lastStableOffset };
  }

  /** Starts a producer's transaction at `firstOffset` (state taken from a snapshot). */
  begin(producerId: bigint, firstOffset: bigint): void {
    this.first.set(producerId, firstOffset);
  }

  get size(): number {
    return this.first.size;
  }
}

/** Walks the batches of `seg`'s log file up to byte `to`, calling `visit` for those that matter to transactions. */
export async function scanTxnBatches(seg: LogSegment, to: number, visit: (b: TxnBatch) => void): Promise<void> {
  const file = await seg.opener(seg.logPath, 'r');
  try {
    const scanner = new BatchScanner(file, 0, to, 1 << 20, false);
    while (await scanner.fill()) {
      while (scanner.next()) {
        const b = txnBatchAt(scanner);
        if (b !== null) visit(b);
      }
      if (scanner.stop !== null) break;
    }
  } finally {
    await file.close();
  }
}

/**
 * The transactions ongoing just below `segments[index]` (see the header): from the newest readable
 * producer snapshot at or below its base offset (`snapshotOffsets`: those in the directory), then
 * the batches of the earlier segments from there.
 */
export async function ongoingTxnsBefore(dir: string, segments: LogSegment[], index: number, snapshotOffsets: bigint[]): Promise<OngoingTxns> {
  const base = segments[index].baseOffset;
  const ongoing = new OngoingTxns();
  let from = -1n;
  const candidates = snapshotOffsets.filter((o) => o <= base && o >= segments[0].baseOffset).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  for (const offset of candidates) {
    try {
      const entries = decodeSnapshot(await readFile(join(dir, snapshotFileName(offset))));
      for (const e of entries) if (e.currentTxnFirstOffset >= 0n) ongoing.begin(e.producerId, e.currentTxnFirstOffset);
      from = offset;
      break;
    } catch {
      // A damaged or vanished snapshot: the producer state's own load reports it; try an older one.
    }
  }
  for (let i = 0; i < index; i++) {
    const seg = segments[i];
    const next = segments[i + 1].baseOffset;
    if (next <= from) continue;
    await scanTxnBatches(seg, seg.size, (b) => {
      if (b.baseOffset >= from) ongoing.apply(b);
    });
  }
  return ongoing;
}

/** Transactional batches remembered from a scan before a second walk is cheaper than the memory. */
const MAX_REMEMBERED = 100_000;

/**
 * Collects the transactional batches of one segment as a scan meets them, then computes the
 * segment's index entries with the transactions ongoing before it (asked for only when an ABORT
 * marker was met). Beyond MAX_REMEMBERED batches it forgets them and `entries` walks the segment
 * again instead.
 */
export class TxnBatchCollector {
  private batches: TxnBatch[] | null = [];
  private sawAbort = false;

  add(b: TxnBatch): void {
    if (b.isControl && b.controlType === ABORT) this.sawAbort = true;
    if (this.batches === null) return;
    this.batches.push(b);
    if (this.batches.length > MAX_REMEMBERED) this.batches = null;
  }

  async entries(before: () => Promise<OngoingTxns>, rescan: (visit: (b: TxnBatch) => void) => Promise<void>): Promise<AbortedTxn[]> {
    if (!this.sawAbort) return [];
    const ongoing = await before();
    const out: AbortedTxn[] = [];
    const visit = (b: TxnBatch): void => {
      const t = ongoing.apply(b);
      if (t !== null) out.push(t);
    };
    if (this.batches === null) await rescan(visit);
    else for (const b of this.batches) visit(b);
    return out;
  }
}

/**
 * `transaction-index-recovery-point` in the partition directory: the offset of the oldest ABORT
 * marker in a sealed segment whose index entry was not yet written when the segment was rolled
 * (the partition records an abort just after its marker's append, and appends queued meanwhile may
 * roll the segment). Kafka indexes an abort inside the marker's append, so its recovery point
 * covers this; here the file does. While it exists, opening the log rebuilds the transaction
 * indexes from the segment holding that offset on, clean shutdown or not, and then removes it. It
 * is written in the style of Kafka's checkpoint files, a version line (`0`) and the offset, and
 * replaced durably; the log removes it once those entries are written.
 */
export const TXN_RECOVERY_POINT_FILE = 'transaction-index-recovery-point';

export function writeTxnRecoveryPoint(dir: string, offset: bigint, openFile: OpenFile): Promise<void> {
  return replaceFileDurably(dir, TXN_RECOVERY_POINT_FILE, Buffer.from(`0\n${offset}\n`), openFile);
}

export async function removeTxnRecoveryPoint(dir: string): Promise<void> {
  try {
    await unlink(join(dir, TXN_RECOVERY_POINT_FILE));
  } catch (e) {
    if (errorCode(e) !== 'ENOENT') throw e;
    return;
  }
  await syncDir(dir);
}

/** The recovery point's offset; null when there is none; 'unreadable' when the file is damaged. */
export async function readTxnRecoveryPoint(dir: string, readText: ReadText = (f) => readFile(f, 'utf8')): Promise<bigint | null | 'unreadable'> {
  let text: string;
  try {
    text = await readText(join(dir, TXN_RECOVERY_POINT_FILE));
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return null;
    return 'unreadable';
  }
  const m = /^0\n(\d+)\n$/.exec(text);
  return m === null ? 'unreadable' : BigInt(m[1]);
}
