/**
 * The TCP listener: accepts connections, wraps each in a Connection that frames requests and
 * writes responses in order, and shuts down gracefully (stop accepting, let in-flight requests
 * finish and their responses be written, then close sockets). The connections share one request
 * memory budget (queued.max.request.bytes), one limiter of the warnings peers cause, one
 * reclaimer of the memory of frames abandoned by closed connections, one pool of reusable frame
 * buffers, and one scavenger of the buffers of socket reads.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { MemoryReclaimer } from '../util/memory-reclaimer.js';
import { WarningLimiter } from '../util/warning-limiter.js';
import { Connection, type ConnectionOptions, type ConnectionShared, type FrameHandler } from './connection.js';
import { FrameBufferPool } from '../util/frame-buffer-pool.js';
import { ReadScavenger } from './read-scavenger.js';
import { RequestMemoryPool } from './request-memory-pool.js';

export interface TcpServerOptions extends ConnectionOptions {
  host: string;
  port: number;
  /** queued.max.request.bytes; 0 or less: no limit. */
  queuedMaxRequestBytes: number;
  /**
   * Api keys whose handlers keep no view of their request frame once they have answered, so that
   * the frame's buffer is reused (frame-buffer-pool.ts); default none.
   */
  reusableFrameApis?: readonly number[];
}

export class TcpServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly shared: ConnectionShared;
  private nextId = 1;

  constructor(
    private readonly handler: FrameHandler,
    private readonly options: TcpServerOptions,
  ) {
    this.shared = {
      memory: new RequestMemoryPool(options.queuedMaxRequestBytes),
      warnings: new WarningLimiter(options.logger, options.clock),
      reclaimer: new MemoryReclaimer(options.clock),
      frames: new FrameBufferPool({ apiKeys: options.reusableFrameApis ?? [] }),
      scavenger: new ReadScavenger(),
    };
    this.server = createServer({ noDelay: true }, (socket) => { this.accept(socket); });
  }

  /** The request memory budget: bytes in use and connections waiting for room. */
  get memory(): RequestMemoryPool {
    return this.shared.memory;
  }

  /** The pool of reusable frame buffers. */
  get frames(): FrameBufferPool {
    return this.shared.frames;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private accept(socket: Socket): void {
    const conn = new Connection(this.nextId++, socket, this.handler, this.options, this.shared);
    this.connections.add(conn);
    socket.on('close', () => this.connections.delete(conn));
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => { reject(err); };
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        // Failing to listen is the caller's to report (a port in use is one line, not a logged stack).
        this.server.on('error', (err) => { this.options.logger.error({ err }, 'listener error'); });
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting, finishes in-flight requests (up to timeoutMs), closes every connection. */
  async close(timeoutMs = 5000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => { resolve(); }));
    await Promise.all([...this.connections].map((c) => c.shutdown(timeoutMs)));
    await closed;
    this.shared.warnings.close();
    this.shared.reclaimer.close();
  }
}
