/**
 * Which fetcher follows which partition (Kafka's AbstractFetcherManager): the fetcher id is Kafka's
 * getFetcherId, partitions of one leader share its fetchers, a partition whose leader changes moves
 * to the new leader's fetcher, and fetchers left without partitions stop. The leaders here have no
 * address, so the fetchers only back off; nothing is fetched.
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ZERO_UUID } from '../../src/protocol/reader.js';
import { fetcherIdFor, ReplicaFetcherManager } from '../../src/replication/replica-fetcher-manager.js';
import type { FollowedPartition, FollowerPartition } from '../../src/replication/replica-fetcher.js';
import { replicationSettingsFrom, type ReplicationSettings } from '../../src/replication/replication-settings.js';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { LeaderEpochCache } from '../../src/storage/leader-epoch-cache.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';

const managers: ReplicaFetcherManager[] = [];
let defaults: ReplicationSettings;
beforeAll(async () => {
  defaults = replicationSettingsFrom(await loadBrokerConfig({ env: {} }));
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
});

function manager(numFetchers: number): ReplicaFetcherManager {
  const m = new ReplicaFetcherManager({
    nodeId: 2,
    brokerAddress: () => undefined,
    settings: { ...defaults, numFetchers },
    clock: new ManualClock(0),
    logger: silentLogger,
  });
  managers.push(m);
  return m;
}

/** A replica that is never written to (its fetcher never reaches a leader). */
function replica(topic: string, partition: number): FollowedPartition {
  const unused = (): Promise<void> => Promise.reject(new Error('not expected'));
  const r: FollowerPartition = {
    topic,
    partition,
    logStartOffset: 0n,
    logEndOffset: 0n,
    highWatermark: 0n,
    log: { leaderEpochs: new LeaderEpochCache() },
    appendAsFollower: unused,
    truncateTo: unused,
    truncateFullyAndStartAt: unused,
  };
  return { replica: r, topicId: ZERO_UUID, leaderEpoch: 1 };
}

describe('ReplicaFetcherManager', () => {
  it("takes its settings from Kafka's broker config names, with Kafka's defaults", async () => {
    expect(defaults).toEqual({ fetchWaitMaxMs: 500, fetchMinBytes: 1, fetchResponseMaxBytes: 10_485_760, fetchMaxBytes: 1_048_576, fetchBackoffMs: 1000, socketTimeoutMs: 30_000, numFetchers: 1 });
    const set = replicationSettingsFrom(await loadBrokerConfig({ env: {}, flags: { 'num.replica.fetchers': 3, 'replica.fetch.max.bytes': 4096, 'replica.socket.timeout.ms': 5000 } }));
    expect(set).toMatchObject({ numFetchers: 3, fetchMaxBytes: 4096, socketTimeoutMs: 5000 });
  });

  it('numbers fetchers as Kafka does: abs(31 * topic.hashCode() + partition) % num.replica.fetchers', () => {
    // "topic".hashCode() is 110546223; 31 times it plus 0 wraps to -868034383 in 32 bits.
    expect(fetcherIdFor('topic', 0, 3)).toBe(868034383 % 3);
    expect(fetcherIdFor('topic', 5, 1000)).toBe(868034378 % 1000);
    expect(fetcherIdFor('anything', 7, 1)).toBe(0);
  });

  it('gives partitions of one leader shared fetchers, moves a partition to its new leader, and stops idle fetchers', async () => {
    const m = manager(2);
    const parts = [0, 1, 2, 3].map((p) => replica('shared', p));
    await m.addPartitions(1, parts);
    const ids = new Set(parts.map((p) => fetcherIdFor('shared', p.replica.partition, 2)));
    expect(m.fetcherCount).toBe(ids.size);
    for (const p of parts) {
      const f = m.fetcherOf('shared', p.replica.partition);
      expect({ leader: f?.leaderId, id: f?.fetcherId }).toEqual({ leader: 1, id: fetcherIdFor('shared', p.replica.partition, 2) });
      expect(f?.fetchOffset('shared', p.replica.partition)).toBe(0n);
    }

    // Partition 0's leader becomes node 3: it leaves node 1's fetcher.
    const before = m.fetcherOf('shared', 0);
    await m.addPartitions(3, [parts[0]]);
    expect(m.fetcherOf('shared', 0)?.leaderId).toBe(3);
    expect(before?.fetchOffset('shared', 0)).toBeUndefined();

    await m.removePartitions(parts.map((p) => p.replica));
    expect(m.fetcherCount).toBe(0);
    expect(m.fetcherOf('shared', 1)).toBeUndefined();
  });

  it('one fetcher per leader by default', async () => {
    const m = manager(1);
    await m.addPartitions(1, [replica('a', 0), replica('b', 3)]);
    await m.addPartitions(4, [replica('c', 0)]);
    expect(m.fetcherCount).toBe(2);
    expect(m.fetcherOf('a', 0)).toBe(m.fetcherOf('b', 3));
    expect(m.fetcherOf('c', 0)).not.toBe(m.fetcherOf('a', 0));
    await m.shutdown();
    expect(m.fetcherCount).toBe(0);
  });
});
