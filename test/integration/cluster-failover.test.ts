/**
 * A three-broker cluster on etcd (the `gregor` bin as child processes, a real etcd on loopback):
 * - replicas of an RF=3 topic converge byte for byte;
 * - the leader of a partition is killed with SIGKILL, repeatedly, while an idempotent KafkaJS
 *   producer sends with acks=all and min.insync.replicas=2; each time the broker is started again on
 *   its data dir. Every acknowledged record is read back exactly once, the clients find the new
 *   leaders without help, and after the cluster settles every replica holds the same bytes;
 * - Gregor's own producer finds the new leader of a partition whose leader was killed;
 * - a follower frozen with SIGSTOP falls out of the ISR, and on an RF=2 topic with
 *   min.insync.replicas=2 acks=all then fails with NOT_ENOUGH_REPLICAS; after SIGCONT it rejoins and
 *   the same send succeeds.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { kafkaErrorName, readToEnd, until } from '../helpers/kafkajs-txn.js';
import { TestCluster } from '../helpers/test-cluster.js';
import { Producer as GregorProducer } from '../../src/client/producer.js';

const KILL_ROUNDS = 10;
const TOPIC = 'orders';

let cluster: TestCluster;
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  cluster = await TestCluster.start(3);
  kafka = new Kafka({
    brokers: cluster.bootstrap,
    clientId: 'cluster-failover',
    logLevel: process.env.GREGOR_TEST_TRACE ? logLevel.WARN : logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  admin = kafka.admin();
  await admin.connect();
}, 180_000);

afterAll(async () => {
  // Either may be missing when beforeAll failed.
  await (admin as Admin | undefined)?.disconnect();
  await (cluster as TestCluster | undefined)?.stop();
}, 180_000);

interface PartitionInfo {
  partitionId: number;
  leader: number;
  isr: number[];
}

const step = (what: string): void => {
  if (process.env.GREGOR_TEST_TRACE) process.stderr.write(`${new Date().toISOString()} ${what}\n`);
};

async function partitions(topic: string, through: Admin = admin): Promise<PartitionInfo[]> {
  const meta = await through.fetchTopicMetadata({ topics: [topic] });
  return meta.topics[0].partitions.map((p) => ({ partitionId: p.partitionId, leader: p.leader, isr: [...p.isr].sort() }));
}

/** Every partition of the topic led by a live broker with `size` replicas in sync. */
async function settled(topic: string, size: number, through: Admin = admin): Promise<boolean> {
  try {
    const ps = await partitions(topic, through);
    return ps.every((p) => p.leader >= 0 && p.isr.length === size);
  } catch {
    return false;
  }
}

/** The bytes of a partition's segments on one broker, in offset order. */
async function partitionBytes(dataDir: string, topic: string, partition: number): Promise<Buffer> {
  const dir = join(dataDir, `${topic}-${partition}`);
  const logs = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  return Buffer.concat(await Promise.all(logs.map((f) => readFile(join(dir, f)))));
}

describe('a three-broker cluster', () => {
  it(`keeps every acknowledged record through ${KILL_ROUNDS} kill -9s of a partition leader`, async () => {
    await admin.createTopics({
      topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
      waitForLeaders: true,
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked: string[] = [];
    let sent = 0;
    const run = { sending: true };
    let failures = 0;
    const sender = (async () => {
      while (run.sending) {
        const value = `r${sent++}`;
        try {
          await producer.send({ topic: TOPIC, acks: -1, messages: [{ key: value, value }] });
          acked.push(value);
        } catch (err) {
          // Not acknowledged: it may or may not be in the log, at most once (idempotence).
          failures++;
          step(`send of ${value} failed: ${String(err)}`);
        }
      }
    })();
    try {
      for (let round = 0; round < KILL_ROUNDS; round++) {
        const before = acked.length;
        await until(() => acked.length >= before + 20, `acks before round ${round}`, 120_000);
        const victim = (await partitions(TOPIC))[round % 3].leader;
        step(`round ${round}: ${acked.length} acked, killing broker ${victim}`);
        await cluster.broker(victim).kill9();
        await until(async () => (await partitions(TOPIC).catch(() => [])).every((p) => p.leader >= 0 && p.leader !== victim), `a new leader after killing broker ${victim}`, 120_000);
        step(`round ${round}: new leaders elected`);
        const during = acked.length;
        await until(() => acked.length >= during + 20, `acks after killing broker ${victim}`, 120_000);
        step(`round ${round}: acks flow again (${acked.length}); restarting broker ${victim}`);
        await cluster.startBroker(victim);
        await until(() => settled(TOPIC, 3), `broker ${victim} back in every ISR`, 120_000);
        step(`round ${round}: broker ${victim} back in every ISR`);
      }
    } finally {
      run.sending = false;
      await sender;
      await producer.disconnect();
    }

    const seen = (await readToEnd(kafka, admin, [TOPIC], { readUncommitted: true })).map((r) => r.value);
    const counts = new Map<string, number>();
    for (const v of seen) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    expect(acked.filter((v) => !counts.has(v))).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(KILL_ROUNDS * 40);
    process.stdout.write(`cluster failover: ${acked.length} acknowledged, ${failures} failed sends, ${seen.length} read back\n`);

    // Settled: every replica has what its leader has; the logs are the same bytes.
    await until(() => settled(TOPIC, 3), 'every ISR full', 120_000);
    for (const id of [1, 2, 3]) await cluster.broker(id).stop();
    for (let p = 0; p < 3; p++) {
      const [a, b, c] = await Promise.all([1, 2, 3].map((id) => partitionBytes(cluster.dataDir(id), TOPIC, p)));
      expect(a.length).toBeGreaterThan(0);
      expect(b.equals(a)).toBe(true);
      expect(c.equals(a)).toBe(true);
    }
    for (const id of [1, 2, 3]) await cluster.startBroker(id);
    await until(() => settled(TOPIC, 3), 'the cluster back after the comparison', 120_000);
  }, 900_000);

  it("lets Gregor's own producer find the new leader of a partition whose leader was killed", async () => {
    const topic = 'moves';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    await until(() => settled(topic, 3), 'every replica in sync', 120_000);
    const victim = (await partitions(topic))[0].leader;
    const producer = new GregorProducer({ bootstrapServers: cluster.bootstrap.join(','), requestTimeoutMs: 30_000 }, { retries: 100 });
    try {
      await producer.send({ topic, partition: 0, value: Buffer.from('before') });
      await cluster.broker(victim).kill9();
      const sent = await producer.send({ topic, partition: 0, value: Buffer.from('after') });
      expect(sent.offset).toBe(1n);
    } finally {
      await producer.close();
      await cluster.startBroker(victim);
      await until(() => settled(topic, 3), `broker ${victim} back in every ISR`, 120_000);
    }
  }, 300_000);

  it('drops a frozen follower from the ISR, refuses acks=all below min.insync.replicas, and takes it back', async () => {
    const topic = 'pairs';
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 2, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
      waitForLeaders: true,
    });
    await until(() => settled(topic, 2), 'both replicas in sync', 120_000);
    const [p] = await partitions(topic);
    const follower = p.isr.find((id) => id !== p.leader) ?? -1;
    // While the follower is frozen it answers nothing: these clients bootstrap from the other brokers.
    const frozen = cluster.broker(follower).bootstrap;
    const live = new Kafka({ brokers: cluster.bootstrap.filter((b) => b !== frozen), logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 100 } });
    const liveAdmin = live.admin();
    const producer = live.producer();
    await liveAdmin.connect();
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ value: 'before' }] });
      cluster.broker(follower).pause();
      // Its registration lapses (or replica.lag.time.max.ms passes without a fetch from it).
      await until(async () => ((await partitions(topic, liveAdmin).catch(() => [p]))[0].isr.length === 1), 'the frozen follower out of the ISR', 180_000);
      const refused = await producer.send({ topic, acks: -1, messages: [{ value: 'refused' }] }).then(() => null, (err: unknown) => err);
      // KafkaJS wraps the broker's NOT_ENOUGH_REPLICAS (retriable) once its retries are spent; its message is the code's.
      expect(kafkaErrorName(refused) ?? String(refused)).toMatch(/NOT_ENOUGH_REPLICAS|fewer in-sync replicas than required/);
      await producer.send({ topic, acks: 1, messages: [{ value: 'acks=1 still works' }] });
      cluster.broker(follower).resume();
      await until(() => settled(topic, 2, liveAdmin), 'the follower back in the ISR', 180_000);
      await producer.send({ topic, acks: -1, messages: [{ value: 'after' }] });
    } finally {
      cluster.broker(follower).resume();
      await producer.disconnect();
      await liveAdmin.disconnect();
    }
  }, 600_000);
});
