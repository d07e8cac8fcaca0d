/**
 * Gives the memory of abandoned request frames back to the system.
 *
 * A frame body that did not arrive whole and is not served by the frame buffer pool is one large
 * allocation of its own (connection.ts). When its
 * connection closes, the buffer is garbage, but an idle broker allocates nothing that would make V8
 * collect it, so the process kept hundreds of megabytes after the connections that sent them were
 * gone. Large buffers are mapped separately by the allocator and unmapped when collected, so one
 * full collection returns them (measured: 380 MB resident before, 87 MB after; retained 64 KiB
 * socket chunks, the old framing, stayed resident even after a collection).
 *
 * Once `thresholdBytes` of frames have been abandoned, one full collection runs `delayMs` later
 * (coalescing a burst of closes), at most one per delay. The collector is V8's `gc`, reached
 * without the --expose-gc flag by enabling it just long enough to create a context that has it;
 * where that is not possible, nothing runs and V8 collects in its own time. The young-generation
 * collector reached the same way serves the ReadScavenger (src/server/read-scavenger.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Clock, TimerHandle } from './clock.js';

type V8Gc = (options?: { type?: 'major' | 'minor' }) => void;

let v8Gc: V8Gc | null | undefined;

/** V8's `gc`, or null when this runtime does not allow it. */
function gcFunction(): V8Gc | null {
  if (v8Gc !== undefined) return v8Gc;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    v8Gc = typeof gc === 'function' ? (gc as V8Gc) : null;
  } catch {
    v8Gc = null;
  } finally {
    // Contexts created later (test runners' sandboxes, for one) do not get a `gc` global.
    setFlagsFromString('--no-expose-gc');
  }
  return v8Gc;
}

/** V8's full collection, or null when this runtime does not allow it. */
export function fullCollector(): (() => void) | null {
  const gc = gcFunction();
  return gc === null ? null : () => { gc(); };
}

/** V8's young-generation collection (a scavenge), or null when this runtime does not allow it. */
export function youngCollector(): (() => void) | null {
  const gc = gcFunction();
  return gc === null ? null : () => { gc({ type: 'minor' }); };
}

export interface MemoryReclaimerOptions {
  thresholdBytes: number;
  delayMs: number;
  /** The collection to run; default V8's full collection. */
  collect?: (() => void) | null;
}

export class MemoryReclaimer {
  private abandonedBytes = 0;
  private timer: TimerHandle | null = null;
  private readonly collect: (() => void) | null;

  constructor(
    private readonly clock: Clock,
    private readonly options: MemoryReclaimerOptions = { thresholdBytes: 16 * 1024 * 1024, delayMs: 1000 },
  ) {
    this.collect = options.collect === undefined ? fullCollector() : options.collect;
  }

  /** Bytes of frame buffers dropped since the last collection. */
  get pendingBytes(): number {
    return this.abandonedBytes;
  }

  abandoned(bytes: number): void {
    if (this.collect === null || bytes <= 0) return;
    this.abandonedBytes += bytes;
    if (this.abandonedBytes >= this.options.thresholdBytes && this.timer === null) {
      this.timer = this.clock.setTimeout(() => { this.run(); }, this.options.delayMs, { unref: true });
    }
  }

  close(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private run(): void {
    this.timer = null;
    this.abandonedBytes = 0;
    this.collect?.();
  }
}
