/**
 * The cluster-mode metadata store: topics follow the cluster state, local logs follow the
 * assignment, and changes go to the topic writer and resolve once they show locally.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { ClusterMetadataStore, type TopicChanges } from '../../src/cluster/cluster-metadata-store.js';
import { ClusterState } from '../../src/cluster/cluster-state.js';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { openLogManager, type LogManager } from '../../src/storage/log-manager.js';

const NODE = 2;
let logs: LogManager;
let state: ClusterState;
let store: ClusterMetadataStore;
let writes: string[];

/** A topic writer that "writes to the store" by feeding the state as its watch would, later. */
function changes(): TopicChanges {
  let ids = 0;
  return {
    createTopic(req, configs) {
      writes.push(`create ${req.name}`);
      if (req.replicationFactor > 3) return Promise.resolve({ errorCode: ErrorCode.InvalidReplicationFactor, errorMessage: 'too many' });
      const topicId = `id-${++ids}`;
      if (!req.validateOnly) {
        const assignment = Array.from({ length: req.numPartitions }, (_, p) => [1 + (p % 3), 1 + ((p + 1) % 3)]);
        setImmediate(() => { state.apply({ kind: 'topic', topic: { name: req.name, topicId, assignment, configs } }); });
      }
      return Promise.resolve({ errorCode: ErrorCode.None, errorMessage: null, topicId });
    },
    deleteTopic(name) {
      writes.push(`delete ${name}`);
      const topicId = state.topic(name)?.topicId ?? '';
      setImmediate(() => { state.apply({ kind: 'topic-deleted', name, topicId }); });
      return Promise.resolve({ errorCode: ErrorCode.None, errorMessage: null });
    },
    createPartitions(name, count) {
      writes.push(`partitions ${name} ${count}`);
      const t = state.topic(name);
      if (t) {
        const assignment = [...t.assignment, ...Array.from({ length: count - t.assignment.length }, () => [NODE])];
        setImmediate(() => { state.apply({ kind: 'topic', topic: { ...t, assignment } }); });
      }
      return Promise.resolve({ errorCode: ErrorCode.None, errorMessage: null });
    },
    setTopicConfigs(name, configs) {
      writes.push(`configs ${name}`);
      const t = state.topic(name);
      if (t) setImmediate(() => { state.apply({ kind: 'topic', topic: { ...t, configs } }); });
      return Promise.resolve({ errorCode: ErrorCode.None, errorMessage: null });
    },
  };
}

beforeEach(async () => {
  const logger = pino({ level: 'silent' });
  logs = await openLogManager({ storage: 'memory', dirs: [], logger });
  state = new ClusterState();
  writes = [];
  const brokerConfig = await loadBrokerConfig({ env: {}, flags: {} });
  store = new ClusterMetadataStore({ state, changes: changes(), logs, nodeId: NODE, brokerConfig, logger });
});
afterEach(async () => {
  store.close();
  await logs.close();
});

const create = (name: string, numPartitions: number, replicationFactor = 2) =>
  store.createTopic({ name, numPartitions, replicationFactor, configs: new Map(), validateOnly: false });

describe('cluster metadata store', () => {
  it('creates a topic through the writer and resolves once it is visible, with logs for its local replicas only', async () => {
    const created = await create('orders', 3);
    expect(created.errorCode).toBe(ErrorCode.None);
    expect(created.topic?.partitions).toBe(3);
    expect(store.topic('orders')?.topicId).toBe('id-1');
    expect(store.topicById('id-1')?.name).toBe('orders');
    // Partition p is on brokers 1+(p%3) and 1+((p+1)%3): broker 2 holds partitions 0 and 1.
    expect([0, 1, 2].map((p) => logs.get('orders', p) !== undefined)).toEqual([true, true, false]);
  });

  it('checks names, duplicates and configs itself, and passes the writer error through', async () => {
    expect((await store.createTopic({ name: 'bad name', numPartitions: 1, replicationFactor: 1, configs: new Map(), validateOnly: false })).errorCode).toBe(
      ErrorCode.InvalidTopicException,
    );
    await create('a.b', 1);
    expect((await create('a.b', 1)).errorCode).toBe(ErrorCode.TopicAlreadyExists);
    expect((await create('a_b', 1)).errorCode).toBe(ErrorCode.InvalidTopicException);
    expect((await store.createTopic({ name: 'c', numPartitions: 1, replicationFactor: 1, configs: new Map([['retention.ms', 'x']]), validateOnly: false })).errorCode).toBe(
      ErrorCode.InvalidConfig,
    );
    expect((await create('d', 1, 5)).errorCode).toBe(ErrorCode.InvalidReplicationFactor);
    expect(writes).toEqual(['create a.b', 'create d']);
  });

  it('deletes a topic: the view forgets it, local logs go, delete listeners hear of it', async () => {
    await create('t', 2);
    const deleted: string[] = [];
    store.onTopicDeleted((t) => deleted.push(t.name));
    expect((await store.deleteTopic('t')).errorCode).toBe(ErrorCode.None);
    expect(store.topic('t')).toBeUndefined();
    expect(logs.get('t', 0)).toBeUndefined();
    expect(deleted).toEqual(['t']);
    expect((await store.deleteTopic('t')).errorCode).toBe(ErrorCode.UnknownTopicOrPartition);
  });

  it('adds partitions and applies config overrides to the topic and its local logs', async () => {
    await create('t', 1);
    expect((await store.createPartitions('t', 1, null, false)).errorCode).toBe(ErrorCode.InvalidPartitions);
    expect((await store.createPartitions('t', 3, null, false)).errorCode).toBe(ErrorCode.None);
    expect(store.topic('t')?.partitions).toBe(3);
    expect(logs.get('t', 2)).toBeDefined();
    expect((await store.setTopicOverrides('t', new Map([['retention.ms', '1234']]), false)).errorCode).toBe(ErrorCode.None);
    expect(store.topic('t')?.overrides.get('retention.ms')).toBe('1234');
    expect(logs.get('t', 2)?.config.retentionMs).toBe(1234);
  });

  it('takes topics that were in the state before it was built', async () => {
    state.apply({ kind: 'topic', topic: { name: 'old', topicId: 'x', assignment: [[NODE]], configs: {} } });
    const other = new ClusterMetadataStore({ state, changes: changes(), logs, nodeId: NODE, brokerConfig: store.broker, logger: pino({ level: 'silent' }) });
    await other.settled();
    expect(other.topic('old')?.partitions).toBe(1);
    expect(logs.get('old', 0)).toBeDefined();
    other.close();
  });
});
