/**
 * One follower fetcher (Kafka's ReplicaFetcherThread over AbstractFetcherThread): a loop of replica
 * Fetch requests to one leader, on one connection, for the partitions of that leader given to it.
 *
 * **The request.** Every round is a full fetch without a session (sessionEpoch -1) of the partitions
 * not held and not backing off: the replica id (v0-14) or ReplicaState with the broker epoch (v15+),
 * replica.fetch.wait.max.ms / min.bytes / response.max.bytes, and per partition the fetch offset
 * (the follower's log end offset), its log start offset, replica.fetch.max.bytes, the leader epoch
 * the follower knows (currentLeaderEpoch) and the epoch of its last batch (lastFetchedEpoch, v12+),
 * which lets the leader say where the logs diverge. Topics go by id (v13+) when every partition has
 * one, by name (at most v12) otherwise.
 *
 * **The answer**, per partition, only if its fetch offset is still the one requested (Kafka's check:
 * a truncation or re-add meanwhile makes the answer stale):
 * - records (or none): `appendAsFollower(records, leader HW, leader log start)`, then the next fetch
 *   starts at the new log end offset with the new last epoch. An empty answer still carries the HW.
 * - divergingEpoch: Kafka's truncateOnFetchResponse. The follower's own end of that epoch, bounded by
 *   the leader's end offset when the follower knows the epoch, else by the follower's end of the
 *   nearest older epoch (the next fetch then narrows it further); a follower with no epoch that old
 *   takes the leader's offset. Never past its own log end.
 * - OFFSET_OUT_OF_RANGE: Kafka's fetchOffsetAndTruncate, with ListOffsets as a replica: a leader log
 *   end below the follower's truncates the follower to it; otherwise the fetch moves to the leader's
 *   log start when that is past the follower's end (the follower's log emptied and restarted there).
 * - FENCED_LEADER_EPOCH: the follower's epoch is older than the leader's; the partition is held until
 *   it is added again with newer state (Kafka's onPartitionFenced).
 * - anything else (NOT_LEADER_OR_FOLLOWER, UNKNOWN_LEADER_EPOCH while the leader learns its new epoch,
 *   UNKNOWN_TOPIC_OR_PARTITION, KAFKA_STORAGE_ERROR, ...): retried after replica.fetch.backoff.ms.
 * A failed request (connection refused or lost, no answer within replica.socket.timeout.ms beyond
 * the wait) closes the connection and the loop backs off replica.fetch.backoff.ms before it connects
 * again.
 *
 * A partition with data but no leader epoch at all (written before epochs were recorded) is first
 * cut to its high watermark, as Kafka's follower does when it cannot ask by epoch.
 *
 * **A leader without lastFetchedEpoch** (Fetch below v12, e.g. with `versionCaps`, Kafka's
 * inter.broker.protocol.version): a partition added, or truncated to an epoch the leader did not
 * name, first asks OffsetForLeaderEpoch for the end of its latest epoch and truncates as for a
 * diverging epoch (Kafka's Truncating state) before it is fetched again.
 */
import { BrokerConnection } from '../client/connection.js';
import { KafkaProtocolError } from '../client/errors.js';
import type { BrokerAddress } from '../cluster/cluster-store.js';
import { ApiKey } from '../protocol/generated/api-table.js';
import { ErrorCode, errorInfo } from '../protocol/generated/errors.js';
import {
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  type FetchRequestFetchTopic,
  type FetchResponsePartitionData,
} from '../protocol/generated/messages/fetch.js';
import { ZERO_UUID } from '../protocol/reader.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { ReplicationSettings } from './replication-settings.js';

/** What the fetcher needs of a follower's partition (partition/partition.ts provides it). */
export interface FollowerPartition {
  readonly topic: string;
  readonly partition: number;
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  readonly highWatermark: bigint;
  readonly log: {
    readonly leaderEpochs: {
      latestEpoch(): number;
      endOffsetFor(epoch: number, logEndOffset: bigint): { leaderEpoch: number; endOffset: bigint };
    };
  };
  appendAsFollower(records: Buffer, leaderHighWatermark: bigint, leaderLogStartOffset: bigint): Promise<void>;
  truncateTo(offset: bigint): Promise<void>;
  truncateFullyAndStartAt(offset: bigint): Promise<void>;
}

/** A partition to follow: the local replica, its topic id (or the zero uuid) and the leader's epoch. */
export interface FollowedPartition {
  replica: FollowerPartition;
  topicId: string;
  leaderEpoch: number;
}

export interface ReplicaFetcherOptions {
  /** This broker's id: the replica id of the fetches. */
  nodeId: number;
  leaderId: number;
  fetcherId: number;
  /** The leader's address now (it may change between connections); undefined while unknown. */
  leaderAddress: () => BrokerAddress | undefined;
  /** This broker's epoch for ReplicaState (Fetch v15+); -1 when it has none. */
  brokerEpoch: () => bigint;
  /** The highest version to use per api key (Kafka's inter.broker.protocol.version); none by default. */
  versionCaps?: Readonly<Partial<Record<number, number>>>;
  settings: ReplicationSettings;
  clock: Clock;
  logger: Logger;
}

/** The partition key used by the fetcher and its manager. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${String(partition)}`;
}

interface FetchState {
  readonly followed: FollowedPartition;
  fetchOffset: bigint;
  lastFetchedEpoch: number;
  /** Clock time before which the partition is not fetched (after an error). */
  delayedUntil: number;
  /** Fenced: not fetched until added again. */
  held: boolean;
  /** Data without any epoch: cut to the high watermark before fetching. */
  truncateToHighWatermark: boolean;
  /** The error of the partition's last answer (NONE after one without). */
  lastError: number;
  /** Fetch below v12 only: the log must be checked with OffsetForLeaderEpoch before fetching. */
  truncating: boolean;
}

const EMPTY = Buffer.alloc(0);
/** ListOffsets targets. */
const LATEST = -1n;
const EARLIEST = -2n;

export class ReplicaFetcher {
  readonly leaderId: number;
  readonly fetcherId: number;
  private readonly states = new Map<string, FetchState>();
  private conn: BrokerConnection | null = null;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  /** The answer being applied: removals wait for it, so nothing lands after they return. */
  private processing: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;

  constructor(private readonly options: ReplicaFetcherOptions) {
    this.leaderId = options.leaderId;
    this.fetcherId = options.fetcherId;
  }

  /** Partitions this fetcher follows (held ones included). */
  get partitionCount(): number {
    return this.states.size;
  }

  /** Where the next fetch of a partition starts, or undefined when it is not followed here. */
  fetchOffset(topic: string, partition: number): bigint | undefined {
    return this.states.get(partitionKey(topic, partition))?.fetchOffset;
  }

  /** The error code of the partition's last fetch answer, or undefined when it is not followed here. */
  lastError(topic: string, partition: number): number | undefined {
    return this.states.get(partitionKey(topic, partition))?.lastError;
  }

  /** Whether a partition is held after FENCED_LEADER_EPOCH. */
  isHeld(topic: string, partition: number): boolean {
    return this.states.get(partitionKey(topic, partition))?.held === true;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Follows the partitions from their log end offsets. A partition already followed in the same
   * leader epoch keeps its state; one followed in another epoch starts over.
   */
  addPartitions(partitions: readonly FollowedPartition[]): void {
    for (const followed of partitions) {
      const { replica } = followed;
      const key = partitionKey(replica.topic, replica.partition);
      const current = this.states.get(key);
      if (current !== undefined && current.followed.leaderEpoch === followed.leaderEpoch && current.followed.replica === replica && !current.held) continue;
      const latest = replica.log.leaderEpochs.latestEpoch();
      this.states.set(key, {
        followed,
        fetchOffset: replica.logEndOffset,
        lastFetchedEpoch: latest,
        delayedUntil: 0,
        held: false,
        truncateToHighWatermark: latest < 0 && replica.logEndOffset > replica.highWatermark,
        lastError: ErrorCode.None,
        truncating: latest >= 0,
      });
    }
    this.signal();
  }

  /** Stops following the partitions; resolves once no answer for them is being applied. */
  async removePartitions(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    for (const p of partitions) this.states.delete(partitionKey(p.topic, p.partition));
    await this.processing;
  }

  /** Stops the loop and closes the connection; resolves when the loop has ended. */
  async shutdown(): Promise<void> {
    this.running = false;
    this.conn?.close();
    this.conn = null;
    this.signal();
    await this.loop;
    await this.processing;
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Waits `ms` (forever when null), or until signalled. */
  private sleep(ms: number | null): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: TimerHandle | null = null;
      const done = (): void => {
        if (timer !== null) this.options.clock.clearTimeout(timer);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      this.wake = done;
      if (ms !== null) timer = this.options.clock.setTimeout(done, ms);
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.round();
      } catch (err) {
        // A bug, not a fetch failure: keep the loop alive but do not spin.
        this.options.logger.error({ err, leader: this.leaderId }, 'replica fetcher round failed');
        await this.sleep(this.options.settings.fetchBackoffMs);
      }
    }
  }

  private async round(): Promise<void> {
    const now = this.options.clock.now();
    const ready: FetchState[] = [];
    let nextReady: number | null = null;
    for (const s of this.states.values()) {
      if (s.held) continue;
      if (s.delayedUntil > now) nextReady = nextReady === null ? s.delayedUntil : Math.min(nextReady, s.delayedUntil);
      else ready.push(s);
    }
    if (ready.length === 0) {
      await this.sleep(nextReady === null ? null : nextReady - now);
      return;
    }
    for (const s of ready) {
      if (s.truncateToHighWatermark) await this.apply(s, () => this.cutToHighWatermark(s));
    }
    const conn = await this.connection();
    if (conn === null) return;
    await this.fetch(conn, ready.filter((s) => this.isCurrent(s)));
  }

  private isCurrent(s: FetchState): boolean {
    const r = s.followed.replica;
    return this.running && this.states.get(partitionKey(r.topic, r.partition)) === s && !s.held;
  }

  /** Runs one partition's change as the answer being applied, so removals can wait for it. */
  private apply(s: FetchState, change: () => Promise<void>): Promise<void> {
    const run = this.processing.then(async () => {
      if (!this.isCurrent(s)) return;
      try {
        await change();
      } catch (err) {
        const r = s.followed.replica;
        this.options.logger.error({ err, topic: r.topic, partition: r.partition, leader: this.leaderId }, 'follower could not apply the leader\'s answer');
        this.delay(s);
      }
    });
    this.processing = run;
    return run;
  }

  private delay(s: FetchState): void {
    s.delayedUntil = this.options.clock.now() + this.options.settings.fetchBackoffMs;
  }

  private async cutToHighWatermark(s: FetchState): Promise<void> {
    const r = s.followed.replica;
    const hw = r.highWatermark;
    this.options.logger.info({ topic: r.topic, partition: r.partition, offset: hw }, 'follower log has no leader epochs: truncating to the high watermark');
    await r.truncateTo(hw);
    s.truncateToHighWatermark = false;
    this.moveTo(s, r.logEndOffset);
  }

  private moveTo(s: FetchState, offset: bigint): void {
    s.fetchOffset = offset;
    s.lastFetchedEpoch = s.followed.replica.log.leaderEpochs.latestEpoch();
  }

  private async connection(): Promise<BrokerConnection | null> {
    if (this.conn !== null && !this.conn.closed) return this.conn;
    this.conn = null;
    const { settings, logger } = this.options;
    const address = this.options.leaderAddress();
    if (address === undefined) {
      logger.warn({ leader: this.leaderId }, 'replica fetcher: the leader\'s address is unknown; backing off');
      await this.sleep(settings.fetchBackoffMs);
      return null;
    }
    try {
      const conn = await BrokerConnection.connect({
        host: address.host,
        port: address.port,
        clientId: `broker-${String(this.options.nodeId)}-fetcher-${String(this.fetcherId)}`,
        connectTimeoutMs: settings.socketTimeoutMs,
        requestTimeoutMs: settings.socketTimeoutMs + settings.fetchWaitMaxMs,
        ...(this.options.versionCaps === undefined ? {} : { versionCaps: this.options.versionCaps }),
      });
      if (!this.running) {
        conn.close();
        return null;
      }
      this.conn = conn;
      return conn;
    } catch (err) {
      if (!this.running) return null;
      logger.warn({ err, leader: this.leaderId, address: `${address.host}:${String(address.port)}` }, 'replica fetcher could not connect to the leader; backing off');
      await this.sleep(settings.fetchBackoffMs);
      return null;
    }
  }

  private async fetch(conn: BrokerConnection, ready: readonly FetchState[]): Promise<void> {
    let states = ready;
    if (states.length === 0) return;
    const { settings, nodeId } = this.options;
    const byName = states.some((s) => s.followed.topicId === ZERO_UUID);
    let version: number;
    try {
      version = conn.versionFor(ApiKey.Fetch);
    } catch (err) {
      this.options.logger.error({ err, leader: this.leaderId }, 'the leader shares no Fetch version with this broker');
      conn.close();
      await this.sleep(settings.fetchBackoffMs);
      return;
    }
    if (byName && version >= 13) version = 12;
    const useIds = version >= 13;
    if (version >= 12) {
      // The fetch itself says where the logs diverge.
      for (const s of states) s.truncating = false;
    } else {
      const truncating = states.filter((s) => s.truncating);
      if (truncating.length > 0) {
        if (!(await this.truncateByLeaderEpochs(conn, truncating))) return;
        states = states.filter((s) => !s.truncating && this.isCurrent(s));
        if (states.length === 0) return;
      }
    }

    const requested = new Map<string, FetchState>();
    const topics = new Map<string, FetchRequestFetchTopic>();
    for (const s of states) {
      const r = s.followed.replica;
      const topicKey = useIds ? s.followed.topicId : r.topic;
      let t = topics.get(topicKey);
      if (t === undefined) {
        t = { topic: useIds ? '' : r.topic, topicId: useIds ? s.followed.topicId : ZERO_UUID, partitions: [], _unknownTaggedFields: undefined };
        topics.set(topicKey, t);
      }
      const p = defaultFetchRequestFetchPartition();
      p.partition = r.partition;
      p.currentLeaderEpoch = s.followed.leaderEpoch;
      p.fetchOffset = s.fetchOffset;
      p.lastFetchedEpoch = s.lastFetchedEpoch;
      p.logStartOffset = r.logStartOffset;
      p.partitionMaxBytes = settings.fetchMaxBytes;
      t.partitions.push(p);
      requested.set(`${topicKey}\u0000${String(r.partition)}`, s);
    }
    const body = defaultFetchRequest();
    body.replicaId = version < 15 ? nodeId : -1;
    body.replicaState = { replicaId: version >= 15 ? nodeId : -1, replicaEpoch: version >= 15 ? this.options.brokerEpoch() : -1n, _unknownTaggedFields: undefined };
    body.maxWaitMs = settings.fetchWaitMaxMs;
    body.minBytes = settings.fetchMinBytes;
    body.maxBytes = settings.fetchResponseMaxBytes;
    body.isolationLevel = 0;
    body.topics = [...topics.values()];
    const offsets = new Map(states.map((s) => [s, s.fetchOffset]));

    let response;
    try {
      response = (await conn.request(ApiKey.Fetch, () => body, { version })).body;
    } catch (err) {
      if (!this.running) return;
      this.options.logger.warn({ err, leader: this.leaderId }, 'replica fetch failed; reconnecting after the backoff');
      conn.close();
      if (this.conn === conn) this.conn = null;
      await this.sleep(settings.fetchBackoffMs);
      return;
    }
    if (response.errorCode !== ErrorCode.None) {
      this.options.logger.warn({ leader: this.leaderId, error: errorInfo(response.errorCode)?.name ?? response.errorCode }, 'replica fetch answered with an error');
      for (const s of states) this.delay(s);
      return;
    }
    for (const t of response.responses) {
      const topicKey = useIds ? t.topicId : t.topic;
      for (const p of t.partitions) {
        const s = requested.get(`${topicKey}\u0000${String(p.partitionIndex)}`);
        if (s === undefined) continue;
        await this.apply(s, async () => {
          // A truncation or a new state meanwhile makes this answer stale.
          if (s.fetchOffset !== offsets.get(s)) return;
          await this.handlePartition(conn, s, p);
        });
      }
    }
  }

  private async handlePartition(conn: BrokerConnection, s: FetchState, p: FetchResponsePartitionData): Promise<void> {
    const r = s.followed.replica;
    s.lastError = p.errorCode;
    switch (p.errorCode) {
      case ErrorCode.None:
        if (p.divergingEpoch.epoch >= 0) {
          await this.truncateOnDivergence(s, p.divergingEpoch);
          return;
        }
        await r.appendAsFollower(p.records ?? EMPTY, p.highWatermark, p.logStartOffset);
        this.moveTo(s, r.logEndOffset);
        return;
      case ErrorCode.OffsetOutOfRange:
        await this.handleOutOfRange(conn, s);
        return;
      case ErrorCode.FencedLeaderEpoch:
        this.options.logger.info({ topic: r.topic, partition: r.partition, leader: this.leaderId, leaderEpoch: s.followed.leaderEpoch }, 'follower fenced by a newer leader epoch: waiting for the new partition state');
        s.held = true;
        return;
      default:
        this.options.logger.debug({ topic: r.topic, partition: r.partition, leader: this.leaderId, error: errorInfo(p.errorCode)?.name ?? p.errorCode }, 'replica fetch partition error; retrying after the backoff');
        this.delay(s);
    }
  }

  /**
   * Kafka's Truncating state for a leader without lastFetchedEpoch: asks the end of each partition's
   * latest epoch and truncates to it. Returns false when the request failed (the loop backs off).
   */
  private async truncateByLeaderEpochs(conn: BrokerConnection, states: readonly FetchState[]): Promise<boolean> {
    const byTopic = new Map<string, FetchState[]>();
    for (const s of states) {
      const list = byTopic.get(s.followed.replica.topic);
      if (list === undefined) byTopic.set(s.followed.replica.topic, [s]);
      else list.push(s);
    }
    let answer;
    try {
      answer = (
        await conn.request(ApiKey.OffsetForLeaderEpoch, () => ({
          replicaId: this.options.nodeId,
          topics: [...byTopic].map(([topic, list]) => ({
            topic,
            partitions: list.map((s) => ({ partition: s.followed.replica.partition, currentLeaderEpoch: s.followed.leaderEpoch, leaderEpoch: s.lastFetchedEpoch, _unknownTaggedFields: undefined })),
            _unknownTaggedFields: undefined,
          })),
          _unknownTaggedFields: undefined,
        }))
      ).body;
    } catch (err) {
      if (!this.running) return false;
      this.options.logger.warn({ err, leader: this.leaderId }, 'OffsetForLeaderEpoch to the leader failed; reconnecting after the backoff');
      conn.close();
      if (this.conn === conn) this.conn = null;
      await this.sleep(this.options.settings.fetchBackoffMs);
      return false;
    }
    for (const t of answer.topics) {
      for (const p of t.partitions) {
        const s = byTopic.get(t.topic)?.find((x) => x.followed.replica.partition === p.partition);
        if (s === undefined) continue;
        const asked = s.lastFetchedEpoch;
        await this.apply(s, async () => {
          if (s.lastFetchedEpoch !== asked) return;
          s.lastError = p.errorCode;
          if (p.errorCode === ErrorCode.FencedLeaderEpoch) {
            s.held = true;
            return;
          }
          if (p.errorCode !== ErrorCode.None) {
            this.delay(s);
            return;
          }
          s.truncating = !(await this.truncateOnDivergence(s, { epoch: p.leaderEpoch, endOffset: p.endOffset }));
        });
      }
    }
    return true;
  }

  /**
   * Kafka's truncateOnFetchResponse with its getOffsetTruncationState. Returns whether the truncation
   * is complete (false when the follower does not know the leader's epoch and cut only to its own
   * nearest older one).
   */
  private async truncateOnDivergence(s: FetchState, diverging: { epoch: number; endOffset: bigint }): Promise<boolean> {
    const r = s.followed.replica;
    const replicaEnd = r.logEndOffset;
    let offset: bigint;
    let complete = true;
    if (diverging.endOffset < 0n) {
      offset = s.fetchOffset;
    } else if (diverging.epoch < 0) {
      offset = diverging.endOffset;
    } else {
      const mine = r.log.leaderEpochs.endOffsetFor(diverging.epoch, replicaEnd);
      if (mine.leaderEpoch < 0 || mine.endOffset < 0n) offset = diverging.endOffset;
      else if (mine.leaderEpoch !== diverging.epoch) {
        offset = mine.endOffset;
        complete = false;
      } else offset = min(mine.endOffset, diverging.endOffset);
    }
    offset = min(offset, replicaEnd);
    if (offset < replicaEnd) this.options.logger.info(
      { topic: r.topic, partition: r.partition, leader: this.leaderId, divergingEpoch: diverging.epoch, leaderEndOffset: diverging.endOffset, truncateTo: offset, logEndOffset: replicaEnd },
      'follower log diverged from the leader: truncating',
    );
    if (offset < replicaEnd) await r.truncateTo(offset);
    this.moveTo(s, r.logEndOffset);
    return complete;
  }

  /** Kafka's fetchOffsetAndTruncate. */
  private async handleOutOfRange(conn: BrokerConnection, s: FetchState): Promise<void> {
    const r = s.followed.replica;
    const replicaEnd = r.logEndOffset;
    const leaderEnd = await this.leaderOffset(conn, s, LATEST);
    if (leaderEnd < replicaEnd) {
      this.options.logger.warn({ topic: r.topic, partition: r.partition, leader: this.leaderId, logEndOffset: replicaEnd, leaderEndOffset: leaderEnd }, 'follower log is ahead of the leader\'s: truncating to the leader\'s end');
      await r.truncateTo(leaderEnd);
      this.moveTo(s, r.logEndOffset);
      return;
    }
    const leaderStart = await this.leaderOffset(conn, s, EARLIEST);
    if (leaderStart > replicaEnd) {
      this.options.logger.warn({ topic: r.topic, partition: r.partition, leader: this.leaderId, logEndOffset: replicaEnd, leaderStartOffset: leaderStart }, 'follower log ends before the leader\'s start: restarting it there');
      await r.truncateFullyAndStartAt(leaderStart);
    }
    this.moveTo(s, max(leaderStart, r.logEndOffset));
  }

  private async leaderOffset(conn: BrokerConnection, s: FetchState, target: bigint): Promise<bigint> {
    const r = s.followed.replica;
    const { body } = await conn.request(ApiKey.ListOffsets, () => ({
      replicaId: this.options.nodeId,
      isolationLevel: 0,
      topics: [
        {
          name: r.topic,
          partitions: [{ partitionIndex: r.partition, currentLeaderEpoch: s.followed.leaderEpoch, timestamp: target, maxNumOffsets: 1, _unknownTaggedFields: undefined }],
          _unknownTaggedFields: undefined,
        },
      ],
      timeoutMs: this.options.settings.socketTimeoutMs,
      _unknownTaggedFields: undefined,
    }));
    const answer = body.topics.find((t) => t.name === r.topic)?.partitions.find((p) => p.partitionIndex === r.partition);
    if (answer === undefined) throw new Error(`ListOffsets answer lacks ${r.topic}-${String(r.partition)}`);
    if (answer.errorCode !== ErrorCode.None) throw new KafkaProtocolError(answer.errorCode);
    return answer.offset;
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
