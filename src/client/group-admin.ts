/**
 * Consumer group administration over the wire, as Kafka's Java Admin performs it for
 * kafka-consumer-groups:
 *
 * - listGroups: ListGroups to every broker of the cluster (v4+ with a states filter, v5+ with a
 *   types filter; older brokers are filtered here);
 * - describeGroups: to each group's coordinator, ConsumerGroupDescribe first when the broker has it
 *   (KIP-848 consumer groups), DescribeGroups for groups it does not know (classic groups), with
 *   each member's partitions decoded from its ConsumerProtocol assignment;
 * - listGroupOffsets / alterGroupOffsets: OffsetFetch for every committed partition, OffsetCommit
 *   without a member (generation / member epoch -1: allowed only while the group has no members);
 * - deleteGroups: DeleteGroups to the coordinator;
 * - listOffsets: ListOffsets to each partition's leader (earliest, latest, or by timestamp).
 *
 * Per-group failures come back as KafkaProtocolError (or in the result maps where an operation
 * covers several groups); retriable ones (coordinator moving or loading) are retried.
 */
import { ApiKey } from '../protocol/generated/api-table.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { ZERO_UUID } from '../protocol/reader.js';
import type { BrokerNode } from './cluster.js';
import type { BrokerConnection } from './connection.js';
import { ConnectionError, KafkaProtocolError, RequestTimeoutError } from './errors.js';
import { OwnedClient } from './owned-client.js';
import { decodeAssignment, type TopicPartition } from './group.js';

export interface ListedGroupInfo {
  groupId: string;
  /** "consumer" for consumer groups of either protocol; "" for groups that only hold offsets. */
  protocolType: string;
  /** Empty when the broker does not report states (ListGroups before v4). */
  state: string;
  /** "classic" or "consumer"; empty before ListGroups v5. */
  type: string;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  /** As the broker reports it: "/127.0.0.1". */
  host: string;
  /** The partitions the member owns now. */
  assignment: TopicPartition[];
  /** Consumer groups only: the partitions it is meant to end up with. */
  targetAssignment: TopicPartition[] | null;
}

export interface GroupDescription {
  groupId: string;
  /** Kafka's state name (Stable, Empty, PreparingRebalance, Assigning, ...); "Dead" when it does not exist. */
  state: string;
  type: 'classic' | 'consumer';
  protocolType: string;
  /** Classic: the chosen protocol (the assignor); consumer: the server assignor. */
  protocol: string;
  members: GroupMemberDescription[];
  /** Consumer groups only. */
  groupEpoch: number | null;
  assignmentEpoch: number | null;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
}

/** ListOffsets timestamps: Kafka's EARLIEST_TIMESTAMP and LATEST_TIMESTAMP. */
export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;

const COORDINATOR_ERRORS = new Set<number>([ErrorCode.CoordinatorNotAvailable, ErrorCode.NotCoordinator, ErrorCode.CoordinatorLoadInProgress]);

export const tpKey = (topic: string, partition: number): string => `${topic}\0${partition}`;

export class GroupAdmin extends OwnedClient {
  private readonly coordinators = new Map<string, BrokerNode>();

  /** Runs `fn` against the group's coordinator, finding it again after coordinator errors. */
  private async withCoordinator<T>(groupId: string, fn: (conn: BrokerConnection) => Promise<T>): Promise<T> {
    return this.client.retrying(async () => {
      let node = this.coordinators.get(groupId);
      if (!node) {
        node = await this.client.findCoordinator(groupId);
        this.coordinators.set(groupId, node);
      }
      try {
        return await fn(await this.client.connectionTo(node));
      } catch (err) {
        if (err instanceof ConnectionError || err instanceof RequestTimeoutError) this.coordinators.delete(groupId);
        if (err instanceof KafkaProtocolError && COORDINATOR_ERRORS.has(err.code)) this.coordinators.delete(groupId);
        throw err;
      }
    });
  }

  /** Every group of the cluster (ListGroups to each broker), optionally filtered. */
  async listGroups(options: { states?: readonly string[]; types?: readonly string[] } = {}): Promise<ListedGroupInfo[]> {
    const states = (options.states ?? []).map((s) => s.toLowerCase());
    const types = (options.types ?? []).map((s) => s.toLowerCase());
    const md = await this.client.metadata([]);
    const nodes = md.brokers.length > 0 ? md.brokers : [];
    const out = new Map<string, ListedGroupInfo>();
    const ask = async (conn: BrokerConnection) => {
      const { version, body } = await conn.request(ApiKey.ListGroups, () => ({ statesFilter: states, typesFilter: types, _unknownTaggedFields: undefined }));
      if (body.errorCode) throw new KafkaProtocolError(body.errorCode);
      for (const g of body.groups) {
        const listed = { groupId: g.groupId, protocolType: g.protocolType, state: version >= 4 ? g.groupState : '', type: version >= 5 ? g.groupType : '' };
        // Brokers too old for a filter: filter here (a group without a known state or type passes).
        if (states.length > 0 && listed.state !== '' && !states.includes(listed.state.toLowerCase())) continue;
        if (types.length > 0 && listed.type !== '' && !types.includes(listed.type.toLowerCase())) continue;
        out.set(g.groupId, listed);
      }
    };
    if (nodes.length === 0) await this.client.retrying(async () => ask(await this.client.anyConnection()));
    for (const node of nodes) await this.client.retrying(async () => ask(await this.client.connectionTo(node)));
    return [...out.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** Describes a group (classic or consumer); a group that does not exist is described as Dead. */
  async describeGroup(groupId: string): Promise<GroupDescription> {
    return this.withCoordinator(groupId, async (conn) => {
      if (conn.supports(ApiKey.ConsumerGroupDescribe)) {
        const { body } = await conn.request(ApiKey.ConsumerGroupDescribe, () => ({ groupIds: [groupId], includeAuthorizedOperations: false, _unknownTaggedFields: undefined }));
        const g = body.groups.at(0);
        if (!g) throw new KafkaProtocolError(ErrorCode.UnknownServerError, 'ConsumerGroupDescribe returned no group');
        if (g.errorCode === ErrorCode.None) {
          const tps = (list: { topicName: string; partitions: number[] }[]) => list.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topicName, partition })));
          return {
            groupId,
            state: g.groupState,
            type: 'consumer',
            protocolType: 'consumer',
            protocol: g.assignorName,
            groupEpoch: g.groupEpoch,
            assignmentEpoch: g.assignmentEpoch,
            members: g.members.map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.instanceId,
              clientId: m.clientId,
              host: m.clientHost,
              assignment: tps(m.assignment.topicPartitions),
              targetAssignment: tps(m.targetAssignment.topicPartitions),
            })),
          };
        }
        // GROUP_ID_NOT_FOUND: not a consumer group; ask with the classic api.
        if (g.errorCode !== ErrorCode.GroupIdNotFound) throw new KafkaProtocolError(g.errorCode, g.errorMessage);
      }
      const { version, body } = await conn.request(ApiKey.DescribeGroups, () => ({ groups: [groupId], includeAuthorizedOperations: false, _unknownTaggedFields: undefined }));
      const g = body.groups.at(0);
      if (!g) throw new KafkaProtocolError(ErrorCode.UnknownServerError, 'DescribeGroups returned no group');
      const dead: GroupDescription = { groupId, state: 'Dead', type: 'classic', protocolType: '', protocol: '', members: [], groupEpoch: null, assignmentEpoch: null };
      if (g.errorCode === ErrorCode.GroupIdNotFound && version >= 6) return dead;
      if (g.errorCode) throw new KafkaProtocolError(g.errorCode, g.errorMessage);
      if (g.groupState === 'Dead') return dead;
      const isConsumer = g.protocolType === 'consumer';
      return {
        groupId,
        state: g.groupState,
        type: 'classic',
        protocolType: g.protocolType,
        protocol: g.protocolData,
        groupEpoch: null,
        assignmentEpoch: null,
        members: g.members.map((m) => {
          let assignment: TopicPartition[] = [];
          if (isConsumer && m.memberAssignment.length > 0) {
            try {
              assignment = decodeAssignment(Buffer.from(m.memberAssignment));
            } catch {
              assignment = [];
            }
          }
          return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, host: m.clientHost, assignment, targetAssignment: null };
        }),
      };
    });
  }

  /** Every committed offset of the group. */
  async listGroupOffsets(groupId: string): Promise<CommittedOffset[]> {
    return this.withCoordinator(groupId, async (conn) => {
      const { version, body } = await conn.request(ApiKey.OffsetFetch, (v) => ({
        groupId: v < 8 ? groupId : '',
        topics: v < 8 ? null : [],
        groups: v >= 8 ? [{ groupId, memberId: null, memberEpoch: -1, topics: null, _unknownTaggedFields: undefined }] : [],
        requireStable: false,
        _unknownTaggedFields: undefined,
      }));
      const errorCode = version >= 8 ? (body.groups[0]?.errorCode ?? 0) : body.errorCode;
      if (errorCode) throw new KafkaProtocolError(errorCode);
      const topics = version >= 8 ? (body.groups[0]?.topics ?? []) : body.topics;
      const out: CommittedOffset[] = [];
      for (const t of topics) {
        for (const p of t.partitions) {
          if (p.errorCode) throw new KafkaProtocolError(p.errorCode);
          if (p.committedOffset < 0n) continue;
          out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata ?? '' });
        }
      }
      return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    });
  }

  /**
   * Commits offsets for the group as an admin (no member): the coordinator accepts them only while
   * the group has no members. Throws the first partition error.
   */
  async alterGroupOffsets(groupId: string, offsets: readonly { topic: string; partition: number; offset: bigint }[]): Promise<void> {
    if (offsets.length === 0) return;
    const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
    for (const o of offsets) {
      let list = byTopic.get(o.topic);
      if (!list) byTopic.set(o.topic, (list = []));
      list.push(o);
    }
    const { body } = await this.withCoordinator(groupId, (conn) =>
      conn.request(ApiKey.OffsetCommit, () => ({
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [...byTopic].map(([name, list]) => ({
          name,
          topicId: this.client.cachedTopic(name)?.topicId ?? ZERO_UUID,
          partitions: list.map((o) => ({
            partitionIndex: o.partition,
            committedOffset: o.offset,
            committedLeaderEpoch: -1,
            commitTimestamp: -1n,
            committedMetadata: '',
            _unknownTaggedFields: undefined,
          })),
          _unknownTaggedFields: undefined,
        })),
        _unknownTaggedFields: undefined,
      })),
    );
    for (const t of body.topics) for (const p of t.partitions) if (p.errorCode) throw new KafkaProtocolError(p.errorCode);
  }

  /** Deletes groups; the error code of each (0 when deleted). */
  async deleteGroups(groupIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const groupId of groupIds) {
      const { body } = await this.withCoordinator(groupId, async (conn) => {
        const r = await conn.request(ApiKey.DeleteGroups, () => ({ groupsNames: [groupId], _unknownTaggedFields: undefined }));
        const code = r.body.results[0]?.errorCode ?? 0;
        if (COORDINATOR_ERRORS.has(code)) throw new KafkaProtocolError(code);
        return r;
      });
      out.set(groupId, body.results[0]?.errorCode ?? 0);
    }
    return out;
  }

  /**
   * The offset per partition for a timestamp (EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, or ms since the
   * epoch: the first offset at or after it, -1 when there is none), asked of each leader.
   */
  async listOffsets(partitions: readonly TopicPartition[], timestamp: bigint): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    if (partitions.length === 0) return out;
    const topics = await this.client.topicMetadata([...new Set(partitions.map((p) => p.topic))]);
    const byNode = new Map<number, Map<string, number[]>>();
    for (const tp of partitions) {
      const leader = topics.get(tp.topic)?.partitions.find((p) => p.partition === tp.partition)?.leader ?? -1;
      if (leader < 0) throw new KafkaProtocolError(ErrorCode.UnknownTopicOrPartition, `Partition ${tp.topic}-${tp.partition} does not exist`);
      let m = byNode.get(leader);
      if (!m) byNode.set(leader, (m = new Map<string, number[]>()));
      let list = m.get(tp.topic);
      if (!list) m.set(tp.topic, (list = []));
      list.push(tp.partition);
    }
    for (const [node, byTopic] of byNode) {
      const { version, body } = await this.client.retrying(async () => {
        const conn = await this.client.nodeConnection(node);
        return conn.request(ApiKey.ListOffsets, () => ({
          replicaId: -1,
          isolationLevel: 0,
          topics: [...byTopic].map(([name, ps]) => ({
            name,
            partitions: ps.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1, _unknownTaggedFields: undefined })),
            _unknownTaggedFields: undefined,
          })),
          timeoutMs: this.client.requestTimeoutMs,
          _unknownTaggedFields: undefined,
        }));
      });
      for (const t of body.topics) {
        for (const p of t.partitions) {
          if (p.errorCode) throw new KafkaProtocolError(p.errorCode, `ListOffsets for ${t.name}-${p.partitionIndex} failed`);
          out.set(tpKey(t.name, p.partitionIndex), version === 0 ? (p.oldStyleOffsets[0] ?? -1n) : p.offset);
        }
      }
    }
    return out;
  }
}
