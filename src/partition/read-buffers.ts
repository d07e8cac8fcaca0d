/**
 * The buffers one round of fetch reads fills: lent from a pool shared by all fetches, and given back
 * together once nothing can still send their bytes (the response written, or the round dropped for
 * a later one). Reading each fetch into a fresh ~1 MB buffer made every consumed megabyte memory V8
 * counts against its old-generation limit until a full collection (see frame-buffer-pool.ts); lent
 * buffers are allocated once.
 *
 * Only what the log reads into these buffers is pooled: the in-memory log's and anything else's
 * views of long-lived buffers never pass through here, so they are never given to the pool.
 * A buffer asked for after the round was given back (a bug) is a fresh one, never a pooled one that
 * another fetch may be filling.
 */
import { ApiKey } from '../protocol/generated/api-table.js';
import type { ReadBufferSource } from '../storage/types.js';
import { FrameBufferPool } from '../util/frame-buffer-pool.js';

/** A pool for fetch reads: up to a segment read's largest chunk (16 MiB), 32 MiB kept idle. */
export function fetchReadPool(): FrameBufferPool {
  return new FrameBufferPool({ apiKeys: [ApiKey.Fetch], maxBufferBytes: 16 * 1024 * 1024 });
}

export class ReadBuffers implements ReadBufferSource {
  private held: Buffer[] = [];
  private released = false;

  constructor(private readonly pool: FrameBufferPool) {}

  allocate(size: number): Buffer {
    if (this.released) return Buffer.allocUnsafe(size);
    const lease = this.pool.lend(ApiKey.Fetch, size);
    if (lease.backing !== null) this.held.push(lease.backing);
    return lease.frame;
  }

  /** Gives every buffer back: their bytes may be overwritten by other fetches from now on. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    const held = this.held;
    this.held = [];
    for (const b of held) this.pool.giveBack(b);
  }
}
