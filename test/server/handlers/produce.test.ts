/**
 * Produce and InitProducerId over a real socket: KafkaJS producers (plain and idempotent, gzip and
 * uncompressed, every acks), @platformatic/kafka's flexible-version producer, and hand-built
 * requests through our own codec for the error paths. What was appended is read straight from the
 * partition logs (broker.services.logs).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Producer as PlatformaticProducer, stringSerializers } from '@platformatic/kafka';
import { CompressionTypes, type Kafka } from 'kafkajs';
import { connect } from 'node:net';
import { Broker } from '../../../src/broker.js';
import { encodeRequest } from '../../../src/protocol/codec.js';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultInitProducerIdRequest } from '../../../src/protocol/generated/messages/init-producer-id.js';
import { defaultProduceRequest, type ProduceRequest, type ProduceResponsePartitionProduceResponse } from '../../../src/protocol/generated/messages/produce.js';
import {
  buildLegacyMessageSet,
  buildRecordBatch,
  CompressionCodec,
  RecordBatchView,
  splitBatches,
  type RecordBatchOptions,
} from '../../../src/protocol/records/index.js';
import { kafkaFor } from '../../helpers/kafka.js';
import { WireClient } from '../../helpers/wire-client.js';
import { tempDir } from '../../storage/helpers.js';
import { createTopic } from '../fetch/fixture.js';

let broker: Broker;
let client: WireClient;
let kafka: Kafka;
let topicCount = 0;

beforeAll(async () => {
  broker = await Broker.start({ port: 0, storage: 'memory', config: { 'auto.create.topics.enable': false } });
  client = await WireClient.connect(broker.port);
  kafka = kafkaFor(broker);
});

afterAll(async () => {
  client.close();
  await broker.stop();
});

async function newTopic(configs: Record<string, string> = {}, partitions = 1): Promise<string> {
  const name = `produce-${++topicCount}`;
  await createTopic(broker, name, partitions, configs);
  return name;
}

interface Stored {
  baseOffset: bigint;
  codec: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  timestampType: number;
  maxTimestamp: bigint;
  values: string[];
}

/** Every batch stored in a partition log, read directly. */
async function stored(b: Broker, topic: string, partition = 0): Promise<Stored[]> {
  const log = b.services.logs.get(topic, partition)!;
  const read = await log.read(log.logStartOffset, { maxBytes: 64 << 20 });
  return read.records.flatMap((buf) =>
    splitBatches(buf).map((e) => {
      const v = new RecordBatchView(buf, e.start, e.end);
      expect(v.verifyCrc()).toBe(true);
      return {
        baseOffset: v.baseOffset,
        codec: v.compression,
        producerId: v.producerId,
        producerEpoch: v.producerEpoch,
        baseSequence: v.baseSequence,
        timestampType: v.timestampType,
        maxTimestamp: v.maxTimestamp,
        values: v.readRecords().map((r) => r.value?.toString() ?? 'null'),
      };
    }),
  );
}

const valuesIn = async (b: Broker, topic: string, partition = 0): Promise<string[]> => (await stored(b, topic, partition)).flatMap((s) => s.values);

function request(topic: string, records: Buffer | null, extra: Partial<ProduceRequest> = {}, partition = 0, topicId?: string): ProduceRequest {
  const r = defaultProduceRequest();
  r.acks = -1;
  r.timeoutMs = 30_000;
  r.topicData = [{ name: topic, topicId: topicId ?? '00000000-0000-0000-0000-000000000000', partitionData: [{ index: partition, records, _unknownTaggedFields: undefined }], _unknownTaggedFields: undefined }];
  return { ...r, ...extra };
}

async function produce(version: number, topic: string, records: Buffer | null, extra: Partial<ProduceRequest> = {}, partition = 0, c = client): Promise<ProduceResponsePartitionProduceResponse> {
  const response = await c.send(ApiKey.Produce, version, request(topic, records, extra, partition));
  expect(response.responses).toHaveLength(1);
  return response.responses[0].partitionResponses[0];
}

function values(n: number, from = 0): { value: string }[] {
  return Array.from({ length: n }, (_, i) => ({ value: `m${from + i}` }));
}

function idem(pid: bigint, epoch: number, seq: number, n = 1, options: RecordBatchOptions = {}): Buffer {
  return buildRecordBatch(values(n, seq), { producerId: pid, producerEpoch: epoch, baseSequence: seq, ...options });
}

async function initProducerId(version = 4, c = client, transactionalId: string | null = null): Promise<{ errorCode: number; producerId: bigint; producerEpoch: number }> {
  const r = defaultInitProducerIdRequest();
  r.transactionalId = transactionalId;
  r.transactionTimeoutMs = 60_000;
  return c.send(ApiKey.InitProducerId, version, r);
}

describe('KafkaJS producers', () => {
  it('a plain producer writes uncompressed and gzip batches with acks 1 and -1', async () => {
    const topic = await newTopic();
    const producer = kafka.producer();
    await producer.connect();
    try {
      const r1 = await producer.send({ topic, acks: 1, messages: values(3) });
      expect(r1[0]).toMatchObject({ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' });
      const r2 = await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: values(2, 3) });
      expect(r2[0]).toMatchObject({ errorCode: 0, baseOffset: '3' });
    } finally {
      await producer.disconnect();
    }
    const batches = await stored(broker, topic);
    expect(batches.map((b) => [b.baseOffset, b.codec, b.producerId])).toEqual([
      [0n, CompressionCodec.None, -1n],
      [3n, CompressionCodec.Gzip, -1n],
    ]);
    expect(await valuesIn(broker, topic)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('acks=0: no response, and the records are appended', async () => {
    const topic = await newTopic();
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic, acks: 0, messages: values(2) });
      await producer.send({ topic, acks: 0, compression: CompressionTypes.GZIP, messages: values(1, 2) });
      const deadline = Date.now() + 5000;
      while (broker.services.logs.get(topic, 0)!.logEndOffset < 3n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    } finally {
      await producer.disconnect();
    }
    expect(await valuesIn(broker, topic)).toEqual(['m0', 'm1', 'm2']);
  });

  it('an idempotent producer gets a producer id and writes sequences 0, 1, ... (uncompressed and gzip)', async () => {
    const topic = await newTopic({}, 2);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [...values(2)].map((m) => ({ ...m, partition: 0 })) });
      await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: [...values(3, 2)].map((m) => ({ ...m, partition: 0 })) });
      await producer.send({ topic, acks: -1, messages: [{ value: 'p1', partition: 1 }] });
    } finally {
      await producer.disconnect();
    }
    const p0 = await stored(broker, topic, 0);
    expect(p0.map((b) => [b.baseOffset, b.baseSequence, b.producerEpoch])).toEqual([
      [0n, 0, 0],
      [2n, 2, 0],
    ]);
    expect(p0[0].producerId).toBeGreaterThanOrEqual(0n);
    expect(p0[1].producerId).toBe(p0[0].producerId);
    expect((await stored(broker, topic, 1)).map((b) => [b.baseSequence, b.producerId])).toEqual([[0, p0[0].producerId]]);
    const state = await broker.services.produce.producerState(topic, 0);
    expect(state!.lastEntry(p0[0].producerId)).toMatchObject({ producerEpoch: 0, batches: [{ lastSeq: 1 }, { lastSeq: 4 }] });
  });

  it('MESSAGE_TOO_LARGE for a message over max.message.bytes', async () => {
    const topic = await newTopic({ 'max.message.bytes': '200' });
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic, messages: [{ value: 'x'.repeat(500) }] })).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
    } finally {
      await producer.disconnect();
    }
    expect(broker.services.logs.get(topic, 0)!.logEndOffset).toBe(0n);
  });

  it('a missing topic with auto-create off: the send fails with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const producer = kafka.producer({ retry: { retries: 1, initialRetryTime: 10 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: 'produce-missing', messages: [{ value: 'x' }] })).rejects.toMatchObject({
        message: expect.stringMatching(/does not host this topic-partition/),
      });
    } finally {
      await producer.disconnect();
    }
    expect(broker.services.metadata.topic('produce-missing')).toBeUndefined();
  });
});

describe('@platformatic/kafka producer (flexible Produce versions)', () => {
  it('writes with an idempotent producer', async () => {
    const topic = await newTopic();
    const producer = new PlatformaticProducer({
      clientId: 'gregor-test',
      bootstrapBrokers: [broker.bootstrap],
      serializers: stringSerializers,
      idempotent: true,
      retries: 0,
    });
    try {
      const r = await producer.send({ messages: [{ topic, value: 'a' }, { topic, value: 'b' }], acks: -1 });
      expect(r.offsets).toEqual([{ topic, partition: 0, offset: 0n }]);
      await producer.send({ messages: [{ topic, value: 'c' }], acks: -1 });
    } finally {
      await producer.close();
    }
    const batches = await stored(broker, topic);
    expect(batches.map((b) => [b.baseOffset, b.baseSequence])).toEqual([
      [0n, 0],
      [2n, 2],
    ]);
    expect(batches[0].producerId).toBeGreaterThanOrEqual(0n);
  });
});

describe('Produce over the wire: errors', () => {
  it('UNKNOWN_TOPIC_OR_PARTITION for a missing topic or partition; UNKNOWN_TOPIC_ID by id (v13)', async () => {
    const b = buildRecordBatch(values(1));
    expect(await produce(9, 'produce-nope', b)).toMatchObject({ errorCode: ErrorCode.UnknownTopicOrPartition, baseOffset: -1n, logStartOffset: -1n });
    const topic = await newTopic();
    expect((await produce(9, topic, b, {}, 3)).errorCode).toBe(ErrorCode.UnknownTopicOrPartition);
    const id = broker.services.metadata.topic(topic)!.topicId;
    const known = await client.send(ApiKey.Produce, 13, request('', buildRecordBatch(values(1)), {}, 0, id));
    expect(known.responses[0]).toMatchObject({ topicId: id, partitionResponses: [{ errorCode: ErrorCode.None, baseOffset: 0n }] });
    const unknown = await client.send(ApiKey.Produce, 13, request('', b, {}, 0, '11111111-2222-3333-4444-555555555555'));
    expect(unknown.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.UnknownTopicId);
  });

  it('CORRUPT_MESSAGE for a batch with a flipped byte', async () => {
    const topic = await newTopic();
    const b = buildRecordBatch(values(3));
    b[b.length - 2] ^= 0x40;
    for (const v of [3, 7, 9]) expect((await produce(v, topic, b)).errorCode).toBe(ErrorCode.CorruptMessage);
    expect(broker.services.logs.get(topic, 0)!.logEndOffset).toBe(0n);
  });

  it('MESSAGE_TOO_LARGE, INVALID_RECORD, UNSUPPORTED_COMPRESSION_TYPE and RECORD_LIST_TOO_LARGE', async () => {
    const topic = await newTopic({ 'max.message.bytes': '300' });
    expect((await produce(9, topic, buildRecordBatch([{ value: 'x'.repeat(400) }]))).errorCode).toBe(ErrorCode.MessageTooLarge);
    expect((await produce(9, topic, Buffer.concat([buildRecordBatch(values(1)), buildRecordBatch(values(1))]))).errorCode).toBe(ErrorCode.InvalidRecord);
    expect((await produce(9, topic, null)).errorCode).toBe(ErrorCode.InvalidRecord);
    expect((await produce(6, topic, buildRecordBatch(values(1), { compression: CompressionCodec.Zstd }))).errorCode).toBe(ErrorCode.UnsupportedCompressionType);
    expect((await produce(7, topic, buildRecordBatch(values(1), { compression: CompressionCodec.Zstd }))).errorCode).toBe(ErrorCode.None);
    const small = await newTopic({ 'segment.bytes': '100' });
    expect((await produce(9, small, buildRecordBatch([{ value: 'y'.repeat(120) }]))).errorCode).toBe(ErrorCode.RecordListTooLarge);
  });

  it('INVALID_REQUIRED_ACKS for acks other than -1, 0 and 1; NOT_ENOUGH_REPLICAS for acks=-1 with min.insync.replicas 2', async () => {
    const topic = await newTopic({ 'min.insync.replicas': '2' });
    const b = buildRecordBatch(values(1));
    expect((await produce(9, topic, b, { acks: 2 })).errorCode).toBe(ErrorCode.InvalidRequiredAcks);
    expect((await produce(9, topic, b, { acks: -1 })).errorCode).toBe(ErrorCode.NotEnoughReplicas);
    expect(await produce(9, topic, b, { acks: 1 })).toMatchObject({ errorCode: ErrorCode.None, baseOffset: 0n, logStartOffset: 0n });
  });

  it('record errors (v8+) for keyless records on a compacted topic', async () => {
    const topic = await newTopic({ 'cleanup.policy': 'compact' });
    const b = buildRecordBatch([{ key: 'k', value: 'a' }, { value: 'no key' }]);
    const r = await produce(9, topic, b);
    expect(r.errorCode).toBe(ErrorCode.InvalidRecord);
    expect(r.recordErrors).toEqual([{ batchIndex: 1, batchIndexErrorMessage: expect.stringMatching(/without key/), _unknownTaggedFields: undefined }]);
    expect(r.errorMessage).toMatch(/One or more records have been rejected/);
    expect((await produce(7, topic, b)).errorCode).toBe(ErrorCode.InvalidRecord);
  });

  it('transactional batches: TRANSACTIONAL_ID_AUTHORIZATION_FAILED without a transactionalId; a non-transactional batch inside a transaction INVALID_TXN_STATE', async () => {
    const topic = await newTopic();
    const b = idem(77n, 0, 0, 1, { transactional: true });
    expect((await produce(9, topic, b, { transactionalId: null })).errorCode).toBe(ErrorCode.TransactionalIdAuthorizationFailed);
    expect(broker.services.logs.get(topic, 0)!.logEndOffset).toBe(0n);
    // No transaction coordinator verifies this broker's transactional produce: the batch opens a transaction.
    expect((await produce(9, topic, b, { transactionalId: 'tx' })).errorCode).toBe(ErrorCode.None);
    expect((await produce(9, topic, idem(77n, 0, 1))).errorCode).toBe(ErrorCode.InvalidTxnState);
    expect(broker.services.logs.get(topic, 0)!.logEndOffset).toBe(1n);
  });

  it('internal topics take writes only from __admin_client: INVALID_TOPIC_EXCEPTION', async () => {
    const r = await broker.services.metadata.createTopic({ name: '__transaction_state', numPartitions: 1, replicationFactor: -1, configs: new Map(), validateOnly: false });
    expect(r.errorCode).toBe(ErrorCode.None);
    const b = buildRecordBatch(values(1));
    expect((await produce(9, '__transaction_state', b)).errorCode).toBe(ErrorCode.InvalidTopicException);
    const admin = await client.send(ApiKey.Produce, 9, request('__transaction_state', b), '__admin_client');
    expect(admin.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.None);
  });
});

describe('Produce over the wire: versions', () => {
  it('v0-2 carry legacy message sets: stored as record batches v2', async () => {
    const topic = await newTopic();
    const now = Date.now();
    expect(await produce(0, topic, buildLegacyMessageSet([{ value: 'v0' }], { magic: 0 }))).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await produce(1, topic, buildLegacyMessageSet([{ value: 'v1a', timestamp: now }, { value: 'v1b', timestamp: now }], { magic: 1 }))).toMatchObject({ errorCode: 0, baseOffset: 1n });
    const r2 = await produce(2, topic, buildLegacyMessageSet([{ value: 'v2' }], { magic: 1, compression: CompressionCodec.Gzip }));
    expect(r2).toMatchObject({ errorCode: 0, baseOffset: 3n, logAppendTimeMs: -1n });
    const batches = await stored(broker, topic);
    expect(batches.map((b) => [b.baseOffset, b.codec, b.values])).toEqual([
      [0n, CompressionCodec.None, ['v0']],
      [1n, CompressionCodec.None, ['v1a', 'v1b']],
      [3n, CompressionCodec.Gzip, ['v2']],
    ]);
    expect(batches[1].maxTimestamp).toBe(BigInt(now));
  });

  it('LogAppendTime topics stamp the broker time and return it (v2+)', async () => {
    const topic = await newTopic({ 'message.timestamp.type': 'LogAppendTime' });
    const before = BigInt(Date.now());
    const r = await produce(9, topic, buildRecordBatch(values(2), { now: 1000 }));
    expect(r.errorCode).toBe(0);
    expect(r.logAppendTimeMs).toBeGreaterThanOrEqual(before);
    const [b] = await stored(broker, topic);
    expect(b).toMatchObject({ timestampType: 1, maxTimestamp: r.logAppendTimeMs });
  });

  it('acks=0 over the wire: no response frame; the append happens before later requests are answered', async () => {
    const topic = await newTopic();
    const socket = connect(broker.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => { resolve(); }));
    const frames: Buffer[] = [];
    socket.on('data', (d: Buffer) => frames.push(d));
    const body = request(topic, buildRecordBatch(values(1)), { acks: 0 });
    socket.write(encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 1, clientId: 'raw' }, body));
    socket.write(encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 2, clientId: 'raw' }, request(topic, buildRecordBatch(values(1, 1)), { acks: 1 })));
    const deadline = Date.now() + 5000;
    while (frames.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    socket.destroy();
    const all = Buffer.concat(frames);
    expect(all.readInt32BE(0)).toBe(all.length - 4); // exactly one response
    expect(all.readInt32BE(4)).toBe(2);
    expect(await valuesIn(broker, topic)).toEqual(['m0', 'm1']);
  });
});

describe('idempotent producers over the wire', () => {
  it('a re-sent batch is acknowledged with its original offset and not appended twice', async () => {
    const topic = await newTopic();
    const { producerId } = await initProducerId();
    expect(await produce(9, topic, buildRecordBatch(values(1)))).toMatchObject({ baseOffset: 0n });
    const first = await produce(9, topic, idem(producerId, 0, 0, 3));
    expect(first).toMatchObject({ errorCode: 0, baseOffset: 1n });
    expect(await produce(9, topic, idem(producerId, 0, 3, 2))).toMatchObject({ errorCode: 0, baseOffset: 4n });
    const again = await produce(9, topic, idem(producerId, 0, 0, 3));
    expect(again).toMatchObject({ errorCode: 0, baseOffset: 1n, logStartOffset: 0n });
    expect((await produce(3, topic, idem(producerId, 0, 3, 2))).baseOffset).toBe(4n);
    expect(broker.services.logs.get(topic, 0)!.logEndOffset).toBe(6n);
    expect((await stored(broker, topic)).map((b) => b.baseOffset)).toEqual([0n, 1n, 4n]);
  });

  it('OUT_OF_ORDER_SEQUENCE_NUMBER for a gap; INVALID_PRODUCER_EPOCH for an older epoch', async () => {
    const topic = await newTopic();
    const { producerId } = await initProducerId();
    expect((await produce(9, topic, idem(producerId, 1, 0, 2))).errorCode).toBe(0);
    const gap = await produce(9, topic, idem(producerId, 1, 3));
    expect(gap).toMatchObject({ errorCode: ErrorCode.OutOfOrderSequenceNumber, baseOffset: -1n, errorMessage: null });
    expect((await produce(9, topic, idem(producerId, 0, 2))).errorCode).toBe(ErrorCode.InvalidProducerEpoch);
    expect((await produce(9, topic, idem(producerId, 1, 2))).errorCode).toBe(0);
    expect(broker.services.logs.get(topic, 0)!.logEndOffset).toBe(3n);
  });

  it('pipelined batches of one producer (several requests in flight) are appended in order', async () => {
    const topic = await newTopic();
    const { producerId } = await initProducerId();
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => produce(9, topic, idem(producerId, 0, i * 2, 2))));
    expect(results.map((r) => [r.errorCode, r.baseOffset])).toEqual([0, 2, 4, 6, 8].map((o) => [0, BigInt(o)]));
    // Pipelined through a topic that must recompress (the async path) too.
    const gz = await newTopic({ 'compression.type': 'gzip' });
    const more = await Promise.all(Array.from({ length: 5 }, (_, i) => produce(9, gz, idem(producerId, 0, i, 1))));
    expect(more.map((r) => [r.errorCode, r.baseOffset])).toEqual([0, 1, 2, 3, 4].map((o) => [0, BigInt(o)]));
    expect((await stored(broker, gz)).every((b) => b.codec === CompressionCodec.Gzip)).toBe(true);
    expect(await valuesIn(broker, gz)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });
});

describe('restart on disk', () => {
  it('keeps the idempotent state: a duplicate of a batch sent before the restart is still detected, and ids are not reused', async () => {
    const d = await tempDir('gregor-produce-');
    try {
      let b = await Broker.start({ port: 0, dataDir: d.path });
      await createTopic(b, 'durable', 1);
      let c = await WireClient.connect(b.port);
      const { producerId } = await initProducerId(4, c);
      const batch = idem(producerId, 0, 0, 2);
      expect(await produce(9, 'durable', batch, {}, 0, c)).toMatchObject({ errorCode: 0, baseOffset: 0n });
      expect(await produce(9, 'durable', idem(producerId, 0, 2, 1), {}, 0, c)).toMatchObject({ errorCode: 0, baseOffset: 2n });
      c.close();
      await b.stop();

      b = await Broker.start({ port: 0, dataDir: d.path });
      c = await WireClient.connect(b.port);
      try {
        expect(await produce(9, 'durable', idem(producerId, 0, 2, 1), {}, 0, c)).toMatchObject({ errorCode: 0, baseOffset: 2n });
        expect((await produce(9, 'durable', idem(producerId, 0, 4, 1), {}, 0, c)).errorCode).toBe(ErrorCode.OutOfOrderSequenceNumber);
        expect(await produce(9, 'durable', idem(producerId, 0, 3, 1), {}, 0, c)).toMatchObject({ errorCode: 0, baseOffset: 3n });
        expect(b.services.logs.get('durable', 0)!.logEndOffset).toBe(4n);
        const next = await initProducerId(4, c);
        expect(next.producerId).toBeGreaterThan(producerId);
      } finally {
        c.close();
        await b.stop();
      }
    } finally {
      await d.remove();
    }
  });
});
