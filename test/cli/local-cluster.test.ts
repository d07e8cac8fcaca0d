/**
 * `gregor cluster --brokers 3`: etcd and three brokers from one command; a topic with three replicas
 * created and described with the console tools, records through it with KafkaJS, and Ctrl-C stops
 * everything.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';
import { buildCli, removeCli, runCli, startCli, type RunningCli } from './helpers.js';

let cluster: RunningCli;
let bootstrap: string;

beforeAll(async () => {
  await buildCli();
  cluster = startCli(['cluster', '--brokers', '3', '--port', '0', '--memory'], { timeoutMs: 600_000 });
  await cluster.waitFor('Ctrl-C stops the cluster', 'stdout', 180_000);
  bootstrap = /bootstrap servers: (\S+)/.exec(cluster.stdout())?.[1] ?? '';
}, 240_000);

afterAll(async () => {
  cluster.child.kill('SIGINT');
  await cluster.done;
  removeCli();
}, 120_000);

describe('gregor cluster --brokers', () => {
  it('prints etcd and every broker, each at its own address', () => {
    const out = cluster.stdout();
    expect(out).toMatch(/etcd listening on http:\/\/127\.0\.0\.1:\d+/);
    for (const id of [1, 2, 3]) expect(out).toMatch(new RegExp(`broker ${id} listening on 127\\.0\\.0\\.1:\\d+`));
    expect(bootstrap.split(',')).toHaveLength(3);
  });

  it('creates and describes a replicated topic with the console tools, and carries records through it', async () => {
    const created = await runCli(['topics', '--bootstrap-server', bootstrap, '--create', '--topic', 'orders', '--partitions', '3', '--replication-factor', '3']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const described = await runCli(['topics', '--bootstrap-server', bootstrap, '--describe', '--topic', 'orders']);
    expect(described.code).toBe(0);
    const lines = described.stdout.split('\n').filter((l) => l.includes('Partition:'));
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const replicas = /Replicas: (\S+)/.exec(line)?.[1].split(',').map(Number).sort() ?? [];
      const isr = /Isr: (\S+)/.exec(line)?.[1].split(',').map(Number).sort() ?? [];
      expect(replicas).toEqual([1, 2, 3]);
      expect(isr).toEqual([1, 2, 3]);
    }
    const info = await runCli(['cluster', 'describe', '--bootstrap-server', bootstrap, '--format', 'json']);
    expect((JSON.parse(info.stdout) as { brokers: unknown[] }).brokers).toHaveLength(3);

    const kafka = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'local-cluster' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    const seen = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.add(message.value?.toString() ?? '');
            if (seen.size === 30) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(seen.size).toBe(30);
  }, 300_000);
});
