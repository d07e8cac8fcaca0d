/**
 * The broker settings a follower fetches with, under Kafka's names and defaults. They are read from
 * the resolved configuration's entries (every defined key has one, its default when unset) so that
 * replication needs nothing new in the typed config.
 */
import type { ResolvedBrokerConfig } from '../config/broker-config.js';
import { mustGet } from '../util/must-get.js';

export interface ReplicationSettings {
  /** replica.fetch.wait.max.ms: how long the leader may hold a follower's fetch. */
  fetchWaitMaxMs: number;
  /** replica.fetch.min.bytes. */
  fetchMinBytes: number;
  /** replica.fetch.response.max.bytes: the byte budget of a whole fetch response. */
  fetchResponseMaxBytes: number;
  /** replica.fetch.max.bytes: the byte budget of each partition. */
  fetchMaxBytes: number;
  /** replica.fetch.backoff.ms: the pause after a failed fetch or a partition error. */
  fetchBackoffMs: number;
  /** replica.socket.timeout.ms: how long a fetch answer may take beyond its wait. */
  socketTimeoutMs: number;
  /** num.replica.fetchers: fetchers (connections) per leader. */
  numFetchers: number;
}

/** The replication settings of a broker configuration (its defaults are Kafka's: broker-config-defs.ts). */
export function replicationSettingsFrom(resolved: ResolvedBrokerConfig): ReplicationSettings {
  const num = (name: string): number => Number(mustGet(resolved.entries, name).parsed);
  return {
    fetchWaitMaxMs: num('replica.fetch.wait.max.ms'),
    fetchMinBytes: num('replica.fetch.min.bytes'),
    fetchResponseMaxBytes: num('replica.fetch.response.max.bytes'),
    fetchMaxBytes: num('replica.fetch.max.bytes'),
    fetchBackoffMs: num('replica.fetch.backoff.ms'),
    socketTimeoutMs: num('replica.socket.timeout.ms'),
    numFetchers: Math.max(1, num('num.replica.fetchers')),
  };
}
