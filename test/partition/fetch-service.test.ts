import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { ZERO_UUID } from '../../src/protocol/reader.js';
import { CompressionCodec, readLegacyMessages } from '../../src/protocol/records/index.js';
import { FetchService, type FetchPartitionRequest, type FetchRead, type ReadParams } from '../../src/partition/fetch-service.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { memoryBrokerPerFile } from '../server/fetch/memory-broker-per-file.js';
import { append, batchesOf, isSettled, records, startMemoryBroker, valuesOf } from '../server/fetch/fixture.js';

const shared = memoryBrokerPerFile('svc');
const { newTopic } = shared;

function service(clock = new ManualClock(0), options: { maxResponseBytes?: number } = {}): FetchService {
  const { metadata, partitions } = shared.broker.services;
  return new FetchService({ metadata, partitions, clock, logger: silentLogger, ...options });
}

function p(topic: string, partition: number, fetchOffset: bigint, partitionMaxBytes = 1 << 20, extra: Partial<FetchPartitionRequest> = {}): FetchPartitionRequest {
  return { topic, topicId: ZERO_UUID, partition, fetchOffset, partitionMaxBytes, currentLeaderEpoch: -1, logStartOffset: -1n, lastFetchedEpoch: -1, ...extra };
}

function params(partitions: FetchPartitionRequest[], extra: Partial<ReadParams> = {}): ReadParams {
  return {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 0x7fffffff,
    isolationLevel: 0,
    usesTopicIds: false,
    partitions,
    recordMagic: 2,
    allowZstd: true,
    ...extra,
  };
}

const only = (r: FetchRead) => {
  expect(r.partitions).toHaveLength(1);
  return r.partitions[0];
};

describe('FetchService reads', () => {
  it('returns the whole batch holding the fetch offset, with high watermark, LSO and log start', async () => {
    const t = await newTopic();
    await append(shared.broker, t, 0, records(5)); // offsets 0-4
    await append(shared.broker, t, 0, records(5, 5)); // 5-9
    const r = only(await service().read(params([p(t, 0, 7n)])));
    expect(r.errorCode).toBe(ErrorCode.None);
    expect(batchesOf(r.records).map((b) => [b.baseOffset, b.lastOffset])).toEqual([[5n, 9n]]);
    expect(r.highWatermark).toBe(10n);
    expect(r.lastStableOffset).toBe(10n);
    expect(r.logStartOffset).toBe(0n);
    expect(r.topic).toBe(t);
    expect(r.topicId).toBe(ZERO_UUID);
  });

  it('at the log end returns no records and no error; past it OFFSET_OUT_OF_RANGE with -1 offsets', async () => {
    const t = await newTopic();
    await append(shared.broker, t, 0, records(3));
    const atEnd = only(await service().read(params([p(t, 0, 3n)])));
    expect(atEnd.errorCode).toBe(ErrorCode.None);
    expect(atEnd.records.length).toBe(0);
    expect(atEnd.highWatermark).toBe(3n);
    const past = only(await service().read(params([p(t, 0, 4n)])));
    expect(past.errorCode).toBe(ErrorCode.OffsetOutOfRange);
    expect([past.highWatermark, past.lastStableOffset, past.logStartOffset]).toEqual([-1n, -1n, -1n]);
    expect(past.records.length).toBe(0);
  });

  it('below the log start offset is OFFSET_OUT_OF_RANGE', async () => {
    const t = await newTopic();
    await append(shared.broker, t, 0, records(3));
    await append(shared.broker, t, 0, records(3, 3));
    await shared.broker.services.logs.get(t, 0)!.deleteRecordsBefore(3n);
    expect(only(await service().read(params([p(t, 0, 2n)]))).errorCode).toBe(ErrorCode.OffsetOutOfRange);
    const ok = only(await service().read(params([p(t, 0, 3n)])));
    expect(ok.logStartOffset).toBe(3n);
    expect(valuesOf(ok.records)).toEqual(['v3', 'v4', 'v5']);
  });

  it('returns a batch larger than partitionMaxBytes and maxBytes whole when it comes first', async () => {
    const t = await newTopic();
    const big = 'x'.repeat(5000);
    await append(shared.broker, t, 0, [{ value: big }]);
    await append(shared.broker, t, 0, records(2, 1));
    const r = only(await service().read(params([p(t, 0, 0n, 100)], { maxBytes: 100 })));
    const batches = batchesOf(r.records);
    expect(batches).toHaveLength(1);
    expect(batches[0].size).toBeGreaterThan(5000);
    expect(r.records.length).toBe(batches[0].size);
  });

  it('stops at whole batches within partitionMaxBytes', async () => {
    const t = await newTopic();
    for (let i = 0; i < 5; i++) await append(shared.broker, t, 0, records(1, i));
    const one = batchesOf(only(await service().read(params([p(t, 0, 0n, 1)]))).records)[0].size;
    const r = only(await service().read(params([p(t, 0, 0n, one * 3 + 10)])));
    expect(batchesOf(r.records).map((b) => b.baseOffset)).toEqual([0n, 1n, 2n]);
  });

  it('shares maxBytes across partitions; only the first partition with data may exceed the limits (KIP-74)', async () => {
    const t = await newTopic(3);
    await append(shared.broker, t, 1, [{ value: 'y'.repeat(3000) }]);
    await append(shared.broker, t, 2, [{ value: 'z'.repeat(3000) }]);
    // Partition 0 is empty; 1 is the first with data and goes over the 1000-byte budget; 2 gets nothing.
    const r = await service().read(params([p(t, 0, 0n), p(t, 1, 0n), p(t, 2, 0n)], { maxBytes: 1000 }));
    expect(r.partitions.map((x) => batchesOf(x.records).length)).toEqual([0, 1, 0]);
    expect(r.partitions.map((x) => x.errorCode)).toEqual([0, 0, 0]);
    // Partition 2 still reports its offsets.
    expect(r.partitions[2].highWatermark).toBe(1n);

    // With room for both, both come back.
    const both = await service().read(params([p(t, 1, 0n), p(t, 2, 0n)], { maxBytes: 10_000 }));
    expect(both.partitions.map((x) => batchesOf(x.records).length)).toEqual([1, 1]);
  });

  it("caps the response at the broker's fetch.max.bytes", async () => {
    const t = await newTopic(2);
    await append(shared.broker, t, 0, [{ value: 'a'.repeat(2000) }]);
    await append(shared.broker, t, 1, [{ value: 'b'.repeat(2000) }]);
    const r = await service(new ManualClock(0), { maxResponseBytes: 3000 }).read(params([p(t, 0, 0n), p(t, 1, 0n)]));
    expect(r.partitions.map((x) => batchesOf(x.records).length)).toEqual([1, 0]);
  });

  it('answers unknown topics and partitions, by name and by id', async () => {
    const t = await newTopic(1);
    const topicId = shared.broker.services.metadata.topic(t)!.topicId;
    const byName = await service().read(params([p('no-such-topic', 0, 0n), p(t, 5, 0n), p(t, -1, 0n)]));
    expect(byName.partitions.map((x) => x.errorCode)).toEqual([
      ErrorCode.UnknownTopicOrPartition,
      ErrorCode.UnknownTopicOrPartition,
      ErrorCode.UnknownTopicOrPartition,
    ]);
    await append(shared.broker, t, 0, records(2));
    const unknownId = '11111111-2222-4333-8444-555555555555';
    const byId = await service().read(
      params([p('', 0, 0n, 1 << 20, { topicId }), p('', 0, 0n, 1 << 20, { topicId: unknownId }), p('', 3, 0n, 1 << 20, { topicId })], { usesTopicIds: true }),
    );
    expect(byId.partitions.map((x) => [x.topic, x.topicId, x.errorCode])).toEqual([
      ['', topicId, ErrorCode.None],
      ['', unknownId, ErrorCode.UnknownTopicId],
      ['', topicId, ErrorCode.UnknownTopicOrPartition],
    ]);
    expect(valuesOf(byId.partitions[0].records)).toEqual(['v0', 'v1']);
  });

  it('fences currentLeaderEpoch other than 0', async () => {
    const t = await newTopic();
    const r = await service().read(params([p(t, 0, 0n, 1 << 20, { currentLeaderEpoch: 3 })]));
    expect(r.partitions.map((x) => x.errorCode)).toEqual([ErrorCode.UnknownLeaderEpoch]);
    const ok = only(await service().read(params([p(t, 0, 0n, 1 << 20, { currentLeaderEpoch: 0 })])));
    expect(ok.errorCode).toBe(ErrorCode.None);
  });

  it('refuses zstd data to clients below Fetch v10', async () => {
    const zstdTopic = await newTopic(1, { 'compression.type': 'zstd' });
    expect(only(await service().read(params([p(zstdTopic, 0, 0n)], { allowZstd: false }))).errorCode).toBe(
      ErrorCode.UnsupportedCompressionType,
    );
    const t = await newTopic();
    await append(shared.broker, t, 0, records(3), { compression: CompressionCodec.Zstd });
    expect(only(await service().read(params([p(t, 0, 0n)], { allowZstd: false }))).errorCode).toBe(ErrorCode.UnsupportedCompressionType);
    const modern = only(await service().read(params([p(t, 0, 0n)], { allowZstd: true })));
    expect(valuesOf(modern.records)).toEqual(['v0', 'v1', 'v2']);
    // At the log end there is nothing to refuse.
    expect(only(await service().read(params([p(t, 0, 3n)], { allowZstd: false }))).errorCode).toBe(ErrorCode.None);
  });
});

describe('FetchService down-conversion (Fetch v0-3)', () => {
  it('converts to magic 1 messages with offsets, keys, values and timestamps, from the fetch offset on', async () => {
    const t = await newTopic();
    await append(shared.broker, t, 0, records(4, 0, { timestamp: 1_700_000_000_000 }));
    const r = only(await service().read(params([p(t, 0, 2n)], { recordMagic: 1, allowZstd: false })));
    const msgs = [...readLegacyMessages(r.records)];
    expect(msgs.map((m) => [m.magic, m.offset, m.key?.toString(), m.value?.toString(), m.timestamp])).toEqual([
      [1, 2n, 'k2', 'v2', 1_700_000_000_000n],
      [1, 3n, 'k3', 'v3', 1_700_000_000_000n],
    ]);
    expect(r.highWatermark).toBe(4n);
  });

  it('converts to magic 0 (no timestamps), keeping compressed batches compressed', async () => {
    const t = await newTopic();
    await append(shared.broker, t, 0, records(3), { compression: CompressionCodec.Gzip });
    const r = only(await service().read(params([p(t, 0, 0n)], { recordMagic: 0, allowZstd: false })));
    const msgs = [...readLegacyMessages(r.records)];
    expect(msgs.map((m) => [m.magic, m.offset, m.value?.toString(), m.compression])).toEqual([
      [0, 0n, 'v0', CompressionCodec.Gzip],
      [0, 1n, 'v1', CompressionCodec.Gzip],
      [0, 2n, 'v2', CompressionCodec.Gzip],
    ]);
  });

  it('cuts converted messages at partitionMaxBytes, keeping at least one', async () => {
    const t = await newTopic();
    await append(shared.broker, t, 0, records(10));
    const all = [...readLegacyMessages(only(await service().read(params([p(t, 0, 0n)], { recordMagic: 1 }))).records)];
    expect(all).toHaveLength(10);
    const one = only(await service().read(params([p(t, 0, 0n, 1)], { recordMagic: 1 })));
    expect([...readLegacyMessages(one.records)].map((m) => m.offset)).toEqual([0n]);
    const some = only(await service().read(params([p(t, 0, 0n, Math.floor((one.records.length * 3.5)))], { recordMagic: 1 })));
    expect([...readLegacyMessages(some.records)].map((m) => m.offset)).toEqual([0n, 1n, 2n]);
  });

  it('answers UNSUPPORTED_COMPRESSION_TYPE for zstd batches and UNSUPPORTED_VERSION when down-conversion is off', async () => {
    const z = await newTopic();
    await append(shared.broker, z, 0, records(2), { compression: CompressionCodec.Zstd });
    expect(only(await service().read(params([p(z, 0, 0n)], { recordMagic: 1, allowZstd: false }))).errorCode).toBe(
      ErrorCode.UnsupportedCompressionType,
    );
    const off = await newTopic(1, { 'message.downconversion.enable': 'false' });
    await append(shared.broker, off, 0, records(2));
    expect(only(await service().read(params([p(off, 0, 0n)], { recordMagic: 1, allowZstd: false }))).errorCode).toBe(
      ErrorCode.UnsupportedVersion,
    );
    // Nothing to convert: no error.
    expect(only(await service().read(params([p(off, 0, 2n)], { recordMagic: 1, allowZstd: false }))).errorCode).toBe(ErrorCode.None);
  });
});

describe('FetchService long polling', () => {
  it('with minBytes=1 on an empty partition, answers after maxWaitMs with nothing', async () => {
    const t = await newTopic();
    const clock = new ManualClock(0);
    const svc = service(clock);
    const pending = svc.read(params([p(t, 0, 0n)], { maxWaitMs: 500, minBytes: 1 }));
    expect(await isSettled(pending)).toBe(false);
    expect(svc.waitingFetches).toBe(1);
    clock.advance(499);
    expect(await isSettled(pending)).toBe(false);
    clock.advance(1);
    const r = only(await pending);
    expect(r.errorCode).toBe(ErrorCode.None);
    expect(r.records.length).toBe(0);
    expect(svc.waitingFetches).toBe(0);
  });

  it('answers as soon as an append brings minBytes', async () => {
    const t = await newTopic();
    const clock = new ManualClock(0);
    const svc = service(clock);
    const pending = svc.read(params([p(t, 0, 0n)], { maxWaitMs: 10_000, minBytes: 1 }));
    expect(await isSettled(pending)).toBe(false);
    await append(shared.broker, t, 0, records(2));
    expect(await isSettled(pending)).toBe(true);
    expect(valuesOf(only(await pending).records)).toEqual(['v0', 'v1']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps waiting until the appends add up to minBytes', async () => {
    const t = await newTopic(2);
    const clock = new ManualClock(0);
    const svc = service(clock);
    const value = 'x'.repeat(400);
    const pending = svc.read(params([p(t, 0, 0n), p(t, 1, 0n)], { maxWaitMs: 10_000, minBytes: 1000 }));
    await append(shared.broker, t, 0, [{ value }]);
    expect(await isSettled(pending)).toBe(false);
    await append(shared.broker, t, 1, [{ value }]);
    expect(await isSettled(pending)).toBe(false);
    await append(shared.broker, t, 1, [{ value }]);
    expect(await isSettled(pending)).toBe(true);
    const r = await pending;
    expect(r.partitions.map((x) => batchesOf(x.records).length)).toEqual([1, 2]);
  });

  it('ignores appends to other partitions', async () => {
    const t = await newTopic(2);
    const clock = new ManualClock(0);
    const svc = service(clock);
    const pending = svc.read(params([p(t, 0, 0n)], { maxWaitMs: 1000, minBytes: 1 }));
    await append(shared.broker, t, 1, records(1));
    expect(await isSettled(pending)).toBe(false);
    clock.advance(1000);
    expect(only(await pending).records.length).toBe(0);
  });

  it('answers at once when maxWaitMs is 0, when minBytes is already there, or on an error', async () => {
    const t = await newTopic();
    const clock = new ManualClock(0);
    const svc = service(clock);
    expect(await isSettled(svc.read(params([p(t, 0, 0n)], { maxWaitMs: 0, minBytes: 1 })))).toBe(true);
    expect(await isSettled(svc.read(params([p(t, 0, 0n), p('missing', 0, 0n)], { maxWaitMs: 5000, minBytes: 1 })))).toBe(true);
    expect(await isSettled(svc.read(params([p(t, 0, 99n)], { maxWaitMs: 5000, minBytes: 1 })))).toBe(true);
    expect(await isSettled(svc.read(params([], { maxWaitMs: 5000, minBytes: 1 })))).toBe(true);
    await append(shared.broker, t, 0, records(1));
    expect(await isSettled(svc.read(params([p(t, 0, 0n)], { maxWaitMs: 5000, minBytes: 1 })))).toBe(true);
  });

  it('shutdown answers waiting fetches at once and later fetches do not wait', async () => {
    const t = await newTopic();
    const clock = new ManualClock(0);
    const svc = service(clock);
    const pending = svc.read(params([p(t, 0, 0n)], { maxWaitMs: 60_000, minBytes: 1 }));
    expect(await isSettled(pending)).toBe(false);
    svc.shutdown();
    expect(await isSettled(pending)).toBe(true);
    expect(only(await pending).errorCode).toBe(ErrorCode.None);
    expect(await isSettled(svc.read(params([p(t, 0, 0n)], { maxWaitMs: 60_000, minBytes: 1 })))).toBe(true);
  });
});

describe('joinBuffers', () => {
  it('returns a view over adjacent slices of one buffer, and a copy otherwise', async () => {
    const { joinBuffers } = await import('../../src/partition/fetch-service.js');
    const whole = Buffer.from('abcdefghij');
    const view = joinBuffers([whole.subarray(2, 4), whole.subarray(4, 7)], 5);
    expect(view.toString()).toBe('cdefg');
    whole[3] = 0x58; // 'X': a view sees the change
    expect(view.toString()).toBe('cXefg');
    const gap = joinBuffers([whole.subarray(0, 2), whole.subarray(3, 5)], 4);
    expect(gap.toString()).toBe('abXe');
    const apart = joinBuffers([Buffer.from('12'), Buffer.from('34')], 4);
    expect(apart.toString()).toBe('1234');
    const single = whole.subarray(1, 3);
    expect(joinBuffers([single], 2)).toBe(single);
  });
});

describe('fetchSettingsFrom', () => {
  it("reads Kafka's fetch.max.bytes, with Kafka's default", async () => {
    const { fetchSettingsFrom, DEFAULT_FETCH_MAX_BYTES } = await import('../../src/partition/fetch-service.js');
    expect(fetchSettingsFrom(shared.broker.services.brokerConfig)).toEqual({ maxResponseBytes: DEFAULT_FETCH_MAX_BYTES });
    const configured = await startMemoryBroker({ 'fetch.max.bytes': 1234 });
    try {
      expect(fetchSettingsFrom(configured.services.brokerConfig)).toEqual({ maxResponseBytes: 1234 });
      expect(configured.services.fetch.reads.maxResponseBytes).toBe(1234);
    } finally {
      await configured.stop();
    }
  });
});
