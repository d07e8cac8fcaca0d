/**
 * The KIP-848 consumer protocol with @platformatic/kafka 1.35 (groupProtocol: 'consumer', which
 * speaks ConsumerGroupHeartbeat v1 and OffsetCommit/OffsetFetch v9 with member epochs): two members
 * split a 6-partition topic and together read every message once; committed offsets are where a
 * later member resumes; a member that leaves hands its partitions over.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Consumer, Producer, stringSerializers, type Message } from '@platformatic/kafka';
import type { Broker } from '../../src/broker.js';
import { startBroker } from '../helpers/kafka.js';

// The typings give close(true) the void result of close(force, callback); without a callback it
// returns a promise, which this overload says.
const forceClose = (c: { close(force?: boolean): Promise<void> }): Promise<void> => c.close(true);

let broker: Broker;
let producer: Producer<string, string, string, string>;
beforeAll(async () => {
  broker = await startBroker({ config: { 'group.consumer.heartbeat.interval.ms': 100, 'group.consumer.session.timeout.ms': 3000 } });
  for (const name of ['kip848', 'kip848-resume']) await broker.services.metadata.createTopic({ name, numPartitions: 6, replicationFactor: -1, configs: new Map(), validateOnly: false });
  producer = new Producer({ clientId: 'p', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers });
});
afterAll(async () => {
  await producer.close();
  await broker.stop();
});

type Msg = Message;

function newConsumer(groupId: string): Consumer {
  const c: Consumer = new Consumer({ clientId: 'c', groupId, groupProtocol: 'consumer', bootstrapBrokers: [broker.bootstrap], maxWaitTime: 50, retries: 3 });
  // Heartbeats racing a close report "Client is closed": not what these tests look at.
  c.on('error', () => undefined);
  return c;
}

function assigned(c: Consumer): number[] {
  return (c.assignments ?? []).flatMap((a) => a.partitions).sort((x, y) => x - y);
}

async function until(check: () => boolean, what: string, ms = 45_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function produce(from: number, to: number, topic = 'kip848'): Promise<void> {
  await producer.send({ messages: Array.from({ length: to - from }, (_, i) => ({ topic, partition: (from + i) % 6, value: `m${from + i}` })) });
}

describe('@platformatic/kafka with the consumer group protocol', () => {
  it('two members split the partitions and together receive every message exactly once; a leaving member hands its partitions over', async () => {
    const a = newConsumer('split');
    const b = newConsumer('split');
    const got: string[] = [];
    const collect = (m: Msg) => got.push(m.value.toString());
    try {
      const sa = await a.consume({ topics: ['kip848'], mode: 'latest', autocommit: false });
      sa.on('data', collect);
      const sb = await b.consume({ topics: ['kip848'], mode: 'latest', autocommit: false });
      sb.on('data', collect);
      await until(() => assigned(a).length === 3 && assigned(b).length === 3, 'a 3/3 split');
      expect([...assigned(a), ...assigned(b)].sort()).toEqual([0, 1, 2, 3, 4, 5]);
      const d = broker.services.groups.consumerGroupDescribe(['split'])[0];
      expect(d).toMatchObject({ groupState: 'Stable', assignorName: 'uniform' });
      expect(d.members).toHaveLength(2);
      await new Promise((r) => setTimeout(r, 200));
      await produce(0, 60);
      await until(() => got.length >= 60, '60 messages');
      await new Promise((r) => setTimeout(r, 200));
      expect(got.sort()).toEqual(Array.from({ length: 60 }, (_, i) => `m${i}`).sort());

      // b leaves (memberEpoch -1): a takes over its partitions.
      await sb.close();
      await forceClose(b);
      await until(() => assigned(a).length === 6, 'a to own all 6 partitions');
      got.length = 0;
      await produce(200, 206);
      // (a may re-read b's uncommitted messages of partitions 3-5: only the new ones are checked.)
      const fresh = () => got.filter((v) => Number(v.slice(1)) >= 200).sort();
      await until(() => fresh().length >= 6, 'the messages after the handover');
      expect(fresh()).toEqual(['m200', 'm201', 'm202', 'm203', 'm204', 'm205']);
      await sa.close();
    } finally {
      await forceClose(a);
      await forceClose(b);
    }
  }, 120_000);

  it('a new member resumes exactly after the committed offsets', async () => {
    await produce(0, 60, 'kip848-resume');
    const first = newConsumer('resume');
    try {
      const s = await first.consume({ topics: ['kip848-resume'], mode: 'earliest', autocommit: false });
      const seen: Msg[] = [];
      s.on('data', (m: Msg) => seen.push(m));
      await until(() => seen.length >= 60, '60 messages');
      // Commit offset 6 on every partition (with the member epoch, OffsetCommit v9).
      await first.commit({ offsets: [0, 1, 2, 3, 4, 5].map((partition) => ({ topic: 'kip848-resume', partition, offset: 6n, leaderEpoch: -1 })) });
      await s.close();
    } finally {
      await forceClose(first);
    }
    expect(broker.services.groups.consumerGroupDescribe(['resume'])[0]).toMatchObject({ groupState: 'Empty' });

    const second = newConsumer('resume');
    try {
      const s = await second.consume({ topics: ['kip848-resume'], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
      const seen: Msg[] = [];
      s.on('data', (m: Msg) => seen.push(m));
      await until(() => seen.length >= 24, '24 messages');
      await new Promise((r) => setTimeout(r, 200));
      expect(seen.map((m) => `${m.partition}:${m.offset}`).sort()).toEqual([0, 1, 2, 3, 4, 5].flatMap((p) => [6, 7, 8, 9].map((o) => `${p}:${o}`)).sort());
      await s.close();
    } finally {
      await forceClose(second);
    }
  }, 120_000);
});
