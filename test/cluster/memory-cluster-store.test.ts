/**
 * The in-process cluster store keeps the rules of the ClusterStore contract: registrations under
 * leases, compare-and-swap versions that grow, ordered watches, one controller at a time.
 */
import { describe, expect, it } from '@jest/globals';
import { ClusterUnavailableError, DuplicateBrokerError, StaleVersionError, type ClusterEvent } from '../../src/cluster/cluster-store.js';
import { MemoryCluster, type MemoryClusterStore, type MemorySessionLostEvent } from '../../src/cluster/memory-cluster-store.js';
import { ManualClock } from '../../src/util/clock.js';
import { describeClusterStore } from './cluster-store-contract.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const address = (nodeId: number, rack: string | null = null) => ({ nodeId, host: 'localhost', port: 9090 + nodeId, rack });
const topic = (name: string, assignment: number[][]) => ({ name, topicId: `id-${name}`, assignment, configs: {} });
const initial = (replicas: number[]) => ({ leader: replicas[0], leaderEpoch: 0, isr: [...replicas], replicas });

describeClusterStore('memory', () => {
  const shared = new MemoryCluster('contract');
  const made: MemoryClusterStore[] = [];
  return Promise.resolve({
    store: () => {
      const store = shared.connect();
      made.push(store);
      return Promise.resolve(store);
    },
    close: async () => {
      for (const store of made) await store.close({ graceful: true });
    },
  });
});

describe('registrations', () => {
  it('lists registered brokers by id, each registration with a larger epoch', async () => {
    const cluster = new MemoryCluster('c1');
    const a = cluster.connect();
    const b = cluster.connect();
    const rb = await b.register(address(2, 'r2'));
    const ra = await a.register(address(1));
    expect(ra.epoch).toBeGreaterThan(rb.epoch);
    expect((await a.brokers()).map((x) => [x.nodeId, x.rack])).toEqual([
      [1, null],
      [2, 'r2'],
    ]);
    expect(a.clusterId).toBe('c1');
  });

  it('refuses a node id another live handle holds, until that registration expires', async () => {
    const cluster = new MemoryCluster('c1');
    const first = cluster.connect();
    const second = cluster.connect();
    const old = await first.register(address(1));
    await expect(second.register(address(1))).rejects.toBeInstanceOf(DuplicateBrokerError);
    cluster.expire(1);
    expect(await second.brokers()).toEqual([]);
    const again = await second.register(address(1));
    expect(again.epoch).toBeGreaterThan(old.epoch);
  });

  it('unregister and a graceful close remove the registration at once', async () => {
    const cluster = new MemoryCluster('c1');
    const a = cluster.connect();
    const b = cluster.connect();
    await a.register(address(1));
    await b.register(address(2));
    await a.unregister();
    await b.close({ graceful: true });
    expect(await cluster.connect().brokers()).toEqual([]);
    await expect(b.brokers()).rejects.toBeInstanceOf(ClusterUnavailableError);
  });

  it('with a lease on the clock, keeps a live handle registered, and a killed or frozen one only until the lease lapses', async () => {
    const clock = new ManualClock();
    const cluster = new MemoryCluster('c1', { clock, leaseMs: 3000 });
    const kept = cluster.connect();
    const killed = cluster.connect();
    const frozen = cluster.connect();
    await kept.register(address(1));
    await killed.register(address(2));
    await frozen.register(address(3));
    const observer = cluster.connect();
    clock.advance(2000);
    await killed.close();
    frozen.suspend();
    clock.advance(2999);
    expect((await observer.brokers()).map((x) => x.nodeId)).toEqual([1, 2, 3]);
    clock.advance(1000);
    expect((await observer.brokers()).map((x) => x.nodeId)).toEqual([1]);
    clock.advance(60_000);
    expect((await observer.brokers()).map((x) => x.nodeId)).toEqual([1]);
  });

  it('a suspended handle that resumes before the lease lapses stays registered', async () => {
    const clock = new ManualClock();
    const cluster = new MemoryCluster('c1', { clock, leaseMs: 3000 });
    const a = cluster.connect();
    await a.register(address(1));
    a.suspend();
    clock.advance(2500);
    a.resume();
    clock.advance(10_000);
    expect((await a.brokers()).map((x) => x.nodeId)).toEqual([1]);
  });
});

describe('partition states', () => {
  it('creates a topic with its states in one version, and writes only over the version read', async () => {
    const store = new MemoryCluster('c1').connect();
    expect(await store.createTopic(topic('t', [[1, 2], [2, 1]]), [initial([1, 2]), initial([2, 1])])).toBe(true);
    expect(await store.createTopic(topic('t', [[1]]), [initial([1])])).toBe(false);
    const s0 = await store.partitionState('t', 0);
    const s1 = await store.partitionState('t', 1);
    expect(s0).toEqual({ ...initial([1, 2]), version: s0?.version });
    expect(s1?.version).toBe(s0?.version);

    const shrunk = await store.updatePartitionState('t', 0, { ...initial([1, 2]), isr: [1], version: s0?.version ?? 0n });
    expect(shrunk.version).toBeGreaterThan(s0?.version ?? 0n);
    expect(shrunk.isr).toEqual([1]);
    await expect(store.updatePartitionState('t', 0, { ...initial([1, 2]), leader: 2, version: s0?.version ?? 0n })).rejects.toBeInstanceOf(StaleVersionError);
    expect(await store.partitionState('t', 0)).toEqual(shrunk);
    await expect(store.updatePartitionState('t', 5, { ...initial([1]), version: shrunk.version })).rejects.toBeInstanceOf(StaleVersionError);
    expect(await store.partitionState('missing', 0)).toBeNull();
  });

  it('adds partitions only from the count the writer saw, and deletes a topic with its states', async () => {
    const store = new MemoryCluster('c1').connect();
    await store.createTopic(topic('t', [[1]]), [initial([1])]);
    expect(await store.addPartitions('t', 2, [[1], [1], [1]], [initial([1])])).toBe(false);
    expect(await store.addPartitions('t', 1, [[1], [2]], [initial([2])])).toBe(true);
    expect((await store.topics())[0].assignment).toEqual([[1], [2]]);
    expect((await store.partitionState('t', 1))?.leader).toBe(2);
    expect(await store.setTopicConfigs('t', { 'retention.ms': '1000' })).toBe(true);
    expect((await store.topics())[0].configs).toEqual({ 'retention.ms': '1000' });
    expect(await store.deleteTopic('t')).toBe(true);
    expect(await store.deleteTopic('t')).toBe(false);
    expect(await store.topics()).toEqual([]);
    expect(await store.partitionState('t', 0)).toBeNull();
    expect(await store.addPartitions('t', 1, [[1], [1]], [initial([1])])).toBe(false);
    expect(await store.setTopicConfigs('t', {})).toBe(false);
  });

  it('hands out producer id blocks that never overlap, across handles', async () => {
    const cluster = new MemoryCluster('c1');
    const a = cluster.connect();
    const b = cluster.connect();
    expect(await a.allocateProducerIds(1000)).toBe(0n);
    expect(await b.allocateProducerIds(1000)).toBe(1000n);
    expect(await a.allocateProducerIds(5)).toBe(2000n);
  });
});

describe('watch', () => {
  it('delivers the contents first, then every change in the order applied', async () => {
    const cluster = new MemoryCluster('c1');
    const writer = cluster.connect();
    await writer.register(address(1));
    await writer.createTopic(topic('t', [[1]]), [initial([1])]);
    const events: ClusterEvent[] = [];
    const stop = await cluster.connect().watch((e) => events.push(e));
    await settle();
    expect(events.map((e) => e.kind)).toEqual(['brokers', 'controller', 'topic', 'partition']);
    events.length = 0;

    const s = await writer.partitionState('t', 0);
    await writer.updatePartitionState('t', 0, { ...initial([1]), leaderEpoch: 1, version: s?.version ?? 0n });
    await writer.register(address(1));
    await writer.deleteTopic('t');
    await settle();
    expect(events).toEqual([
      { kind: 'partition', topic: 't', partition: 0, state: expect.objectContaining({ leaderEpoch: 1 }) },
      { kind: 'brokers', brokers: [expect.objectContaining({ nodeId: 1 })] },
      { kind: 'topic-deleted', name: 't', topicId: 'id-t' },
    ]);
    stop();
    await writer.createTopic(topic('u', [[1]]), [initial([1])]);
    await settle();
    expect(events).toHaveLength(3);
  });

  it('holds deliveries while a handle is cut off, when its calls fail, and delivers them after', async () => {
    const cluster = new MemoryCluster('c1');
    const store = cluster.connect();
    const events: ClusterEvent[] = [];
    await store.watch((e) => events.push(e));
    await settle();
    events.length = 0;
    store.disconnect();
    await cluster.connect().register(address(1));
    await settle();
    expect(events).toEqual([]);
    await expect(store.topics()).rejects.toBeInstanceOf(ClusterUnavailableError);
    store.reconnect();
    await settle();
    expect(events.map((e) => e.kind)).toEqual(['brokers']);
  });

  it('fails every call while the whole service is down', async () => {
    const cluster = new MemoryCluster('c1');
    const store = cluster.connect();
    cluster.setAvailable(false);
    await expect(store.register(address(1))).rejects.toBeInstanceOf(ClusterUnavailableError);
    cluster.setAvailable(true);
    expect((await store.register(address(1))).nodeId).toBe(1);
  });

  it('a cut-off handle loses its registration and controllership when its lease lapses', async () => {
    const clock = new ManualClock();
    const cluster = new MemoryCluster('c1', { clock, leaseMs: 3000 });
    const store = cluster.connect();
    await store.register(address(1));
    let lost = false;
    await store.campaign(1, () => (lost = true));
    store.disconnect();
    clock.advance(3000);
    expect(lost).toBe(true);
    const observer = cluster.connect();
    expect(await observer.brokers()).toEqual([]);
    expect(await observer.controller()).toBeNull();
  });

  it('a live broker whose lease lapsed registers again with a new epoch once it reaches the service', async () => {
    const clock = new ManualClock();
    const cluster = new MemoryCluster('c1', { clock, leaseMs: 3000 });
    const lost: MemorySessionLostEvent[] = [];
    const store = cluster.connect({ onSessionLost: (e) => lost.push(e) });
    const first = await store.register(address(1));
    const observer = cluster.connect();
    store.disconnect();
    clock.advance(3000);
    expect(await observer.brokers()).toEqual([]);
    store.reconnect();
    const [again] = await observer.brokers();
    expect(again.epoch).toBeGreaterThan(first.epoch);
    expect(lost).toEqual([{ previous: first, current: again }]);
    clock.advance(60_000);
    expect(await observer.brokers()).toEqual([again]);

    store.suspend();
    clock.advance(3000);
    expect(await observer.brokers()).toEqual([]);
    store.resume();
    expect((await observer.brokers()).map((b) => b.nodeId)).toEqual([1]);
    expect(lost).toHaveLength(2);
  });

  it('a broker whose node id was taken meanwhile is told it could not register again', async () => {
    const clock = new ManualClock();
    const cluster = new MemoryCluster('c1', { clock, leaseMs: 3000 });
    const lost: MemorySessionLostEvent[] = [];
    const store = cluster.connect({ onSessionLost: (e) => lost.push(e) });
    await store.register(address(1));
    store.suspend();
    clock.advance(3000);
    const usurper = await cluster.connect().register(address(1));
    store.resume();
    expect(lost).toEqual([{ previous: expect.objectContaining({ nodeId: 1 }), current: null, error: expect.any(DuplicateBrokerError) }]);
    expect(await store.brokers()).toEqual([usurper]);
  });
});

describe('controller election', () => {
  it('elects one campaigner at a time; the next one when the controller resigns or its lease ends', async () => {
    const cluster = new MemoryCluster('c1');
    const a = cluster.connect();
    const b = cluster.connect();
    const c = cluster.connect();
    const lost: number[] = [];
    const infoA = await a.campaign(1, () => lost.push(1));
    expect(infoA.nodeId).toBe(1);
    let bElected = false;
    const campaignB = b.campaign(2, () => lost.push(2)).then((info) => {
      bElected = true;
      return info;
    });
    const campaignC = c.campaign(3, () => lost.push(3));
    await settle();
    expect(bElected).toBe(false);
    expect(await c.controller()).toEqual(infoA);

    await a.resign();
    const infoB = await campaignB;
    expect(infoB.nodeId).toBe(2);
    expect(infoB.epoch).toBeGreaterThan(infoA.epoch);
    expect(lost).toEqual([1]);

    await b.register(address(2));
    cluster.expire(2);
    const infoC = await campaignC;
    expect(infoC).toEqual({ nodeId: 3, epoch: infoB.epoch + 1n });
    expect(lost).toEqual([1, 2]);
  });

  it('rejects a pending campaign when its store closes', async () => {
    const cluster = new MemoryCluster('c1');
    await cluster.connect().campaign(1, () => undefined);
    const other = cluster.connect();
    const pending = other.campaign(2, () => undefined);
    await other.close();
    await expect(pending).rejects.toBeInstanceOf(ClusterUnavailableError);
  });
});
