/**
 * One TCP connection to one broker, built on Gregor's codec (src/protocol).
 *
 * - Requests are pipelined: each gets the next correlation id and is written at once; responses are
 *   matched back by correlation id, so any number may be in flight (Kafka answers them in order).
 * - The first request on every connection is ApiVersions, as the Java client does. The connection
 *   then knows the broker's version range of every api, and `request` sends the highest version
 *   both sides support (versions.ts). A broker that does not know our ApiVersions version answers
 *   in v0 with UNSUPPORTED_VERSION and its own range (KIP-511); we retry with a version it has.
 * - A request without a response within its timeout rejects and closes the connection (a late
 *   answer would otherwise be matched to nothing while the broker still works on it); so does a
 *   socket error, which rejects everything in flight with ConnectionError.
 * - Frames are reassembled from socket chunks without copying when a frame arrives in one chunk.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { ChunkQueue } from '../protocol/chunk-queue.js';
import { decodeResponse, encodeRequestChunks } from '../protocol/codec.js';
import { ApiKey, type RequestBodies, type ResponseBodies } from '../protocol/generated/api-table.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import type { ApiVersionsResponse } from '../protocol/generated/messages/api-versions.js';
import { ConnectionError, KafkaProtocolError, RequestTimeoutError } from './errors.js';
import { apiName, negotiateVersion, clientRange, type VersionRange } from './versions.js';

export const CLIENT_SOFTWARE_NAME = 'gregor';
export const CLIENT_SOFTWARE_VERSION = '0.1.0';

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  /** Milliseconds to establish the TCP connection and the ApiVersions exchange. Default 10000. */
  connectTimeoutMs?: number;
  /** Default per-request timeout in milliseconds. Default 30000. */
  requestTimeoutMs?: number;
  /** Lowers this client's highest version per api key (tests use it to act as an older client). */
  versionCaps?: Readonly<Partial<Record<number, number>>>;
}

export interface RequestOptions {
  /** Overrides the connection's request timeout (JoinGroup waits for a rebalance, for example). */
  timeoutMs?: number;
  /** Use exactly this version instead of negotiating. */
  version?: number;
}

interface Pending {
  apiKey: ApiKey;
  version: number;
  resolve: (frame: Buffer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class BrokerConnection {
  readonly address: string;
  private nextCorrelationId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly received = new ChunkQueue();
  private closedError: Error | undefined;
  private brokerRanges = new Map<number, VersionRange>();
  private features: { name: string; minVersionLevel: number; maxVersionLevel: number }[] = [];
  private readonly closeListeners: ((err: Error) => void)[] = [];

  private constructor(
    private readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    this.address = `${options.host}:${options.port}`;
    socket.on('data', (chunk: Buffer) => { this.onData(chunk); });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.fail(new ConnectionError(`connection to ${this.address} failed: ${err.message}`, this.address, err.code));
    });
    socket.on('close', () => { this.fail(new ConnectionError(`connection to ${this.address} was closed`, this.address)); });
  }

  /** Opens a connection and negotiates versions. Rejects with ConnectionError when it cannot. */
  static async connect(options: ConnectionOptions): Promise<BrokerConnection> {
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    const address = `${options.host}:${options.port}`;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host: options.host, port: options.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ConnectionError(`could not connect to ${address} within ${timeoutMs} ms`, address, 'ETIMEDOUT'));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        s.destroy();
        reject(new ConnectionError(`could not connect to ${address}: ${describeSocketError(err)}`, address, err.code));
      });
    });
    socket.setNoDelay(true);
    const conn = new BrokerConnection(socket, options);
    try {
      await conn.negotiate(timeoutMs);
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  /** Every api the broker named in its ApiVersions answer, with its range. */
  apiRanges(): ReadonlyMap<number, VersionRange> {
    return this.brokerRanges;
  }

  /** The features the broker reported as finalized (ApiVersions v3+), e.g. group.version. */
  get finalizedFeatures(): readonly { name: string; minVersionLevel: number; maxVersionLevel: number }[] {
    return this.features;
  }

  /** The broker's version range of an api, from its ApiVersions answer. */
  brokerRange(apiKey: number): VersionRange | undefined {
    return this.brokerRanges.get(apiKey);
  }

  /** The version `request` would use for an api; throws NoCommonVersionError when there is none. */
  versionFor(apiKey: ApiKey): number {
    return negotiateVersion(apiKey, this.brokerRanges, this.options.versionCaps?.[apiKey]);
  }

  /** True when the broker and this client share a version of the api. */
  supports(apiKey: ApiKey): boolean {
    try {
      this.versionFor(apiKey);
      return true;
    } catch {
      return false;
    }
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Called once when the connection closes, with the reason. */
  onClose(listener: (err: Error) => void): void {
    if (this.closedError) listener(this.closedError);
    else this.closeListeners.push(listener);
  }

  /**
   * Sends a request at the negotiated version; `build` makes the body for that version.
   * Resolves with the version used and the decoded response body.
   */
  async request<K extends ApiKey>(
    apiKey: K,
    build: (version: number) => RequestBodies[K],
    options: RequestOptions = {},
  ): Promise<{ version: number; body: ResponseBodies[K] }> {
    const version = options.version ?? this.versionFor(apiKey);
    const frame = await this.roundTrip(apiKey, version, build(version), options.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000);
    return { version, body: decodeResponse(frame, apiKey, version).body };
  }

  /** Writes a request that gets no response (Produce with acks=0). */
  sendOneWay<K extends ApiKey>(apiKey: K, build: (version: number) => RequestBodies[K]): number {
    if (this.closedError) throw this.closedError;
    const version = this.versionFor(apiKey);
    const correlationId = this.nextId();
    this.write(encodeRequestChunks({ apiKey, apiVersion: version, correlationId, clientId: this.options.clientId }, build(version)));
    return version;
  }

  /** Requests in flight. */
  get inFlight(): number {
    return this.pending.size;
  }

  close(): void {
    this.fail(new ConnectionError(`connection to ${this.address} was closed`, this.address));
  }

  private async negotiate(timeoutMs: number): Promise<void> {
    let version = clientRange(ApiKey.ApiVersions)[1];
    const cap = this.options.versionCaps?.[ApiKey.ApiVersions];
    if (cap !== undefined) version = Math.min(version, cap);
    for (let attempt = 0; attempt < 3; attempt++) {
      const frame = await this.roundTrip(
        ApiKey.ApiVersions,
        version,
        { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION, _unknownTaggedFields: undefined },
        timeoutMs,
      );
      let body: ApiVersionsResponse;
      try {
        body = decodeResponse(frame, ApiKey.ApiVersions, version).body;
      } catch {
        // A broker that does not know our version answers in v0.
        body = decodeResponse(frame, ApiKey.ApiVersions, 0).body;
      }
      if (body.errorCode === ErrorCode.UnsupportedVersion) {
        const theirs = body.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
        const next = theirs ? Math.min(theirs.maxVersion, version - 1) : 0;
        if (next < 0 || next >= version) break;
        version = next;
        continue;
      }
      if (body.errorCode !== 0) throw new KafkaProtocolError(body.errorCode);
      this.brokerRanges = new Map(body.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion] as const]));
      this.features = body.finalizedFeatures.map((f) => ({ name: f.name, minVersionLevel: f.minVersionLevel, maxVersionLevel: f.maxVersionLevel }));
      return;
    }
    throw new ConnectionError(`${this.address} did not accept any ApiVersions version`, this.address);
  }

  private nextId(): number {
    const id = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    return id;
  }

  private roundTrip<K extends ApiKey>(apiKey: K, version: number, body: RequestBodies[K], timeoutMs: number): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextId();
    const chunks = encodeRequestChunks({ apiKey, apiVersion: version, correlationId, clientId: this.options.clientId }, body);
    return new Promise<Buffer>((resolve, reject) => {
      const entry: Pending = { apiKey, version, resolve, reject, timer: undefined };
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        entry.timer = setTimeout(() => {
          const err = new RequestTimeoutError(apiName(apiKey), this.address, timeoutMs);
          this.pending.delete(correlationId);
          reject(err);
          this.fail(new ConnectionError(`connection to ${this.address} closed after a request timed out`, this.address, 'ETIMEDOUT'));
        }, timeoutMs);
      }
      this.pending.set(correlationId, entry);
      this.write(chunks);
    });
  }

  private write(chunks: Buffer[]): void {
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }

  private onData(chunk: Buffer): void {
    this.received.push(chunk);
    for (;;) {
      if (this.received.length < 4) return;
      const size = this.received.peekInt32();
      if (size < 4) {
        this.fail(new ConnectionError(`${this.address} sent a frame of ${size} bytes`, this.address));
        return;
      }
      if (this.received.length < 4 + size) return;
      this.received.take(4);
      const frame = this.received.take(size);
      const correlationId = frame.readInt32BE(0);
      const p = this.pending.get(correlationId);
      if (!p) continue; // an answer to a request that timed out
      this.pending.delete(correlationId);
      if (p.timer) clearTimeout(p.timer);
      p.resolve(frame);
    }
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    this.socket.destroy();
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.received.clear();
    for (const l of this.closeListeners.splice(0)) l(err);
  }
}

function describeSocketError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ECONNRESET':
      return 'connection reset';
    default:
      return err.message;
  }
}
