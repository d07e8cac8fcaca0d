/**
 * A consumer: partitions assigned by hand (assign) or by a consumer group (subscribe), read with
 * Fetch from each partition's leader, one fetch in flight per broker, the next one sent while the
 * caller works through the last.
 *
 * - Starting offsets: an explicit offset, the group's committed offset, or else auto.offset.reset
 *   (earliest/latest, via ListOffsets). OFFSET_OUT_OF_RANGE resets the same way.
 * - Record batches v2 and legacy message sets (magic 0/1) are decoded; records before the fetch
 *   offset (a batch is returned whole) and control batches are skipped; with read_committed, the
 *   records of aborted transactions are dropped using the response's abortedTransactions.
 * - With a group: auto-commit every autoCommitIntervalMs and before a rebalance, commit and
 *   LeaveGroup on close. `position` is the next offset to hand out; seek() moves it back, as the
 *   console consumer does for records it fetched but did not print.
 * - Lost connections and leader changes refresh the metadata and carry on.
 */
import { ApiKey } from '../protocol/generated/api-table.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import type { FetchResponsePartitionData } from '../protocol/generated/messages/fetch.js';
import { ZERO_UUID } from '../protocol/reader.js';
import { readControlRecordKey, ControlRecordType, RecordBatchView, TimestampType, forEachBatch } from '../protocol/records/record-batch.js';
import { readLegacyMessages } from '../protocol/records/legacy-message-set.js';
import { KafkaClient, sleep, type ClientOptions } from './cluster.js';
import { KafkaProtocolError } from './errors.js';
import { GroupMember, type GroupOptions, type TopicPartition } from './group.js';
import { mustGet } from '../util/must-get.js';

export type TimestampTypeName = 'CreateTime' | 'LogAppendTime' | 'NoTimestampType';

export interface ConsumerRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  timestampType: TimestampTypeName;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
  leaderEpoch: number;
}

export interface ConsumerOptions extends GroupOptions {
  /** The consumer group for subscribe(); assign() works without one. */
  groupId?: string;
  /** Where to start without a committed offset (auto.offset.reset). Default latest. */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** read_uncommitted (default) or read_committed. */
  isolationLevel?: 'read_uncommitted' | 'read_committed';
  /** enable.auto.commit; default true with a group. */
  enableAutoCommit?: boolean;
  /** auto.commit.interval.ms; default 5000. */
  autoCommitIntervalMs?: number;
  /** fetch.max.wait.ms; default 500. */
  fetchMaxWaitMs?: number;
  /** fetch.min.bytes; default 1. */
  fetchMinBytes?: number;
  /** fetch.max.bytes; default 52428800. */
  fetchMaxBytes?: number;
  /** max.partition.fetch.bytes; default 1048576. */
  maxPartitionFetchBytes?: number;
}

/** Where an assigned partition starts: an offset, or the earliest or latest offset. */
export type StartOffset = bigint | 'earliest' | 'latest';

interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to hand out; null until known. */
  position: bigint | null;
  /** Set by assign/seek or a reset; resolved by ensurePositions. */
  pending: StartOffset | 'committed' | null;
  /** Leader epoch of the last record handed out (committed with the offset). */
  leaderEpoch: number;
  /** Bumped on every seek, so that a fetch answer for an older position is dropped. */
  epoch: number;
}

interface Fetched {
  key: string;
  epoch: number;
  records: ConsumerRecord[];
  nextPosition: bigint;
}

const tpKey = (topic: string, partition: number): string => `${topic}:${partition}`;

export class Consumer {
  readonly client: KafkaClient;
  readonly group: GroupMember | undefined;
  private readonly ownsClient: boolean;
  private subscription: string[] | null = null;
  private readonly assigned = new Map<string, PartitionState>();
  private readonly fetched: Fetched[] = [];
  private readonly fetching = new Set<number>();
  private dataWaiters: (() => void)[] = [];
  private readonly autoOffsetReset: 'earliest' | 'latest' | 'none';
  private readonly isolationLevel: number;
  private readonly autoCommit: boolean;
  private readonly autoCommitIntervalMs: number;
  private nextAutoCommit = 0;
  private readonly fetchMaxWaitMs: number;
  private readonly fetchMinBytes: number;
  private readonly fetchMaxBytes: number;
  private readonly maxPartitionFetchBytes: number;
  private woken = false;
  private closed = false;
  private lastError: Error | undefined;

  constructor(clientOrOptions: KafkaClient | ClientOptions, options: ConsumerOptions = {}) {
    this.ownsClient = !(clientOrOptions instanceof KafkaClient);
    this.client = clientOrOptions instanceof KafkaClient ? clientOrOptions : new KafkaClient(clientOrOptions);
    this.group = options.groupId !== undefined ? new GroupMember(this.client, options.groupId, options) : undefined;
    this.autoOffsetReset = options.autoOffsetReset ?? 'latest';
    this.isolationLevel = options.isolationLevel === 'read_committed' ? 1 : 0;
    this.autoCommit = this.group !== undefined && (options.enableAutoCommit ?? true);
    this.autoCommitIntervalMs = options.autoCommitIntervalMs ?? 5_000;
    this.fetchMaxWaitMs = options.fetchMaxWaitMs ?? 500;
    this.fetchMinBytes = options.fetchMinBytes ?? 1;
    this.fetchMaxBytes = options.fetchMaxBytes ?? 52_428_800;
    this.maxPartitionFetchBytes = options.maxPartitionFetchBytes ?? 1_048_576;
  }

  /** Reads these partitions, without a group. */
  assign(partitions: readonly (TopicPartition & { offset?: StartOffset })[]): void {
    this.subscription = null;
    this.assigned.clear();
    this.fetched.length = 0;
    for (const p of partitions) {
      this.assigned.set(tpKey(p.topic, p.partition), {
        topic: p.topic,
        partition: p.partition,
        position: null,
        pending: p.offset ?? (this.group ? 'committed' : this.autoOffsetReset === 'earliest' ? 'earliest' : 'latest'),
        leaderEpoch: -1,
        epoch: 0,
      });
    }
  }

  /** Reads these topics as a member of the consumer group (groupId is required). */
  subscribe(topics: readonly string[]): void {
    if (!this.group) throw new Error('subscribe() needs a groupId');
    this.subscription = [...topics];
    this.group.needsRejoin = true;
  }

  /** The partitions being read now. */
  assignment(): TopicPartition[] {
    return [...this.assigned.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** Moves the position of an assigned partition. */
  seek(topic: string, partition: number, offset: StartOffset): void {
    const s = this.assigned.get(tpKey(topic, partition));
    if (!s) throw new Error(`partition ${topic}-${partition} is not assigned`);
    s.epoch++;
    if (typeof offset === 'bigint') {
      s.position = offset;
      s.pending = null;
    } else {
      s.position = null;
      s.pending = offset;
    }
    for (let i = this.fetched.length - 1; i >= 0; i--) if (this.fetched[i].key === tpKey(topic, partition)) this.fetched.splice(i, 1);
  }

  /** Next offset per assigned partition (only those known). */
  positions(): Map<string, { topic: string; partition: number; offset: bigint; leaderEpoch: number }> {
    const out = new Map<string, { topic: string; partition: number; offset: bigint; leaderEpoch: number }>();
    for (const [k, s] of this.assigned) {
      if (s.position !== null) out.set(k, { topic: s.topic, partition: s.partition, offset: s.position, leaderEpoch: s.leaderEpoch });
    }
    return out;
  }

  /** True once every assigned partition has a position (and, with subscribe(), the group is joined). */
  get ready(): boolean {
    if (this.group && this.subscription && !this.group.joined) return false;
    for (const s of this.assigned.values()) if (s.position === null) return false;
    return true;
  }

  /** Makes a poll in progress (or the next one) return at once with no records. */
  wakeup(): void {
    this.woken = true;
    for (const w of this.dataWaiters.splice(0)) w();
  }

  /**
   * Records fetched since the last call, waiting up to timeoutMs for some. Returns [] on timeout
   * or wakeup(). Throws errors that retrying cannot fix (an unknown topic, a refused offset reset).
   */
  async poll(timeoutMs: number): Promise<ConsumerRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.closed) return [];
      if (this.woken) {
        this.woken = false;
        return [];
      }
      if (this.lastError) {
        const err = this.lastError;
        this.lastError = undefined;
        throw err;
      }
      if (this.group && this.subscription && !this.group.joined) await this.rejoin(this.group, this.subscription);
      // wakeup() may have run while this awaited (the compiler's narrowing does not see it).
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (this.woken) continue;
      await this.ensurePositions();
      if (this.autoCommit && Date.now() >= this.nextAutoCommit) {
        this.nextAutoCommit = Date.now() + this.autoCommitIntervalMs;
        await this.commit().catch(() => undefined);
      }
      for (let f = this.fetched.shift(); f !== undefined; f = this.fetched.shift()) {
        const s = this.assigned.get(f.key);
        if (!s || s.epoch !== f.epoch || s.position === null) continue;
        s.position = f.nextPosition;
        const last = f.records.at(-1);
        if (last) s.leaderEpoch = last.leaderEpoch;
        if (f.records.length > 0) return f.records;
      }
      this.startFetches();
      const remaining = deadline - Date.now();
      if (remaining <= 0) return [];
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(remaining, 1000));
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.dataWaiters.push(done);
      });
    }
  }

  /** Commits the current positions (group only). */
  async commit(): Promise<void> {
    if (!this.group || !this.group.joined) return;
    await this.group.commit(this.positions());
  }

  /** Commits (with auto-commit), leaves the group and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.wakeup();
    if (this.group) {
      if (this.autoCommit) await this.commit().catch(() => undefined);
      await this.group.leave();
    }
    this.closed = true;
    if (this.ownsClient) await this.client.close();
  }

  private async rejoin(group: GroupMember, subscription: readonly string[]): Promise<void> {
    if (this.autoCommit && group.generationId >= 0) await this.commit().catch(() => undefined);
    await this.client.topicMetadata(this.subscription ?? subscription).catch(() => undefined);
    const partitions = await group.join(this.subscription ?? subscription, async (topics) => {
      const md = await this.client.metadata(topics);
      return new Map([...md.topics.values()].filter((t) => t.errorCode === 0).map((t) => [t.name, t.partitions.length]));
    });
    const previous = new Map(this.assigned);
    this.assigned.clear();
    this.fetched.length = 0;
    for (const tp of partitions) {
      const old = previous.get(tpKey(tp.topic, tp.partition));
      this.assigned.set(tpKey(tp.topic, tp.partition), {
        topic: tp.topic,
        partition: tp.partition,
        position: null,
        pending: 'committed',
        leaderEpoch: -1,
        epoch: (old?.epoch ?? 0) + 1,
      });
    }
    this.nextAutoCommit = Date.now() + this.autoCommitIntervalMs;
  }

  /** Resolves pending positions: committed offsets first (group), then earliest/latest. */
  private async ensurePositions(): Promise<void> {
    const needCommitted = [...this.assigned.values()].filter((s) => s.pending === 'committed');
    if (needCommitted.length > 0 && this.group) {
      const committed = await this.group.fetchOffsets(needCommitted);
      for (const s of needCommitted) {
        const c = committed.get(tpKey(s.topic, s.partition));
        if (c && c.offset >= 0n) {
          s.position = c.offset;
          s.leaderEpoch = c.leaderEpoch;
          s.pending = null;
        } else if (this.autoOffsetReset === 'none') {
          throw new KafkaProtocolError(ErrorCode.OffsetOutOfRange, `No committed offset for partition ${s.topic}-${s.partition} and auto.offset.reset is none`);
        } else {
          s.pending = this.autoOffsetReset;
        }
      }
    }
    const toReset = [...this.assigned.values()].filter((s) => s.pending === 'earliest' || s.pending === 'latest' || typeof s.pending === 'bigint');
    for (const s of toReset) {
      if (typeof s.pending === 'bigint') {
        s.position = s.pending;
        s.pending = null;
      }
    }
    const lookups = toReset.filter((s) => s.pending === 'earliest' || s.pending === 'latest');
    if (lookups.length === 0) return;
    const offsets = await this.listOffsets(lookups.map((s) => ({ topic: s.topic, partition: s.partition, timestamp: s.pending === 'earliest' ? -2n : -1n })));
    for (const s of lookups) {
      const o = offsets.get(tpKey(s.topic, s.partition));
      if (o !== undefined) {
        s.position = o;
        s.pending = null;
      }
    }
  }

  /**
   * Offsets by timestamp (-2 earliest, -1 latest) from each partition's leader; partitions with a
   * retriable error are left out (asked again on the next poll).
   */
  async listOffsets(requests: readonly { topic: string; partition: number; timestamp: bigint }[]): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    const topics = await this.client.topicMetadata([...new Set(requests.map((r) => r.topic))]);
    const byNode = new Map<number, { topic: string; partition: number; timestamp: bigint }[]>();
    for (const r of requests) {
      const leader = topics.get(r.topic)?.partitions.find((p) => p.partition === r.partition)?.leader ?? -1;
      if (leader < 0) continue;
      let list = byNode.get(leader);
      if (!list) byNode.set(leader, (list = []));
      list.push(r);
    }
    for (const [node, list] of byNode) {
      const byTopic = new Map<string, { partition: number; timestamp: bigint }[]>();
      for (const r of list) {
        let l = byTopic.get(r.topic);
        if (!l) byTopic.set(r.topic, (l = []));
        l.push(r);
      }
      try {
        const conn = await this.client.nodeConnection(node);
        const { version, body } = await conn.request(ApiKey.ListOffsets, () => ({
          replicaId: -1,
          isolationLevel: this.isolationLevel,
          topics: [...byTopic].map(([name, ps]) => ({
            name,
            partitions: ps.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp: p.timestamp, maxNumOffsets: 1, _unknownTaggedFields: undefined })),
            _unknownTaggedFields: undefined,
          })),
          timeoutMs: this.client.requestTimeoutMs,
          _unknownTaggedFields: undefined,
        }));
        for (const t of body.topics) {
          for (const p of t.partitions) {
            if (p.errorCode) {
              const err = new KafkaProtocolError(p.errorCode);
              if (!err.retriable) throw new KafkaProtocolError(p.errorCode, `ListOffsets for ${t.name}-${p.partitionIndex} failed: ${err.message}`);
              continue;
            }
            out.set(tpKey(t.name, p.partitionIndex), version === 0 ? (p.oldStyleOffsets[0] ?? 0n) : p.offset);
          }
        }
      } catch (err) {
        if (err instanceof KafkaProtocolError && !err.retriable) throw err;
      }
    }
    return out;
  }

  private startFetches(): void {
    const byNode = new Map<number, PartitionState[]>();
    const buffered = new Set(this.fetched.map((f) => f.key));
    for (const [k, s] of this.assigned) {
      if (s.position === null || buffered.has(k)) continue;
      const leader = this.client.cachedTopic(s.topic)?.partitions.find((p) => p.partition === s.partition)?.leader ?? -1;
      if (leader < 0) {
        void this.client.metadata([s.topic]).catch(() => undefined);
        continue;
      }
      if (this.fetching.has(leader)) continue;
      let list = byNode.get(leader);
      if (!list) byNode.set(leader, (list = []));
      list.push(s);
    }
    for (const [node, states] of byNode) {
      this.fetching.add(node);
      void this.fetchFrom(node, states).finally(() => {
        this.fetching.delete(node);
        for (const w of this.dataWaiters.splice(0)) w();
      });
    }
  }

  private async fetchFrom(node: number, states: PartitionState[]): Promise<void> {
    const snapshot = states.map((s) => {
      if (s.position === null) throw new Error('internal error: fetching a partition that has no position');
      return { s, position: s.position, epoch: s.epoch };
    });
    const byTopic = new Map<string, typeof snapshot>();
    for (const x of snapshot) {
      let l = byTopic.get(x.s.topic);
      if (!l) byTopic.set(x.s.topic, (l = []));
      l.push(x);
    }
    const topicIds = new Map([...byTopic.keys()].map((t) => [t, this.client.cachedTopic(t)?.topicId ?? ZERO_UUID]));
    try {
      const conn = await this.client.nodeConnection(node);
      let version = conn.versionFor(ApiKey.Fetch);
      if (version >= 13 && [...topicIds.values()].some((id) => id === ZERO_UUID)) version = 12;
      const { body } = await conn.request(
        ApiKey.Fetch,
        () => ({
          clusterId: null,
          replicaId: -1,
          replicaState: { replicaId: -1, replicaEpoch: -1n, _unknownTaggedFields: undefined },
          maxWaitMs: this.fetchMaxWaitMs,
          minBytes: this.fetchMinBytes,
          maxBytes: this.fetchMaxBytes,
          isolationLevel: this.isolationLevel,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [...byTopic].map(([topic, list]) => ({
            topic,
            topicId: mustGet(topicIds, topic),
            partitions: list.map((x) => ({
              partition: x.s.partition,
              currentLeaderEpoch: -1,
              fetchOffset: x.position,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: this.maxPartitionFetchBytes,
              replicaDirectoryId: ZERO_UUID,
              highWatermark: 9223372036854775807n,
              _unknownTaggedFields: undefined,
            })),
            _unknownTaggedFields: undefined,
          })),
          forgottenTopicsData: [],
          rackId: '',
          _unknownTaggedFields: undefined,
        }),
        { version, timeoutMs: this.client.requestTimeoutMs + this.fetchMaxWaitMs },
      );
      if (body.errorCode) throw new KafkaProtocolError(body.errorCode);
      const idToName = new Map([...topicIds].map(([name, id]) => [id, name]));
      for (const t of body.responses) {
        const topic = version >= 13 ? idToName.get(t.topicId) : t.topic;
        if (topic === undefined) continue;
        for (const p of t.partitions) {
          const x = snapshot.find((y) => y.s.topic === topic && y.s.partition === p.partitionIndex);
          if (!x || x.s.epoch !== x.epoch || x.s.position !== x.position) continue;
          this.handlePartition(x.s, x.position, x.epoch, p);
        }
      }
    } catch (err) {
      if (err instanceof KafkaProtocolError && !err.retriable) {
        this.lastError = err;
        return;
      }
      // Connection lost or retriable: refresh metadata and try again after a pause.
      await sleep(this.client.retryBackoffMs);
      await this.client.metadata([...byTopic.keys()]).catch(() => undefined);
    }
  }

  private handlePartition(s: PartitionState, position: bigint, epoch: number, p: FetchResponsePartitionData): void {
    switch (p.errorCode) {
      case ErrorCode.None:
        break;
      case ErrorCode.OffsetOutOfRange:
        if (this.autoOffsetReset === 'none') {
          this.lastError = new KafkaProtocolError(p.errorCode, `Offset ${position} is out of range for partition ${s.topic}-${s.partition}`);
        } else {
          s.position = null;
          s.pending = this.autoOffsetReset;
          s.epoch++;
        }
        return;
      case ErrorCode.TopicAuthorizationFailed:
      case ErrorCode.UnsupportedCompressionType:
      case ErrorCode.CorruptMessage:
        this.lastError = new KafkaProtocolError(p.errorCode);
        return;
      default:
        void this.client.metadata([s.topic]).catch(() => undefined);
        return;
    }
    const records = p.records;
    if (!records || records.length === 0) return;
    const out: ConsumerRecord[] = [];
    let next = position;
    const aborted = (p.abortedTransactions ?? []).slice().sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
    const abortedProducers = new Set<bigint>();
    forEachBatch(
      records,
      (start, end, magic) => {
        if (magic < 2) {
          for (const m of readLegacyMessages(records, { start, end, allowPartialTail: true })) {
            if (m.offset < position) continue;
            out.push({
              topic: s.topic,
              partition: s.partition,
              offset: m.offset,
              timestamp: m.timestamp,
              timestampType: m.magic === 0 ? 'NoTimestampType' : m.timestampType === TimestampType.LogAppendTime ? 'LogAppendTime' : 'CreateTime',
              key: m.key,
              value: m.value,
              headers: [],
              leaderEpoch: -1,
            });
            next = m.offset + 1n;
          }
          return;
        }
        const batch = new RecordBatchView(records, start, end);
        const batchNext = batch.nextOffset;
        if (batchNext <= position) return;
        if (this.isolationLevel === 1) {
          for (let a = aborted.at(0); a !== undefined && a.firstOffset <= batch.lastOffset; a = aborted.at(0)) {
            aborted.shift();
            abortedProducers.add(a.producerId);
          }
        }
        if (batch.isControl) {
          if (this.isolationLevel === 1) {
            for (const r of batch.records()) {
              if (readControlRecordKey(r.key).type === ControlRecordType.Abort) abortedProducers.delete(batch.producerId);
            }
          }
          next = batchNext;
          return;
        }
        if (this.isolationLevel === 1 && batch.isTransactional && abortedProducers.has(batch.producerId)) {
          next = batchNext;
          return;
        }
        const type: TimestampTypeName = batch.timestampType === TimestampType.LogAppendTime ? 'LogAppendTime' : 'CreateTime';
        const leaderEpoch = batch.partitionLeaderEpoch;
        for (const r of batch.records()) {
          if (r.offset < position) continue;
          out.push({
            topic: s.topic,
            partition: s.partition,
            offset: r.offset,
            timestamp: r.timestamp,
            timestampType: type,
            key: r.key,
            value: r.value,
            headers: r.headers,
            leaderEpoch,
          });
        }
        next = batchNext;
      },
      { allowPartialTail: true },
    );
    if (next > position) this.fetched.push({ key: tpKey(s.topic, s.partition), epoch, records: out, nextPosition: next });
  }
}
