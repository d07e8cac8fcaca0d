/**
 * The leader epoch of every partition on this broker.
 *
 * A single broker leads every partition from the start and never hands leadership over, so every
 * partition stays in epoch 0 forever. This one constant is what the produce path stamps into each
 * batch's partitionLeaderEpoch, what Metadata reports as each partition's leaderEpoch, what
 * ListOffsets returns, what OffsetForLeaderEpoch answers for, and what the fencing checks of Fetch,
 * ListOffsets and OffsetForLeaderEpoch compare a client's currentLeaderEpoch with (KIP-320).
 */
import { ErrorCode } from '../protocol/generated/errors.js';

export const LEADER_EPOCH = 0;

/**
 * Kafka's check of a request's currentLeaderEpoch: a negative value means the client does not know
 * the epoch and is not fenced; an older epoch is FENCED_LEADER_EPOCH (the client's metadata is
 * stale), a newer one UNKNOWN_LEADER_EPOCH (this broker is behind the client).
 */
export function checkCurrentLeaderEpoch(currentLeaderEpoch: number): number {
  if (currentLeaderEpoch < 0 || currentLeaderEpoch === LEADER_EPOCH) return ErrorCode.None;
  return currentLeaderEpoch < LEADER_EPOCH ? ErrorCode.FencedLeaderEpoch : ErrorCode.UnknownLeaderEpoch;
}
