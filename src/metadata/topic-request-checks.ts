/**
 * The checks a CreateTopics or CreatePartitions request passes before anything is placed, shared by
 * the single broker's MetadataStore and the cluster's controller so both answer alike: the topic
 * name, the partition count and replication factor (or the client's own assignment), in Kafka's
 * order and with Kafka's error codes and messages.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { topicNameProblem, unifiedTopicName } from '../protocol/topic-name.js';

export interface RequestProblem {
  errorCode: number;
  errorMessage: string;
}

/** What a CreateTopics request asks for, with the broker's defaults filled in. */
export interface TopicShape {
  partitions: number;
  replicationFactor: number;
  /** The client's own assignment by partition, when it gave one. */
  assignment?: number[][];
}

export interface TopicShapeRequest {
  name: string;
  /** -1: num.partitions */
  numPartitions: number;
  /** -1: default.replication.factor */
  replicationFactor: number;
  assignments?: readonly { partitionIndex: number; brokerIds: readonly number[] }[];
}

const problem = (errorCode: number, errorMessage: string): RequestProblem => ({ errorCode, errorMessage });

export function isProblem(value: object): value is RequestProblem {
  return 'errorCode' in value;
}

/**
 * A new topic's name: legal, not taken, and not one that differs from an existing name only by
 * '.' against '_' (they would share metric names). `collidingWith` maps a unified name to the
 * existing topic that has it.
 */
export function newTopicNameProblem(
  name: string,
  exists: (name: string) => boolean,
  collidingWith: (unifiedName: string) => string | undefined,
): RequestProblem | null {
  const illegal = topicNameProblem(name);
  if (illegal) return problem(ErrorCode.InvalidTopicException, illegal);
  if (exists(name)) return problem(ErrorCode.TopicAlreadyExists, `Topic '${name}' already exists.`);
  const collides = collidingWith(unifiedTopicName(name));
  if (collides !== undefined) return problem(ErrorCode.InvalidTopicException, `Topic '${name}' collides with existing topic: ${collides}`);
  return null;
}

/**
 * The partitions and replication factor a CreateTopics asks for: from the client's assignment
 * (checked against the `registered` brokers), else its counts, -1 standing for num.partitions and
 * default.replication.factor.
 */
export function requestedTopicShape(
  req: TopicShapeRequest,
  broker: Pick<BrokerConfig, 'numPartitions' | 'defaultReplicationFactor'>,
  registered: ReadonlySet<number>,
): TopicShape | RequestProblem {
  if (req.assignments && req.assignments.length > 0) {
    if (req.numPartitions !== -1 || req.replicationFactor !== -1) {
      return problem(ErrorCode.InvalidRequest, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
    }
    const checked = checkManualAssignment(req.assignments, 0, registered);
    if (isProblem(checked)) return checked;
    return { partitions: checked.assignment.length, replicationFactor: checked.assignment[0].length, assignment: checked.assignment };
  }
  const partitions = req.numPartitions === -1 ? broker.numPartitions : req.numPartitions;
  const replicationFactor = req.replicationFactor === -1 ? broker.defaultReplicationFactor : req.replicationFactor;
  if (partitions <= 0) return problem(ErrorCode.InvalidPartitions, 'Number of partitions must be larger than 0.');
  if (replicationFactor <= 0) return problem(ErrorCode.InvalidReplicationFactor, 'Replication factor must be larger than 0.');
  return { partitions, replicationFactor };
}

/** Kafka's message when the factor is more than the brokers available. */
export function replicationFactorProblem(replicationFactor: number, brokers: number): RequestProblem {
  return problem(
    ErrorCode.InvalidReplicationFactor,
    `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${brokers} broker(s) are registered.`,
  );
}

/**
 * The partitions added by a CreatePartitions: more than the topic has, and as many explicit
 * assignments as added partitions when the client gave them.
 */
export function addedPartitionsProblem(current: number, count: number, assignments: number | null): RequestProblem | null {
  if (count < current) {
    return problem(ErrorCode.InvalidPartitions, `Topic currently has ${current} partitions, which is higher than the requested ${count}.`);
  }
  if (count === current) return problem(ErrorCode.InvalidPartitions, `Topic already has ${current} partitions.`);
  if (assignments !== null && assignments !== count - current) {
    return problem(ErrorCode.InvalidReplicaAssignment, `Increasing the number of partitions by ${count - current} but ${assignments} assignments provided.`);
  }
  return null;
}

/**
 * One partition's replicas of a client's own assignment (Kafka's validateManualPartitionAssignment):
 * not empty, every broker registered, none twice, and as many as the topic's other partitions have
 * (`replicationFactor`, when known). Null when valid.
 */
function manualAssignmentProblem(
  brokerIds: readonly number[],
  registered: ReadonlySet<number>,
  replicationFactor: number | undefined,
): string | null {
  if (brokerIds.length === 0) return 'The manual partition assignment includes an empty replica list.';
  const sorted = [...brokerIds].sort((a, b) => a - b);
  let previous: number | undefined;
  for (const id of sorted) {
    if (!registered.has(id)) return `The manual partition assignment includes broker ${id}, but no such broker is registered.`;
    if (id === previous) return `The manual partition assignment includes the broker ${id} more than once.`;
    previous = id;
  }
  if (replicationFactor !== undefined && brokerIds.length !== replicationFactor) {
    return `The manual partition assignment includes a partition with ${brokerIds.length} replica(s), but this is inconsistent with previous partitions, which have ${replicationFactor} replica(s).`;
  }
  return null;
}

/**
 * A whole explicit assignment for partitions from `firstPartition` on: indexes consecutive from
 * there, each partition valid, all of one size (`replicationFactor` when the topic has one).
 * Resolves the replicas in partition order.
 */
export function checkManualAssignment(
  assignments: readonly { partitionIndex: number; brokerIds: readonly number[] }[],
  firstPartition: number,
  registered: ReadonlySet<number>,
  replicationFactor?: number,
): { assignment: number[][] } | RequestProblem {
  const seen = new Set<number>();
  for (const a of assignments) {
    if (seen.has(a.partitionIndex)) {
      return problem(ErrorCode.InvalidReplicaAssignment, `Found multiple manual partition assignments for partition ${a.partitionIndex}`);
    }
    seen.add(a.partitionIndex);
  }
  const sorted = [...assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
  let factor = replicationFactor;
  const assignment: number[][] = [];
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i];
    if (a.partitionIndex !== firstPartition + i) {
      return problem(ErrorCode.InvalidReplicaAssignment, 'Partitions should be consecutive and start from 0.');
    }
    const bad = manualAssignmentProblem(a.brokerIds, registered, factor);
    if (bad !== null) return problem(ErrorCode.InvalidReplicaAssignment, bad);
    factor = a.brokerIds.length;
    assignment.push([...a.brokerIds]);
  }
  return { assignment };
}
