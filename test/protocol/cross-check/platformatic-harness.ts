/**
 * Runs @platformatic/kafka's own network code against a local TCP server: a real `Connection`
 * (dist/network/connection.js) sends the request, so the bytes we receive are exactly what the
 * library writes to the socket (header framing in Connection.send, payload from the api's
 * createRequest), and the response we write back goes through the library's own reader
 * (Connection.#onData: size, correlation id, header tag buffer when the api has one) into the api's
 * parseResponse.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import * as plt from '@platformatic/kafka';

export type PltApi = ((connection: unknown, ...args: any[]) => void) & { key: number; version: number };

export interface RoundTrip {
  /** The request as written to the socket, size prefix included. */
  bytes: Buffer;
  /** parseResponse's value, or the `response` a ResponseError carries. */
  result: unknown;
  /** The error the api's callback got, if any. */
  error: unknown;
}

export class PlatformaticHarness {
  private server: Server | undefined;
  private connection: plt.Connection | undefined;
  private onFrame: ((frame: Buffer, socket: Socket) => void) | undefined;

  constructor(readonly clientId: string) {}

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
          const size = 4 + pending.readInt32BE(0);
          const frame = Buffer.from(pending.subarray(0, size));
          pending = pending.subarray(size);
          this.onFrame?.(frame, socket);
        }
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    this.connection = new plt.Connection(this.clientId);
    await this.connection.connect('127.0.0.1', port);
  }

  async stop(): Promise<void> {
    await this.connection?.close();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  }

  /**
   * Calls `api(connection, ...args)`; `respond` gets the correlation id of the request we received
   * and returns the response bytes to send back (size prefix included).
   */
  call(api: PltApi, args: unknown[], respond: (correlationId: number) => Buffer): Promise<RoundTrip> {
    return new Promise((resolve, reject) => {
      let bytes: Buffer | undefined;
      this.onFrame = (frame, socket) => {
        bytes = frame;
        let response: Buffer;
        try {
          response = respond(frame.readInt32BE(8));
        } catch (e) {
          reject(e);
          return;
        }
        socket.write(response);
      };
      api(this.connection, ...args, (error: unknown, result: unknown) => {
        if (!bytes) {
          // The library's own error, passed on as it is.
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          reject(error ?? new Error('the api answered without sending a request'));
          return;
        }
        const fromError = (error as { response?: unknown } | null)?.response;
        resolve({ bytes, result: result ?? fromError, error });
      });
    });
  }
}
