/**
 * A broker's membership over the in-process cluster store: what it hands the partition layer, its
 * ISR writes, its registration, the election role and the order of a graceful stop.
 */
import { describe, expect, it } from '@jest/globals';
import { ClusterMember } from '../../src/cluster/cluster-member.js';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import { MemoryCluster } from '../../src/cluster/memory-cluster-store.js';
import type { PartitionState } from '../../src/metadata/partition-state.js';
import { silentLogger } from '../../src/util/logger.js';
import { until } from '../helpers/kafkajs-txn.js';

const address = (nodeId: number) => ({ nodeId, host: '127.0.0.1', port: 9000 + nodeId, rack: null });
const initial = (leader: number, replicas: number[]) => ({ leader, leaderEpoch: 0, isr: [...replicas], replicas });

function member(shared: MemoryCluster, nodeId: number) {
  const applied: string[] = [];
  const events: string[] = [];
  const state = new ClusterState();
  const m = new ClusterMember({
    store: shared.connect(),
    state,
    nodeId,
    sessionTimeoutMs: 1000,
    logger: silentLogger,
    applyPartitionState: (topic, partition, s: PartitionState) => {
      applied.push(`${topic}-${partition} leader ${s.leader} epoch ${s.leaderEpoch} isr ${s.isr.join(',')}`);
      return Promise.resolve();
    },
    metadataSettled: () => Promise.resolve(),
    election: { start: () => void events.push('campaign'), close: () => { events.push('resign'); return Promise.resolve(); } },
    controlledShutdown: () => { events.push('controlled shutdown'); return Promise.resolve(); },
  });
  return { m, state, applied, events };
}

describe('cluster member', () => {
  it('hands over the states of its own replicas only, before and after it joins', async () => {
    const shared = new MemoryCluster('c');
    const admin = shared.connect();
    await admin.createTopic({ name: 't', topicId: 'id', assignment: [[1, 2], [2, 3]], configs: {} }, [initial(1, [1, 2]), initial(2, [2, 3])]);
    const { m, state, applied, events } = member(shared, 1);
    await m.watch();
    expect(applied).toEqual(['t-0 leader 1 epoch 0 isr 1,2']);
    await m.join(address(1));
    expect(events).toEqual(['campaign']);
    expect(m.brokerEpoch).toBeGreaterThan(0n);
    expect(state.brokers().map((b) => b.nodeId)).toEqual([1]);
    const current = await admin.partitionState('t', 0);
    if (!current) throw new Error('no state');
    await admin.updatePartitionState('t', 0, { ...current, leader: 2, leaderEpoch: 1, isr: [2] });
    await until(() => applied.length === 2, 'the new state applied');
    await m.settled();
    expect(applied[1]).toBe('t-0 leader 2 epoch 1 isr 2');
    await m.stop({ graceful: true });
    expect(events).toEqual(['campaign', 'controlled shutdown', 'resign']);
    await admin.close();
  });

  it('writes ISR changes by compare-and-swap, and answers null when another writer got there first', async () => {
    const shared = new MemoryCluster('c');
    const admin = shared.connect();
    await admin.createTopic({ name: 't', topicId: 'id', assignment: [[1, 2]], configs: {} }, [initial(1, [1, 2])]);
    const { m } = member(shared, 1);
    await m.join(address(1));
    const read = await admin.partitionState('t', 0);
    if (!read) throw new Error('no state');
    const written = await m.alterIsr('t', 0, { ...read, isr: [1] });
    expect(written?.isr).toEqual([1]);
    expect(await m.alterIsr('t', 0, { ...read, isr: [1, 2] })).toBeNull();
    await m.stop({ graceful: false });
    await admin.close();
  });

  it('waits for the previous run of its node id to lapse before it registers', async () => {
    const shared = new MemoryCluster('c');
    const previous = shared.connect();
    await previous.register(address(1));
    const { m, state } = member(shared, 1);
    const joined = m.join(address(1));
    await until(() => state.brokers().length === 1, 'the previous registration seen');
    shared.expire(1);
    await joined;
    expect(m.brokerEpoch).toBeGreaterThan(0n);
    await m.stop({ graceful: false });
    await previous.close();
  });
});
