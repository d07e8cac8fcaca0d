/**
 * Exactly once through broker crashes: a consume-transform-produce loop (KafkaJS: a consumer group
 * reading `eos-in`, a transactional producer writing `eos-out` and committing the group's offsets
 * with sendOffsets, a few records per transaction) runs against the `gregor` bin as a child
 * process, which is killed with SIGKILL at a random point after the loop committed some
 * transactions, round after round, and started again on the same data dir. Each round the
 * application comes back as a restarted one does: new clients, the same transactionalId (fencing
 * whatever its previous incarnation left open) and the same group (resuming from the offsets its
 * committed transactions stored). A last round runs without a kill until the group has consumed
 * every input record; then a read_committed consumer of `eos-out` must see every input record
 * transformed exactly once, in input order per partition.
 *
 * The kill points are drawn from a seeded generator; the seed is printed, and GREGOR_EOS_SEED=N
 * runs the same draws again.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { ensureDistBuilt, GregorProcess } from '../helpers/gregor-process.js';
import { readToEnd, until, type Seen } from '../helpers/kafkajs-txn.js';

const ROUNDS = 20;
const PARTITIONS = 2;
/** Input records appended before each crashed round. */
const INPUT_PER_ROUND = 24;
/** Input records per transaction, at most. */
const PER_TXN = 4;
const GROUP = 'eos-loop';
const TRANSACTIONAL_ID = 'eos-loop-tx';
const IN = 'eos-in';
const OUT = 'eos-out';
const SEED = Number(process.env.GREGOR_EOS_SEED ?? Math.floor(Math.random() * 2 ** 31));

/**
 * Kafka's defaults, except: groups form at once, and a consumer's session may be short, so that
 * the member a killed round left in the group expires soon after the restart instead of holding
 * the next round's rebalance for Kafka's 45 s.
 */
const BROKER_CONFIG = { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 1_000 };

/** mulberry32: a small seeded generator, so that a failing run's draws can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function kafkaAt(bootstrap: string): Kafka {
  // Short retries: once the broker is killed the old clients must give up quickly.
  return new Kafka({ clientId: 'eos-crash', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 500 } });
}

interface Loop {
  /** Transactions this incarnation committed. */
  committed: number;
  /** Stops the clients (the broker may be dead); never throws. */
  stop(): Promise<void>;
}

/**
 * One incarnation of the application: initialises its transactional producer first (fencing the
 * previous incarnation and letting the broker finish any transaction it left), then consumes.
 */
async function startLoop(kafka: Kafka): Promise<Loop> {
  const producer: Producer = kafka.producer({ transactionalId: TRANSACTIONAL_ID, idempotent: true, maxInFlightRequests: 1 });
  let stopped = false;
  const consumer: Consumer = kafka.consumer({
    groupId: GROUP,
    readUncommitted: false,
    sessionTimeout: 3_000,
    heartbeatInterval: 300,
    rebalanceTimeout: 10_000,
    maxWaitTimeInMs: 100,
    // KafkaJS restarts a crashed consumer on a timer, even after disconnect(): once stopped, a
    // crash against the killed broker must end it, not start it again.
    retry: { restartOnFailure: () => Promise.resolve(!stopped) },
  });
  const loop: Loop = {
    committed: 0,
    stop: async () => {
      stopped = true;
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
    },
  };
  await producer.connect();
  // KafkaJS initialises a transactional producer with its first transaction; an empty one ends
  // without a request.
  await until(
    async () => {
      try {
        const t = await producer.transaction();
        await t.abort();
        return true;
      } catch {
        return false;
      }
    },
    'the transactional producer to initialise',
  );
  await consumer.connect();
  await consumer.subscribe({ topics: [IN], fromBeginning: true });
  void consumer
    .run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        for (let i = 0; i < batch.messages.length && payload.isRunning() && !payload.isStale(); i += PER_TXN) {
          const chunk = batch.messages.slice(i, i + PER_TXN);
          const last = chunk[chunk.length - 1];
          const txn = await producer.transaction();
          try {
            await txn.send({ topic: OUT, messages: chunk.map((m) => ({ partition: batch.partition, value: `out:${m.value?.toString() ?? ''}` })) });
            await txn.sendOffsets({
              consumerGroupId: GROUP,
              topics: [{ topic: IN, partitions: [{ partition: batch.partition, offset: String(BigInt(last.offset) + 1n) }] }],
            });
            await txn.commit();
          } catch (err) {
            if (txn.isActive()) await txn.abort().catch(() => undefined);
            throw err;
          }
          loop.committed++;
          payload.resolveOffset(last.offset);
          await payload.heartbeat();
        }
      },
    })
    .catch(() => undefined);
  return loop;
}

let dir = '';
let broker: GregorProcess | undefined;

beforeAll(async () => {
  ensureDistBuilt();
  dir = await mkdtemp(join(tmpdir(), 'gregor-eos-crash-'));
});

afterAll(async () => {
  await broker?.kill9();
  await rm(dir, { recursive: true, force: true });
});

describe('a consume-transform-produce loop through kill -9 of the broker', () => {
  it(`produces every input record exactly once (seed ${SEED})`, async () => {
    console.log(`eos-crash: seed ${SEED} (GREGOR_EOS_SEED=${SEED} replays it)`);
    const draw = random(SEED);
    let appended = 0;
    const kills: string[] = [];

    for (let round = 0; round <= ROUNDS; round++) {
      const crash = round < ROUNDS;
      broker = await GregorProcess.start({ dataDir: dir, config: BROKER_CONFIG });
      const kafka = kafkaAt(broker.bootstrap);
      if (round === 0) {
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: IN, numPartitions: PARTITIONS }, { topic: OUT, numPartitions: PARTITIONS }] });
        await admin.disconnect();
      }
      if (crash) {
        const input = kafka.producer();
        await input.connect();
        await input.send({
          topic: IN,
          acks: -1,
          messages: Array.from({ length: INPUT_PER_ROUND }, (_, i) => ({ partition: (appended + i) % PARTITIONS, value: `in-${appended + i}` })),
        });
        await input.disconnect();
        appended += INPUT_PER_ROUND;
      }

      const loop = await startLoop(kafka);
      if (crash) {
        // A random point after some progress: mid-transaction, mid-commit or between two.
        const target = 1 + Math.floor(draw() * 3);
        const delayMs = Math.floor(draw() * 40);
        await until(() => loop.committed >= target, `round ${round}: ${target} committed transactions`, 120_000);
        await new Promise((r) => setTimeout(r, delayMs));
        await broker.kill9();
        kills.push(`${target}+${delayMs}ms`);
        await loop.stop();
        continue;
      }

      // The last round: no kill, until the group's committed offsets reach the end of the input.
      const admin = kafka.admin();
      await admin.connect();
      try {
        const ends = new Map((await admin.fetchTopicOffsets(IN)).map((p) => [p.partition, p.high]));
        await until(async () => {
          const [t] = await admin.fetchOffsets({ groupId: GROUP, topics: [IN] });
          return t.partitions.every((p) => p.offset === ends.get(p.partition));
        }, 'the loop to consume every input record', 120_000);
        await loop.stop();

        const out = await readToEnd(kafka, admin, [OUT], { readUncommitted: false });
        const byPartition = (p: number): string[] =>
          out
            .filter((r: Seen) => r.partition === p)
            .sort((a, b) => (a.offset < b.offset ? -1 : 1))
            .map((r) => r.value);
        for (let p = 0; p < PARTITIONS; p++) {
          const expected = Array.from({ length: appended }, (_, n) => n)
            .filter((n) => n % PARTITIONS === p)
            .map((n) => `out:in-${n}`);
          expect(byPartition(p)).toEqual(expected);
        }
        const everything = await readToEnd(kafka, admin, [OUT], { readUncommitted: true });
        console.log(
          `eos-crash: ${ROUNDS} kills (committed transactions + delay: ${kills.join(', ')}); ` +
            `${appended} input records, ${out.length} committed outputs, ${everything.length - out.length} aborted outputs left in the log`,
        );
      } finally {
        await admin.disconnect();
      }
      await broker.stop();
    }
  }, 900_000);
});
