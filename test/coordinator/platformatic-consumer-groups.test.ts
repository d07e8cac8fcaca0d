/**
 * Consumer groups with @platformatic/kafka, which speaks only the flexible versions (FindCoordinator
 * v4+ batched, JoinGroup v6-9, SyncGroup v4-5, Heartbeat v4, OffsetCommit/OffsetFetch v8-9,
 * ListGroups/DescribeGroups/DeleteGroups flexible): a group reads and commits, a new member resumes
 * after the commit, and the admin client sees and deletes the group.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Admin, Consumer, Producer, stringSerializers, type Message } from '@platformatic/kafka';
import type { Broker } from '../../src/broker.js';
import { startBroker } from '../helpers/kafka.js';

// The typings give close(true) the void result of close(force, callback); without a callback it
// returns a promise, which this overload says.
const forceClose = (c: { close(force?: boolean): Promise<void> }): Promise<void> => c.close(true);

let broker: Broker;
beforeAll(async () => {
  broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  await broker.services.metadata.createTopic({ name: 'plat', numPartitions: 2, replicationFactor: -1, configs: new Map(), validateOnly: false });
  const producer = new Producer({ clientId: 'p', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers });
  await producer.send({ messages: Array.from({ length: 20 }, (_, i) => ({ topic: 'plat', partition: i % 2, value: `m${i}` })) });
  await producer.close();
});
afterAll(async () => {
  await broker.stop();
});

/** Reads `count` messages in group `groupId`, commits the next offset of each partition read at `commitUpTo`, closes. */
async function readAndCommit(groupId: string, count: number, commitUpTo?: number): Promise<Message[]> {
  const consumer = new Consumer({ clientId: 'c', groupId, bootstrapBrokers: [broker.bootstrap], sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTime: 100, retries: 3 });
  try {
    const stream = await consumer.consume({ topics: ['plat'], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    const got: Message[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`only ${got.length} of ${count} messages`)); }, 10_000);
      stream.on('error', reject);
      stream.on('data', (m: Message) => {
        got.push(m);
        if (got.length === count) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    if (commitUpTo !== undefined) {
      await consumer.commit({ offsets: [0, 1].map((partition) => ({ topic: 'plat', partition, offset: BigInt(commitUpTo), leaderEpoch: -1 })) });
    }
    await stream.close();
    return got;
  } finally {
    await forceClose(consumer);
  }
}

describe('@platformatic/kafka consumer groups', () => {
  it('a member resumes after the committed offsets; the admin client lists, describes and deletes the group', async () => {
    await readAndCommit('plat-group', 20, 6);
    const rest = await readAndCommit('plat-group', 8);
    expect(rest.map((m) => `${m.partition}:${m.offset}`).sort()).toEqual(['0:6', '0:7', '0:8', '0:9', '1:6', '1:7', '1:8', '1:9']);

    const admin = new Admin({ clientId: 'a', bootstrapBrokers: [broker.bootstrap] });
    try {
      const listed = await admin.listGroups();
      expect(listed.get('plat-group')).toMatchObject({ id: 'plat-group', state: 'EMPTY', protocolType: 'consumer' });
      const described = await admin.describeGroups({ groups: ['plat-group'] });
      expect(described.get('plat-group')).toMatchObject({ id: 'plat-group', state: 'EMPTY', protocolType: 'consumer' });
      await admin.deleteGroups({ groups: ['plat-group'] });
      expect((await admin.listGroups()).has('plat-group')).toBe(false);
    } finally {
      await admin.close();
    }
  }, 30_000);
});
