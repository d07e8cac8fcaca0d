/**
 * The log cleaner's key -> latest offset map over the dirty section of a log (Kafka's
 * SkimpyOffsetMap), bounded by `log.cleaner.dedupe.buffer.size`.
 *
 * Kafka sizes the map in slots of a 16-byte MD5 of the key plus an 8-byte offset, and fills it to
 * `log.cleaner.io.buffer.load.factor` (0.9) of them: the same count bounds this map, so the same
 * setting lets the same number of keys be deduplicated in one round. When the map is full the
 * cleaner cleans up to the last offset it mapped and leaves the rest for the next round, as Kafka
 * does. Short keys are kept as they are (no hash to compute, no collision); longer ones by their
 * MD5, as in Kafka, so that a map of 1 KiB keys does not hold 1 KiB per entry.
 */
import { createHash } from 'node:crypto';

/** Bytes Kafka counts per slot: an MD5 and an offset. */
const SLOT_BYTES = 16 + 8;
/** Keys up to this many bytes are stored as they are. */
const INLINE_KEY_BYTES = 32;

export class OffsetMap {
  /** Offsets as numbers (exact below 2^53), so that a lookup allocates no bigint. */
  private readonly map = new Map<string, number>();
  private latest = -1;
  /** Entries the map takes before it is full. */
  readonly capacity: number;

  /** `bufferBytes`: log.cleaner.dedupe.buffer.size; `loadFactor`: log.cleaner.io.buffer.load.factor. */
  constructor(bufferBytes: number, loadFactor = 0.9) {
    const slots = Math.floor(bufferBytes / SLOT_BYTES);
    this.capacity = Math.max(1, Math.floor(slots * loadFactor));
  }

  /** The map's key for the key bytes `buf[start, start + length)`. */
  static keyOf(buf: Buffer, start: number, length: number): string {
    if (length <= INLINE_KEY_BYTES) return 'k' + buf.toString('latin1', start, start + length);
    return 'h' + createHash('md5').update(buf.subarray(start, start + length)).digest('base64');
  }

  get size(): number {
    return this.map.size;
  }

  /** True when no new key can be added. */
  get isFull(): boolean {
    return this.map.size >= this.capacity;
  }

  /** Records `offset` as the latest of `key` (from keyOf); returns false (and records nothing) when a new key does not fit. */
  put(key: string, offset: number): boolean {
    if (this.map.size >= this.capacity && !this.map.has(key)) return false;
    this.map.set(key, offset);
    if (offset > this.latest) this.latest = offset;
    return true;
  }

  /** The latest offset of `key` (from keyOf), or -1 when the map does not hold it. */
  get(key: string): number {
    return this.map.get(key) ?? -1;
  }

  /** The last offset the map covers: records beyond it were not looked at, so they are kept. */
  get latestOffset(): bigint {
    return BigInt(this.latest);
  }

  updateLatestOffset(offset: bigint): void {
    if (offset > BigInt(this.latest)) this.latest = Number(offset);
  }

  /** Fraction of the capacity in use (Kafka's buffer utilization statistic). */
  get utilization(): number {
    return this.map.size / this.capacity;
  }

  clear(): void {
    this.map.clear();
    this.latest = -1;
  }
}
