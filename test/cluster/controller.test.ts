/**
 * The controller over the in-process cluster store: what a client of CreateTopics, CreatePartitions
 * and DeleteTopics gets back, and what every broker reads in the partition states after brokers
 * die, return or shut down gracefully.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ClusterUnavailableError, StaleVersionError, type ClusterStore } from '../../src/cluster/cluster-store.js';
import { Controller } from '../../src/cluster/controller.js';
import { MemoryCluster, type MemoryClusterStore } from '../../src/cluster/memory-cluster-store.js';
import { resolveBrokerConfig } from '../../src/config/broker-config.js';
import type { CreateTopicRequest } from '../../src/metadata/metadata-store.js';
import { NO_LEADER, type PartitionState } from '../../src/metadata/partition-state.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Lets the controller react, until `condition` holds (fails after many rounds, not after a time). */
async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await condition()) return;
    await settle();
  }
  throw new Error(`never happened: ${what}`);
}

interface TestCluster {
  shared: MemoryCluster;
  clock: ManualClock;
  controller: Controller;
  /** Each broker's own store handle, by node id. */
  stores: Map<number, MemoryClusterStore>;
  observer: MemoryClusterStore;
  state(topic: string, partition: number): Promise<PartitionState>;
  create(req: Partial<CreateTopicRequest> & { name: string }): Promise<{ errorCode: number; errorMessage: string | null }>;
  restart(nodeId: number): Promise<void>;
}

const running: Controller[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});

async function startCluster(
  brokers: number,
  options: { flags?: Record<string, string>; racks?: string[]; wrapStore?: (store: ClusterStore) => ClusterStore } = {},
): Promise<TestCluster> {
  const clock = new ManualClock(1_000_000);
  const shared = new MemoryCluster('cluster-1');
  const stores = new Map<number, MemoryClusterStore>();
  for (let id = 1; id <= brokers; id++) {
    const store = shared.connect();
    await store.register({ nodeId: id, host: 'localhost', port: 9090 + id, rack: options.racks?.[id - 1] ?? null });
    stores.set(id, store);
  }
  const config = resolveBrokerConfig({ flags: { 'node.id': '1', ...options.flags } });
  const own = stores.get(1);
  if (!own) throw new Error('no broker 1');
  const controller = new Controller({
    store: options.wrapStore ? options.wrapStore(own) : own,
    nodeId: 1,
    brokerConfig: () => config,
    clock,
    logger: silentLogger,
    random: () => 0,
  });
  running.push(controller);
  await own.campaign(1, () => void controller.stop());
  await controller.start();
  const observer = shared.connect();
  return {
    shared,
    clock,
    controller,
    stores,
    observer,
    async state(topic, partition) {
      const s = await observer.partitionState(topic, partition);
      if (!s) throw new Error(`no state for ${topic}-${partition}`);
      return s;
    },
    async create(req) {
      const [r] = await controller.createTopics([{ numPartitions: -1, replicationFactor: -1, configs: new Map(), validateOnly: false, ...req }]);
      return { errorCode: r.errorCode, errorMessage: r.errorMessage };
    },
    async restart(nodeId) {
      const store = shared.connect();
      await store.register({ nodeId, host: 'localhost', port: 9090 + nodeId, rack: null });
      stores.set(nodeId, store);
    },
  };
}

const view = (s: PartitionState) => ({ leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr });

describe('CreateTopics', () => {
  it('places replicas round-robin; each partition led by its first replica with every replica in sync, epoch 0', async () => {
    const c = await startCluster(3);
    expect(await c.create({ name: 'orders', numPartitions: 3, replicationFactor: 3 })).toEqual({ errorCode: ErrorCode.None, errorMessage: null });
    const [topic] = await c.observer.topics();
    expect(topic.assignment).toEqual([
      [1, 2, 3],
      [2, 3, 1],
      [3, 1, 2],
    ]);
    expect(view(await c.state('orders', 1))).toEqual({ leader: 2, leaderEpoch: 0, isr: [2, 3, 1] });
  });

  it('takes num.partitions and default.replication.factor when the request leaves them at -1, and keeps valid configs', async () => {
    const c = await startCluster(3, { flags: { 'num.partitions': '4', 'default.replication.factor': '2' } });
    expect((await c.create({ name: 'd', configs: new Map([['retention.ms', '60000']]) })).errorCode).toBe(ErrorCode.None);
    const [topic] = await c.observer.topics();
    expect(topic.assignment.map((r) => r.length)).toEqual([2, 2, 2, 2]);
    expect(topic.configs).toEqual({ 'retention.ms': '60000' });
  });

  it('places across racks when every broker has one', async () => {
    const c = await startCluster(4, { racks: ['a', 'a', 'b', 'b'] });
    await c.create({ name: 'r', numPartitions: 4, replicationFactor: 2 });
    const [topic] = await c.observer.topics();
    const rack = (id: number): string => (id <= 2 ? 'a' : 'b');
    for (const replicas of topic.assignment) expect(new Set(replicas.map(rack)).size).toBe(2);
  });

  it('answers each topic with Kafka error code', async () => {
    const c = await startCluster(2, { flags: { 'default.replication.factor': '1' } });
    expect((await c.create({ name: 'taken' })).errorCode).toBe(ErrorCode.None);
    const results = await c.controller.createTopics(
      [
        { name: 'taken', numPartitions: 1, replicationFactor: 1 },
        { name: 'too-many', numPartitions: 1, replicationFactor: 3 },
        { name: 'bad name', numPartitions: 1, replicationFactor: 1 },
        { name: 'a.b', numPartitions: 1, replicationFactor: 1 },
        { name: 'a_b', numPartitions: 1, replicationFactor: 1 },
        { name: 'no-partitions', numPartitions: 0, replicationFactor: 1 },
        { name: 'bad-config', numPartitions: 1, replicationFactor: 1, configs: new Map([['cleanup.policy', 'sideways']]) },
        { name: 'unknown-broker', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 7] }] },
        { name: 'both', numPartitions: 1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }] },
        { name: 'uneven', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }, { partitionIndex: 1, brokerIds: [2] }] },
      ].map((r) => ({ configs: new Map(), validateOnly: false, ...r })),
    );
    expect(results.map((r) => [r.name, r.errorCode])).toEqual([
      ['taken', ErrorCode.TopicAlreadyExists],
      ['too-many', ErrorCode.InvalidReplicationFactor],
      ['bad name', ErrorCode.InvalidTopicException],
      ['a.b', ErrorCode.None],
      ['a_b', ErrorCode.InvalidTopicException],
      ['no-partitions', ErrorCode.InvalidPartitions],
      ['bad-config', ErrorCode.InvalidConfig],
      ['unknown-broker', ErrorCode.InvalidReplicaAssignment],
      ['both', ErrorCode.InvalidRequest],
      ['uneven', ErrorCode.InvalidReplicaAssignment],
    ]);
    expect(results[0].errorMessage).toBe("Topic 'taken' already exists.");
    expect(results[1].errorMessage).toBe(
      'Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 2 broker(s) are registered.',
    );
    expect(results[4].errorMessage).toBe("Topic 'a_b' collides with existing topic: a.b");
    expect(results[7].errorMessage).toBe('The manual partition assignment includes broker 7, but no such broker is registered.');
    expect((await c.observer.topics()).map((t) => t.name)).toEqual(['a.b', 'taken']);
  });

  it('with an explicit assignment, uses it as given', async () => {
    const c = await startCluster(3);
    const [r] = await c.controller.createTopics([
      {
        name: 'manual',
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [
          { partitionIndex: 0, brokerIds: [3, 1] },
          { partitionIndex: 1, brokerIds: [2, 3] },
        ],
        configs: new Map(),
        validateOnly: false,
      },
    ]);
    expect(r.topic?.assignment).toEqual([
      [3, 1],
      [2, 3],
    ]);
    expect(view(await c.state('manual', 0))).toEqual({ leader: 3, leaderEpoch: 0, isr: [3, 1] });
  });

  it('validateOnly checks and answers without creating', async () => {
    const c = await startCluster(2);
    const [r] = await c.controller.createTopics([{ name: 'v', numPartitions: 2, replicationFactor: 2, configs: new Map(), validateOnly: true }]);
    expect(r.errorCode).toBe(ErrorCode.None);
    expect(r.topic?.assignment).toHaveLength(2);
    expect(await c.observer.topics()).toEqual([]);
  });

  it('places no replica on, and elects no leader among, brokers that are down', async () => {
    const c = await startCluster(3);
    c.shared.expire(2);
    await until(async () => (await c.observer.brokers()).length === 2, 'broker 2 gone');
    await c.create({ name: 't', numPartitions: 4, replicationFactor: 2 });
    const [topic] = await c.observer.topics();
    for (const replicas of topic.assignment) expect(replicas).not.toContain(2);
  });
});

describe('CreatePartitions and DeleteTopics', () => {
  it('adds partitions that continue the topic placement, led and in sync from the start', async () => {
    const c = await startCluster(3);
    await c.create({ name: 't', numPartitions: 2, replicationFactor: 2 });
    const [r] = await c.controller.createPartitions([{ name: 't', count: 4, assignments: null }], false);
    expect(r).toEqual({ name: 't', errorCode: ErrorCode.None, errorMessage: null });
    const [topic] = await c.observer.topics();
    expect(topic.assignment).toHaveLength(4);
    expect(topic.assignment.slice(0, 2)).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(topic.assignment[2][0]).toBe(3);
    expect(view(await c.state('t', 3))).toEqual({ leader: topic.assignment[3][0], leaderEpoch: 0, isr: topic.assignment[3] });
  });

  it('answers CreatePartitions errors as Kafka does', async () => {
    const c = await startCluster(2);
    await c.create({ name: 't', numPartitions: 2, replicationFactor: 2 });
    const results = await c.controller.createPartitions(
      [
        { name: 'missing', count: 3, assignments: null },
        { name: 't', count: 1, assignments: null },
        { name: 't', count: 2, assignments: null },
        { name: 't', count: 4, assignments: [{ brokerIds: [1, 2] }] },
        { name: 't', count: 3, assignments: [{ brokerIds: [1] }] },
        { name: 't', count: 3, assignments: [{ brokerIds: [2, 1] }] },
      ],
      false,
    );
    expect(results.map((r) => r.errorCode)).toEqual([
      ErrorCode.UnknownTopicOrPartition,
      ErrorCode.InvalidPartitions,
      ErrorCode.InvalidPartitions,
      ErrorCode.InvalidReplicaAssignment,
      ErrorCode.InvalidReplicaAssignment,
      ErrorCode.None,
    ]);
    expect(results[1].errorMessage).toBe('Topic currently has 2 partitions, which is higher than the requested 1.');
    expect((await c.observer.topics())[0].assignment[2]).toEqual([2, 1]);
  });

  it('validateOnly CreatePartitions changes nothing', async () => {
    const c = await startCluster(2);
    await c.create({ name: 't', numPartitions: 1, replicationFactor: 1 });
    const [r] = await c.controller.createPartitions([{ name: 't', count: 5, assignments: null }], true);
    expect(r.errorCode).toBe(ErrorCode.None);
    expect((await c.observer.topics())[0].assignment).toHaveLength(1);
  });

  it('deletes topics, and answers UNKNOWN_TOPIC_OR_PARTITION for a missing one', async () => {
    const c = await startCluster(2);
    await c.create({ name: 't', numPartitions: 1, replicationFactor: 1 });
    const [topic] = await c.observer.topics();
    const results = await c.controller.deleteTopics(['t', 'nope']);
    expect(results).toEqual([
      { name: 't', topicId: topic.topicId, errorCode: ErrorCode.None, errorMessage: null },
      { name: 'nope', topicId: null, errorCode: ErrorCode.UnknownTopicOrPartition, errorMessage: 'This server does not host this topic-partition.' },
    ]);
    expect(await c.observer.topics()).toEqual([]);
    // The name is free again.
    expect((await c.create({ name: 't', numPartitions: 1, replicationFactor: 1 })).errorCode).toBe(ErrorCode.None);
  });

  it('answers TOPIC_DELETION_DISABLED when delete.topic.enable is false', async () => {
    const c = await startCluster(1, { flags: { 'delete.topic.enable': 'false' } });
    await c.create({ name: 't', numPartitions: 1, replicationFactor: 1 });
    const [r] = await c.controller.deleteTopics(['t']);
    expect(r.errorCode).toBe(ErrorCode.TopicDeletionDisabled);
    expect(await c.observer.topics()).toHaveLength(1);
  });
});

describe('a broker leaves', () => {
  it('its partitions get the next ISR member as leader with the epoch bumped, and it leaves the ISRs it followed in', async () => {
    const c = await startCluster(3);
    await c.create({ name: 't', numPartitions: 3, replicationFactor: 3 });
    c.shared.expire(2);
    await until(async () => (await c.state('t', 1)).leader !== 2, 'partition 1 re-elected');
    await until(async () => !(await c.state('t', 0)).isr.includes(2), 'broker 2 out of partition 0 ISR');
    // p0 [1,2,3] led by 1: only the ISR shrinks. p1 [2,3,1]: 3 takes over. p2 [3,1,2]: ISR shrinks.
    expect(view(await c.state('t', 0))).toEqual({ leader: 1, leaderEpoch: 0, isr: [1, 3] });
    expect(view(await c.state('t', 1))).toEqual({ leader: 3, leaderEpoch: 1, isr: [3, 1] });
    await until(async () => !(await c.state('t', 2)).isr.includes(2), 'broker 2 out of partition 2 ISR');
    expect(view(await c.state('t', 2))).toEqual({ leader: 3, leaderEpoch: 0, isr: [3, 1] });
  });

  it('elects no out-of-sync replica: with every ISR member gone the partition has NO_LEADER and keeps its ISR', async () => {
    const c = await startCluster(3);
    await c.create({ name: 't', numPartitions: 1, replicationFactor: 2 });
    // [1, 2]; the leader shrinks the ISR to itself (2 lags), then 1 dies: 2 is live but out of sync.
    const s = await c.state('t', 0);
    await c.stores.get(1)?.updatePartitionState('t', 0, { ...s, isr: [1] });
    await c.controller.stop();
    const next = await startControllerOn(c, 3);
    c.shared.expire(1);
    await until(async () => (await c.state('t', 0)).leader === NO_LEADER, 'partition offline');
    expect(view(await c.state('t', 0))).toEqual({ leader: NO_LEADER, leaderEpoch: 1, isr: [1] });
    await next.stop();
  });

  it('with unclean.leader.election.enable on the topic, the out-of-sync replica leads alone', async () => {
    const c = await startCluster(3);
    await c.controller.createTopics([
      { name: 'u', numPartitions: 1, replicationFactor: 2, configs: new Map([['unclean.leader.election.enable', 'true']]), validateOnly: false },
    ]);
    const s = await c.state('u', 0);
    expect(s.replicas).toEqual([1, 2]);
    await c.stores.get(1)?.updatePartitionState('u', 0, { ...s, isr: [1] });
    await c.controller.stop();
    const next = await startControllerOn(c, 3);
    c.shared.expire(1);
    await until(async () => (await c.state('u', 0)).leader === 2, 'unclean leader elected');
    expect(view(await c.state('u', 0))).toEqual({ leader: 2, leaderEpoch: 1, isr: [2] });
    await next.stop();
  });

  it('unclean.leader.election.enable on the broker applies to every topic', async () => {
    const c = await startCluster(3, { flags: { 'unclean.leader.election.enable': 'true' } });
    await c.create({ name: 'u', numPartitions: 1, replicationFactor: 2 });
    const s = await c.state('u', 0);
    await c.stores.get(2)?.updatePartitionState('u', 0, { ...s, isr: [s.replicas[0]] });
    expect(s.replicas).toEqual([1, 2]);
    await c.controller.stop();
    const next = await startControllerOn(c, 3, { 'unclean.leader.election.enable': 'true' });
    c.shared.expire(1);
    await until(async () => (await c.state('u', 0)).leader === 2, 'unclean leader elected');
    await next.stop();
  });
});

describe('a broker returns', () => {
  it('a partition without a leader is led again by the returning ISR member, with the next epoch', async () => {
    const c = await startCluster(3);
    await c.create({ name: 't', numPartitions: 1, replicationFactor: 2 });
    const s = await c.state('t', 0);
    expect(s.replicas).toEqual([1, 2]);
    await c.controller.stop();
    const next = await startControllerOn(c, 3);
    c.shared.expire(1);
    c.shared.expire(2);
    await until(async () => (await c.state('t', 0)).leader === NO_LEADER, 'partition offline');
    expect((await c.state('t', 0)).isr).toEqual([1, 2]);
    await c.restart(2);
    await until(async () => (await c.state('t', 0)).leader === 2, 'partition led by 2 again');
    expect(view(await c.state('t', 0))).toEqual({ leader: 2, leaderEpoch: 2, isr: [2] });
    await next.stop();
  });

  it('leadership goes back to the preferred replica at the imbalance check when auto.leader.rebalance.enable', async () => {
    const c = await startCluster(3);
    await c.create({ name: 't', numPartitions: 1, replicationFactor: 3 });
    await c.controller.stop();
    const next = await startControllerOn(c, 3);
    c.shared.expire(1);
    await until(async () => (await c.state('t', 0)).leader === 2, 'failover to 2');
    await c.restart(1);
    // The leader takes 1 back into the ISR once it has caught up.
    const s = await c.state('t', 0);
    await c.stores.get(2)?.updatePartitionState('t', 0, { ...s, isr: [2, 3, 1] });
    await c.clock.advanceAsync(300_000);
    await until(async () => (await c.state('t', 0)).leader === 1, 'preferred leader back');
    expect(view(await c.state('t', 0))).toEqual({ leader: 1, leaderEpoch: 2, isr: [2, 3, 1] });
    await next.stop();
  });
});

describe('automatic leader rebalance off', () => {
  it('leaves leadership where failover put it when auto.leader.rebalance.enable is false', async () => {
    const c = await startCluster(3, { flags: { 'auto.leader.rebalance.enable': 'false' } });
    await c.create({ name: 't', numPartitions: 1, replicationFactor: 3 });
    await c.controller.stop();
    const next = await startControllerOn(c, 3, { 'auto.leader.rebalance.enable': 'false' });
    c.shared.expire(1);
    await until(async () => (await c.state('t', 0)).leader === 2, 'failover to 2');
    await c.restart(1);
    const s = await c.state('t', 0);
    await c.stores.get(2)?.updatePartitionState('t', 0, { ...s, isr: [2, 3, 1] });
    await c.clock.advanceAsync(600_000);
    for (let i = 0; i < 20; i++) await settle();
    expect(view(await c.state('t', 0))).toEqual({ leader: 2, leaderEpoch: 1, isr: [2, 3, 1] });
    await next.stop();
  });
});

describe('controlled shutdown', () => {
  it('moves every partition the broker leads to another ISR member, takes it out of the ISRs, and leaves single-replica partitions', async () => {
    const c = await startCluster(3);
    await c.create({ name: 't', numPartitions: 3, replicationFactor: 2 });
    await c.create({ name: 'single', numPartitions: 1, replicationFactor: 1 });
    // t: [1,2] [2,3] [3,1]; single: [1].
    const r = await c.controller.controlledShutdown(1);
    expect(r).toEqual({ errorCode: ErrorCode.None, errorMessage: null, remaining: [] });
    expect(view(await c.state('t', 0))).toEqual({ leader: 2, leaderEpoch: 1, isr: [2] });
    expect(view(await c.state('t', 1))).toEqual({ leader: 2, leaderEpoch: 0, isr: [2, 3] });
    expect(view(await c.state('t', 2))).toEqual({ leader: 3, leaderEpoch: 0, isr: [3] });
    expect(view(await c.state('single', 0))).toEqual({ leader: 1, leaderEpoch: 0, isr: [1] });
  });

  it('reports partitions no other ISR member can take, and never elects a shutting-down broker later', async () => {
    const c = await startCluster(3);
    await c.create({ name: 't', numPartitions: 1, replicationFactor: 3 });
    const s = await c.state('t', 0);
    await c.stores.get(1)?.updatePartitionState('t', 0, { ...s, isr: [1] });
    const r = await c.controller.controlledShutdown(1);
    expect(r.remaining).toEqual([{ topic: 't', partition: 0 }]);
    await c.controller.controlledShutdown(3);
    const again = await c.state('t', 0);
    await c.stores.get(1)?.updatePartitionState('t', 0, { ...again, isr: [1, 2, 3] });
    const retry = await c.controller.controlledShutdown(1);
    expect(retry.remaining).toEqual([]);
    // 3 is shutting down too: 2 takes over.
    expect(view(await c.state('t', 0))).toEqual({ leader: 2, leaderEpoch: 1, isr: [2] });
  });

  it('a shutting-down broker keeps serving what it still leads while other brokers come and go', async () => {
    const c = await startCluster(3);
    await c.create({ name: 'single', numPartitions: 1, replicationFactor: 1 });
    await c.create({ name: 'pair', numPartitions: 1, replicationFactor: 2 });
    await c.controller.controlledShutdown(1);
    expect(view(await c.state('pair', 0))).toEqual({ leader: 2, leaderEpoch: 1, isr: [2] });
    c.shared.expire(3);
    await until(async () => (await c.observer.brokers()).length === 2, 'broker 3 gone');
    await c.restart(3);
    await c.controller.controlledShutdown(2);
    expect(view(await c.state('single', 0))).toEqual({ leader: 1, leaderEpoch: 0, isr: [1] });
    expect((await c.state('pair', 0)).leader).toBe(2);
  });

  it('answers BROKER_NOT_AVAILABLE for a broker not registered and STALE_BROKER_EPOCH for an old registration', async () => {
    const c = await startCluster(2);
    expect((await c.controller.controlledShutdown(9)).errorCode).toBe(ErrorCode.BrokerNotAvailable);
    expect((await c.controller.controlledShutdown(2, 0n)).errorCode).toBe(ErrorCode.StaleBrokerEpoch);
  });

  it('a broker that registers again after shutting down may lead again', async () => {
    const c = await startCluster(3);
    await c.controller.stop();
    const next = await startControllerOn(c, 3);
    await next.createTopics([{ name: 't', numPartitions: 1, replicationFactor: 2, configs: new Map(), validateOnly: false }]);
    expect((await c.state('t', 0)).replicas).toEqual([1, 2]);
    await next.controlledShutdown(1);
    expect(view(await c.state('t', 0))).toEqual({ leader: 2, leaderEpoch: 1, isr: [2] });
    await c.stores.get(1)?.close({ graceful: true });
    await c.restart(1);
    // Broker 1 caught up again: its leader takes it back into the ISR.
    const s = await c.state('t', 0);
    await c.stores.get(2)?.updatePartitionState('t', 0, { ...s, isr: [2, 1] });
    c.shared.expire(2);
    await until(async () => (await c.state('t', 0)).leader === 1, 'broker 1 leads again');
    expect(view(await c.state('t', 0))).toEqual({ leader: 1, leaderEpoch: 2, isr: [1] });
    await next.stop();
  });
});

describe('compare-and-swap against the leader', () => {
  it('a decision that loses to the leader ISR change is made again from what the leader wrote', async () => {
    let interfere: (() => Promise<void>) | undefined;
    let lostOnce = false;
    const c = await startCluster(3, {
      wrapStore: (store) =>
        new Proxy(store, {
          get(target, prop, receiver) {
            if (prop === 'updatePartitionState') {
              return async (topic: string, partition: number, state: PartitionState) => {
                const before = interfere;
                interfere = undefined;
                if (before) await before();
                try {
                  return await target.updatePartitionState(topic, partition, state);
                } catch (e) {
                  if (e instanceof StaleVersionError) lostOnce = true;
                  throw e;
                }
              };
            }
            const value: unknown = Reflect.get(target, prop, receiver);
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
          },
        }),
    });
    await c.create({ name: 't', numPartitions: 1, replicationFactor: 3 });
    // [1,2,3] led by 1. Broker 3 dies; just before the controller writes, the leader drops 2 too.
    interfere = async () => {
      const s = await c.state('t', 0);
      await c.stores.get(1)?.updatePartitionState('t', 0, { ...s, isr: [1, 3] });
    };
    c.shared.expire(3);
    await until(async () => (await c.state('t', 0)).isr.length === 1, 'ISR down to the leader');
    expect(lostOnce).toBe(true);
    expect(view(await c.state('t', 0))).toEqual({ leader: 1, leaderEpoch: 0, isr: [1] });
  });

  it('a leader that writes over a state the controller changed gets StaleVersionError and reads the new leader', async () => {
    const c = await startCluster(3);
    await c.create({ name: 't', numPartitions: 1, replicationFactor: 3 });
    const seenByLeader = await c.state('t', 0);
    await c.controller.controlledShutdown(1);
    await expect(c.stores.get(1)?.updatePartitionState('t', 0, { ...seenByLeader, isr: [1, 2] })).rejects.toBeInstanceOf(StaleVersionError);
    expect(view(await c.state('t', 0))).toEqual({ leader: 2, leaderEpoch: 1, isr: [2, 3] });
  });
});

describe('the store unreachable', () => {
  it('refuses metadata changes with REQUEST_TIMED_OUT and a clear message, and works again once it is back', async () => {
    const c = await startCluster(2);
    c.stores.get(1)?.disconnect();
    const [r] = await c.controller.createTopics([{ name: 't', numPartitions: 1, replicationFactor: 1, configs: new Map(), validateOnly: false }]);
    expect(r.errorCode).toBe(ErrorCode.RequestTimedOut);
    expect(r.errorMessage).toMatch(/^The cluster metadata service \(etcd\) is unavailable/);
    c.stores.get(1)?.reconnect();
    expect((await c.create({ name: 't', numPartitions: 1, replicationFactor: 1 })).errorCode).toBe(ErrorCode.None);
  });

  it('a reaction the store failed is tried again after the backoff', async () => {
    let failBrokers = false;
    const c = await startCluster(3, {
      wrapStore: (store) =>
        new Proxy(store, {
          get(target, prop, receiver) {
            if (prop === 'brokers' && failBrokers) {
              return () => {
                failBrokers = false;
                return Promise.reject(new ClusterUnavailableError('no answer'));
              };
            }
            const value: unknown = Reflect.get(target, prop, receiver);
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
          },
        }),
    });
    await c.create({ name: 't', numPartitions: 2, replicationFactor: 3 });
    failBrokers = true;
    c.shared.expire(2);
    await until(() => !failBrokers, 'the reaction tried');
    await settle();
    expect((await c.state('t', 1)).leader).toBe(2);
    await c.clock.advanceAsync(1000);
    await until(async () => (await c.state('t', 1)).leader === 3, 'the reaction retried');
  });
});

describe('a broker restarts', () => {
  it('its partitions move as if it had failed, and it follows', async () => {
    const c = await startCluster(3);
    await c.create({ name: 't', numPartitions: 3, replicationFactor: 3 });
    // p1 [2,3,1] is led by 2; 2 restarts before the controller sees it gone.
    await c.stores.get(2)?.close({ graceful: true });
    await c.restart(2);
    await until(async () => (await c.state('t', 1)).leader !== 2, 'p1 led elsewhere');
    expect(view(await c.state('t', 1))).toEqual({ leader: 3, leaderEpoch: 1, isr: [3, 1] });
  });
});

describe('controllership', () => {
  it('a new controller fixes what happened while there was none', async () => {
    const c = await startCluster(3);
    await c.create({ name: 't', numPartitions: 1, replicationFactor: 3 });
    await c.controller.stop();
    c.shared.expire(1);
    await settle();
    expect((await c.state('t', 0)).leader).toBe(1);
    const next = await startControllerOn(c, 2);
    expect(view(await c.state('t', 0))).toEqual({ leader: 2, leaderEpoch: 1, isr: [2, 3] });
    await next.stop();
  });

  it('a stopped controller answers NOT_CONTROLLER', async () => {
    const c = await startCluster(1);
    await c.controller.stop();
    const [r] = await c.controller.createTopics([{ name: 't', numPartitions: 1, replicationFactor: 1, configs: new Map(), validateOnly: false }]);
    expect(r.errorCode).toBe(ErrorCode.NotController);
    expect((await c.controller.deleteTopics(['t']))[0].errorCode).toBe(ErrorCode.NotController);
    expect((await c.controller.controlledShutdown(1)).errorCode).toBe(ErrorCode.NotController);
  });

  it('elects preferred leaders on request', async () => {
    const c = await startCluster(2);
    await c.create({ name: 't', numPartitions: 2, replicationFactor: 2 });
    await c.controller.controlledShutdown(1);
    await c.stores.get(1)?.close({ graceful: true });
    const next = await startControllerOn(c, 2);
    await c.restart(1);
    await until(async () => (await next.electLeaders('preferred', [{ topic: 't', partition: 0 }]))[0].errorCode === ErrorCode.PreferredLeaderNotAvailable, 'refused while out of sync');
    const s = await c.state('t', 0);
    await c.stores.get(2)?.updatePartitionState('t', 0, { ...s, isr: [2, 1] });
    const results = await next.electLeaders('preferred');
    expect(results.map((r) => [r.partition, r.errorCode])).toEqual([
      [0, ErrorCode.None],
      [1, ErrorCode.ElectionNotNeeded],
    ]);
    expect(view(await c.state('t', 0))).toEqual({ leader: 1, leaderEpoch: 2, isr: [2, 1] });
    await next.stop();
  });
});

describe('unclean election on request', () => {
  it('elects an out-of-sync replica for a partition without a leader, and only then', async () => {
    const c = await startCluster(3);
    await c.create({ name: 't', numPartitions: 2, replicationFactor: 2 });
    // t-0 [1,2], t-1 [2,3]. t-0's leader 1 shrinks the ISR to itself, then dies.
    const s = await c.state('t', 0);
    await c.stores.get(1)?.updatePartitionState('t', 0, { ...s, isr: [1] });
    await c.controller.stop();
    const next = await startControllerOn(c, 3);
    c.shared.expire(1);
    await until(async () => (await c.state('t', 0)).leader === NO_LEADER, 't-0 offline');
    const results = await next.electLeaders('unclean');
    expect(results.map((r) => [r.partition, r.errorCode])).toEqual([
      [0, ErrorCode.None],
      [1, ErrorCode.ElectionNotNeeded],
    ]);
    expect(view(await c.state('t', 0))).toEqual({ leader: 2, leaderEpoch: 2, isr: [2] });
    c.shared.expire(2);
    await until(async () => (await c.state('t', 0)).leader === NO_LEADER, 't-0 offline again');
    const [again] = await next.electLeaders('unclean', [{ topic: 't', partition: 0 }]);
    expect(again.errorCode).toBe(ErrorCode.EligibleLeadersNotAvailable);
    await next.stop();
  });
});

/** Starts a controller on broker `nodeId` once the one before it is gone or stopped. */
async function startControllerOn(c: TestCluster, nodeId: number, flags: Record<string, string> = {}): Promise<Controller> {
  const store = c.stores.get(nodeId);
  if (!store) throw new Error(`no broker ${nodeId}`);
  const config = resolveBrokerConfig({ flags: { 'node.id': String(nodeId), ...flags } });
  const controller = new Controller({ store, nodeId, brokerConfig: () => config, clock: c.clock, logger: silentLogger, random: () => 0 });
  running.push(controller);
  await controller.start();
  return controller;
}
