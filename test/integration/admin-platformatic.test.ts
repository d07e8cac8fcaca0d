/**
 * @platformatic/kafka's Admin (flexible versions: Metadata 9-12, CreateTopics 7, DeleteTopics 6,
 * CreatePartitions 3, DescribeConfigs 4, AlterConfigs 2, IncrementalAlterConfigs 1,
 * DescribeLogDirs 4) against an in-process broker.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import type { Broker } from '../../src/broker.js';
import { startBroker } from '../helpers/kafka.js';

let broker: Broker | undefined;
let admin: Admin | undefined;
afterEach(async () => {
  await admin?.close();
  await broker?.stop();
  admin = undefined;
  broker = undefined;
});

async function start(config: Record<string, string | number | boolean> = {}): Promise<Admin> {
  broker = await startBroker({ config });
  admin = new Admin({ clientId: 'gregor-test', bootstrapBrokers: [broker.bootstrap], retries: 5, retryDelay: 20 });
  return admin;
}

describe('@platformatic/kafka Admin', () => {
  it('creates topics (getting ids, partition counts and configs back), lists and deletes them', async () => {
    const a = await start({ 'num.partitions': 2 });
    const created = await a.createTopics({ topics: ['p1', 'p2'], partitions: 3, configs: [{ name: 'retention.ms', value: '90000' }] });
    const store = broker!.services.metadata;
    expect(created.map((t) => ({ name: t.name, id: t.id, partitions: t.partitions, replicas: t.replicas }))).toEqual([
      { name: 'p1', id: store.topic('p1')!.topicId, partitions: 3, replicas: 1 },
      { name: 'p2', id: store.topic('p2')!.topicId, partitions: 3, replicas: 1 },
    ]);
    expect(created[0].configuration['retention.ms']).toBe('90000');
    expect(created[0].configuration['cleanup.policy']).toBe('delete');

    // Broker defaults (-1) when partitions and replicas are not given.
    const [d] = await a.createTopics({ topics: ['defaults'] });
    expect(d.partitions).toBe(2);

    expect(await a.listTopics()).toEqual(['defaults', 'p1', 'p2']);
    await a.deleteTopics({ topics: ['p1', 'defaults'] });
    expect(await a.listTopics()).toEqual(['p2']);
    await expect(a.deleteTopics({ topics: ['p1'] })).rejects.toThrow();
  });

  it('reads metadata with topic ids, leader epochs and the one broker', async () => {
    const a = await start();
    await a.createTopics({ topics: ['meta'], partitions: 2 });
    const m = await a.metadata({ topics: ['meta'] });
    const nodeId = broker!.services.nodeId;
    expect(m.id).toBe(broker!.services.clusterId);
    expect(m.controllerId).toBe(nodeId);
    expect([...m.brokers.keys()]).toEqual([nodeId]);
    expect(m.brokers.get(nodeId)).toMatchObject({ host: broker!.services.advertised.host, port: broker!.port });
    const t = m.topics.get('meta')!;
    expect(t.id).toBe(broker!.services.metadata.topic('meta')!.topicId);
    expect(t.partitions).toEqual([
      { leader: nodeId, leaderEpoch: 0, replicas: [nodeId], isr: [nodeId], offlineReplicas: [] },
      { leader: nodeId, leaderEpoch: 0, replicas: [nodeId], isr: [nodeId], offlineReplicas: [] },
    ]);
  });

  it('auto-creates topics on metadata when asked to', async () => {
    const a = await start({ 'num.partitions': 4 });
    const m = await a.metadata({ topics: ['auto-plt'], autocreateTopics: true });
    expect(m.topics.get('auto-plt')!.partitionsCount).toBe(4);
  });

  it('does not auto-create when auto.create.topics.enable is false', async () => {
    const a = await start({ 'auto.create.topics.enable': false });
    await expect(a.metadata({ topics: ['nope'], autocreateTopics: true })).rejects.toThrow();
    expect(broker!.services.metadata.topic('nope')).toBeUndefined();
  });

  it('describes and alters configs, incrementally too', async () => {
    const a = await start();
    await a.createTopics({ topics: ['conf'], configs: [{ name: 'cleanup.policy', value: 'compact' }] });
    const [described] = await a.describeConfigs({
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'conf', configurationKeys: ['cleanup.policy', 'segment.bytes'] }],
      includeSynonyms: true,
      includeDocumentation: true,
    });
    const byName = new Map(described.configs.map((c) => [c.name, c]));
    expect(byName.get('cleanup.policy')).toMatchObject({ value: 'compact', configSource: 1, configType: 7, documentation: expect.any(String) });
    expect(byName.get('cleanup.policy')!.synonyms.map((s) => s.name)).toEqual(['cleanup.policy', 'log.cleanup.policy']);

    await a.incrementalAlterConfigs({
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'conf', configs: [{ name: 'cleanup.policy', configOperation: 2, value: 'delete' }, { name: 'retention.ms', configOperation: 0, value: '1234' }] }],
    });
    expect(Object.fromEntries(broker!.services.metadata.topic('conf')!.overrides)).toEqual({ 'cleanup.policy': 'compact,delete', 'retention.ms': '1234' });

    await a.alterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'conf', configs: [{ name: 'segment.ms', value: '60000' }] }] });
    expect(Object.fromEntries(broker!.services.metadata.topic('conf')!.overrides)).toEqual({ 'segment.ms': '60000' });

    const nodeId = String(broker!.services.nodeId);
    await a.incrementalAlterConfigs({ resources: [{ resourceType: ConfigResourceTypes.BROKER, resourceName: nodeId, configs: [{ name: 'log.retention.bytes', configOperation: 0, value: '999999' }] }] });
    const [brokerConfigs] = await a.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.BROKER, resourceName: nodeId, configurationKeys: ['log.retention.bytes'] }] });
    expect(brokerConfigs.configs[0]).toMatchObject({ name: 'log.retention.bytes', value: '999999', configSource: 2 });
  });

  it('adds partitions and describes log dirs', async () => {
    const a = await start();
    await a.createTopics({ topics: ['logs'], partitions: 1 });
    await a.createPartitions({ topics: [{ name: 'logs', count: 3 }] });
    expect(broker!.services.metadata.topic('logs')!.partitions).toBe(3);
    const [dirs] = await a.describeLogDirs({ topics: [{ name: 'logs', partitions: [0, 1, 2] }] });
    expect(dirs.results).toHaveLength(1);
    expect(dirs.results[0].logDir).toBe('(memory)');
    expect(dirs.results[0].topics[0].partitions.map((p) => p.partitionIndex)).toEqual([0, 1, 2]);
  });
});
