/**
 * The sparse offset index of one segment (`<base offset>.index`), Kafka's OffsetIndex.
 *
 * On disk: a flat array of 8-byte entries, big-endian, no header and no checksum:
 *
 * | bytes | field            | notes                                                          |
 * |------:|------------------|----------------------------------------------------------------|
 * |   0-3 | relative offset  | int32: the last offset of the indexed batch - segment base     |
 * |   4-7 | position         | int32: byte position of that batch in the segment's .log file  |
 *
 * One entry is added per `index.interval.bytes` of log (the first batch of a segment never gets one:
 * offsets below the first entry are found from position 0). Offsets and positions are strictly
 * increasing, so lookups are a binary search for the last entry at or below the target, followed by
 * a short forward scan of batch headers in the log. The file of the active segment is preallocated
 * to `segment.index.bytes` (rounded down to whole entries) and trimmed to its entries when the
 * segment is rolled or the log closed; a file that does not hold strictly increasing entries (a
 * preallocated file left by a crash, garbage, a length that is not a multiple of 8) or whose last
 * entry points past the end of the log is corrupt and rebuilt from the log by recovery.
 *
 * In memory the entries of a loaded index are one Buffer in the same format (grown by doubling for
 * the active segment), so loading is a single read and lookups touch no other objects.
 * Not safe for concurrent mutation: its segment's partition serializes appends.
 */
import { AbstractIndex } from './abstract-index.js';
import type { StorageFile } from './segment-files.js';

export interface OffsetPosition {
  offset: bigint;
  position: number;
}

const ENTRY = 8;

export class OffsetIndex extends AbstractIndex {
  static readonly ENTRY_SIZE = ENTRY;

  /** `entries` holds whole entries in the file format (it is copied when the index grows). */
  constructor(baseOffset: bigint, maxIndexBytes: number, entries?: Buffer) {
    super(ENTRY, 'offset index', baseOffset, maxIndexBytes, entries);
  }

  relativeOffset(i: number): number {
    return this.buf.readInt32BE(i * ENTRY);
  }
  position(i: number): number {
    return this.buf.readInt32BE(i * ENTRY + 4);
  }
  entry(i: number): OffsetPosition {
    return { offset: this.baseOffset + BigInt(this.relativeOffset(i)), position: this.position(i) };
  }
  lastEntry(): OffsetPosition | null {
    return this.count === 0 ? null : this.entry(this.count - 1);
  }

  /** Index of the last entry whose offset is <= `offset`, or -1. */
  private floorSlot(offset: bigint): number {
    const rel = offset - this.baseOffset;
    if (rel < 0n) return -1;
    const target = rel > 0x7fffffffn ? 0x7fffffff : Number(rel);
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relativeOffset(mid) <= target) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * The last entry at or below `offset`; `{ baseOffset, 0 }` when there is none. The batch holding
   * `offset` starts at or after the returned position.
   */
  lookup(offset: bigint): OffsetPosition {
    const slot = this.floorSlot(offset);
    return slot < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(slot);
  }

  /** Adds an entry; offsets and positions must grow. Throws when full (callers roll first). */
  append(offset: bigint, position: number): void {
    if (this.count >= this.maxEntries) throw new RangeError(`offset index of segment ${this.baseOffset} is full`);
    const rel = offset - this.baseOffset;
    if (rel < 0n || rel > 0x7fffffffn) throw new RangeError(`offset ${offset} does not fit segment ${this.baseOffset}`);
    if (this.count > 0 && (Number(rel) <= this.relativeOffset(this.count - 1) || position <= this.position(this.count - 1))) {
      throw new RangeError(`offset index entry (${offset}, ${position}) does not follow the last one`);
    }
    this.ensureCapacity(this.count + 1);
    this.buf.writeInt32BE(Number(rel), this.count * ENTRY);
    this.buf.writeInt32BE(position, this.count * ENTRY + 4);
    this.count++;
  }

  /** Removes every entry whose offset is >= `offset`. */
  truncateTo(offset: bigint): void {
    const slot = this.floorSlot(offset - 1n);
    this.count = Math.max(0, slot + 1);
  }

  /**
   * True when the entries are strictly increasing in offset and position and the last one points
   * inside a log of `logSize` bytes (Kafka's sanity check, made strict enough to reject a
   * preallocated file full of zeros).
   */
  isValid(logSize: number): boolean {
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < this.count; i++) {
      const rel = this.relativeOffset(i);
      const pos = this.position(i);
      if (rel <= prevRel || pos <= prevPos) return false;
      prevRel = rel;
      prevPos = pos;
    }
    return this.count === 0 || prevPos < logSize;
  }


  /** Reads an index file; null when its length is not a whole number of entries (corrupt). */
  static async load(file: StorageFile, baseOffset: bigint, maxIndexBytes: number): Promise<OffsetIndex | null> {
    const entries = await AbstractIndex.readEntries(file, ENTRY);
    return entries === null ? null : new OffsetIndex(baseOffset, maxIndexBytes, entries);
  }
}
