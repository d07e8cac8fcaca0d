/**
 * The broker's connection limits as a client meets them: queued.max.request.bytes,
 * connections.max.idle.ms and socket.request.receive.timeout.ms, set small in the config.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import type { Admin } from 'kafkajs';
import type { Broker } from '../../src/broker.js';
import type { Logger } from '../../src/util/logger.js';
import { kafkaFor, startBroker } from '../helpers/kafka.js';

let broker: Broker | undefined;
let admin: Admin | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await admin?.disconnect();
  await broker?.stop();
  admin = undefined;
  broker = undefined;
});

function rawClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => { resolve(s); });
    s.on('error', () => {});
    s.once('error', reject);
    sockets.push(s);
  });
}

function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => {
      if (s.destroyed) resolve();
      else s.once('close', () => { resolve(); });
    });
}

function sizePrefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(size, 0);
  return b;
}

function warnLogger(): { lines: Record<string, unknown>[]; logger: Logger } {
  const lines: Record<string, unknown>[] = [];
  const logger: Logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, logger };
}

describe('connection limits', () => {
  it('closes a connection that sends nothing for connections.max.idle.ms', async () => {
    broker = await startBroker({ config: { 'connections.max.idle.ms': 200 } });
    const s = await rawClient(broker.port);
    await closed(s);
  });

  it('closes a connection whose request does not arrive within socket.request.receive.timeout.ms, and says so', async () => {
    const { lines, logger } = warnLogger();
    broker = await startBroker({ logger, config: { 'socket.request.receive.timeout.ms': 200 } });
    const s = await rawClient(broker.port);
    s.write(Buffer.concat([sizePrefix(1000), Buffer.from('only a little')]));
    await closed(s);
    expect(lines).toContainEqual(expect.objectContaining({ kind: 'request receive timeout', peer: '127.0.0.1', size: 1000 }));
  });

  it('with queued.max.request.bytes full of unfinished large requests, still serves a new client', async () => {
    const MiB = 1024 * 1024;
    broker = await startBroker({ config: { 'socket.request.max.bytes': MiB, 'queued.max.request.bytes': MiB } });
    // Three clients start 1 MiB requests and stall: the first takes the whole budget, the others wait.
    const stalled = await Promise.all([rawClient(broker.port), rawClient(broker.port), rawClient(broker.port)]);
    for (const s of stalled) s.write(Buffer.concat([sizePrefix(MiB), Buffer.alloc(64 * 1024)]));
    const memory = broker.requestMemory;
    while (!(memory.used === MiB && memory.waiting === 2)) await new Promise((r) => setTimeout(r, 5));

    // A new client's small requests arrive whole and are answered.
    admin = kafkaFor(broker).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'still-served' }] });
    expect(await admin.listTopics()).toEqual(['still-served']);
    expect(memory.waiting).toBe(2);

    // The stalled clients go away: every byte of the budget comes back.
    for (const s of stalled) s.destroy();
    await admin.disconnect();
    admin = undefined;
    while (memory.used !== 0) await new Promise((r) => setTimeout(r, 5));
    expect(memory.waiting).toBe(0);
  });
});
