/**
 * Looking at what the broker stored, to check facts a consumer cannot see: which codec the
 * producer really used, and the producer id, epoch and sequence an idempotent producer wrote.
 */
import type { Broker } from '../../src/broker.js';
import { codecName, forEachBatch, isCompressionCodec, RecordBatchView } from '../../src/protocol/records/index.js';
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

export async function storedBatches(broker: Broker, topic: string, partition: number): Promise<StoredBatch[]> {
  const log = broker.services.logs.get(topic, partition);
  if (!log) throw new Error(`no log for ${topic}-${partition}`);
  const out: StoredBatch[] = [];
  let offset = 0n;
  for (;;) {
    const r = await log.read(offset, { maxBytes: 8 * 1024 * 1024 });
    if (r.records.length === 0) break;
    for (const buf of r.records) {
      forEachBatch(buf, (start, end) => {
        const view = new RecordBatchView(buf, start, end);
        const codec = view.compression;
        out.push({
          baseOffset: view.baseOffset,
          magic: view.magic,
          // An invalid codec is reported rather than thrown: the check that reads it names the culprit.
          codec: isCompressionCodec(codec) ? codecName(codec) : `unknown-${codec}`,
          producerId: view.producerId,
          producerEpoch: view.producerEpoch,
          baseSequence: view.baseSequence,
          recordCount: view.recordCount,
        });
        offset = view.nextOffset;
      });
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
