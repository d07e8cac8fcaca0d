import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Broker } from '../../../src/broker.js';
import { FetchService, type FetchPartitionRequest } from '../../../src/partition/fetch-service.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { ZERO_UUID } from '../../../src/protocol/reader.js';
import { SessionFetchService, fetchSessionSettingsFrom, type FetchParams } from '../../../src/server/fetch/session-fetch-service.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { append, createTopic, isSettled, records, startMemoryBroker, valuesOf } from './fixture.js';

let broker: Broker;

beforeAll(async () => {
  broker = await startMemoryBroker();
});

afterAll(async () => {
  await broker.stop();
});

function service(clock = new ManualClock(0)): SessionFetchService {
  const { metadata, partitions } = broker.services;
  return new SessionFetchService({ reads: new FetchService({ metadata, partitions, clock, logger: silentLogger }), clock });
}

function p(topic: string, partition: number, fetchOffset: bigint): FetchPartitionRequest {
  return { topic, topicId: ZERO_UUID, partition, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n, lastFetchedEpoch: -1 };
}

function params(partitions: FetchPartitionRequest[], extra: Partial<FetchParams> = {}): FetchParams {
  return {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 0x7fffffff,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    usesTopicIds: false,
    partitions,
    forgotten: [],
    recordMagic: 2,
    allowZstd: true,
    ...extra,
  };
}

describe('SessionFetchService', () => {
  it('an incremental fetch waits too, and answers only the partition that got data', async () => {
    const t = 'session-fetch-1';
    await createTopic(broker, t, 3);
    const clock = new ManualClock(0);
    const svc = service(clock);
    const full = await svc.fetch(params([p(t, 0, 0n), p(t, 1, 0n), p(t, 2, 0n)], { sessionEpoch: 0 }));
    expect(full.sessionId).toBeGreaterThan(0);
    expect(full.partitions).toHaveLength(3);
    const pending = svc.fetch(params([], { sessionId: full.sessionId, sessionEpoch: 1, maxWaitMs: 5000, minBytes: 1 }));
    expect(await isSettled(pending)).toBe(false);
    await append(broker, t, 2, records(1));
    const r = await pending;
    expect(r.sessionId).toBe(full.sessionId);
    expect(r.partitions.map((x) => [x.partition, valuesOf(x.records)])).toEqual([[2, ['v0']]]);
  });
});

describe('SessionFetchService without a session', () => {
  it('reads a partition named twice once, with the last parameters', async () => {
    const t = 'session-fetch-2';
    await createTopic(broker, t, 1);
    const r = await service().fetch(params([{ ...p(t, 0, 0n), currentLeaderEpoch: 0 }, { ...p(t, 0, 0n), currentLeaderEpoch: 3 }]));
    expect(r.partitions.map((x) => x.errorCode)).toEqual([ErrorCode.UnknownLeaderEpoch]);
  });
});

describe('fetchSessionSettingsFrom', () => {
  it("reads Kafka's max.incremental.fetch.session.cache.slots, with Kafka's default", async () => {
    expect(fetchSessionSettingsFrom(broker.services.brokerConfig)).toEqual({ sessionCacheSlots: 1000 });
    const configured = await startMemoryBroker({ 'max.incremental.fetch.session.cache.slots': 0 });
    try {
      expect(fetchSessionSettingsFrom(configured.services.brokerConfig)).toEqual({ sessionCacheSlots: 0 });
      expect(configured.services.fetch.sessions.maxSlots).toBe(0);
    } finally {
      await configured.stop();
    }
  });
});
