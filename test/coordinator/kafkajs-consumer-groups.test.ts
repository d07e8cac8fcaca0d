/**
 * Consumer groups end to end with KafkaJS consumers against an in-process broker: resuming after a
 * commit, sharing a topic among two and three members with every message delivered exactly once,
 * a silent member expiring and its partitions moving, and committed offsets surviving a restart.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import { Broker } from '../../src/broker.js';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { defaultSyncGroupRequest } from '../../src/protocol/generated/messages/sync-group.js';
import { kafkaFor, startBroker } from '../helpers/kafka.js';
import { WireClient } from '../helpers/wire-client.js';
import { tempDir } from '../storage/helpers.js';
import { subscription } from './helpers.js';
import { joinRequest } from '../server/handlers/group-harness.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(options: Parameters<typeof startBroker>[0] = {}): Promise<{ broker: Broker; kafka: Kafka }> {
  const broker = await startBroker({ ...options, config: { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 1000, ...(options.config ?? {}) } });
  cleanups.push(() => broker.stop());
  return { broker, kafka: kafkaFor(broker) };
}

async function createTopic(kafka: Kafka, topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  await admin.disconnect();
}

/** Produces `perPartition` messages "p<partition>-<i>" to each partition. */
async function produce(kafka: Kafka, topic: string, partitions: number, perPartition: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  for (let p = 0; p < partitions; p++) {
    await producer.send({ topic, messages: Array.from({ length: perPartition }, (_, i) => ({ partition: p, value: `p${p}-${i}` })) });
  }
  await producer.disconnect();
}

function consumer(kafka: Kafka, groupId: string, extra: Parameters<Kafka['consumer']>[0] extends infer C ? Partial<C> : never = {}): Consumer {
  const c = kafka.consumer({ groupId, sessionTimeout: 6000, rebalanceTimeout: 10_000, heartbeatInterval: 100, maxWaitTimeInMs: 50, retry: { retries: 10, initialRetryTime: 50 }, ...extra });
  cleanups.push(() => c.disconnect().catch(() => undefined));
  return c;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('KafkaJS consumer groups', () => {
  it('a new consumer resumes exactly after the offsets the previous one committed', async () => {
    const { kafka, broker } = await start();
    await createTopic(kafka, 'resume', 2);
    await produce(kafka, 'resume', 2, 10);

    const first = consumer(kafka, 'resumers');
    await first.connect();
    await first.subscribe({ topic: 'resume', fromBeginning: true });
    const seen = new Set<string>();
    await first.run({
      autoCommit: false,
      eachMessage: async ({ message }: EachMessagePayload) => {
        seen.add(message.value!.toString());
      },
    });
    await until(() => seen.size === 20, 'the first consumer to read everything');
    // It processed the first half of each partition.
    await first.commitOffsets([
      { topic: 'resume', partition: 0, offset: '5' },
      { topic: 'resume', partition: 1, offset: '5' },
    ]);
    await first.disconnect();
    expect(broker.services.groups.describeGroup('resumers').state).toBe('Empty');

    const second = consumer(kafka, 'resumers');
    await second.connect();
    await second.subscribe({ topic: 'resume', fromBeginning: true });
    const resumed: string[] = [];
    await second.run({ eachMessage: async ({ message }) => void resumed.push(message.value!.toString()) });
    await until(() => resumed.length >= 10, 'the second consumer to read the rest');
    await new Promise((r) => setTimeout(r, 200));
    expect(resumed.sort()).toEqual(['p0-5', 'p0-6', 'p0-7', 'p0-8', 'p0-9', 'p1-5', 'p1-6', 'p1-7', 'p1-8', 'p1-9']);
  });

  it.each([2, 3])('%i consumers split a 6-partition topic and together receive every message exactly once', async (n) => {
    const { kafka, broker } = await start();
    const topic = `split-${n}`;
    const groupId = `splitters-${n}`;
    await createTopic(kafka, topic, 6);
    const received: { consumer: number; value: string; partition: number }[] = [];
    const assignments = new Map<number, { memberId: string; partitions: number[] }>();
    for (let i = 0; i < n; i++) {
      const c = consumer(kafka, groupId);
      c.on(c.events.GROUP_JOIN, (e) => assignments.set(i, { memberId: e.payload.memberId, partitions: [...(e.payload.memberAssignment[topic] ?? [])] }));
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({ eachMessage: async ({ message, partition }) => void received.push({ consumer: i, value: message.value!.toString(), partition }) });
    }
    // Wait for the group to settle with every consumer holding its share.
    await until(() => {
      const d = broker.services.groups.describeGroup(groupId);
      if (d.state !== 'Stable' || d.members.length !== n || assignments.size !== n) return false;
      const ids = new Set(d.members.map((m) => m.memberId));
      const all = [...assignments.values()];
      const partitions = all.flatMap((a) => a.partitions).sort();
      return all.every((a) => ids.has(a.memberId) && a.partitions.length > 0) && partitions.join() === '0,1,2,3,4,5';
    }, 'the group to stabilise');

    await produce(kafka, topic, 6, 10);
    await until(() => received.length >= 60, 'every message');
    await new Promise((r) => setTimeout(r, 300));
    const values = received.map((r) => r.value).sort();
    expect(values).toEqual([...new Set(values)]);
    expect(values).toHaveLength(60);
    // Each message went to the consumer that owns its partition.
    for (const r of received) expect(assignments.get(r.consumer)!.partitions).toContain(r.partition);
    expect(new Set(received.map((r) => r.consumer)).size).toBe(n);
  }, 120_000);

  it('a member that stops heartbeating is expired and its partitions move to the others', async () => {
    const { kafka, broker } = await start();
    await createTopic(kafka, 'failover', 4);
    const assignments: number[][] = [];
    const a = consumer(kafka, 'failover-group');
    a.on(a.events.GROUP_JOIN, (e) => assignments.push([...((e.payload.memberAssignment.failover as number[] | undefined) ?? [])].sort()));
    await a.connect();
    await a.subscribe({ topic: 'failover', fromBeginning: true });
    const received: string[] = [];
    await a.run({ eachMessage: async ({ message }) => void received.push(message.value!.toString()) });
    await until(() => assignments.at(-1)?.length === 4, 'the first member to own every partition');

    // A second member joins over the wire with KafkaJS's assignor, takes its share, then goes silent.
    const wire = await WireClient.connect(broker.port);
    cleanups.push(() => { wire.close(); });
    const protocols = [{ name: 'RoundRobinAssigner', metadata: subscription(['failover']), _unknownTaggedFields: undefined }];
    const first = await wire.send(ApiKey.JoinGroup, 5, joinRequest({ groupId: 'failover-group', sessionTimeoutMs: 1500, rebalanceTimeoutMs: 10_000, protocols }));
    expect(first.errorCode).toBe(ErrorCode.MemberIdRequired);
    const joined = await wire.send(ApiKey.JoinGroup, 5, joinRequest({ groupId: 'failover-group', memberId: first.memberId, sessionTimeoutMs: 1500, rebalanceTimeoutMs: 10_000, protocols }));
    expect(joined.errorCode).toBe(0);
    const synced = await wire.send(ApiKey.SyncGroup, 3, { ...defaultSyncGroupRequest(), groupId: 'failover-group', generationId: joined.generationId, memberId: joined.memberId });
    expect(synced.errorCode).toBe(0);
    expect(synced.assignment.length).toBeGreaterThan(0);
    await until(() => assignments.at(-1)?.length === 2, 'the first member to give up half its partitions');
    expect(broker.services.groups.describeGroup('failover-group').members).toHaveLength(2);

    // No heartbeats from the wire member: after its 1.5 s session it is removed and a takes everything back.
    await until(() => assignments.at(-1)?.length === 4, 'the partitions to move back', 8000);
    expect(broker.services.groups.describeGroup('failover-group').members.map((m) => m.memberId)).not.toContain(joined.memberId);
    await produce(kafka, 'failover', 4, 5);
    await until(() => received.length >= 20, 'messages of every partition');
    expect(new Set(received.map((v) => v.split('-')[0]))).toEqual(new Set(['p0', 'p1', 'p2', 'p3']));
  }, 120_000);

  it('committed offsets survive a broker restart on disk', async () => {
    const dir = await tempDir('gregor-groups-restart-');
    cleanups.push(() => dir.remove());
    const dataDir = dir.path;
    let broker = await Broker.start({ port: 0, dataDir, config: { 'group.initial.rebalance.delay.ms': 0 } });
    let kafka = kafkaFor(broker);
    await createTopic(kafka, 'durable', 1);
    await produce(kafka, 'durable', 1, 20);
    const c1 = consumer(kafka, 'durable-group');
    await c1.connect();
    await c1.subscribe({ topic: 'durable', fromBeginning: true });
    let count = 0;
    await c1.run({ autoCommit: false, eachMessage: async () => {
      count++;
    } });
    await until(() => count === 20, 'the first consumer to read');
    await c1.commitOffsets([{ topic: 'durable', partition: 0, offset: '12' }]);
    await c1.disconnect();
    await broker.stop();

    broker = await Broker.start({ port: 0, dataDir, config: { 'group.initial.rebalance.delay.ms': 0 } });
    cleanups.push(() => broker.stop());
    kafka = kafkaFor(broker);
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.fetchOffsets({ groupId: 'durable-group', topics: ['durable'] })).toEqual([
      { topic: 'durable', partitions: [{ partition: 0, offset: '12', metadata: null }] },
    ]);
    await admin.disconnect();
    const c2 = consumer(kafka, 'durable-group');
    await c2.connect();
    await c2.subscribe({ topic: 'durable', fromBeginning: true });
    const resumed: string[] = [];
    await c2.run({ eachMessage: async ({ message }) => void resumed.push(message.value!.toString()) });
    await until(() => resumed.length >= 8, 'the resumed consumer');
    expect(resumed[0]).toBe('p0-12');
    expect(resumed).toHaveLength(8);
  }, 120_000);
});
