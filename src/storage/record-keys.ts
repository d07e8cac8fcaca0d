/**
 * Walks the records of a stored batch for what the cleaner judges them by (offset delta, where the
 * key lies, whether the value is null) without decoding them into objects: the cleaner looks at
 * every record of a log twice, and allocating a record object and two buffer views for each made
 * the garbage collector's pauses the longest stalls a concurrent produce saw.
 *
 * Layout of a record (v2): length varint | attributes int8 | timestampDelta varlong |
 * offsetDelta varint | keyLength varint | key | valueLength varint | value | headers.
 */
import { ProtocolDecodeError } from '../protocol/decode-error.js';
import { RECORDS_OFFSET, type RecordBatchView } from '../protocol/records/index.js';
import { cursor, readVarint } from '../protocol/varint.js';

export interface RecordKeyVisitor {
  /**
   * One record: `keyLength` -1 for a null key (else the key is `buf[keyStart, keyStart + keyLength)`).
   * Returning false stops the walk. An object rather than a callback, so that a walk per batch
   * does not allocate a closure per batch.
   */
  record(offsetDelta: number, buf: Buffer, keyStart: number, keyLength: number, valueIsNull: boolean): boolean;
}

/** The base offset of a batch as a number (exact below 2^53), as the bigint getter would allocate. */
export function baseOffsetOf(view: RecordBatchView): number {
  const { buffer, start } = view;
  return buffer.readInt32BE(start) * 0x1_0000_0000 + buffer.readUInt32BE(start + 4);
}

/** The last offset of a batch as a number. */
export function lastOffsetOf(view: RecordBatchView): number {
  return baseOffsetOf(view) + view.lastOffsetDelta;
}

function skipVarlong(buf: Buffer, pos: number, end: number): number {
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new ProtocolDecodeError('varlong runs past the end of its record');
    if ((buf[pos++] & 0x80) === 0) return pos;
  }
  throw new ProtocolDecodeError('varlong is longer than 10 bytes');
}

/** Visits the records of `view` in order (decompressing first when needed, at most `maxBytes`); false when stopped early. */
export function walkRecordKeys(view: RecordBatchView, maxBytes: number, visit: RecordKeyVisitor): boolean {
  const count = view.recordCount;
  if (count <= 0) return true;
  let buf = view.buffer;
  let pos = view.start + RECORDS_OFFSET;
  let end = view.end;
  if (view.compression !== 0) {
    const section = view.recordsSection(maxBytes);
    buf = section.buffer;
    pos = section.start;
    end = section.end;
  }
  for (let i = 0; i < count; i++) {
    const length = readVarint(buf, pos, end);
    pos = cursor.pos;
    if (length < 1 || length > end - pos) throw new ProtocolDecodeError(`record length ${length} runs past the end of the records`);
    const recEnd = pos + length;
    pos = skipVarlong(buf, pos + 1, recEnd);
    const offsetDelta = readVarint(buf, pos, recEnd);
    pos = cursor.pos;
    const keyLength = readVarint(buf, pos, recEnd);
    pos = cursor.pos;
    const keyStart = pos;
    if (keyLength > 0) pos += keyLength;
    if (pos > recEnd) throw new ProtocolDecodeError('record key runs past the end of its record');
    const valueLength = readVarint(buf, pos, recEnd);
    if (!visit.record(offsetDelta, buf, keyStart, keyLength, valueLength < 0)) return false;
    pos = recEnd;
  }
  return true;
}
