/**
 * Time and size retention, Kafka's `kafka-log-retention` task: every
 * `log.retention.check.interval.ms` (default 300000) each partition log deletes its whole segments
 * beyond retention.ms / retention.bytes (`PartitionLog.applyRetention`).
 *
 * Schedule: the first run comes `initialDelayMs` after `start()` (Kafka's log.initial.task.delay.ms,
 * 30 s, or the interval when that is shorter), then runs keep a fixed rate: due at start + k *
 * interval. A run that overruns its slot makes the next one start when it ends, never
 * concurrently; slots missed meanwhile are skipped, not caught up.
 *
 * Failures stay inside: an error from one partition is logged and the run goes on with the next;
 * nothing is thrown out of the timer. Partitions are processed one at a time, so a run is a gentle,
 * steady load on the disk.
 */
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { PartitionLog } from './types.js';

/** log.retention.check.interval.ms default. */
const DEFAULT_RETENTION_CHECK_INTERVAL_MS = 300_000;
/** log.initial.task.delay.ms default. */
const DEFAULT_INITIAL_TASK_DELAY_MS = 30_000;

export interface RetentionSchedulerOptions {
  /** The partitions to check, asked afresh at the start of every run (e.g. `() => logManager.all()`). */
  logs: () => Iterable<PartitionLog>;
  clock?: Clock;
  /** log.retention.check.interval.ms. */
  intervalMs?: number;
  /** Delay of the first run after start(); default min(30000, intervalMs). */
  initialDelayMs?: number;
  logger?: Logger;
}

/** What one run did. */
export interface RetentionRun {
  /** Clock time when the run started. */
  startedMs: number;
  /** Partitions checked. */
  partitions: number;
  /** Segments deleted, over all partitions. */
  segmentsDeleted: number;
  /** Partitions whose retention failed (logged). */
  failures: number;
}

export class RetentionScheduler {
  private readonly clock: Clock;
  private readonly logger: Logger;
  readonly intervalMs: number;
  readonly initialDelayMs: number;
  private timer: TimerHandle | undefined;
  private nextDueMs = 0;
  private started = false;
  /** The run in progress and any runs queued behind it. */
  private current: Promise<RetentionRun> | undefined;
  private last: RetentionRun | undefined;

  constructor(private readonly options: RetentionSchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.intervalMs = options.intervalMs ?? DEFAULT_RETENTION_CHECK_INTERVAL_MS;
    if (!(this.intervalMs > 0)) throw new RangeError(`retention check interval must be positive, got ${this.intervalMs}`);
    this.initialDelayMs = options.initialDelayMs ?? Math.min(DEFAULT_INITIAL_TASK_DELAY_MS, this.intervalMs);
  }

  /** The latest completed run. */
  get lastRun(): RetentionRun | undefined {
    return this.last;
  }

  /** Whether runs are scheduled (between start and stop). */
  get isStarted(): boolean {
    return this.started;
  }

  /** Starts the schedule; calling it again while started does nothing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.nextDueMs = this.clock.now() + this.initialDelayMs;
    this.arm(this.initialDelayMs);
  }

  /**
   * Stops the schedule and waits for a scheduled run in progress, which stops after the partition
   * it is working on. start() may be called again later.
   */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.idle();
  }

  /** Runs retention now (after any run in progress), whether or not the schedule is started. */
  runNow(): Promise<RetentionRun> {
    return this.enqueue(false);
  }

  /** Resolves when no run is in progress or queued. */
  async idle(): Promise<void> {
    while (this.current) await this.current;
  }

  private arm(delayMs: number): void {
    this.timer = this.clock.setTimeout(() => { this.onTimer(); }, delayMs, { unref: true });
  }

  private onTimer(): void {
    this.timer = undefined;
    if (!this.started) return;
    void this.enqueue(true).then(() => {
      if (!this.started || this.timer !== undefined) return;
      // Fixed rate: the next slot after the one just served that is not already past.
      const now = this.clock.now();
      this.nextDueMs += this.intervalMs;
      if (this.nextDueMs < now) this.nextDueMs += Math.ceil((now - this.nextDueMs) / this.intervalMs) * this.intervalMs;
      // Never wait longer than one interval, even if the wall clock stepped backwards.
      this.arm(Math.min(this.nextDueMs - now, this.intervalMs));
    });
  }

  private enqueue(scheduled: boolean): Promise<RetentionRun> {
    const run = (this.current ?? Promise.resolve()).then(() => this.run(scheduled));
    this.current = run;
    void run.then(() => {
      if (this.current === run) this.current = undefined;
    });
    return run;
  }

  /** One pass over the partitions; never rejects. A scheduled run ends early when stopped. */
  private async run(scheduled: boolean): Promise<RetentionRun> {
    const result: RetentionRun = { startedMs: this.clock.now(), partitions: 0, segmentsDeleted: 0, failures: 0 };
    let logs: PartitionLog[];
    try {
      logs = [...this.options.logs()];
    } catch (err) {
      this.logger.error({ err }, 'retention: listing the partitions failed');
      result.failures++;
      this.last = result;
      return result;
    }
    for (const log of logs) {
      if (scheduled && !this.started) break;
      result.partitions++;
      try {
        result.segmentsDeleted += await log.applyRetention(this.clock.now());
      } catch (err) {
        result.failures++;
        this.logger.error({ err, topic: log.topic, partition: log.partition }, 'retention failed for a partition');
      }
    }
    if (result.segmentsDeleted > 0 || result.failures > 0) {
      this.logger.info({ ...result }, 'retention run finished');
    }
    this.last = result;
    return result;
  }
}
