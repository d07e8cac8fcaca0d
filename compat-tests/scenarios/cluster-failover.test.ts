/**
 * A three-broker cluster on etcd under confluent-kafka (librdkafka), the other half of
 * test/integration/cluster-failover.test.ts (KafkaJS):
 *
 * - kill -9 of a partition leader, ten times, each time started again on its data dir and port,
 *   while an idempotent producer (enable.idempotence=true, acks=all; min.insync.replicas=2 on an
 *   RF=3 topic) sends unique values and reports each acknowledgement by its delivery callback. The
 *   producer is never told about the failovers. Read back from the beginning to the end offsets,
 *   every acknowledged value is there exactly once, at the offset it was acknowledged at, and no
 *   value is there twice; once the cluster settles, every replica holds the same bytes.
 * - a consumer group that committed its offsets loses its coordinator's broker (kill -9): the group
 *   goes on at its committed offsets on the coordinator that takes over.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { KafkaClient } from '../../src/client/cluster.js';
import { confluentKafka } from '../clients/index.js';
import { ledWithout, partitions, settled, startCluster, until, type TestCluster } from '../lib/cluster.js';
import { Recorder } from '../lib/results.js';

const KILL_ROUNDS = 10;
const rec = new Recorder('cluster-failover');

let cluster: TestCluster | undefined;
let admin: Admin | undefined;

const trace = (what: string): void => {
  if (process.env.GREGOR_TEST_TRACE) process.stderr.write(`${new Date().toISOString()} ${what}\n`);
};

beforeAll(async () => {
  cluster = await startCluster(3);
  admin = new Kafka({
    brokers: cluster.bootstrap,
    clientId: 'gregor-compat-observer',
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 2000 },
  }).admin();
  await admin.connect();
}, 180_000);

afterAll(async () => {
  await admin?.disconnect();
  await cluster?.stop();
}, 180_000);

const theCluster = (): TestCluster => {
  if (!cluster) throw new Error('the cluster did not start');
  return cluster;
};
const theAdmin = (): Admin => {
  if (!admin) throw new Error('the cluster did not start');
  return admin;
};

async function createReplicatedTopic(topic: string): Promise<void> {
  await theAdmin().createTopics({
    topics: [{ topic, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
    waitForLeaders: true,
  });
  await until(() => settled(theAdmin(), topic, 3), `${topic}: every ISR full`, 120_000);
}

/** The bytes of a partition's segments on one broker, in offset order. */
async function partitionBytes(dataDir: string, topic: string, partition: number): Promise<Buffer> {
  const dir = join(dataDir, `${topic}-${partition}`);
  const logs = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  return Buffer.concat(await Promise.all(logs.map((f) => readFile(join(dir, f)))));
}

/** The driver's idempotent_stream: a confluent-kafka producer process and what its callbacks reported. */
class IdempotentLoad {
  /** value -> "partition:offset" it was acknowledged at. */
  readonly acked = new Map<string, string>();
  readonly ackedTwice: string[] = [];
  readonly failed: string[] = [];
  /** error_cb reports and fatal errors, as the driver printed them. */
  readonly errors: string[] = [];
  done: string | undefined;
  private stderr = '';
  private buffered = '';
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (b: Buffer) => {
      this.buffered += b.toString('utf8');
      const lines = this.buffered.split('\n');
      this.buffered = lines.pop() ?? '';
      for (const line of lines) this.take(line);
    });
    child.stderr.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString('utf8')).slice(-200_000);
    });
    this.exited = new Promise((r) => child.once('exit', () => { r(); }));
  }

  static async start(bootstrap: string, topic: string): Promise<IdempotentLoad> {
    const { python, script } = await confluentKafka.streamCommand();
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    // GREGOR_RDKAFKA_DEBUG (e.g. "eos,msg,protocol") turns on librdkafka's debug contexts, its log
    // teed to GREGOR_RDKAFKA_LOG, for looking into what the producer saw of a failover.
    const debug = process.env.GREGOR_RDKAFKA_DEBUG;
    child.stdin.end(JSON.stringify({ op: 'idempotent_stream', bootstrap, topic, rate: 200, prefix: 'c', ...(debug ? { debug } : {}) }));
    const teeTo = process.env.GREGOR_RDKAFKA_LOG;
    if (teeTo) child.stderr.pipe(createWriteStream(teeTo));
    return new IdempotentLoad(child);
  }

  private take(line: string): void {
    const [kind, ...rest] = line.split(' ');
    if (kind === 'A') {
      const [partition, offset, value] = rest;
      if (this.acked.has(value)) this.ackedTwice.push(value);
      this.acked.set(value, `${partition}:${offset}`);
    } else if (kind === 'E') {
      this.failed.push(rest.join(' '));
    } else if (kind === 'X') {
      this.errors.push(rest.join(' '));
      trace(`confluent-kafka error_cb: ${rest.join(' ')}`);
    } else if (kind === 'DONE') {
      this.done = rest.join(' ');
    } else if (line.trim()) {
      this.errors.push(`unexpected output: ${line}`);
    }
  }

  get fatal(): string[] {
    return [...this.errors.filter((e) => e.split(' ')[1] === 'fatal'), ...this.failed.filter((f) => f.endsWith(' fatal'))];
  }

  /** librdkafka's own log (warnings and errors), distinct lines with their counts. */
  get log(): string {
    const counts = new Map<string, number>();
    for (const l of this.stderr.split('\n')) {
      // "%4|1733612345.123|REQTMOUT|rdkafka#producer-1| [thrd:...]: ..." -> drop the timestamp.
      const key = l.replace(/^(%\d)\|[\d.]+\|/, '$1|').trim();
      if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([l, n]) => `${n} x ${l}`).join('\n');
  }

  /** Waits for `n` more acknowledgements than now, failing early on a fatal error or an exit. */
  async more(n: number, what: string): Promise<void> {
    const target = this.acked.size + n;
    await until(() => {
      if (this.fatal.length > 0) throw new Error(`confluent-kafka reported a fatal error (${what}): ${this.fatal.join('; ')}\n${this.log}`);
      if (this.child.exitCode !== null) throw new Error(`the producer exited (${what})\n${this.log}`);
      return this.acked.size >= target;
    }, what, 120_000);
  }

  /** SIGTERM: the producer stops sending, flushes what it has queued, and exits. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

test(`confluent-kafka idempotent producer: ${KILL_ROUNDS} kill -9s of a partition leader, every acknowledged record once`, () =>
  rec.run('confluent-kafka', `kill -9 of a leader x${KILL_ROUNDS}`, async () => {
    const c = theCluster();
    const a = theAdmin();
    const topic = 'confluent-orders';
    await createReplicatedTopic(topic);
    const bootstrap = c.bootstrap.join(',');
    const load = await IdempotentLoad.start(bootstrap, topic);
    try {
      for (let round = 0; round < KILL_ROUNDS; round++) {
        await load.more(20, `acks before round ${round}`);
        const victim = (await partitions(a, topic))[round % 3].leader;
        trace(`round ${round}: ${load.acked.size} acked, killing broker ${victim}`);
        await c.broker(victim).kill9();
        await until(() => ledWithout(a, topic, victim), `a new leader after killing broker ${victim}`, 120_000);
        await load.more(20, `acks after killing broker ${victim} in round ${round}`);
        trace(`round ${round}: acks flow again (${load.acked.size}); restarting broker ${victim}`);
        await c.startBroker(victim);
        await until(() => settled(a, topic, 3), `broker ${victim} back in every ISR (round ${round})`, 120_000);
      }
    } finally {
      await load.stop();
    }
    trace(`producer done: ${load.done ?? 'no DONE line'}; librdkafka log:\n${load.log}`);
    for (const id of [1, 2, 3]) trace(`broker ${id} log (warn and above, last 20 kB):\n${c.broker(id).log}`);
    expect(load.fatal).toEqual([]);
    expect(load.ackedTwice).toEqual([]);

    // Read back with confluent-kafka from the beginning to the end offsets (nothing is produced now).
    const ps = [0, 1, 2];
    const earliest = await confluentKafka.listOffsets(bootstrap, topic, ps, 'earliest');
    const latest = await confluentKafka.listOffsets(bootstrap, topic, ps, 'latest');
    const stored = ps.reduce((n, p) => n + (latest.get(p) ?? 0) - (earliest.get(p) ?? 0), 0);
    const consumed = await confluentKafka.consume(bootstrap, topic, { count: stored, timeoutMs: 120_000 });
    expect(consumed.length).toBe(stored);
    const at = new Map<string, string[]>();
    for (const m of consumed) {
      const v = m.value?.toString('ascii') ?? '';
      at.set(v, [...(at.get(v) ?? []), `${m.partition}:${m.offset}`]);
    }
    const twice = [...at].filter(([, where]) => where.length > 1);
    expect(twice).toEqual([]);
    const missing = [...load.acked.keys()].filter((v) => !at.has(v));
    expect(missing).toEqual([]);
    const moved = [...load.acked].filter(([v, where]) => at.get(v)?.[0] !== where);
    expect(moved).toEqual([]);
    expect(load.acked.size).toBeGreaterThanOrEqual(KILL_ROUNDS * 40);

    // Settled: every replica has what its leader has, byte for byte.
    await until(() => settled(a, topic, 3), 'every ISR full', 120_000);
    for (const id of [1, 2, 3]) await c.broker(id).stop();
    try {
      for (const p of ps) {
        const [b1, b2, b3] = await Promise.all([1, 2, 3].map((id) => partitionBytes(c.dataDir(id), topic, p)));
        expect(b1.length).toBeGreaterThan(0);
        expect(b2.equals(b1)).toBe(true);
        expect(b3.equals(b1)).toBe(true);
      }
    } finally {
      for (const id of [1, 2, 3]) await c.startBroker(id);
      await until(() => settled(a, topic, 3), 'the cluster back after the comparison', 120_000);
    }
    const summary =
      `${load.acked.size} acknowledged through ${KILL_ROUNDS} kill -9s of a leader (${load.failed.length} reported failed, ` +
      `${load.errors.length} error callbacks), ${stored} stored: each acknowledged value once at its acknowledged offset, ` +
      `no duplicates; replicas identical`;
    process.stdout.write(`cluster failover (confluent-kafka): ${summary}\n`);
    return summary;
  }), 1_200_000);

// Fails today, for the reason docs/architecture.md ("Cluster mode", last paragraph) gives: group
// state lives in the coordinator's own state log on the controller's broker, not in a replicated
// __consumer_offsets topic, so the coordinator that takes over after kill -9 has no committed
// offsets for the group. Remove `.failing` once coordinator state is replicated.
test.failing("a consumer group keeps its committed offsets when its coordinator's broker is killed (confluent-kafka)", () =>
  rec.run('confluent-kafka', 'group survives its coordinator', async () => {
    const c = theCluster();
    const a = theAdmin();
    const topic = 'confluent-ledger';
    const group = 'confluent-ledger-readers';
    await createReplicatedTopic(topic);
    const bootstrap = c.bootstrap.join(',');
    const values = Array.from({ length: 300 }, (_, i) => `g${i}`);
    const produced = await confluentKafka.produce(
      bootstrap,
      topic,
      values.map((v) => ({ key: Buffer.from(v), value: Buffer.from(v), headers: [] })),
      { idempotent: true, acks: -1 },
    );
    expect(produced.acked).toBe(values.length);

    // The group reads 100 and commits them (the driver commits synchronously before it leaves).
    const first = await confluentKafka.consume(bootstrap, topic, { count: 100, group, timeoutMs: 60_000 });
    expect(first.length).toBe(100);
    const committed = new Map<number, number>();
    for (const m of first) committed.set(m.partition, Math.max(committed.get(m.partition) ?? 0, m.offset + 1));
    const fetchCommitted = async (): Promise<Map<number, number>> => {
      const [t] = await a.fetchOffsets({ groupId: group, topics: [topic] });
      return new Map(t.partitions.map((p) => [p.partition, Number(p.offset)]).filter(([, o]) => o >= 0) as [number, number][]);
    };
    const show = (m: Map<number, number>): string => [...m].sort(([x], [y]) => x - y).map(([p, o]) => `${p}:${o}`).join(',');
    expect(show(await fetchCommitted())).toBe(show(committed));

    const client = new KafkaClient({ bootstrapServers: c.bootstrap, clientId: 'gregor-compat-observer' });
    let victim: number;
    try {
      victim = (await client.findCoordinator(group)).nodeId;
    } finally {
      await client.close();
    }
    trace(`group ${group}: coordinator broker ${victim}, committed ${show(committed)}; killing it`);
    await c.broker(victim).kill9();
    try {
      await until(() => ledWithout(a, topic, victim), `new leaders after killing broker ${victim}`, 120_000);
      // The committed offsets, as the coordinator that took over answers them.
      let after = new Map<number, number>();
      await until(async () => {
        after = await fetchCommitted().catch(() => after);
        return show(after) === show(committed);
      }, 'the committed offsets on the new coordinator', 60_000).catch(() => undefined);
      if (show(after) !== show(committed)) {
        throw new Error(`the coordinator that took over has committed offsets ${show(after) || 'none'}, not ${show(committed)}: group state is not replicated yet (SKIPPED.md)`);
      }

      // The group goes on where it committed: the other 200, none of the first 100 again.
      const rest = await confluentKafka.consume(bootstrap, topic, { count: 200, group, timeoutMs: 90_000 });
      const again = rest.filter((m) => first.some((f) => f.partition === m.partition && f.offset === m.offset));
      expect(again.length).toBe(0);
      expect(new Set([...first, ...rest].map((m) => m.value?.toString() ?? '')).size).toBe(300);
    } finally {
      await c.startBroker(victim);
      await until(() => settled(a, topic, 3), `broker ${victim} back in every ISR`, 120_000);
    }
    return `committed ${show(committed)} read back from the new coordinator after kill -9 of broker ${victim}; the group resumed there`;
  }), 600_000);
