/** The request checks the single broker and the cluster's controller share. */
import { describe, expect, it } from '@jest/globals';
import {
  addedPartitionsProblem,
  checkManualAssignment,
  newTopicNameProblem,
  requestedTopicShape,
} from '../../src/metadata/topic-request-checks.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';

describe('topic names', () => {
  const existing = new Map([['a.b', 'a.b']]);
  const check = (name: string) => newTopicNameProblem(name, (n) => n === 'a.b', (u) => (u === 'a_b' ? existing.get('a.b') : undefined));

  it('answers INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, or a collision', () => {
    expect(check('ok')).toBeNull();
    expect(check('bad name')?.errorCode).toBe(ErrorCode.InvalidTopicException);
    expect(check('a.b')).toEqual({ errorCode: ErrorCode.TopicAlreadyExists, errorMessage: "Topic 'a.b' already exists." });
    expect(check('a_b')).toEqual({ errorCode: ErrorCode.InvalidTopicException, errorMessage: "Topic 'a_b' collides with existing topic: a.b" });
  });
});

describe('topic shape', () => {
  const broker = { numPartitions: 3, defaultReplicationFactor: 2 };
  const registered = new Set([1, 2]);

  it('fills -1 with the broker defaults and refuses non-positive counts', () => {
    expect(requestedTopicShape({ name: 't', numPartitions: -1, replicationFactor: -1 }, broker, registered)).toEqual({ partitions: 3, replicationFactor: 2 });
    expect(requestedTopicShape({ name: 't', numPartitions: 0, replicationFactor: 1 }, broker, registered)).toMatchObject({ errorCode: ErrorCode.InvalidPartitions });
    expect(requestedTopicShape({ name: 't', numPartitions: 1, replicationFactor: 0 }, broker, registered)).toMatchObject({
      errorCode: ErrorCode.InvalidReplicationFactor,
    });
  });

  it('takes the shape of an explicit assignment, refused next to counts', () => {
    const assignments = [
      { partitionIndex: 0, brokerIds: [2, 1] },
      { partitionIndex: 1, brokerIds: [1, 2] },
    ];
    expect(requestedTopicShape({ name: 't', numPartitions: -1, replicationFactor: -1, assignments }, broker, registered)).toEqual({
      partitions: 2,
      replicationFactor: 2,
      assignment: [
        [2, 1],
        [1, 2],
      ],
    });
    expect(requestedTopicShape({ name: 't', numPartitions: 2, replicationFactor: -1, assignments }, broker, registered)).toMatchObject({
      errorCode: ErrorCode.InvalidRequest,
    });
  });

  it('checks the partitions a CreatePartitions adds', () => {
    expect(addedPartitionsProblem(3, 2, null)?.errorCode).toBe(ErrorCode.InvalidPartitions);
    expect(addedPartitionsProblem(3, 3, null)).toEqual({ errorCode: ErrorCode.InvalidPartitions, errorMessage: 'Topic already has 3 partitions.' });
    expect(addedPartitionsProblem(3, 5, 1)).toEqual({
      errorCode: ErrorCode.InvalidReplicaAssignment,
      errorMessage: 'Increasing the number of partitions by 2 but 1 assignments provided.',
    });
    expect(addedPartitionsProblem(3, 5, 2)).toBeNull();
  });
});

describe('explicit assignments', () => {
  const registered = new Set([1, 2, 3]);

  it('accepts consecutive partitions of one size naming registered brokers, in partition order', () => {
    expect(
      checkManualAssignment(
        [
          { partitionIndex: 1, brokerIds: [3, 1] },
          { partitionIndex: 0, brokerIds: [1, 2] },
        ],
        0,
        registered,
      ),
    ).toEqual({ assignment: [[1, 2], [3, 1]] });
  });

  it.each([
    [[{ partitionIndex: 0, brokerIds: [1, 9] }], 'The manual partition assignment includes broker 9, but no such broker is registered.'],
    [[{ partitionIndex: 0, brokerIds: [2, 1, 2] }], 'The manual partition assignment includes the broker 2 more than once.'],
    [[{ partitionIndex: 0, brokerIds: [] }], 'The manual partition assignment includes an empty replica list.'],
    [
      [
        { partitionIndex: 0, brokerIds: [1, 2] },
        { partitionIndex: 1, brokerIds: [3] },
      ],
      'The manual partition assignment includes a partition with 1 replica(s), but this is inconsistent with previous partitions, which have 2 replica(s).',
    ],
    [[{ partitionIndex: 1, brokerIds: [1] }], 'Partitions should be consecutive and start from 0.'],
    [
      [
        { partitionIndex: 0, brokerIds: [1] },
        { partitionIndex: 0, brokerIds: [2] },
      ],
      'Found multiple manual partition assignments for partition 0',
    ],
  ])('rejects %j with INVALID_REPLICA_ASSIGNMENT', (assignments, message) => {
    expect(checkManualAssignment(assignments, 0, registered)).toEqual({ errorCode: ErrorCode.InvalidReplicaAssignment, errorMessage: message });
  });

  it('checks added partitions against the topic factor', () => {
    expect(checkManualAssignment([{ partitionIndex: 2, brokerIds: [1] }], 2, registered, 2)).toMatchObject({
      errorCode: ErrorCode.InvalidReplicaAssignment,
    });
  });
});
