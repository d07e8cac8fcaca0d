/**
 * Looking at what the broker stored, to check facts a consumer cannot see: which codec the
 * producer really used, and the producer id, epoch and sequence an idempotent producer wrote.
 * Reads the v2 batch header fields by their fixed positions (Kafka's RecordBatch layout).
 */
import type { Broker } from '../../src/broker.js';
import type { Codec } from './types.js';

export interface StoredBatch {
  baseOffset: bigint;
  recordCount: number;
  codec: Codec | `unknown-${number}`;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  magic: number;
}

const CODEC_BY_ID: Record<number, Codec> = { 0: 'none', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' };

export async function storedBatches(broker: Broker, topic: string, partition: number): Promise<StoredBatch[]> {
  const log = broker.services.logs.get(topic, partition);
  if (!log) throw new Error(`no log for ${topic}-${partition}`);
  const out: StoredBatch[] = [];
  let offset = 0n;
  for (;;) {
    const r = await log.read(offset, { maxBytes: 8 * 1024 * 1024 });
    if (r.records.length === 0) break;
    for (const buf of r.records) {
      for (let pos = 0; pos + 61 <= buf.length; ) {
        const baseOffset = buf.readBigInt64BE(pos);
        const batchLength = buf.readInt32BE(pos + 8);
        const magic = buf.readInt8(pos + 16);
        const attributes = buf.readInt16BE(pos + 21);
        const lastOffsetDelta = buf.readInt32BE(pos + 23);
        out.push({
          baseOffset,
          magic,
          codec: CODEC_BY_ID[attributes & 7] ?? `unknown-${attributes & 7}`,
          producerId: buf.readBigInt64BE(pos + 43),
          producerEpoch: buf.readInt16BE(pos + 51),
          baseSequence: buf.readInt32BE(pos + 53),
          recordCount: buf.readInt32BE(pos + 57),
        });
        offset = baseOffset + BigInt(lastOffsetDelta) + 1n;
        pos += 12 + batchLength;
      }
    }
    if (offset >= r.logEndOffset) break;
  }
  return out;
}

/** Codecs found in a topic's stored batches, with batch counts. */
export async function storedCodecs(broker: Broker, topic: string, partitions: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let p = 0; p < partitions; p++) {
    for (const b of await storedBatches(broker, topic, p)) counts.set(b.codec, (counts.get(b.codec) ?? 0) + 1);
  }
  return counts;
}
