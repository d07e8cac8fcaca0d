/**
 * Fetch over a real socket: requests built with our codec at every version, KafkaJS's own Broker
 * (its Fetch v11 encoder and record decoder), KafkaJS's Fetch v0/v2 response decoders reading our
 * down-converted message sets, and @platformatic/kafka's Fetch v17 (topic ids) over its Connection.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fetchV17, Connection } from '@platformatic/kafka';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../../src/broker.js';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import {
  defaultFetchRequest,
  type FetchRequest,
  type FetchRequestFetchPartition,
  type FetchResponse,
} from '../../../src/protocol/generated/messages/fetch.js';
import { ZERO_UUID } from '../../../src/protocol/reader.js';
import { CompressionCodec, readLegacyMessages } from '../../../src/protocol/records/index.js';
import { WireClient } from '../../helpers/wire-client.js';
import { append, batchesOf, createTopic, records, startMemoryBroker, valuesOf } from '../fetch/fixture.js';
import { kafkaJsBroker, type KafkaJsLowLevelBroker } from './kafkajs-low-level.js';

const requireCjs = createRequire(import.meta.url);

let broker: Broker;
let client: WireClient;
let topicCount = 0;

beforeAll(async () => {
  broker = await startMemoryBroker();
  client = await WireClient.connect(broker.port);
});

afterAll(async () => {
  client.close();
  await broker.stop();
});

const newTopic = async (partitions = 1, configs: Record<string, string> = {}): Promise<string> => {
  const name = `fetch-${++topicCount}`;
  await createTopic(broker, name, partitions, configs);
  return name;
};

function partition(index: number, fetchOffset: bigint, partitionMaxBytes = 1 << 20, extra: Partial<FetchRequestFetchPartition> = {}): FetchRequestFetchPartition {
  return {
    partition: index,
    currentLeaderEpoch: -1,
    fetchOffset,
    lastFetchedEpoch: -1,
    logStartOffset: -1n,
    partitionMaxBytes,
    replicaDirectoryId: ZERO_UUID,
    highWatermark: -1n,
    _unknownTaggedFields: undefined,
    ...extra,
  };
}

function request(topics: { topic: string; topicId?: string; partitions: FetchRequestFetchPartition[] }[], extra: Partial<FetchRequest> = {}): FetchRequest {
  return {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 0,
    topics: topics.map((t) => ({ topic: t.topic, topicId: t.topicId ?? ZERO_UUID, partitions: t.partitions, _unknownTaggedFields: undefined })),
    ...extra,
  };
}

const fetchAt = (version: number, req: FetchRequest): Promise<FetchResponse> => client.send(ApiKey.Fetch, version, req);

const onlyPartition = (r: FetchResponse) => {
  expect(r.responses).toHaveLength(1);
  expect(r.responses[0].partitions).toHaveLength(1);
  return r.responses[0].partitions[0];
};

describe('Fetch over the wire', () => {
  it('answers every version 0-18 with the records in the format of that version', async () => {
    const t = await newTopic();
    const topicId = broker.services.metadata.topic(t)!.topicId;
    await append(broker, t, 0, records(3, 0, { timestamp: 1_700_000_000_000 }));
    for (let version = 0; version <= 18; version++) {
      const r = await fetchAt(version, request([{ topic: version >= 13 ? '' : t, topicId, partitions: [partition(0, 1n)] }]));
      const p = onlyPartition(r);
      expect({ version, errorCode: p.errorCode, hw: p.highWatermark }).toEqual({ version, errorCode: 0, hw: 3n });
      if (version >= 13) expect(r.responses[0].topicId).toBe(topicId);
      else expect(r.responses[0].topic).toBe(t);
      if (version <= 3) {
        const msgs = [...readLegacyMessages(p.records!)];
        expect(msgs.map((m) => [m.magic, m.offset, m.value?.toString()])).toEqual([
          [version <= 1 ? 0 : 1, 1n, 'v1'],
          [version <= 1 ? 0 : 1, 2n, 'v2'],
        ]);
      } else {
        // Stored batches as they are: the whole batch, from offset 0.
        expect(batchesOf(p.records).map((b) => [b.baseOffset, b.lastOffset])).toEqual([[0n, 2n]]);
        expect(p.lastStableOffset).toBe(3n);
      }
      if (version >= 5) expect(p.logStartOffset).toBe(0n);
      if (version >= 11) expect(p.preferredReadReplica).toBe(-1);
    }
  });

  it('read_committed (v4+): stops at the last stable offset and lists the aborted transactions in every version', async () => {
    const t = await newTopic();
    const txn = { producerId: 11n, producerEpoch: 0, transactional: true };
    await append(broker, t, 0, records(2), { ...txn, baseSequence: 0 }); // 0-1
    expect(await broker.services.partitions.writeTxnMarker(t, 0, { producerId: 11n, producerEpoch: 0, committed: false, coordinatorEpoch: 0 })).toBe(0); // 2
    await append(broker, t, 0, records(1, 2)); // 3
    await append(broker, t, 0, records(1, 4), { producerId: 12n, producerEpoch: 0, baseSequence: 0, transactional: true }); // 4, open
    for (const version of [4, 11, 12, 16]) {
      const topicId = broker.services.metadata.topic(t)!.topicId;
      const p = onlyPartition(await fetchAt(version, request([{ topic: version >= 13 ? '' : t, topicId, partitions: [partition(0, 0n)] }], { isolationLevel: 1 })));
      expect({ version, hw: p.highWatermark, lso: p.lastStableOffset }).toEqual({ version, hw: 5n, lso: 4n });
      expect(p.abortedTransactions).toEqual([{ producerId: 11n, firstOffset: 0n, _unknownTaggedFields: undefined }]);
      expect(batchesOf(p.records).map((b) => b.baseOffset)).toEqual([0n, 2n, 3n]);
      const uncommitted = onlyPartition(await fetchAt(version, request([{ topic: version >= 13 ? '' : t, topicId, partitions: [partition(0, 0n)] }], { isolationLevel: 0 })));
      expect({ lso: uncommitted.lastStableOffset, aborted: uncommitted.abortedTransactions }).toEqual({ lso: 4n, aborted: null });
      expect(batchesOf(uncommitted.records).map((b) => b.baseOffset)).toEqual([0n, 2n, 3n, 4n]);
    }
  });

  it('sends abortedTransactions as null for read_uncommitted and empty for read_committed', async () => {
    const t = await newTopic();
    await append(broker, t, 0, records(1));
    const uncommitted = onlyPartition(await fetchAt(4, request([{ topic: t, partitions: [partition(0, 0n)] }], { isolationLevel: 0 })));
    expect(uncommitted.abortedTransactions).toBeNull();
    const committed = onlyPartition(await fetchAt(11, request([{ topic: t, partitions: [partition(0, 0n)] }], { isolationLevel: 1 })));
    expect(committed.abortedTransactions).toEqual([]);
    expect(valuesOf(committed.records)).toEqual(['v0']);
  });

  it('returns the whole batch when fetching from its middle, and an oversized batch whole', async () => {
    const t = await newTopic();
    await append(broker, t, 0, records(10)); // 0-9 in one batch
    await append(broker, t, 0, [{ value: 'x'.repeat(100_000) }]); // 10, larger than the limits below
    const middle = onlyPartition(await fetchAt(11, request([{ topic: t, partitions: [partition(0, 6n, 50)] }], { maxBytes: 50 })));
    expect(batchesOf(middle.records).map((b) => [b.baseOffset, b.lastOffset])).toEqual([[0n, 9n]]);
    const big = onlyPartition(await fetchAt(11, request([{ topic: t, partitions: [partition(0, 10n, 1000)] }], { maxBytes: 1000 })));
    expect(batchesOf(big.records)).toHaveLength(1);
    expect(big.records!.length).toBeGreaterThan(100_000);
  });

  it('answers OFFSET_OUT_OF_RANGE beyond the end, and unknown topics', async () => {
    const t = await newTopic();
    await append(broker, t, 0, records(2));
    const r = await fetchAt(
      11,
      request([
        { topic: t, partitions: [partition(0, 3n), partition(1, 0n)] },
        { topic: 'no-such-topic', partitions: [partition(0, 0n)] },
      ]),
    );
    expect(r.responses.map((x) => [x.topic, x.partitions.map((p) => [p.partitionIndex, p.errorCode, p.highWatermark])])).toEqual([
      [
        t,
        [
          [0, ErrorCode.OffsetOutOfRange, -1n],
          [1, ErrorCode.UnknownTopicOrPartition, -1n],
        ],
      ],
      ['no-such-topic', [[0, ErrorCode.UnknownTopicOrPartition, -1n]]],
    ]);
  });

  it('answers UNKNOWN_TOPIC_ID for an unknown topic id (v13+) and fences leader epochs (v9+)', async () => {
    const t = await newTopic();
    const topicId = broker.services.metadata.topic(t)!.topicId;
    const unknownId = '0a0b0c0d-0000-4000-8000-000000000000';
    const r = await fetchAt(
      13,
      request([
        { topic: '', topicId: unknownId, partitions: [partition(0, 0n)] },
        { topic: '', topicId, partitions: [partition(0, 0n, 1 << 20, { currentLeaderEpoch: 4 })] },
      ]),
    );
    expect(r.responses.map((x) => [x.topicId, x.partitions[0].errorCode])).toEqual([
      [unknownId, ErrorCode.UnknownTopicId],
      [topicId, ErrorCode.UnknownLeaderEpoch],
    ]);
    const ok = onlyPartition(await fetchAt(9, request([{ topic: t, partitions: [partition(0, 0n, 1 << 20, { currentLeaderEpoch: 0 })] }])));
    expect(ok.errorCode).toBe(ErrorCode.None);
  });

  it('refuses zstd data below v10 with UNSUPPORTED_COMPRESSION_TYPE', async () => {
    const t = await newTopic();
    await append(broker, t, 0, records(2), { compression: CompressionCodec.Zstd });
    for (const version of [0, 3, 4, 9]) {
      expect(onlyPartition(await fetchAt(version, request([{ topic: t, partitions: [partition(0, 0n)] }]))).errorCode).toBe(
        ErrorCode.UnsupportedCompressionType,
      );
    }
    expect(valuesOf(onlyPartition(await fetchAt(10, request([{ topic: t, partitions: [partition(0, 0n)] }]))).records)).toEqual(['v0', 'v1']);
  });

  it('honours max wait: minBytes=1 on an empty partition answers after maxWaitMs', async () => {
    const t = await newTopic();
    const started = Date.now();
    const r = await fetchAt(11, request([{ topic: t, partitions: [partition(0, 0n)] }], { maxWaitMs: 300, minBytes: 1 }));
    const elapsed = Date.now() - started;
    // It waited (an upper bound would only measure how busy the machine is).
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(onlyPartition(r).records!.length).toBe(0);
  });

  it('answers a waiting fetch as soon as a batch is appended', async () => {
    const t = await newTopic();
    const started = Date.now();
    const pending = fetchAt(11, request([{ topic: t, partitions: [partition(0, 0n)] }], { maxWaitMs: 20_000, minBytes: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await append(broker, t, 0, records(2));
    const r = await pending;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(valuesOf(onlyPartition(r).records)).toEqual(['v0', 'v1']);
  });

  it('runs a fetch session: full, then incremental with only changed partitions, forgotten topics, bad epochs', async () => {
    const a = await newTopic(2);
    const b = await newTopic(1);
    await append(broker, a, 0, records(1));
    const V = 12;
    const full = await fetchAt(
      V,
      request([
        { topic: a, partitions: [partition(0, 0n), partition(1, 0n)] },
        { topic: b, partitions: [partition(0, 0n)] },
      ], { sessionId: 0, sessionEpoch: 0 }),
    );
    expect(full.errorCode).toBe(0);
    expect(full.sessionId).toBeGreaterThan(0);
    expect(full.responses.flatMap((x) => x.partitions)).toHaveLength(3);
    const id = full.sessionId;

    // Nothing changed: an empty answer. (The client moves its offset on a-0 with this request.)
    const quiet = await fetchAt(V, request([{ topic: a, partitions: [partition(0, 1n)] }], { sessionId: id, sessionEpoch: 1 }));
    expect([quiet.errorCode, quiet.sessionId, quiet.responses]).toEqual([0, id, []]);

    // New data on a-1 only.
    await append(broker, a, 1, records(2));
    const changed = await fetchAt(V, request([], { sessionId: id, sessionEpoch: 2 }));
    expect(changed.responses.map((x) => [x.topic, x.partitions.map((p) => [p.partitionIndex, valuesOf(p.records)])])).toEqual([[a, [[1, ['v0', 'v1']]]]]);

    // Forget topic a; data on b then arrives alone.
    await append(broker, b, 0, records(1));
    const forgot = await fetchAt(
      V,
      request([], {
        sessionId: id,
        sessionEpoch: 3,
        forgottenTopicsData: [{ topic: a, topicId: ZERO_UUID, partitions: [0, 1], _unknownTaggedFields: undefined }],
      }),
    );
    expect(forgot.responses.map((x) => [x.topic, x.partitions.map((p) => p.partitionIndex)])).toEqual([[b, [0]]]);
    await append(broker, a, 0, records(1, 1));
    // The client moves past what it got from b; a is no longer in the session.
    const after = await fetchAt(V, request([{ topic: b, partitions: [partition(0, 1n)] }], { sessionId: id, sessionEpoch: 4 }));
    expect(after.responses).toEqual([]);

    // A replayed epoch, a skipped one, an unknown session.
    const replay = await fetchAt(V, request([], { sessionId: id, sessionEpoch: 4 }));
    expect([replay.errorCode, replay.sessionId, replay.responses]).toEqual([ErrorCode.InvalidFetchSessionEpoch, 0, []]);
    expect((await fetchAt(V, request([], { sessionId: id, sessionEpoch: 9 }))).errorCode).toBe(ErrorCode.InvalidFetchSessionEpoch);
    expect((await fetchAt(V, request([], { sessionId: id + 1, sessionEpoch: 1 }))).errorCode).toBe(ErrorCode.FetchSessionIdNotFound);
    // The session still works at the right epoch.
    expect((await fetchAt(V, request([], { sessionId: id, sessionEpoch: 5 }))).errorCode).toBe(0);

    // A full fetch with epoch -1 closes the session.
    const closing = await fetchAt(V, request([{ topic: b, partitions: [partition(0, 0n)] }], { sessionId: id, sessionEpoch: -1 }));
    expect([closing.errorCode, closing.sessionId]).toEqual([0, 0]);
    expect((await fetchAt(V, request([], { sessionId: id, sessionEpoch: 6 }))).errorCode).toBe(ErrorCode.FetchSessionIdNotFound);
  });

  it('keeps topic-id sessions and topic-name sessions apart (FETCH_SESSION_TOPIC_ID_ERROR)', async () => {
    const t = await newTopic();
    const topicId = broker.services.metadata.topic(t)!.topicId;
    const full = await fetchAt(13, request([{ topic: '', topicId, partitions: [partition(0, 0n)] }], { sessionEpoch: 0 }));
    expect(full.sessionId).toBeGreaterThan(0);
    const wrong = await fetchAt(12, request([], { sessionId: full.sessionId, sessionEpoch: 1 }));
    expect(wrong.errorCode).toBe(ErrorCode.FetchSessionTopicIdError);
    await append(broker, t, 0, records(1));
    const right = await fetchAt(13, request([], { sessionId: full.sessionId, sessionEpoch: 1 }));
    expect(right.responses.map((x) => [x.topicId, valuesOf(x.partitions[0].records)])).toEqual([[topicId, ['v0']]]);
  });

  it('reads from disk storage through the same path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gregor-fetch-'));
    const diskBroker = await Broker.start({ port: 0, dataDir: dir });
    try {
      await createTopic(diskBroker, 'disk-topic', 1, { 'segment.bytes': '2048' });
      for (let i = 0; i < 20; i++) await append(diskBroker, 'disk-topic', 0, records(5, i * 5, { value: `value-${i}-${'p'.repeat(100)}` }));
      const c = await WireClient.connect(diskBroker.port);
      try {
        const all: string[] = [];
        let offset = 0n;
        while (offset < 100n) {
          const r = await c.send(ApiKey.Fetch, 11, request([{ topic: 'disk-topic', partitions: [partition(0, offset, 1500)] }]));
          const p = onlyPartition(r);
          expect(p.errorCode).toBe(0);
          const batches = batchesOf(p.records);
          expect(batches.length).toBeGreaterThan(0);
          all.push(...valuesOf(p.records));
          offset = batches[batches.length - 1].lastOffset + 1n;
        }
        expect(all).toHaveLength(100);
        expect(all[99]).toBe(`value-19-${'p'.repeat(100)}`);
      } finally {
        c.close();
      }
    } finally {
      await diskBroker.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers waiting fetches at once when the broker stops', async () => {
    const other = await startMemoryBroker();
    await createTopic(other, 'stopping', 1);
    const c = await WireClient.connect(other.port);
    try {
      const started = Date.now();
      const pending = c.send(ApiKey.Fetch, 11, request([{ topic: 'stopping', partitions: [partition(0, 0n)] }], { maxWaitMs: 30_000, minBytes: 1 }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await other.stop();
      const r = await pending;
      expect(Date.now() - started).toBeLessThan(5000);
      expect(onlyPartition(r).errorCode).toBe(0);
    } finally {
      c.close();
    }
  });
});

describe('Fetch from KafkaJS', () => {
  let kjs: KafkaJsLowLevelBroker;

  beforeAll(async () => {
    kjs = await kafkaJsBroker(broker);
  });

  afterAll(async () => {
    await kjs.disconnect();
  });

  it('KafkaJS (Fetch v11) reads whole batches, from the middle and oversized', async () => {
    const t = await newTopic();
    await append(broker, t, 0, records(5));
    await append(broker, t, 0, [{ key: 'big', value: 'x'.repeat(20_000) }]);
    const r = await kjs.fetch({
      maxWaitTime: 0,
      minBytes: 1,
      maxBytes: 1000,
      topics: [{ topic: t, partitions: [{ partition: 0, fetchOffset: '3', maxBytes: 1000 }] }],
    });
    const p = r.responses[0].partitions[0];
    expect(p.errorCode).toBe(0);
    expect(p.highWatermark).toBe('6');
    expect(p.lastStableOffset).toBe('6');
    // KafkaJS returns every record of the batch; its consumer drops those below the fetch offset.
    expect(p.messages.map((m: { offset: string; value: Buffer }) => [m.offset, m.value.toString()])).toEqual([
      ['0', 'v0'],
      ['1', 'v1'],
      ['2', 'v2'],
      ['3', 'v3'],
      ['4', 'v4'],
    ]);
    const big = await kjs.fetch({
      maxWaitTime: 0,
      minBytes: 1,
      maxBytes: 100,
      topics: [{ topic: t, partitions: [{ partition: 0, fetchOffset: '5', maxBytes: 100 }] }],
    });
    const m = big.responses[0].partitions[0].messages;
    expect(m).toHaveLength(1);
    expect(m[0].key.toString()).toBe('big');
    expect(m[0].value.length).toBe(20_000);
  });

  it('KafkaJS reports OFFSET_OUT_OF_RANGE beyond the end', async () => {
    const t = await newTopic();
    await append(broker, t, 0, records(1));
    await expect(
      kjs.fetch({ maxWaitTime: 0, topics: [{ topic: t, partitions: [{ partition: 0, fetchOffset: '5', maxBytes: 1000 }] }] }),
    ).rejects.toMatchObject({ type: 'OFFSET_OUT_OF_RANGE' });
  });

  it("KafkaJS's own Fetch v2 and v0 decoders read our down-converted message sets", async () => {
    const t = await newTopic();
    await append(broker, t, 0, records(3, 0, { timestamp: 1_700_000_000_123 }));
    await append(broker, t, 0, records(2, 3, { timestamp: 1_700_000_000_456 }), { compression: CompressionCodec.Gzip });
    const body = (version: number) => client.sendRaw(ApiKey.Fetch, version, request([{ topic: t, partitions: [partition(0, 1n)] }]), 4);

    const v2 = requireCjs('kafkajs/src/protocol/requests/fetch/v2/response.js') as { decode: (b: Buffer) => Promise<any> };
    const decoded2 = await v2.decode(await body(2));
    const p2 = decoded2.responses[0].partitions[0];
    expect(p2.errorCode).toBe(0);
    expect(p2.highWatermark).toBe('5');
    expect(p2.messages.map((m: any) => [m.magicByte, m.offset, m.key.toString(), m.value.toString(), m.timestamp])).toEqual([
      [1, '1', 'k1', 'v1', '1700000000123'],
      [1, '2', 'k2', 'v2', '1700000000123'],
      [1, '3', 'k3', 'v3', '1700000000456'],
      [1, '4', 'k4', 'v4', '1700000000456'],
    ]);

    const v0 = requireCjs('kafkajs/src/protocol/requests/fetch/v0/response.js') as { decode: (b: Buffer) => Promise<any> };
    const decoded0 = await v0.decode(await body(0));
    expect(decoded0.responses[0].partitions[0].messages.map((m: any) => [m.magicByte, m.offset, m.value.toString()])).toEqual([
      [0, '1', 'v1'],
      [0, '2', 'v2'],
      [0, '3', 'v3'],
      [0, '4', 'v4'],
    ]);
  });
});

describe('Fetch from @platformatic/kafka', () => {
  it('Fetch v17 by topic id reads the records', async () => {
    const t = await newTopic();
    const topicId = broker.services.metadata.topic(t)!.topicId;
    await append(broker, t, 0, [{ key: 'k', value: 'hello', headers: [{ key: 'h', value: 'x' }] }]);
    const connection = new Connection('platformatic-test');
    await connection.connect('127.0.0.1', broker.port);
    try {
      const r = await fetchV17.api.async(
        connection,
        0,
        1,
        1 << 20,
        0,
        0,
        -1,
        [{ topicId, partitions: [{ partition: 0, currentLeaderEpoch: 0, fetchOffset: 0n, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
        [],
        '',
      );
      const p = r.responses[0].partitions[0];
      expect(r.responses[0].topicId).toBe(topicId);
      expect([p.errorCode, p.highWatermark, p.logStartOffset]).toEqual([0, 1n, 0n]);
      const rec = p.records![0].records[0];
      expect([rec.key!.toString(), rec.value!.toString()]).toEqual(['k', 'hello']);
    } finally {
      await connection.close();
    }
  });
});
