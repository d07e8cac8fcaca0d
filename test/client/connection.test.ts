/**
 * BrokerConnection: ApiVersions negotiation (including a broker that does not know our ApiVersions
 * version, KIP-511), choosing versions from the broker's ranges, pipelined requests matched by
 * correlation id, frames split across reads, timeouts and unreachable brokers. A scripted fake
 * broker built on the codec plays the other side where Gregor would not misbehave.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import type { Broker } from '../../src/broker.js';
import { BrokerConnection } from '../../src/client/connection.js';
import { ConnectionError, NoCommonVersionError, RequestTimeoutError } from '../../src/client/errors.js';
import { encodeResponse, encodeUnsupportedApiVersionsResponse } from '../../src/protocol/codec.js';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import type { MetadataRequest } from '../../src/protocol/generated/messages/metadata.js';
import { defaultApiVersionsResponse } from '../../src/protocol/generated/messages/api-versions.js';
import { defaultMetadataResponse } from '../../src/protocol/generated/messages/metadata.js';
import { startBroker } from '../helpers/kafka.js';

type Ranges = [apiKey: number, min: number, max: number][];

/** A broker that answers ApiVersions from `ranges` and anything else through `answer`. */
class FakeBroker {
  private server: Server | undefined;
  readonly seen: { apiKey: number; apiVersion: number }[] = [];
  port = 0;

  constructor(
    private readonly ranges: Ranges,
    private readonly answer: (apiKey: number, version: number, correlationId: number, socket: Socket) => void = () => undefined,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((socket) => {
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
          buf = buf.subarray(4 + frame.length);
          const apiKey = frame.readInt16BE(0);
          const apiVersion = frame.readInt16BE(2);
          const correlationId = frame.readInt32BE(4);
          this.seen.push({ apiKey, apiVersion });
          if (apiKey === ApiKey.ApiVersions) {
            const own = this.ranges.find((r) => r[0] === ApiKey.ApiVersions)!;
            const apiKeys = this.ranges.map(([k, min, max]) => ({ apiKey: k, minVersion: min, maxVersion: max }));
            if (apiVersion > own[2]) {
              socket.write(encodeUnsupportedApiVersionsResponse(correlationId, apiKeys));
            } else {
              const body = { ...defaultApiVersionsResponse(), apiKeys: apiKeys.map((k) => ({ ...k, _unknownTaggedFields: undefined })) };
              socket.write(encodeResponse({ correlationId }, ApiKey.ApiVersions, apiVersion, body));
            }
          } else {
            this.answer(apiKey, apiVersion, correlationId, socket);
          }
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server!.close(() => { r(); }));
  }
}

let fake: FakeBroker | undefined;
let broker: Broker | undefined;
let conn: BrokerConnection | undefined;

afterEach(async () => {
  conn?.close();
  conn = undefined;
  await fake?.stop().catch(() => undefined);
  fake = undefined;
  await broker?.stop();
  broker = undefined;
});

const noTopics = (): MetadataRequest => ({
  topics: [],
  allowAutoTopicCreation: false,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
  _unknownTaggedFields: undefined,
});

const connect = (port: number, extra: Partial<Parameters<typeof BrokerConnection.connect>[0]> = {}): Promise<BrokerConnection> =>
  BrokerConnection.connect({ host: '127.0.0.1', port, clientId: 'test', ...extra });

describe('BrokerConnection', () => {
  it('opens with ApiVersions v4 and uses the highest version both sides have', async () => {
    broker = await startBroker();
    conn = await connect(broker.port);
    expect(conn.brokerRange(ApiKey.Produce)).toEqual([0, 13]);
    // Capped at the Java 4.0 client's versions, floored at what this client can build.
    expect(conn.versionFor(ApiKey.Produce)).toBe(12);
    expect(conn.versionFor(ApiKey.Fetch)).toBe(17);
    expect(conn.versionFor(ApiKey.Metadata)).toBe(13);
    expect(conn.versionFor(ApiKey.ListGroups)).toBe(5);
  });

  it('retries ApiVersions at the version a broker that does not know v4 names (KIP-511)', async () => {
    fake = await new FakeBroker([
      [ApiKey.ApiVersions, 0, 2],
      [ApiKey.Produce, 0, 7],
      [ApiKey.Fetch, 0, 11],
      [ApiKey.Metadata, 0, 8],
    ]).start();
    conn = await connect(fake.port);
    expect(fake.seen.map((s) => s.apiVersion)).toEqual([4, 2]);
    expect(conn.versionFor(ApiKey.Produce)).toBe(7);
    expect(conn.versionFor(ApiKey.Fetch)).toBe(11);
    expect(conn.supports(ApiKey.DescribeTopicPartitions)).toBe(false);
  });

  it('refuses an api whose versions do not meet, naming both ranges', async () => {
    fake = await new FakeBroker([
      [ApiKey.ApiVersions, 0, 3],
      [ApiKey.Produce, 0, 2],
    ]).start();
    conn = await connect(fake.port);
    expect(() => conn!.versionFor(ApiKey.Produce)).toThrow(NoCommonVersionError);
    expect(() => conn!.versionFor(ApiKey.Produce)).toThrow('the broker supports Produce versions 0-2, this client 3-12');
    expect(() => conn!.versionFor(ApiKey.Fetch)).toThrow('the broker does not support Fetch');
  });

  it('lowers its versions with versionCaps', async () => {
    broker = await startBroker();
    conn = await connect(broker.port, { versionCaps: { [ApiKey.Fetch]: 11, [ApiKey.ApiVersions]: 2 } });
    expect(conn.versionFor(ApiKey.Fetch)).toBe(11);
    expect(conn.versionFor(ApiKey.Produce)).toBe(12);
  });

  it('pipelines requests and matches the answers by correlation id', async () => {
    broker = await startBroker();
    conn = await connect(broker.port);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        conn!.request(ApiKey.Metadata, () => ({
          topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: `topic-${i}`, _unknownTaggedFields: undefined }],
          allowAutoTopicCreation: false,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
          _unknownTaggedFields: undefined,
        })),
      ),
    );
    answers.forEach((a, i) => { expect(a.body.topics[0].name).toBe(`topic-${i}`); });
  });

  it('reassembles responses that arrive a byte at a time, and in any order', async () => {
    let first: number | undefined;
    fake = await new FakeBroker([
      [ApiKey.ApiVersions, 0, 3],
      [ApiKey.Metadata, 0, 12],
    ], (_apiKey, version, correlationId, socket) => {
      first ??= correlationId;
      const body = { ...defaultMetadataResponse(), clusterId: `answer-${correlationId}` };
      const frame = encodeResponse({ correlationId }, ApiKey.Metadata, version, body);
      // Answer the first request last, one byte per write.
      setTimeout(() => {
        for (const b of frame) socket.write(Buffer.from([b]));
      }, correlationId === first ? 50 : 0);
    }).start();
    conn = await connect(fake.port);
    const [a, b] = await Promise.all([conn.request(ApiKey.Metadata, noTopics), conn.request(ApiKey.Metadata, noTopics)]);
    expect(a.body.clusterId).toBe(`answer-${first}`);
    expect(b.body.clusterId).toBe(`answer-${first! + 1}`);
  });

  it('times a request out and closes the connection behind it', async () => {
    fake = await new FakeBroker([
      [ApiKey.ApiVersions, 0, 3],
      [ApiKey.Metadata, 0, 12],
    ]).start();
    conn = await connect(fake.port, { requestTimeoutMs: 200 });
    const started = Date.now();
    await expect(conn.request(ApiKey.Metadata, noTopics)).rejects.toThrow(RequestTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(conn.closed).toBe(true);
  });

  it('says why a broker cannot be reached', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => { r(); }));
    const err = await connect(port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).message).toBe(`could not connect to 127.0.0.1:${port}: connection refused`);
    expect((err as ConnectionError).causeCode).toBe('ECONNREFUSED');
  });

  it('rejects requests in flight when the broker goes away', async () => {
    fake = await new FakeBroker([
      [ApiKey.ApiVersions, 0, 3],
      [ApiKey.Metadata, 0, 12],
    ], (_k, _v, _c, socket) => socket.destroy()).start();
    conn = await connect(fake.port);
    await expect(conn.request(ApiKey.Metadata, noTopics)).rejects.toThrow(ConnectionError);
  });
});

