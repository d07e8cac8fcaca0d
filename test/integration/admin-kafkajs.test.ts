/**
 * The KafkaJS admin client (non-flexible versions: Metadata <= 6, CreateTopics <= 3, DeleteTopics
 * <= 1, CreatePartitions <= 1, DescribeConfigs <= 2, AlterConfigs <= 1) against an in-process broker.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import type { Broker } from '../../src/broker.js';
import { kafkaFor, startBroker } from '../helpers/kafka.js';

let broker: Broker | undefined;
let admin: Admin | undefined;
afterEach(async () => {
  await admin?.disconnect();
  await broker?.stop();
  admin = undefined;
  broker = undefined;
});

async function start(config: Record<string, string | number | boolean> = {}): Promise<Admin> {
  broker = await startBroker({ config });
  admin = kafkaFor(broker, { retry: { retries: 5, initialRetryTime: 20 } }).admin();
  await admin.connect();
  return admin;
}

describe('KafkaJS admin', () => {
  it('creates topics with configs, lists and describes them, and deletes them', async () => {
    const a = await start({ 'num.partitions': 2 });
    expect(
      await a.createTopics({
        topics: [
          { topic: 'orders', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '60000' }, { name: 'cleanup.policy', value: 'compact' }] },
          { topic: 'events' },
        ],
      }),
    ).toBe(true);
    // An existing topic: KafkaJS reports false rather than an error.
    expect(await a.createTopics({ topics: [{ topic: 'orders' }] })).toBe(false);

    expect((await a.listTopics()).sort()).toEqual(['events', 'orders']);
    const { topics } = await a.fetchTopicMetadata({ topics: ['orders', 'events'] });
    const byName = new Map(topics.map((t) => [t.name, t]));
    expect(byName.get('orders')!.partitions).toHaveLength(3);
    expect(byName.get('events')!.partitions).toHaveLength(2);
    const nodeId = broker!.services.nodeId;
    expect(byName.get('orders')!.partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr])).toEqual([
      [0, nodeId, [nodeId], [nodeId]],
      [1, nodeId, [nodeId], [nodeId]],
      [2, nodeId, [nodeId], [nodeId]],
    ]);

    await a.deleteTopics({ topics: ['events'] });
    expect(await a.listTopics()).toEqual(['orders']);
  });

  it('validateOnly creates nothing, and invalid topics are reported', async () => {
    const a = await start();
    // waitForLeaders would look the topic up afterwards, which fails for a dry run (as against Kafka).
    expect(await a.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'dry-run', numPartitions: 4 }] })).toBe(true);
    expect(await a.listTopics()).toEqual([]);
    await expect(a.createTopics({ topics: [{ topic: 'bad-config', configEntries: [{ name: 'retention.ms', value: 'forever' }] }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })],
    });
    await expect(a.createTopics({ topics: [{ topic: 'too-replicated', replicationFactor: 3 }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })],
    });
  });

  it('adds partitions', async () => {
    const a = await start();
    await a.createTopics({ topics: [{ topic: 'grow', numPartitions: 1 }] });
    await a.createPartitions({ topicPartitions: [{ topic: 'grow', count: 4 }] });
    const { topics } = await a.fetchTopicMetadata({ topics: ['grow'] });
    expect(topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3]);
    await expect(a.createPartitions({ topicPartitions: [{ topic: 'grow', count: 2 }] })).rejects.toMatchObject({ type: 'INVALID_PARTITIONS' });
  });

  it('describes configs with synonyms and alters them', async () => {
    const a = await start({ 'log.retention.ms': 172800000 });
    await a.createTopics({ topics: [{ topic: 'cfg', configEntries: [{ name: 'max.message.bytes', value: '2000000' }] }] });
    const described = await a.describeConfigs({
      includeSynonyms: true,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configNames: ['max.message.bytes', 'retention.ms', 'cleanup.policy'] }],
    });
    const entries = new Map(described.resources[0].configEntries.map((e) => [e.configName, e]));
    expect(entries.get('max.message.bytes')).toMatchObject({ configValue: '2000000', isDefault: false, configSource: 1 });
    expect(entries.get('max.message.bytes')!.configSynonyms.map((s) => s.configName)).toEqual(['max.message.bytes', 'message.max.bytes']);
    expect(entries.get('retention.ms')).toMatchObject({ configValue: String(48 * 3600 * 1000), configSource: 4 });
    expect(entries.get('cleanup.policy')).toMatchObject({ configValue: 'delete', isDefault: true, configSource: 5 });

    await a.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    const after = await a.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configNames: ['cleanup.policy', 'max.message.bytes'] }] });
    const afterEntries = new Map(after.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
    // AlterConfigs replaces the whole override set: max.message.bytes is back to the broker's value.
    expect(Object.fromEntries(afterEntries)).toEqual({ 'cleanup.policy': 'compact', 'max.message.bytes': '1048588' });

    const nodeId = String(broker!.services.nodeId);
    await a.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: nodeId, configEntries: [{ name: 'log.retention.ms', value: '1000' }] }] });
    const brokerConfigs = await a.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.BROKER, name: nodeId, configNames: ['log.retention.ms'] }] });
    expect(brokerConfigs.resources[0].configEntries[0]).toMatchObject({ configName: 'log.retention.ms', configValue: '1000', configSource: 2, readOnly: false });

    await expect(
      a.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'segment.bytes', value: '1' }] }] }),
    ).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
  });

  it('describes the cluster', async () => {
    const a = await start();
    const cluster = await a.describeCluster();
    expect(cluster).toEqual({
      brokers: [{ nodeId: broker!.services.nodeId, host: broker!.services.advertised.host, port: broker!.port }],
      controller: broker!.services.nodeId,
      clusterId: broker!.services.clusterId,
    });
  });

  it('auto-creates a topic when a client (not the admin, which never asks to) looks it up', async () => {
    const a = await start({ 'num.partitions': 3 });
    await expect(a.fetchTopicMetadata({ topics: ['auto-created'] })).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    const consumer = kafkaFor(broker!).consumer({ groupId: 'g' });
    await consumer.connect();
    try {
      // subscribe() fetches metadata with allowAutoTopicCreation; the first answer is LEADER_NOT_AVAILABLE, then it is there.
      await consumer.subscribe({ topics: ['auto-created'] });
    } finally {
      await consumer.disconnect();
    }
    const { topics } = await a.fetchTopicMetadata({ topics: ['auto-created'] });
    expect(topics[0].partitions).toHaveLength(3);
    expect(await a.listTopics()).toEqual(['auto-created']);
  });

  it('auto-creates the topic a producer sends to', async () => {
    const a = await start({ 'num.partitions': 2 });
    const producer = kafkaFor(broker!).producer();
    await producer.connect();
    try {
      const [sent] = await producer.send({ topic: 'produced-to', messages: [{ value: 'hello' }] });
      expect(sent).toMatchObject({ topicName: 'produced-to', errorCode: 0 });
    } finally {
      await producer.disconnect();
    }
    const { topics } = await a.fetchTopicMetadata({ topics: ['produced-to'] });
    expect(topics[0].partitions).toHaveLength(2);
  });

  it('does not auto-create when auto.create.topics.enable is false', async () => {
    const a = await start({ 'auto.create.topics.enable': false });
    const consumer = kafkaFor(broker!, { retry: { retries: 1, initialRetryTime: 10 } }).consumer({ groupId: 'g' });
    await consumer.connect();
    try {
      await expect(consumer.subscribe({ topics: ['nowhere'] })).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    } finally {
      await consumer.disconnect();
    }
    expect(await a.listTopics()).toEqual([]);
  });
});
