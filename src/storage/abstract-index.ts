/**
 * What the offset and time indexes share (Kafka's AbstractIndex): a flat array of fixed-size,
 * big-endian entries kept in one Buffer in the file's own format (grown by doubling for the active
 * segment), a capacity of floor(segment.index.bytes / entry size), and the file form: preallocated
 * to that capacity while the segment is active, trimmed to the entries when it is sealed.
 * Not safe for concurrent mutation: its segment's partition serializes appends.
 */
import type { StorageFile } from './segment-files.js';
import { readFully, writeFully } from './segment-files.js';

export abstract class AbstractIndex {
  readonly baseOffset: bigint;
  /** floor(segment.index.bytes / entry size). */
  readonly maxEntries: number;
  protected buf: Buffer;
  protected count: number;

  /** `entries` holds whole entries in the file format (it is copied when the index grows). */
  protected constructor(
    protected readonly entrySize: number,
    kind: string,
    baseOffset: bigint,
    maxIndexBytes: number,
    entries?: Buffer,
  ) {
    this.baseOffset = baseOffset;
    this.maxEntries = Math.max(0, Math.floor(maxIndexBytes / entrySize));
    if (entries !== undefined && entries.length % entrySize !== 0) {
      throw new RangeError(`${kind} of ${entries.length} bytes is not a whole number of entries`);
    }
    this.buf = entries ?? Buffer.allocUnsafe(Math.min(entrySize * 64, Math.max(entrySize, this.maxEntries * entrySize)));
    this.count = entries === undefined ? 0 : entries.length / entrySize;
  }

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  /** Bytes of valid entries (the trimmed file size). */
  get sizeInBytes(): number {
    return this.count * this.entrySize;
  }

  /** Keeps only the first `entries` entries (undoes appends that were not written). */
  truncateToEntries(entries: number): void {
    if (entries < this.count) this.count = Math.max(0, entries);
  }

  /** The valid entries as file bytes (a view). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.count * this.entrySize);
  }

  protected ensureCapacity(entries: number): void {
    const size = this.entrySize;
    if (entries * size <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(entries * size, Math.min(this.buf.length * 2, Math.max(this.maxEntries, entries) * size)));
    this.buf.copy(grown, 0, 0, this.count * size);
    this.buf = grown;
  }

  /**
   * Writes the entries to `file` and sets its length: `preallocate` keeps it at segment.index.bytes
   * (the active segment), otherwise it is trimmed to the entries.
   */
  async writeTo(file: StorageFile, preallocate: boolean): Promise<void> {
    if (this.count > 0) await writeFully(file, [this.bytes()], 0);
    // Trim first so that bytes past the entries read as zeros (never stale entries) when preallocated.
    await file.truncate(this.count * this.entrySize);
    if (preallocate && this.maxEntries > this.count) await file.truncate(this.maxEntries * this.entrySize);
  }

  /** Reads an index file's bytes; null when its length is not a whole number of entries (corrupt). */
  protected static async readEntries(file: StorageFile, entrySize: number): Promise<Buffer | null> {
    const { size } = await file.stat();
    if (size % entrySize !== 0) return null;
    const buf = Buffer.allocUnsafe(size);
    const read = await readFully(file, buf, 0, size, 0);
    return read === size ? buf : null;
  }
}
