/**
 * Frees the buffers of socket reads in step with the bytes read: one young-generation collection
 * (a scavenge, well under a millisecond here) per `intervalBytes` received by all connections.
 *
 * Why: Node delivers every read of a server socket in a new buffer (64 KiB; a net.Server offers no
 * way to read into a reused one), and V8 counts the memory of buffers allocated since its last full
 * collection against the old generation's limit. That limit is set from the heap's live size (about
 * 10 MB for a broker, which leaves some 15 MB of room), while V8 scavenges on its own only when the
 * young generation fills or after a few tens of megabytes of young buffers. A broker receiving a
 * bulk load allocates little else, so the limit came first: a full mark-compact every 15-20 MB
 * received. A read's buffer is dead once its bytes are copied or handled, so a scavenge frees it,
 * and full collections come back to what the heap itself needs: under kcat's 1 KiB load, 0-3 per
 * 300 MB instead of 10-15 (with frame buffers reused, frame-buffer-pool.ts), for about 40 scavenges
 * of a millisecond or less. `node --initial-old-space-size=64` used to hide this by raising the
 * limit; users who run the bin or embed the broker do not pass it.
 *
 * The collector is V8's, reached without flags (memory-reclaimer.ts); where the runtime does not
 * allow it, nothing runs and V8 collects in its own time.
 */
import { youngCollector } from '../util/memory-reclaimer.js';

export interface ReadScavengerOptions {
  /** Bytes received between collections (8 MiB: half the room a 10 MB heap leaves). */
  intervalBytes?: number;
  /** The collection to run; default V8's young-generation collection. */
  collect?: (() => void) | null;
}

export class ReadScavenger {
  private readonly intervalBytes: number;
  private readonly collect: (() => void) | null;
  private sinceLast = 0;
  private runs = 0;

  constructor(options: ReadScavengerOptions = {}) {
    this.intervalBytes = options.intervalBytes ?? 8 * 1024 * 1024;
    this.collect = options.collect === undefined ? youngCollector() : options.collect;
  }

  /** Collections run so far. */
  get collections(): number {
    return this.runs;
  }

  /** Counts `bytes` just read from a socket; collects once `intervalBytes` have been counted. */
  received(bytes: number): void {
    if (this.collect === null) return;
    this.sinceLast += bytes;
    if (this.sinceLast < this.intervalBytes) return;
    this.sinceLast = 0;
    this.runs++;
    this.collect();
  }
}
