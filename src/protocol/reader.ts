/**
 * A bounds-checked cursor over one Kafka frame. Every read checks the remaining length first and
 * throws ProtocolDecodeError, never RangeError or anything else, so a hostile frame can only close
 * its own connection. Reads allocate nothing beyond the value returned: byte fields are subarrays
 * of the frame (zero copy), strings are decoded straight from it.
 *
 * Counts and lengths are checked against the bytes that remain before anything is allocated for
 * them, so a frame claiming two billion elements fails at once instead of exhausting memory.
 */
import { ProtocolDecodeError } from './decode-error.js';
import { cursor, readUnsignedVarint, readVarint, readVarlong } from './varint.js';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** An unknown tagged field, kept as raw bytes so it can be written back unchanged. */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

export class Reader {
  pos: number;
  end: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    const p = this.pos;
    if (n > this.end - p) throw new ProtocolDecodeError(`need ${n} bytes at offset ${p}, have ${this.end - p}`);
    this.pos = p + n;
    return p;
  }

  bool(): boolean {
    return this.buf[this.need(1)] !== 0;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1));
  }

  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }

  uint16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }

  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }

  uint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }

  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }

  float64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }

  uuid(): string {
    const p = this.need(16);
    const b = this.buf;
    let s = '';
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
      s += HEX[b[p + i]];
    }
    return s;
  }

  unsignedVarint(): number {
    // Most varints on the wire (lengths, counts, tag counts) fit in one byte.
    const p = this.pos;
    if (p < this.end) {
      const b = this.buf[p];
      if (b < 0x80) {
        this.pos = p + 1;
        return b;
      }
    }
    const v = readUnsignedVarint(this.buf, this.pos, this.end);
    this.pos = cursor.pos;
    return v;
  }

  varint(): number {
    const v = readVarint(this.buf, this.pos, this.end);
    this.pos = cursor.pos;
    return v;
  }

  varlong(): bigint {
    const v = readVarlong(this.buf, this.pos, this.end);
    this.pos = cursor.pos;
    return v;
  }

  private text(length: number): string {
    const p = this.need(length);
    return this.buf.toString('utf8', p, p + length);
  }

  private slice(length: number): Buffer {
    const p = this.need(length);
    // A view over the same memory; Buffer.from(arrayBuffer, ...) is cheaper than subarray()'s species lookup.
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + p, length);
  }

  // Non-flexible encodings: int16 length strings, int32 length bytes and arrays, -1 for null.

  string(): string {
    const n = this.int16();
    if (n < 0) throw new ProtocolDecodeError(`negative string length ${n}`);
    return this.text(n);
  }

  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) {
      if (n === -1) return null;
      throw new ProtocolDecodeError(`invalid string length ${n}`);
    }
    return this.text(n);
  }

  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) throw new ProtocolDecodeError(`negative bytes length ${n}`);
    return this.slice(n);
  }

  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) {
      if (n === -1) return null;
      throw new ProtocolDecodeError(`invalid bytes length ${n}`);
    }
    return this.slice(n);
  }

  /** An int32 element count; -1 (null) is returned as -1 for the caller to map to null. */
  arrayLength(): number {
    const n = this.int32();
    if (n < -1) throw new ProtocolDecodeError(`invalid array length ${n}`);
    if (n > this.end - this.pos) throw new ProtocolDecodeError(`array length ${n} exceeds remaining ${this.end - this.pos} bytes`);
    return n;
  }

  // Flexible (compact) encodings: unsigned varint of length + 1, 0 for null.

  compactString(): string {
    const n = this.unsignedVarint() - 1;
    if (n < 0) throw new ProtocolDecodeError('null compact string where a string is required');
    return this.text(n);
  }

  compactNullableString(): string | null {
    const n = this.unsignedVarint() - 1;
    return n < 0 ? null : this.text(n);
  }

  compactBytes(): Buffer {
    const n = this.unsignedVarint() - 1;
    if (n < 0) throw new ProtocolDecodeError('null compact bytes where bytes are required');
    return this.slice(n);
  }

  compactNullableBytes(): Buffer | null {
    const n = this.unsignedVarint() - 1;
    return n < 0 ? null : this.slice(n);
  }

  /** A compact element count; null (-1) is returned as -1. */
  compactArrayLength(): number {
    const n = this.unsignedVarint() - 1;
    if (n > this.end - this.pos) throw new ProtocolDecodeError(`array length ${n} exceeds remaining ${this.end - this.pos} bytes`);
    return n;
  }

  /** Tagged-field section header: the number of tagged fields that follow. */
  tagCount(): number {
    const n = this.unsignedVarint();
    if (n > this.end - this.pos) throw new ProtocolDecodeError(`tag count ${n} exceeds remaining bytes`);
    return n;
  }

  /**
   * Reads one tag header and returns a Reader bounded to that field's bytes; advances past them.
   * The tag number is left in `lastTag`.
   */
  lastTag = 0;
  taggedField(): Reader {
    this.lastTag = this.unsignedVarint();
    const size = this.unsignedVarint();
    const p = this.need(size);
    return new Reader(this.buf, p, p + size);
  }

  /** Keeps an unknown tagged field whose sub-reader `sub` was returned by taggedField(). */
  static unknownTag(tag: number, sub: Reader): TaggedField {
    return { tag, data: sub.buf.subarray(sub.pos, sub.end) };
  }

  /** Checks that a tagged field's value consumed exactly its declared size. */
  static expectConsumed(sub: Reader): void {
    if (sub.pos !== sub.end) throw new ProtocolDecodeError(`tagged field has ${sub.end - sub.pos} unread bytes`);
  }
}
