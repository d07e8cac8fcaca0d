/**
 * Reusable buffers for the request frames that do not arrive in one socket chunk (every bulk
 * produce request does: a 1 MB frame comes in sixteen 64 KiB reads).
 *
 * Why: a fresh buffer per frame is memory V8 counts against the old generation's limit until a
 * full collection frees it (the limit is set from the live heap, about 10 MB for a broker, so it
 * leaves some 15 MB of room), and fresh pages for the kernel to fault in. Under kcat's 1 KiB load
 * (1 MB produce requests) V8 ran a full mark-compact about every 15 MB received; with the frame
 * buffers reused, half as often (the socket reads' own buffers account for the rest).
 * `node --initial-old-space-size=64` used to hide this by raising the limit; users who run the bin
 * or embed the broker do not pass it. Buffers that live for the whole process count once.
 *
 * Lifetime: a buffer is lent for one frame and comes back when that frame's handler has answered.
 * So only frames of APIs whose handlers keep no view of the frame after answering may use it, and
 * the server names them: Produce (its batches are written to the log, and copied into the batch
 * cache or the in-memory log, before it answers). Other handlers keep parts of their request past
 * the response (a group's member metadata, for one), so their frames stay their own, as does a
 * frame larger than `maxBufferBytes`: a buffer of its own, which the collector frees.
 *
 * Buffers come in power-of-two sizes (at least `minBufferBytes`), so a frame is served by any free
 * buffer of its class. At most `maxIdleBytes` of free buffers are kept; one given back beyond that
 * is dropped for the collector. A buffer handed out is never handed out again before it is given
 * back, and given back twice is a bug: both throw.
 */
export interface FrameBufferPoolOptions {
  /** Api keys whose frames may be served from the pool (their handlers keep no view of the frame once answered). */
  apiKeys: readonly number[];
  /** Largest buffer pooled (2 MiB: a Java producer's 1 MiB max.request.size plus headers, rounded up). */
  maxBufferBytes?: number;
  /** Smallest buffer class (64 KiB). */
  minBufferBytes?: number;
  /** Free buffers kept, in bytes (32 MiB). */
  maxIdleBytes?: number;
}

export interface FrameLease {
  /** `size` bytes for the frame: a view of `backing`. */
  readonly frame: Buffer;
  /** The pooled buffer, to give back; null when the frame has a buffer of its own. */
  readonly backing: Buffer | null;
}

export class FrameBufferPool {
  private readonly apiKeys: ReadonlySet<number>;
  readonly maxBufferBytes: number;
  readonly minBufferBytes: number;
  readonly maxIdleBytes: number;
  /** Free buffers by class (log2 of their size). */
  private readonly free = new Map<number, Buffer[]>();
  private readonly lent = new WeakSet<Buffer>();
  private idle = 0;
  private lentCount = 0;
  private allocated = 0;

  constructor(options: FrameBufferPoolOptions) {
    this.apiKeys = new Set(options.apiKeys);
    this.maxBufferBytes = options.maxBufferBytes ?? 2 * 1024 * 1024;
    this.minBufferBytes = options.minBufferBytes ?? 64 * 1024;
    this.maxIdleBytes = options.maxIdleBytes ?? 32 * 1024 * 1024;
  }

  /** Bytes of free buffers kept. */
  get idleBytes(): number {
    return this.idle;
  }

  /** Buffers lent and not given back. */
  get lentBuffers(): number {
    return this.lentCount;
  }

  /** Pooled buffers allocated so far (a steady load stops allocating). */
  get allocations(): number {
    return this.allocated;
  }

  /** Whether a frame of this api and size would be served from the pool. */
  accepts(apiKey: number, size: number): boolean {
    return this.apiKeys.has(apiKey) && size <= this.maxBufferBytes;
  }

  /**
   * A buffer for a frame of `size` bytes of api `apiKey`: a pooled one when the api and size allow
   * (give its backing back with `giveBack` once the frame's handler has answered), else one of its own.
   */
  lend(apiKey: number, size: number): FrameLease {
    if (!this.accepts(apiKey, size)) return { frame: Buffer.allocUnsafe(size), backing: null };
    const cls = classOf(Math.max(size, this.minBufferBytes));
    const list = this.free.get(cls);
    let backing = list?.pop();
    if (backing !== undefined) this.idle -= backing.length;
    else {
      backing = Buffer.allocUnsafeSlow(2 ** cls);
      this.allocated++;
    }
    if (this.lent.has(backing)) throw new Error('frame buffer pool: a buffer in use was about to be lent again');
    this.lent.add(backing);
    this.lentCount++;
    return { frame: backing.subarray(0, size), backing };
  }

  /** Takes back a buffer lent by `lend`; its bytes may be overwritten by the next frame from now on. */
  giveBack(backing: Buffer): void {
    if (!this.lent.delete(backing)) throw new Error('frame buffer pool: a buffer given back that is not lent');
    this.lentCount--;
    if (this.idle + backing.length > this.maxIdleBytes) return;
    const cls = classOf(backing.length);
    let list = this.free.get(cls);
    if (list === undefined) this.free.set(cls, (list = []));
    list.push(backing);
    this.idle += backing.length;
  }
}

/** log2 of the smallest power of two >= n. */
function classOf(n: number): number {
  return Math.ceil(Math.log2(n));
}
