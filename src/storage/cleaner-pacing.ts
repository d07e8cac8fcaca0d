/**
 * How the log cleaner shares the broker's event loop with produce and fetch.
 *
 * **Slices.** The cleaner's CPU work (walking batches, recompressing) runs in slices of at most
 * SLICE_MS, so a request arriving meanwhile waits at most one slice for the event loop.
 *
 * **Duty cycle.** On a machine with few cores, a cleaner that yields with setImmediate keeps the
 * broker's main thread runnable all the time: the operating system treats it as a CPU hog, and a
 * produce request arriving while another process holds the core waits for the broker thread's
 * next turn of the scheduler, not for the end of a slice. So the cleaner takes at most `share` of
 * the wall time of the event loop, and sleeps on a timer for the rest: a sleeping thread is woken
 * promptly when a request arrives (schedulers favour threads that slept), and the timer lets every
 * socket and file callback that came in run before the cleaner's next slice. All the cleaner
 * threads of one broker share one DutyCycle: they share one event loop. What it bought in the
 * bench was small (see DEFAULT_CLEANER_LOOP_SHARE); what it costs is the cleaner's rate.
 *
 * The time the cleaner spends awaiting its own file reads and writes counts as its time too: on a
 * machine of two cores, the thread pool copying a megabyte from the page cache competes with
 * produce for the CPU as much as the event loop does. Counted out, a cleaner waiting on its reads
 * about half of the time never reached a share of a half, and its rate stayed the same.
 */

/** The longest the cleaner keeps the event loop before letting produce and fetch run. */
export const SLICE_MS = 0.2;

/**
 * Default share of the event loop's wall time the cleaner may use. Measured with `npm run bench
 * -- cleaner` on a loaded 2-core machine, interleaved runs: with a quarter the produce p99 while
 * cleaning was 0.58-1.22 ms over nine runs against 0.75-1.34 ms with a half (nine runs) and
 * 0.77-1.15 ms with no pause (six runs), and the clean still ran at 92-206 MB/s uncompressed
 * (57-93 MB/s with lz4 batches), above the 50 MB/s it needs; a half was no better than no pause at
 * all. The gain is small next to the noise of a shared machine. Slices shorter than SLICE_MS (0.1, 0.05 ms) did not lower the p99 either: the extra turns of the
 * event loop cost more than the shorter waits saved.
 */
export const DEFAULT_CLEANER_LOOP_SHARE = 0.25;

/** Timers fire in whole milliseconds: shorter pauses are owed, not taken. */
const MIN_PAUSE_MS = 1;

/**
 * The most the cleaner may bank while it was not working (awaiting a file's sync, say) and spend
 * afterwards at more than its share: small, so that it never takes the loop for long in one go.
 */
const MAX_CREDIT_MS = 2;

/**
 * The share of the event loop the cleaner may use, kept as a balance (a leaky bucket): each slice
 * of work adds its length divided by the share, the wall time since the last slice is taken off.
 * Above MIN_PAUSE_MS the cleaner sleeps it off.
 */
export class DutyCycle {
  private last = performance.now();
  /** Milliseconds owed to the event loop; negative: credit. */
  private owedMs = 0;

  /** `share`: of the wall time, in (0, 1]; 1 never sleeps. */
  constructor(private readonly share: number = DEFAULT_CLEANER_LOOP_SHARE) {
    if (!(share > 0 && share <= 1)) throw new RangeError(`the cleaner's share of the event loop must be in (0, 1], got ${String(share)}`);
  }

  /** Counts `ms` of work ended at `now`; resolves once the cleaner may go on. */
  async worked(ms: number, now: number): Promise<void> {
    this.owedMs = Math.max(this.owedMs + ms / this.share - (now - this.last), -MAX_CREDIT_MS);
    this.last = now;
    if (this.share >= 1 || this.owedMs < MIN_PAUSE_MS) {
      await new Promise((r) => setImmediate(r));
      return;
    }
    // The real clock, not the broker's injected one: this is about CPU, and a test's manual clock
    // would never let the cleaner go on. What the sleep really took is taken off at the next
    // slice: a timer counts from the time its turn of the event loop began, so it may fire up to
    // a slice early, and it may fire late on a busy machine.
    await new Promise((r) => setTimeout(r, this.owedMs));
  }
}

/**
 * One cleaner thread's slices: `if (slices.due()) await slices.yield()`, checked per batch without
 * a promise per batch.
 */
export class Slices {
  private start = performance.now();

  constructor(private readonly duty: DutyCycle) {}

  due(): boolean {
    return performance.now() - this.start >= SLICE_MS;
  }

  async yield(): Promise<void> {
    const now = performance.now();
    await this.duty.worked(now - this.start, now);
    this.start = performance.now();
  }
}
