/**
 * One client connection: framing, in-order responses, backpressure, the shared memory budget, and
 * the timers that close idle and slow connections.
 *
 * Framing: every request is `size:int32 | frame`. The size is checked against
 * socket.request.max.bytes before a byte of the frame is buffered, so a client claiming 2 GiB costs
 * nothing; a negative or oversized size closes the connection. A frame that sits in one chunk is a
 * view of it; any other frame gets a buffer of the claimed size, into which the chunks are copied
 * as they arrive (chunks are not retained: thousands of retained 64 KiB chunks stayed in the process
 * after their connections closed). That buffer is lent by the server's FrameBufferPool when the
 * frame's api allows (the api key is read from the frame's first bytes before the buffer is chosen;
 * see frame-buffer-pool.ts for why and which), and given back when the frame's handler has
 * answered. Otherwise it is the frame's own: pages of it never written are never touched, so a
 * client that claims a large frame and sends little costs only what it sent, and a body dropped
 * unfinished is reported to the MemoryReclaimer, which has it collected. Chunks are counted by the
 * ReadScavenger, which has them collected young (read-scavenger.ts says why).
 *
 * Memory budget (queued.max.request.bytes, request-memory-pool.ts): a frame reserves its size in
 * the pool before its body is read, and gives it back when its handler has answered (or the
 * connection closes, for a frame still arriving). A connection refused a reservation stops reading
 * and waits its turn. A frame already whole in the bytes read is served even when the budget is
 * full: its bytes are in memory anyway, so a small request on a fresh connection is answered
 * while large frames wait.
 *
 * Ordering: requests are dispatched as soon as they arrive (handlers may run concurrently, and a
 * partition's appends still happen in dispatch order because handlers start in that order), but
 * responses are written strictly in request order, as Kafka clients require.
 *
 * Backpressure: when too many responses are pending, or the socket's write buffer is full (a
 * client that does not read its responses), the connection stops reading until it drains.
 *
 * Timers (on the injected clock): connections.max.idle.ms closes a connection that has moved no
 * bytes for that long, unless it waits for the broker (responses pending, or paused by the broker);
 * socket.request.receive.timeout.ms closes one whose started frame has not fully arrived in that
 * long, counted from its first byte, or from when the broker resumed reading it.
 *
 * Warnings a peer can cause go through the shared WarningLimiter, per peer host and kind.
 */
import type { Socket } from 'node:net';
import { ChunkQueue } from '../protocol/chunk-queue.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { MemoryReclaimer } from '../util/memory-reclaimer.js';
import type { WarningLimiter } from '../util/warning-limiter.js';
import type { FrameBufferPool } from '../util/frame-buffer-pool.js';
import { runReleases, takeReleases } from './release-after-write.js';
import type { ReadScavenger } from './read-scavenger.js';
import type { MemoryWaiter, RequestMemoryPool } from './request-memory-pool.js';

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  /**
   * Closes the connection once every response due so far has been written, and reads no more
   * requests. Kafka does this when an acks=0 produce fails, so the client refreshes its metadata.
   */
  closeAfterPendingResponses(): void;
  /** A warning (or error) this peer caused: logged unless the peer has caused too many of this kind lately. */
  warn(kind: string, fields: Record<string, unknown>, message: string, level?: 'warn' | 'error'): void;
}

/**
 * Turns one request frame into its response frame (as buffers) or null when no response is due
 * (acks=0 produce). Throwing closes the connection: that is the answer to bytes that do not parse.
 */
export type FrameHandler = (frame: Buffer, conn: ConnectionInfo) => Buffer[] | null | Promise<Buffer[] | null>;

export interface ConnectionOptions {
  /** socket.request.max.bytes */
  maxRequestBytes: number;
  /** Stop reading while this many responses are pending. */
  maxPendingResponses: number;
  /** Stop reading while this many response bytes wait in the socket's buffer. */
  maxPendingWriteBytes: number;
  /** connections.max.idle.ms; negative: never. */
  connectionsMaxIdleMs: number;
  /** socket.request.receive.timeout.ms; 0 or less: no limit. */
  requestReceiveTimeoutMs: number;
  clock: Clock;
  logger: Logger;
}

/** What every connection of a server shares. */
export interface ConnectionShared {
  memory: RequestMemoryPool;
  warnings: WarningLimiter;
  /** Told of frame bodies dropped unfinished, so their memory goes back to the system. */
  reclaimer: MemoryReclaimer;
  /** Lends the buffers of frames that do not sit in one chunk, for the apis that allow it. */
  frames: FrameBufferPool;
  /** Told of every chunk read, so that the chunks' memory is freed in step with the reads. */
  scavenger: ReadScavenger;
}

interface Slot {
  done: boolean;
  response: Buffer[] | null;
  /** Bytes reserved in the memory pool for this request's frame, until its handler has answered. */
  reserved: number;
  /** The pooled buffer holding this request's frame, given back when its handler has answered. */
  backing: Buffer | null;
}

export class Connection implements ConnectionInfo, MemoryWaiter {
  readonly remoteAddress: string;
  /** The peer's host, without the port: warnings are limited per host. */
  readonly remoteHost: string;
  private readonly received = new ChunkQueue();
  /** Size of the frame being received, or -1 while its size prefix is incomplete. */
  private frameSize = -1;
  /** Bytes reserved in the pool for the frame being received (0 until granted). */
  private frameReserved = 0;
  /** The body of a frame that did not arrive whole, filled as chunks come. */
  private frameBody: Buffer | null = null;
  /** The pooled buffer behind frameBody, or null when frameBody is its own. */
  private frameBacking: Buffer | null = null;
  private frameFilled = 0;
  private readonly pending: Slot[] = [];
  private paused = false;
  private waitingForMemory = false;
  private closed = false;
  private drainWaiters: (() => void)[] = [];

  private lastActivityMs: number;
  private idleTimer: TimerHandle | null = null;
  /** When the frame being received started (or the broker last resumed reading); -1: none. */
  private frameStartMs = -1;
  private frameTimer: TimerHandle | null = null;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly handleFrame: FrameHandler,
    private readonly options: ConnectionOptions,
    private readonly shared: ConnectionShared,
  ) {
    this.remoteHost = socket.remoteAddress ?? '?';
    this.remoteAddress = `${this.remoteHost}:${socket.remotePort ?? '?'}`;
    this.lastActivityMs = options.clock.now();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => { this.onData(chunk); });
    socket.on('drain', () => { this.updateFlow(); });
    socket.on('error', (err) => {
      this.options.logger.debug({ conn: this.remoteAddress, err: err.message }, 'connection error');
    });
    socket.on('close', () => {
      this.closed = true;
      this.dropUnwritten();
      this.releaseFrame();
      this.stopTimers();
      this.notifyDrained();
    });
    this.armIdleTimer();
  }

  warn(kind: string, fields: Record<string, unknown>, message: string, level: 'warn' | 'error' = 'warn'): void {
    this.shared.warnings.warn(this.remoteHost, kind, { conn: this.remoteAddress, ...fields }, message, level);
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.stopping) return;
    this.lastActivityMs = this.options.clock.now();
    this.shared.scavenger.received(chunk.length);
    if (this.frameBody !== null) {
      // The frame in progress takes what it still needs straight from the chunk.
      const n = Math.min(chunk.length, this.frameSize - this.frameFilled);
      chunk.copy(this.frameBody, this.frameFilled, 0, n);
      this.frameFilled += n;
      if (n < chunk.length) this.received.push(chunk.subarray(n));
    } else {
      this.received.push(chunk);
    }
    this.readFrames();
  }

  /** Cuts and dispatches every frame the bytes read so far complete. */
  private readFrames(): void {
    for (;;) {
      if (this.frameSize < 0) {
        if (this.received.length < 4) break;
        const size = this.received.peekInt32();
        if (size < 0 || size > this.options.maxRequestBytes) {
          this.warn(
            'request size out of bounds',
            { size, max: this.options.maxRequestBytes },
            'request size out of bounds (socket.request.max.bytes); closing connection',
          );
          this.destroy();
          return;
        }
        this.received.take(4);
        this.frameSize = size;
      }
      if (this.frameBody === null && this.frameReserved === 0 && this.frameSize > 0) {
        if (this.received.length >= this.frameSize) {
          this.shared.memory.force(this.frameSize);
        } else if (!this.shared.memory.tryReserve(this.frameSize)) {
          this.waitForMemory();
          return;
        }
        this.frameReserved = this.frameSize;
      }
      let frame: Buffer;
      let backing: Buffer | null = null;
      if (this.frameBody === null && this.received.length >= this.frameSize && this.received.isContiguous(this.frameSize)) {
        frame = this.received.take(this.frameSize);
      } else {
        if (this.frameBody === null) {
          // The buffer depends on the api, whose key opens the frame.
          if (this.received.length < 2) break;
          const lease = this.shared.frames.lend(this.received.peekInt16(), this.frameSize);
          this.frameBody = lease.frame;
          this.frameBacking = lease.backing;
          this.frameFilled = this.received.moveInto(lease.frame, this.frameSize);
        }
        if (this.frameFilled < this.frameSize) break;
        frame = this.frameBody;
        backing = this.frameBacking;
        this.frameBody = null;
        this.frameBacking = null;
      }
      const reserved = this.frameReserved;
      this.frameSize = -1;
      this.frameReserved = 0;
      this.frameStartMs = -1;
      this.dispatch(frame, reserved, backing);
      if (this.closed || this.stopping) return;
    }
    // What is left is the start of the next frame: its clock starts now, or keeps running.
    if (this.received.length > 0 || this.frameBody !== null) {
      if (this.frameStartMs < 0) this.frameStartMs = this.options.clock.now();
    }
    this.armFrameTimer();
  }

  private waitForMemory(): void {
    this.waitingForMemory = true;
    this.frameStartMs = -1;
    this.shared.memory.wait(this);
    this.updateFlow();
  }

  onMemoryAvailable(): void {
    this.waitingForMemory = false;
    if (this.closed || this.stopping) return;
    this.frameStartMs = this.options.clock.now();
    this.readFrames();
    this.updateFlow();
  }

  private dispatch(frame: Buffer, reserved: number, backing: Buffer | null): void {
    const slot: Slot = { done: false, response: null, reserved, backing };
    this.pending.push(slot);
    let result: Buffer[] | null | Promise<Buffer[] | null>;
    try {
      result = this.handleFrame(frame, this);
    } catch (err) {
      this.release(slot);
      this.failFrame(err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response) => {
          this.release(slot);
          this.complete(slot, response);
        },
        (err: unknown) => {
          this.release(slot);
          this.failFrame(err);
        },
      );
      this.updateFlow();
    } else {
      this.release(slot);
      this.complete(slot, result);
    }
  }

  /** A request's frame is given back when its handler has answered, whether or not the connection is still open. */
  private release(slot: Slot): void {
    const n = slot.reserved;
    slot.reserved = 0;
    if (slot.backing !== null) {
      this.shared.frames.giveBack(slot.backing);
      slot.backing = null;
    }
    this.shared.memory.release(n);
  }

  /** Gives back what the frame being received holds (on close). */
  private releaseFrame(): void {
    if (this.waitingForMemory) {
      this.waitingForMemory = false;
      this.shared.memory.cancel(this);
    }
    const n = this.frameReserved;
    this.frameReserved = 0;
    if (this.frameBacking !== null) this.shared.frames.giveBack(this.frameBacking);
    else if (this.frameBody !== null) this.shared.reclaimer.abandoned(this.frameFilled);
    this.frameBody = null;
    this.frameBacking = null;
    this.received.clear();
    this.shared.memory.release(n);
  }

  private failFrame(err: unknown): void {
    if (this.closed) return;
    const kind = err instanceof Error ? err.name : 'bad request';
    this.warn(kind, { err: err instanceof Error ? err.message : String(err) }, 'bad request; closing connection');
    this.destroy();
  }

  private complete(slot: Slot, response: Buffer[] | null): void {
    if (this.closed) {
      // Never handed to the socket: nothing else holds the response's buffers.
      if (response !== null) runReleases(takeReleases(response));
      return;
    }
    slot.done = true;
    slot.response = response;
    // Write every response that is ready, in request order.
    if (this.pending[0] !== slot) return;
    const socket = this.socket;
    socket.cork();
    for (let s = this.pending.at(0); s?.done === true; s = this.pending.at(0)) {
      this.pending.shift();
      if (s.response) this.write(s.response);
      if (s === this.closeAfter) {
        socket.uncork();
        this.endSoon();
        return;
      }
    }
    socket.uncork();
    this.lastActivityMs = this.options.clock.now();
    this.updateFlow();
    if (this.pending.length === 0) this.notifyDrained();
  }

  /**
   * Writes a response's chunks. Its releases run once the last chunk's write has completed (the
   * socket writes in order, so all of it has then reached the kernel); a failed write keeps the
   * buffers from the pool, as the socket may still hold them.
   */
  private write(response: Buffer[]): void {
    const releases = takeReleases(response);
    const last = response.length - 1;
    if (releases === undefined || last < 0) {
      for (const chunk of response) this.socket.write(chunk);
      runReleases(releases);
      return;
    }
    for (let i = 0; i < last; i++) this.socket.write(response[i]);
    this.socket.write(response[last], (err) => {
      if (err == null) runReleases(releases);
    });
  }

  /** Responses answered but not written when the connection closes: their buffers are free again. */
  private dropUnwritten(): void {
    for (const s of this.pending) if (s.done && s.response !== null) runReleases(takeReleases(s.response));
    this.pending.length = 0;
  }

  private updateFlow(): void {
    if (this.closed) return;
    const busy =
      this.waitingForMemory ||
      this.pending.length >= this.options.maxPendingResponses ||
      this.socket.writableLength >= this.options.maxPendingWriteBytes;
    if (busy && !this.paused) {
      this.paused = true;
      this.socket.pause();
      // Time the broker spends not reading is not the client's to pay for.
      this.frameStartMs = -1;
    } else if (!busy && this.paused && !this.stopping) {
      this.paused = false;
      if (this.received.length > 0 || this.frameBody !== null) this.frameStartMs = this.options.clock.now();
      this.socket.resume();
      this.armFrameTimer();
    }
  }

  // ---- timers

  private armIdleTimer(): void {
    const idleMs = this.options.connectionsMaxIdleMs;
    if (idleMs < 0 || this.closed) return;
    const due = this.lastActivityMs + idleMs;
    this.idleTimer = this.options.clock.setTimeout(() => { this.checkIdle(); }, due - this.options.clock.now(), { unref: true });
  }

  private checkIdle(): void {
    this.idleTimer = null;
    if (this.closed || this.stopping) return;
    const now = this.options.clock.now();
    const waitingForBroker = this.pending.length > 0 || this.paused;
    if (waitingForBroker) this.lastActivityMs = now;
    else if (now - this.lastActivityMs >= this.options.connectionsMaxIdleMs) {
      this.options.logger.debug({ conn: this.remoteAddress, idleMs: now - this.lastActivityMs }, 'closing idle connection (connections.max.idle.ms)');
      this.destroy();
      return;
    }
    this.armIdleTimer();
  }

  private armFrameTimer(): void {
    const timeoutMs = this.options.requestReceiveTimeoutMs;
    if (timeoutMs <= 0 || this.frameTimer !== null || this.frameStartMs < 0 || this.paused || this.closed) return;
    const due = this.frameStartMs + timeoutMs;
    this.frameTimer = this.options.clock.setTimeout(() => { this.checkFrame(); }, due - this.options.clock.now(), { unref: true });
  }

  private checkFrame(): void {
    this.frameTimer = null;
    if (this.closed || this.stopping || this.paused || this.frameStartMs < 0) return;
    const now = this.options.clock.now();
    const elapsed = now - this.frameStartMs;
    if (elapsed >= this.options.requestReceiveTimeoutMs) {
      const received = this.frameBody !== null ? this.frameFilled : this.received.length;
      this.warn(
        'request receive timeout',
        { elapsedMs: elapsed, size: this.frameSize, received },
        'request not received in time (socket.request.receive.timeout.ms); closing connection',
      );
      this.destroy();
      return;
    }
    this.armFrameTimer();
  }

  private stopTimers(): void {
    if (this.idleTimer !== null) this.options.clock.clearTimeout(this.idleTimer);
    if (this.frameTimer !== null) this.options.clock.clearTimeout(this.frameTimer);
    this.idleTimer = null;
    this.frameTimer = null;
  }

  // ---- closing

  private stopping = false;
  /** When set, the connection ends after this slot's response is written. */
  private closeAfter: Slot | null | undefined;

  closeAfterPendingResponses(): void {
    if (this.closed || this.closeAfter !== undefined) return;
    this.socket.pause();
    this.stopping = true;
    this.closeAfter = this.pending.at(-1) ?? null;
    if (this.closeAfter === null) this.endSoon();
  }

  private endSoon(): void {
    this.closed = true;
    this.dropUnwritten();
    this.releaseFrame();
    this.stopTimers();
    this.socket.end(() => this.socket.destroy());
    this.notifyDrained();
  }

  /** Stops reading new requests, waits for pending responses to be written, then ends the socket. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.stopping = true;
    this.socket.pause();
    this.releaseFrame();
    this.stopTimers();
    if (this.pending.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.drainWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the socket may have closed while pending responses drained
    if (!this.closed) {
      await new Promise<void>((resolve) => {
        this.socket.end(resolve);
        setTimeout(resolve, timeoutMs).unref();
      });
      this.socket.destroy();
    }
  }

  private notifyDrained(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.dropUnwritten();
    this.releaseFrame();
    this.stopTimers();
    this.socket.destroy();
    this.notifyDrained();
  }
}
