/**
 * A producer with the Java producer's behaviour where the console producer relies on it:
 *
 * - Records are appended to per-partition batches (batch.size bytes, linger.ms) and sent to each
 *   partition's leader, several partitions per Produce request and up to max.in.flight requests per
 *   connection.
 * - Idempotent by default with acks=all (as Java since 3.0): an InitProducerId first, then every
 *   batch carries the producer id, epoch and its partition's next sequence number, so a retried
 *   batch is written once.
 * - Retriable failures (a lost connection, a timeout, NOT_LEADER_OR_FOLLOWER, ...) refresh the
 *   metadata and resend the failed batches of a partition in sequence order once nothing of that
 *   partition is in flight; a batch fails for good after `retries` attempts or deliveryTimeoutMs.
 * - Keys choose partitions with Kafka's murmur2; records without a key go to a sticky partition.
 * - `bufferedBytes` and `waitForRoom()` give callers backpressure (buffer.memory).
 */
import { ApiKey, type RequestBodies } from '../protocol/generated/api-table.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { buildRecordBatch, type RecordInput } from '../protocol/records/batch-builder.js';
import { codecFromName, type CompressionCodec } from '../protocol/records/compression/index.js';
import { KafkaClient, type ClientOptions, type TopicMetadata } from './cluster.js';
import { KafkaProtocolError, isRetriable } from './errors.js';
import { StickyPartitioner, partitionForKey } from './partitioner.js';
import { mustGet } from '../util/must-get.js';

export interface ProducerRecord {
  topic: string;
  /** Chosen by the partitioner when absent. */
  partition?: number;
  key?: Buffer | null;
  value: Buffer | null;
  headers?: readonly { key: string; value: Buffer | null }[];
  /** Milliseconds since the epoch; now when absent. */
  timestamp?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks=0. */
  offset: bigint;
  timestamp: number;
}

export interface ProducerOptions {
  /** -1 (all, the default), 1 (leader) or 0 (no answer). */
  acks?: number;
  /** none (default), gzip, snappy, lz4 or zstd. */
  compression?: string;
  /** How long a batch waits for more records (linger.ms). Default 5. */
  lingerMs?: number;
  /** Bytes per batch (batch.size). Default 16384. */
  batchSize?: number;
  /** Requests in flight per connection (max.in.flight.requests.per.connection). Default 5. */
  maxInFlight?: number;
  /** Attempts after the first (retries). Default unlimited within deliveryTimeoutMs. */
  retries?: number;
  /** A record fails once this long has passed since it was sent (delivery.timeout.ms). Default 120000. */
  deliveryTimeoutMs?: number;
  /** How long send() may wait for the topic's metadata (max.block.ms). Default: the client's retryTimeoutMs. */
  maxBlockMs?: number;
  /** Idempotence (enable.idempotence); default true when acks is -1. */
  idempotent?: boolean;
  /** Largest request in bytes (max.request.size). Default 1048576. */
  maxRequestSize?: number;
  /** Bytes buffered before waitForRoom() waits (buffer.memory). Default 33554432. */
  bufferMemory?: number;
  /** Let the broker create unknown topics on Metadata. Default true (as Java). */
  allowAutoTopicCreation?: boolean;
}

interface Deferred {
  resolve: (m: RecordMetadata) => void;
  reject: (e: Error) => void;
  timestamp: number;
}

interface Batch {
  topic: string;
  partition: number;
  records: RecordInput[];
  deferreds: Deferred[];
  bytes: number;
  createdAt: number;
  /** Built bytes (kept across retries so the sequence stays the same). */
  encoded?: Buffer;
  baseSequence: number;
  attempts: number;
  /** Not sent again before this time (retry.backoff.ms after a failed attempt). */
  retryAt: number;
}

interface PartitionState {
  topic: string;
  partition: number;
  queue: Batch[];
  retry: Batch[];
  inFlight: number;
  nextSequence: number;
}

const RECORD_OVERHEAD = 24;

function recordSize(r: ProducerRecord): number {
  let n = RECORD_OVERHEAD + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const h of r.headers ?? []) n += Buffer.byteLength(h.key) + (h.value?.length ?? 0) + 4;
  return n;
}

export class Producer {
  readonly client: KafkaClient;
  private readonly ownsClient: boolean;
  private readonly acks: number;
  private readonly codec: CompressionCodec;
  private readonly lingerMs: number;
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  private readonly retries: number;
  private readonly deliveryTimeoutMs: number;
  private readonly maxBlockMs: number;
  private readonly maxRequestSize: number;
  private readonly bufferMemory: number;
  private readonly allowAutoTopicCreation: boolean;
  private idempotent: boolean;
  private producerId = -1n;
  private producerEpoch = -1;
  private initPromise: Promise<void> | undefined;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly sticky: StickyPartitioner;
  private readonly nodeInFlight = new Map<number, number>();
  private buffered = 0;
  private unacked = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Wakes the sender when the earliest retry's backoff ends. */
  private backoffTimer: NodeJS.Timeout | undefined;
  private flushing = 0;
  private draining = false;
  private drainAgain = false;
  private readonly metadataStale = new Set<string>();
  private readonly topicLookups = new Map<string, Promise<TopicMetadata>>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly roomWaiters: (() => void)[] = [];
  private closed = false;

  constructor(clientOrOptions: KafkaClient | ClientOptions, options: ProducerOptions = {}) {
    this.ownsClient = !(clientOrOptions instanceof KafkaClient);
    this.client = clientOrOptions instanceof KafkaClient ? clientOrOptions : new KafkaClient(clientOrOptions);
    this.acks = options.acks ?? -1;
    if (![-1, 0, 1].includes(this.acks)) throw new Error(`acks must be -1 (all), 0 or 1, got ${this.acks}`);
    const codec = codecFromName(options.compression ?? 'none');
    if (codec === undefined) throw new Error(`unknown compression codec '${options.compression}': use none, gzip, snappy, lz4 or zstd`);
    this.codec = codec;
    this.lingerMs = options.lingerMs ?? 5;
    this.batchSize = Math.max(1, options.batchSize ?? 16_384);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 5);
    this.retries = options.retries ?? Number.MAX_SAFE_INTEGER;
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? 120_000;
    this.maxBlockMs = options.maxBlockMs ?? this.client.retryTimeoutMs;
    this.maxRequestSize = options.maxRequestSize ?? 1_048_576;
    this.bufferMemory = options.bufferMemory ?? 32 * 1024 * 1024;
    this.allowAutoTopicCreation = options.allowAutoTopicCreation ?? true;
    this.idempotent = options.idempotent ?? this.acks === -1;
    if (this.idempotent && this.acks !== -1) throw new Error('idempotence requires acks=all (-1)');
    this.sticky = new StickyPartitioner(this.batchSize);
  }

  /** Bytes of records not yet acknowledged. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Resolves once fewer than buffer.memory bytes are buffered. */
  waitForRoom(): Promise<void> {
    if (this.buffered < this.bufferMemory) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Queues a record; resolves when the broker acknowledged it (at once with acks=0 once sent). */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    if (this.closed) return Promise.reject(new Error('the producer is closed'));
    // Counted from now, so that flush() also waits for records still waiting for their topic's metadata.
    this.unacked++;
    const cached = this.client.cachedTopic(record.topic);
    if (cached && !this.metadataStale.has(record.topic)) return this.append(record, cached);
    return this.topicFor(record.topic).then(
      (topic) => this.append(record, topic),
      (err: unknown) => {
        this.settleUnqueued();
        throw err;
      },
    );
  }

  private settleUnqueued(): void {
    this.unacked--;
    if (this.unacked === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private append(record: ProducerRecord, topic: TopicMetadata): Promise<RecordMetadata> {
    const size = recordSize(record);
    let partition = record.partition;
    if (partition === undefined) {
      const n = topic.partitions.length;
      if (record.key) partition = partitionForKey(record.key, n);
      else {
        const available = topic.partitions.filter((p) => p.leader >= 0).map((p) => p.partition);
        partition = this.sticky.partition(record.topic, available.length > 0 ? available : topic.partitions.map((p) => p.partition), size);
      }
    } else if (!topic.partitions.some((p) => p.partition === partition)) {
      this.settleUnqueued();
      return Promise.reject(new KafkaProtocolError(ErrorCode.UnknownTopicOrPartition, `Partition ${partition} of topic ${record.topic} does not exist`));
    }
    const timestamp = record.timestamp ?? Date.now();
    return new Promise<RecordMetadata>((resolve, reject) => {
      const state = this.partitionState(record.topic, partition);
      let batch = state.queue.at(-1);
      if (!batch || batch.bytes + size > this.batchSize) {
        batch = { topic: record.topic, partition: partition, records: [], deferreds: [], bytes: 0, createdAt: Date.now(), baseSequence: -1, attempts: 0, retryAt: 0 };
        state.queue.push(batch);
      }
      batch.records.push({
        key: record.key ?? null,
        value: record.value,
        headers: (record.headers ?? []).map((h) => ({ key: h.key, value: h.value })),
        timestamp,
      });
      batch.deferreds.push({ resolve, reject, timestamp });
      batch.bytes += size;
      this.buffered += size;
      if (batch.bytes >= this.batchSize || this.lingerMs <= 0 || this.flushing > 0) this.kick();
      else this.armLinger();
    });
  }

  /** Sends everything buffered now and resolves once all of it was acknowledged or failed. */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      this.kick();
      if (this.unacked > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    } finally {
      this.flushing--;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    if (this.ownsClient) await this.client.close();
  }

  private topicFor(name: string): Promise<TopicMetadata> {
    const cached = this.client.cachedTopic(name);
    if (cached && !this.metadataStale.has(name)) return Promise.resolve(cached);
    let pending = this.topicLookups.get(name);
    if (!pending) {
      pending = this.client
        .topicMetadata([name], { allowAutoTopicCreation: this.allowAutoTopicCreation, timeoutMs: this.maxBlockMs })
        .then(
          (topics) => {
            this.metadataStale.delete(name);
            return mustGet(topics, name);
          },
          (err: unknown) => {
            if (err instanceof KafkaProtocolError && (err.code === ErrorCode.UnknownTopicOrPartition || err.code === ErrorCode.LeaderNotAvailable)) {
              throw new KafkaProtocolError(err.code, `Topic ${name} not present in metadata after ${this.maxBlockMs} ms.`);
            }
            throw err;
          },
        )
        .finally(() => this.topicLookups.delete(name));
      this.topicLookups.set(name, pending);
    }
    return pending;
  }

  private partitionState(topic: string, partition: number): PartitionState {
    const key = `${topic}\u0000${partition}`;
    let s = this.partitions.get(key);
    if (!s) {
      s = { topic, partition, queue: [], retry: [], inFlight: 0, nextSequence: 0 };
      this.partitions.set(key, s);
    }
    return s;
  }

  /** Wakes the sender once a retry's backoff has passed (a timer may fire early, so drain re-arms it). */
  private armBackoff(delayMs: number): void {
    if (this.backoffTimer) return;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      this.kick();
    }, Math.max(1, delayMs));
  }

  private armLinger(): void {
    if (this.lingerTimer) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      this.kick();
    }, this.lingerMs);
  }

  /** Runs the sender: builds requests from ready batches while connections have room. */
  /**
   * Runs the sender soon: after the current tick, so that records appended together (for example
   * every send that was waiting for the same metadata) leave in the same batch.
   */
  private kick(): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    void new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .catch(() => undefined)
      .finally(() => {
        this.draining = false;
        if (this.drainAgain) {
          this.drainAgain = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    if (this.idempotent && this.producerId < 0n) {
      try {
        await this.initProducerId();
      } catch (err) {
        this.failAll(err as Error);
        return;
      }
    }
    for (const topic of [...this.metadataStale]) {
      try {
        await this.topicFor(topic);
      } catch {
        // retried by the batches' own attempts below
      }
    }
    let lingering: boolean;
    let nextRetryAt = Infinity;
    for (;;) {
      const now = Date.now();
      lingering = false;
      const byNode = new Map<number, { state: PartitionState; batch: Batch }[]>();
      for (const state of this.partitions.values()) {
        let batch: Batch | undefined;
        if (state.retry.length > 0) {
          if (state.inFlight > 0) continue;
          batch = state.retry.at(0);
          // Still backing off: the timer armed below wakes the sender; other partitions' batches go meanwhile.
          if (batch && batch.retryAt > now) {
            nextRetryAt = Math.min(nextRetryAt, batch.retryAt);
            continue;
          }
        } else {
          if (state.inFlight >= this.maxInFlight) continue;
          const first = state.queue.at(0);
          if (!first) continue;
          const ready = first.bytes >= this.batchSize || state.queue.length > 1 || this.flushing > 0 || now - first.createdAt >= this.lingerMs;
          if (!ready) {
            lingering = true;
            continue;
          }
          batch = first;
        }
        if (!batch) continue;
        if (now - batch.createdAt > this.deliveryTimeoutMs) {
          this.takeBatch(state, batch);
          this.failBatch(
            batch,
            new KafkaProtocolError(
              ErrorCode.RequestTimedOut,
              `Expiring ${batch.records.length} record(s) for ${batch.topic}-${batch.partition}: ${now - batch.createdAt} ms has passed since batch creation`,
            ),
          );
          continue;
        }
        const topic = this.client.cachedTopic(state.topic);
        const leader = topic?.partitions.find((p) => p.partition === state.partition)?.leader ?? -1;
        if (leader < 0) {
          this.metadataStale.add(state.topic);
          continue;
        }
        let list = byNode.get(leader);
        if (!list) byNode.set(leader, (list = []));
        list.push({ state, batch });
      }
      let sent = false;
      for (const [node, items] of byNode) {
        if ((this.nodeInFlight.get(node) ?? 0) >= this.maxInFlight) continue;
        const request: { state: PartitionState; batch: Batch }[] = [];
        let size = 0;
        for (const item of items) {
          const encoded = this.encode(item.state, item.batch);
          if (request.length > 0 && size + encoded.length > this.maxRequestSize) break;
          size += encoded.length;
          request.push(item);
          this.takeBatch(item.state, item.batch);
          item.state.inFlight++;
        }
        this.nodeInFlight.set(node, (this.nodeInFlight.get(node) ?? 0) + 1);
        void this.sendRequest(node, request);
        sent = true;
      }
      if (!sent) break;
    }
    if (lingering) this.armLinger();
    if (nextRetryAt !== Infinity) this.armBackoff(nextRetryAt - Date.now());
  }

  private takeBatch(state: PartitionState, batch: Batch): void {
    if (state.retry[0] === batch) state.retry.shift();
    else if (state.queue[0] === batch) state.queue.shift();
  }

  private encode(state: PartitionState, batch: Batch): Buffer {
    if (batch.encoded) return batch.encoded;
    if (this.idempotent) {
      batch.baseSequence = state.nextSequence;
      state.nextSequence = (state.nextSequence + batch.records.length) & 0x7fffffff;
    }
    batch.encoded = buildRecordBatch(batch.records, {
      compression: this.codec,
      ...(this.idempotent ? { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence: batch.baseSequence } : {}),
    });
    return batch.encoded;
  }

  private async initProducerId(): Promise<void> {
    this.initPromise ??= (async () => {
      const conn = await this.client.retrying(() => this.client.anyConnection());
      if (!conn.supports(ApiKey.InitProducerId)) {
        this.idempotent = false;
        return;
      }
      const { body } = await this.client.retrying(async () => {
        const c = await this.client.anyConnection();
        const r = await c.request(ApiKey.InitProducerId, () => ({
          transactionalId: null,
          transactionTimeoutMs: 2147483647,
          producerId: -1n,
          producerEpoch: -1,
          enable2Pc: false,
          keepPreparedTxn: false,
          _unknownTaggedFields: undefined,
        }));
        if (r.body.errorCode) throw new KafkaProtocolError(r.body.errorCode);
        return r;
      });
      this.producerId = body.producerId;
      this.producerEpoch = body.producerEpoch;
    })();
    try {
      await this.initPromise;
    } catch (err) {
      this.initPromise = undefined;
      throw err;
    }
  }

  private async sendRequest(node: number, items: { state: PartitionState; batch: Batch }[]): Promise<void> {
    const byTopic = new Map<string, { state: PartitionState; batch: Batch }[]>();
    for (const item of items) {
      let list = byTopic.get(item.state.topic);
      if (!list) byTopic.set(item.state.topic, (list = []));
      list.push(item);
    }
    const build = (): RequestBodies[typeof ApiKey.Produce] => ({
      transactionalId: null,
      acks: this.acks,
      timeoutMs: this.client.requestTimeoutMs,
      topicData: [...byTopic].map(([name, list]) => ({
        name,
        topicId: this.client.cachedTopic(name)?.topicId ?? '00000000-0000-0000-0000-000000000000',
        partitionData: list.map(({ state, batch }) => ({ index: state.partition, records: this.encode(state, batch), _unknownTaggedFields: undefined })),
        _unknownTaggedFields: undefined,
      })),
      _unknownTaggedFields: undefined,
    });
    try {
      const conn = await this.client.nodeConnection(node);
      if (this.acks === 0) {
        conn.sendOneWay(ApiKey.Produce, build);
        for (const { state, batch } of items) this.completeBatch(state, batch, -1n);
        return;
      }
      const { body } = await conn.request(ApiKey.Produce, build);
      for (const { state, batch } of items) {
        const t = body.responses.find((r) => r.name === state.topic);
        const p = t?.partitionResponses.find((x) => x.index === state.partition);
        if (!p) {
          this.retryOrFail(state, batch, new KafkaProtocolError(ErrorCode.UnknownServerError, 'no result for the partition in the Produce response'));
        } else if (p.errorCode === 0) {
          this.completeBatch(state, batch, p.baseOffset);
        } else if (p.errorCode === ErrorCode.DuplicateSequenceNumber) {
          this.completeBatch(state, batch, -1n);
        } else {
          this.retryOrFail(state, batch, new KafkaProtocolError(p.errorCode, p.errorMessage));
        }
      }
    } catch (err) {
      for (const { state, batch } of items) this.retryOrFail(state, batch, err as Error);
    } finally {
      this.nodeInFlight.set(node, (this.nodeInFlight.get(node) ?? 1) - 1);
      this.kick();
    }
  }

  private completeBatch(state: PartitionState, batch: Batch, baseOffset: bigint): void {
    state.inFlight--;
    batch.deferreds.forEach((d, i) => { d.resolve({ topic: batch.topic, partition: batch.partition, offset: baseOffset < 0n ? -1n : baseOffset + BigInt(i), timestamp: d.timestamp }); },
    );
    this.release(batch);
  }

  private retryOrFail(state: PartitionState, batch: Batch, err: Error): void {
    state.inFlight--;
    const outOfOrder = err instanceof KafkaProtocolError && err.code === ErrorCode.OutOfOrderSequenceNumber && state.retry.length > 0;
    const retriable = outOfOrder || isRetriable(err);
    if (retriable && !outOfOrder) batch.attempts++;
    if (retriable && batch.attempts <= this.retries && Date.now() - batch.createdAt <= this.deliveryTimeoutMs) {
      this.metadataStale.add(batch.topic);
      batch.retryAt = Date.now() + this.client.retryBackoffMs;
      state.retry.push(batch);
      state.retry.sort((a, b) => a.baseSequence - b.baseSequence);
      // The sender (kicked when this request ends) arms the backoff's timer.
      return;
    }
    this.failBatch(batch, err);
  }

  private failBatch(batch: Batch, err: Error): void {
    for (const d of batch.deferreds) d.reject(err);
    this.release(batch);
  }

  private failAll(err: Error): void {
    for (const state of this.partitions.values()) {
      for (const batch of [...state.retry.splice(0), ...state.queue.splice(0)]) this.failBatch(batch, err);
    }
  }

  private release(batch: Batch): void {
    this.buffered -= batch.bytes;
    this.unacked -= batch.records.length;
    if (this.buffered < this.bufferMemory) for (const w of this.roomWaiters.splice(0)) w();
    if (this.unacked === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
