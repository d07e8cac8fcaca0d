/**
 * What a partition's leader knows of one follower replica (Kafka's Replica and ReplicaState): where
 * its log ends and starts as its last fetch said, when it last fetched, and when it was last caught
 * up with the leader.
 *
 * **Caught up** (Kafka's rule): a fetch from at least the leader's log end offset means the follower
 * was caught up at that fetch's time; a fetch from at least the log end offset the leader had at the
 * follower's previous fetch means it was caught up at the previous fetch's time (it has everything
 * the leader had then). A follower caught up within `replica.lag.time.max.ms`, or at the leader's log
 * end right now, is in sync by time; one that is not is dropped from the ISR.
 */

/** Kafka's UnifiedLog.UnknownOffset: nothing heard from the follower in this leadership. */
export const UNKNOWN_OFFSET = -1n;

export class ReplicaState {
  logEndOffset = UNKNOWN_OFFSET;
  logStartOffset = UNKNOWN_OFFSET;
  lastCaughtUpTimeMs = 0;
  lastFetchTimeMs = 0;
  /** The leader's log end offset at the follower's last fetch. */
  lastFetchLeaderLogEndOffset = UNKNOWN_OFFSET;
  /** The follower broker's epoch from its fetches (-1 when the fetch version carries none). */
  brokerEpoch = -1n;

  constructor(readonly brokerId: number) {}

  /**
   * Forgets what an earlier leadership learned (Kafka's resetReplicaState on becoming leader): the
   * follower's offsets are unknown until it fetches; one the new state lists in sync counts as
   * caught up now, so it is not dropped before it had a chance to fetch.
   */
  reset(nowMs: number, inSync: boolean): void {
    this.logEndOffset = UNKNOWN_OFFSET;
    this.logStartOffset = UNKNOWN_OFFSET;
    this.lastCaughtUpTimeMs = inSync ? nowMs : 0;
    this.lastFetchTimeMs = 0;
    this.lastFetchLeaderLogEndOffset = UNKNOWN_OFFSET;
    this.brokerEpoch = -1n;
  }

  /** The same leader in a new epoch keeps what it knows; a follower the state lists in sync counts as caught up now. */
  renewInSync(nowMs: number, leaderEndOffset: bigint): void {
    this.lastCaughtUpTimeMs = nowMs;
    this.lastFetchTimeMs = nowMs;
    this.lastFetchLeaderLogEndOffset = leaderEndOffset;
  }

  /** Records a fetch from `fetchOffset` (the follower's log end offset) at `nowMs`. */
  updateFetchState(fetchOffset: bigint, logStartOffset: bigint, nowMs: number, leaderEndOffset: bigint, brokerEpoch: bigint): void {
    if (fetchOffset >= leaderEndOffset) this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, nowMs);
    else if (fetchOffset >= this.lastFetchLeaderLogEndOffset) this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, this.lastFetchTimeMs);
    this.logEndOffset = fetchOffset;
    this.logStartOffset = logStartOffset;
    this.lastFetchLeaderLogEndOffset = leaderEndOffset;
    this.lastFetchTimeMs = nowMs;
    this.brokerEpoch = brokerEpoch;
  }

  /** In sync by time: at the leader's log end, or caught up within `maxLagMs` (Kafka's isCaughtUp). */
  isCaughtUp(leaderEndOffset: bigint, nowMs: number, maxLagMs: number): boolean {
    return this.logEndOffset === leaderEndOffset || nowMs - this.lastCaughtUpTimeMs <= maxLagMs;
  }
}
