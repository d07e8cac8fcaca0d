/**
 * Kafka's Throttler (log.cleaner.io.max.bytes.per.second): a caller reports the bytes it read or
 * wrote; once a check period has passed, when the rate over that period is above the desired rate,
 * `maybeThrottle` waits as long as it takes the period's bytes to fall to the desired rate. The
 * desired rate is read at each check, so a dynamic config change applies at the next period.
 * Infinite (Kafka's default, Double.MAX_VALUE) never waits.
 */
import type { Clock } from '../util/clock.js';

/** Kafka's Throttler checks the rate every 300 ms. */
export const THROTTLE_CHECK_INTERVAL_MS = 300;

export class Throttler {
  private periodStartMs: number;
  private observedSoFar = 0;

  constructor(
    private readonly desiredBytesPerSecond: () => number,
    private readonly clock: Clock,
    private readonly checkIntervalMs = THROTTLE_CHECK_INTERVAL_MS,
  ) {
    this.periodStartMs = clock.now();
  }

  /** Counts `bytes`; waits when the period's rate is above the desired one. */
  async maybeThrottle(bytes: number): Promise<void> {
    this.observedSoFar += bytes;
    const now = this.clock.now();
    const elapsedMs = now - this.periodStartMs;
    if (elapsedMs < this.checkIntervalMs || this.observedSoFar <= 0) return;
    const desired = this.desiredBytesPerSecond();
    const rate = (this.observedSoFar * 1000) / elapsedMs;
    if (Number.isFinite(desired) && desired > 0 && desired < Number.MAX_VALUE && rate > desired) {
      const targetMs = (this.observedSoFar * 1000) / desired;
      const sleepMs = Math.round(targetMs - elapsedMs);
      if (sleepMs > 0) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, sleepMs, { unref: true }));
    }
    this.periodStartMs = this.clock.now();
    this.observedSoFar = 0;
  }
}
