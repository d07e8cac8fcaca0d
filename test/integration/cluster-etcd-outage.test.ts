/**
 * A three-broker cluster whose etcd goes away (killed, then in a second case frozen with SIGSTOP),
 * as KafkaJS users see it:
 * - produce (acks=all and acks=1) and consume on an existing RF=3 topic keep working: the brokers
 *   keep their last known state while the ISR does not need to change;
 * - CreateTopics, DeleteTopics, CreatePartitions and AlterConfigs answer REQUEST_TIMED_OUT (what
 *   Kafka answers when its controller cannot commit), saying the metadata service is unavailable,
 *   and the broker logs it;
 * - a broker started while etcd is unreachable exits with a message that says so;
 * - once etcd is back on the same data and ports, the cluster recovers on its own: every broker is
 *   registered again, a controller is elected, every partition has a leader and a full ISR, topics
 *   can be created, and everything written during the outage is read back.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { GregorProcess } from '../helpers/gregor-process.js';
import { consumeUntil, kafkaErrorName, until } from '../helpers/kafkajs-txn.js';
import { TestCluster } from '../helpers/test-cluster.js';
import { WireClient } from '../helpers/wire-client.js';

const TOPIC = 'steady';

let cluster: TestCluster;
let kafka: Kafka;
let admin: Admin;
/** Every value acknowledged on TOPIC so far. */
const acked: string[] = [];

const clientOptions = (clientId: string, retries: number): ConstructorParameters<typeof Kafka>[0] => ({
  brokers: cluster.bootstrap,
  clientId,
  logLevel: process.env.GREGOR_TEST_TRACE ? logLevel.WARN : logLevel.NOTHING,
  connectionTimeout: 3000,
  requestTimeout: 60_000,
  retry: { retries, initialRetryTime: 100, maxRetryTime: 2000 },
});

beforeAll(async () => {
  cluster = await TestCluster.start(3);
  kafka = new Kafka(clientOptions('etcd-outage', 30));
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
  await until(() => settled(TOPIC), 'the topic fully in sync', 120_000);
  await send('before', -1, 30);
  // Reading once creates the offsets topic, which the consumer groups of the outage need.
  expect(await readAll()).toEqual([...acked].sort());
}, 300_000);

afterAll(async () => {
  await (admin as Admin | undefined)?.disconnect();
  await (cluster as TestCluster | undefined)?.stop();
}, 180_000);

async function settled(topic: string): Promise<boolean> {
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0].partitions.every((p) => p.leader >= 0 && p.isr.length === 3);
  } catch {
    return false;
  }
}

async function send(prefix: string, acks: -1 | 1, count: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < count; i++) {
      const value = `${prefix}-${acks}-${i}`;
      await producer.send({ topic: TOPIC, acks, messages: [{ partition: i % 3, value }] });
      acked.push(value);
    }
  } finally {
    await producer.disconnect();
  }
}

/** A consumer group reads TOPIC from the beginning until every acknowledged value arrived; returns what it got, sorted. */
async function readAll(): Promise<string[]> {
  const want = new Set(acked);
  const got = await consumeUntil(kafka, [TOPIC], {
    readUncommitted: false,
    done: (seen) => seen.filter((r) => want.has(r.value)).length >= want.size,
    timeoutMs: 120_000,
  });
  return got.map((r) => r.value).sort();
}

/** What a client gets from each metadata change while etcd is away. */
async function metadataChangesRefused(): Promise<void> {
  const strict = new Kafka(clientOptions('etcd-outage-admin', 0)).admin();
  await strict.connect();
  try {
    const refusals = [
      strict.createTopics({ topics: [{ topic: 'during-outage', numPartitions: 1, replicationFactor: 3 }] }),
      strict.deleteTopics({ topics: [TOPIC] }),
      strict.createPartitions({ topicPartitions: [{ topic: TOPIC, count: 6 }] }),
      strict.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC, configEntries: [{ name: 'retention.ms', value: '1234567' }] }] }),
    ];
    for (const refusal of refusals) {
      const err = await refusal.then(() => null, (e: unknown) => e);
      expect(kafkaErrorName(err) ?? String(err)).toBe('REQUEST_TIMED_OUT');
    }
  } finally {
    await strict.disconnect();
  }
  // The answer's message, which KafkaJS does not show.
  const [, port] = cluster.bootstrap[0].split(':');
  const wire = await WireClient.connect(Number(port));
  try {
    const res = await wire.send(ApiKey.CreateTopics, 5, {
      topics: [{ name: 'during-outage', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [], _unknownTaggedFields: undefined }],
      timeoutMs: 5000,
      validateOnly: false,
      _unknownTaggedFields: undefined,
    });
    expect(res.topics[0].errorCode).toBe(ErrorCode.RequestTimedOut);
    expect(res.topics[0].errorMessage).toMatch(/cluster metadata service \(etcd\) is unavailable/);
  } finally {
    wire.close();
  }
  expect(cluster.broker(1).output + cluster.broker(2).output + cluster.broker(3).output).toMatch(/cluster metadata service \(etcd\) is unavailable/);
  // Nothing was changed behind the refusals.
  const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  expect(meta.topics[0].partitions.length).toBe(3);
}

/** What the brokers must do on their own once etcd is back. */
async function recovered(round: string): Promise<void> {
  await until(async () => {
    const c = await admin.describeCluster().catch(() => null);
    return c !== null && c.brokers.length === 3 && c.controller !== null && c.controller >= 1;
  }, `three brokers registered and a controller after ${round}`, 120_000);
  await until(() => settled(TOPIC), `every partition led and in sync after ${round}`, 120_000).catch(async (e: unknown) => {
    if (process.env.GREGOR_TEST_TRACE) {
      process.stderr.write(`${JSON.stringify((await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0].partitions)}\n`);
      for (const id of [1, 2, 3]) process.stderr.write(`broker ${id}:\n${cluster.broker(id).log}\n${cluster.broker(id).output.split('\n').filter((l) => /"level":[345]0/.test(l)).join('\n')}\n`);
    }
    throw e;
  });
  await until(async () => {
    try {
      await admin.createTopics({ topics: [{ topic: `after-${round}`, numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true });
      return true;
    } catch {
      return false;
    }
  }, `a topic created after ${round}`, 120_000);
  await until(() => settled(`after-${round}`), `the new topic in sync after ${round}`, 120_000);
  await send(`after-${round}`, -1, 6);
  expect(await readAll()).toEqual([...acked].sort());
  for (const id of [1, 2, 3]) {
    if (process.env.GREGOR_TEST_TRACE) process.stderr.write(`broker ${id} after ${round}:\n${cluster.broker(id).log}\n${cluster.broker(id).output.split('\n').filter((l) => /"level":[45]0/.test(l)).join('\n')}\n`);
    expect(cluster.broker(id).alive).toBe(true);
    expect(cluster.broker(id).log + cluster.broker(id).output).not.toMatch(/unhandled|uncaught/i);
  }
}

describe('a three-broker cluster whose etcd goes away', () => {
  it('keeps serving, refuses metadata changes, and recovers when a killed etcd restarts', async () => {
    await cluster.etcd.kill();
    // Past the lease TTL: no keepalive is answered now, the brokers' sessions are lost on their side.
    await send('killed', -1, 30);
    await send('killed', 1, 30);
    expect(await readAll()).toEqual([...acked].sort());
    await metadataChangesRefused();

    // A broker starting now cannot reach etcd: it says so and exits.
    const dir = await mkdtemp(join(tmpdir(), 'gregor-no-etcd-'));
    try {
      const failed = await GregorProcess.start({
        dataDir: dir,
        args: ['--etcd', cluster.etcd.endpoint, '--node-id', '4', '--cluster-id', cluster.clusterId],
      }).then(async (p) => { await p.stop(); return null; }, (e: unknown) => e);
      expect(String(failed)).toMatch(/exited[\s\S]*etcd/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    await send('still-killed', -1, 9);
    await cluster.etcd.restart();
    await recovered('kill');
  }, 900_000);

  it('keeps serving, refuses metadata changes, and recovers when a frozen etcd resumes', async () => {
    await cluster.etcd.pause();
    await send('paused', -1, 30);
    await send('paused', 1, 30);
    expect(await readAll()).toEqual([...acked].sort());
    await metadataChangesRefused();
    cluster.etcd.resume();
    await recovered('pause');
  }, 900_000);
});
