/**
 * Transactional produce against idempotent produce (issue 11, "Speed": transactions of 100
 * records of 1 KiB reach at least 50% of non-transactional idempotent throughput).
 *
 * The broker is `node dist/cli/main.js start` with disk storage and Kafka's defaults, a process of
 * its own. Each client that can run transactions and is installed here produces the same records
 * (COUNT of 1 KiB, no key, spread over a 3-partition topic, acks=all, idempotent) twice, into fresh
 * topics: idempotent (no transaction), and transactional (begin, 100 records, commit, one
 * transaction after the other). Each starts up before its clock starts, with one record produced
 * (in a transaction when transactional): the producer id, the transactional id and the topic's
 * metadata are an application's start-up, not its throughput. Rounds are interleaved (client by client, mode after mode) and
 * each figure is the best round.
 *
 * - confluent-kafka (librdkafka 2.x, scripts/bench/txn-produce.py): idempotent queues every
 *   record and flushes, as an application does; transactional commits every 100 records
 *   (commit_transaction flushes and waits for the commit).
 * - KafkaJS: send() of 100 records at a time, one request in flight (what KafkaJS allows for an
 *   idempotent producer); transactional: transaction(), send() of the 100, commit().
 * - @platformatic/kafka: send() of 100 records at a time; transactional: beginTransaction(),
 *   send() of the 100, commit().
 *
 * The headline ratio is that of the client whose idempotent produce is fastest: the load that
 * leaves the broker the least room. Every client's own ratio is listed too.
 *
 * Retry backoff: a transaction begun while the markers of the previous one are still being written
 * is answered CONCURRENT_TRANSACTIONS (AddPartitionsToTxn) by Kafka, and the client retries. Gregor
 * lets the request wait for the markers instead (up to 200 ms), so clients rarely see it; when they
 * do, the Java producer retries after 20 ms, librdkafka after 20 ms, KafkaJS after 300 ms and
 * @platformatic/kafka after 1 s by default, which would make the figure measure the clients'
 * backoff rather than the broker. KafkaJS and @platformatic/kafka get the Java producer's 20 ms
 * here.
 *
 * `npm run bench -- transactions [--quick]`: --quick produces a fifth of the records, one round.
 * GREGOR_BENCH_ROUNDS=N sets the number of rounds (3).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Producer as PltProducer } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { cpuSeconds, report, spawnUntilReady } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const PYTHON = '/usr/bin/python3';
const QUICK = process.argv.includes('--quick') || process.env.GREGOR_BENCH_QUICK === '1';
const ROUNDS = Number(process.env.GREGOR_BENCH_ROUNDS ?? (QUICK ? 1 : 3));
const COUNT = QUICK ? 4_000 : 20_000;
const SIZE = 1024;
const PER_TXN = 100;
const PARTITIONS = 3;
/** The Java producer's backoff for CONCURRENT_TRANSACTIONS on AddPartitionsToTxn. */
const RETRY_BACKOFF_MS = 20;

type Mode = 'idempotent' | 'transactional';

interface LoadClient {
  name: string;
  /** Why it cannot run here, or null. */
  unavailable(): Promise<string | null>;
  /** Produces COUNT records into `topic`; resolves with the wall time in ms. */
  run(bootstrap: string, topic: string, mode: Mode, transactionalId: string): Promise<number>;
}

const value = Buffer.alloc(SIZE, 'x');

const kafkajsClient: LoadClient = {
  name: 'KafkaJS',
  unavailable: async () => null,
  async run(bootstrap, topic, mode, transactionalId) {
    const kafka = new Kafka({ clientId: 'gregor-bench-txn', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: RETRY_BACKOFF_MS } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, ...(mode === 'transactional' ? { transactionalId } : {}) });
    await producer.connect();
    try {
      // Start-up before the clock: the producer id (and transactional id) and the topic's metadata.
      if (mode === 'transactional') {
        const warm = await producer.transaction();
        await warm.send({ topic, messages: [{ partition: 0, value }] });
        await warm.commit();
      } else {
        await producer.send({ topic, acks: -1, messages: [{ partition: 0, value }] });
      }
      const t0 = process.hrtime.bigint();
      for (let start = 0; start < COUNT; start += PER_TXN) {
        const messages = Array.from({ length: Math.min(PER_TXN, COUNT - start) }, (_, i) => ({ partition: (start + i) % PARTITIONS, value }));
        if (mode === 'transactional') {
          const txn = await producer.transaction();
          await txn.send({ topic, messages });
          await txn.commit();
        } else {
          await producer.send({ topic, acks: -1, messages });
        }
      }
      return Number(process.hrtime.bigint() - t0) / 1e6;
    } finally {
      await producer.disconnect();
    }
  },
};

const platformaticClient: LoadClient = {
  name: '@platformatic/kafka',
  unavailable: async () => null,
  async run(bootstrap, topic, mode, transactionalId) {
    const producer = new PltProducer({
      clientId: 'gregor-bench-txn',
      bootstrapBrokers: [bootstrap],
      idempotent: true,
      acks: -1,
      autocreateTopics: false,
      retryDelay: RETRY_BACKOFF_MS,
      ...(mode === 'transactional' ? { transactionalId } : {}),
    });
    try {
      // Initialises the producer id (and the transactional id) with one record before the clock.
      // Not with an empty transaction: this client sends EndTxn even for one, which Kafka refuses
      // (INVALID_TXN_STATE) when nothing was added to it.
      if (mode === 'transactional') {
        const warm = await producer.beginTransaction();
        await warm.send({ messages: [{ topic, partition: 0, value }] });
        await warm.commit();
      } else {
        await producer.send({ messages: [{ topic, partition: 0, value }] });
      }
      const t0 = process.hrtime.bigint();
      for (let start = 0; start < COUNT; start += PER_TXN) {
        const messages = Array.from({ length: Math.min(PER_TXN, COUNT - start) }, (_, i) => ({ topic, partition: (start + i) % PARTITIONS, value }));
        if (mode === 'transactional') {
          const txn = await producer.beginTransaction();
          await txn.send({ messages });
          await txn.commit();
        } else {
          await producer.send({ messages });
        }
      }
      return Number(process.hrtime.bigint() - t0) / 1e6;
    } finally {
      await producer.close();
    }
  },
};

const confluentClient: LoadClient = {
  name: 'confluent-kafka',
  async unavailable() {
    const ok = await new Promise<boolean>((resolve) => {
      const p = spawn(PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore' });
      p.on('error', () => { resolve(false); });
      p.on('exit', (code) => { resolve(code === 0); });
    });
    return ok ? null : `no ${PYTHON} with confluent_kafka (python3-confluent-kafka)`;
  },
  run(bootstrap, topic, mode, transactionalId) {
    return new Promise((resolve, reject) => {
      const args = [join(here, 'txn-produce.py'), bootstrap, topic, String(COUNT), String(SIZE), String(PER_TXN), mode, transactionalId];
      const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) {
          reject(new Error(`txn-produce.py ${mode} exited with ${code}\n${err.slice(-2000)}`));
          return;
        }
        resolve((JSON.parse(out.trim()) as { ms: number }).ms);
      });
    });
  },
};

async function createTopics(bootstrap: string, topics: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'gregor-bench-txn', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => { r(); }));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(os.tmpdir(), 'gregor-txn-bench-'));
  const clients: LoadClient[] = [];
  const skipped: [string, string][] = [];
  for (const c of [confluentClient, kafkajsClient, platformaticClient]) {
    const why = await c.unavailable();
    if (why) skipped.push([c.name, `not run: ${why}`]);
    else clients.push(c);
  }
  const modes: Mode[] = ['idempotent', 'transactional'];
  const topicOf = (c: number, mode: Mode, round: number): string => `txn-bench-c${c}-${mode}-r${round}`;
  const { child, match } = await spawnUntilReady(
    process.execPath,
    [join(root, 'dist', 'cli', 'main.js'), 'start', '--port', '0', '--data-dir', join(dir, 'gregor'), '--log-level', 'warn'],
    /Gregor broker listening on (\S+)/,
    { cwd: root },
  );
  const bootstrap = match[1];
  try {
    const topics: string[] = [];
    for (let r = 0; r < ROUNDS; r++) clients.forEach((_, c) => { for (const m of modes) topics.push(topicOf(c, m, r)); });
    await createTopics(bootstrap, topics);

    const best = new Map<string, { ms: number }>();
    // The broker's CPU seconds over every round of a client and mode: one run is too short for
    // /proc's 10 ms ticks.
    const cpuTotal = new Map<string, number>();
    for (let r = 0; r < ROUNDS; r++) {
      for (const [c, client] of clients.entries()) {
        for (const mode of modes) {
          const cpu0 = cpuSeconds(child.pid!);
          const ms = await client.run(bootstrap, topicOf(c, mode, r), mode, `txn-bench-${c}-${r}`);
          const cpuS = cpuSeconds(child.pid!) - cpu0;
          const key = `${client.name}|${mode}`;
          const prev = best.get(key);
          if (!prev || ms < prev.ms) best.set(key, { ms });
          cpuTotal.set(key, (cpuTotal.get(key) ?? 0) + cpuS);
        }
      }
    }

    const rate = (name: string, mode: Mode): number => COUNT / (best.get(`${name}|${mode}`)!.ms / 1000);
    const rows: [string, string][] = [];
    for (const client of clients) {
      const idem = rate(client.name, 'idempotent');
      const txn = rate(client.name, 'transactional');
      const cpu = (mode: Mode): string => ((cpuTotal.get(`${client.name}|${mode}`) ?? 0) / ((ROUNDS * COUNT * SIZE) / 1e9)).toFixed(1);
      rows.push([
        client.name,
        `idempotent ${int(idem)} rec/s (${int((idem * SIZE) / 1e6)} MB/s, broker ${cpu('idempotent')} CPU s/GB), ` +
          `transactional ${int(txn)} rec/s (${int(txn / PER_TXN)} txn/s, broker ${cpu('transactional')} CPU s/GB): ${((txn / idem) * 100).toFixed(0)}%`,
      ]);
    }
    rows.push(...skipped);
    if (clients.length > 0) {
      const fastest = clients.reduce((a, b) => (rate(b.name, 'idempotent') > rate(a.name, 'idempotent') ? b : a));
      const ratio = rate(fastest.name, 'transactional') / rate(fastest.name, 'idempotent');
      rows.push([
        'transactional / idempotent',
        `${(ratio * 100).toFixed(0)}% with ${fastest.name}, the fastest idempotent producer here (>= 50%: ${ratio >= 0.5 ? 'met' : 'NOT MET'})`,
      ]);
    }
    report(
      `transactions: ${int(COUNT)} records of 1 KiB, ${PER_TXN} per transaction, ${PARTITIONS} partitions, acks=all, best of ${ROUNDS} round${ROUNDS > 1 ? 's' : ''}`,
      rows,
    );
  } finally {
    await stop(child);
    await rm(dir, { recursive: true, force: true });
  }
}
