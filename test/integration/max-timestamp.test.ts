/**
 * Batches whose header says maxTimestamp = -1, as Sarama 1.22 writes them: the broker stores the
 * records' largest timestamp instead (Kafka's LogValidator), so ListOffsets by timestamp, the
 * time index and time retention work. Against a real data dir, uncompressed and compressed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Broker } from '../../src/broker.js';
import { GroupAdmin, tpKey } from '../../src/client/group-admin.js';
import { buildRecordBatch, CompressionCodec, MAX_TIMESTAMP_OFFSET, RecordBatchView, splitBatches } from '../../src/protocol/records/index.js';
import { produceAcked } from '../helpers/produce-acked.js';
import { WireClient } from '../helpers/wire-client.js';
import { tempDir } from '../storage/helpers.js';
import { createTopic } from '../server/fetch/fixture.js';

let dir: { path: string; remove: () => Promise<void> };
let broker: Broker;
let client: WireClient;
let admin: GroupAdmin;

beforeAll(async () => {
  dir = await tempDir('gregor-maxts-');
  broker = await Broker.start({ port: 0, dataDir: dir.path, config: { 'auto.create.topics.enable': false } });
  client = await WireClient.connect(broker.port);
  admin = new GroupAdmin({ bootstrapServers: broker.bootstrap });
});

afterAll(async () => {
  client.close();
  await admin.close();
  await broker.stop();
  await dir.remove();
});

/** A batch of records with these timestamps, its header's maxTimestamp overwritten with -1 (the CRC kept valid, as Sarama's is). */
function saramaBatch(timestamps: number[], compression: CompressionCodec): Buffer {
  const b = buildRecordBatch(
    timestamps.map((t) => ({ value: `at-${t}`, timestamp: t })),
    { compression, now: timestamps[0] },
  );
  b.writeBigInt64BE(-1n, MAX_TIMESTAMP_OFFSET);
  new RecordBatchView(b).recomputeCrc();
  return b;
}

const produce = (topic: string, records: Buffer): Promise<void> => produceAcked(client, topic, records);

const offsetAt = async (topic: string, timestamp: bigint): Promise<bigint> =>
  (await admin.listOffsets([{ topic, partition: 0 }], timestamp)).get(tpKey(topic, 0))!;

/** The entries of a time index file: [timestamp, absolute offset]. */
async function timeIndex(topic: string): Promise<[bigint, bigint][]> {
  const bytes = await readFile(join(dir.path, `${topic}-0`, '00000000000000000000.timeindex'));
  const out: [bigint, bigint][] = [];
  for (let p = 0; p + 12 <= bytes.length; p += 12) {
    const ts = bytes.readBigInt64BE(p);
    if (ts === 0n && out.length > 0) break; // preallocated zeros
    out.push([ts, BigInt(bytes.readInt32BE(p + 8))]);
  }
  return out;
}

const CODECS: [string, CompressionCodec][] = [
  ['uncompressed', CompressionCodec.None],
  ['lz4', CompressionCodec.Lz4],
  ['gzip', CompressionCodec.Gzip],
];

describe('a batch whose header max timestamp is -1', () => {
  it.each(CODECS)('%s: stored with its records\' max, found by ListOffsets, entered in the time index', async (name, codec) => {
    const topic = `sarama-${name}`;
    // An index entry after every batch but the first (entries need more than index.interval.bytes since the last).
    await createTopic(broker, topic, 1, { 'index.interval.bytes': '1' });
    await produce(topic, saramaBatch([1000, 1001, 1002], codec)); // offsets 0-2
    await produce(topic, saramaBatch([2000, 2500, 2100], codec)); // 3-5: the max is not the last record's
    await produce(topic, saramaBatch([3000, 3001, 3002], codec)); // 6-8

    const log = broker.services.logs.get(topic, 0)!;
    const read = await log.read(0n, { maxBytes: 1 << 20 });
    const stored = read.records.flatMap((buf) => splitBatches(buf).map((e) => new RecordBatchView(buf, e.start, e.end)));
    expect(stored.map((v) => v.maxTimestamp)).toEqual([1002n, 2500n, 3002n]);
    for (const v of stored) expect(v.verifyCrc()).toBe(true);
    expect(stored.map((v) => v.compression)).toEqual([codec, codec, codec]);

    expect(await offsetAt(topic, 500n)).toBe(0n);
    expect(await offsetAt(topic, 1500n)).toBe(3n);
    expect(await offsetAt(topic, 2200n)).toBe(4n);
    expect(await offsetAt(topic, 2600n)).toBe(6n);
    expect(await offsetAt(topic, 3002n)).toBe(8n);
    expect(await offsetAt(topic, 4000n)).toBe(-1n);
    expect(await offsetAt(topic, -3n)).toBe(8n); // MAX_TIMESTAMP: the record with the largest timestamp

    // Rolled, the segment is sealed and its time index written: one entry per indexed batch, by the
    // batch's last offset (Kafka's batch-level entries).
    await log.roll();
    expect(await timeIndex(topic)).toEqual([
      [2500n, 5n],
      [3002n, 8n],
    ]);
  });
});
