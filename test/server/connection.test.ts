import { afterEach, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { TcpServer, type TcpServerOptions } from '../../src/server/tcp-server.js';
import type { ConnectionInfo, FrameHandler } from '../../src/server/connection.js';
import { pino } from 'pino';
import { ProtocolDecodeError } from '../../src/protocol/decode-error.js';
import { ManualClock, systemClock } from '../../src/util/clock.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';

/** Echo server: answers each frame with a frame holding the same bytes, optionally after a delay. */
function echo(delayFor: (frame: Buffer) => number = () => 0): FrameHandler {
  return (frame) => {
    const out = Buffer.allocUnsafe(4 + frame.length);
    out.writeInt32BE(frame.length, 0);
    frame.copy(out, 4);
    const delay = delayFor(frame);
    if (delay === 0) return [out];
    return new Promise((resolve) => setTimeout(() => { resolve([out]); }, delay));
  };
}

function frame(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

const NO_CONN: ConnectionInfo = { id: 0, remoteAddress: '', closeAfterPendingResponses: () => {}, warn: () => {} };

let server: TcpServer | undefined;
let clients: Socket[] = [];

async function start(handler: FrameHandler, maxRequestBytes = 1024 * 1024, over: Partial<TcpServerOptions> = {}): Promise<number> {
  server = new TcpServer(handler, {
    host: '127.0.0.1',
    port: 0,
    maxRequestBytes,
    maxPendingResponses: 4,
    maxPendingWriteBytes: 64 * 1024,
    queuedMaxRequestBytes: -1,
    connectionsMaxIdleMs: -1,
    requestReceiveTimeoutMs: -1,
    clock: systemClock,
    logger: silentLogger,
    ...over,
  });
  return server.listen();
}

function client(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => { resolve(s); });
    // A server that closes on a client with bytes in flight resets it: that is a close here too.
    s.on('error', () => {});
    clients.push(s);
  });
}

/** Collects `count` response frames' payloads from a socket. */
function readFrames(s: Socket, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const out: string[] = [];
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const n = buf.readInt32BE(0);
        out.push(buf.subarray(4, 4 + n).toString());
        buf = buf.subarray(4 + n);
        if (out.length === count) resolve(out);
      }
    });
    s.on('error', reject);
  });
}

function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) resolve();
    else s.on('close', () => { resolve(); });
  });
}

afterEach(async () => {
  for (const c of clients) c.destroy();
  clients = [];
  await server?.close(100);
  server = undefined;
});

describe('Connection', () => {
  it('reassembles frames split across and packed into TCP chunks', async () => {
    const port = await start(echo());
    const s = await client(port);
    const bytes = Buffer.concat([frame('one'), frame('two'), frame('three')]);
    const got = readFrames(s, 3);
    // Byte by byte, then the rest at once.
    for (let i = 0; i < 7; i++) {
      s.write(bytes.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, 2));
    }
    s.write(bytes.subarray(7));
    expect(await got).toEqual(['one', 'two', 'three']);
  });

  it('hands empty frames to the handler, also when one begins exactly at a chunk boundary', async () => {
    const port = await start(echo());
    const s = await client(port);
    const got = readFrames(s, 3);
    s.write(frame(''));
    await new Promise((r) => setTimeout(r, 20));
    s.write(Buffer.concat([frame(''), frame('x')]));
    expect(await got).toEqual(['', '', 'x']);
  });

  it('gathers frames that span many chunks, split anywhere, with more frames behind them', async () => {
    const port = await start(echo());
    const s = await client(port);
    const payloads = ['a', 'b'.repeat(300_000), 'c', 'd'.repeat(70_000), 'e'.repeat(5)];
    const bytes = Buffer.concat(payloads.map((p) => frame(p)));
    const got = readFrames(s, payloads.length);
    // Cut points chosen to fall inside size prefixes, right after them, and mid-frame.
    const cuts = [2, 5, 6, 100, 65_536, 200_001, 300_009, 300_011, 300_015, 370_019, bytes.length];
    let from = 0;
    for (const to of cuts) {
      s.write(bytes.subarray(from, to));
      from = to;
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(await got).toEqual(payloads);
  });

  it('answers pipelined requests in request order even when later ones finish first', async () => {
    const port = await start(echo((f) => (f.toString() === 'slow' ? 50 : 0)));
    const s = await client(port);
    const got = readFrames(s, 3);
    s.write(Buffer.concat([frame('slow'), frame('fast-1'), frame('fast-2')]));
    expect(await got).toEqual(['slow', 'fast-1', 'fast-2']);
  });

  it('closes a connection that claims a frame larger than socket.request.max.bytes, and keeps serving others', async () => {
    const port = await start(echo(), 1000);
    const bad = await client(port);
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(0x7fffffff, 0);
    bad.write(huge);
    await closed(bad);
    const good = await client(port);
    const got = readFrames(good, 1);
    good.write(frame('still here'));
    expect(await got).toEqual(['still here']);
  });

  it('closes a connection whose handler rejects the frame', async () => {
    const port = await start((f) => {
      if (f.toString() === 'garbage') throw new Error('does not parse');
      return echo()(f, NO_CONN);
    });
    const s = await client(port);
    s.write(frame('garbage'));
    await closed(s);
    expect(s.destroyed).toBe(true);
  });

  it('answers nothing for frames whose handler returns null, keeping order for the rest', async () => {
    const port = await start((f) => (f.toString() === 'silent' ? null : echo()(f, NO_CONN)));
    const s = await client(port);
    const got = readFrames(s, 2);
    s.write(Buffer.concat([frame('a'), frame('silent'), frame('b')]));
    expect(await got).toEqual(['a', 'b']);
  });

  it('stops reading from a client that never reads its responses, without buffering without bound', async () => {
    const big = Buffer.alloc(256 * 1024, 1);
    let handled = 0;
    const port = await start(() => {
      handled++;
      return [frame(big)];
    });
    const s = await client(port);
    s.pause(); // never read
    for (let i = 0; i < 200; i++) s.write(frame('x'));
    await new Promise((r) => setTimeout(r, 300));
    // The server paused after its write buffer filled: far fewer than 200 requests were handled.
    expect(handled).toBeLessThan(200);
    // Another client is served meanwhile.
    const other = await client(port);
    const got = readFrames(other, 1);
    other.write(frame('hello'));
    const [resp] = await got;
    expect(resp.length).toBe(big.length);
  });

  it('finishes in-flight requests before closing on shutdown', async () => {
    const port = await start(echo(() => 100));
    const s = await client(port);
    const got = readFrames(s, 1);
    s.write(frame('in-flight'));
    await new Promise((r) => setTimeout(r, 20));
    const closing = server!.close(2000);
    expect(await got).toEqual(['in-flight']);
    await closing;
    server = undefined;
  });
});

describe('Connection.closeAfterPendingResponses', () => {
  it('writes the responses due before the request that asked, then closes', async () => {
    const port = await start((f, conn) => {
      if (f.toString() === 'close-me') {
        conn.closeAfterPendingResponses();
        return null;
      }
      return echo(() => 30)(f, conn);
    });
    const s = await client(port);
    const got = readFrames(s, 1);
    s.write(Buffer.concat([frame('before'), frame('close-me'), frame('after')]));
    expect(await got).toEqual(['before']);
    await closed(s);
  });
});

/** Waits for a condition on the server's side, checking once per turn of the event loop. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

/** The size prefix of a frame of `size` bytes followed by its first `sent` bytes, tagged with `tag`. */
function partialFrame(tag: string, size: number, sent: number): { head: Buffer; rest: Buffer } {
  const whole = Buffer.alloc(4 + size, 0x61);
  whole.writeInt32BE(size, 0);
  whole.write(tag, 4);
  return { head: whole.subarray(0, 4 + sent), rest: whole.subarray(4 + sent) };
}

function captureWarnings(): { lines: Record<string, unknown>[]; logger: Logger } {
  const lines: Record<string, unknown>[] = [];
  const logger: Logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, logger };
}

describe('Connection memory budget (queued.max.request.bytes)', () => {
  const MiB = 1024 * 1024;

  it('stops reading frames that do not fit, still answers requests that arrived whole, and gives every byte back', async () => {
    const handled: string[] = [];
    const port = await start(
      (f, conn) => {
        handled.push(f.subarray(0, 2).toString());
        return echo()(f.subarray(0, 2), conn);
      },
      MiB,
      { queuedMaxRequestBytes: 2 * MiB },
    );
    const pool = server!.memory;
    const [c1, c2, c3] = [await client(port), await client(port), await client(port)];
    const f1 = partialFrame('c1', MiB, 100_000);
    const f2 = partialFrame('c2', MiB, 100_000);
    const f3 = partialFrame('c3', MiB, 100_000);
    c1.write(f1.head);
    c2.write(f2.head);
    // Two 1 MiB frames fill the 2 MiB budget: the third waits, reading nothing more.
    await until(() => pool.used === 2 * MiB);
    c3.write(f3.head);
    await until(() => pool.waiting === 1);

    // A small request on a fresh connection arrives whole and is answered meanwhile.
    const fresh = await client(port);
    const freshGot = readFrames(fresh, 1);
    fresh.write(frame('ok'));
    expect(await freshGot).toEqual(['ok']);
    expect(handled).toEqual(['ok']);
    expect(pool.waiting).toBe(1);

    // The first frame completes and is answered; its memory goes to the waiting connection.
    const got1 = readFrames(c1, 1);
    const got3 = readFrames(c3, 1);
    c1.write(f1.rest);
    c3.write(f3.rest);
    expect(await got1).toEqual(['c1']);
    expect(await got3).toEqual(['c3']);
    expect(handled).toEqual(['ok', 'c1', 'c3']);
    expect(pool.waiting).toBe(0);

    // A connection that closes mid-frame gives its reservation back.
    expect(pool.used).toBe(MiB);
    c2.destroy();
    await until(() => pool.used === 0);
    for (const c of [c1, c3, fresh]) c.destroy();
    await until(() => server!.connectionCount === 0);
    expect(pool.used).toBe(0);
  });

  it('does not count the time a connection waits for memory against socket.request.receive.timeout.ms', async () => {
    const clock = new ManualClock(0);
    const port = await start(echo(), MiB, { queuedMaxRequestBytes: MiB, requestReceiveTimeoutMs: 1000, clock });
    const pool = server!.memory;
    const [c1, c2] = [await client(port), await client(port)];
    const f1 = partialFrame('c1', MiB, 10);
    const f2 = partialFrame('c2', 100, 10);
    c1.write(f1.head);
    await until(() => pool.used === MiB);
    c2.write(f2.head);
    await until(() => pool.waiting === 1);
    // c1 has been sending its frame for 900 ms; c2 has waited as long for the broker.
    clock.advance(900);
    const got1 = readFrames(c1, 1);
    c1.write(f1.rest);
    expect((await got1)[0].slice(0, 2)).toBe('c1');
    await until(() => pool.waiting === 0);
    // 900 ms more: c2 has been read for less than its timeout, and is still served.
    clock.advance(900);
    const got2 = readFrames(c2, 1);
    c2.write(f2.rest);
    expect((await got2)[0].slice(0, 2)).toBe('c2');
  });
});

describe('Connection timeouts', () => {
  it('closes a connection idle for connections.max.idle.ms, but not while its request is being handled', async () => {
    const clock = new ManualClock(0);
    let finish: (() => void) | undefined;
    const port = await start(
      (f, conn) => (f.toString() === 'slow' ? new Promise<Buffer[] | null>((resolve) => (finish = () => { resolve(echo()(f, conn)); })) : echo()(f, conn)),
      1024,
      { connectionsMaxIdleMs: 10_000, clock },
    );
    const s = await client(port);
    const first = readFrames(s, 2);
    s.write(Buffer.concat([frame('quick'), frame('slow')]));
    await until(() => finish !== undefined);
    // The slow request is pending for longer than the idle limit: the client is waiting, not idle.
    clock.advance(60_000);
    finish!();
    expect(await first).toEqual(['quick', 'slow']);
    expect(s.destroyed).toBe(false);
    // Now nothing moves for connections.max.idle.ms.
    clock.advance(10_000);
    await closed(s);
    await until(() => server!.connectionCount === 0);
  });

  it('closes a connection whose started request has not arrived within socket.request.receive.timeout.ms, with a warning', async () => {
    const clock = new ManualClock(0);
    const { lines, logger } = captureWarnings();
    const port = await start(echo(), 1024, { requestReceiveTimeoutMs: 30_000, clock, logger });
    const slow = await client(port);
    const f = partialFrame('sl', 100, 3);
    slow.write(f.head);
    await until(() => server!.memory.used === 100);
    // A byte now and then keeps the connection active, but the frame's clock runs from its first byte.
    clock.advance(20_000);
    slow.write(f.rest.subarray(0, 1));
    clock.advance(10_000);
    await closed(slow);
    expect(lines).toEqual([
      expect.objectContaining({
        kind: 'request receive timeout',
        peer: '127.0.0.1',
        size: 100,
        msg: 'request not received in time (socket.request.receive.timeout.ms); closing connection',
      }),
    ]);
    await until(() => server!.memory.used === 0);
  });
});

describe('Connection warnings', () => {
  it('limits the warnings of malformed frames per peer and kind, and reports how many it suppressed', async () => {
    const { lines, logger } = captureWarnings();
    const port = await start(
      () => {
        throw new ProtocolDecodeError('does not parse');
      },
      1024,
      { logger },
    );
    for (let i = 0; i < 40; i++) {
      const s = await client(port);
      s.write(frame('garbage'));
      await closed(s);
    }
    expect(lines).toHaveLength(5);
    expect(lines.every((l) => l.kind === 'ProtocolDecodeError' && l.peer === '127.0.0.1' && l.msg === 'bad request; closing connection')).toBe(true);
    await server!.close(100);
    server = undefined;
    expect(lines).toHaveLength(6);
    expect(lines[5]).toMatchObject({ kind: 'ProtocolDecodeError', peer: '127.0.0.1', suppressed: 35 });
  });
});

describe('Connection frame buffers', () => {
  const POOLED_API = 7;
  const OTHER_API = 8;

  /** A frame body of `size` bytes: the api key, then the byte `fill`. */
  function apiFrame(api: number, fill: number, size: number): Buffer {
    const body = Buffer.alloc(size, fill);
    body.writeInt16BE(api, 0);
    return frame(body);
  }

  async function until(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise((r) => setTimeout(r, 5));
  }

  /**
   * Holds every frame until `count` have arrived, then checks each still holds the bytes it came
   * with, and answers "ok <fill>" or "overwritten <fill>".
   */
  function heldUntilAll(count: number): FrameHandler {
    let waiting: (() => void)[] = [];
    return (f) => {
      const fill = f[2];
      const copy = Buffer.from(f);
      return new Promise<Buffer[]>((resolve) => {
        waiting.push(() => { resolve([frame(`${f.equals(copy) && f.subarray(2).every((b) => b === fill) ? 'ok' : 'overwritten'} ${fill}`)]); });
        if (waiting.length === count) {
          const all = waiting;
          waiting = [];
          for (const w of all) w();
        }
      });
    };
  }

  it('serves frames of the reusable apis from the pool and never overwrites a frame whose handler has not answered', async () => {
    const n = 6;
    const port = await start(heldUntilAll(n), 1024 * 1024, { reusableFrameApis: [POOLED_API], maxPendingResponses: 16 });
    const s = await client(port);
    for (let round = 0; round < 3; round++) {
      const fills = Array.from({ length: n }, (_, i) => 1 + round * n + i);
      const got = readFrames(s, n);
      // 150 KB frames arrive in several socket reads, so each is gathered into a pool buffer; all
      // six are held at once, so six buffers are lent at once.
      s.write(Buffer.concat(fills.map((fill) => apiFrame(POOLED_API, fill, 150_000))));
      expect(await got).toEqual(fills.map((fill) => `ok ${fill}`));
      s.removeAllListeners('data');
    }
    await until(() => server!.frames.lentBuffers === 0);
    // The later rounds reused the first round's buffers.
    expect(server!.frames.allocations).toBe(n);
  });

  it('gives frames of other apis buffers of their own', async () => {
    const port = await start(heldUntilAll(3), 1024 * 1024, { reusableFrameApis: [POOLED_API] });
    const s = await client(port);
    const got = readFrames(s, 3);
    s.write(Buffer.concat([1, 2, 3].map((fill) => apiFrame(OTHER_API, fill, 150_000))));
    expect(await got).toEqual(['ok 1', 'ok 2', 'ok 3']);
    expect(server!.frames.allocations).toBe(0);
  });

  it('takes back the pooled buffer of a frame its client abandoned', async () => {
    const port = await start(echo(), 1024 * 1024, { reusableFrameApis: [POOLED_API] });
    const s = await client(port);
    s.write(apiFrame(POOLED_API, 1, 150_000).subarray(0, 100_000));
    await until(() => server!.frames.lentBuffers === 1);
    s.destroy();
    await until(() => server!.frames.lentBuffers === 0);
    expect(server!.frames.idleBytes).toBeGreaterThanOrEqual(150_000);
  });
});
