/**
 * Time and timers, injected: every component that reads the time or schedules work takes a Clock,
 * so tests drive time with a ManualClock instead of sleeping (Kafka's `Time`/`MockTime`).
 *
 * `now()` is wall-clock milliseconds since the epoch (what record timestamps, retention.ms and
 * segment.ms are compared with), not a monotonic reading.
 */

declare const timerBrand: unique symbol;

/** An opaque timer, as returned by `Clock.setTimeout`. */
export type TimerHandle = { readonly [timerBrand]: true };

export interface TimerOptions {
  /**
   * When true, a pending timer does not keep the Node process alive (`Timeout.unref()`): for
   * background housekeeping that must never delay exit. Ignored by the ManualClock.
   */
  unref?: boolean;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once, `delayMs` from now (0 or less: as soon as possible). */
  setTimeout(callback: () => void, delayMs: number, options?: TimerOptions): TimerHandle;
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** Node's timers fire at once for delays beyond 2^31 - 1 ms; longer ones are capped (about 24.8 days). */
const MAX_TIMER_DELAY_MS = 0x7fffffff;

/** The real clock: Date.now() and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs, options) {
    const timer = setTimeout(callback, Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS));
    if (options?.unref) timer.unref();
    return timer as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

interface ManualTimer {
  readonly id: number;
  readonly dueMs: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to. Timers fire in due order (ties in the order they were
 * set), each with `now()` equal to its due time, so a schedule can be asserted exactly.
 *
 * `advance` is synchronous: callbacks run, but promises they start have not settled when it
 * returns. `advanceAsync` lets pending promise work and I/O callbacks run after each timer, so
 * async jobs that reschedule themselves when done (a run that sets the next timer at its end)
 * fire on every due time within the advanced span.
 */
export class ManualClock implements Clock {
  private nowMs: number;
  private nextId = 1;
  private timers: ManualTimer[] = [];

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer: ManualTimer = { id: this.nextId++, dueMs: this.nowMs + Math.max(0, delayMs), callback };
    // Keep the list sorted by (dueMs, id): insert after every timer due at or before this one.
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].dueMs > timer.dueMs) i--;
    this.timers.splice(i, 0, timer);
    return timer.id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    const id = handle as unknown as number;
    const i = this.timers.findIndex((t) => t.id === id);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Number of timers set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Due time of the next timer, or undefined when none is pending. */
  nextTimerAt(): number | undefined {
    return this.timers[0]?.dueMs;
  }

  /** Sets the time without firing anything (moving backwards is allowed: wall clocks do). */
  setNow(ms: number): void {
    this.nowMs = ms;
  }

  /** Moves time forward by `ms`, firing every timer that becomes due, including ones set meanwhile. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError(`cannot advance by a negative amount (${ms})`);
    const target = this.nowMs + ms;
    for (let timer = this.takeDue(target); timer; timer = this.takeDue(target)) {
      this.nowMs = Math.max(this.nowMs, timer.dueMs);
      timer.callback();
    }
    this.nowMs = Math.max(this.nowMs, target);
  }

  /** Like `advance`, but lets promises and I/O started by each callback settle before the next fires. */
  async advanceAsync(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError(`cannot advance by a negative amount (${ms})`);
    const target = this.nowMs + ms;
    await settle();
    for (let timer = this.takeDue(target); timer; timer = this.takeDue(target)) {
      this.nowMs = Math.max(this.nowMs, timer.dueMs);
      timer.callback();
      await settle();
    }
    this.nowMs = Math.max(this.nowMs, target);
  }

  private takeDue(target: number): ManualTimer | undefined {
    const first = this.timers.at(0);
    if (!first || first.dueMs > target) return undefined;
    this.timers.shift();
    return first;
  }
}

/** Lets queued promise reactions and one round of I/O callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
