/**
 * What every ClusterStore must do, whatever keeps the data (etcd, or memory for single-process
 * tests): each implementation's test file calls describeClusterStore with a way to make several
 * stores on one shared cluster, as several brokers would have them.
 */
import { describe, expect, test, beforeEach, afterEach } from '@jest/globals';
import {
  DuplicateBrokerError,
  StaleVersionError,
  type BrokerAddress,
  type ClusterEvent,
  type ClusterStore,
  type TopicRecord,
} from '../../src/cluster/cluster-store.js';
import type { PartitionState } from '../../src/metadata/partition-state.js';

export interface ClusterStoreHarness {
  /** A new store on the shared cluster; close() closes it. */
  store(): Promise<ClusterStore>;
  /** Closes every store made and releases the cluster. */
  close(): Promise<void>;
}

/** Records a store's watch events and waits for the one a test expects, however long it takes. */
export class EventRecorder {
  readonly events: ClusterEvent[] = [];
  private waiters: { match: (e: ClusterEvent) => boolean; from: number; resolve: (e: ClusterEvent) => void }[] = [];

  readonly listener = (event: ClusterEvent): void => {
    this.events.push(event);
    const index = this.events.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (index >= w.from && w.match(event)) {
        w.resolve(event);
        return false;
      }
      return true;
    });
  };

  /** The first event matching, at or after position `from` of the recording. */
  waitFor(match: (e: ClusterEvent) => boolean, from = 0): Promise<ClusterEvent> {
    const found = this.events.slice(from).find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ match, from, resolve }));
  }
}

export const brokersAre = (ids: number[]) => (e: ClusterEvent): boolean =>
  e.kind === 'brokers' && e.brokers.map((b) => b.nodeId).join(',') === ids.join(',');

export function address(nodeId: number, rack: string | null = null): BrokerAddress {
  return { nodeId, host: `broker-${nodeId}.test`, port: 9090 + nodeId, rack };
}

export function topicRecord(name: string, assignment: number[][], configs: Record<string, string> = {}): TopicRecord {
  return { name, topicId: `id-${name}-${assignment.length}`, assignment, configs };
}

export function initialState(replicas: number[]): Omit<PartitionState, 'version'> {
  return { leader: replicas[0] ?? -1, leaderEpoch: 0, isr: [...replicas], replicas: [...replicas] };
}

function strip(event: ClusterEvent): unknown {
  if (event.kind === 'partition') return { ...event, state: { ...event.state, version: 'v' } };
  if (event.kind === 'brokers') return { kind: 'brokers', ids: event.brokers.map((b) => b.nodeId) };
  if (event.kind === 'controller') return { kind: 'controller', nodeId: event.controller?.nodeId ?? null };
  return event;
}

export function describeClusterStore(name: string, makeCluster: () => Promise<ClusterStoreHarness>): void {
  describe(`ClusterStore contract: ${name}`, () => {
    let cluster: ClusterStoreHarness;
    beforeEach(async () => {
      cluster = await makeCluster();
    });
    afterEach(async () => {
      await cluster.close();
    });

    test('brokers register with their addresses and growing epochs', async () => {
      const a = await cluster.store();
      const b = await cluster.store();
      const ra = await a.register(address(1));
      const rb = await b.register(address(2, 'rack-b'));
      expect(ra).toEqual({ ...address(1), epoch: ra.epoch });
      expect(rb.epoch).toBeGreaterThan(ra.epoch);
      expect(await b.brokers()).toEqual([ra, rb]);
      expect(await a.brokers()).toEqual([ra, rb]);
    });

    test('a node id registered by a live broker is refused until that broker unregisters', async () => {
      const a = await cluster.store();
      const b = await cluster.store();
      const first = await a.register(address(1));
      await expect(b.register(address(1))).rejects.toBeInstanceOf(DuplicateBrokerError);
      expect(await b.brokers()).toEqual([first]);
      await a.unregister();
      expect(await b.brokers()).toEqual([]);
      const second = await b.register(address(1, 'rack-2'));
      expect(second.epoch).toBeGreaterThan(first.epoch);
      expect(await a.brokers()).toEqual([second]);
    });

    test('a graceful close removes the registration at once', async () => {
      const a = await cluster.store();
      const watcher = await cluster.store();
      await a.register(address(1));
      const seen = new EventRecorder();
      await watcher.watch(seen.listener);
      await seen.waitFor(brokersAre([1]));
      await a.close({ graceful: true });
      await seen.waitFor(brokersAre([]));
      expect(await watcher.brokers()).toEqual([]);
    });

    test('one controller at a time; resigning hands over to the next candidate with a larger epoch', async () => {
      const a = await cluster.store();
      const b = await cluster.store();
      let lostA = 0;
      let lostB = 0;
      const electedA = await a.campaign(1, () => { lostA++; });
      expect(electedA.nodeId).toBe(1);
      expect(await b.controller()).toEqual(electedA);
      let bElected = false;
      const campaignB = b.campaign(2, () => { lostB++; }).then((info) => {
        bElected = true;
        return info;
      });
      // A round trip through the store after b's campaign started: b is still waiting.
      expect(await b.controller()).toEqual(electedA);
      expect(bElected).toBe(false);
      await a.resign();
      expect(lostA).toBe(1);
      const electedB = await campaignB;
      expect(electedB.nodeId).toBe(2);
      expect(electedB.epoch).toBeGreaterThan(electedA.epoch);
      expect(await a.controller()).toEqual(electedB);
      expect(lostB).toBe(0);
      await b.resign();
      expect(lostB).toBe(1);
      expect(await a.controller()).toBeNull();
    });

    test('topics are created, grown, reconfigured and deleted with their partition states', async () => {
      const s = await cluster.store();
      const other = await cluster.store();
      const t = topicRecord('orders', [[1, 2], [2, 3]], { 'cleanup.policy': 'compact' });
      expect(await s.createTopic(t, [initialState([1, 2]), initialState([2, 3])])).toBe(true);
      expect(await other.createTopic(topicRecord('orders', [[3]]), [initialState([3])])).toBe(false);
      expect(await other.topics()).toEqual([t]);
      const p1 = await other.partitionState('orders', 1);
      expect(p1).toEqual({ ...initialState([2, 3]), version: p1?.version });
      expect(p1?.version).toBeGreaterThan(0n);
      expect(await other.partitionState('orders', 2)).toBeNull();

      const grown = [[1, 2], [2, 3], [3, 1]];
      expect(await other.addPartitions('orders', 3, [...grown, [1, 3]], [initialState([1, 3])])).toBe(false);
      expect(await other.addPartitions('orders', 2, grown, [initialState([3, 1])])).toBe(true);
      expect(await s.addPartitions('orders', 2, [...grown, [2, 1]], [initialState([2, 1])])).toBe(false);
      expect((await s.topics())[0]?.assignment).toEqual(grown);
      expect(await s.partitionState('orders', 2)).toMatchObject(initialState([3, 1]));

      expect(await s.setTopicConfigs('orders', { 'retention.ms': '1000' })).toBe(true);
      expect(await other.topics()).toEqual([{ ...t, assignment: grown, configs: { 'retention.ms': '1000' } }]);

      expect(await other.deleteTopic('orders')).toBe(true);
      expect(await s.topics()).toEqual([]);
      expect(await s.partitionState('orders', 0)).toBeNull();
      expect(await s.partitionState('orders', 2)).toBeNull();
      expect(await s.deleteTopic('orders')).toBe(false);
      expect(await s.addPartitions('orders', 3, [...grown, [1]], [initialState([1])])).toBe(false);
      expect(await s.setTopicConfigs('orders', {})).toBe(false);
    });

    test('a topic name that prefixes another keeps its own partitions', async () => {
      const s = await cluster.store();
      expect(await s.createTopic(topicRecord('a', [[1]]), [initialState([1])])).toBe(true);
      expect(await s.createTopic(topicRecord('a.b', [[2]]), [initialState([2])])).toBe(true);
      expect(await s.deleteTopic('a')).toBe(true);
      expect(await s.partitionState('a.b', 0)).toMatchObject(initialState([2]));
      expect((await s.topics()).map((t) => t.name)).toEqual(['a.b']);
    });

    test('of two writers of one partition state, the one that read an older version gets StaleVersionError', async () => {
      const controller = await cluster.store();
      const leader = await cluster.store();
      await controller.createTopic(topicRecord('t', [[1, 2, 3]]), [initialState([1, 2, 3])]);
      const read = await leader.partitionState('t', 0);
      if (read === null) throw new Error('no state');
      const shrunk = await leader.updatePartitionState('t', 0, { ...read, isr: [1, 2] });
      expect(shrunk.version).toBeGreaterThan(read.version);
      await expect(controller.updatePartitionState('t', 0, { ...read, leader: 2, leaderEpoch: 1 })).rejects.toBeInstanceOf(StaleVersionError);
      expect(await controller.partitionState('t', 0)).toEqual(shrunk);
      const moved = await controller.updatePartitionState('t', 0, { ...shrunk, leader: 2, leaderEpoch: 1 });
      expect(await leader.partitionState('t', 0)).toEqual(moved);
      expect(moved).toMatchObject({ leader: 2, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2, 3] });
      await expect(leader.updatePartitionState('t', 0, { ...shrunk, isr: [1] })).rejects.toBeInstanceOf(StaleVersionError);
      await expect(leader.updatePartitionState('gone', 0, { ...shrunk })).rejects.toBeInstanceOf(StaleVersionError);
    });

    test('watch delivers the current contents, then each change in order', async () => {
      const a = await cluster.store();
      const b = await cluster.store();
      const ra = await a.register(address(1));
      await a.createTopic(topicRecord('t1', [[1]]), [initialState([1])]);
      const seen = new EventRecorder();
      const stop = await b.watch(seen.listener);
      const snapshot = await seen.waitFor((e) => e.kind === 'partition' && e.topic === 't1');
      const snapshotCount = seen.events.indexOf(snapshot) + 1;
      expect(seen.events.slice(0, snapshotCount).map(strip)).toEqual([
        { kind: 'brokers', ids: [1] },
        { kind: 'controller', nodeId: null },
        { kind: 'topic', topic: topicRecord('t1', [[1]]) },
        { kind: 'partition', topic: 't1', partition: 0, state: { ...initialState([1]), version: 'v' } },
      ]);
      expect(seen.events[0]).toEqual({ kind: 'brokers', brokers: [ra] });
      const s0 = await a.partitionState('t1', 0);
      expect(snapshot).toEqual({ kind: 'partition', topic: 't1', partition: 0, state: s0 });

      await a.createTopic(topicRecord('t2', [[1], [2]]), [initialState([1]), initialState([2])]);
      const s1 = await a.updatePartitionState('t1', 0, { ...(s0 as PartitionState), leaderEpoch: 1 });
      await a.deleteTopic('t1');
      const rb = await b.register(address(2));
      const c = await b.campaign(2, () => undefined);
      await a.setTopicConfigs('t2', { 'retention.ms': '5' });
      await seen.waitFor((e) => e.kind === 'topic' && e.topic.configs['retention.ms'] === '5');
      expect(seen.events.slice(snapshotCount)).toEqual([
        { kind: 'topic', topic: topicRecord('t2', [[1], [2]]) },
        { kind: 'partition', topic: 't2', partition: 0, state: { ...initialState([1]), version: expect.any(BigInt) } },
        { kind: 'partition', topic: 't2', partition: 1, state: { ...initialState([2]), version: expect.any(BigInt) } },
        { kind: 'partition', topic: 't1', partition: 0, state: s1 },
        { kind: 'topic-deleted', name: 't1', topicId: topicRecord('t1', [[1]]).topicId },
        { kind: 'brokers', brokers: [ra, rb] },
        { kind: 'controller', controller: c },
        { kind: 'topic', topic: topicRecord('t2', [[1], [2]], { 'retention.ms': '5' }) },
      ]);
      stop();
      const count = seen.events.length;
      await a.createTopic(topicRecord('t3', [[1]]), [initialState([1])]);
      // Another watch sees t3, so the stopped one had every chance to.
      const later = new EventRecorder();
      const stopLater = await b.watch(later.listener);
      await later.waitFor((e) => e.kind === 'topic' && e.topic.name === 't3');
      stopLater();
      expect(seen.events.length).toBe(count);
    });

    test('producer id blocks never overlap, however the stores race', async () => {
      const stores = [await cluster.store(), await cluster.store(), await cluster.store()];
      const size = 10;
      const starts = await Promise.all(stores.flatMap((s) => Array.from({ length: 15 }, () => s.allocateProducerIds(size))));
      const sorted = [...starts].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      for (let i = 1; i < sorted.length; i++) {
        expect(sorted[i] - sorted[i - 1]).toBeGreaterThanOrEqual(BigInt(size));
      }
      expect(sorted[0]).toBe(0n);
      const next = await stores[0]?.allocateProducerIds(1);
      expect(next).toBe(sorted[sorted.length - 1] + BigInt(size));
    });
  });
}
