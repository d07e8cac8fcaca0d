/**
 * Builds one Kafka frame. Small values go into a growable scratch buffer (doubling, so a frame costs
 * O(log n) reallocations, never a concat per field); large byte fields such as record batches are
 * not copied but kept by reference as their own chunk, so a Fetch response carrying stored batches
 * becomes a list of buffers for the socket (writev) with the batch bytes untouched.
 *
 * The first four bytes are reserved for the frame's size prefix, filled in by finish().
 */
import { writeUnsignedVarint, writeVarint, writeVarlong } from './varint.js';
import type { TaggedField } from './reader.js';

/** Byte fields at least this large are kept by reference instead of copied. */
const ZERO_COPY_THRESHOLD = 4096;

export class Writer {
  private buf: Buffer;
  private pos: number;
  /** Finished pieces before `buf`: scratch slices and referenced large buffers, in order. */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private readonly sizePrefix: boolean;

  constructor(initialSize = 256, sizePrefix = true) {
    this.buf = Buffer.allocUnsafe(initialSize);
    this.sizePrefix = sizePrefix;
    this.pos = sizePrefix ? 4 : 0;
  }

  /** Bytes written so far, size prefix included. */
  get length(): number {
    return this.chunkBytes + this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  bool(v: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  int8(v: number): this {
    this.ensure(1);
    this.pos = this.buf.writeInt8(v, this.pos);
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(v, this.pos);
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(v, this.pos);
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(v, this.pos);
    return this;
  }

  int64(v: bigint): this {
    this.ensure(8);
    this.pos = this.buf.writeBigInt64BE(v, this.pos);
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(v, this.pos);
    return this;
  }

  uuid(v: string): this {
    this.ensure(16);
    const hex = v.length === 36 ? v.replace(/-/g, '') : v;
    this.pos += this.buf.write(hex, this.pos, 16, 'hex');
    return this;
  }

  unsignedVarint(v: number): this {
    this.ensure(5);
    this.pos = writeUnsignedVarint(this.buf, this.pos, v);
    return this;
  }

  varint(v: number): this {
    this.ensure(5);
    this.pos = writeVarint(this.buf, this.pos, v);
    return this;
  }

  varlong(v: bigint): this {
    this.ensure(10);
    this.pos = writeVarlong(this.buf, this.pos, v);
    return this;
  }

  /** Raw bytes with no length prefix; large ones are referenced, not copied. */
  raw(data: Buffer): this {
    if (data.length >= ZERO_COPY_THRESHOLD) {
      this.flushScratch();
      this.chunks.push(data);
      this.chunkBytes += data.length;
      return this;
    }
    this.ensure(data.length);
    this.pos += data.copy(this.buf, this.pos);
    return this;
  }

  private flushScratch(): void {
    if (this.pos === 0) return;
    const piece = this.buf.subarray(0, this.pos);
    this.chunks.push(piece);
    this.chunkBytes += this.pos;
    // The flushed piece keeps the old buffer alive; continue in the unused tail, or a new buffer.
    const rest = this.buf.length - this.pos;
    this.buf = rest >= 64 ? this.buf.subarray(this.pos) : Buffer.allocUnsafe(256);
    this.pos = 0;
  }

  private utf8(v: string, bytes: number): this {
    this.ensure(bytes);
    if (bytes === v.length) {
      // Pure ASCII: a byte per char; a loop beats the generic encoder for the short names Kafka sends.
      if (bytes < 64) {
        const buf = this.buf;
        const p = this.pos;
        for (let i = 0; i < bytes; i++) buf[p + i] = v.charCodeAt(i);
        this.pos = p + bytes;
        return this;
      }
      this.pos += this.buf.write(v, this.pos, bytes, 'latin1');
      return this;
    }
    this.pos += this.buf.write(v, this.pos, bytes, 'utf8');
    return this;
  }

  // Non-flexible encodings.

  string(v: string): this {
    const n = Buffer.byteLength(v, 'utf8');
    return this.int16(n).utf8(v, n);
  }

  nullableString(v: string | null): this {
    return v === null ? this.int16(-1) : this.string(v);
  }

  bytes(v: Buffer): this {
    this.int32(v.length);
    return this.raw(v);
  }

  nullableBytes(v: Buffer | null): this {
    return v === null ? this.int32(-1) : this.bytes(v);
  }

  arrayLength(n: number): this {
    return this.int32(n);
  }

  // Flexible (compact) encodings.

  compactString(v: string): this {
    const n = Buffer.byteLength(v, 'utf8');
    return this.unsignedVarint(n + 1).utf8(v, n);
  }

  compactNullableString(v: string | null): this {
    return v === null ? this.unsignedVarint(0) : this.compactString(v);
  }

  compactBytes(v: Buffer): this {
    this.unsignedVarint(v.length + 1);
    return this.raw(v);
  }

  compactNullableBytes(v: Buffer | null): this {
    return v === null ? this.unsignedVarint(0) : this.compactBytes(v);
  }

  compactArrayLength(n: number): this {
    return this.unsignedVarint(n + 1);
  }

  /**
   * Writes a tagged-field section: known fields already encoded as [tag, bytes] pairs plus unknown
   * ones kept from decoding, merged in ascending tag order as the spec requires.
   */
  taggedFields(known: TaggedField[] | null, unknown: TaggedField[] | undefined): this {
    const all = known === null ? unknown ?? [] : unknown === undefined ? known : known.concat(unknown);
    if (all.length === 0) return this.unsignedVarint(0);
    if (all.length > 1) all.sort((a, b) => a.tag - b.tag);
    this.unsignedVarint(all.length);
    for (const f of all) {
      this.unsignedVarint(f.tag);
      this.unsignedVarint(f.data.length);
      this.raw(f.data);
    }
    return this;
  }

  /** Encodes a value with a fresh Writer (no size prefix) and returns its bytes: for tagged fields. */
  static encodeToBuffer(encode: (w: Writer) => void): Buffer {
    const w = new Writer(64, false);
    encode(w);
    return w.toBuffer();
  }

  /** The frame as a list of buffers, size prefix filled in when reserved. For socket writev. */
  finish(): Buffer[] {
    this.flushScratch();
    if (this.sizePrefix) this.chunks[0].writeInt32BE(this.chunkBytes - 4, 0);
    return this.chunks;
  }

  /** The frame as one contiguous Buffer (copies only when large byte fields were referenced). */
  toBuffer(): Buffer {
    const chunks = this.finish();
    if (chunks.length === 1) return chunks[0];
    if (chunks.length === 0) return Buffer.alloc(0);
    return Buffer.concat(chunks, this.chunkBytes);
  }
}

