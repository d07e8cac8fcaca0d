/**
 * Log compaction through the broker: a compacted topic of 1,000,000 records over 10,000 keys,
 * produced in large batches while the background cleaner runs, converges to one record per key;
 * a KafkaJS consumer reading from the start sees exactly the latest value of each key, skipping
 * the holes; tombstones go once delete.retention.ms has passed since their first clean.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EachBatchPayload } from 'kafkajs';
import type { Broker } from '../../src/broker.js';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { defaultProduceRequest } from '../../src/protocol/generated/messages/produce.js';
import { buildRecordBatch, CompressionCodec, RecordBatchView } from '../../src/protocol/records/index.js';
import type { PartitionLog } from '../../src/storage/types.js';
import { produceAcked } from '../helpers/produce-acked.js';
import { WireClient } from '../helpers/wire-client.js';
import { kafkaFor, startBroker } from '../helpers/kafka.js';
import { tempDir } from '../storage/helpers.js';

const KEYS = 10_000;
const ROUNDS = 100;
const TOPIC = 'compacted';

let dir: { path: string; remove: () => Promise<void> };
let broker: Broker;
let client: WireClient;

beforeAll(async () => {
  dir = await tempDir('gregor-compaction-');
  broker = await startBroker({ dataDir: dir.path, config: { 'auto.create.topics.enable': false, 'log.cleaner.backoff.ms': 20, 'group.initial.rebalance.delay.ms': 0 } });
  client = await WireClient.connect(broker.port);
});

afterAll(async () => {
  client.close();
  await broker.stop();
  await dir.remove();
});

const key = (i: number): string => `key-${String(i).padStart(5, '0')}`;

const produce = (records: Buffer): Promise<void> => produceAcked(client, TOPIC, records);

function log(): PartitionLog {
  const l = broker.services.logs.get(TOPIC, 0);
  if (l === undefined) throw new Error('no log');
  return l;
}

/** Every record stored, as a consumer from the start gets them: key -> value (null for a tombstone), and the count. */
async function stored(): Promise<{ count: number; latest: Map<string, string | null>; horizons: bigint[] }> {
  const l = log();
  const latest = new Map<string, string | null>();
  const horizons: bigint[] = [];
  let count = 0;
  let offset = l.logStartOffset;
  while (offset < l.logEndOffset) {
    const r = await l.read(offset, { maxBytes: 4 << 20 });
    if (r.records.length === 0) break;
    for (const b of r.records) {
      const v = new RecordBatchView(b);
      for (const rec of v.records()) {
        if (rec.offset < offset) continue;
        count++;
        latest.set(rec.key?.toString() ?? '', rec.value?.toString() ?? null);
        if (rec.value === null && v.deleteHorizonMs !== null) horizons.push(v.deleteHorizonMs);
      }
      offset = v.lastOffset + 1n;
    }
  }
  return { count, latest, horizons };
}

/** Rolls the active segment so everything produced is cleanable, and waits for the cleaner to get there. */
async function rollAndAwaitClean(): Promise<void> {
  const l = log();
  await l.roll();
  const cleaner = broker.logCleaner;
  if (cleaner === null) throw new Error('no log cleaner');
  await cleaner.awaitCleaned(TOPIC, 0, l.logEndOffset);
}

/** What a KafkaJS consumer reading the topic from the start receives, up to `endOffset`. */
async function consumeAll(endOffset: bigint): Promise<{ received: number; latest: Map<string, string | null> }> {
  const kafka = kafkaFor(broker);
  const consumer = kafka.consumer({ groupId: `reader-${endOffset}`, maxBytes: 8 << 20, maxBytesPerPartition: 8 << 20 });
  const latest = new Map<string, string | null>();
  let received = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }: EachBatchPayload) => {
        for (const m of batch.messages) {
          received++;
          latest.set(m.key?.toString() ?? '', m.value?.toString() ?? null);
          if (BigInt(m.offset) >= endOffset - 1n) done();
        }
        // The last records of the log may be holes: the batch's end is what says the reader got there.
        if (BigInt(batch.highWatermark) <= endOffset && BigInt(batch.lastOffset()) >= endOffset - 1n) done();
      },
    });
    await finished;
  } finally {
    await consumer.disconnect();
  }
  return { received, latest };
}

describe('log compaction through the broker', () => {
  it('a compacted topic of 1,000,000 records over 10,000 keys converges to the latest record of each key, and tombstones go after delete.retention.ms', async () => {
    await broker.services.metadata.createTopic({
      name: TOPIC,
      numPartitions: 1,
      replicationFactor: 1,
      configs: new Map([
        ['cleanup.policy', 'compact'],
        ['segment.bytes', String(2 << 20)],
        // A few tombstones over 10,000 live keys are a dirty ratio below 1%.
        ['min.cleanable.dirty.ratio', '0.001'],
        ['delete.retention.ms', '300'],
      ]),
      validateOnly: false,
    });
    // One batch per round over every key, every fourth one compressed: the cleaner runs meanwhile.
    for (let round = 0; round < ROUNDS; round++) {
      const records = Array.from({ length: KEYS }, (_, i) => ({ key: key(i), value: `r${round}-${i}` }));
      await produce(buildRecordBatch(records, round % 4 === 3 ? { compression: CompressionCodec.Gzip } : {}));
    }
    expect(log().logEndOffset).toBe(BigInt(KEYS * ROUNDS));
    await rollAndAwaitClean();

    const after = await stored();
    expect(after.count).toBe(KEYS);
    for (let i = 0; i < KEYS; i++) expect(after.latest.get(key(i))).toBe(`r${ROUNDS - 1}-${i}`);
    const consumed = await consumeAll(log().logEndOffset);
    expect(consumed.received).toBe(KEYS);
    expect(consumed.latest).toEqual(after.latest);

    // Tombstones for the first 100 keys: kept by the first clean, with a delete horizon.
    await produce(buildRecordBatch(Array.from({ length: 100 }, (_, i) => ({ key: key(i), value: null }))));
    await rollAndAwaitClean();
    const withTombstones = await stored();
    expect(withTombstones.count).toBe(KEYS);
    expect(withTombstones.horizons).toHaveLength(100);
    for (let i = 0; i < 100; i++) expect(withTombstones.latest.get(key(i))).toBeNull();

    // Once the horizon has passed, the next clean (new data makes the log dirty) removes them.
    const horizon = Number(withTombstones.horizons[0]);
    while (Date.now() <= horizon) await new Promise((r) => setTimeout(r, horizon + 1 - Date.now()));
    await produce(buildRecordBatch(Array.from({ length: 2000 }, (_, i) => ({ key: key(KEYS - 1 - i), value: `final-${i}` }))));
    await rollAndAwaitClean();
    const final = await stored();
    expect(final.count).toBe(KEYS - 100);
    expect([...final.latest.values()].filter((v) => v === null)).toEqual([]);
    const reread = await consumeAll(log().logEndOffset);
    expect(reread.received).toBe(KEYS - 100);
    expect(reread.latest).toEqual(final.latest);
    expect(reread.latest.get(key(KEYS - 1))).toBe('final-0');
  }, 300_000);
});

describe('log compaction on an in-memory broker', () => {
  it('starts compacting a topic once its cleanup.policy is changed to compact', async () => {
    const memory = await startBroker({ config: { 'log.cleaner.backoff.ms': 20 } });
    const wire = await WireClient.connect(memory.port);
    try {
      const { metadata } = memory.services;
      await metadata.createTopic({ name: 'switched', numPartitions: 1, replicationFactor: 1, configs: new Map(), validateOnly: false });
      const send = async (records: Buffer): Promise<void> => {
        const r = defaultProduceRequest();
        r.acks = 1;
        r.timeoutMs = 30_000;
        r.topicData = [{ name: 'switched', topicId: '00000000-0000-0000-0000-000000000000', partitionData: [{ index: 0, records, _unknownTaggedFields: undefined }], _unknownTaggedFields: undefined }];
        expect((await wire.send(ApiKey.Produce, 9, r)).responses[0].partitionResponses[0].errorCode).toBe(0);
      };
      for (let round = 0; round < 5; round++) await send(buildRecordBatch(Array.from({ length: 50 }, (_, i) => ({ key: key(i), value: `r${round}` }))));
      const l = memory.services.logs.get('switched', 0);
      if (l === undefined || memory.logCleaner === null) throw new Error('no log or no cleaner');
      await l.roll();
      // A delete-policy topic is left alone.
      expect(await memory.logCleaner.cleanNow()).toEqual([]);
      expect(await memory.logCleaner.firstDirtyOffset('switched', 0)).toBe(-1n);
      expect((await metadata.setTopicOverrides('switched', new Map([['cleanup.policy', 'compact'], ['min.cleanable.dirty.ratio', '0.01']]), false)).errorCode).toBe(0);
      await memory.logCleaner.awaitCleaned('switched', 0, 250n);
      const r = await l.read(0n, { maxBytes: 1 << 20 });
      const values = r.records.flatMap((b) => [...new RecordBatchView(b).records()].map((rec) => rec.value?.toString()));
      expect(values).toEqual(Array.from({ length: 50 }, () => 'r4'));
    } finally {
      wire.close();
      await memory.stop();
    }
  });
});
