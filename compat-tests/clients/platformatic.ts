/**
 * @platformatic/kafka, in-process, used as an application would: Admin for topics and metadata,
 * Producer (idempotent when asked), Consumer.listOffsets, and two ways to read: consume() with a
 * consumer group, or, for reading without a group, the public Consumer.fetch() from the
 * partition's leader at explicit offsets. It speaks flexible versions only (Metadata >= 9,
 * Fetch >= 12 with topic ids). Its zstd codec uses node:zlib's zstd, which Node 20 lacks.
 * Transactions: Producer.beginTransaction() with a transactionalId, Transaction.send/commit/abort,
 * and addConsumer/addOffset for offsets committed through the transaction.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { Admin, Consumer, FetchIsolationLevels, IS_CONTROL, Producer, type Message, type MessageToProduce } from '@platformatic/kafka';
import { REPO_ROOT } from '../lib/broker.js';
import { withTimeout } from '../lib/process.js';
import {
  ClientError,
  type ClientDriver,
  type ClusterMetadata,
  type ConsumeOptions,
  type Feature,
  type Header,
  type InMessage,
  type NewTopic,
  type OffsetSpec,
  type OutMessage,
  type ProduceOptions,
  type ProduceResult,
  type TransactionStep,
  type TransformRequest,
  type TransformResult,
} from '../lib/types.js';

// The typings give close(true) the void result of close(force, callback); without a callback it
// returns a promise, which this overload says.
const forceClose = (c: { close(force?: boolean): Promise<void> }): Promise<void> => c.close(true);

// The package's exports hide its package.json; read it from node_modules.
const VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', '@platformatic', 'kafka', 'package.json'), 'utf8')) as { version: string }
).version;
let counter = 0;
const clientId = (): string => `gregor-compat-platformatic-${++counter}`;

/**
 * InitProducerId (v3+) carries the producer id and epoch the producer holds (KIP-360); a new
 * producer holds none and sends -1, -1. This client sends its producerId and producerEpoch options,
 * defaulting to 0 and 0, which Kafka reads as a producer holding id 0: once the transactional id
 * has another producer id (its previous run got one), Kafka and Gregor answer PRODUCER_FENCED. A
 * transactional application started again with the same transactional id passes -1 and -1.
 */
const RESTARTED_PRODUCER = { producerId: -1n, producerEpoch: -1 } as const;

const isolationLevel = (isolation: ConsumeOptions['isolation']): { isolationLevel?: number } =>
  isolation === undefined ? {} : { isolationLevel: isolation === 'read_committed' ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED };

function messageOut(topic: string, m: OutMessage): MessageToProduce {
  return {
    topic,
    ...(m.key !== null ? { key: m.key } : {}),
    value: m.value,
    headers: new Map(m.headers.map((h) => [Buffer.from(h.key), h.value])),
    ...(m.partition !== undefined ? { partition: m.partition } : {}),
    ...(m.timestamp !== undefined ? { timestamp: BigInt(m.timestamp) } : {}),
  };
}

interface PltError {
  code?: string;
  apiId?: string;
  apiCode?: number;
  message?: string;
  errors?: unknown[];
  cause?: unknown;
  findBy?: (property: string, value: unknown) => PltError | null;
}

/** The Kafka error inside whatever the client threw (it nests them in MultipleErrors). */
function asClientError(err: unknown): ClientError {
  const e = err as PltError | null | undefined;
  const protocol = typeof e?.findBy === 'function' ? e.findBy('code', 'PLT_KFK_PROTOCOL') : null;
  const found = protocol ?? (e?.apiId ? e : null);
  const message = describeError(err);
  if (found?.apiId) return new ClientError('platformatic', message, found.apiCode ?? null, found.apiId, 'broker');
  return new ClientError('platformatic', message, null, e?.code ?? (err as Partial<Error> | null | undefined)?.name ?? 'Error', 'unknown');
}

function describeError(err: unknown, depth = 0): string {
  const e = err as (PltError & Error) | null | undefined;
  if (!e || depth > 4) return String(err);
  let s = `${e.code ?? e.name}: ${e.message}`;
  if (Array.isArray(e.errors)) s += ` [${e.errors.map((x) => describeError(x, depth + 1)).join('; ')}]`;
  if (e.cause) s += ` (cause: ${describeError(e.cause, depth + 1)})`;
  return s;
}

async function guarded<T>(what: string, ms: number, f: () => Promise<T>): Promise<T> {
  try {
    return await withTimeout(f(), ms, `platformatic ${what}`);
  } catch (err) {
    throw err instanceof ClientError ? err : asClientError(err);
  }
}

const headersIn = (hs: Iterable<[Buffer | string | null, Buffer | string | null]>): Header[] =>
  [...hs].map(([k, v]) => ({
    key: k === null ? '' : k.toString(),
    value: v === null ? Buffer.alloc(0) : Buffer.isBuffer(v) ? v : Buffer.from(v),
  }));

export class PlatformaticDriver implements ClientDriver {
  readonly name = 'platformatic' as const;
  readonly transactionCaveat =
    'a transactional producer started again with the same transactional id needs producerId: -1n, producerEpoch: -1 (the client sends 0 and 0 by default, which Kafka fences)';

  async describe(): Promise<string> {
    return `@platformatic/kafka ${VERSION}`;
  }

  async unsupported(feature: Feature): Promise<string | null> {
    if ((feature.kind === 'codec' || feature.kind === 'consume-codec') && feature.codec === 'zstd' && typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync !== 'function') {
      return `@platformatic/kafka's zstd uses node:zlib zstd, absent in Node ${process.versions.node} (added in 22.15)`;
    }
    return null;
  }

  async metadata(bootstrap: string, topics: string[]): Promise<ClusterMetadata> {
    const admin = new Admin({ clientId: clientId(), bootstrapBrokers: [bootstrap], retries: 2 });
    return guarded('metadata', 30_000, async () => {
      try {
        const md = await admin.metadata({ topics, forceUpdate: true });
        return {
          brokers: [...md.brokers].map(([nodeId, b]) => ({ nodeId, host: b.host, port: b.port })),
          clusterId: md.id,
          controllerId: md.controllerId,
          topics: [...md.topics].map(([name, t]) => ({
            name,
            partitions: t.partitions.map((p, i) => ({ partition: i, leader: p.leader })),
          })),
        };
      } finally {
        await admin.close();
      }
    });
  }

  async createTopic(bootstrap: string, topic: NewTopic): Promise<void> {
    const admin = new Admin({ clientId: clientId(), bootstrapBrokers: [bootstrap], retries: 2 });
    await guarded('createTopics', 30_000, async () => {
      try {
        await admin.createTopics({
          topics: [topic.name],
          partitions: topic.partitions,
          replicas: 1,
          configs: Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value })),
        });
      } finally {
        await admin.close();
      }
    });
  }

  async deleteTopic(bootstrap: string, name: string): Promise<void> {
    const admin = new Admin({ clientId: clientId(), bootstrapBrokers: [bootstrap], retries: 2 });
    await guarded('deleteTopics', 30_000, async () => {
      try {
        await admin.deleteTopics({ topics: [name] });
      } finally {
        await admin.close();
      }
    });
  }

  async produce(bootstrap: string, topic: string, messages: OutMessage[], options: ProduceOptions = {}): Promise<ProduceResult> {
    const producer = new Producer({
      clientId: clientId(),
      bootstrapBrokers: [bootstrap],
      retries: 3,
      idempotent: options.idempotent ?? false,
      acks: options.idempotent ? -1 : (options.acks ?? -1),
      compression: options.codec ?? 'none',
      autocreateTopics: false,
    });
    return guarded('produce', options.timeoutMs ?? 60_000, async () => {
      try {
        const r = await producer.send({ messages: messages.map((m) => messageOut(topic, m)) });
        return {
          acked: messages.length,
          offsets: (r.offsets ?? []).map((o) => ({ partition: o.partition, offset: Number(o.offset) })),
        };
      } finally {
        await producer.close();
      }
    });
  }

  async consume(bootstrap: string, topic: string, options: ConsumeOptions): Promise<InMessage[]> {
    return options.group ? this.consumeGroup(bootstrap, topic, options) : this.consumeAssigned(bootstrap, topic, options);
  }

  /** consume() in a consumer group from the earliest offset, committing what it read. */
  private async consumeGroup(bootstrap: string, topic: string, options: ConsumeOptions): Promise<InMessage[]> {
    const consumer = new Consumer({
      clientId: clientId(),
      groupId: options.group!,
      bootstrapBrokers: [bootstrap],
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTime: 100,
      ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
      ...isolationLevel(options.isolation),
      retries: 3,
    });
    const got: InMessage[] = [];
    const timeoutMs = options.timeoutMs ?? 60_000;
    return guarded('consume (group)', timeoutMs + 15_000, async () => {
      try {
        const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
        const done = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, timeoutMs);
          stream.on('error', (e: unknown) => {
            clearTimeout(timer);
            reject(e);
          });
          stream.on('data', (m: Message) => {
            if (got.length >= options.count) return;
            got.push({
              partition: m.partition,
              offset: Number(m.offset),
              timestamp: Number(m.timestamp),
              // The typings say Buffer; a record without a key or value has null or undefined.
              // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
              key: m.key ?? null,
              // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
              value: m.value ?? null,
              headers: headersIn(m.headers),
            });
            if (got.length >= options.count) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        await done;
        // Commit the next offset of each partition read, as the group's position.
        const next = new Map<number, number>();
        for (const m of got) next.set(m.partition, Math.max(next.get(m.partition) ?? 0, m.offset + 1));
        if (next.size > 0) {
          await consumer.commit({
            offsets: [...next].map(([partition, offset]) => ({ topic, partition, offset: BigInt(offset), leaderEpoch: -1 })),
          });
        }
        await stream.close();
        return got;
      } finally {
        await forceClose(consumer);
      }
    });
  }

  /** Without a group: Consumer.fetch() from each partition's leader, from offset 0 up. */
  private async consumeAssigned(bootstrap: string, topic: string, options: ConsumeOptions): Promise<InMessage[]> {
    const consumer = new Consumer({ clientId: clientId(), groupId: `unused-${clientId()}`, bootstrapBrokers: [bootstrap], retries: 2, ...isolationLevel(options.isolation) });
    const got: InMessage[] = [];
    const timeoutMs = options.timeoutMs ?? 60_000;
    return guarded('fetch', timeoutMs + 15_000, async () => {
      try {
        const md = await consumer.metadata({ topics: [topic], forceUpdate: true });
        const t = md.topics.get(topic);
        if (!t) throw new Error(`no metadata for ${topic}`);
        const next = t.partitions.map(() => 0n);
        const deadline = Date.now() + timeoutMs;
        while (got.length < options.count && Date.now() < deadline) {
          const byLeader = new Map<number, number[]>();
          t.partitions.forEach((p, i) => byLeader.set(p.leader, [...(byLeader.get(p.leader) ?? []), i]));
          let progressed = false;
          for (const [node, partitions] of byLeader) {
            const res = await consumer.fetch({
              node,
              maxWaitTime: 100,
              minBytes: 1,
              maxBytes: 16 * 1024 * 1024,
              topics: [
                {
                  topicId: t.id,
                  partitions: partitions.map((partition) => ({
                    partition,
                    currentLeaderEpoch: -1,
                    fetchOffset: next[partition],
                    lastFetchedEpoch: -1,
                    partitionMaxBytes: options.maxBytes ?? 1024 * 1024,
                  })),
                },
              ],
            });
            for (const rt of res.responses) {
              for (const rp of rt.partitions) {
                if (rp.errorCode !== 0) throw Object.assign(new Error(`fetch ${topic}[${rp.partitionIndex}] error ${rp.errorCode}`), { apiCode: rp.errorCode });
                for (const batch of rp.records ?? []) {
                  // Transaction markers are for the client, not the application (the consume()
                  // stream skips them the same way).
                  const control = (batch.attributes & IS_CONTROL) !== 0;
                  for (const r of control ? [] : batch.records) {
                    const offset = batch.firstOffset + BigInt(r.offsetDelta);
                    if (offset < next[rp.partitionIndex]) continue; // a batch starting below the fetch offset
                    got.push({
                      partition: rp.partitionIndex,
                      offset: Number(offset),
                      timestamp: Number(batch.firstTimestamp + r.timestampDelta),
                      key: r.key,
                      value: r.value,
                      headers: headersIn(r.headers),
                    });
                    next[rp.partitionIndex] = offset + 1n;
                    progressed = true;
                  }
                  const end = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
                  if (end > next[rp.partitionIndex]) next[rp.partitionIndex] = end;
                }
              }
            }
          }
          if (!progressed && got.length >= options.count) break;
        }
        return got;
      } finally {
        await forceClose(consumer);
      }
    });
  }

  async listOffsets(bootstrap: string, topic: string, partitions: number[], spec: OffsetSpec): Promise<Map<number, number>> {
    const consumer = new Consumer({ clientId: clientId(), groupId: `unused-${clientId()}`, bootstrapBrokers: [bootstrap], retries: 2 });
    return guarded('listOffsets', 30_000, async () => {
      try {
        const timestamp = spec === 'earliest' ? -2n : spec === 'latest' ? -1n : BigInt(spec.timestamp);
        const r = await consumer.listOffsets({ topics: [topic], partitions: { [topic]: partitions }, timestamp });
        const offsets = r.get(topic) ?? [];
        return new Map(partitions.map((p) => [p, offsets.at(p) === undefined ? -1 : Number(offsets.at(p))]));
      } finally {
        await forceClose(consumer);
      }
    });
  }

  /** beginTransaction() per step: send, then commit() or abort(). */
  async produceTransactions(bootstrap: string, topic: string, transactionalId: string, steps: TransactionStep[]): Promise<void> {
    const producer = new Producer({ clientId: clientId(), bootstrapBrokers: [bootstrap], transactionalId, idempotent: true, acks: -1, retries: 3, autocreateTopics: false });
    await guarded('transactions', 90_000, async () => {
      try {
        for (const step of steps) {
          const txn = await producer.beginTransaction();
          await txn.send({ messages: step.messages.map((m) => messageOut(topic, m)) });
          if (step.end === 'commit') await txn.commit();
          else await txn.abort();
        }
      } finally {
        await producer.close();
      }
    });
  }

  /**
   * consume() in the group (read_committed, from the committed offsets), then one transaction:
   * send the transformed records, addConsumer(consumer), addOffset(message) for the last record of
   * each partition (the client commits its offset + 1), and commit or abort, while the consumer is
   * still a member of the group (addOffset sends its generation and member id).
   */
  async transform(bootstrap: string, request: TransformRequest): Promise<TransformResult> {
    const consumer = new Consumer({
      clientId: clientId(),
      groupId: request.group,
      bootstrapBrokers: [bootstrap],
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTime: 100,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      retries: 3,
    });
    const producer = new Producer({
      clientId: clientId(),
      bootstrapBrokers: [bootstrap],
      transactionalId: request.transactionalId,
      ...RESTARTED_PRODUCER,
      idempotent: true,
      acks: -1,
      retries: 3,
      autocreateTopics: false,
    });
    return guarded('transform', 90_000, async () => {
      try {
        const stream = await consumer.consume({ topics: [request.input], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
        const got: Message[] = [];
        await new Promise<void>((resolve, reject) => {
          stream.on('error', reject);
          stream.on('data', (m: Message) => {
            if (got.length >= request.count) return;
            got.push(m);
            if (got.length >= request.count) resolve();
          });
        });
        const last = new Map<number, Message>();
        for (const m of got) if ((last.get(m.partition)?.offset ?? -1n) < m.offset) last.set(m.partition, m);
        const txn = await producer.beginTransaction();
        await txn.send({
          messages: got.map((m) => ({
            topic: request.output,
            partition: m.partition,
            // The typings say Buffer; a record without a key or value has null or undefined.
            // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
            ...(m.key ? { key: m.key } : {}),
            // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
            value: Buffer.concat([Buffer.from(request.prefix), m.value ?? Buffer.alloc(0)]),
          })),
        });
        await txn.addConsumer(consumer);
        for (const m of last.values()) await txn.addOffset(m);
        if (request.end === 'commit') await txn.commit();
        else await txn.abort();
        await stream.close();
        return { offsets: new Map([...last].map(([partition, m]) => [partition, Number(m.offset) + 1])) };
      } finally {
        await forceClose(consumer);
        await producer.close();
      }
    });
  }
}
