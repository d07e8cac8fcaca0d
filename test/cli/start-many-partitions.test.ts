/**
 * `gregor start` with thousands of partitions and few file descriptors, as a user runs it: the bin
 * under `--unhandled-rejections=strict` (any unhandled rejection ends the process with code 1) and
 * a shell `ulimit -n`, through creation, produce, a clean shutdown with a producer snapshot per
 * partition, a restart that loads every partition, and a start with too few descriptors.
 *
 * Sized for a busy 2-core machine: 2,000 partitions. The first run's limit (3,000) fits one
 * descriptor per written partition but not a snapshot per partition written all at once; the
 * restart's limit (512) is far below one descriptor per partition; the last run's (160) is met by
 * writing to every partition.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '../../src/client/admin.js';
import { Consumer } from '../../src/client/consumer.js';
import type { KafkaProtocolError } from '../../src/client/errors.js';
import { Producer } from '../../src/client/producer.js';
import { buildCli, removeCli } from './helpers.js';

const PARTITIONS = 2000;
const TOPIC = 'many';

let cli: string;
let dataDir: string;

beforeAll(async () => {
  cli = await buildCli();
  dataDir = mkdtempSync(join(tmpdir(), 'gregor-many-'));
});

/** Brokers still running when a test ends (it failed half way): killed so the next test can take the dir. */
const running = new Set<Running>();
afterEach(async () => {
  for (const broker of running) {
    broker.kill('SIGKILL');
    await broker.exited;
  }
  running.clear();
});

afterAll(() => {
  removeCli();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Running {
  /** Resolves with the bound port once the broker prints its listening line. */
  listening: Promise<number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

/** `gregor start` under `ulimit -n <limit>` and strict unhandled rejections. */
function startBroker(limit: number): Running {
  const command = `ulimit -n ${limit} && exec "${process.execPath}" --unhandled-rejections=strict "${cli}" start --data-dir "${dataDir}" --port 0 --host 127.0.0.1 --log-level warn`;
  const child = spawn('bash', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => { resolve({ code, signal, stdout, stderr }); });
  });
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      const m = /listening on [^ ]+:(\d+)/.exec(stdout);
      if (m) resolve(Number(m[1]));
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    void exited.then((e) => { reject(new Error(`gregor start exited (${e.code ?? e.signal}) before listening: ${e.stderr}`)); });
  });
  // The test may end on the other branch: never leave this one unhandled.
  listening.catch(() => undefined);
  const broker: Running = { listening, exited, kill: (signal) => child.kill(signal) };
  running.add(broker);
  void exited.then(() => running.delete(broker));
  return broker;
}

const all = Array.from({ length: PARTITIONS }, (_, partition) => partition);

async function produceTo(port: number, partitions: readonly number[], value: string): Promise<void> {
  const producer = new Producer({ bootstrapServers: `127.0.0.1:${port}`, requestTimeoutMs: 120_000 }, { lingerMs: 20 });
  try {
    // Idempotent (the default with acks=all): every partition written keeps producer state to snapshot.
    await Promise.all(partitions.map((partition) => producer.send({ topic: TOPIC, partition, value: Buffer.from(`${value}-${partition}`) })));
  } finally {
    await producer.close();
  }
}

describe('gregor start with many partitions', () => {
  it('shuts down cleanly after writing to every partition: exit code 0 and the clean-shutdown marker', async () => {
    const broker = startBroker(3000);
    const port = await broker.listening;
    const admin = new Admin({ bootstrapServers: `127.0.0.1:${port}`, requestTimeoutMs: 120_000 });
    try {
      await admin.createTopics([{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }]);
    } finally {
      await admin.close();
    }
    await produceTo(port, all, 'first');
    broker.kill('SIGTERM');
    const result = await broker.exited;
    expect(result.stderr).not.toMatch(/unhandled|EMFILE/i);
    expect(result.code).toBe(0);
    expect(existsSync(join(dataDir, '.kafka_cleanshutdown'))).toBe(true);
    // Every partition's producer state was written on the way down.
    const snapshots = all.filter((p) => readdirSync(join(dataDir, `${TOPIC}-${p}`)).some((f) => f.endsWith('.snapshot')));
    expect(snapshots).toHaveLength(PARTITIONS);
  }, 600_000);

  it('loads every partition with far fewer descriptors than partitions, serves it, and shuts down cleanly again', async () => {
    const broker = startBroker(512);
    const port = await broker.listening;
    // Written before the restart, read after it.
    const consumer = new Consumer({ bootstrapServers: `127.0.0.1:${port}`, requestTimeoutMs: 120_000 });
    try {
      const ends = await consumer.listOffsets(all.map((partition) => ({ topic: TOPIC, partition, timestamp: -1n })));
      expect(new Set(all.map((p) => ends.get(`${TOPIC}:${p}`)))).toEqual(new Set([1n]));
      consumer.assign([{ topic: TOPIC, partition: PARTITIONS - 1, offset: 'earliest' }]);
      let values: string[] = [];
      while (values.length === 0) values = (await consumer.poll(1000)).map((r) => r.value?.toString('utf8') ?? '');
      expect(values[0]).toBe(`first-${PARTITIONS - 1}`);
    } finally {
      await consumer.close();
    }
    // A few hundred partitions written: each holds a descriptor, and each gets a snapshot on close.
    await produceTo(port, all.slice(0, 300), 'second');
    broker.kill('SIGTERM');
    const result = await broker.exited;
    expect(result.stderr).not.toMatch(/unhandled|EMFILE/i);
    expect(result.code).toBe(0);
    expect(existsSync(join(dataDir, '.kafka_cleanshutdown'))).toBe(true);
  }, 600_000);

  it('explains running out of descriptors: EMFILE, the limit, what is needed and how to raise it', async () => {
    // Loading holds few descriptors, so the limit is met by writing: one per partition written.
    const broker = startBroker(160);
    const port = await broker.listening;
    const producer = new Producer({ bootstrapServers: `127.0.0.1:${port}`, requestTimeoutMs: 120_000 }, { lingerMs: 20, retries: 0 });
    const results = await Promise.allSettled(all.map((partition) => producer.send({ topic: TOPIC, partition, value: Buffer.from('third') })));
    await producer.close();
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as KafkaProtocolError).errorName] : []));
    // The partitions written before the limit was met took their records; the others were refused with Kafka's storage error.
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.length).toBeLessThan(PARTITIONS);
    expect(new Set(failures)).toEqual(new Set(['KAFKA_STORAGE_ERROR']));
    broker.kill('SIGTERM');
    const result = await broker.exited;
    const log = result.stdout;
    expect(log).toMatch(/too many open files \(EMFILE\)/);
    expect(log).toMatch(/soft limit 160, hard limit 160/);
    expect(log).toMatch(/one per partition written or read/);
    expect(log).toMatch(/ulimit -n \d+/);
    expect(log).toMatch(/LimitNOFILE=/);
    expect(result.stderr).not.toMatch(/unhandled/i);
    // Short of descriptors or not, the logs close cleanly.
    expect(result.code).toBe(0);
    expect(existsSync(join(dataDir, '.kafka_cleanshutdown'))).toBe(true);
  }, 600_000);
});
