import { describe, expect, it } from '@jest/globals';
import type { ClusterEvent } from '../../src/cluster/cluster-store.js';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import type { Topic } from '../../src/metadata/metadata-store.js';
import { StoreClusterView } from '../../src/cluster/store-cluster-view.js';

const broker = (nodeId: number) => ({ nodeId, host: `h${nodeId}`, port: 9000 + nodeId, rack: null, epoch: BigInt(nodeId) });
const state = (leader: number, isr: number[], version = 1n) => ({ leader, leaderEpoch: 2, isr, replicas: [1, 2, 3], version });

function fed(events: ClusterEvent[]): ClusterState {
  const s = new ClusterState();
  for (const e of events) s.apply(e);
  return s;
}

describe('cluster state', () => {
  it('keeps the latest of each kind of event', () => {
    const s = fed([
      { kind: 'brokers', brokers: [broker(2), broker(1)] },
      { kind: 'controller', controller: { nodeId: 2, epoch: 5n } },
      { kind: 'topic', topic: { name: 't', topicId: 'id', assignment: [[1, 2, 3]], configs: {} } },
      { kind: 'partition', topic: 't', partition: 0, state: state(1, [1, 2, 3]) },
      { kind: 'partition', topic: 't', partition: 0, state: state(2, [2, 3], 7n) },
      { kind: 'brokers', brokers: [broker(2), broker(3)] },
    ]);
    expect(s.brokers().map((b) => b.nodeId)).toEqual([2, 3]);
    expect(s.isAlive(1)).toBe(false);
    expect(s.controller()).toEqual({ nodeId: 2, epoch: 5n });
    expect(s.partitionState('t', 0)).toEqual(state(2, [2, 3], 7n));
  });

  it('forgets a deleted topic with its partition states', () => {
    const s = fed([
      { kind: 'topic', topic: { name: 't', topicId: 'id', assignment: [[1]], configs: {} } },
      { kind: 'partition', topic: 't', partition: 0, state: state(1, [1]) },
      { kind: 'topic-deleted', name: 't', topicId: 'id' },
    ]);
    expect(s.topic('t')).toBeUndefined();
    expect(s.partitionState('t', 0)).toBeUndefined();
  });

  it('tells listeners after applying, and wakes waiters once their condition holds', async () => {
    const s = new ClusterState();
    const seen: string[] = [];
    const stop = s.onChange((e) => seen.push(`${e.kind}:${s.topics().length}`));
    const visible = s.until(() => s.topic('t') !== undefined, 60_000);
    s.apply({ kind: 'brokers', brokers: [] });
    s.apply({ kind: 'topic', topic: { name: 't', topicId: 'id', assignment: [[1]], configs: {} } });
    await expect(visible).resolves.toBe(true);
    stop();
    s.apply({ kind: 'brokers', brokers: [] });
    expect(seen).toEqual(['brokers:0', 'topic:1']);
    await expect(s.until(() => true, 60_000)).resolves.toBe(true);
  });

  it('gives up a wait whose time ran out and no longer checks its condition', async () => {
    const s = new ClusterState();
    let checks = 0;
    const never = (): boolean => {
      checks++;
      return false;
    };
    await expect(s.until(never, 1)).resolves.toBe(false);
    const before = checks;
    s.apply({ kind: 'brokers', brokers: [] });
    expect(checks).toBe(before);
  });
});

describe('store cluster view', () => {
  const topic = { name: 't', partitions: 2 } as unknown as Topic;

  it('reports leaders, ISRs and offline replicas as last seen, and no leader before a state arrives', () => {
    const s = fed([
      { kind: 'brokers', brokers: [broker(1), broker(3)] },
      { kind: 'controller', controller: { nodeId: 3, epoch: 1n } },
      { kind: 'topic', topic: { name: 't', topicId: 'id', assignment: [[1, 2, 3], [2, 3, 1]], configs: {} } },
      { kind: 'partition', topic: 't', partition: 0, state: state(1, [1, 3]) },
    ]);
    const view = new StoreClusterView(s);
    expect(view.brokers()).toEqual([
      { nodeId: 1, host: 'h1', port: 9001, rack: null },
      { nodeId: 3, host: 'h3', port: 9003, rack: null },
    ]);
    expect(view.controllerId()).toBe(3);
    expect(view.coordinator()).toEqual({ nodeId: 3, host: 'h3', port: 9003, rack: null });
    expect(view.partitionLayouts(topic, 0, 2)).toEqual([
      { partitionIndex: 0, leaderId: 1, leaderEpoch: 2, replicaNodes: [1, 2, 3], isrNodes: [1, 3], offlineReplicas: [2] },
      { partitionIndex: 1, leaderId: -1, leaderEpoch: -1, replicaNodes: [2, 3, 1], isrNodes: [], offlineReplicas: [2] },
    ]);
  });

  it('has no controller and no coordinator while none is elected', () => {
    const view = new StoreClusterView(new ClusterState());
    expect(view.controllerId()).toBe(-1);
    expect(view.coordinator()).toBeUndefined();
  });
});
