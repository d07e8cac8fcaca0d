/**
 * Replication end to end between two in-process brokers: node 1 and node 2 are given partition
 * states by hand (as the cluster store would give them), and the follower's ReplicaFetcherManager
 * fetches from the leader over Kafka's Fetch. The follower's log becomes the leader's byte for byte,
 * the leader's high watermark moves only as the follower catches up, a follower whose uncommitted
 * tail diverged from a new leader truncates it and converges, one behind the leader's log start
 * starts over there, and a fetcher that cannot reach its leader backs off and reconnects.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/broker.js';
import { Producer } from '../../src/client/producer.js';
import type { BrokerAddress } from '../../src/cluster/cluster-store.js';
import type { PartitionState } from '../../src/metadata/partition-state.js';
import type { Partition } from '../../src/partition/partition.js';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { ZERO_UUID } from '../../src/protocol/reader.js';
import { ReplicaFetcherManager } from '../../src/replication/replica-fetcher-manager.js';
import { replicationSettingsFrom, type ReplicationSettings } from '../../src/replication/replication-settings.js';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { systemClock } from '../../src/util/clock.js';
import { createLogger, silentLogger } from '../../src/util/logger.js';
import { createTopic, valuesOf } from '../server/fetch/fixture.js';

let settings: ReplicationSettings;

let node1: Broker;
let node2: Broker;
const addresses = new Map<number, BrokerAddress>();
const managers: ReplicaFetcherManager[] = [];
const producers: Producer[] = [];
let topicCount = 0;

beforeAll(async () => {
  settings = replicationSettingsFrom(await loadBrokerConfig({ env: {}, flags: { 'replica.fetch.wait.max.ms': 200, 'replica.fetch.backoff.ms': 20 } }));
  node1 = await Broker.start({ port: 0, storage: 'memory', config: { 'node.id': 1 } });
  node2 = await Broker.start({ port: 0, storage: 'memory', config: { 'node.id': 2 } });
  addresses.set(1, { nodeId: 1, host: '127.0.0.1', port: node1.port, rack: null });
  addresses.set(2, { nodeId: 2, host: '127.0.0.1', port: node2.port, rack: null });
});

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
  await Promise.all(producers.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  await node1.stop();
  await node2.stop();
});

function managerOn(nodeId: number, fetchVersionCap?: number): ReplicaFetcherManager {
  const m = new ReplicaFetcherManager({
    ...(fetchVersionCap === undefined ? {} : { versionCaps: { [ApiKey.Fetch]: fetchVersionCap } }),
    nodeId, brokerAddress: (id) => addresses.get(id), settings, clock: systemClock, logger: process.env.DEBUG_REPL ? createLogger({ level: 'debug' }) : silentLogger });
  managers.push(m);
  return m;
}

function producerTo(broker: Broker, acks: number): Producer {
  const p = new Producer({ bootstrapServers: broker.bootstrap }, { acks, lingerMs: 0 });
  producers.push(p);
  return p;
}

async function produce(producer: Producer, topic: string, values: string[]): Promise<void> {
  for (const v of values) await producer.send({ topic, partition: 0, value: Buffer.from(v) });
}

const state = (leader: number, leaderEpoch: number, isr = [1, 2]): PartitionState => ({ leader, leaderEpoch, isr, replicas: [1, 2], version: BigInt(leaderEpoch) });

/** A topic on both brokers, partition 0 led by `leader` in epoch 1. */
async function replicatedTopic(leader = 1, isr = [1, 2], brokers: Broker[] = [node1, node2]): Promise<string> {
  const name = `replicated-${++topicCount}`;
  for (const b of brokers) {
    await createTopic(b, name, 1);
    await b.services.partitions.applyPartitionState(name, 0, state(leader, 1, isr));
  }
  return name;
}

const partitionOf = (b: Broker, topic: string): Partition => {
  const p = b.services.partitions.get(topic, 0);
  if (p === undefined) throw new Error(`no ${topic}-0 on ${b.bootstrap}`);
  return p;
};

/** Every stored byte of the partition from its log start. */
async function bytesOf(p: Partition): Promise<Buffer> {
  const read = await p.log.read(p.logStartOffset, { maxBytes: 1 << 30 });
  return Buffer.concat(read.records);
}

/** Waits for a condition by polling it (the fetchers run on real sockets and timers); the test's timeout bounds it. */
async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) {
    waitingFor = what;
    await new Promise((r) => setTimeout(r, 5));
  }
  waitingFor = '';
}

/** What the test waits for, for a timed-out test's report. */
let waitingFor = '';
afterEach(() => {
  if (waitingFor !== '') console.error(`still waiting for: ${waitingFor}`);
  waitingFor = '';
});

const follow = (manager: ReplicaFetcherManager, leaderId: number, replica: Partition, leaderEpoch: number): Promise<void> =>
  manager.addPartitions(leaderId, [{ replica, topicId: ZERO_UUID, leaderEpoch }]);

describe('ReplicaFetcher between two brokers', () => {
  it('copies the leader\'s log byte for byte, and the leader\'s high watermark follows the follower', async () => {
    const t = await replicatedTopic();
    const leader = partitionOf(node1, t);
    const follower = partitionOf(node2, t);
    await produce(producerTo(node1, 1), t, Array.from({ length: 10 }, (_, i) => `a${i}`));
    // Node 2 is in the ISR and has nothing: nothing is committed yet.
    expect(leader.logEndOffset).toBe(10n);
    expect(leader.highWatermark).toBe(0n);

    await follow(managerOn(2), 1, follower, 1);
    await until('the follower catches up', () => follower.logEndOffset === 10n && leader.highWatermark === 10n && follower.highWatermark === 10n);
    expect((await bytesOf(follower)).equals(await bytesOf(leader))).toBe(true);
    expect(follower.log.leaderEpochs.entries()).toEqual(leader.log.leaderEpochs.entries());

    // acks=all is answered once the follower has the records.
    await produce(producerTo(node1, -1), t, ['b0', 'b1', 'b2']);
    expect(leader.highWatermark).toBe(13n);
    expect(follower.logEndOffset).toBeGreaterThanOrEqual(13n);
    await until('the follower learns the high watermark', () => follower.highWatermark === 13n);
    expect((await bytesOf(follower)).equals(await bytesOf(leader))).toBe(true);
    expect(valuesOf(await bytesOf(follower))).toEqual([...Array.from({ length: 10 }, (_, i) => `a${i}`), 'b0', 'b1', 'b2']);
  });

  for (const cap of [undefined, 11]) {
    it(`after a leader change, a follower truncates its diverged uncommitted tail and converges (${cap === undefined ? 'divergingEpoch' : `Fetch v${cap}: OffsetForLeaderEpoch`})`, async () => {
      const t = await replicatedTopic();
      const one = partitionOf(node1, t);
      const two = partitionOf(node2, t);
      const fetchersOn2 = managerOn(2);
      await follow(fetchersOn2, 1, two, 1);
      await produce(producerTo(node1, -1), t, ['c0', 'c1', 'c2', 'c3', 'c4']);
      await until('the follower has epoch 1', () => two.logEndOffset === 5n && two.highWatermark === 5n);

      // Node 2 stops following; node 1 appends a tail nobody else has (uncommitted: HW stays 5).
      await fetchersOn2.removePartitions([{ topic: t, partition: 0 }]);
      await produce(producerTo(node1, 1), t, ['lost0', 'lost1', 'lost2']);
      expect({ end: one.logEndOffset, hw: one.highWatermark }).toEqual({ end: 8n, hw: 5n });

      // Epoch 2: node 2 leads and takes new records at 5-8; node 1 follows it.
      await node2.services.partitions.applyPartitionState(t, 0, state(2, 2));
      await produce(producerTo(node2, 1), t, ['d0', 'd1', 'd2', 'd3']);
      expect(two.logEndOffset).toBe(9n);
      await node1.services.partitions.applyPartitionState(t, 0, state(2, 2));
      expect(one.isLeader).toBe(false);
      await follow(managerOn(1, cap), 2, one, 2);

      await until('node 1 converges on node 2', async () => one.logEndOffset === 9n && two.highWatermark === 9n && (await bytesOf(one)).equals(await bytesOf(two)));
      expect(valuesOf(await bytesOf(one))).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'd0', 'd1', 'd2', 'd3']);
      expect(one.log.leaderEpochs.entries()).toEqual([
        { epoch: 1, startOffset: 0n },
        { epoch: 2, startOffset: 5n },
      ]);
      expect(one.log.leaderEpochs.entries()).toEqual(two.log.leaderEpochs.entries());
    });
  }

  it('a follower an epoch behind is fenced and held until its new state; one ahead retries until the leader catches up', async () => {
    const t = await replicatedTopic();
    const leader = partitionOf(node1, t);
    const follower = partitionOf(node2, t);
    const fetchers = managerOn(2);
    await follow(fetchers, 1, follower, 1);
    const producer = producerTo(node1, 1);
    await produce(producer, t, ['h0']);
    await until('the follower has h0', () => follower.logEndOffset === 1n);

    // The leader moves to epoch 2 before the follower hears of it: FENCED_LEADER_EPOCH, held.
    await node1.services.partitions.applyPartitionState(t, 0, state(1, 2));
    await produce(producer, t, ['h1']);
    await until('the follower is fenced', () => fetchers.fetcherOf(t, 0)?.isHeld(t, 0) === true);
    expect(fetchers.fetcherOf(t, 0)?.lastError(t, 0)).toBe(ErrorCode.FencedLeaderEpoch);
    expect(follower.logEndOffset).toBe(1n);
    await node2.services.partitions.applyPartitionState(t, 0, state(1, 2));
    await follow(fetchers, 1, follower, 2);
    await until('the follower resumes in epoch 2', () => follower.logEndOffset === 2n && leader.highWatermark === 2n);

    // The follower hears of epoch 3 first: the leader answers UNKNOWN_LEADER_EPOCH until it has it too.
    await node2.services.partitions.applyPartitionState(t, 0, state(1, 3));
    await follow(fetchers, 1, follower, 3);
    await until('the leader says it does not know epoch 3', () => fetchers.fetcherOf(t, 0)?.lastError(t, 0) === ErrorCode.UnknownLeaderEpoch);
    expect(fetchers.fetcherOf(t, 0)?.isHeld(t, 0)).toBe(false);
    await node1.services.partitions.applyPartitionState(t, 0, state(1, 3));
    await produce(producer, t, ['h2']);
    await until('the follower has epoch 3', () => follower.logEndOffset === 3n && leader.highWatermark === 3n);
    expect((await bytesOf(follower)).equals(await bytesOf(leader))).toBe(true);
    expect(follower.log.leaderEpochs.entries()).toEqual(leader.log.leaderEpochs.entries());
  });

  it('backs off while the leader cannot be reached and reconnects when it can', async () => {
    const t = await replicatedTopic();
    const leader = partitionOf(node1, t);
    const follower = partitionOf(node2, t);
    await produce(producerTo(node1, 1), t, ['e0', 'e1']);
    // A port nobody listens on.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => { r(); }));
    let reachable = false;
    let lookups = 0;
    const fetchers = new ReplicaFetcherManager({
      nodeId: 2,
      brokerAddress: (id) => {
        lookups++;
        return id === 1 ? { nodeId: 1, host: '127.0.0.1', port: reachable ? node1.port : deadPort, rack: null } : undefined;
      },
      settings,
      clock: systemClock,
      logger: silentLogger,
    });
    managers.push(fetchers);
    await follow(fetchers, 1, follower, 1);
    // Connection attempts fail, each followed by the backoff: the address is asked again each time.
    await until('several attempts to connect', () => lookups >= 3);
    expect(follower.logEndOffset).toBe(0n);
    reachable = true;
    await until('the follower catches up after reconnecting', () => follower.logEndOffset === 2n && leader.highWatermark === 2n);
    expect((await bytesOf(follower)).equals(await bytesOf(leader))).toBe(true);
  });

  it('a follower behind the leader\'s log start starts over there (OFFSET_OUT_OF_RANGE)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gregor-replica-'));
    const node3 = await Broker.start({ port: 0, storage: 'disk', config: { 'node.id': 2, 'log.dirs': join(dir, 'logs') } });
    try {
      // Node 1 leads with itself alone in the ISR, so its HW follows its log and records can be deleted.
      const t = `replicated-${++topicCount}`;
      await createTopic(node1, t, 1);
      await node1.services.partitions.applyPartitionState(t, 0, state(1, 1, [1]));
      await createTopic(node3, t, 1);
      await node3.services.partitions.applyPartitionState(t, 0, state(1, 1, [1]));
      const leader = partitionOf(node1, t);
      const follower = partitionOf(node3, t);
      await produce(producerTo(node1, 1), t, ['f0', 'f1', 'f2', 'f3', 'f4']);
      expect(await node1.services.logOffsets.deleteRecords(t, 0, 3n)).toEqual({ errorCode: 0, lowWatermark: 3n });

      await follow(managerOn(2), 1, follower, 1);
      await until('the follower starts at 3 and catches up', () => follower.logEndOffset === 5n);
      expect(follower.logStartOffset).toBe(3n);
      expect(valuesOf(await bytesOf(follower)).slice(-2)).toEqual(['f3', 'f4']);
      expect((await bytesOf(follower)).equals(await bytesOf(leader))).toBe(true);
    } finally {
      await Promise.all(managers.splice(0).map((m) => m.shutdown()));
      await node3.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stopping the manager closes its connections', async () => {
    const t = await replicatedTopic();
    const leader = partitionOf(node1, t);
    const follower = partitionOf(node2, t);
    // The fetcher reaches the leader through a relay that sees its connections open and close.
    const open = new Set<Socket>();
    const relay = createServer((client) => {
      open.add(client);
      const upstream = connect(node1.port, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      client.on('error', () => {});
      upstream.on('error', () => {});
      client.on('close', () => {
        open.delete(client);
        upstream.destroy();
      });
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const relayPort = (relay.address() as { port: number }).port;
    try {
      const fetchers = new ReplicaFetcherManager({
        nodeId: 2,
        brokerAddress: (id) => (id === 1 ? { nodeId: 1, host: '127.0.0.1', port: relayPort, rack: null } : undefined),
        settings,
        clock: systemClock,
        logger: silentLogger,
      });
      await follow(fetchers, 1, follower, 1);
      await produce(producerTo(node1, 1), t, ['g0']);
      await until('the follower replicates', () => follower.logEndOffset === 1n && leader.highWatermark === 1n);
      expect({ fetchers: fetchers.fetcherCount, connections: open.size }).toEqual({ fetchers: 1, connections: 1 });

      await fetchers.shutdown();
      expect(fetchers.fetcherCount).toBe(0);
      await until('the fetcher\'s connection is closed', () => open.size === 0);
      // Nothing fetches any more: a new record stays on the leader.
      await produce(producerTo(node1, 1), t, ['g1']);
      expect(leader.logEndOffset).toBe(2n);
      expect(follower.logEndOffset).toBe(1n);
      expect(open.size).toBe(0);
    } finally {
      await new Promise<void>((r) => relay.close(() => { r(); }));
    }
  });
});
