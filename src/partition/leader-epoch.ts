/**
 * The KIP-320 check of a client's leader epoch against a partition's (Partition.checkLeaderEpoch
 * adds leadership to it). A single broker leads every partition in epoch 0 forever; in a cluster
 * applied partition states move the epoch.
 */
import { ErrorCode } from '../protocol/generated/errors.js';

/**
 * Kafka's check of a request's currentLeaderEpoch: a negative value means the client does not know
 * the epoch and is not fenced; an older epoch is FENCED_LEADER_EPOCH (the client's metadata is
 * stale), a newer one UNKNOWN_LEADER_EPOCH (this broker is behind the client).
 */
export function checkCurrentLeaderEpoch(currentLeaderEpoch: number, leaderEpoch: number): number {
  if (currentLeaderEpoch < 0 || currentLeaderEpoch === leaderEpoch) return ErrorCode.None;
  return currentLeaderEpoch < leaderEpoch ? ErrorCode.FencedLeaderEpoch : ErrorCode.UnknownLeaderEpoch;
}
