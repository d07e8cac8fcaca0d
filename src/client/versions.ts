/**
 * The versions of each api this client speaks, and the negotiation with a broker's ApiVersions.
 *
 * The client sends the highest version both sides support, as every Kafka client does. Its own
 * ceiling per api is that of the Java 4.0 clients (the ones kafka-topics, kafka-console-producer and
 * kafka-console-consumer use), so a broker sees the requests it would see from the Java tools; its
 * floor is what the code here can build and read (record batches v2 only: Produce 3+, Fetch 4+).
 * Apis not listed get the codec's whole range, so other tools can send them as they are.
 */
import { API_TABLE, ApiKey, apiInfo } from '../protocol/generated/api-table.js';
import { NoCommonVersionError } from './errors.js';

export type VersionRange = readonly [min: number, max: number];

export const CLIENT_VERSIONS: Readonly<Partial<Record<ApiKey, VersionRange>>> = {
  [ApiKey.Produce]: [3, 12],
  [ApiKey.Fetch]: [4, 17],
  [ApiKey.ListOffsets]: [1, 10],
  [ApiKey.Metadata]: [1, 13],
  [ApiKey.OffsetCommit]: [2, 9],
  [ApiKey.OffsetFetch]: [1, 9],
  [ApiKey.FindCoordinator]: [0, 6],
  [ApiKey.JoinGroup]: [0, 9],
  [ApiKey.Heartbeat]: [0, 4],
  [ApiKey.LeaveGroup]: [0, 5],
  [ApiKey.SyncGroup]: [0, 5],
  [ApiKey.ApiVersions]: [0, 4],
  [ApiKey.CreateTopics]: [2, 7],
  [ApiKey.DeleteTopics]: [1, 6],
  [ApiKey.CreatePartitions]: [0, 3],
  [ApiKey.DescribeConfigs]: [1, 4],
  [ApiKey.InitProducerId]: [0, 5],
  [ApiKey.DescribeCluster]: [0, 1],
  [ApiKey.DescribeTopicPartitions]: [0, 0],
};

/** This client's range for an api (its table entry, else the codec's whole range). */
export function clientRange(apiKey: ApiKey): VersionRange {
  const own = CLIENT_VERSIONS[apiKey];
  if (own) return own;
  const info = API_TABLE[apiKey];
  return [info.minVersion, info.maxVersion];
}

export function apiName(apiKey: number): string {
  return apiInfo(apiKey)?.name ?? `api ${apiKey}`;
}

/**
 * The version to use: the highest both sides support. `cap` lowers this client's ceiling (tests use
 * it to act as an older client). Throws NoCommonVersionError when the ranges do not meet.
 */
export function negotiateVersion(
  apiKey: ApiKey,
  brokerRanges: ReadonlyMap<number, VersionRange>,
  cap?: number,
): number {
  const [cmin, cmaxOwn] = clientRange(apiKey);
  const cmax = cap === undefined ? cmaxOwn : Math.min(cmaxOwn, cap);
  const broker = brokerRanges.get(apiKey);
  if (!broker) throw new NoCommonVersionError(apiName(apiKey), [cmin, cmax], undefined);
  const lo = Math.max(cmin, broker[0]);
  const hi = Math.min(cmax, broker[1]);
  if (lo > hi) throw new NoCommonVersionError(apiName(apiKey), [cmin, cmax], broker);
  return hi;
}
