/**
 * Leader epochs on a single broker, and the KIP-320 check of a client's epoch.
 *
 * A single broker leads every partition from the start and never hands leadership over, so every
 * partition stays in epoch 0 forever. Each Partition holds its own epoch (Partition.leaderEpoch,
 * which applied cluster states move) and stamps it into the batches it appends; the code that does
 * not ask the Partition yet (Metadata's topic layout, ListOffsets, OffsetForLeaderEpoch and the
 * fencing checks of Fetch) still uses this constant.
 */
import { ErrorCode } from '../protocol/generated/errors.js';

export const LEADER_EPOCH = 0;

/**
 * Kafka's check of a request's currentLeaderEpoch: a negative value means the client does not know
 * the epoch and is not fenced; an older epoch is FENCED_LEADER_EPOCH (the client's metadata is
 * stale), a newer one UNKNOWN_LEADER_EPOCH (this broker is behind the client).
 */
export function checkCurrentLeaderEpoch(currentLeaderEpoch: number, leaderEpoch = LEADER_EPOCH): number {
  if (currentLeaderEpoch < 0 || currentLeaderEpoch === leaderEpoch) return ErrorCode.None;
  return currentLeaderEpoch < leaderEpoch ? ErrorCode.FencedLeaderEpoch : ErrorCode.UnknownLeaderEpoch;
}
