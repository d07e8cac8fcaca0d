/**
 * Gregor's Kafka client: the wire protocol of src/protocol over TCP, enough for Kafka's console
 * tools and admin commands, against Gregor or any Kafka broker (versions are negotiated from each
 * broker's ApiVersions answer).
 *
 *   connection.ts  one pipelined connection; ApiVersions negotiation; request timeouts
 *   cluster.ts     KafkaClient: bootstrap, metadata, a connection per broker, coordinators, retries
 *   admin.ts       topics (list, describe, create, delete, add partitions), configs (describe,
 *                  alter), offsets, record deletion, log dirs, cluster and api versions
 *   producer.ts    batching, idempotence, retries, compression, Kafka's partitioning
 *   consumer.ts    assign or subscribe, fetch, offsets reset, read_committed, auto-commit
 *   group.ts       classic group membership, committed offsets, the range assignor
 *   group-admin.ts consumer group administration: list, describe (classic and KIP-848), offsets, delete
 *   transaction-admin.ts transactions: list, describe, producers of partitions, abort a hanging one
 *   partition-leaders.ts what the admin clients share to ask each partition's leader
 *   owned-client.ts the admin clients' KafkaClient: given and shared, or their own to close
 */
export * from './errors.js';
export * from './versions.js';
export * from './connection.js';
export * from './cluster.js';
export * from './admin.js';
export * from './producer.js';
export * from './consumer.js';
export * from './group.js';
export * from './group-admin.js';
export * from './transaction-admin.js';
export * from './partitioner.js';
