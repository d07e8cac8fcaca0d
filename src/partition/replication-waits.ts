/**
 * The acks=all produces of one partition waiting for the ISR (Kafka's DelayedProduce in the produce
 * purgatory, keyed by partition). Each wait holds the offset its records end at (last offset + 1)
 * and is settled by the first of: the partition's check saying enough replicas have it or that it
 * can never be satisfied here (`checkAll`, called whenever the high watermark or the ISR moves and
 * when leadership is lost), or its timer on the injected clock (REQUEST_TIMED_OUT).
 */
import { ErrorCode } from '../protocol/generated/errors.js';
import type { Clock, TimerHandle } from '../util/clock.js';

/**
 * Kafka's checkEnoughReplicasReachOffset: null while the wait must go on, else the error code to
 * answer (NONE when satisfied).
 */
export type ReplicationCheck = (requiredOffset: bigint) => number | null;

interface Wait {
  requiredOffset: bigint;
  timer: TimerHandle;
  resolve: (errorCode: number) => void;
}

export class ReplicationWaits {
  private readonly waits = new Set<Wait>();

  constructor(
    private readonly clock: Clock,
    private readonly check: ReplicationCheck,
  ) {}

  /** How many produces are waiting. */
  get size(): number {
    return this.waits.size;
  }

  /** Resolves the check's answer for `requiredOffset`, at once when it has one, else when it does or after `timeoutMs`. */
  wait(requiredOffset: bigint, timeoutMs: number): Promise<number> {
    const now = this.check(requiredOffset);
    if (now !== null) return Promise.resolve(now);
    return new Promise<number>((resolve) => {
      const wait: Wait = {
        requiredOffset,
        resolve,
        timer: this.clock.setTimeout(() => {
          if (this.waits.delete(wait)) resolve(ErrorCode.RequestTimedOut);
        }, timeoutMs),
      };
      this.waits.add(wait);
    });
  }

  /** Settles every wait the check now has an answer for. */
  checkAll(): void {
    if (this.waits.size === 0) return;
    for (const wait of [...this.waits]) {
      const code = this.check(wait.requiredOffset);
      if (code === null) continue;
      this.settle(wait, code);
    }
  }

  /** Settles every wait with `errorCode` (leadership lost, partition gone). */
  failAll(errorCode: number): void {
    for (const wait of [...this.waits]) this.settle(wait, errorCode);
  }

  private settle(wait: Wait, code: number): void {
    this.waits.delete(wait);
    this.clock.clearTimeout(wait.timer);
    wait.resolve(code);
  }
}
