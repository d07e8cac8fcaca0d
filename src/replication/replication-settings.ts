/**
 * The broker settings a follower fetches with, under Kafka's names and defaults. They are read from
 * the resolved configuration's entries so that replication needs nothing new in the typed config.
 */
import type { ResolvedBrokerConfig } from '../config/broker-config.js';

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

/** Kafka's defaults. */
export const DEFAULT_REPLICATION_SETTINGS: Readonly<ReplicationSettings> = {
  fetchWaitMaxMs: 500,
  fetchMinBytes: 1,
  fetchResponseMaxBytes: 10_485_760,
  fetchMaxBytes: 1_048_576,
  fetchBackoffMs: 1000,
  socketTimeoutMs: 30_000,
  numFetchers: 1,
};

/** The replication settings of a broker configuration. */
export function replicationSettingsFrom(resolved: ResolvedBrokerConfig): ReplicationSettings {
  const num = (name: string, fallback: number): number => {
    const v = resolved.entries.get(name)?.parsed;
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    return fallback;
  };
  const d = DEFAULT_REPLICATION_SETTINGS;
  return {
    fetchWaitMaxMs: num('replica.fetch.wait.max.ms', d.fetchWaitMaxMs),
    fetchMinBytes: num('replica.fetch.min.bytes', d.fetchMinBytes),
    fetchResponseMaxBytes: num('replica.fetch.response.max.bytes', d.fetchResponseMaxBytes),
    fetchMaxBytes: num('replica.fetch.max.bytes', d.fetchMaxBytes),
    fetchBackoffMs: num('replica.fetch.backoff.ms', d.fetchBackoffMs),
    socketTimeoutMs: num('replica.socket.timeout.ms', d.socketTimeoutMs),
    numFetchers: Math.max(1, num('num.replica.fetchers', d.numFetchers)),
  };
}
