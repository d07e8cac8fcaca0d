/**
 * Variable-length integers as Kafka writes them: unsigned LEB128 (compact lengths, tag numbers) and
 * zigzag-encoded signed varints/varlongs (record fields). Pure functions over a Buffer and a
 * position, so both the message Reader and the record-batch code share one implementation.
 *
 * A 32-bit varint takes at most 5 bytes and a 64-bit varlong at most 10; anything longer, or running
 * past `end`, throws ProtocolDecodeError.
 */
import { ProtocolDecodeError } from './decode-error.js';

/** Result slot for the position after a decode, so decoders return the value without allocating. */
export const cursor = { pos: 0 };

/** Reads an unsigned varint (up to 32 bits) at `pos`; the next position is left in `cursor.pos`. */
export function readUnsignedVarint(buf: Buffer, pos: number, end: number): number {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (pos >= end) throw new ProtocolDecodeError('varint runs past the end of the buffer');
    const b = buf[pos++];
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      cursor.pos = pos;
      return value >>> 0;
    }
    shift += 7;
  }
  throw new ProtocolDecodeError('varint is longer than 5 bytes');
}

/** Reads a zigzag signed varint (32 bits). */
export function readVarint(buf: Buffer, pos: number, end: number): number {
  const raw = readUnsignedVarint(buf, pos, end);
  return (raw >>> 1) ^ -(raw & 1);
}

/** Reads a zigzag signed varlong (64 bits) as a bigint. */
export function readVarlong(buf: Buffer, pos: number, end: number): bigint {
  // Fast path: values that fit in 28 bits (timestamps deltas, offsets deltas, lengths) stay in int math.
  let raw = 0n;
  let small = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new ProtocolDecodeError('varlong runs past the end of the buffer');
    const b = buf[pos++];
    if (i < 4) {
      small |= (b & 0x7f) << shift;
    } else {
      if (i === 4) raw = BigInt(small >>> 0);
      raw |= BigInt(b & 0x7f) << BigInt(shift);
    }
    if ((b & 0x80) === 0) {
      cursor.pos = pos;
      if (i < 4) return BigInt((small >>> 1) ^ -(small & 1));
      return (raw >> 1n) ^ -(raw & 1n);
    }
    shift += 7;
  }
  throw new ProtocolDecodeError('varlong is longer than 10 bytes');
}

/** Bytes needed for `value` as an unsigned varint. */
export function sizeOfUnsignedVarint(value: number): number {
  value >>>= 0;
  let n = 1;
  while (value >= 0x80) {
    value >>>= 7;
    n++;
  }
  return n;
}

/** Bytes needed for `value` as a zigzag varint. */
export function sizeOfVarint(value: number): number {
  return sizeOfUnsignedVarint((value << 1) ^ (value >> 31));
}

/** Bytes needed for `value` as a zigzag varlong. */
export function sizeOfVarlong(value: bigint): number {
  let raw = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  let n = 1;
  while (raw >= 0x80n) {
    raw >>= 7n;
    n++;
  }
  return n;
}

/** Writes an unsigned varint at `pos` (the caller has ensured room); returns the next position. */
export function writeUnsignedVarint(buf: Buffer, pos: number, value: number): number {
  value >>>= 0;
  while (value >= 0x80) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[pos++] = value;
  return pos;
}

/** Writes a zigzag varint; returns the next position. */
export function writeVarint(buf: Buffer, pos: number, value: number): number {
  return writeUnsignedVarint(buf, pos, (value << 1) ^ (value >> 31));
}

/** Writes a zigzag varlong; returns the next position. */
export function writeVarlong(buf: Buffer, pos: number, value: bigint): number {
  let raw = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  if (raw < 0x80000000n) return writeUnsignedVarint(buf, pos, Number(raw));
  while (raw >= 0x80n) {
    buf[pos++] = Number(raw & 0x7fn) | 0x80;
    raw >>= 7n;
  }
  buf[pos++] = Number(raw);
  return pos;
}
