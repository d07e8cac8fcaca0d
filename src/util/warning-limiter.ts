/**
 * Rate-limited warnings for things a remote peer can cause (malformed frames, oversized requests,
 * refused features): anyone who can connect must not be able to fill the broker's log.
 *
 * Per (peer, kind) the first `perWindow` warnings of a window are logged as they come; the rest of
 * that window are counted, and one line says how many were suppressed, when the window ends (a
 * sweep on the clock) or, if sooner, when the next warning of the pair opens a new window. The peer
 * is a host, not host:port, so reconnecting does not reset the count. The table of pairs is bounded:
 * once `maxKeys` pairs are live, new peers share one entry per kind (`peer: "*"`), so a flood from
 * many addresses costs a bounded amount of memory and log.
 */
import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './logger.js';

export interface WarningLimits {
  /** Warnings logged per (peer, kind) and window before the rest are counted. */
  perWindow: number;
  windowMs: number;
  /** Live (peer, kind) pairs tracked before new peers share one entry per kind. */
  maxKeys: number;
}

export const DEFAULT_WARNING_LIMITS: WarningLimits = { perWindow: 5, windowMs: 60_000, maxKeys: 1024 };

interface Window {
  readonly peer: string;
  readonly kind: string;
  readonly startMs: number;
  logged: number;
  suppressed: number;
}

const ANY_PEER = '*';

export class WarningLimiter {
  private readonly windows = new Map<string, Window>();
  private sweepTimer: TimerHandle | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly limits: WarningLimits = DEFAULT_WARNING_LIMITS,
  ) {}

  /**
   * Logs `message` with `fields`, `peer` and `kind`, unless the pair is over its limit: at warn level,
   * or error for what is a broker bug a peer can trigger again and again (a handler that throws).
   */
  warn(peer: string, kind: string, fields: Record<string, unknown>, message: string, level: 'warn' | 'error' = 'warn'): void {
    const now = this.clock.now();
    let key = `${kind}\u0000${peer}`;
    let w = this.windows.get(key);
    if (w === undefined && this.windows.size >= this.limits.maxKeys) {
      peer = ANY_PEER;
      key = `${kind}\u0000${peer}`;
      w = this.windows.get(key);
    }
    if (w !== undefined && now - w.startMs >= this.limits.windowMs) {
      this.end(key, w);
      w = undefined;
    }
    if (w === undefined) {
      w = { peer, kind, startMs: now, logged: 0, suppressed: 0 };
      this.windows.set(key, w);
      this.scheduleSweep();
    }
    if (w.logged < this.limits.perWindow) {
      w.logged++;
      this.logger[level]({ ...fields, peer, kind }, message);
    } else {
      w.suppressed++;
    }
  }

  /** Pairs currently tracked (for tests and metrics). */
  get trackedPairs(): number {
    return this.windows.size;
  }

  /** Reports what is still suppressed and stops the sweep. */
  close(): void {
    for (const [key, w] of this.windows) this.end(key, w);
    if (this.sweepTimer !== null) this.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
  }

  private end(key: string, w: Window): void {
    this.windows.delete(key);
    if (w.suppressed === 0) return;
    this.logger.warn(
      { peer: w.peer, kind: w.kind, suppressed: w.suppressed, windowMs: this.limits.windowMs },
      `${w.suppressed} more "${w.kind}" warnings from ${w.peer === ANY_PEER ? 'other peers' : w.peer} were suppressed`,
    );
  }

  private scheduleSweep(): void {
    if (this.sweepTimer !== null) return;
    this.sweepTimer = this.clock.setTimeout(() => { this.sweep(); }, this.limits.windowMs, { unref: true });
  }

  private sweep(): void {
    this.sweepTimer = null;
    const now = this.clock.now();
    let nextDue = Infinity;
    for (const [key, w] of this.windows) {
      const due = w.startMs + this.limits.windowMs;
      if (now >= due) this.end(key, w);
      else nextDue = Math.min(nextDue, due);
    }
    if (nextDue !== Infinity) {
      this.sweepTimer = this.clock.setTimeout(() => { this.sweep(); }, nextDue - now, { unref: true });
    }
  }
}
