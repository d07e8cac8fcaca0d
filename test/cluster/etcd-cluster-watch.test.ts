/**
 * The cluster watch when etcd cannot resume its change stream: the history it needs was compacted,
 * so it reads a fresh snapshot and delivers the difference.
 */
import { afterEach, expect, test } from '@jest/globals';
import { Etcd3 } from 'etcd3';
import { EtcdClusterStore } from '../../src/cluster/etcd-cluster-store.js';
import { EtcdClusterWatch } from '../../src/cluster/etcd-cluster-watch.js';
import { EtcdKeys } from '../../src/cluster/etcd-keys.js';
import { silentLogger } from '../../src/util/logger.js';
import { EtcdServer } from '../helpers/etcd.js';
import { address, EventRecorder, initialState, topicRecord } from './cluster-store-contract.js';

let etcd: EtcdServer | null = null;
afterEach(async () => {
  await etcd?.stop();
  etcd = null;
});

test('a watch whose next revision was compacted away delivers a fresh snapshot, with deleted topics as topic-deleted', async () => {
  etcd = await EtcdServer.start();
  const store = await EtcdClusterStore.connect({ endpoints: [etcd.endpoint], clusterId: 'c1' });
  const client = new Etcd3({ hosts: etcd.endpoint.replace('http://', '') });
  const keys = new EtcdKeys('c1');
  let watch: EtcdClusterWatch | null = null;
  try {
    const broker = await store.register(address(1));
    await store.createTopic(topicRecord('old', [[1]]), [initialState([1])]);
    let snapshots = 0;
    const seen = new EventRecorder();
    watch = new EtcdClusterWatch(client, keys, seen.listener, silentLogger, {
      snapshot: async () => {
        snapshots++;
        const res = await client.getAll().prefix(keys.root).exec();
        if (snapshots === 1) {
          // Everything after this snapshot is compacted before the watch asks for it.
          await store.deleteTopic('old');
          await store.createTopic(topicRecord('new', [[2], [3]]), [initialState([2]), initialState([3])]);
          const latest = await client.get(keys.topic('new')).exec();
          await client.kv.compact({ revision: latest.header.revision, physical: true });
        }
        return res;
      },
      retryDelay: () => Promise.resolve(),
    });
    await watch.start();
    await seen.waitFor((e) => e.kind === 'partition' && e.topic === 'new' && e.partition === 1);
    expect(snapshots).toBe(2);
    const partition = (topic: string, n: number, replicas: number[]) => ({
      kind: 'partition', topic, partition: n, state: { ...initialState(replicas), version: expect.any(BigInt) },
    });
    expect(seen.events).toEqual([
      { kind: 'brokers', brokers: [broker] },
      { kind: 'controller', controller: null },
      { kind: 'topic', topic: topicRecord('old', [[1]]) },
      partition('old', 0, [1]),
      // the fresh snapshot
      { kind: 'topic-deleted', name: 'old', topicId: topicRecord('old', [[1]]).topicId },
      { kind: 'brokers', brokers: [broker] },
      { kind: 'controller', controller: null },
      { kind: 'topic', topic: topicRecord('new', [[2], [3]]) },
      partition('new', 0, [2]),
      partition('new', 1, [3]),
    ]);
    // And it follows changes after the fresh snapshot.
    await store.deleteTopic('new');
    await seen.waitFor((e) => e.kind === 'topic-deleted' && e.name === 'new');
  } finally {
    watch?.stop();
    client.close();
    await store.close();
  }
});
