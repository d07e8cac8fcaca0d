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
  private readonly map = new Map<string, bigint>();
  private latest = -1n;
  /** Entries the map takes before it is full. */
  readonly capacity: number;

  /** `bufferBytes`: log.cleaner.dedupe.buffer.size; `loadFactor`: log.cleaner.io.buffer.load.factor. */
  constructor(bufferBytes: number, loadFactor = 0.9) {
    const slots = Math.floor(bufferBytes / SLOT_BYTES);
    this.capacity = Math.max(1, Math.floor(slots * loadFactor));
  }

  private static keyOf(key: Buffer): string {
    if (key.length <= INLINE_KEY_BYTES) return 'k' + key.toString('latin1');
    return 'h' + createHash('md5').update(key).digest('base64');
  }

  get size(): number {
    return this.map.size;
  }

  /** True when no new key can be added. */
  get isFull(): boolean {
    return this.map.size >= this.capacity;
  }

  /** Records `offset` as the latest of `key`; returns false (and records nothing) when a new key does not fit. */
  put(key: Buffer, offset: bigint): boolean {
    const k = OffsetMap.keyOf(key);
    if (!this.map.has(k) && this.map.size >= this.capacity) return false;
    this.map.set(k, offset);
    if (offset > this.latest) this.latest = offset;
    return true;
  }

  /** The latest offset of `key`, or -1n when the map does not hold it. */
  get(key: Buffer): bigint {
    return this.map.get(OffsetMap.keyOf(key)) ?? -1n;
  }

  /** The last offset the map covers: records beyond it were not looked at, so they are kept. */
  get latestOffset(): bigint {
    return this.latest;
  }

  updateLatestOffset(offset: bigint): void {
    if (offset > this.latest) this.latest = offset;
  }

  /** Fraction of the capacity in use (Kafka's buffer utilization statistic). */
  get utilization(): number {
    return this.map.size / this.capacity;
  }

  clear(): void {
    this.map.clear();
    this.latest = -1n;
  }
}
