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
 *
 * Consumer groups (KIP-848) use Kafka's ConsumerGroup* record types with Kafka's key layout
 * (int16 type | group id | member id where the key has one) and a value of int16 version 0
 * followed by the msgpack encoding of the value's fields (Kafka writes its own flexible encoding):
 *
 *   3  ConsumerGroupMetadata                 key: group             value: epoch, metadataHash
 *   5  ConsumerGroupMemberMetadata           key: group, member id  value: instanceId, rackId, clientId,
 *                                            clientHost, subscribedTopicNames, subscribedTopicRegex,
 *                                            serverAssignor, rebalanceTimeoutMs
 *   6  ConsumerGroupTargetAssignmentMetadata key: group             value: assignmentEpoch
 *   7  ConsumerGroupTargetAssignmentMember   key: group, member id  value: topicPartitions
 *   8  ConsumerGroupCurrentMemberAssignment  key: group, member id  value: memberEpoch, previousMemberEpoch,
 *                                            state, assignedPartitions, partitionsPendingRevocation
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
import { decodeOffsetCommitKey, decodeOffsetCommitValue, encodeOffsetCommitKey } from '../protocol/generated/records/offset-commit.js';
import { decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack';

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

/** Partitions of one topic, by topic id, as the consumer group records hold them. */
export interface TopicPartitionsValue {
  topicId: string;
  partitions: number[];
}

/** ConsumerGroupMetadataValue: the group epoch and a hash of the subscribed topics' metadata. */
export interface ConsumerGroupEpochValue {
  epoch: number;
  metadataHash: string;
}

/** ConsumerGroupMemberMetadataValue: who the member is and what it subscribes to. */
export interface ConsumerGroupMemberValue {
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  rebalanceTimeoutMs: number;
}

/** ConsumerGroupCurrentMemberAssignmentValue: the member's epoch, reconciliation state and partitions. */
export interface ConsumerGroupCurrentAssignmentValue {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: string;
  assignedPartitions: TopicPartitionsValue[];
  partitionsPendingRevocation: TopicPartitionsValue[];
}

/** The records of a KIP-848 consumer group (key types 3, 5, 6, 7 and 8). */
export type ConsumerGroupRecord =
  | { type: 'cg-epoch'; group: string; value: ConsumerGroupEpochValue | null }
  | { type: 'cg-member'; group: string; memberId: string; value: ConsumerGroupMemberValue | null }
  | { type: 'cg-target-epoch'; group: string; value: { assignmentEpoch: number } | null }
  | { type: 'cg-target-member'; group: string; memberId: string; value: { topicPartitions: TopicPartitionsValue[] } | null }
  | { type: 'cg-current'; group: string; memberId: string; value: ConsumerGroupCurrentAssignmentValue | null };

/** One record, decoded: what the coordinator's replay function applies. */
export type CoordinatorRecord =
  | { type: 'offset'; group: string; topic: string; partition: number; value: OffsetAndMetadata | null }
  | { type: 'group'; group: string; value: GroupMetadataValue | null }
  | ConsumerGroupRecord;

export const CONSUMER_GROUP_KEY_TYPES = {
  'cg-epoch': 3,
  'cg-member': 5,
  'cg-target-epoch': 6,
  'cg-target-member': 7,
  'cg-current': 8,
} as const satisfies Record<ConsumerGroupRecord['type'], number>;

const CONSUMER_GROUP_TYPES_BY_KEY = new Map<number, ConsumerGroupRecord['type']>(
  Object.entries(CONSUMER_GROUP_KEY_TYPES).map(([k, v]) => [v, k as ConsumerGroupRecord['type']]),
);

/** An int64 held in a number (a safe integer), through a DataView. */
function setInt64(view: DataView, pos: number, n: number): void {
  view.setInt32(pos, Math.floor(n / 0x1_0000_0000));
  view.setUint32(pos + 4, n >>> 0);
}

/** Builds a batch: records appended in order into one growing buffer. */
export class RecordBatchBuilder {
  private buf: Buffer;
  /** A view of `buf` for the offset path: DataView accessors compile to plain loads and stores. */
  private view: DataView;
  private pos = 0;
  /** The records as appended, for the caller to apply without decoding them again (empty when not kept). */
  readonly records: CoordinatorRecord[] = [];
  private n = 0;

  /** `keepRecords` false: only the bytes are built (snapshots, which are never applied). */
  constructor(
    initialSize = 1024,
    private readonly keepRecords = true,
  ) {
    this.buf = Buffer.allocUnsafe(initialSize);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  get count(): number {
    return this.n;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.length);
  }

  /** The key bytes before the partition, for the last (group, topic): consecutive records share it. */
  private prefixGroup = '';
  private prefixTopic = '';
  private prefix: Buffer | null = null;
  /** The encoded metadata string of the last offset value (commits mostly repeat it, usually ''). */
  private lastMetadata = '';
  private lastMetadataBytes: Buffer = Buffer.alloc(0);

  offset(group: string, topic: string, partition: number, value: OffsetAndMetadata | null): this {
    if (this.prefix === null || group !== this.prefixGroup || topic !== this.prefixTopic) {
      const k = offsetCommitKey(group, topic, 0);
      this.prefix = k.subarray(0, k.length - 4);
      this.prefixGroup = group;
      this.prefixTopic = topic;
    }
    const prefix = this.prefix;
    const keySize = prefix.length + 4;
    let metadata = this.lastMetadataBytes;
    if (value !== null && value.metadata !== this.lastMetadata) {
      metadata = this.lastMetadataBytes = Buffer.from(value.metadata, 'utf8');
      this.lastMetadata = value.metadata;
    }
    const v1 = value !== null && value.expireTimestamp >= 0;
    // OffsetCommitValue v3: version, offset, leader epoch, metadata, commit timestamp; v1: version,
    // offset, metadata, commit timestamp, expire timestamp.
    const valueSize = value === null ? 0 : 2 + 8 + (v1 ? 0 : 4) + 2 + metadata.length + 8 + (v1 ? 8 : 0);
    this.ensure(8 + keySize + valueSize);
    const view = this.view;
    const buf = this.buf;
    let pos = this.pos;
    view.setInt32(pos, keySize);
    pos += 4;
    for (let i = 0; i < prefix.length; i++) buf[pos + i] = prefix[i];
    pos += prefix.length;
    view.setInt32(pos, partition);
    pos += 4;
    if (value === null) {
      view.setInt32(pos, -1);
      pos += 4;
    } else {
      view.setInt32(pos, valueSize);
      view.setInt16(pos + 4, v1 ? 1 : 3);
      view.setBigInt64(pos + 6, value.offset);
      pos += 14;
      if (!v1) {
        view.setInt32(pos, value.leaderEpoch);
        pos += 4;
      }
      view.setInt16(pos, metadata.length);
      pos += 2;
      for (let i = 0; i < metadata.length; i++) buf[pos + i] = metadata[i];
      pos += metadata.length;
      setInt64(view, pos, value.commitTimestamp);
      pos += 8;
      if (v1) {
        setInt64(view, pos, value.expireTimestamp);
        pos += 8;
      }
    }
    this.pos = pos;
    this.n++;
    if (this.keepRecords) this.records.push({ type: 'offset', group, topic, partition, value });
    return this;
  }

  group(group: string, value: GroupMetadataValue | null): this {
    this.raw(groupMetadataKey(group), value ? groupMetadataValue(value) : null);
    this.n++;
    if (this.keepRecords) this.records.push({ type: 'group', group, value });
    return this;
  }

  /** A consumer group (KIP-848) record. */
  consumerGroup(record: ConsumerGroupRecord): this {
    this.raw(consumerGroupKey(record), record.value === null ? null : consumerGroupValue(record.value));
    this.n++;
    if (this.keepRecords) this.records.push(record);
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

/**
 * Reads a batch back into records. Group values are copied out, so they do not pin the batch bytes.
 *
 * The load path: a coordinator log of 16 MiB is some 200,000 offset records, mostly of the same few
 * (group, topic) pairs. Offset keys whose group and topic bytes are those of the previous offset
 * key reuse its strings, and values v1 and v3 (what this broker writes) are read inline; every
 * other record goes through the generated decoders.
 */
export function decodeBatch(bytes: Uint8Array): CoordinatorRecord[] {
  const buf = asBuffer(bytes);
  const out: CoordinatorRecord[] = [];
  let pos = 0;
  // The previous offset key's group and topic bytes [prefixStart, prefixEnd) and strings.
  let prefixStart = -1;
  let prefixEnd = -1;
  let group = '';
  let topic = '';
  while (pos < buf.length) {
    const keyLen = buf.readInt32BE(pos);
    pos += 4;
    const keyStart = pos;
    pos += keyLen;
    const valueLen = buf.readInt32BE(pos);
    pos += 4;
    const valueStart = pos;
    if (valueLen > 0) pos += valueLen;
    const type = keyLen >= 2 ? buf.readInt16BE(keyStart) : -1;
    if (type === OFFSET_COMMIT_KEY_TYPE || type === 0) {
      // int16 type | int16 n, group | int16 m, topic | int32 partition
      const start = keyStart + 2;
      const end = keyStart + keyLen - 4;
      if (!(prefixStart >= 0 && end - start === prefixEnd - prefixStart && buf.compare(buf, prefixStart, prefixEnd, start, end) === 0)) {
        const groupLen = buf.readInt16BE(start);
        group = buf.toString('utf8', start + 2, start + 2 + groupLen);
        const topicLen = buf.readInt16BE(start + 2 + groupLen);
        topic = buf.toString('utf8', start + 4 + groupLen, start + 4 + groupLen + topicLen);
        prefixStart = start;
        prefixEnd = end;
      }
      const partition = buf.readInt32BE(end);
      const value = valueLen < 0 ? null : readOffsetValue(buf, valueStart, valueLen);
      out.push({ type: 'offset', group, topic, partition, value });
      continue;
    }
    out.push(decodeRecord(buf.subarray(keyStart, keyStart + keyLen), valueLen < 0 ? null : buf.subarray(valueStart, valueStart + valueLen)));
  }
  return out;
}

/**
 * The group ids named by the keys of a batch that may be damaged or cut short (a snapshot that
 * failed its checksum), read entry by entry until one does not fit in the bytes or its key does
 * not decode. Best effort, for saying which groups a damaged snapshot held; never applied.
 */
export function groupIdsInDamagedBatch(bytes: Uint8Array): Set<string> {
  const buf = asBuffer(bytes);
  const groups = new Set<string>();
  let pos = 0;
  while (pos + 8 <= buf.length) {
    const keyLen = buf.readInt32BE(pos);
    if (keyLen < 2 || pos + 4 + keyLen + 4 > buf.length) break;
    const key = buf.subarray(pos + 4, pos + 4 + keyLen);
    const valueLen = buf.readInt32BE(pos + 4 + keyLen);
    if (valueLen < -1) break;
    try {
      groups.add(decodeKey(key).group);
    } catch {
      break;
    }
    pos += 8 + keyLen + Math.max(valueLen, 0);
  }
  return groups;
}

/** An int64 that fits a number (timestamps). */
function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 0x1_0000_0000 + buf.readUInt32BE(pos + 4);
}

/** OffsetCommitValue v1 and v3 inline; other versions through the generated decoder. */
function readOffsetValue(buf: Buffer, pos: number, len: number): OffsetAndMetadata {
  const version = buf.readInt16BE(pos);
  if (version === 3) {
    const metadataLen = buf.readInt16BE(pos + 14);
    if (len === 2 + 8 + 4 + 2 + metadataLen + 8) {
      return {
        offset: buf.readBigInt64BE(pos + 2),
        leaderEpoch: buf.readInt32BE(pos + 10),
        metadata: metadataLen === 0 ? '' : buf.toString('utf8', pos + 16, pos + 16 + metadataLen),
        commitTimestamp: readInt64(buf, pos + 16 + metadataLen),
        expireTimestamp: -1,
      };
    }
  } else if (version === 1) {
    const metadataLen = buf.readInt16BE(pos + 10);
    if (len === 2 + 8 + 2 + metadataLen + 8 + 8) {
      return {
        offset: buf.readBigInt64BE(pos + 2),
        leaderEpoch: -1,
        metadata: metadataLen === 0 ? '' : buf.toString('utf8', pos + 12, pos + 12 + metadataLen),
        commitTimestamp: readInt64(buf, pos + 12 + metadataLen),
        expireTimestamp: readInt64(buf, pos + 20 + metadataLen),
      };
    }
  }
  return decodeOffsetValue(buf.subarray(pos, pos + len));
}

export function decodeRecord(key: Uint8Array, value: Uint8Array | null): CoordinatorRecord {
  const k = decodeKey(key);
  if (k.type === 'offset') return { ...k, value: value ? decodeOffsetValue(value) : null };
  if (k.type === 'group') return { type: 'group', group: k.group, value: value ? decodeGroupValue(Buffer.from(value)) : null };
  // The value's shape is the one its key type names (consumerGroupValue wrote it).
  return { ...k, value: value ? decodeConsumerGroupValue(value) : null } as ConsumerGroupRecord;
}

// ---------------------------------------------------------------------------------------------
// Single keys and values (Kafka's byte layout)

export type DecodedKey =
  | { type: 'offset'; group: string; topic: string; partition: number }
  | { type: 'group'; group: string }
  | { type: ConsumerGroupRecord['type']; group: string; memberId?: string };

/** Off the per-record path: RecordBatchBuilder builds a key only when the (group, topic) changes. */
export function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer(64, false);
  w.int16(OFFSET_COMMIT_KEY_TYPE);
  encodeOffsetCommitKey(w, 0, { group, topic, partition });
  return w.toBuffer();
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
  const cg = CONSUMER_GROUP_TYPES_BY_KEY.get(type);
  if (cg !== undefined) {
    const group = r.string();
    return cg === 'cg-epoch' || cg === 'cg-target-epoch' ? { type: cg, group } : { type: cg, group, memberId: r.string() };
  }
  throw new Error(`unknown coordinator record key type ${type}`);
}

/** Kafka's key of a consumer group record: int16 type, group id, and the member id where the type has one. */
export function consumerGroupKey(record: ConsumerGroupRecord): Buffer {
  const w = new Writer(64, false);
  w.int16(CONSUMER_GROUP_KEY_TYPES[record.type]);
  w.string(record.group);
  if ('memberId' in record) w.string(record.memberId);
  return w.toBuffer();
}

/** int16 version 0, then the msgpack encoding of the value's fields. */
export function consumerGroupValue(value: NonNullable<ConsumerGroupRecord['value']>): Buffer {
  const body = msgpackEncode(value);
  const buf = Buffer.allocUnsafe(2 + body.length);
  buf.writeInt16BE(0, 0);
  buf.set(body, 2);
  return buf;
}

export function decodeConsumerGroupValue(bytes: Uint8Array): NonNullable<ConsumerGroupRecord['value']> {
  const buf = asBuffer(bytes);
  const version = buf.readInt16BE(0);
  if (version !== 0) throw new Error(`unknown consumer group record value version ${version}`);
  return msgpackDecode(buf.subarray(2)) as NonNullable<ConsumerGroupRecord['value']>;
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
