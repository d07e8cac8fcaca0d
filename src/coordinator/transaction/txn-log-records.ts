/**
 * The transaction coordinator's records, byte for byte as Kafka writes them to __transaction_state:
 *
 *   key   = int16 record type 0 | TransactionLogKey (the transactional id)
 *   value = int16 value version | TransactionLogValue   (null: a tombstone, the id is removed)
 *
 * Written: TransactionLogValue v1 (flexible, with previousProducerId, nextProducerId and
 * clientTransactionVersion as tagged fields, as Kafka writes it from transaction.version 1).
 * Read: v0 and v1. A batch is the records one after another, as the group coordinator's
 * (records.ts): key length int32 | key | value length int32 (-1 for a tombstone) | value.
 *
 * The group coordinator's key type 0 is also a (legacy) offset key, so the two coordinators' logs
 * are kept apart and each decodes its own.
 */
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { decodeTransactionLogKey, decodeTransactionLogValue, encodeTransactionLogKey, encodeTransactionLogValue } from '../../protocol/generated/records/transaction-log.js';
import type { CoordinatorBatch } from '../coordinator-log.js';
import { txnStateCode, txnStateOfCode, type TxnState } from './txn-state.js';

export const TRANSACTION_LOG_KEY_TYPE = 0;
const VALUE_VERSION = 1;

export interface TxnTopicPartition {
  topic: string;
  partition: number;
}

/** What the log keeps of a transactional id: Kafka's TxnTransitMetadata. */
export interface TxnLogValue {
  producerId: bigint;
  /** The producer id before the last rotation (Kafka's previousProducerId), or -1. */
  lastProducerId: bigint;
  /** KIP-890: the producer id the completing transaction rotates to once complete, or -1. */
  nextProducerId: bigint;
  producerEpoch: number;
  /**
   * The epoch before the last bump, for a KIP-360 retry. Not in Kafka's record: a replayed value
   * has -1, so a retry after a restart is fenced, as with Kafka after a coordinator move.
   */
  lastProducerEpoch: number;
  txnTimeoutMs: number;
  state: TxnState;
  partitions: TxnTopicPartition[];
  /** When the open transaction started, or -1. */
  txnStartTimestamp: number;
  txnLastUpdateTimestamp: number;
  /** The transaction version the producer uses: 2 for KIP-890's epoch bump per transaction. */
  clientTransactionVersion: number;
}

export interface TxnLogRecord {
  transactionalId: string;
  /** null: a tombstone. */
  value: TxnLogValue | null;
}

/** The records of one write or a snapshot. */
export class TxnLogBatch implements CoordinatorBatch<TxnLogRecord> {
  private readonly w = new Writer(256, false);
  readonly records: TxnLogRecord[] = [];

  add(record: TxnLogRecord): this {
    const key = txnLogKey(record.transactionalId);
    const value = record.value === null ? null : txnLogValue(record.value);
    this.w.int32(key.length);
    this.w.raw(key);
    this.w.int32(value === null ? -1 : value.length);
    if (value !== null) this.w.raw(value);
    this.records.push(record);
    return this;
  }

  finish(): Buffer {
    return this.w.toBuffer();
  }
}

export function txnLogKey(transactionalId: string): Buffer {
  const w = new Writer(64, false);
  w.int16(TRANSACTION_LOG_KEY_TYPE);
  encodeTransactionLogKey(w, 0, { transactionalId });
  return w.toBuffer();
}

export function txnLogValue(v: TxnLogValue): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const p of v.partitions) {
    const list = byTopic.get(p.topic);
    if (list) list.push(p.partition);
    else byTopic.set(p.topic, [p.partition]);
  }
  const w = new Writer(128, false);
  w.int16(VALUE_VERSION);
  encodeTransactionLogValue(w, VALUE_VERSION, {
    producerId: v.producerId,
    previousProducerId: v.lastProducerId,
    nextProducerId: v.nextProducerId,
    producerEpoch: v.producerEpoch,
    transactionTimeoutMs: v.txnTimeoutMs,
    transactionStatus: txnStateCode(v.state),
    transactionPartitions: [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds, _unknownTaggedFields: undefined })),
    transactionLastUpdateTimestampMs: BigInt(v.txnLastUpdateTimestamp),
    transactionStartTimestampMs: BigInt(v.txnStartTimestamp),
    clientTransactionVersion: v.clientTransactionVersion,
    _unknownTaggedFields: undefined,
  });
  return w.toBuffer();
}

export function decodeTxnLogKey(bytes: Uint8Array): string {
  const r = new Reader(asBuffer(bytes));
  const type = r.int16();
  if (type !== TRANSACTION_LOG_KEY_TYPE) throw new Error(`unknown transaction log key type ${type}`);
  return decodeTransactionLogKey(r, 0).transactionalId;
}

export function decodeTxnLogValue(bytes: Uint8Array): TxnLogValue {
  const r = new Reader(asBuffer(bytes));
  const version = r.int16();
  if (version < 0 || version > VALUE_VERSION) throw new Error(`unknown transaction log value version ${version}`);
  const v = decodeTransactionLogValue(r, version);
  return {
    producerId: v.producerId,
    lastProducerId: v.previousProducerId,
    nextProducerId: v.nextProducerId,
    producerEpoch: v.producerEpoch,
    lastProducerEpoch: -1,
    txnTimeoutMs: v.transactionTimeoutMs,
    state: txnStateOfCode(v.transactionStatus),
    partitions: (v.transactionPartitions ?? []).flatMap((t) => t.partitionIds.map((partition) => ({ topic: t.topic, partition }))),
    txnStartTimestamp: Number(v.transactionStartTimestampMs),
    txnLastUpdateTimestamp: Number(v.transactionLastUpdateTimestampMs),
    clientTransactionVersion: v.clientTransactionVersion,
  };
}

/** Reads a batch back into records. */
export function decodeTxnLogBatch(bytes: Uint8Array): TxnLogRecord[] {
  const buf = asBuffer(bytes);
  const out: TxnLogRecord[] = [];
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
    out.push({ transactionalId: decodeTxnLogKey(key), value: value === null ? null : decodeTxnLogValue(value) });
  }
  return out;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
