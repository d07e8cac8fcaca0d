/**
 * Fetch reads go into pooled buffers (read-buffers.ts) that are given back only once the socket has
 * written the response holding them: a consumer that reads slowly keeps its responses' bytes
 * intact while other fetches reuse the pool, and many fetches return exactly what was appended,
 * from disk and from memory.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { Broker } from '../../src/broker.js';
import { decodeResponse, encodeRequest } from '../../src/protocol/codec.js';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { defaultFetchRequest, type FetchRequest } from '../../src/protocol/generated/messages/fetch.js';
import { ZERO_UUID } from '../../src/protocol/reader.js';
import { FrameBufferPool } from '../../src/util/frame-buffer-pool.js';
import { ReadBuffers } from '../../src/partition/read-buffers.js';
import { tempDir } from '../storage/helpers.js';
import { append, createTopic, valuesOf } from '../server/fetch/fixture.js';

const FETCH_VERSION = 12;
const PAD = 'x'.repeat(1000);

/** The value of record `i` of partition `p`: unique, so a byte from elsewhere cannot pass for it. */
function valueOf(p: number, i: number): string {
  return `p${p}-r${i}-${PAD}`;
}

/** Appends `batches` batches of `perBatch` 1 KiB records to each partition. */
async function fill(broker: Broker, topic: string, partitions: number, batches: number, perBatch: number): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    for (let b = 0; b < batches; b++) {
      const recs = Array.from({ length: perBatch }, (_, j) => ({ value: valueOf(p, b * perBatch + j) }));
      await append(broker, topic, p, recs);
    }
  }
}

function fetchRequest(topic: string, partition: number, fetchOffset: bigint, partitionMaxBytes: number): FetchRequest {
  return {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 64 << 20,
    topics: [
      {
        topic,
        topicId: ZERO_UUID,
        partitions: [
          {
            partition,
            currentLeaderEpoch: -1,
            fetchOffset,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes,
            replicaDirectoryId: ZERO_UUID,
            highWatermark: -1n,
            _unknownTaggedFields: undefined,
          },
        ],
        _unknownTaggedFields: undefined,
      },
    ],
  };
}

/** A connection whose requests are pipelined and whose reading the test controls. */
class PipelinedClient {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiter: (() => void) | null = null;
  private nextCorrelationId = 1;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        this.frames.push(this.buffered.subarray(4, 4 + size));
        this.buffered = this.buffered.subarray(4 + size);
      }
      this.waiter?.();
    });
  }

  static open(port: number): Promise<PipelinedClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve(new PipelinedClient(socket));
      });
      socket.once('error', reject);
    });
  }

  send(request: FetchRequest): void {
    this.socket.write(encodeRequest({ apiKey: ApiKey.Fetch, apiVersion: FETCH_VERSION, correlationId: this.nextCorrelationId++, clientId: 'slow' }, request));
  }

  /** The values of each response's records, in request order, once `n` responses have come. */
  async values(n: number): Promise<string[][]> {
    while (this.frames.length < n) await new Promise<void>((resolve) => (this.waiter = resolve));
    this.waiter = null;
    return this.frames.splice(0, n).map((frame) => {
      const p = decodeResponse(frame, ApiKey.Fetch, FETCH_VERSION).body.responses[0].partitions[0];
      expect(p.errorCode).toBe(ErrorCode.None);
      return valuesOf(p.records);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Waits until `condition` holds, letting I/O run in between. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

function expected(p: number, from: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => valueOf(p, from + i));
}

describe('ReadBuffers', () => {
  it('lends pooled buffers and gives every one back once, and never lends a pooled one after that', () => {
    const pool = new FrameBufferPool({ apiKeys: [ApiKey.Fetch] });
    const buffers = new ReadBuffers(pool);
    const a = buffers.allocate(100_000);
    const b = buffers.allocate(10);
    expect(a.length).toBe(100_000);
    expect(b.length).toBe(10);
    expect(pool.lentBuffers).toBe(2);
    buffers.release();
    buffers.release();
    expect(pool.lentBuffers).toBe(0);
    const late = buffers.allocate(100_000);
    expect(late.length).toBe(100_000);
    expect(pool.lentBuffers).toBe(0);
    // The buffer given back is the next one lent: the late one was not taken from the pool.
    const next = new ReadBuffers(pool).allocate(100_000);
    expect(next.buffer).toBe(a.buffer);
    expect(late.buffer).not.toBe(a.buffer);
  });
});

describe('fetch read buffers', () => {
  let broker: Broker | undefined;
  let dir: { path: string; remove: () => Promise<void> } | undefined;
  const clients: PipelinedClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await broker?.stop();
    broker = undefined;
    await dir?.remove();
    dir = undefined;
  });

  async function start(storage: 'disk' | 'memory'): Promise<Broker> {
    if (storage === 'disk') {
      dir = await tempDir('gregor-fetchbuf-');
      broker = await Broker.start({ port: 0, dataDir: dir.path });
    } else broker = await Broker.start({ port: 0, storage: 'memory' });
    return broker;
  }

  async function client(port: number): Promise<PipelinedClient> {
    const c = await PipelinedClient.open(port);
    clients.push(c);
    return c;
  }

  it('keeps a response intact while a slow consumer has not read it, though other fetches reuse the pool meanwhile', async () => {
    const b = await start('disk');
    await createTopic(b, 'slow', 6);
    // 3 MiB per partition, in 1 MiB batches: each fetch below answers about 3 MiB.
    await fill(b, 'slow', 6, 3, 1000);
    const pool = b.services.fetch.reads.readPool;

    const slow = await client(b.port);
    slow.socket.pause();
    // Far more than the kernel's socket buffers take: most of it waits in the broker's socket.
    const requests = 10;
    for (let i = 0; i < requests; i++) slow.send(fetchRequest('slow', i % 3, 0n, 4 << 20));
    await until(() => pool.lentBuffers > 0);

    // Other fetches read other partitions through the same pool while those responses wait.
    const other = await client(b.port);
    for (let round = 0; round < 4; round++) {
      for (let p = 3; p < 6; p++) other.send(fetchRequest('slow', p, 0n, 4 << 20));
      const got = await other.values(3);
      for (let i = 0; i < 3; i++) expect(got[i]).toEqual(expected(3 + i, 0, 3000));
    }
    // The slow consumer's unwritten responses still hold their buffers.
    expect(pool.lentBuffers).toBeGreaterThan(0);

    slow.socket.resume();
    const got = await slow.values(requests);
    for (let i = 0; i < requests; i++) expect(got[i]).toEqual(expected(i % 3, 0, 3000));
    // Every buffer comes back once its response is written, and is reused rather than reallocated.
    await until(() => pool.lentBuffers === 0);
    const allocated = pool.allocations;
    for (let p = 0; p < 6; p++) other.send(fetchRequest('slow', p, 0n, 4 << 20));
    const again = await other.values(6);
    for (let p = 0; p < 6; p++) expect(again[p]).toEqual(expected(p, 0, 3000));
    expect(pool.allocations).toBe(allocated);
  });

  it('serves correct bytes after a consumer disconnects with responses unwritten', async () => {
    const b = await start('disk');
    await createTopic(b, 'gone', 4);
    await fill(b, 'gone', 4, 3, 1000);
    const pool = b.services.fetch.reads.readPool;
    const leaving = await client(b.port);
    leaving.socket.pause();
    for (let i = 0; i < 8; i++) leaving.send(fetchRequest('gone', i % 2, 0n, 4 << 20));
    await until(() => pool.lentBuffers > 0);
    leaving.close();

    const other = await client(b.port);
    for (let round = 0; round < 3; round++) {
      for (let p = 0; p < 4; p++) other.send(fetchRequest('gone', p, 0n, 4 << 20));
      const got = await other.values(4);
      for (let p = 0; p < 4; p++) expect(got[p]).toEqual(expected(p, 0, 3000));
    }
  });

  it('gives back the buffers of a long poll\'s earlier read once it answers with a later one', async () => {
    const b = await start('disk');
    await createTopic(b, 'poll', 1);
    await fill(b, 'poll', 1, 1, 50);
    const pool = b.services.fetch.reads.readPool;
    const c = await client(b.port);
    c.send({ ...fetchRequest('poll', 0, 0n, 1 << 20), minBytes: 200_000, maxWaitMs: 60_000 });
    await until(() => b.services.fetch.reads.waitingFetches === 1);
    // The first read (one batch, short of minBytes) holds its buffer while the fetch waits.
    expect(pool.lentBuffers).toBeGreaterThan(0);
    for (let batch = 1; batch < 5; batch++) {
      await append(
        b,
        'poll',
        0,
        Array.from({ length: 50 }, (_, j) => ({ value: valueOf(0, batch * 50 + j) })),
      );
    }
    const [values] = await c.values(1);
    expect(values.length).toBeGreaterThanOrEqual(200);
    expect(values).toEqual(expected(0, 0, values.length));
    await until(() => pool.lentBuffers === 0);
  });

  it.each(['disk', 'memory'] as const)('answers many concurrent fetches with exactly the stored records (%s storage)', async (storage) => {
    const b = await start(storage);
    await createTopic(b, 'many', 4);
    // Small batches too, so that some reads are served from the batch cache's copies.
    await fill(b, 'many', 4, 20, 50);
    const pool = b.services.fetch.reads.readPool;
    const conns = await Promise.all([client(b.port), client(b.port), client(b.port)]);
    const perConnection = 30;
    const wanted: string[][][] = conns.map(() => []);
    conns.forEach((c, ci) => {
      for (let k = 0; k < perConnection; k++) {
        const p = (ci + k) % 4;
        const from = (ci * 97 + k * 31) % 1000;
        // Limits cut the answer after whole batches: the first batch holding `from`, and more while they fit.
        const maxBytes = (k % 5) * 40_000 + 1;
        c.send(fetchRequest('many', p, BigInt(from), maxBytes));
        wanted[ci].push([String(p), String(from)]);
      }
    });
    const answers = await Promise.all(conns.map((c) => c.values(perConnection)));
    answers.forEach((perConn, ci) => { perConn.forEach((values, k) => {
        const [p, from] = wanted[ci][k].map(Number) as [number, number];
        const batchStart = from - (from % 50);
        expect(values.length).toBeGreaterThan(0);
        expect(values.length % 50).toBe(0);
        expect(values).toEqual(expected(p, batchStart, values.length));
      }); },
    );
    await until(() => pool.lentBuffers === 0);
    if (storage === 'memory') {
      // The in-memory log's records are views of its own buffers: none comes from the pool.
      expect(pool.allocations).toBe(0);
    } else {
      expect(pool.allocations).toBeGreaterThan(0);
    }
  });
});
