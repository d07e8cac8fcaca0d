/**
 * Bad bytes and misbehaving clients against a whole broker with disk storage (issue 4, "Bad input
 * and faults"): each gets Kafka's answer or a closed connection, and afterwards the broker still
 * serves other clients and every acknowledged record is still there.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { Broker } from '../../src/broker.js';
import { encodeRequest } from '../../src/protocol/codec.js';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { defaultApiVersionsRequest } from '../../src/protocol/generated/messages/api-versions.js';
import { defaultFetchRequest } from '../../src/protocol/generated/messages/fetch.js';
import { defaultMetadataRequest } from '../../src/protocol/generated/messages/metadata.js';
import { defaultProduceRequest } from '../../src/protocol/generated/messages/produce.js';
import { ZERO_UUID } from '../../src/protocol/reader.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import { WireClient } from '../helpers/wire-client.js';
import { tempDir } from '../storage/helpers.js';
import { createTopic, valuesOf } from './fetch/fixture.js';

let broker: Broker;
let dir: { path: string; remove: () => Promise<void> };
const TOPIC = 'kept';
/** Every value acknowledged so far, in offset order. */
const acknowledged: string[] = [];

async function produce(client: WireClient, n: number): Promise<void> {
  const values = Array.from({ length: n }, (_, i) => `v${acknowledged.length + i}`);
  const r = defaultProduceRequest();
  r.acks = -1;
  r.timeoutMs = 10_000;
  r.topicData = [{ name: TOPIC, topicId: ZERO_UUID, partitionData: [{ index: 0, records: buildRecordBatch(values.map((value) => ({ value }))), _unknownTaggedFields: undefined }], _unknownTaggedFields: undefined }];
  const res = await client.send(ApiKey.Produce, 9, r);
  expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.None);
  acknowledged.push(...values);
}

async function fetchAll(client: WireClient): Promise<string[]> {
  const res = await client.send(ApiKey.Fetch, 12, {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [
      {
        topic: TOPIC,
        topicId: ZERO_UUID,
        partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_UUID, highWatermark: -1n, _unknownTaggedFields: undefined }],
        _unknownTaggedFields: undefined,
      },
    ],
  });
  const p = res.responses[0].partitions[0];
  expect(p.errorCode).toBe(ErrorCode.None);
  return valuesOf(p.records);
}

function raw(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(broker.port, '127.0.0.1', () => { resolve(s); });
    s.once('error', reject);
  });
}

/** Resolves with what the broker sent before closing the connection (or after `ms`, with closed=false). */
function outcome(s: Socket, ms = 3000): Promise<{ closed: boolean; received: Buffer }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { resolve({ closed: false, received: Buffer.concat(chunks) }); }, ms);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, received: Buffer.concat(chunks) });
    });
  });
}

function sizePrefixed(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/** A request header v1 for `apiKey`/`version` with correlation id 7, size prefix included. */
function headerOnly(apiKey: number, version: number): Buffer {
  const h = Buffer.alloc(10);
  h.writeInt16BE(apiKey, 0);
  h.writeInt16BE(version, 2);
  h.writeInt32BE(7, 4);
  h.writeInt16BE(-1, 8); // null client id
  return sizePrefixed(h);
}

beforeAll(async () => {
  dir = await tempDir();
  broker = await Broker.start({ port: 0, storage: 'disk', dataDir: dir.path });
  await createTopic(broker, TOPIC);
  const c = await WireClient.connect(broker.port);
  await produce(c, 5);
  c.close();
});

afterAll(async () => {
  await broker.stop();
  await dir.remove();
});

describe('bad bytes on the wire close that connection only', () => {
  const closes: [string, () => Buffer][] = [
    ['garbage bytes (an HTTP request)', () => Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['a frame claiming 2 GiB', () => Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3])],
    ['a negative frame size', () => Buffer.from([0xff, 0xff, 0xff, 0xfe])],
    ['an empty frame', () => Buffer.from([0, 0, 0, 0])],
    ['an unknown api key', () => headerOnly(999, 0)],
    ['an api we do not implement (GetTelemetrySubscriptions)', () => headerOnly(ApiKey.GetTelemetrySubscriptions, 0)],
    ['an unsupported version of Metadata', () => headerOnly(ApiKey.Metadata, 99)],
    ['a Produce whose body does not parse', () => sizePrefixed(Buffer.concat([headerOnly(ApiKey.Produce, 9).subarray(4), Buffer.from([0, 1, 0xff])]))],
    ['a Metadata whose topic count runs past the end', () => sizePrefixed(Buffer.concat([headerOnly(ApiKey.Metadata, 1).subarray(4), Buffer.from([0x7f, 0xff, 0xff, 0xff])]))],
  ];
  it.each(closes)('%s', async (_name, bytes) => {
    const s = await raw();
    const done = outcome(s);
    s.write(bytes());
    expect((await done).closed).toBe(true);
  });

  it('an empty frame behind a valid request in the same packet: the request is answered, then the connection closes', async () => {
    const s = await raw();
    const done = outcome(s);
    s.write(Buffer.concat([encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 1, clientId: 'x' }, defaultApiVersionsRequest()), Buffer.from([0, 0, 0, 0])]));
    const { closed, received } = await done;
    expect(closed).toBe(true);
    expect(received.readInt32BE(0)).toBe(received.length - 4);
    expect(received.readInt32BE(4)).toBe(1); // the ApiVersions answer, whole
  });

  it('an ApiVersions version it does not know gets the v0 answer with UNSUPPORTED_VERSION, and the connection stays open', async () => {
    const s = await raw();
    const done = outcome(s, 300);
    s.write(headerOnly(ApiKey.ApiVersions, 99));
    const { closed, received } = await done;
    s.destroy();
    expect(closed).toBe(false);
    expect(received.readInt32BE(0)).toBe(received.length - 4);
    expect(received.readInt32BE(4)).toBe(7); // correlation id
    expect(received.readInt16BE(8)).toBe(ErrorCode.UnsupportedVersion);
  });
});

describe('misbehaving clients', () => {
  it('a client that disconnects in the middle of a Produce: nothing of it is appended', async () => {
    const s = await raw();
    const r = defaultProduceRequest();
    r.acks = -1;
    r.timeoutMs = 10_000;
    r.topicData = [{ name: TOPIC, topicId: ZERO_UUID, partitionData: [{ index: 0, records: buildRecordBatch([{ value: 'never' }]), _unknownTaggedFields: undefined }], _unknownTaggedFields: undefined }];
    const full = encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 3, clientId: 'x' }, r);
    s.write(full.subarray(0, full.length - 3));
    await new Promise((resolve) => setTimeout(resolve, 50));
    s.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const c = await WireClient.connect(broker.port);
    expect(await fetchAll(c)).toEqual(acknowledged);
    c.close();
  });

  it('a client that stops in the middle of a request and waits', async () => {
    const s = await raw();
    const done = outcome(s, 200);
    s.write(Buffer.from([0, 0, 1, 0, 0, 18]));
    expect((await done).closed).toBe(false);
    s.destroy();
  });

  // That the broker then stops reading from it, with bounded buffers, is test/server/connection.test.ts's.
  it('while a client never reads its responses, other clients are still answered', async () => {
    const s = await raw();
    s.on('error', () => undefined);
    // Large responses (all topics' metadata, many times over) into a socket nobody reads.
    const req = encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 1, clientId: 'x' }, { ...defaultMetadataRequest(), topics: null });
    const burst = Buffer.concat(Array.from({ length: 2000 }, () => req));
    for (let i = 0; i < 20; i++) s.write(burst);
    await new Promise((r) => setTimeout(r, 300));
    const c = await WireClient.connect(broker.port);
    expect((await c.send(ApiKey.ApiVersions, 3, defaultApiVersionsRequest())).errorCode).toBe(ErrorCode.None);
    c.close();
    s.destroy();
  });
});

describe('afterwards', () => {
  it('the broker still serves other clients, and every acknowledged record is there', async () => {
    const c = await WireClient.connect(broker.port);
    await produce(c, 3);
    expect(await fetchAll(c)).toEqual(acknowledged);
    c.close();
  });

  it('and after a restart on the same data dir', async () => {
    await broker.stop();
    broker = await Broker.start({ port: 0, storage: 'disk', dataDir: dir.path });
    const c = await WireClient.connect(broker.port);
    expect(await fetchAll(c)).toEqual(acknowledged);
    c.close();
  });
});
