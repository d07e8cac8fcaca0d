import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import {
  EARLIEST_LOCAL_TIMESTAMP,
  EARLIEST_PENDING_UPLOAD_TIMESTAMP,
  EARLIEST_TIMESTAMP,
  LATEST_TIERED_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
} from '../../src/partition/log-offsets.js';
import { memoryBrokerPerFile } from '../server/fetch/memory-broker-per-file.js';
import { append, isSettled, records } from '../server/fetch/fixture.js';

const shared = memoryBrokerPerFile('offsets');
const { newTopic } = shared;

const T0 = 1_700_000_000_000;

/** Three batches: offsets 0-1 at T0, 2-3 at T0+1000 (the max at offset 3: T0+5000), 4 at T0+2000. */
async function filled(): Promise<string> {
  const t = await newTopic();
  await append(shared.broker, t, 0, [
    { value: 'a', timestamp: T0 },
    { value: 'b', timestamp: T0 },
  ]);
  await append(shared.broker, t, 0, [
    { value: 'c', timestamp: T0 + 1000 },
    { value: 'd', timestamp: T0 + 5000 },
  ]);
  await append(shared.broker, t, 0, [{ value: 'e', timestamp: T0 + 2000 }]);
  return t;
}

describe('LogOffsetService.listOffset', () => {
  it('answers earliest, latest, max timestamp and timestamps', async () => {
    const t = await filled();
    const lo = shared.broker.services.logOffsets;
    expect(await lo.listOffset(t, 0, EARLIEST_TIMESTAMP)).toEqual({ errorCode: 0, offset: 0n, timestamp: -1n, leaderEpoch: 0 });
    expect(await lo.listOffset(t, 0, LATEST_TIMESTAMP)).toEqual({ errorCode: 0, offset: 5n, timestamp: -1n, leaderEpoch: 0 });
    expect(await lo.listOffset(t, 0, MAX_TIMESTAMP)).toEqual({ errorCode: 0, offset: 3n, timestamp: BigInt(T0 + 5000), leaderEpoch: 0 });
    expect(await lo.listOffset(t, 0, BigInt(T0 - 1))).toMatchObject({ offset: 0n, timestamp: BigInt(T0) });
    expect(await lo.listOffset(t, 0, BigInt(T0 + 1))).toMatchObject({ offset: 2n, timestamp: BigInt(T0 + 1000) });
    // The first offset whose timestamp is at or after the target (offset 3 at T0+5000, not 4 at T0+2000).
    expect(await lo.listOffset(t, 0, BigInt(T0 + 1500))).toMatchObject({ offset: 3n, timestamp: BigInt(T0 + 5000) });
    expect(await lo.listOffset(t, 0, BigInt(T0 + 6000))).toEqual({ errorCode: 0, offset: -1n, timestamp: -1n, leaderEpoch: -1 });
  });

  it('answers the tiered-storage targets as a broker without tiered storage does', async () => {
    const t = await filled();
    const lo = shared.broker.services.logOffsets;
    expect(await lo.listOffset(t, 0, EARLIEST_LOCAL_TIMESTAMP)).toEqual({ errorCode: 0, offset: 0n, timestamp: -1n, leaderEpoch: 0 });
    expect(await lo.listOffset(t, 0, LATEST_TIERED_TIMESTAMP)).toEqual({ errorCode: 0, offset: -1n, timestamp: -1n, leaderEpoch: -1 });
    expect(await lo.listOffset(t, 0, EARLIEST_PENDING_UPLOAD_TIMESTAMP)).toEqual({ errorCode: 0, offset: -1n, timestamp: -1n, leaderEpoch: -1 });
  });

  it('on an empty partition: earliest = latest = 0, no max timestamp', async () => {
    const t = await newTopic();
    const lo = shared.broker.services.logOffsets;
    expect((await lo.listOffset(t, 0, EARLIEST_TIMESTAMP)).offset).toBe(0n);
    expect((await lo.listOffset(t, 0, LATEST_TIMESTAMP)).offset).toBe(0n);
    expect(await lo.listOffset(t, 0, MAX_TIMESTAMP)).toEqual({ errorCode: 0, offset: -1n, timestamp: -1n, leaderEpoch: -1 });
    expect((await lo.listOffset(t, 0, 0n)).offset).toBe(-1n);
  });

  it('answers unknown partitions and fences leader epochs', async () => {
    const t = await newTopic();
    const lo = shared.broker.services.logOffsets;
    const unknown = { errorCode: ErrorCode.UnknownTopicOrPartition, offset: -1n, timestamp: -1n, leaderEpoch: -1 };
    expect(await lo.listOffset('nope', 0, LATEST_TIMESTAMP)).toEqual(unknown);
    expect(await lo.listOffset(t, 1, LATEST_TIMESTAMP)).toEqual(unknown);
    expect((await lo.listOffset(t, 0, LATEST_TIMESTAMP, 0)).errorCode).toBe(ErrorCode.None);
    expect((await lo.listOffset(t, 0, LATEST_TIMESTAMP, 1)).errorCode).toBe(ErrorCode.UnknownLeaderEpoch);
  });
});

describe('LogOffsetService.legacyOffsets (ListOffsets v0)', () => {
  it('answers up to maxNumOffsets offsets, newest first', async () => {
    const t = await filled();
    const lo = shared.broker.services.logOffsets;
    expect(await lo.legacyOffsets(t, 0, LATEST_TIMESTAMP, 1)).toEqual({ errorCode: 0, offsets: [5n] });
    expect(await lo.legacyOffsets(t, 0, LATEST_TIMESTAMP, 10)).toEqual({ errorCode: 0, offsets: [5n, 0n] });
    expect(await lo.legacyOffsets(t, 0, EARLIEST_TIMESTAMP, 1)).toEqual({ errorCode: 0, offsets: [0n] });
    expect(await lo.legacyOffsets(t, 0, BigInt(T0 + 1), 1)).toEqual({ errorCode: 0, offsets: [2n] });
    expect(await lo.legacyOffsets(t, 0, BigInt(T0 + 99_999), 1)).toEqual({ errorCode: 0, offsets: [5n] });
    expect(await lo.legacyOffsets(t, 0, LATEST_TIMESTAMP, 0)).toEqual({ errorCode: 0, offsets: [] });
    expect(await lo.legacyOffsets('nope', 0, LATEST_TIMESTAMP, 1)).toEqual({ errorCode: ErrorCode.UnknownTopicOrPartition, offsets: [] });
  });
});

describe('LogOffsetService.endOffsetForEpoch', () => {
  it('epoch 0 ends at the log end; -1 and later epochs are unknown', async () => {
    const t = await filled();
    const lo = shared.broker.services.logOffsets;
    expect(lo.endOffsetForEpoch(t, 0, 0)).toEqual({ errorCode: 0, leaderEpoch: 0, endOffset: 5n });
    expect(lo.endOffsetForEpoch(t, 0, -1)).toEqual({ errorCode: 0, leaderEpoch: -1, endOffset: -1n });
    expect(lo.endOffsetForEpoch(t, 0, 7)).toEqual({ errorCode: 0, leaderEpoch: -1, endOffset: -1n });
    expect(lo.endOffsetForEpoch(t, 0, 0, 1)).toEqual({ errorCode: ErrorCode.UnknownLeaderEpoch, leaderEpoch: -1, endOffset: -1n });
    expect(lo.endOffsetForEpoch('nope', 0, 0)).toEqual({ errorCode: ErrorCode.UnknownTopicOrPartition, leaderEpoch: -1, endOffset: -1n });
  });
});

describe('LogOffsetService.deleteRecords', () => {
  it('moves the log start offset, -1 meaning the high watermark, and earliest follows', async () => {
    const t = await filled();
    const lo = shared.broker.services.logOffsets;
    expect(await lo.deleteRecords(t, 0, 2n)).toEqual({ errorCode: 0, lowWatermark: 2n });
    expect((await lo.listOffset(t, 0, EARLIEST_TIMESTAMP)).offset).toBe(2n);
    // Moving backwards does nothing.
    expect(await lo.deleteRecords(t, 0, 1n)).toEqual({ errorCode: 0, lowWatermark: 2n });
    expect(await lo.deleteRecords(t, 0, -1n)).toEqual({ errorCode: 0, lowWatermark: 5n });
    expect((await lo.listOffset(t, 0, EARLIEST_TIMESTAMP)).offset).toBe(5n);
    expect((await lo.listOffset(t, 0, LATEST_TIMESTAMP)).offset).toBe(5n);
  });

  it('answers OFFSET_OUT_OF_RANGE beyond the high watermark or below 0, and checks the topic', async () => {
    const t = await filled();
    const lo = shared.broker.services.logOffsets;
    expect(await lo.deleteRecords(t, 0, 6n)).toEqual({ errorCode: ErrorCode.OffsetOutOfRange, lowWatermark: -1n });
    expect(await lo.deleteRecords(t, 0, -2n)).toEqual({ errorCode: ErrorCode.OffsetOutOfRange, lowWatermark: -1n });
    expect(await lo.deleteRecords('nope', 0, 0n)).toEqual({ errorCode: ErrorCode.UnknownTopicOrPartition, lowWatermark: -1n });
    const compacted = await newTopic(1, { 'cleanup.policy': 'compact' });
    expect(await lo.deleteRecords(compacted, 0, 0n)).toEqual({ errorCode: ErrorCode.PolicyViolation, lowWatermark: -1n });
    const both = await newTopic(1, { 'cleanup.policy': 'compact,delete' });
    expect((await lo.deleteRecords(both, 0, 0n)).errorCode).toBe(ErrorCode.None);
  });

  it('a waiting incremental fetch reports the moved log start offset', async () => {
    const t = await newTopic();
    await append(shared.broker, t, 0, records(3));
    const fetch = shared.broker.services.fetch;
    const full = await fetch.fetch({
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: 0,
      usesTopicIds: false,
      partitions: [{ topic: t, topicId: '', partition: 0, fetchOffset: 3n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n, lastFetchedEpoch: -1 }],
      forgotten: [],
      recordMagic: 2,
      allowZstd: true,
    });
    // The session sees no change until DeleteRecords moves the log start offset; the waiting fetch is
    // re-read then, but with no records it keeps waiting (minBytes 1) until its max wait.
    const pending = fetch.fetch({
      maxWaitMs: 200,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: full.sessionId,
      sessionEpoch: 1,
      usesTopicIds: false,
      partitions: [],
      forgotten: [],
      recordMagic: 2,
      allowZstd: true,
    });
    expect(await isSettled(pending)).toBe(false);
    await shared.broker.services.logOffsets.deleteRecords(t, 0, 2n);
    const r = await pending;
    expect(r.partitions.map((x) => [x.partition, x.logStartOffset])).toEqual([[0, 2n]]);
  });
});
