/**
 * A bare Kafka client for tests: sends requests built with our own codec over a socket and decodes
 * the responses, so a handler can be driven at any version without a client library's opinions.
 * Responses may arrive while several requests are in flight; they are matched by correlation id.
 */
import { connect, type Socket } from 'node:net';
import { decodeResponse, encodeRequest } from '../../src/protocol/codec.js';
import type { ApiKey, RequestBodies, ResponseBodies } from '../../src/protocol/generated/api-table.js';

interface Pending {
  apiKey: ApiKey;
  version: number;
  resolve: (frame: Buffer) => void;
  reject: (err: Error) => void;
}

export class WireClient {
  private buffered: Buffer = Buffer.alloc(0);
  private nextCorrelationId = 1;
  private readonly pending = new Map<number, Pending>();

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => { this.onData(chunk); });
    socket.on('close', () => { this.failAll(new Error('connection closed')); });
    socket.on('error', (err) => { this.failAll(err); });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => {
        socket.off('error', reject);
        resolve(new WireClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends one request; resolves with the decoded response body. */
  async send<K extends ApiKey>(apiKey: K, version: number, body: RequestBodies[K], clientId: string | null = 'wire-client'): Promise<ResponseBodies[K]> {
    const correlationId = this.nextCorrelationId++;
    const frame = await new Promise<Buffer>((resolve, reject) => {
      this.pending.set(correlationId, { apiKey, version, resolve, reject });
      this.socket.write(encodeRequest({ apiKey, apiVersion: version, correlationId, clientId }, body));
    });
    return decodeResponse(frame, apiKey, version).body;
  }

  /** Sends one request and resolves with the raw response body bytes (after the response header). */
  async sendRaw<K extends ApiKey>(apiKey: K, version: number, body: RequestBodies[K], headerBytes: number): Promise<Buffer> {
    const correlationId = this.nextCorrelationId++;
    const frame = await new Promise<Buffer>((resolve, reject) => {
      this.pending.set(correlationId, { apiKey, version, resolve, reject });
      this.socket.write(encodeRequest({ apiKey, apiVersion: version, correlationId, clientId: 'wire-client' }, body));
    });
    return frame.subarray(headerBytes);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const correlationId = frame.readInt32BE(0);
      const p = this.pending.get(correlationId);
      if (!p) continue;
      this.pending.delete(correlationId);
      p.resolve(frame);
    }
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
