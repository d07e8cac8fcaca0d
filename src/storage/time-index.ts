/**
 * The sparse time index of one segment (`<base offset>.timeindex`), Kafka's TimeIndex.
 *
 * On disk: a flat array of 12-byte entries, big-endian, no header and no checksum:
 *
 * | bytes | field            | notes                                                              |
 * |------:|------------------|--------------------------------------------------------------------|
 * |  0-7  | timestamp        | int64: the largest batch max timestamp seen so far in the segment  |
 * |  8-11 | relative offset  | int32: last offset of the first batch that reached that timestamp, |
 * |       |                  | minus the segment base                                             |
 *
 * An entry may be added whenever the offset index gets one, and only when the segment's largest
 * timestamp grew since the last entry, so timestamps are strictly increasing and offsets never
 * decrease. When a segment stops being active one last entry records its final largest timestamp
 * (even if the index is full), so the last entry of a sealed segment is the segment's largest
 * timestamp: retention.ms reads it without scanning the log.
 *
 * Lookup: the last entry whose timestamp is <= the target; every batch before that entry's offset has
 * a smaller max timestamp, so the search for the first batch reaching the target starts there.
 * Like the offset index, the file is preallocated while the segment is active, trimmed on roll and
 * close, and rebuilt from the log when it is missing or corrupt.
 */
import { AbstractIndex } from './abstract-index.js';
import type { StorageFile } from './segment-files.js';

export interface TimestampOffsetEntry {
  timestamp: bigint;
  offset: bigint;
}

const ENTRY = 12;

export class TimeIndex extends AbstractIndex {
  static readonly ENTRY_SIZE = ENTRY;

  /** `entries` holds whole entries in the file format (it is copied when the index grows). */
  constructor(baseOffset: bigint, maxIndexBytes: number, entries?: Buffer) {
    super(ENTRY, 'time index', baseOffset, maxIndexBytes, entries);
  }

  timestamp(i: number): bigint {
    return this.buf.readBigInt64BE(i * ENTRY);
  }
  relativeOffset(i: number): number {
    return this.buf.readInt32BE(i * ENTRY + 8);
  }
  entry(i: number): TimestampOffsetEntry {
    return { timestamp: this.timestamp(i), offset: this.baseOffset + BigInt(this.relativeOffset(i)) };
  }
  lastEntry(): TimestampOffsetEntry | null {
    return this.count === 0 ? null : this.entry(this.count - 1);
  }

  /** The last entry whose timestamp is <= `timestamp`; `{ -1, baseOffset }` when there is none. */
  lookup(timestamp: bigint): TimestampOffsetEntry {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamp(mid) <= timestamp) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? { timestamp: -1n, offset: this.baseOffset } : this.entry(found);
  }

  /**
   * Appends (timestamp, offset) when the timestamp is larger than the last entry's. Throws when the
   * index is full unless `skipFullCheck` (the final entry written when the segment is sealed).
   */
  maybeAppend(timestamp: bigint, offset: bigint, skipFullCheck = false): void {
    // An empty index behaves as if its last entry were (-1, baseOffset): no entry without a timestamp.
    if (this.count === 0 && timestamp <= -1n) return;
    if (this.count > 0) {
      if (timestamp <= this.timestamp(this.count - 1)) return;
      if (offset < this.baseOffset + BigInt(this.relativeOffset(this.count - 1))) return;
    }
    if (!skipFullCheck && this.count >= this.maxEntries) throw new RangeError(`time index of segment ${this.baseOffset} is full`);
    const rel = offset - this.baseOffset;
    if (rel < 0n || rel > 0x7fffffffn) throw new RangeError(`offset ${offset} does not fit segment ${this.baseOffset}`);
    this.ensureCapacity(this.count + 1);
    this.buf.writeBigInt64BE(timestamp, this.count * ENTRY);
    this.buf.writeInt32BE(Number(rel), this.count * ENTRY + 8);
    this.count++;
  }

  /** Removes every entry whose offset is >= `offset`. */
  truncateTo(offset: bigint): void {
    const rel = offset - this.baseOffset;
    if (rel <= 0n) {
      this.count = 0;
      return;
    }
    const target = rel > 0x7fffffffn ? 0x7fffffff : Number(rel);
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relativeOffset(mid) < target) lo = mid + 1;
      else hi = mid;
    }
    this.count = lo;
  }


  /**
   * True when timestamps strictly increase, offsets never decrease and stay within
   * [baseOffset, maxOffset] (maxOffset: the segment's last offset, when known).
   */
  isValid(maxOffset: bigint | null): boolean {
    let prevTs: bigint | null = null;
    let prevRel = 0;
    for (let i = 0; i < this.count; i++) {
      const ts = this.timestamp(i);
      const rel = this.relativeOffset(i);
      if (rel < prevRel || (prevTs !== null && ts <= prevTs)) return false;
      prevTs = ts;
      prevRel = rel;
    }
    return this.count === 0 || maxOffset === null || this.baseOffset + BigInt(prevRel) <= maxOffset;
  }



  /** Reads a time index file; null when its length is not a whole number of entries (corrupt). */
  static async load(file: StorageFile, baseOffset: bigint, maxIndexBytes: number): Promise<TimeIndex | null> {
    const entries = await AbstractIndex.readEntries(file, ENTRY);
    return entries === null ? null : new TimeIndex(baseOffset, maxIndexBytes, entries);
  }
}
