/**
 * EtcdClusterStore against a real etcd (Debian's etcd-server) started per test on loopback: the
 * store contract, then what only a remote service with leases can show: expiry of a broker that
 * stopped keeping its lease alive, controller failover on expiry, and the store riding out etcd
 * going away and coming back.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { ClusterUnavailableError } from '../../src/cluster/cluster-store.js';
import { EtcdClusterStore, type EtcdClusterStoreOptions, type SessionLostEvent } from '../../src/cluster/etcd-cluster-store.js';
import type { PartitionState } from '../../src/metadata/partition-state.js';
import { EtcdServer } from '../helpers/etcd.js';
import { address, brokersAre, describeClusterStore, EventRecorder, initialState, topicRecord } from './cluster-store-contract.js';

/** An etcd for one test and the stores opened on it, all closed and removed afterwards. */
class EtcdCluster {
  private readonly stores: EtcdClusterStore[] = [];

  private constructor(readonly etcd: EtcdServer) {}

  static async start(): Promise<EtcdCluster> {
    return new EtcdCluster(await EtcdServer.start());
  }

  async store(options: Partial<EtcdClusterStoreOptions> = {}): Promise<EtcdClusterStore> {
    const store = await EtcdClusterStore.connect({ endpoints: [this.etcd.endpoint], clusterId: 'test-cluster', ...options });
    this.stores.push(store);
    return store;
  }

  async close(): Promise<void> {
    for (const s of this.stores) await s.close().catch(() => undefined);
    await this.etcd.stop();
  }
}

describeClusterStore('etcd', async () => {
  const cluster = await EtcdCluster.start();
  return { store: () => cluster.store(), close: () => cluster.close() };
});

describe('EtcdClusterStore on etcd', () => {
  let cluster: EtcdCluster | null = null;
  const start = async (): Promise<EtcdCluster> => {
    cluster = await EtcdCluster.start();
    return cluster;
  };
  afterEach(async () => {
    await cluster?.close();
    cluster = null;
  });

  test('a broker that stops keeping its lease alive disappears when the lease expires', async () => {
    const c = await start();
    const dying = await c.store({ leaseTtlSeconds: 2 });
    const other = await c.store();
    await dying.register(address(1));
    await other.register(address(2));
    const seen = new EventRecorder();
    await other.watch(seen.listener);
    await seen.waitFor(brokersAre([1, 2]));
    await dying.close(); // not graceful: the lease is left to expire
    await seen.waitFor(brokersAre([2]));
    expect((await other.brokers()).map((b) => b.nodeId)).toEqual([2]);
  });

  test('the controller role fails over when the controller broker stops keeping its lease alive', async () => {
    const c = await start();
    const a = await c.store({ leaseTtlSeconds: 2 });
    const b = await c.store({ leaseTtlSeconds: 2 });
    let lostA = 0;
    const electedA = await a.campaign(1, () => { lostA++; });
    const campaignB = b.campaign(2, () => undefined);
    await a.close();
    expect(lostA).toBe(1);
    const electedB = await campaignB;
    expect(electedB).toEqual({ nodeId: 2, epoch: electedB.epoch });
    expect(electedB.epoch).toBeGreaterThan(electedA.epoch);
    expect(await b.controller()).toEqual(electedB);
  });

  test('a campaign still waiting rejects when its store closes', async () => {
    const c = await start();
    const a = await c.store();
    const b = await c.store();
    await a.campaign(1, () => undefined);
    const waiting = b.campaign(2, () => undefined);
    await b.controller();
    await b.close();
    await expect(waiting).rejects.toThrow(/closed/);
  });

  test('topics with more partitions than one etcd transaction holds are written whole', async () => {
    const c = await start();
    const s = await c.store();
    const count = 300;
    const assignment = Array.from({ length: count }, (_, i) => [i % 3]);
    expect(await s.createTopic(topicRecord('wide', assignment), assignment.map((r) => initialState(r)))).toBe(true);
    expect(await s.partitionState('wide', count - 1)).toMatchObject(initialState([(count - 1) % 3]));
    const grown = [...assignment, ...Array.from({ length: count }, () => [1])];
    expect(await s.addPartitions('wide', count, grown, grown.slice(count).map((r) => initialState(r)))).toBe(true);
    expect(await s.partitionState('wide', 2 * count - 1)).toMatchObject(initialState([1]));
    expect(await s.deleteTopic('wide')).toBe(true);
    expect(await s.partitionState('wide', 2 * count - 1)).toBeNull();
  });

  test('a watch survives an etcd restart without losing or repeating a change', async () => {
    const c = await start();
    const writer = await c.store({ requestTimeoutMs: 2_000 });
    const watcher = await c.store({ requestTimeoutMs: 2_000 });
    await writer.createTopic(topicRecord('t', [[1]]), [initialState([1])]);
    const seen = new EventRecorder();
    await watcher.watch(seen.listener);
    const written: bigint[] = [];
    const first = await writer.partitionState('t', 0);
    if (first === null) throw new Error('no state');
    written.push(first.version);
    let state: PartitionState = first;
    const bump = async (): Promise<void> => {
      state = await writer.updatePartitionState('t', 0, { ...state, leaderEpoch: state.leaderEpoch + 1 });
      written.push(state.version);
    };
    for (let i = 0; i < 5; i++) await bump();
    await c.etcd.kill();
    await expect(writer.partitionState('t', 0)).rejects.toBeInstanceOf(ClusterUnavailableError);
    await c.etcd.restart();
    // The writer retries until its connection is back; these changes happen while the watch reconnects.
    for (let i = 0; i < 5; i++) {
      for (;;) {
        try {
          await bump();
          break;
        } catch (e) {
          if (!(e instanceof ClusterUnavailableError)) throw e;
        }
      }
    }
    const lastVersion = state.version;
    await seen.waitFor((e) => e.kind === 'partition' && e.state.version === lastVersion);
    const delivered = seen.events.flatMap((e) => (e.kind === 'partition' ? [e.state.version] : []));
    expect(delivered).toEqual(written);
    const epochs = seen.events.flatMap((e) => (e.kind === 'partition' ? [e.state.leaderEpoch] : []));
    expect(epochs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test('while etcd is paused calls fail with ClusterUnavailableError, and work again once it answers', async () => {
    const c = await start();
    const s = await c.store({ requestTimeoutMs: 1_000 });
    await s.createTopic(topicRecord('t', [[1]]), [initialState([1])]);
    await c.etcd.pause();
    try {
      await expect(s.partitionState('t', 0)).rejects.toBeInstanceOf(ClusterUnavailableError);
      await expect(s.createTopic(topicRecord('u', [[1]]), [initialState([1])])).rejects.toBeInstanceOf(ClusterUnavailableError);
      await expect(s.allocateProducerIds(10)).rejects.toBeInstanceOf(ClusterUnavailableError);
    } finally {
      c.etcd.resume();
    }
    // An unanswered write's outcome is unknown: etcd may apply it once it reads the request (as "u"
    // may be), so a retry can find the topic there already. The store works again either way.
    for (;;) {
      try {
        await s.createTopic(topicRecord('v', [[1]]), [initialState([1])]);
        break;
      } catch (e) {
        if (!(e instanceof ClusterUnavailableError)) throw e;
      }
    }
    expect((await s.topics()).map((t) => t.name)).toEqual(expect.arrayContaining(['t', 'v']));
    expect(await s.partitionState('v', 0)).toMatchObject(initialState([1]));
  });

  test('etcd gone past the lease: calls fail with ClusterUnavailableError, the controller role is lost, and the broker registers again with a new epoch when etcd is back', async () => {
    const c = await start();
    const sessions: SessionLostEvent[] = [];
    let sessionBack: (() => void) | null = null;
    const back = new Promise<void>((resolve) => { sessionBack = resolve; });
    const s = await c.store({
      leaseTtlSeconds: 2,
      requestTimeoutMs: 1_000,
      onSessionLost: (event) => {
        sessions.push(event);
        sessionBack?.();
      },
    });
    const watcher = await c.store({ requestTimeoutMs: 1_000 });
    const before = await s.register(address(1));
    let lost: (() => void) | null = null;
    const controllerLost = new Promise<void>((resolve) => { lost = resolve; });
    await s.campaign(1, () => { lost?.(); });
    const seen = new EventRecorder();
    await watcher.watch(seen.listener);
    await seen.waitFor(brokersAre([1]));

    await c.etcd.kill();
    await expect(s.brokers()).rejects.toBeInstanceOf(ClusterUnavailableError);
    await expect(s.createTopic(topicRecord('t', [[1]]), [initialState([1])])).rejects.toBeInstanceOf(ClusterUnavailableError);
    await expect(s.updatePartitionState('t', 0, { ...initialState([1]), version: 1n })).rejects.toBeInstanceOf(ClusterUnavailableError);
    await expect(s.watch(() => undefined)).rejects.toBeInstanceOf(ClusterUnavailableError);
    // Without keepalives for longer than the lease, the store gives the session up...
    await controllerLost;
    const mark = seen.events.length;
    await c.etcd.restart();
    // ...and registers again once etcd answers.
    await back;
    expect(sessions).toHaveLength(1);
    const current = sessions[0]?.current;
    expect(sessions[0]?.previous).toEqual(before);
    expect(current).toEqual({ ...address(1), epoch: current?.epoch });
    expect(current?.epoch).toBeGreaterThan(before.epoch);
    expect(await s.brokers()).toEqual([current]);
    const registered = await seen.waitFor((e) => e.kind === 'brokers' && e.brokers.some((b) => b.epoch === current?.epoch), mark);
    expect(registered).toEqual({ kind: 'brokers', brokers: [current] });
    // The old session's controller key went with its lease.
    expect(await s.controller()).toBeNull();
    expect(await s.createTopic(topicRecord('t', [[1]]), [initialState([1])])).toBe(true);
  });
});
