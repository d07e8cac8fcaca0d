/**
 * Authorized-operations bit fields (KIP-430), as Metadata, DescribeCluster and
 * DescribeTopicPartitions report them. Gregor has no authorizer, so, as Kafka without one, every
 * operation the resource type supports is allowed: the field is the set of those operations'
 * codes as bits (Kafka's `Utils.to32BitField` over `AclEntry.supportedOperations`).
 *
 * A field the client did not ask for carries INT32_MIN, the schema default.
 */

/** Kafka's AclOperation codes. */
export const AclOperation = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const;

function bits(...ops: number[]): number {
  return ops.reduce((field, op) => field | (1 << op), 0);
}

/** The field when the client did not ask for authorized operations. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** A topic: READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS (3576). */
export const TOPIC_AUTHORIZED_OPERATIONS = bits(
  AclOperation.READ,
  AclOperation.WRITE,
  AclOperation.CREATE,
  AclOperation.DELETE,
  AclOperation.ALTER,
  AclOperation.DESCRIBE,
  AclOperation.DESCRIBE_CONFIGS,
  AclOperation.ALTER_CONFIGS,
);

/** The cluster: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE (8096). */
export const CLUSTER_AUTHORIZED_OPERATIONS = bits(
  AclOperation.CREATE,
  AclOperation.ALTER,
  AclOperation.DESCRIBE,
  AclOperation.CLUSTER_ACTION,
  AclOperation.DESCRIBE_CONFIGS,
  AclOperation.ALTER_CONFIGS,
  AclOperation.IDEMPOTENT_WRITE,
);
