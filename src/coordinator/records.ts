/**
 * The group coordinator's records, byte for byte as Kafka writes them to __consumer_offsets:
 *
 *   key   = int16 record type | key body       (type 0/1: OffsetCommitKey, type 2: GroupMetadataKey)
 *   value = int16 value version | value body  (null: a tombstone, the key is deleted)
 *
 * Written: OffsetCommitValue v3 (v1 when the commit carried a retention time, as Kafka does),
 * GroupMetadataValue v3. Read: every version (the generated decoders).
 *
 * A batch (the records of one write, or a snapshot) is the records one after another:
 *
 *   entry = key length: int32 | key | value length: int32 (-1 for a tombstone) | value
 *
 * Offset records, the hot path (an OffsetCommit of 100 partitions is 100 of them), are encoded
 * inline into the batch buffer; group records go through the generated encoders.
 */
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import {
  decodeGroupMetadataKey,
  decodeGroupMetadataValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  type GroupMetadataValue,
} from '../protocol/generated/records/group-metadata.js';
import { decodeOffsetCommitKey, decodeOffsetCommitValue } from '../protocol/generated/records/offset-commit.js';

export const OFFSET_COMMIT_KEY_TYPE = 1;
export const GROUP_METADATA_KEY_TYPE = 2;
const GROUP_METADATA_VALUE_VERSION = 3;

/** A committed offset as the coordinator keeps it. */
export interface OffsetAndMetadata {
  offset: bigint;
  /** -1 when unknown. */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Set by commits of v1-v4 that carried a retention time; -1 otherwise (broker retention applies). */
  expireTimestamp: number;
}

/** One record, decoded: what the coordinator's replay function applies. */
export type CoordinatorRecord =
  | { type: 'offset'; group: string; topic: string; partition: number; value: OffsetAndMetadata | null }
  | { type: 'group'; group: string; value: GroupMetadataValue | null };

const strBytes = (s: string): number => 2 + Buffer.byteLength(s, 'utf8');

function writeStr(buf: Buffer, pos: number, s: string): number {
  const n = buf.write(s, pos + 2, 'utf8');
  buf.writeInt16BE(n, pos);
  return pos + 2 + n;
}

function offsetKeySize(group: string, topic: string): number {
  return 2 + strBytes(group) + strBytes(topic) + 4;
}

function offsetValueSize(v: OffsetAndMetadata): number {
  return v.expireTimestamp >= 0 ? 2 + 8 + strBytes(v.metadata) + 8 + 8 : 2 + 8 + 4 + strBytes(v.metadata) + 8;
}

function writeOffsetKey(buf: Buffer, pos: number, group: string, topic: string, partition: number): number {
  pos = buf.writeInt16BE(OFFSET_COMMIT_KEY_TYPE, pos);
  pos = writeStr(buf, pos, group);
  pos = writeStr(buf, pos, topic);
  return buf.writeInt32BE(partition, pos);
}

/** An int64 held in a number (a safe integer: timestamps, and offsets below 2^53). */
function writeInt64(buf: Buffer, pos: number, n: number): number {
  pos = buf.writeInt32BE(Math.floor(n / 0x1_0000_0000), pos);
  return buf.writeUInt32BE(n >>> 0, pos);
}

function writeBigInt64(buf: Buffer, pos: number, n: bigint): number {
  return n >= -9007199254740991n && n <= 9007199254740991n ? writeInt64(buf, pos, Number(n)) : buf.writeBigInt64BE(n, pos);
}

/** OffsetCommitValue v3, or v1 (no leader epoch, with the expire timestamp) for a commit with a retention time. */
function writeOffsetValue(buf: Buffer, pos: number, v: OffsetAndMetadata): number {
  const v1 = v.expireTimestamp >= 0;
  pos = buf.writeInt16BE(v1 ? 1 : 3, pos);
  pos = writeBigInt64(buf, pos, v.offset);
  if (!v1) pos = buf.writeInt32BE(v.leaderEpoch, pos);
  pos = writeStr(buf, pos, v.metadata);
  pos = writeInt64(buf, pos, v.commitTimestamp);
  if (v1) pos = writeInt64(buf, pos, v.expireTimestamp);
  return pos;
}

/** Builds a batch: records appended in order into one growing buffer. */
export class RecordBatchBuilder {
  private buf: Buffer;
  private pos = 0;
  /** The records as appended, for the caller to apply without decoding them again. */
  readonly records: CoordinatorRecord[] = [];

  constructor(initialSize = 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get count(): number {
    return this.records.length;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The key bytes before the partition, for the last (group, topic): consecutive records share it. */
  private prefixGroup = '';
  private prefixTopic = '';
  private prefix: Buffer | null = null;

  offset(group: string, topic: string, partition: number, value: OffsetAndMetadata | null): this {
    if (this.prefix === null || group !== this.prefixGroup || topic !== this.prefixTopic) {
      const k = offsetCommitKey(group, topic, 0);
      this.prefix = k.subarray(0, k.length - 4);
      this.prefixGroup = group;
      this.prefixTopic = topic;
    }
    const prefix = this.prefix;
    const keySize = prefix.length + 4;
    const valueSize = value ? offsetValueSize(value) : 0;
    this.ensure(8 + keySize + valueSize);
    let pos = this.buf.writeInt32BE(keySize, this.pos);
    prefix.copy(this.buf, pos);
    pos = this.buf.writeInt32BE(partition, pos + prefix.length);
    pos = this.buf.writeInt32BE(value ? valueSize : -1, pos);
    if (value) pos = writeOffsetValue(this.buf, pos, value);
    this.pos = pos;
    this.records.push({ type: 'offset', group, topic, partition, value });
    return this;
  }

  group(group: string, value: GroupMetadataValue | null): this {
    this.raw(groupMetadataKey(group), value ? groupMetadataValue(value) : null);
    this.records.push({ type: 'group', group, value });
    return this;
  }

  private raw(key: Uint8Array, value: Uint8Array | null): void {
    this.ensure(8 + key.length + (value?.length ?? 0));
    this.pos = this.buf.writeInt32BE(key.length, this.pos);
    this.buf.set(key, this.pos);
    this.pos += key.length;
    this.pos = this.buf.writeInt32BE(value ? value.length : -1, this.pos);
    if (value) {
      this.buf.set(value, this.pos);
      this.pos += value.length;
    }
  }

  /** The batch bytes (a view of the builder's buffer). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Reads a batch back into records. Group values are copied out, so they do not pin the batch bytes. */
export function decodeBatch(bytes: Uint8Array): CoordinatorRecord[] {
  const buf = asBuffer(bytes);
  const out: CoordinatorRecord[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const keyLen = buf.readInt32BE(pos);
    pos += 4;
    const key = buf.subarray(pos, pos + keyLen);
    pos += keyLen;
    const valueLen = buf.readInt32BE(pos);
    pos += 4;
    const value = valueLen < 0 ? null : buf.subarray(pos, pos + valueLen);
    if (valueLen > 0) pos += valueLen;
    out.push(decodeRecord(key, value));
  }
  return out;
}

export function decodeRecord(key: Uint8Array, value: Uint8Array | null): CoordinatorRecord {
  const k = decodeKey(key);
  if (k.type === 'offset') return { ...k, value: value ? decodeOffsetValue(value) : null };
  return { type: 'group', group: k.group, value: value ? decodeGroupValue(Buffer.from(value)) : null };
}

// ---------------------------------------------------------------------------------------------
// Single keys and values (Kafka's byte layout)

export type DecodedKey = { type: 'offset'; group: string; topic: string; partition: number } | { type: 'group'; group: string };

export function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  const buf = Buffer.allocUnsafe(offsetKeySize(group, topic));
  writeOffsetKey(buf, 0, group, topic, partition);
  return buf;
}

export function offsetCommitValue(o: OffsetAndMetadata): Buffer {
  const buf = Buffer.allocUnsafe(offsetValueSize(o));
  writeOffsetValue(buf, 0, o);
  return buf;
}

export function groupMetadataKey(group: string): Buffer {
  const w = new Writer(64, false);
  w.int16(GROUP_METADATA_KEY_TYPE);
  encodeGroupMetadataKey(w, 0, { group });
  return w.toBuffer();
}

export function groupMetadataValue(v: GroupMetadataValue): Buffer {
  const w = new Writer(256, false);
  w.int16(GROUP_METADATA_VALUE_VERSION);
  encodeGroupMetadataValue(w, GROUP_METADATA_VALUE_VERSION, v);
  return w.toBuffer();
}

export function decodeKey(bytes: Uint8Array): DecodedKey {
  const r = new Reader(asBuffer(bytes));
  const type = r.int16();
  if (type === 0 || type === OFFSET_COMMIT_KEY_TYPE) {
    const k = decodeOffsetCommitKey(r, 0);
    return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition };
  }
  if (type === GROUP_METADATA_KEY_TYPE) return { type: 'group', group: decodeGroupMetadataKey(r, 0).group };
  throw new Error(`unknown coordinator record key type ${type}`);
}

export function decodeOffsetValue(bytes: Uint8Array): OffsetAndMetadata {
  const r = new Reader(asBuffer(bytes));
  const version = r.int16();
  const v = decodeOffsetCommitValue(r, version);
  return {
    offset: v.offset,
    leaderEpoch: v.leaderEpoch,
    metadata: v.metadata,
    commitTimestamp: Number(v.commitTimestamp),
    expireTimestamp: Number(v.expireTimestamp),
  };
}

export function decodeGroupValue(bytes: Uint8Array): GroupMetadataValue {
  const r = new Reader(asBuffer(bytes));
  const version = r.int16();
  return decodeGroupMetadataValue(r, version);
}
