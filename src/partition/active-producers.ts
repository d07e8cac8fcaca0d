/**
 * The producers a partition has state for, as DescribeProducers reports them (KIP-664; Kafka's
 * KafkaApis.handleDescribeProducersRequest, ReplicaManager.activeProducerState and
 * UnifiedLog.activeProducers): per producer id, its epoch, the last sequence and timestamp of its
 * last batch (-1 when its state holds no batch), the coordinator epoch of its last marker, and the
 * first offset of its ongoing transaction (-1 when none).
 *
 * Errors, per partition, as Kafka: a topic name that is not legal is INVALID_TOPIC_EXCEPTION with
 * Kafka's message; a topic or partition that does not exist is UNKNOWN_TOPIC_OR_PARTITION; a
 * partition this broker follows is NOT_LEADER_OR_FOLLOWER (Kafka's Partition.activeProducerState);
 * producer state that cannot be loaded from disk is KAFKA_STORAGE_ERROR. Internal topics are
 * described like any other (Kafka makes no exception for them). Authorization is not checked
 * (TOPIC_AUTHORIZATION_FAILED never happens).
 */
import { ErrorCode } from '../protocol/generated/errors.js';
import { topicNameProblem } from '../protocol/topic-name.js';
import type { Topic } from '../metadata/metadata-store.js';
import type { ProducerStateManager } from '../storage/producer-state.js';
import { StorageError } from '../storage/types.js';

export interface ActiveProducer {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  coordinatorEpoch: number;
  currentTxnStartOffset: bigint;
}

export interface PartitionProducers {
  errorCode: number;
  errorMessage: string | null;
  producers: ActiveProducer[];
}

/**
 * Finds a hosted partition's producer state, loading it if needed; undefined when not hosted, or the
 * error code to answer instead (NOT_LEADER_OR_FOLLOWER: only the leader describes its producers).
 */
export type ProducerStateLookup = (topic: string, partition: number) => Promise<ProducerStateManager | number | undefined>;

function failure(errorCode: number, errorMessage: string | null): PartitionProducers {
  return { errorCode, errorMessage, producers: [] };
}

/** What DescribeProducers answers for `topic`-`partition`. */
export async function describePartitionProducers(
  metadata: { topic(name: string): Pick<Topic, 'partitions'> | undefined },
  producerState: ProducerStateLookup,
  topic: string,
  partition: number,
): Promise<PartitionProducers> {
  const problem = topicNameProblem(topic);
  if (problem !== null) return failure(ErrorCode.InvalidTopicException, problem);
  const known = metadata.topic(topic);
  if (known === undefined || partition < 0 || partition >= known.partitions) return failure(ErrorCode.UnknownTopicOrPartition, null);
  let state: ProducerStateManager | number | undefined;
  try {
    state = await producerState(topic, partition);
  } catch (e) {
    if (e instanceof StorageError) return failure(ErrorCode.KafkaStorageError, e.message);
    throw e;
  }
  if (state === undefined) return failure(ErrorCode.UnknownTopicOrPartition, null);
  if (typeof state === 'number') return failure(state, null);
  const producers: ActiveProducer[] = [];
  for (const [producerId, e] of state.activeProducers()) {
    const last = e.batches.at(-1);
    producers.push({
      producerId,
      producerEpoch: e.producerEpoch,
      lastSequence: last === undefined ? -1 : last.lastSeq,
      lastTimestamp: last === undefined ? -1n : e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnStartOffset: e.currentTxnFirstOffset,
    });
  }
  return { errorCode: ErrorCode.None, errorMessage: null, producers };
}
