/**
 * Kafka's controller refuses a CreateTopics request that would create more than 10,000 partitions
 * in all (KAFKA-17870, Kafka 4.0), with POLICY_VIOLATION for every topic it was given: one request
 * must not be able to exhaust the broker's memory or disk. The same bound applies here to the new
 * partitions of a CreatePartitions request, which Kafka's controller also bounds by its
 * per-operation record limit.
 */
import { ErrorCode } from '../../protocol/generated/errors.js';

export const MAX_NEW_PARTITIONS_PER_REQUEST = 10_000;

export const TOO_MANY_PARTITIONS = {
  errorCode: ErrorCode.PolicyViolation,
  errorMessage: 'Excessively large number of partitions per request.',
} as const;
