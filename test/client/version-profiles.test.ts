/**
 * The client against brokers of different ages: Gregor advertises every version, and versionCaps
 * lower the client's side so that each request is built and read at the versions an older Kafka
 * would negotiate (non-flexible versions, OffsetFetch before batching, FindCoordinator before key
 * lists, Metadata instead of DescribeTopicPartitions, ...). Each profile runs the tools' whole path:
 * create and describe a topic, produce with keys and compression, consume as a group, commit,
 * resume, delete.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Broker } from '../../src/broker.js';
import { Admin } from '../../src/client/admin.js';
import { KafkaClient } from '../../src/client/cluster.js';
import { Consumer, type ConsumerRecord } from '../../src/client/consumer.js';
import { Producer } from '../../src/client/producer.js';
import { ConfigResourceType } from '../../src/config/config-def.js';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { startBroker } from '../helpers/kafka.js';

const PROFILES: Record<string, Partial<Record<number, number>>> = {
  // The oldest versions this client builds: Kafka 0.11-2.0 era requests, no DescribeTopicPartitions.
  oldest: {
    [ApiKey.Produce]: 3,
    [ApiKey.Fetch]: 4,
    [ApiKey.ListOffsets]: 1,
    [ApiKey.Metadata]: 1,
    [ApiKey.OffsetCommit]: 2,
    [ApiKey.OffsetFetch]: 1,
    [ApiKey.FindCoordinator]: 0,
    [ApiKey.JoinGroup]: 0,
    [ApiKey.Heartbeat]: 0,
    [ApiKey.LeaveGroup]: 0,
    [ApiKey.SyncGroup]: 0,
    [ApiKey.ApiVersions]: 0,
    [ApiKey.CreateTopics]: 2,
    [ApiKey.DeleteTopics]: 1,
    [ApiKey.CreatePartitions]: 0,
    [ApiKey.DescribeConfigs]: 1,
    [ApiKey.InitProducerId]: 0,
    [ApiKey.DescribeTopicPartitions]: -1,
  },
  // Around Kafka 2.4: the first flexible versions of several apis.
  'kafka-2.4': {
    [ApiKey.Produce]: 8,
    [ApiKey.Fetch]: 11,
    [ApiKey.ListOffsets]: 5,
    [ApiKey.Metadata]: 9,
    [ApiKey.OffsetCommit]: 8,
    [ApiKey.OffsetFetch]: 6,
    [ApiKey.FindCoordinator]: 3,
    [ApiKey.JoinGroup]: 6,
    [ApiKey.Heartbeat]: 4,
    [ApiKey.LeaveGroup]: 4,
    [ApiKey.SyncGroup]: 4,
    [ApiKey.ApiVersions]: 3,
    [ApiKey.CreateTopics]: 5,
    [ApiKey.DeleteTopics]: 4,
    [ApiKey.DescribeConfigs]: 2,
    [ApiKey.InitProducerId]: 2,
    [ApiKey.DescribeTopicPartitions]: -1,
  },
  newest: {},
};

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
});

afterAll(async () => {
  await broker.stop();
});

async function drain(consumer: Consumer, want: number): Promise<ConsumerRecord[]> {
  const out: ConsumerRecord[] = [];
  for (let i = 0; out.length < want && i < 50; i++) out.push(...(await consumer.poll(500)));
  return out;
}

describe.each(Object.keys(PROFILES))('client at the %s versions', (profile) => {
  it('creates, describes, produces, consumes as a group, resumes and deletes', async () => {
    const caps = PROFILES[profile];
    const options = { bootstrapServers: broker.bootstrap, versionCaps: caps };
    const topic = `profile-${profile}`;
    const admin = new Admin(options);
    await admin.createTopics([{ name: topic, numPartitions: 3, replicationFactor: 1, configs: { 'retention.ms': '3600000' } }]);
    const [description] = await admin.describeTopics([topic]);
    expect(description.partitions.map((p) => [p.partition, p.leader, p.replicas, p.isr])).toEqual([
      [0, 1, [1], [1]],
      [1, 1, [1], [1]],
      [2, 1, [1], [1]],
    ]);
    // Without DescribeTopicPartitions the eligible leader replicas are unknown (printed N/A).
    expect(description.partitions[0].elr).toEqual(caps[ApiKey.DescribeTopicPartitions] === -1 ? null : []);
    const [configs] = await admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name: topic }]);
    expect(configs.find((c) => c.name === 'retention.ms')).toMatchObject({ value: '3600000', isDefault: false });

    const producer = new Producer(options, { compression: 'gzip', lingerMs: 2 });
    const sent = await Promise.all(
      Array.from({ length: 60 }, (_, i) => producer.send({ topic, key: Buffer.from(`key-${i % 6}`), value: Buffer.from(`value-${i}`), headers: [{ key: 'n', value: Buffer.from(String(i)) }] })),
    );
    await producer.close();
    expect(new Set(sent.map((s) => s.partition)).size).toBeGreaterThan(1);

    const client = new KafkaClient(options);
    const consumer = new Consumer(client, { groupId: `group-${profile}`, autoOffsetReset: 'earliest', heartbeatIntervalMs: 200 });
    consumer.subscribe([topic]);
    const first = await drain(consumer, 60);
    expect(first.map((r) => r.value!.toString()).sort()).toEqual(sent.map((_, i) => `value-${i}`).sort());
    expect(first.every((r) => r.headers[0].key === 'n' && r.timestampType === 'CreateTime')).toBe(true);
    await consumer.close();
    await client.close();

    const again = new Consumer(options, { groupId: `group-${profile}`, autoOffsetReset: 'earliest' });
    again.subscribe([topic]);
    const extra = new Producer(options);
    await extra.send({ topic, key: Buffer.from('late'), value: Buffer.from('after the commit') });
    await extra.close();
    const second = await drain(again, 1);
    expect(second.map((r) => r.value!.toString())).toEqual(['after the commit']);
    await again.close();

    await admin.deleteTopics([topic]);
    expect((await admin.listTopics()).map((t) => t.name)).not.toContain(topic);
    await admin.close();
  }, 30_000);
});
