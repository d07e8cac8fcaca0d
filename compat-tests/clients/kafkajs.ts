/**
 * KafkaJS 2.2.4, in-process, used as an application would: admin for topics, metadata and
 * offsets, a producer, and a consumer group (KafkaJS has no consumer without a group). KafkaJS
 * ships only the gzip codec; snappy, lz4 and zstd need plugin packages the project does not depend
 * on. It speaks only non-flexible versions (Metadata <= 6, Fetch <= 11, Produce <= 7).
 */
import { createRequire } from 'node:module';
import { CompressionTypes, Kafka, logLevel, Partitioners, type IHeaders, type Message } from 'kafkajs';
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

const VERSION = (createRequire(import.meta.url)('kafkajs/package.json') as { version: string }).version;

let clientCounter = 0;

function kafka(bootstrap: string): Kafka {
  return new Kafka({
    clientId: `gregor-compat-kafkajs-${++clientCounter}`,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5000,
    requestTimeout: 30_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
  });
}

/** The Kafka error inside whatever KafkaJS threw (it wraps protocol errors in retry errors). */
function asClientError(err: unknown): ClientError {
  let e = err as { name?: string; type?: string; code?: number; message?: string; cause?: unknown; originalError?: unknown; errors?: unknown[] } | null | undefined;
  const seen = new Set<unknown>();
  while (e && !seen.has(e)) {
    seen.add(e);
    if (e.type && typeof e.code === 'number') {
      return new ClientError('kafkajs', String((err as Partial<Error>).message ?? e.message), e.code, e.type, 'broker');
    }
    const next = e.cause ?? e.originalError ?? (Array.isArray(e.errors) ? e.errors[0] : undefined);
    if (!next) break;
    e = next;
  }
  const top = err as Partial<Error> | null | undefined;
  return new ClientError('kafkajs', top?.message ?? String(err), null, top?.name ?? 'Error', 'unknown');
}

async function guarded<T>(what: string, ms: number, f: () => Promise<T>): Promise<T> {
  try {
    return await withTimeout(f(), ms, `kafkajs ${what}`);
  } catch (err) {
    throw err instanceof ClientError ? err : asClientError(err);
  }
}

function headersOut(hs: Header[]): IHeaders {
  const out: IHeaders = {};
  for (const h of hs) out[h.key] = h.value;
  return out;
}

function headersIn(hs: IHeaders | undefined): Header[] {
  const out: Header[] = [];
  for (const [key, v] of Object.entries(hs ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) {
      if (one !== undefined) out.push({ key, value: Buffer.isBuffer(one) ? one : Buffer.from(one) });
    }
  }
  return out;
}

const CODEC = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP } as const;

export class KafkaJsDriver implements ClientDriver {
  readonly name = 'kafkajs' as const;

  async describe(): Promise<string> {
    return `KafkaJS ${VERSION}`;
  }

  async unsupported(feature: Feature): Promise<string | null> {
    switch (feature.kind) {
      case 'codec':
      case 'consume-codec':
        return feature.codec === 'none' || feature.codec === 'gzip'
          ? null
          : `KafkaJS ships only gzip; ${feature.codec} needs a codec plugin package (kafkajs-snappy, kafkajs-lz4, @kafkajs/zstd), not a dependency here`;
      case 'assign':
        return 'KafkaJS consumers always join a group (no assign())';
      default:
        return null;
    }
  }

  async metadata(bootstrap: string, topics: string[]): Promise<ClusterMetadata> {
    const admin = kafka(bootstrap).admin();
    return guarded('metadata', 30_000, async () => {
      await admin.connect();
      try {
        const cluster = await admin.describeCluster();
        const md = await admin.fetchTopicMetadata(topics.length > 0 ? { topics } : undefined);
        return {
          brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
          clusterId: cluster.clusterId,
          controllerId: cluster.controller ?? -1,
          topics: md.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({ partition: p.partitionId, leader: p.leader })),
          })),
        };
      } finally {
        await admin.disconnect();
      }
    });
  }

  async createTopic(bootstrap: string, topic: NewTopic): Promise<void> {
    const admin = kafka(bootstrap).admin();
    await guarded('createTopics', 30_000, async () => {
      await admin.connect();
      try {
        const created = await admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: topic.name,
              numPartitions: topic.partitions,
              replicationFactor: 1,
              configEntries: Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value })),
            },
          ],
        });
        // KafkaJS answers false (no error) when the topic already exists.
        if (!created) throw new ClientError('kafkajs', `${topic.name} already exists (createTopics returned false)`, 36, 'TOPIC_ALREADY_EXISTS', 'broker');
      } finally {
        await admin.disconnect();
      }
    });
  }

  async deleteTopic(bootstrap: string, name: string): Promise<void> {
    const admin = kafka(bootstrap).admin();
    await guarded('deleteTopics', 30_000, async () => {
      await admin.connect();
      try {
        await admin.deleteTopics({ topics: [name] });
      } finally {
        await admin.disconnect();
      }
    });
  }

  async produce(bootstrap: string, topic: string, messages: OutMessage[], options: ProduceOptions = {}): Promise<ProduceResult> {
    const codec = options.codec ?? 'none';
    if (codec !== 'none' && codec !== 'gzip') throw new Error(`KafkaJS has no ${codec} codec`);
    const producer = kafka(bootstrap).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      idempotent: options.idempotent ?? false,
      // KafkaJS requires a single request in flight for idempotence; it keeps order either way.
      maxInFlightRequests: 1,
    });
    return guarded('produce', options.timeoutMs ?? 60_000, async () => {
      await producer.connect();
      try {
        const out: Message[] = messages.map((m) => ({
          key: m.key,
          value: m.value,
          headers: headersOut(m.headers),
          ...(m.partition !== undefined ? { partition: m.partition } : {}),
          ...(m.timestamp !== undefined ? { timestamp: String(m.timestamp) } : {}),
        }));
        const acks = options.idempotent ? -1 : (options.acks ?? -1);
        const meta = await producer.send({ topic, messages: out, acks, compression: CODEC[codec] });
        return {
          acked: messages.length,
          offsets: meta.map((r) => ({ partition: r.partition, offset: Number(r.baseOffset ?? r.offset ?? -1) })),
        };
      } finally {
        await producer.disconnect();
      }
    });
  }

  async consume(bootstrap: string, topic: string, options: ConsumeOptions): Promise<InMessage[]> {
    const groupId = options.group ?? `gregor-compat-kafkajs-${Date.now()}-${++clientCounter}`;
    const consumer = kafka(bootstrap).consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
      ...(options.maxBytes ? { maxBytesPerPartition: options.maxBytes } : {}),
      ...(options.isolation ? { readUncommitted: options.isolation === 'read_uncommitted' } : {}),
      retry: { retries: 3 },
    });
    const got: InMessage[] = [];
    const timeoutMs = options.timeoutMs ?? 60_000;
    return guarded('consume', timeoutMs + 15_000, async () => {
      let crashed: Error | undefined;
      consumer.on(consumer.events.CRASH, (e) => {
        crashed = e.payload.error;
      });
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        let done!: () => void;
        const finished = new Promise<void>((r) => (done = r));
        await consumer.run({
          // Commit what was read (autoCommit) so a later run of the same group resumes after it.
          autoCommit: true,
          eachMessage: async ({ partition, message }) => {
            if (got.length >= options.count) return;
            got.push({
              partition,
              offset: Number(message.offset),
              timestamp: Number(message.timestamp),
              key: message.key,
              value: message.value,
              headers: headersIn(message.headers),
            });
            if (got.length >= options.count) done();
          },
        });
        const deadline = Date.now() + timeoutMs;
        while (got.length < options.count && Date.now() < deadline && !crashed) {
          await Promise.race([finished, new Promise((r) => setTimeout(r, 100))]);
        }
        if (crashed) throw crashed;
        return got;
      } finally {
        await consumer.disconnect();
      }
    });
  }

  async listOffsets(bootstrap: string, topic: string, partitions: number[], spec: OffsetSpec): Promise<Map<number, number>> {
    const admin = kafka(bootstrap).admin();
    return guarded('listOffsets', 30_000, async () => {
      await admin.connect();
      try {
        const out = new Map<number, number>();
        if (spec === 'earliest' || spec === 'latest') {
          for (const o of await admin.fetchTopicOffsets(topic)) {
            if (partitions.includes(o.partition)) out.set(o.partition, Number(spec === 'earliest' ? o.low : o.high));
          }
        } else {
          for (const o of await admin.fetchTopicOffsetsByTimestamp(topic, spec.timestamp)) {
            if (partitions.includes(o.partition)) out.set(o.partition, Number(o.offset));
          }
        }
        return out;
      } finally {
        await admin.disconnect();
      }
    });
  }

  /** producer.transaction() per step: send, then commit() or abort(). */
  async produceTransactions(bootstrap: string, topic: string, transactionalId: string, steps: TransactionStep[]): Promise<void> {
    const producer = kafka(bootstrap).producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await guarded('transactions', 90_000, async () => {
      await producer.connect();
      try {
        for (const step of steps) {
          const txn = await producer.transaction();
          await txn.send({ topic, messages: step.messages.map(messageOut) });
          if (step.end === 'commit') await txn.commit();
          else await txn.abort();
        }
      } finally {
        await producer.disconnect();
      }
    });
  }

  /**
   * KafkaJS's consume-transform-produce: a consumer group running eachBatch without auto-commit;
   * once `count` records arrived, a transaction sends the transformed records and the group's next
   * offsets (sendOffsets) and ends, inside the batch handler, as KafkaJS's documentation shows.
   */
  async transform(bootstrap: string, request: TransformRequest): Promise<TransformResult> {
    const client = kafka(bootstrap);
    const producer = client.producer({ transactionalId: request.transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    const consumer = client.consumer({ groupId: request.group, readUncommitted: false, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 100 });
    return guarded('transform', 90_000, async () => {
      await producer.connect();
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [request.input], fromBeginning: true });
        const got: { partition: number; offset: string; key: Buffer | null; value: Buffer | null }[] = [];
        let started = false;
        return await new Promise<TransformResult>((resolve, reject) => {
          consumer
            .run({
              autoCommit: false,
              eachBatchAutoResolve: false,
              eachBatch: async ({ batch }) => {
                for (const m of batch.messages) {
                  if (got.length >= request.count) break;
                  got.push({ partition: batch.partition, offset: m.offset, key: m.key, value: m.value });
                }
                if (got.length < request.count || started) return;
                started = true;
                try {
                  const next = new Map<number, number>();
                  for (const m of got) next.set(m.partition, Math.max(next.get(m.partition) ?? 0, Number(m.offset) + 1));
                  const txn = await producer.transaction();
                  await txn.send({
                    topic: request.output,
                    messages: got.map((m) => ({ partition: m.partition, key: m.key, value: Buffer.concat([Buffer.from(request.prefix), m.value ?? Buffer.alloc(0)]) })),
                  });
                  await txn.sendOffsets({
                    consumerGroupId: request.group,
                    topics: [{ topic: request.input, partitions: [...next].map(([partition, offset]) => ({ partition, offset: String(offset) })) }],
                  });
                  if (request.end === 'commit') await txn.commit();
                  else await txn.abort();
                  resolve({ offsets: next });
                } catch (err) {
                  reject(err);
                }
              },
            })
            .catch(reject);
        });
      } finally {
        await consumer.disconnect();
        await producer.disconnect();
      }
    });
  }
}

function messageOut(m: OutMessage): Message {
  return {
    key: m.key,
    value: m.value,
    headers: headersOut(m.headers),
    ...(m.partition !== undefined ? { partition: m.partition } : {}),
    ...(m.timestamp !== undefined ? { timestamp: String(m.timestamp) } : {}),
  };
}
