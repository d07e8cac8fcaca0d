/**
 * What the transaction tests need from KafkaJS beyond the plain client: reading topics back to a
 * known end under either isolation level, and the Kafka error a KafkaJS failure carries.
 *
 * A read under read_committed cannot tell "nothing more will come" from "the rest is held back by
 * an open transaction" by itself, so reads end on sentinels: one non-transactional record appended
 * to every partition after the records under test. Partitions are read in offset order, so once a
 * partition's sentinel arrived everything before it (committed, aborted or held back) has either
 * been delivered or been filtered out for good.
 */
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

export interface Seen {
  topic: string;
  partition: number;
  offset: bigint;
  key: string | null;
  value: string;
}

export const SENTINEL = '__end__';

let groups = 0;

/** A consumer group id no other read in this process uses. */
export function freshGroup(prefix = 'read'): string {
  return `${prefix}-${process.pid}-${++groups}`;
}

function seen(topic: string, partition: number, m: KafkaMessage): Seen {
  return { topic, partition, offset: BigInt(m.offset), key: m.key?.toString('utf8') ?? null, value: m.value?.toString('utf8') ?? '' };
}

/**
 * Consumes `topics` from the beginning in a fresh group until `done` holds for what arrived (or
 * fails after `timeoutMs`); returns everything that arrived, in arrival order.
 */
export async function consumeUntil(
  kafka: Kafka,
  topics: string[],
  options: { readUncommitted: boolean; done: (seen: readonly Seen[]) => boolean; timeoutMs?: number; groupId?: string },
): Promise<Seen[]> {
  const consumer = kafka.consumer({ groupId: options.groupId ?? freshGroup(), readUncommitted: options.readUncommitted, maxWaitTimeInMs: 100 });
  const got: Seen[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out after ${options.timeoutMs ?? 60_000} ms; got ${got.length} records: ${JSON.stringify(got.map((s) => `${s.topic}/${s.partition}@${s.offset}=${s.value}`))}`));
      }, options.timeoutMs ?? 60_000);
      const check = (): void => {
        if (options.done(got)) {
          clearTimeout(timer);
          resolve();
        }
      };
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            got.push(seen(topic, partition, message));
            check();
          },
        })
        .catch((err: unknown) => {
          clearTimeout(timer);
          reject(err);
        });
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/**
 * Appends a sentinel to every partition of `topics` (a plain, non-transactional producer) and reads
 * the topics from the beginning until every sentinel arrived; returns the records before them.
 */
export async function readToEnd(kafka: Kafka, admin: Admin, topics: string[], options: { readUncommitted: boolean }): Promise<Seen[]> {
  const partitions: string[] = [];
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (const topic of topics) {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      for (const p of meta.topics[0].partitions) {
        partitions.push(`${topic}/${p.partitionId}`);
        await producer.send({ topic, acks: -1, messages: [{ partition: p.partitionId, value: SENTINEL }] });
      }
    }
  } finally {
    await producer.disconnect();
  }
  const ended = (got: readonly Seen[]): boolean => {
    const at = new Set(got.filter((s) => s.value === SENTINEL).map((s) => `${s.topic}/${s.partition}`));
    return partitions.every((p) => at.has(p));
  };
  const got = await consumeUntil(kafka, topics, { readUncommitted: options.readUncommitted, done: ended });
  return got.filter((s) => s.value !== SENTINEL);
}

/** Values of `records`, sorted: what a test compares when order across partitions does not matter. */
export const values = (records: readonly Seen[]): string[] => records.map((r) => r.value).sort();

interface ErrorLike {
  type?: unknown;
  code?: unknown;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown;
}

/**
 * The Kafka error name a KafkaJS failure carries, looking through its wrappers (retries exceeded,
 * aggregate errors of a batch send). KafkaJS 2.x has no name for PRODUCER_FENCED (90, added by
 * KIP-588 after it), which it reports as an unknown code; it is named here.
 */
export function kafkaErrorName(err: unknown): string | undefined {
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift() as ErrorLike | null | undefined;
    if (e === null || e === undefined || typeof e !== 'object') continue;
    if (e.code === 90) return 'PRODUCER_FENCED';
    if (typeof e.type === 'string' && e.type !== 'KAFKAJS_UNKNOWN_ERROR_CODE') return e.type;
    queue.push(e.cause, e.originalError);
    if (Array.isArray(e.errors)) queue.push(...(e.errors as unknown[]));
  }
  return undefined;
}

/** Resolves with the error `promise` rejects with; fails when it resolves. */
export async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure, but it succeeded');
    },
    (err: unknown) => err,
  );
}

/** Waits until `check` holds, asking every 20 ms; fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
