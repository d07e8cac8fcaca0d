/**
 * The TCP listener: accepts connections, wraps each in a Connection that frames requests and
 * writes responses in order, and shuts down gracefully (stop accepting, let in-flight requests
 * finish and their responses be written, then close sockets).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Connection, type ConnectionOptions, type FrameHandler } from './connection.js';

export interface TcpServerOptions extends ConnectionOptions {
  host: string;
  port: number;
}

export class TcpServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private nextId = 1;

  constructor(
    private readonly handler: FrameHandler,
    private readonly options: TcpServerOptions,
  ) {
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  private accept(socket: Socket): void {
    const conn = new Connection(this.nextId++, socket, this.handler, this.options);
    this.connections.add(conn);
    socket.on('close', () => this.connections.delete(conn));
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        // Failing to listen is the caller's to report (a port in use is one line, not a logged stack).
        this.server.on('error', (err) => this.options.logger.error({ err }, 'listener error'));
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting, finishes in-flight requests (up to timeoutMs), closes every connection. */
  async close(timeoutMs = 5000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.shutdown(timeoutMs)));
    await closed;
  }
}
