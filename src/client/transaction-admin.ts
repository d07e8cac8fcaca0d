/**
 * Transaction administration over the wire, as Kafka's Java Admin performs it for
 * kafka-transactions (KIP-664):
 *
 * - listTransactions: ListTransactions to every broker of the cluster (each is the coordinator of
 *   some transactional ids), with the state, producer id, duration (v1+) and transactional id
 *   pattern (v2+) filters; a filter the broker's version cannot carry is refused, as the Java
 *   client refuses it;
 * - describeTransactions: FindCoordinator with key type 1 (transaction) for each transactional id,
 *   then DescribeTransactions to that coordinator;
 * - describeProducers: DescribeProducers to each partition's leader, or to one given broker;
 * - abortTransaction: WriteTxnMarkers with an ABORT marker for one partition to its leader, for a
 *   producer learnt from DescribeProducers (Kafka's AbortTransactionHandler): the way to end a
 *   hanging transaction that no coordinator will complete.
 *
 * Per-id and per-partition failures come back as outcomes (PartitionOutcome); retriable
 * coordinator and leadership errors are retried within the client's retry time.
 */
import { ApiKey } from '../protocol/generated/api-table.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import type { BrokerNode } from './cluster.js';
import { KafkaProtocolError } from './errors.js';
import { OwnedClient } from './owned-client.js';
import { byLeader, groupByTopic, partitionKey, type PartitionOutcome } from './partition-leaders.js';

/** FindCoordinator's key type for transactional ids. */
const TRANSACTION_KEY_TYPE = 1;

export interface TransactionListing {
  transactionalId: string;
  producerId: bigint;
  /** Kafka's state name: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, PrepareEpochFence, Dead. */
  state: string;
}

export interface ListTransactionsFilters {
  /** Keep only these states; empty keeps all. */
  states?: readonly string[];
  /** Keep only these producer ids; empty keeps all. */
  producerIds?: readonly bigint[];
  /** Keep only transactions running longer than this many milliseconds (ListTransactions v1+); negative keeps all. */
  durationMs?: bigint;
  /** Keep only transactional ids matching this regular expression (ListTransactions v2+); empty keeps all. */
  transactionalIdPattern?: string;
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export interface TransactionDescription {
  /** The broker that coordinates the transactional id. */
  coordinatorId: number;
  transactionalId: string;
  state: string;
  producerId: bigint;
  producerEpoch: number;
  transactionTimeoutMs: number;
  /** Null when no transaction is running (the broker reports -1). */
  transactionStartTimeMs: bigint | null;
  /** The partitions in the transaction (while completing, those still without a marker). */
  topicPartitions: TopicPartitionRef[];
}

export interface ProducerState {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  /** -1 when unknown (no marker written yet). */
  coordinatorEpoch: number;
  /** The first offset of the producer's open transaction in the partition; null without one. */
  currentTransactionStartOffset: bigint | null;
}

/** What Kafka's AbortTransactionSpec names: the producer whose transaction to abort in one partition. */
export interface AbortTransactionSpec extends TopicPartitionRef {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
}

export { partitionKey };

export class TransactionAdmin extends OwnedClient {
  /** The transactions every broker coordinates, by broker id (Kafka's allByBrokerId), brokers in id order. */
  async listTransactions(filters: ListTransactionsFilters = {}): Promise<Map<number, TransactionListing[]>> {
    const md = await this.client.metadata([]);
    const out = new Map<number, TransactionListing[]>();
    for (const node of [...md.brokers].sort((a, b) => a.nodeId - b.nodeId)) {
      out.set(node.nodeId, await this.client.retrying(() => this.listTransactionsOn(node, filters)));
    }
    return out;
  }

  private async listTransactionsOn(node: BrokerNode, filters: ListTransactionsFilters): Promise<TransactionListing[]> {
    const conn = await this.client.nodeConnection(node.nodeId);
    const duration = filters.durationMs ?? -1n;
    const pattern = filters.transactionalIdPattern ?? '';
    const { body } = await conn.request(ApiKey.ListTransactions, (v) => {
      if (duration >= 0n && v < 1) throw new Error('Duration filter can be set only when using API version 1 or higher. If client is connected to an older broker, do not specify duration filter or set duration filter to -1.');
      if (pattern !== '' && v < 2) throw new Error('Transactional ID pattern filter can be set only when using API version 2 or higher. If client is connected to an older broker, do not specify the pattern filter.');
      return {
        stateFilters: [...(filters.states ?? [])],
        producerIdFilters: [...(filters.producerIds ?? [])],
        durationFilter: duration,
        transactionalIdPattern: pattern === '' ? null : pattern,
        _unknownTaggedFields: undefined,
      };
    });
    if (body.errorCode) throw new KafkaProtocolError(body.errorCode);
    return body.transactionStates.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.transactionState }));
  }

  /** Each transactional id's state, asked of its coordinator; an unknown id is TRANSACTIONAL_ID_NOT_FOUND. */
  async describeTransactions(transactionalIds: readonly string[]): Promise<Map<string, PartitionOutcome<TransactionDescription>>> {
    const out = new Map<string, PartitionOutcome<TransactionDescription>>();
    for (const id of new Set(transactionalIds)) {
      try {
        out.set(id, { ok: true, value: await this.client.retrying(() => this.describeTransactionOnce(id)) });
      } catch (err) {
        if (!(err instanceof KafkaProtocolError)) throw err;
        out.set(id, { ok: false, error: err });
      }
    }
    return out;
  }

  private async describeTransactionOnce(transactionalId: string): Promise<TransactionDescription> {
    const coordinator = await this.client.findCoordinatorOnce(transactionalId, TRANSACTION_KEY_TYPE);
    const conn = await this.client.connectionTo(coordinator);
    const { body } = await conn.request(ApiKey.DescribeTransactions, () => ({ transactionalIds: [transactionalId], _unknownTaggedFields: undefined }));
    const s = body.transactionStates.find((x) => x.transactionalId === transactionalId);
    if (!s) throw new KafkaProtocolError(ErrorCode.UnknownServerError, `no DescribeTransactions result for ${transactionalId}`);
    if (s.errorCode) throw new KafkaProtocolError(s.errorCode);
    return {
      coordinatorId: coordinator.nodeId,
      transactionalId,
      state: s.transactionState,
      producerId: s.producerId,
      producerEpoch: s.producerEpoch,
      transactionTimeoutMs: s.transactionTimeoutMs,
      transactionStartTimeMs: s.transactionStartTimeMs === -1n ? null : s.transactionStartTimeMs,
      topicPartitions: s.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))),
    };
  }

  /**
   * The active producers of each partition, keyed "topic:partition", asked of each partition's
   * leader (or of `brokerId`, to see a given replica's state).
   */
  async describeProducers(partitions: readonly TopicPartitionRef[], options: { brokerId?: number } = {}): Promise<Map<string, PartitionOutcome<ProducerState[]>>> {
    const out = new Map<string, PartitionOutcome<ProducerState[]>>();
    let byNode: Map<number, TopicPartitionRef[]>;
    if (options.brokerId !== undefined) {
      byNode = new Map([[options.brokerId, [...partitions]]]);
    } else {
      byNode = await byLeader(this.client, partitions, out);
    }
    for (const [node, list] of byNode) {
      const conn = await this.client.retrying(() => this.client.nodeConnection(node));
      const { body } = await conn.request(ApiKey.DescribeProducers, () => ({
        topics: groupByTopic(list).map(([name, ps]) => ({ name, partitionIndexes: ps.map((p) => p.partition), _unknownTaggedFields: undefined })),
        _unknownTaggedFields: undefined,
      }));
      for (const t of body.topics) {
        for (const p of t.partitions) {
          const key = partitionKey(t.name, p.partitionIndex);
          if (p.errorCode) {
            out.set(key, { ok: false, error: new KafkaProtocolError(p.errorCode, p.errorMessage) });
            continue;
          }
          out.set(key, {
            ok: true,
            value: p.activeProducers.map((s) => ({
              producerId: s.producerId,
              producerEpoch: s.producerEpoch,
              lastSequence: s.lastSequence,
              lastTimestamp: s.lastTimestamp,
              coordinatorEpoch: s.coordinatorEpoch,
              currentTransactionStartOffset: s.currentTxnStartOffset < 0n ? null : s.currentTxnStartOffset,
            })),
          });
        }
      }
    }
    return out;
  }

  /**
   * Writes an ABORT marker for the producer's transaction into one partition, through its leader
   * (WriteTxnMarkers, as Kafka's Admin.abortTransaction). Rejects with the partition's error.
   */
  async abortTransaction(spec: AbortTransactionSpec): Promise<void> {
    await this.client.retrying(async () => {
      const outcome = new Map<string, PartitionOutcome<never>>();
      const leaders = await byLeader(this.client, [spec], outcome);
      const failed = outcome.get(partitionKey(spec.topic, spec.partition));
      if (failed && !failed.ok) throw failed.error;
      const [leader] = [...leaders.keys()];
      const conn = await this.client.nodeConnection(leader);
      const { body } = await conn.request(ApiKey.WriteTxnMarkers, () => ({
        markers: [
          {
            producerId: spec.producerId,
            producerEpoch: spec.producerEpoch,
            transactionResult: false,
            topics: [{ name: spec.topic, partitionIndexes: [spec.partition], _unknownTaggedFields: undefined }],
            coordinatorEpoch: spec.coordinatorEpoch,
            transactionVersion: 0,
            _unknownTaggedFields: undefined,
          },
        ],
        _unknownTaggedFields: undefined,
      }));
      const code = body.markers.at(0)?.topics.at(0)?.partitions.at(0)?.errorCode;
      if (code === undefined) throw new KafkaProtocolError(ErrorCode.UnknownServerError, 'WriteTxnMarkers answered without the partition');
      if (code !== ErrorCode.None) throw new KafkaProtocolError(code);
    });
  }
}

