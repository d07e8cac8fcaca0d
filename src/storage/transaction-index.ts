/**
 * The aborted-transaction index of one segment (`<base offset>.txnindex`), Kafka's
 * TransactionIndex: the transactions whose ABORT marker lies in that segment, in marker order. A
 * read_committed fetch asks for the aborted transactions overlapping the range it returns; the
 * client drops their records.
 *
 * On disk: a flat array of 34-byte entries (Kafka's AbortedTxn), big-endian, no header, no checksum:
 *
 * | bytes | field            | notes                                                            |
 * |------:|------------------|------------------------------------------------------------------|
 * |   0-1 | version          | int16, 0                                                         |
 * |  2-9  | producer id      | int64                                                            |
 * | 10-17 | first offset     | int64: the transaction's first batch                             |
 * | 18-25 | last offset      | int64: the ABORT marker; strictly increasing through the file    |
 * | 26-33 | last stable offset | int64: the partition's LSO once the marker was written         |
 *
 * The file is created on the first abort in its segment (a segment without one has none: a missing
 * file is an empty index) and only ever appended to, cut back (truncation) or replaced whole
 * (rebuilt by recovery). An entry belongs to the segment holding its marker, while the transaction
 * itself may start in an earlier segment. A file whose length is not a multiple of 34, with a
 * version other than 0, a marker offset below the segment's base or out of order, is damaged; the
 * log rebuilds it from the batches (txn-index-recovery.ts). Appends to the active segment's file
 * are not fsynced (a crash rebuilds it from the log, as Kafka's recovery does); the file is fsynced
 * with its segment when that is sealed or the log closed, and at once when it belongs to a segment
 * sealed already. Unlike Kafka, which indexes an abort inside the marker's append, the partition
 * layer records it just after (PartitionLog.appendAbortedTxn), so appends queued in between may
 * roll the segment first; the log then leaves a recovery point on disk until the entry is written
 * (txn-index-recovery.ts), so that a crash meanwhile rebuilds that segment's index too.
 *
 * The search rule (Kafka's TransactionIndex.collectAbortedTxns, applied segment after segment from
 * the one holding the fetch offset): an entry is returned when lastOffset >= fromOffset and
 * firstOffset < upperBoundOffset; the search is complete at the first entry whose lastStableOffset
 * >= upperBoundOffset (no transaction aborted later can have started inside the range, since the
 * last stable offset never passes the start of an ongoing transaction).
 *
 * In memory the entries are loaded once, when the log is opened, and kept: a read_committed fetch
 * consults them without I/O. Not safe for concurrent mutation: the partition serializes changes.
 */
import { unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OpenFile, StorageFile } from './segment-files.js';
import { errorCode, readFully, syncDir, writeFully } from './segment-files.js';
import type { AbortedTxn } from './types.js';

export const TXN_ENTRY_SIZE = 34;
const VERSION = 0;

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

/** Entries in the file format. */
export function encodeAbortedTxns(entries: readonly AbortedTxn[]): Buffer {
  const buf = Buffer.alloc(entries.length * TXN_ENTRY_SIZE);
  let p = 0;
  for (const t of entries) {
    buf.writeInt16BE(VERSION, p);
    buf.writeBigInt64BE(t.producerId, p + 2);
    buf.writeBigInt64BE(t.firstOffset, p + 10);
    buf.writeBigInt64BE(t.lastOffset, p + 18);
    buf.writeBigInt64BE(t.lastStableOffset, p + 26);
    p += TXN_ENTRY_SIZE;
  }
  return buf;
}

/** A .txnindex file that cannot be right; `reason` says where and why. */
export class DamagedTxnIndexError extends Error {
  override readonly name = 'DamagedTxnIndexError';
}

/** Decodes a segment's .txnindex bytes; throws DamagedTxnIndexError (see the header for what counts). */
export function decodeAbortedTxns(buf: Buffer, baseOffset: bigint): AbortedTxn[] {
  if (buf.length % TXN_ENTRY_SIZE !== 0) throw new DamagedTxnIndexError(`${buf.length} bytes is not a whole number of ${TXN_ENTRY_SIZE}-byte entries`);
  const out: AbortedTxn[] = [];
  let previous = -1n;
  for (let p = 0; p < buf.length; p += TXN_ENTRY_SIZE) {
    const at = `entry ${p / TXN_ENTRY_SIZE} (byte ${p})`;
    const version = buf.readInt16BE(p);
    if (version !== VERSION) throw new DamagedTxnIndexError(`${at} has version ${version}, not ${VERSION}`);
    const t: AbortedTxn = {
      producerId: buf.readBigInt64BE(p + 2),
      firstOffset: buf.readBigInt64BE(p + 10),
      lastOffset: buf.readBigInt64BE(p + 18),
      lastStableOffset: buf.readBigInt64BE(p + 26),
    };
    if (t.lastOffset < baseOffset) throw new DamagedTxnIndexError(`${at} has marker offset ${t.lastOffset}, below the segment's base offset ${baseOffset}`);
    if (t.lastOffset <= previous) throw new DamagedTxnIndexError(`${at} has marker offset ${t.lastOffset}, not after the previous one, ${previous}`);
    if (t.firstOffset > t.lastOffset || t.firstOffset < 0n) throw new DamagedTxnIndexError(`${at} has first offset ${t.firstOffset} for marker offset ${t.lastOffset}`);
    previous = t.lastOffset;
    out.push(t);
  }
  return out;
}

/** One segment's aborted-transaction index: its entries in memory and its file. */
export class TransactionIndex {
  private list: AbortedTxn[];
  /** Bytes appended or cut since the file was last fsynced. */
  private dirty = false;

  constructor(
    /** The `.txnindex` path. */
    readonly path: string,
    readonly baseOffset: bigint,
    entries: AbortedTxn[] = [],
  ) {
    this.list = entries;
  }

  /**
   * Reads the index file at `path`: its entries (none when the file does not exist), or the
   * damage found (DamagedTxnIndexError); other errors are thrown.
   */
  static async read(path: string, baseOffset: bigint, openFile: OpenFile): Promise<AbortedTxn[]> {
    let fh: StorageFile;
    try {
      fh = await openFile(path, 'r');
    } catch (e) {
      if (errorCode(e) === 'ENOENT') return [];
      throw e;
    }
    try {
      const { size } = await fh.stat();
      const buf = Buffer.alloc(size);
      const n = await readFully(fh, buf, 0, size, 0);
      return decodeAbortedTxns(buf.subarray(0, n), baseOffset);
    } finally {
      await fh.close();
    }
  }

  get entries(): readonly AbortedTxn[] {
    return this.list;
  }

  get last(): AbortedTxn | undefined {
    return this.list.at(-1);
  }

  /**
   * Appends an entry (the caller checked it with checkAbortedTxn), creating the file on the first
   * one. With `sync` the file, and when it was just created the directory, are fsynced.
   */
  async append(txn: AbortedTxn, openFile: OpenFile, sync: boolean): Promise<void> {
    const position = this.list.length * TXN_ENTRY_SIZE;
    const created = position === 0;
    const fh = await openFile(this.path, created ? 'w' : 'r+');
    try {
      await writeFully(fh, [encodeAbortedTxns([txn])], position);
      if (sync) await fh.sync();
    } finally {
      await fh.close();
    }
    this.list.push({ ...txn });
    if (sync && created) await syncDir(dirname(this.path));
    this.dirty = !sync;
  }

  /** Drops the entries whose marker is at or after `offset` (Kafka's truncateTo). */
  async truncateTo(offset: bigint, openFile: OpenFile): Promise<void> {
    let keep = this.list.length;
    while (keep > 0 && this.list[keep - 1].lastOffset >= offset) keep--;
    if (keep === this.list.length) return;
    const fh = await openFile(this.path, 'r+');
    try {
      await fh.truncate(keep * TXN_ENTRY_SIZE);
    } finally {
      await fh.close();
    }
    this.list = this.list.slice(0, keep);
    this.dirty = true;
  }

  /**
   * Replaces the file with `entries` (a rebuild): written whole and fsynced, or removed when there
   * are none.
   */
  async replace(entries: AbortedTxn[], openFile: OpenFile): Promise<void> {
    if (entries.length === 0) {
      await unlink(this.path).catch((e: unknown) => {
        if (errorCode(e) !== 'ENOENT') throw e;
      });
    } else {
      const fh = await openFile(this.path, 'w');
      try {
        await writeFully(fh, [encodeAbortedTxns(entries)], 0);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    this.list = entries.map((t) => ({ ...t }));
    this.dirty = false;
  }

  /** fsyncs the file if it changed since the last fsync. */
  async flush(openFile: OpenFile): Promise<void> {
    if (!this.dirty) return;
    let fh: StorageFile;
    try {
      fh = await openFile(this.path, 'r+');
    } catch (e) {
      if (errorCode(e) !== 'ENOENT') throw e;
      this.dirty = false;
      return;
    }
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.dirty = false;
  }

  /** This segment's part of the search (see the header). */
  collect(fromOffset: bigint, upperBoundOffset: bigint): TxnSearchResult {
    return collectAbortedTxns(this.list, fromOffset, upperBoundOffset);
  }
}

