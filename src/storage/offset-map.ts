/**
 * The log cleaner's key -> latest offset map over the dirty section of a log (Kafka's
 * SkimpyOffsetMap), bounded by `log.cleaner.dedupe.buffer.size`.
 *
 * Kafka sizes the map in slots of a 16-byte MD5 of the key plus an 8-byte offset, and fills it to
 * `log.cleaner.io.buffer.load.factor` (0.9) of them: the same count bounds this map, so the same
 * setting lets the same number of keys be deduplicated in one round. When the map is full the
 * cleaner cleans up to the last offset it mapped and leaves the rest for the next round, as Kafka
 * does.
 *
 * Like Kafka's, the map is an open-addressing table of fixed-size slots in preallocated arrays (a
 * 16-byte digest and an offset per slot), read and written straight from the key bytes in a batch:
 * the cleaner looks up every record of a log twice, and a JS Map keyed by a string per record
 * made the garbage collector's scavenges, and the full collections they set off, the longest
 * stalls a concurrent produce saw. The table grows by doubling up to Kafka's slot count, so a
 * map sized for millions of keys costs little while it holds a few thousand.
 *
 * The digest of a key of up to 15 bytes is the key itself (with its length): exact. A longer key's
 * digest is a 128-bit MurmurHash3 of it (127 bits kept), so two longer keys can share a digest and
 * be taken for one key: the cleaner would then drop the older one's record. Kafka accepts the same
 * risk with its MD5 digest (about n^2 / 2^128 for n keys: never, in practice). Two digests in the
 * same bucket are told apart by probing, which compares the whole digest.
 */

/** Bytes Kafka counts per slot: an MD5 and an offset. */
const SLOT_BYTES = 16 + 8;
/** Keys up to this many bytes are their own digest. */
const INLINE_KEY_BYTES = 15;
/** Slots of a new table; it doubles as keys come. */
const INITIAL_SLOTS = 1 << 12;
/** A table below the full size doubles when this full (linear probing slows beyond). */
const GROW_AT = 0.5;
/** The top bit of a digest's first word: set for a hashed key, clear for an inline one. */
const HASHED = 0x80000000 | 0;

/** The digest of the last key looked at (words of 32 bits). */
let d0 = 0;
let d1 = 0;
let d2 = 0;
let d3 = 0;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function le32(buf: Buffer, at: number): number {
  return buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24);
}

/** MurmurHash3 (x86, 128-bit, seed 0) of `buf[start, start + length)` into d0..d3. */
function murmur128(buf: Buffer, start: number, length: number): void {
  const c1 = 0x239b961b;
  const c2 = 0xab0e9789 | 0;
  const c3 = 0x38b34ae5;
  const c4 = 0xa1e38b93 | 0;
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let h4 = 0;
  const blocksEnd = start + (length & ~15);
  let i = start;
  for (; i < blocksEnd; i += 16) {
    let k1 = le32(buf, i);
    let k2 = le32(buf, i + 4);
    let k3 = le32(buf, i + 8);
    let k4 = le32(buf, i + 12);
    k1 = Math.imul(rotl(Math.imul(k1, c1), 15), c2);
    h1 ^= k1;
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, c2), 16), c3);
    h2 ^= k2;
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, c3), 17), c4);
    h3 ^= k3;
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, c4), 18), c1);
    h4 ^= k4;
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  // The tail: up to 15 bytes, little-endian into four lanes.
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  const tail = length & 15;
  for (let j = tail - 1; j >= 0; j--) {
    const b = buf[i + j];
    if (j >= 12) k4 |= b << ((j - 12) * 8);
    else if (j >= 8) k3 |= b << ((j - 8) * 8);
    else if (j >= 4) k2 |= b << ((j - 4) * 8);
    else k1 |= b << (j * 8);
  }
  if (tail > 12) h4 ^= Math.imul(rotl(Math.imul(k4, c4), 18), c1);
  if (tail > 8) h3 ^= Math.imul(rotl(Math.imul(k3, c3), 17), c4);
  if (tail > 4) h2 ^= Math.imul(rotl(Math.imul(k2, c2), 16), c3);
  if (tail > 0) h1 ^= Math.imul(rotl(Math.imul(k1, c1), 15), c2);
  h1 ^= length;
  h2 ^= length;
  h3 ^= length;
  h4 ^= length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h3 = fmix32(h3);
  h4 = fmix32(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  d0 = h1 | HASHED;
  d1 = h2;
  d2 = h3;
  d3 = h4;
}

/** Big-endian bytes `buf[from, to)` (at most 4) as the high bytes of a word. */
function packed(buf: Buffer, from: number, to: number): number {
  let w = 0;
  for (let k = 0; k < 4; k++) w = (w << 8) | (from + k < to ? buf[from + k] : 0);
  return w;
}

/** Sets d0..d3 to the digest of the key `buf[start, start + length)`; returns its bucket hash. */
function digest(buf: Buffer, start: number, length: number): number {
  if (length > INLINE_KEY_BYTES) {
    murmur128(buf, start, length);
    return d1;
  }
  // Length in the top byte (below 16: the HASHED bit stays clear), then the bytes.
  const end = start + length;
  d0 = (length << 24) | (packed(buf, start, Math.min(end, start + 3)) >>> 8);
  d1 = packed(buf, start + 3, end);
  d2 = packed(buf, start + 7, end);
  d3 = packed(buf, start + 11, end);
  return inlineBucket();
}

export class OffsetMap {
  /** Entries the map takes before it is full. */
  readonly capacity: number;
  /** The table's largest size: Kafka's slot count (one more when the capacity would fill it). */
  private readonly maxSlots: number;
  private slots = 0;
  /** Four words of digest per slot. */
  private digests = new Int32Array(0);
  /** The offset per slot (exact below 2^53, so a lookup allocates no bigint); -1: empty. */
  private offsets = new Float64Array(0);
  private entries = 0;
  private latest = -1;

  /** `bufferBytes`: log.cleaner.dedupe.buffer.size; `loadFactor`: log.cleaner.io.buffer.load.factor. */
  constructor(bufferBytes: number, loadFactor = 0.9) {
    const slots = Math.floor(bufferBytes / SLOT_BYTES);
    this.capacity = Math.max(1, Math.floor(slots * loadFactor));
    // An empty slot must remain, or probing for a missing key would not end.
    this.maxSlots = Math.max(slots, this.capacity + 1);
  }

  get size(): number {
    return this.entries;
  }

  /** True when no new key can be added. */
  get isFull(): boolean {
    return this.entries >= this.capacity;
  }

  /** The slot holding the digest d0..d3 (bucket hash `h`), or the empty slot where it would go. */
  private find(h: number): number {
    const digests = this.digests;
    const offsets = this.offsets;
    const slots = this.slots;
    let i = (h >>> 0) % slots;
    for (;;) {
      if (offsets[i] < 0) return i;
      const w = i * 4;
      if (digests[w] === d0 && digests[w + 1] === d1 && digests[w + 2] === d2 && digests[w + 3] === d3) return i;
      if (++i === slots) i = 0;
    }
  }

  /**
   * Records `offset` as the latest of the key `buf[start, start + length)`; returns false (and
   * records nothing) when a new key does not fit.
   */
  put(buf: Buffer, start: number, length: number, offset: number): boolean {
    if (this.slots === 0) this.resize(Math.min(this.maxSlots, INITIAL_SLOTS));
    const h = digest(buf, start, length);
    let i = this.find(h);
    if (this.offsets[i] < 0) {
      if (this.entries >= this.capacity) return false;
      if (this.slots < this.maxSlots && this.entries + 1 > this.slots * GROW_AT) {
        // Rehashing uses the digest words: the new key's are put back after.
        const [w0, w1, w2, w3] = [d0, d1, d2, d3];
        this.resize(Math.min(this.maxSlots, this.slots * 2));
        [d0, d1, d2, d3] = [w0, w1, w2, w3];
        i = this.find(h);
      }
      const w = i * 4;
      this.digests[w] = d0;
      this.digests[w + 1] = d1;
      this.digests[w + 2] = d2;
      this.digests[w + 3] = d3;
      this.entries++;
    }
    this.offsets[i] = offset;
    if (offset > this.latest) this.latest = offset;
    return true;
  }

  /** The latest offset of the key `buf[start, start + length)`, or -1 when the map does not hold it. */
  get(buf: Buffer, start: number, length: number): number {
    if (this.entries === 0) return -1;
    return this.offsets[this.find(digest(buf, start, length))];
  }

  private resize(slots: number): void {
    const oldDigests = this.digests;
    const oldOffsets = this.offsets;
    const oldSlots = this.slots;
    this.slots = slots;
    this.digests = new Int32Array(slots * 4);
    this.offsets = new Float64Array(slots).fill(-1);
    for (let j = 0; j < oldSlots; j++) {
      if (oldOffsets[j] < 0) continue;
      const w = j * 4;
      d0 = oldDigests[w];
      d1 = oldDigests[w + 1];
      d2 = oldDigests[w + 2];
      d3 = oldDigests[w + 3];
      // The bucket hash is the digest's: hashed keys' second word, inline keys' mix of the words.
      const h = (d0 & HASHED) !== 0 ? d1 : inlineBucket();
      const i = this.find(h);
      this.digests.set(oldDigests.subarray(w, w + 4), i * 4);
      this.offsets[i] = oldOffsets[j];
    }
  }

  /** The last offset the map covers: records beyond it were not looked at, so they are kept. */
  get latestOffset(): bigint {
    return BigInt(this.latest);
  }

  /** latestOffset as a number (-1 when empty). */
  get latestOffsetNumber(): number {
    return this.latest;
  }

  updateLatestOffset(offset: bigint | number): void {
    const n = Number(offset);
    if (n > this.latest) this.latest = n;
  }

  /** Fraction of the capacity in use (Kafka's buffer utilization statistic). */
  get utilization(): number {
    return this.entries / this.capacity;
  }

  /** Empties the map; the table keeps its size, so a map filled once is not allocated again. */
  clear(): void {
    if (this.entries > 0) this.offsets.fill(-1);
    this.entries = 0;
    this.latest = -1;
  }
}

/** The bucket hash of an inline digest in d0..d3 (a hashed one's is its second word). */
function inlineBucket(): number {
  let h = fmix32(d0 ^ Math.imul(d1, 0x9e3779b1));
  h = fmix32(h ^ Math.imul(d2, 0x85ebca6b));
  return fmix32(h ^ Math.imul(d3, 0xc2b2ae35));
}
