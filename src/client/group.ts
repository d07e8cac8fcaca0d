/**
 * Membership of a classic consumer group (the protocol of JoinGroup, SyncGroup, Heartbeat and
 * LeaveGroup), committed offsets (OffsetFetch, OffsetCommit), and Kafka's "range" assignor.
 *
 * - join(): FindCoordinator, then JoinGroup (answering MEMBER_ID_REQUIRED with the id the
 *   coordinator handed out, KIP-394); the leader computes every member's partitions with the range
 *   assignor from the members' subscriptions and sends them in SyncGroup; every member gets its own
 *   assignment from SyncGroup. Subscriptions and assignments use Kafka's ConsumerProtocol encoding
 *   (an int16 version, then the body), so Java, librdkafka and kafka-python members can share a
 *   group with this one.
 * - While joined, a heartbeat goes every heartbeatIntervalMs. REBALANCE_IN_PROGRESS,
 *   ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID set `needsRejoin` (the consumer commits and rejoins);
 *   coordinator errors and lost connections make the next request find the coordinator again.
 */
import { ApiKey } from '../protocol/generated/api-table.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import {
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolAssignment,
  encodeConsumerProtocolSubscription,
  type ConsumerProtocolSubscription,
} from '../protocol/generated/records/consumer-protocol.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { KafkaClient, sleep, type BrokerNode } from './cluster.js';
import type { BrokerConnection } from './connection.js';
import { ConnectionError, KafkaProtocolError, RequestTimeoutError } from './errors.js';
import { mustGet } from '../util/must-get.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface GroupOptions {
  /** session.timeout.ms; default 45000. */
  sessionTimeoutMs?: number;
  /** max.poll.interval.ms (JoinGroup's rebalance timeout); default 300000. */
  rebalanceTimeoutMs?: number;
  /** heartbeat.interval.ms; default 3000. */
  heartbeatIntervalMs?: number;
  /** group.instance.id for static membership; default none. */
  groupInstanceId?: string | null;
}

/** ConsumerProtocol version written in subscriptions and assignments (Kafka 3.5+ writes 3). */
const CONSUMER_PROTOCOL_VERSION = 3;

export const RANGE_ASSIGNOR = 'range';

const COORDINATOR_ERRORS = new Set<number>([ErrorCode.CoordinatorNotAvailable, ErrorCode.NotCoordinator, ErrorCode.CoordinatorLoadInProgress]);

export function encodeSubscription(topics: readonly string[], owned: readonly TopicPartition[], generationId: number): Buffer {
  const w = new Writer(64, false);
  w.int16(CONSUMER_PROTOCOL_VERSION);
  encodeConsumerProtocolSubscription(w, CONSUMER_PROTOCOL_VERSION, {
    topics: [...topics],
    userData: null,
    ownedPartitions: groupByTopic(owned).map(([topic, partitions]) => ({ topic, partitions })),
    generationId,
    rackId: null,
  });
  return w.toBuffer();
}

export function decodeSubscription(bytes: Buffer): ConsumerProtocolSubscription {
  const r = new Reader(bytes);
  const version = r.int16();
  return decodeConsumerProtocolSubscription(r, Math.min(version, CONSUMER_PROTOCOL_VERSION));
}

export function encodeAssignment(partitions: readonly TopicPartition[]): Buffer {
  const w = new Writer(64, false);
  w.int16(CONSUMER_PROTOCOL_VERSION);
  encodeConsumerProtocolAssignment(w, CONSUMER_PROTOCOL_VERSION, {
    assignedPartitions: groupByTopic(partitions).map(([topic, ps]) => ({ topic, partitions: ps })),
    userData: null,
  });
  return w.toBuffer();
}

export function decodeAssignment(bytes: Buffer): TopicPartition[] {
  if (bytes.length === 0) return [];
  const r = new Reader(bytes);
  const version = r.int16();
  const a = decodeConsumerProtocolAssignment(r, Math.min(version, CONSUMER_PROTOCOL_VERSION));
  return a.assignedPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
}

function groupByTopic(tps: readonly TopicPartition[]): [string, number[]][] {
  const m = new Map<string, number[]>();
  for (const tp of tps) {
    let list = m.get(tp.topic);
    if (!list) m.set(tp.topic, (list = []));
    list.push(tp.partition);
  }
  return [...m].map(([t, ps]) => [t, ps.sort((a, b) => a - b)]);
}

/**
 * Kafka's RangeAssignor: per topic, the subscribed members sorted by (group instance id or) member
 * id each take a contiguous range; the first `partitions % members` take one extra.
 */
export function rangeAssign(
  members: readonly { memberId: string; groupInstanceId: string | null; topics: readonly string[] }[],
  partitionCounts: ReadonlyMap<string, number>,
): Map<string, TopicPartition[]> {
  const out = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]));
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const n = partitionCounts.get(topic);
    if (n === undefined) continue;
    const subscribed = members
      .filter((m) => m.topics.includes(topic))
      .sort((a, b) => {
        const ka = a.groupInstanceId ?? a.memberId;
        const kb = b.groupInstanceId ?? b.memberId;
        return ka < kb ? -1 : ka > kb ? 1 : a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
      });
    const c = subscribed.length;
    const per = Math.floor(n / c);
    const extra = n % c;
    subscribed.forEach((m, i) => {
      const start = per * i + Math.min(i, extra);
      const length = per + (i + 1 > extra ? 0 : 1);
      for (let p = start; p < start + length; p++) mustGet(out, m.memberId).push({ topic, partition: p });
    });
  }
  return out;
}

export class GroupMember {
  memberId = '';
  generationId = -1;
  leaderId = '';
  protocolName: string | null = null;
  assignment: TopicPartition[] = [];
  /** Set when the coordinator says the group is rebalancing or this member is out of date. */
  needsRejoin = false;
  private coordinator: BrokerNode | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeating = false;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly groupInstanceId: string | null;
  private stopped = false;

  constructor(
    readonly client: KafkaClient,
    readonly groupId: string,
    options: GroupOptions = {},
  ) {
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 45_000;
    this.rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? 300_000;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000;
    this.groupInstanceId = options.groupInstanceId ?? null;
  }

  get joined(): boolean {
    return this.generationId >= 0 && !this.needsRejoin;
  }

  /** The coordinator's connection, found (again) when needed. */
  async coordinatorConnection(): Promise<BrokerConnection> {
    for (let attempt = 0; ; attempt++) {
      this.coordinator ??= await this.client.findCoordinatorOnce(this.groupId);
      try {
        return await this.client.connectionTo(this.coordinator);
      } catch (err) {
        this.coordinator = undefined;
        if (attempt >= 1) throw err;
      }
    }
  }

  /** Runs `fn` against the coordinator, finding it again after coordinator errors and lost connections. */
  private async withCoordinator<T>(fn: (conn: BrokerConnection) => Promise<T>): Promise<T> {
    return this.client.retrying(async () => {
      const conn = await this.coordinatorConnection();
      try {
        return await fn(conn);
      } catch (err) {
        if (err instanceof ConnectionError || err instanceof RequestTimeoutError) this.coordinator = undefined;
        if (err instanceof KafkaProtocolError && COORDINATOR_ERRORS.has(err.code)) this.coordinator = undefined;
        throw err;
      }
    });
  }

  /**
   * Joins (or rejoins) the group subscribed to `topics`; resolves with this member's partitions.
   * `partitionCounts` is asked for the topics of every member when this member leads.
   */
  async join(topics: readonly string[], partitionCounts: (topics: string[]) => Promise<Map<string, number>>): Promise<TopicPartition[]> {
    this.stopHeartbeats();
    const owned = this.assignment;
    for (;;) {
      if (this.stopped) throw new Error('the group member was closed');
      const metadata = encodeSubscription(topics, owned, this.generationId);
      const join = await this.withCoordinator((conn) =>
        conn.request(
          ApiKey.JoinGroup,
          () => ({
            groupId: this.groupId,
            sessionTimeoutMs: this.sessionTimeoutMs,
            rebalanceTimeoutMs: this.rebalanceTimeoutMs,
            memberId: this.memberId,
            groupInstanceId: this.groupInstanceId,
            protocolType: 'consumer',
            protocols: [{ name: RANGE_ASSIGNOR, metadata, _unknownTaggedFields: undefined }],
            reason: null,
            _unknownTaggedFields: undefined,
          }),
          { timeoutMs: this.rebalanceTimeoutMs + 5_000 },
        ),
      );
      const jr = join.body;
      if (jr.errorCode === ErrorCode.MemberIdRequired) {
        this.memberId = jr.memberId;
        continue;
      }
      if (jr.errorCode === ErrorCode.UnknownMemberId) {
        this.memberId = '';
        continue;
      }
      if (jr.errorCode === ErrorCode.RebalanceInProgress || COORDINATOR_ERRORS.has(jr.errorCode)) {
        if (COORDINATOR_ERRORS.has(jr.errorCode)) this.coordinator = undefined;
        await sleep(this.client.retryBackoffMs);
        continue;
      }
      if (jr.errorCode) throw new KafkaProtocolError(jr.errorCode);
      this.memberId = jr.memberId;
      this.generationId = jr.generationId;
      this.leaderId = jr.leader;
      this.protocolName = jr.protocolName;

      let assignments: { memberId: string; assignment: Buffer; _unknownTaggedFields: undefined }[] = [];
      if (jr.leader === jr.memberId && !jr.skipAssignment) {
        const members = jr.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          topics: decodeSubscription(m.metadata).topics,
        }));
        const counts = await partitionCounts([...new Set(members.flatMap((m) => m.topics))]);
        const plan = rangeAssign(members, counts);
        assignments = [...plan].map(([memberId, tps]) => ({ memberId, assignment: encodeAssignment(tps), _unknownTaggedFields: undefined }));
      }
      const sync = await this.withCoordinator((conn) =>
        conn.request(ApiKey.SyncGroup, () => ({
          groupId: this.groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          groupInstanceId: this.groupInstanceId,
          protocolType: 'consumer',
          protocolName: this.protocolName,
          assignments,
          _unknownTaggedFields: undefined,
        })),
      );
      const sr = sync.body;
      if (sr.errorCode === ErrorCode.RebalanceInProgress) continue;
      if (sr.errorCode === ErrorCode.UnknownMemberId || sr.errorCode === ErrorCode.IllegalGeneration) {
        if (sr.errorCode === ErrorCode.UnknownMemberId) this.memberId = '';
        this.generationId = -1;
        continue;
      }
      if (COORDINATOR_ERRORS.has(sr.errorCode)) {
        this.coordinator = undefined;
        await sleep(this.client.retryBackoffMs);
        continue;
      }
      if (sr.errorCode) throw new KafkaProtocolError(sr.errorCode);
      this.assignment = decodeAssignment(sr.assignment);
      this.needsRejoin = false;
      this.startHeartbeats();
      return this.assignment;
    }
  }

  private startHeartbeats(): void {
    this.stopHeartbeats();
    const beat = async (): Promise<void> => {
      if (this.heartbeating || this.stopped) return;
      this.heartbeating = true;
      try {
        const conn = await this.coordinatorConnection();
        const { body } = await conn.request(ApiKey.Heartbeat, () => ({
          groupId: this.groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          groupInstanceId: this.groupInstanceId,
          _unknownTaggedFields: undefined,
        }));
        if (body.errorCode === ErrorCode.RebalanceInProgress) this.needsRejoin = true;
        else if (body.errorCode === ErrorCode.IllegalGeneration) {
          this.needsRejoin = true;
        } else if (body.errorCode === ErrorCode.UnknownMemberId || body.errorCode === ErrorCode.FencedInstanceId) {
          this.memberId = '';
          this.generationId = -1;
          this.needsRejoin = true;
        } else if (COORDINATOR_ERRORS.has(body.errorCode)) this.coordinator = undefined;
      } catch {
        this.coordinator = undefined;
      } finally {
        this.heartbeating = false;
      }
    };
    this.heartbeatTimer = setInterval(() => void beat(), this.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** Committed offsets of partitions (-1n where the group has none). */
  async fetchOffsets(partitions: readonly TopicPartition[]): Promise<Map<string, { offset: bigint; leaderEpoch: number }>> {
    const out = new Map<string, { offset: bigint; leaderEpoch: number }>();
    if (partitions.length === 0) return out;
    const grouped = groupByTopic(partitions);
    const { version, body } = await this.withCoordinator(async (conn) => {
      const r = await conn.request(ApiKey.OffsetFetch, (v) => ({
        groupId: v < 8 ? this.groupId : '',
        topics: v < 8 ? grouped.map(([name, partitionIndexes]) => ({ name, partitionIndexes, _unknownTaggedFields: undefined })) : [],
        groups:
          v >= 8
            ? [
                {
                  groupId: this.groupId,
                  memberId: null,
                  memberEpoch: -1,
                  topics: grouped.map(([name, partitionIndexes]) => ({
                    name,
                    topicId: this.client.cachedTopic(name)?.topicId ?? '00000000-0000-0000-0000-000000000000',
                    partitionIndexes,
                    _unknownTaggedFields: undefined,
                  })),
                  _unknownTaggedFields: undefined,
                },
              ]
            : [],
        requireStable: true,
        _unknownTaggedFields: undefined,
      }));
      const groupError = r.version >= 8 ? (r.body.groups[0]?.errorCode ?? 0) : r.body.errorCode;
      if (groupError) throw new KafkaProtocolError(groupError);
      return r;
    });
    const topics =
      version >= 8
        ? (body.groups[0]?.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitions }))
        : body.topics.map((t) => ({ name: t.name, partitions: t.partitions }));
    for (const t of topics) {
      for (const p of t.partitions) {
        if (p.errorCode) throw new KafkaProtocolError(p.errorCode);
        out.set(`${t.name}:${p.partitionIndex}`, { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch });
      }
    }
    return out;
  }

  /**
   * Commits offsets (the next offset to read per partition) with this member's generation.
   * Throws KafkaProtocolError when the commit is refused (a rebalance moved the partitions).
   */
  async commit(offsets: ReadonlyMap<string, { topic: string; partition: number; offset: bigint; leaderEpoch: number }>): Promise<void> {
    if (offsets.size === 0) return;
    const byTopic = new Map<string, { partition: number; offset: bigint; leaderEpoch: number }[]>();
    for (const o of offsets.values()) {
      let list = byTopic.get(o.topic);
      if (!list) byTopic.set(o.topic, (list = []));
      list.push(o);
    }
    const { body } = await this.withCoordinator((conn) =>
      conn.request(ApiKey.OffsetCommit, () => ({
        groupId: this.groupId,
        generationIdOrMemberEpoch: this.generationId,
        memberId: this.memberId,
        groupInstanceId: this.groupInstanceId,
        retentionTimeMs: -1n,
        topics: [...byTopic].map(([name, list]) => ({
          name,
          topicId: this.client.cachedTopic(name)?.topicId ?? '00000000-0000-0000-0000-000000000000',
          partitions: list.map((o) => ({
            partitionIndex: o.partition,
            committedOffset: o.offset,
            committedLeaderEpoch: o.leaderEpoch,
            commitTimestamp: -1n,
            committedMetadata: '',
            _unknownTaggedFields: undefined,
          })),
          _unknownTaggedFields: undefined,
        })),
        _unknownTaggedFields: undefined,
      })),
    );
    for (const t of body.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === ErrorCode.RebalanceInProgress || p.errorCode === ErrorCode.IllegalGeneration) this.needsRejoin = true;
        if (p.errorCode === ErrorCode.UnknownMemberId) {
          this.memberId = '';
          this.generationId = -1;
          this.needsRejoin = true;
        }
        if (p.errorCode) throw new KafkaProtocolError(p.errorCode);
      }
    }
  }

  /** Leaves the group (LeaveGroup) and stops heartbeats. */
  async leave(): Promise<void> {
    this.stopped = true;
    this.stopHeartbeats();
    if (!this.memberId || this.groupInstanceId !== null) return;
    try {
      const conn = await this.coordinatorConnection();
      await conn.request(ApiKey.LeaveGroup, (v) => ({
        groupId: this.groupId,
        memberId: v < 3 ? this.memberId : '',
        members: v >= 3 ? [{ memberId: this.memberId, groupInstanceId: null, reason: 'the consumer is being closed', _unknownTaggedFields: undefined }] : [],
        _unknownTaggedFields: undefined,
      }));
    } catch {
      // The session times out on the coordinator anyway.
    }
    this.memberId = '';
    this.generationId = -1;
  }

  stop(): void {
    this.stopped = true;
    this.stopHeartbeats();
  }
}
