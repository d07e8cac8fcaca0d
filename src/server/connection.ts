/**
 * One client connection: framing, in-order responses, backpressure.
 *
 * Framing: every request is `size:int32 | frame`. The size is checked against
 * socket.request.max.bytes before a byte of the frame is buffered, so a client claiming 2 GiB costs
 * nothing; a negative or oversized size closes the connection. Received chunks are kept in a list
 * and joined once per frame, when it is complete (a frame inside one chunk is a view, not a copy),
 * so a client that claims a large frame and sends little costs only what it sent.
 *
 * Ordering: requests are dispatched as soon as they arrive (handlers may run concurrently, and a
 * partition's appends still happen in dispatch order because handlers start in that order), but
 * responses are written strictly in request order, as Kafka clients require.
 *
 * Backpressure: when too many responses are pending, or the socket's write buffer is full (a
 * client that does not read its responses), the connection stops reading until it drains.
 */
import type { Socket } from 'node:net';
import { ChunkQueue } from '../protocol/chunk-queue.js';
import type { Logger } from '../util/logger.js';

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  /**
   * Closes the connection once every response due so far has been written, and reads no more
   * requests. Kafka does this when an acks=0 produce fails, so the client refreshes its metadata.
   */
  closeAfterPendingResponses(): void;
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
  logger: Logger;
}

interface Slot {
  done: boolean;
  response: Buffer[] | null;
}

export class Connection implements ConnectionInfo {
  readonly remoteAddress: string;
  private readonly received = new ChunkQueue();
  /** Size of the frame being received, or -1 while its size prefix is incomplete. */
  private frameSize = -1;
  private readonly pending: Slot[] = [];
  private paused = false;
  private closed = false;
  private drainWaiters: (() => void)[] = [];

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly handleFrame: FrameHandler,
    private readonly options: ConnectionOptions,
  ) {
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.updateFlow());
    socket.on('error', (err) => {
      this.options.logger.debug({ conn: this.remoteAddress, err: err.message }, 'connection error');
    });
    socket.on('close', () => {
      this.closed = true;
      this.pending.length = 0;
      this.notifyDrained();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.stopping) return;
    this.received.push(chunk);
    for (;;) {
      if (this.frameSize < 0) {
        if (this.received.length < 4) return;
        const size = this.received.peekInt32();
        if (size < 0 || size > this.options.maxRequestBytes) {
          this.options.logger.warn(
            { conn: this.remoteAddress, size, max: this.options.maxRequestBytes },
            'request size out of bounds (socket.request.max.bytes); closing connection',
          );
          this.destroy();
          return;
        }
        this.received.take(4);
        this.frameSize = size;
      }
      // Memory grows with the bytes received, never with the size a client claims.
      if (this.received.length < this.frameSize) return;
      const frame = this.received.take(this.frameSize);
      this.frameSize = -1;
      this.dispatch(frame);
      if (this.closed || this.stopping) return;
    }
  }

  private dispatch(frame: Buffer): void {
    const slot: Slot = { done: false, response: null };
    this.pending.push(slot);
    let result: Buffer[] | null | Promise<Buffer[] | null>;
    try {
      result = this.handleFrame(frame, this);
    } catch (err) {
      this.failFrame(err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response) => this.complete(slot, response),
        (err) => this.failFrame(err),
      );
      this.updateFlow();
    } else {
      this.complete(slot, result);
    }
  }

  private failFrame(err: unknown): void {
    if (this.closed) return;
    this.options.logger.warn(
      { conn: this.remoteAddress, err: err instanceof Error ? err.message : String(err) },
      'bad request; closing connection',
    );
    this.destroy();
  }

  private complete(slot: Slot, response: Buffer[] | null): void {
    if (this.closed) return;
    slot.done = true;
    slot.response = response;
    // Write every response that is ready, in request order.
    if (this.pending[0] !== slot) return;
    const socket = this.socket;
    socket.cork();
    while (this.pending.length > 0 && this.pending[0]!.done) {
      const s = this.pending.shift()!;
      if (s.response) for (const chunk of s.response) socket.write(chunk);
      if (s === this.closeAfter) {
        socket.uncork();
        this.endSoon();
        return;
      }
    }
    socket.uncork();
    this.updateFlow();
    if (this.pending.length === 0) this.notifyDrained();
  }

  private updateFlow(): void {
    if (this.closed) return;
    const busy =
      this.pending.length >= this.options.maxPendingResponses ||
      this.socket.writableLength >= this.options.maxPendingWriteBytes;
    if (busy && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!busy && this.paused && !this.stopping) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private stopping = false;
  /** When set, the connection ends after this slot's response is written. */
  private closeAfter: Slot | null | undefined;

  closeAfterPendingResponses(): void {
    if (this.closed || this.closeAfter !== undefined) return;
    this.socket.pause();
    this.stopping = true;
    this.closeAfter = this.pending[this.pending.length - 1] ?? null;
    if (this.closeAfter === null) this.endSoon();
  }

  private endSoon(): void {
    this.closed = true;
    this.pending.length = 0;
    this.socket.end(() => this.socket.destroy());
    this.notifyDrained();
  }

  /** Stops reading new requests, waits for pending responses to be written, then ends the socket. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.stopping = true;
    this.socket.pause();
    if (this.pending.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.drainWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
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
    this.pending.length = 0;
    this.socket.destroy();
    this.notifyDrained();
  }
}
