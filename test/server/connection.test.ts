import { afterEach, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { TcpServer, type TcpServerOptions } from '../../src/server/tcp-server.js';
import type { ConnectionInfo, FrameHandler } from '../../src/server/connection.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';

/** Echo server: answers each frame with a frame holding the same bytes, optionally after a delay. */
function echo(delayFor: (frame: Buffer) => number = () => 0): FrameHandler {
  return (frame) => {
    const out = Buffer.allocUnsafe(4 + frame.length);
    out.writeInt32BE(frame.length, 0);
    frame.copy(out, 4);
    const delay = delayFor(frame);
    if (delay === 0) return [out];
    return new Promise((resolve) => setTimeout(() => resolve([out]), delay));
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
    const s = connect(port, '127.0.0.1', () => resolve(s));
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
  return new Promise((resolve) => (s.destroyed ? resolve() : s.on('close', () => resolve())));
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
    const port = await start((f) => {
      handled++;
      void f;
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
    expect(resp!.length).toBe(big.length);
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
